//! The node's side of the federation: the envelope format, the courier that empties the outbox through the
//! gateway, the heartbeat, the signals pushed for the national statistics, and the inbox server the gateway
//! delivers to.

pub mod courier;
pub mod envelope;
pub mod heartbeat;
pub mod inbox;
pub mod runtime;
pub mod signals;
