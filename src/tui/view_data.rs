//! What one frame is drawn from: its own file, so panels and the screen layout both read it
//! without importing each other.

use crate::live::{ChaosView, LogEvent, TargetView};
use crate::metrics::Snapshot;

/// Everything a frame is drawn from, borrowed for the duration of one draw.
pub struct ViewData<'a> {
    pub snapshot: &'a Snapshot,
    pub target: &'a TargetView,
    pub chaos: &'a ChaosView,
    pub events: &'a [LogEvent],
    pub scenario: &'a str,
    pub target_url: &'a str,
    /// `--dashboard`: its panels as last evaluated.
    pub dashboard: Option<&'a crate::dashboard::DashboardView>,
    /// `--baseline`: a finished run drawn under the live rate and latency.
    pub baseline: Option<&'a crate::report::baseline::Baseline>,
}
