//! The node's side of the federation: the envelope format, the courier that empties the outbox through the
//! gateway (or the next of its replicas), the heartbeat, the signals pushed for the national statistics, and the runtime that starts them with
//! the inbox server the gateway delivers to (its handler, `InboxApi`, is with the others in `crate::grpc`).

pub mod courier;
pub mod envelope;
pub mod gateways;
pub mod heartbeat;
pub mod runtime;
pub mod signals;
