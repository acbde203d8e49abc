//! National statistics from the regions' signals. `snapshot` checks what a node sends; `store` keeps each
//! region's latest snapshot per quarter (sqlx: SQLite by default, PostgreSQL by URL). Nothing stored here is
//! shown before disclosure control.

pub mod access;
pub mod disclosure;
pub mod labels;
pub mod odometer;
pub mod privacy;
pub mod read;
pub mod release;
pub mod review;
pub mod snapshot;
pub mod store;
pub mod tables;
pub mod view;

pub use store::StatisticsStore;

/// How the gateway publishes: disclosure control for the released tables, and the ε each coordinator and all of
/// them together may spend on noisy ones per quarter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Publishing {
    pub control: disclosure::Control,
    pub privacy: odometer::Budgets,
}
