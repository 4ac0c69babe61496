//! Latency: p50/p95/p99 per second (client, from the intended start), a per-tool table with
//! service time beside it, and the target's own percentiles when it exports a histogram.

use super::common::{self, Source};
use super::timechart::{self, Thin, TimeChart, Trace};
use crate::metrics::Quantiles;
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

pub const TITLE: &str = "Latency p50/p95/p99";
pub const TABLE_TITLE: &str = "Latency by tool";
pub const TARGET_TITLE: &str = "Latency";

const CHART_MIN: u16 = 6;
const TARGET_H: u16 = 3;

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let fast_fail = u16::from(data.snapshot.fast_fail.count > 0);
    let table_h = data.snapshot.tools.len() as u16 + 3 + fast_fail;
    let (table_h, target_h) = if area.height >= CHART_MIN + table_h + TARGET_H {
        (table_h, TARGET_H)
    } else if area.height >= CHART_MIN + table_h {
        (table_h, 0)
    } else if area.height >= CHART_MIN + 4 {
        // Not room for every tool: the table scrolls nothing, it shows what fits.
        (area.height - CHART_MIN, 0)
    } else {
        (0, 0)
    };
    let [chart_area, table_area, target_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(table_h), Constraint::Length(target_h)]).areas(area);
    render_chart(frame, chart_area, app, data, theme);
    if !table_area.is_empty() {
        render_table(frame, table_area, app, data, theme);
    }
    if !target_area.is_empty() {
        render_target(frame, target_area, data, theme);
    }
}

fn render_chart(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let title = format!("{TITLE} ({})", app.window.label());
    let inner = common::framed(frame, area, common::block(&title, Source::Client, data, theme));
    let win = timechart::window(&data.snapshot.series, app.window);
    let max_points = usize::from(inner.width) * 2;
    // Seconds without completions have no percentiles; leave them out rather than draw 0 ms.
    let pick = |f: fn(&crate::metrics::SecondPoint) -> f64| -> Vec<(f64, f64)> {
        let pts = win.points.iter().filter(|p| p.completed > 0).map(|p| (f64::from(p.t), f(p))).collect();
        timechart::thin(pts, max_points, Thin::Max)
    };
    let mut traces: Vec<Trace> =
        [("p50", pick(|p| p.p50_ms)), ("p95", pick(|p| p.p95_ms)), ("p99", pick(|p| p.p99_ms))]
            .into_iter()
            .enumerate()
            .filter(|(_, (_, pts))| !pts.is_empty())
            .map(|(i, (name, pts))| Trace::series(theme, i, name, pts))
            .collect();
    if let Some(base) = data.baseline {
        let pts = base.aligned(&win.points, |p| (p.completed > 0).then_some(p.p99_ms));
        let pts: Vec<(f64, f64)> = pts.into_iter().filter(|(x, _)| *x >= win.x0 && *x <= win.x1).collect();
        if !pts.is_empty() {
            // Under the live lines.
            let trace =
                baseline_trace(theme, format!("{} p99", base.name), timechart::thin(pts, max_points, Thin::Max));
            traces.insert(0, trace);
        }
    }
    // The target's own p99 beside the client's: the gap is what lies between them.
    let (target, gap) = target_and_gap(&win, &data.target.target_p99_ms);
    if !target.is_empty() {
        traces.push(Trace::series(theme, 3, "target p99", timechart::thin(target, max_points, Thin::Max)));
        traces.push(Trace::series(theme, 4, "gap", timechart::thin(gap, max_points, Thin::Max)));
    }
    let markers = timechart::markers(&win, data.events, app);
    let chart = TimeChart {
        traces,
        x0: win.x0,
        x1: win.x1,
        unit: "ms",
        markers: &markers,
        empty_note: "no completed requests in this window",
        y_format: None,
    };
    timechart::render(frame, inner, &chart, theme);
}

type Points = Vec<(f64, f64)>;

/// A finished run's line: muted, under the live ones.
pub fn baseline_trace(theme: &Theme, name: String, points: Points) -> Trace {
    Trace {
        name: format!("baseline {}", format::truncate(&name, 24)),
        style: theme.style(Slot::Muted),
        marker: ratatui::symbols::Marker::Dot,
        glyph: "·",
        points,
    }
}

