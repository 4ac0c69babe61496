//! Request rate by tool: a chart of completions per second (client), and the target's own
//! per-tool request rates beside it when it exports them.

use super::common::{self, Source};
use super::timechart::{self, Thin, TimeChart, Trace};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

pub const TITLE: &str = "Request rate by tool";
pub const TARGET_TITLE: &str = "Rate by tool";

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let side = (area.width >= 70).then_some(30);
    let (chart_area, target_area) = match side {
        Some(w) => {
            let [c, t] = Layout::horizontal([Constraint::Min(1), Constraint::Length(w)]).areas(area);
            (c, Some(t))
        }
        None if area.height >= 16 => {
            let h = (data.snapshot.tools.len() as u16 + 3).min(7);
            let [c, t] = Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(area);
            (c, Some(t))
        }
        None => (area, None),
    };
    render_chart(frame, chart_area, app, data, theme);
    if let Some(t) = target_area {
        render_target(frame, t, app, data, theme);
    }
}

fn render_chart(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let title = format!("{TITLE} ({})", app.window.label());
    let inner = common::framed(frame, area, common::block(&title, Source::Client, data, theme));
    let win = timechart::window(&data.snapshot.series, app.window);
    let max_points = usize::from(inner.width) * 2;
    let mut traces = Vec::new();
    // A finished run's completions first, so the live lines draw over it.
    if let Some(base) = data.baseline {
        let pts: Vec<(f64, f64)> = base
            .aligned(&win.points, |p| Some(p.completed as f64))
            .into_iter()
            .filter(|(x, _)| *x >= win.x0 && *x <= win.x1)
            .collect();
        if !pts.is_empty() {
            let name = format!("{} completed", base.name);
            traces.push(super::latency::baseline_trace(theme, name, timechart::thin(pts, max_points, Thin::Mean)));
        }
    }
    let scheduled: Vec<(f64, f64)> = win.points.iter().map(|p| (f64::from(p.t), p.scheduled as f64)).collect();
    if scheduled.iter().any(|p| p.1 > 0.0) {
        traces.push(Trace {
            name: "scheduled".into(),
            style: theme.style(Slot::Muted),
            marker: theme.series_marker(0),
            glyph: theme.series_glyph(0),
            points: timechart::thin(scheduled, max_points, Thin::Mean),
        });
    }
    for (i, tool) in data.snapshot.tools.iter().enumerate() {
        let points: Vec<(f64, f64)> =
            win.points.iter().map(|p| (f64::from(p.t), p.tool_completed.get(i).copied().unwrap_or(0) as f64)).collect();
        if points.iter().all(|p| p.1 == 0.0) {
            continue;
        }
        let n = traces.len();
        traces.push(Trace::series(theme, n, tool.name.clone(), timechart::thin(points, max_points, Thin::Mean)));
    }
    let markers = timechart::markers(&win, data.events, app);
    let chart = TimeChart {
        traces,
        x0: win.x0,
        x1: win.x1,
        unit: "/s",
        markers: &markers,
        empty_note: "no completed requests in this window",
        y_format: None,
    };
    timechart::render(frame, inner, &chart, theme);
}

fn render_target(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(TARGET_TITLE, Source::Target, data, theme));
    let Some(by_tool) = common::reading(data).and_then(|r| r.requests_by_tool.as_ref()) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    if by_tool.is_empty() {
        common::message(frame, inner, "no requests counted yet", theme);
        return;
    }
    let header = Row::new(["tool", "req/s", "total"]).style(theme.style(Slot::Muted));
    let rows = by_tool.iter().map(|(tool, c)| {
        let rate = c.rate_per_sec.map_or("…".to_string(), format::rate);
        let style = if app.selected_tool() == Some(tool.as_str()) {
            theme.style(Slot::Highlight)
        } else {
            theme.style(Slot::Text)
        };
        Row::new([
            Cell::from(format::truncate(tool, 12)),
            Cell::from(Line::from(Span::raw(rate)).right_aligned()),
            Cell::from(Line::from(Span::raw(format::count(c.total.max(0.0) as u64))).right_aligned()),
        ])
        .style(style)
    });
    let table = Table::new(rows, [Constraint::Min(6), Constraint::Length(6), Constraint::Length(8)]).header(header);
    frame.render_widget(table, inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn renders_both_sources() {
        let text = fixture::render_panel(super::render, 90, 14, false);
        assert!(text.contains("Request rate by tool (5m) · client"), "{text}");
        assert!(text.contains("Rate by tool · target"), "{text}");
        assert!(text.contains("serpapi"), "{text}");
        assert!(text.contains("scheduled"), "{text}");
        assert!(text.contains("│soak") || text.contains("│spike"), "phase markers:\n{text}");
        assert!(!text.contains("stale"));
    }

    #[test]
    fn marks_stale_and_missing_target_data() {
        let text = fixture::render_panel(super::render, 90, 14, true);
        assert!(text.contains("stale"), "{text}");
        let text = fixture::render_panel_with(super::render, 90, 14, |d| d.target.reading = None);
        assert!(text.contains("no data"), "{text}");
    }
}
