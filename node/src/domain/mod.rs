//! What the expert table is, free of transport and storage: the lifecycle, the vocabularies, the records and
//! the checks on input.

pub mod disclosure;
pub mod federation;
pub mod lifecycle;
pub mod model;
pub mod people;
pub mod review;
pub mod signals;
pub mod validate;
pub mod vocabulary;

pub use lifecycle::{Action, CaseState, IllegalAction};
pub use model::*;
pub use vocabulary::*;
