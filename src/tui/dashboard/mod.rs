//! `--dashboard`: a Grafana dashboard's panels as cockpit pages, marked `· target`.

pub mod layout;
mod panel;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::app::App;
use super::panels::common;
use super::theme::Theme;
use super::view_data::ViewData;

/// Draws the app's current dashboard page into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme, compact: bool) {
    let Some(view) = data.dashboard else {
        return common::message(frame, area, "no dashboard (run with --dashboard FILE.json)", theme);
    };
    // Borrowed, not cloned: this runs on every frame.
    let panels: Vec<_> = view.panels.iter().map(|p| &p.panel).collect();
    let pages = layout::pages(&panels, compact);
    let Some(page) = pages.get(app.dashboard_page % pages.len().max(1)) else { return };
    for (&i, rect) in page.iter().zip(layout::place(&panels, page, area)) {
        panel::render(frame, rect, &view.panels[i], app, data, theme);
    }
}
