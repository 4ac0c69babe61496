//! A local PromQL evaluator over scraped samples: dashboards without a Prometheus server.
//!
//! Expressions are parsed by our own parser (`parse`, why in its header); [`Query::parse`]
//! also refuses, by name, what the evaluator does not support, so a dashboard panel can say
//! why it is empty. Semantics
//! follow Prometheus's engine (staleness, extrapolated `rate`, vector matching,
//! `histogram_quantile`); see `docs/architecture.md` for what differs.

pub mod eval;
mod parse;
pub mod query;
pub mod store;
pub mod syntax;
pub mod value;

pub use eval::{EvalError, Evaluator};
pub use query::{Query, QueryError};
pub use store::SeriesStore;
pub use value::{Labels, Sample, Value};
