//! National statistics from the regions' signals. `snapshot` checks what a node sends; `store` keeps each
//! region's latest snapshot per quarter (sqlx: SQLite by default, PostgreSQL by URL). Nothing stored here is
//! shown before disclosure control.

pub mod disclosure;
pub mod release;
pub mod snapshot;
pub mod store;
pub mod tables;
pub mod view;

pub use store::StatisticsStore;
