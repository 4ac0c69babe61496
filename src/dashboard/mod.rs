//! Grafana dashboards evaluated from the target's `/metrics` alone: the JSON model, its
//! variables, the profile's name mapping, and the panels' values over a run.

pub mod alias;
pub mod history;
pub mod model;
pub mod panel;
pub mod template;
pub mod units;

pub use history::{DashboardView, LiveDashboard};
pub use model::{load, Dashboard, DashboardError, Panel, PanelKind};
pub use panel::{Compiled, QueryResult, SeriesValue};
pub use template::Timing;
