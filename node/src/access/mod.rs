//! Who may use the team API and how they prove it: API tokens (`token`), the RPC × role table (`policy`), the
//! guard that enforces both and audits every call (`guard`), the limiter that slows down guessing (`limiter`),
//! and the client's side (`credential`).

pub mod credential;
pub mod guard;
pub mod limiter;
pub mod password;
pub mod policy;
pub mod second_factor;
pub mod token;

pub use credential::{BearerToken, SignedChannel};
pub use guard::GuardLayer;
