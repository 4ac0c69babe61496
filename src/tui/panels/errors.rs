//! Error rate by type: the client's error classes per second (chart, with run totals in the
//! legend) and the target's error counters by type.

use super::common::{self, Source};
use super::timechart::{self, Thin, TimeChart, Trace};
use crate::metrics::ErrorClass;
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

pub const TITLE: &str = "Error rate by type";
pub const TARGET_TITLE: &str = "Errors by type";
pub const DETAILS_TITLE: &str = "Why requests failed";

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    // The reasons go under the chart when there are some and room for them.
    let failures = data.snapshot.failures.len() as u16;
    let area = if failures > 0 && area.height >= 12 {
        let [top, details] =
            Layout::vertical([Constraint::Min(6), Constraint::Length((failures + 2).min(area.height / 2))]).areas(area);
        render_details(frame, details, data, theme);
        top
    } else {
        area
    };
    let (chart_area, target_area) = if area.width >= 70 {
        let [c, t] = Layout::horizontal([Constraint::Min(1), Constraint::Length(30)]).areas(area);
        (c, Some(t))
    } else if area.height >= 16 {
        let [c, t] = Layout::vertical([Constraint::Min(1), Constraint::Length(7)]).areas(area);
        (c, Some(t))
    } else {
        (area, None)
    };
    render_chart(frame, chart_area, app, data, theme);
    if let Some(t) = target_area {
        render_target(frame, t, data, theme);
    }
}

fn render_chart(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let title = format!("{TITLE} ({})", app.window.label());
    let inner = common::framed(frame, area, common::block(&title, Source::Client, data, theme));
    let win = timechart::window(&data.snapshot.series, app.window);
    let totals = data.snapshot.errors();
    let max_points = usize::from(inner.width) * 2;
    let traces: Vec<Trace> = ErrorClass::ALL
        .iter()
        .filter_map(|&class| {
            let i = class.index();
            let points: Vec<(f64, f64)> = win.points.iter().map(|p| (f64::from(p.t), p.errors[i] as f64)).collect();
            if points.iter().all(|p| p.1 == 0.0) {
                return None;
            }
            let name = format!("{} {}", class.name(), format::count(totals.get(class)));
            Some(Trace::series(theme, i, name, timechart::thin(points, max_points, Thin::Mean)))
        })
        .collect();
    let markers = timechart::markers(&win, data.events, app);
    let note = if totals.total() == 0 { "no errors so far" } else { "no errors in this window" };
    let chart =
        TimeChart { traces, x0: win.x0, x1: win.x1, unit: "/s", markers: &markers, empty_note: note, y_format: None };
    timechart::render(frame, inner, &chart, theme);
}

/// The first distinct failure details per tool and class: what a count alone cannot say.
fn render_details(frame: &mut Frame, area: Rect, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(DETAILS_TITLE, Source::Client, data, theme));
    let rows = data.snapshot.failures.iter().map(|f| {
        Row::new([
            Cell::from(format::truncate(&f.tool, 12)),
            Cell::from(f.class.name()),
            Cell::from(Line::from(Span::raw(format::count(f.count))).right_aligned()),
            Cell::from(f.detail.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>()),
        ])
        .style(theme.style(Slot::Text))
    });
    let widths = [Constraint::Length(12), Constraint::Length(15), Constraint::Length(7), Constraint::Min(10)];
    frame.render_widget(Table::new(rows, widths), inner);
}

fn render_target(frame: &mut Frame, area: Rect, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(TARGET_TITLE, Source::Target, data, theme));
    let Some(by_type) = common::reading(data).and_then(|r| r.errors_by_type.as_ref()) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    if by_type.is_empty() {
        common::message(frame, inner, "no errors counted", theme);
        return;
    }
    let mut list: Vec<_> = by_type.iter().collect();
    list.sort_by(|a, b| b.1.total.total_cmp(&a.1.total));
    let header = Row::new(["type", "/s", "total"]).style(theme.style(Slot::Muted));
    let rows = list.into_iter().map(|(name, c)| {
        let rate = c.rate_per_sec.map_or("…".to_string(), format::rate);
        let style =
            if c.rate_per_sec.is_some_and(|r| r > 0.0) { theme.style(Slot::Bad) } else { theme.style(Slot::Text) };
        Row::new([
            Cell::from(format::truncate(name, 14)),
            Cell::from(Line::from(Span::raw(rate)).right_aligned()),
            Cell::from(Line::from(Span::raw(format::count(c.total.max(0.0) as u64))).right_aligned()),
        ])
        .style(style)
    });
    let widths = [Constraint::Min(8), Constraint::Length(6), Constraint::Length(8)];
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn renders_client_classes_and_target_types() {
        let text = fixture::render_panel(super::render, 90, 14, false);
        assert!(text.contains("Error rate by type (5m) · client"), "{text}");
        assert!(text.contains("Errors by type · target"), "{text}");
        assert!(text.contains("upstream"), "client class in the legend:\n{text}");
        assert!(text.contains("upstream_5xx"), "target type:\n{text}");
        assert!(text.contains("Why requests failed · client"), "{text}");
        assert!(text.contains("Injected failure"), "the detail itself:\n{text}");
    }
}
