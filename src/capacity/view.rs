//! What a screen needs to draw the search live, and how the search starts one: the screen
//! itself lives with the views (`tui::capacity`), handed in by the command.

use super::model::Step;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;

/// What the search has done so far, published after every change.
#[derive(Clone, Debug, Default)]
pub struct SearchView {
    pub title: String,
    pub kpis: String,
    pub p99_target_ms: f64,
    pub steps: Vec<Step>,
    /// (step number, rate, planned seconds, started)
    pub current: Option<(usize, f64, f64, Instant)>,
    pub capacity: Option<f64>,
    /// The search's finding, once it is over.
    pub finished: Option<String>,
    pub stopping: bool,
}

/// Starts a screen showing the view (with a theme name); it sets the stop flag when the user
/// asks to stop, and its task ends when the user closes it.
pub type Screen =
    fn(watch::Receiver<SearchView>, Option<String>, Arc<watch::Sender<bool>>) -> tokio::task::JoinHandle<()>;
