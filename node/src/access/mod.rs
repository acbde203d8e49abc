//! Who may use the team API and how they prove it: API tokens (`token`), the RPC × role table (`policy`), the
//! guard that enforces both and audits every call (`guard`), the limiter that slows down guessing (`limiter`),
//! and the client's side (`credential`).

pub mod credential;
pub mod guard;
pub mod limiter;
pub mod policy;

/// Passwords, the second factor and tokens are the same at the gateway's dashboard: kept in `expertnet-web`.
pub use expertnet_web::{password, second_factor, token};

pub use credential::{BearerToken, SignedChannel};
pub use guard::GuardLayer;
