//! Scenario files: the model, the loader with located errors, and compiled templates.

// A scenario error is built once, on the cold path, and carries its source line for display.
#![allow(clippy::result_large_err)]

pub mod artillery;
pub mod duration;
pub mod error;
pub mod load;
pub mod model;
pub mod target;
pub mod template;

/// How many iterations a setup group runs (a count, or sized for the rate limit).
pub use crate::engine::setup::iterations as setup_iterations;
pub use error::ScenarioError;
pub use load::{load_file, parse};
pub use model::*;
