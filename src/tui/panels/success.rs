//! Success rate: the client's happy-path KPI calls that succeeded, and the target's share of
//! answers below 400, side by side so a disagreement shows.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Gauge};
use ratatui::Frame;

pub const TITLE: &str = "Success rate";

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let [client_area, target_area] = common::halves(area, 3);
    let s = data.snapshot;
    let client = (s.kpi_total > 0).then(|| {
        let pct = 100.0 * s.kpi_ok as f64 / s.kpi_total as f64;
        let detail = format!("{} ({} / {})", format::pct(pct), format::count(s.kpi_ok), format::count(s.kpi_total));
        (pct, detail)
    });
    gauge(frame, client_area, common::block(TITLE, Source::Client, data, theme), client, "no KPI calls yet", theme);
    let target = common::reading(data).and_then(|r| r.success_pct).map(|pct| (pct, format::pct(pct)));
    gauge(
        frame,
        target_area,
        common::block(TITLE, Source::Target, data, theme),
        target,
        common::no_target_data(data),
        theme,
    );
}

fn gauge(
    frame: &mut Frame,
    area: Rect,
    block: Block<'static>,
    value: Option<(f64, String)>,
    missing: &str,
    theme: &Theme,
) {
    if area.is_empty() {
        return;
    }
    match value {
        Some((pct, label)) => {
            let gauge = Gauge::default()
                .block(block)
                .gauge_style(theme.style(common::success_slot(pct)))
                .ratio(common::gauge_ratio(pct))
                .label(Span::styled(label, theme.style(Slot::Text)));
            frame.render_widget(gauge, area);
        }
        None => {
            let inner = common::framed(frame, area, block);
            common::message(frame, inner, missing, theme);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn client_and_target_gauges() {
        let text = fixture::render_panel(super::render, 44, 6, false);
        assert!(text.contains("Success rate · client"), "{text}");
        assert!(text.contains("Success rate · target"), "{text}");
        assert!(text.contains("98.00%") || text.contains("98.0%"), "{text}");
        assert!(text.contains("99.20%"), "{text}");
        // side by side when short
        let text = fixture::render_panel(super::render, 90, 3, false);
        assert!(text.lines().next().unwrap().contains("· client"), "{text}");
        assert!(text.lines().next().unwrap().contains("· target"), "{text}");
    }
}