/// The target's p99 inside the window, and the client's p99 minus it: each target point is
/// one scrape window (2 s) and meets the client's p99 of the second it ended in.
pub fn target_and_gap(win: &timechart::Window, target_p99: &[(f64, f64)]) -> (Points, Points) {
    let target: Vec<(f64, f64)> = target_p99.iter().copied().filter(|(t, _)| *t >= win.x0 && *t <= win.x1).collect();
    let gap = target
        .iter()
        .filter_map(|&(t, p99)| {
            let second = t.floor() as u32;
            // The window's points are in time order: the last second at or before this one.
            let upto = win.points.partition_point(|p| p.t <= second);
            let client = win.points[..upto].iter().rev().take(3).find(|p| p.completed > 0)?;
            (second - client.t <= 2).then_some((t, (client.p99_ms - p99).max(0.0)))
        })
        .collect();
    (target, gap)
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(TABLE_TITLE, Source::Client, data, theme));
    let header = Row::new(["tool", "p50", "p95", "p99", "max", "svc p99", "n"]).style(theme.style(Slot::Muted));
    let mut rows: Vec<Row> = data
        .snapshot
        .tools
        .iter()
        .map(|t| {
            let style = if app.selected_tool() == Some(t.name.as_str()) {
                theme.style(Slot::Highlight)
            } else {
                theme.style(Slot::Text)
            };
            quantile_row(&t.name, &t.latency, t.service.p99_ms, t.service.count, style)
        })
        .collect();
    let ff = &data.snapshot.fast_fail;
    if ff.count > 0 {
        // Answers an open breaker gave: their service time is the fast-fail KPI's evidence.
        rows.push(quantile_row("fast-fail", ff, ff.p99_ms, ff.count, theme.style(Slot::Muted)));
    }
    let widths = [
        Constraint::Min(8),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(8),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}

fn quantile_row<'a>(name: &str, q: &Quantiles, svc_p99: f64, n: u64, style: Style) -> Row<'a> {
    let num = |v: f64| {
        let text = if q.count == 0 { "–".to_string() } else { format::ms(v) };
        Cell::from(Line::from(Span::raw(text)).right_aligned())
    };
    Row::new([
        Cell::from(format::truncate(name, 14)),
        num(q.p50_ms),
        num(q.p95_ms),
        num(q.p99_ms),
        num(q.max_ms),
        num(svc_p99),
        Cell::from(Line::from(Span::raw(format::count(n))).right_aligned()),
    ])
    .style(style)
}

fn render_target(frame: &mut Frame, area: Rect, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(TARGET_TITLE, Source::Target, data, theme));
    let Some(lat) = common::reading(data).and_then(|r| r.latency.as_ref()) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    let v = |x: Option<f64>| x.map_or("–".to_string(), format::ms);
    let line = Line::from(vec![
        Span::styled("p50 ", theme.style(Slot::Muted)),
        Span::styled(v(lat.p50_ms), theme.style(Slot::Text)),
        Span::styled("  p95 ", theme.style(Slot::Muted)),
        Span::styled(v(lat.p95_ms), theme.style(Slot::Text)),
        Span::styled("  p99 ", theme.style(Slot::Muted)),
        Span::styled(v(lat.p99_ms), theme.style(Slot::Accent)),
        Span::styled(format!(" ms  ({} obs.)", format::count(lat.count.max(0.0) as u64)), theme.style(Slot::Muted)),
    ]);
    frame.render_widget(Paragraph::new(line), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn renders_chart_table_and_target() {
        let text = fixture::render_panel(super::render, 70, 22, false);
        assert!(text.contains("Latency p50/p95/p99 (5m) · client"), "{text}");
        assert!(text.contains("Latency by tool · client"), "{text}");
        assert!(text.contains("Latency · target"), "{text}");
        for word in ["p99", "svc p99", "serpapi", "http_fetch", "openai", "fast-fail"] {
            assert!(text.contains(word), "{word}:\n{text}");
        }
        assert!(text.contains("180"), "serpapi p99 in the table:\n{text}");
    }

    #[test]
    fn small_areas_drop_parts_but_keep_the_chart() {
        let text = fixture::render_panel(super::render, 40, 8, false);
        assert!(text.contains("Latency p50/p95/p99"), "{text}");
        assert!(!text.contains("Latency by tool"), "{text}");
    }
}
