//! Scenario files: the model, the loader with located errors, and compiled templates.

pub mod duration;
pub mod error;
pub mod load;
pub mod model;
pub mod template;

pub use error::ScenarioError;
pub use load::{load_file, parse};
pub use model::*;
