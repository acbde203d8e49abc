//! The audit trail (in the spirit of NEN 7513): every read and change of case data, every refusal and every
//! crossing of the node's border is an event in one hash chain. `chain` is the format and its check, `trail`
//! the writer; the team API's guard, the federation inbox and the courier, and the admin commands write to it.

pub mod chain;
pub mod trail;

pub use chain::{Anchor, AuditEvent, ChainBreak, NewAuditEvent, Verified};
pub use trail::AuditTrail;
