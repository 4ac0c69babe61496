//! Time charts over the selected window, with a one-line legend above and a marker row
//! below: phase boundaries and chaos events are drawn as vertical lines in the chart and
//! labelled on the marker row at the same columns.

use crate::live::LogEvent;
use crate::metrics::{SecondPoint, Series};
use crate::tui::app::{App, TimeWindow};
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

/// The part of the series inside the window, and the x range to draw.
pub struct Window<'a> {
    pub points: Vec<&'a SecondPoint>,
    pub x0: f64,
    pub x1: f64,
}

pub fn window(series: &Series, w: TimeWindow) -> Window<'_> {
    let span = w.seconds().map(f64::from);
    let (Some(first), Some(last)) = (series.first(), series.last()) else {
        return Window { points: Vec::new(), x0: 0.0, x1: span.unwrap_or(60.0) };
    };
    let end = f64::from(last.t);
    let (x0, x1) = match span {
        // A fixed window keeps its width, so a young run grows from the left.
        Some(span) => {
            let x0 = (end - span).max(0.0);
            (x0, end.max(x0 + span))
        }
        None => (f64::from(first.t), end.max(f64::from(first.t) + 1.0)),
    };
    Window { points: series.since(x0).collect(), x0, x1 }
}

/// How to merge points when there are more than the chart has columns for.
#[derive(Clone, Copy)]
pub enum Thin {
    Mean,
    Max,
}

/// At most `max` points: consecutive points are merged (mean or max), x is the last one's.
pub fn thin(points: Vec<(f64, f64)>, max: usize, how: Thin) -> Vec<(f64, f64)> {
    let max = max.max(2);
    if points.len() <= max {
        return points;
    }
    let chunk = points.len().div_ceil(max);
    points
        .chunks(chunk)
        .map(|c| {
            let x = c[c.len() - 1].0;
            let y = match how {
                Thin::Mean => c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64,
                Thin::Max => c.iter().map(|p| p.1).fold(0.0, f64::max),
            };
            (x, y)
        })
        .collect()
}

/// One line of a chart.
pub struct Trace {
    pub name: String,
    pub style: Style,
    pub marker: Marker,
    pub glyph: &'static str,
    pub points: Vec<(f64, f64)>,
}

impl Trace {
    /// Series number `i` of the theme.
    pub fn series(theme: &Theme, i: usize, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            style: theme.series_style(i),
            marker: theme.series_marker(i),
            glyph: theme.series_glyph(i),
            points,
        }
    }
}

/// Phase boundaries and chaos events inside the window.
#[derive(Debug, Default, PartialEq)]
pub struct Markers {
    pub phases: Vec<(f64, String)>,
    pub chaos: Vec<f64>,
    /// Circuit breaker transitions the target's scrapes showed.
    pub breakers: Vec<f64>,
}

pub fn markers(win: &Window, events: &[LogEvent], app: &App) -> Markers {
    let phases = win
        .points
        .windows(2)
        .filter(|w| w[0].phase != w[1].phase)
        .map(|w| {
            let idx = w[1].phase;
            let name = app.phase_names.get(&idx).cloned().unwrap_or_else(|| format!("P{}", idx + 1));
            (f64::from(w[1].t), name)
        })
        .collect();
    let inside = |e: &&LogEvent| e.t_s >= win.x0 && e.t_s <= win.x1;
    let chaos = events.iter().filter(|e| e.is_chaos_change()).filter(inside).map(|e| e.t_s).collect();
    let breakers = events
        .iter()
        .filter(|e| matches!(e.event, Some(crate::live::Event::Breaker { .. })))
        .filter(inside)
        .map(|e| e.t_s)
        .collect();
    Markers { phases, chaos, breakers }
}

pub struct TimeChart<'a> {
    pub traces: Vec<Trace>,
    pub x0: f64,
    pub x1: f64,
    /// Unit after the top y label ("/s", "ms").
    pub unit: &'a str,
    pub markers: &'a Markers,
    /// Shown on the legend row when there is no trace.
    pub empty_note: &'a str,
    /// Writes the y labels in the data's own unit (a dashboard panel's); by default rates,
    /// or milliseconds when `unit` is "ms", with `unit` after the top label.
    pub y_format: Option<&'a dyn Fn(f64) -> String>,
}

/// Draws the chart inside `area` (the block is the caller's).
pub fn render(frame: &mut Frame, area: Rect, chart: &TimeChart, theme: &Theme) {
    if area.width < 2 || area.height < 1 {
        return;
    }
    let legend_h = u16::from(area.height >= 5);
    let marker_h = u16::from(area.height >= 6);
    let [legend_area, chart_area, marker_area] =
        Layout::vertical([Constraint::Length(legend_h), Constraint::Min(1), Constraint::Length(marker_h)]).areas(area);

    if !legend_area.is_empty() {
        frame.render_widget(Paragraph::new(legend(chart, theme)), legend_area);
    }

    let x0 = chart.x0;
    let x1 = if chart.x1 > x0 { chart.x1 } else { x0 + 1.0 };
    let y_max =
        chart.traces.iter().flat_map(|t| t.points.iter().map(|p| p.1)).filter(|y| y.is_finite()).fold(0.0, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };

    // Vertical marker lines first, so the data draws over them.
    let phase_lines: Vec<[(f64, f64); 2]> =
        chart.markers.phases.iter().map(|(x, _)| [(*x, 0.0), (*x, y_top)]).collect();
    let chaos_lines: Vec<[(f64, f64); 2]> = chart.markers.chaos.iter().map(|x| [(*x, 0.0), (*x, y_top)]).collect();
    let breaker_lines: Vec<[(f64, f64); 2]> = chart.markers.breakers.iter().map(|x| [(*x, 0.0), (*x, y_top)]).collect();
    let marker_kind = if theme.monochrome { Marker::Custom('┊') } else { Marker::Braille };
    let mut datasets: Vec<Dataset> = Vec::new();
    for (lines, slot) in [(&phase_lines, Slot::Muted), (&breaker_lines, Slot::Bad), (&chaos_lines, Slot::Warn)] {
        for line in lines.iter() {
            datasets.push(
                Dataset::default()
                    .data(&line[..])
                    .graph_type(GraphType::Line)
                    .marker(marker_kind)
                    .style(theme.style(slot)),
            );
        }
    }
    for t in &chart.traces {
        datasets.push(Dataset::default().data(&t.points).graph_type(GraphType::Line).marker(t.marker).style(t.style));
    }

    let y_labels = match chart.y_format {
        Some(f) => vec![f(0.0), f(y_top / 2.0), f(y_top)],
        None => y_labels(y_top, chart.unit),
    };
    let x_labels = [format::clock(x0), format::clock(x1)];
    let axis_style = theme.style(Slot::Muted);
    let widget = Chart::new(datasets)
        .style(theme.base())
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels(x_labels.iter().map(|s| Span::styled(s.clone(), axis_style)))
                .style(axis_style),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_top])
                .labels(y_labels.iter().map(|s| Span::styled(s.clone(), axis_style)))
                .style(axis_style),
        );
    frame.render_widget(widget, chart_area);

    if !marker_area.is_empty() {
        let offset = graph_offset(chart_area.width, &y_labels, &x_labels[0]);
        let graph_w = chart_area.width.saturating_sub(offset);
        render_marker_row(frame, marker_area, offset, graph_w, x0, x1, chart.markers, theme);
    }
}

fn legend<'a>(chart: &TimeChart, theme: &Theme) -> Line<'a> {
    if chart.traces.is_empty() {
        return Line::from(Span::styled(chart.empty_note.to_string(), theme.style(Slot::Muted)));
    }
    let mut spans = Vec::new();
    for t in &chart.traces {
        spans.push(Span::styled(format!("{} ", t.glyph), t.style));
        spans.push(Span::styled(format!("{}  ", t.name), theme.style(Slot::Text)));
    }
    Line::from(spans)
}

fn y_labels(top: f64, unit: &str) -> Vec<String> {
    let fmt = |v: f64| {
        if unit == "ms" {
            format::ms(v)
        } else {
            format::rate(v)
        }
    };
    vec!["0".to_string(), fmt(top / 2.0), format!("{}{unit}", fmt(top))]
}

/// Columns left of the graph, as ratatui's `Chart` lays them out: the widest y label (or the
/// first x label, which may reach left of the axis), at most a third of the width, plus the
/// axis line.
fn graph_offset(width: u16, y_labels: &[String], first_x_label: &str) -> u16 {
    let widest_y = y_labels.iter().map(|l| Span::raw(l.as_str()).width()).max().unwrap_or(0) as u16;
    let x_left = (Span::raw(first_x_label).width() as u16).saturating_sub(1);
    let labels = widest_y.max(x_left).min(width / 3);
    let axis = u16::from(labels + 1 < width);
    labels + axis
}

/// Column of `x` inside a graph `graph_w` cells wide (braille resolution, as the canvas).
fn column(x: f64, x0: f64, x1: f64, graph_w: u16) -> Option<u16> {
    if graph_w == 0 || !(x0..=x1).contains(&x) || x1 <= x0 {
        return None;
    }
    let dots = f64::from(graph_w) * 2.0 - 1.0;
    let col = (((x - x0) / (x1 - x0)) * dots) as u16 / 2;
    Some(col.min(graph_w - 1))
}

#[allow(clippy::too_many_arguments)]
fn render_marker_row(
    frame: &mut Frame,
    row: Rect,
    offset: u16,
    graph_w: u16,
    x0: f64,
    x1: f64,
    markers: &Markers,
    theme: &Theme,
) {
    let graph_left = row.x.saturating_add(offset);
    let right = row.right();
    let buf = frame.buffer_mut();
    let mut put = |x: f64, text: &str, style: Style| {
        if let Some(col) = column(x, x0, x1, graph_w) {
            let at = graph_left.saturating_add(col);
            if at < right {
                buf.set_stringn(at, row.y, text, usize::from(right - at), style);
            }
        }
    };
    for (x, name) in &markers.phases {
        put(*x, &format!("│{name}"), theme.style(Slot::Muted));
    }
    for x in &markers.breakers {
        put(*x, "▲", theme.style(Slot::Bad));
    }
    // Chaos last: an injection matters more than a phase label it may cover.
    for x in &markers.chaos {
        put(*x, "◆", theme.style(Slot::Warn));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    #[test]
    fn windows_cut_the_series() {
        let snap = fixture::snapshot();
        let series = &snap.series;
        let last = f64::from(series.last().unwrap().t);
        let w = window(series, TimeWindow::OneMinute);
        assert_eq!((w.x0, w.x1), (last - 60.0, last));
        assert!(w.points.iter().all(|p| f64::from(p.t) >= w.x0));
        assert_eq!(w.points.len(), 61);
        let w = window(series, TimeWindow::FiveMinutes);
        assert_eq!((w.x0, w.x1), (0.0, 300.0), "a young run grows from the left");
        assert_eq!(w.points.len(), series.len());
        let w = window(series, TimeWindow::WholeRun);
        assert_eq!((w.x0, w.x1), (0.0, last));
        let empty = Series::default();
        let w = window(&empty, TimeWindow::WholeRun);
        assert!(w.points.is_empty() && w.x1 > w.x0);
    }

    #[test]
    fn thinning_keeps_shape() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (f64::from(i), f64::from(i % 10))).collect();
        let t = thin(pts.clone(), 10, Thin::Max);
        assert_eq!(t.len(), 10);
        assert!(t.iter().all(|p| p.1 == 9.0));
        assert_eq!(t.last().unwrap().0, 99.0);
        assert_eq!(thin(pts.clone(), 200, Thin::Mean).len(), 100);
        let m = thin(pts, 10, Thin::Mean);
        assert!(m.iter().all(|p| (p.1 - 4.5).abs() < 1e-9));
    }

    #[test]
    fn markers_from_phases_and_chaos_events() {
        let snap = fixture::snapshot();
        let mut app = fixture::app();
        app.phase_names.insert(2, "soak".into());
        let w = window(&snap.series, TimeWindow::WholeRun);
        let m = markers(&w, &fixture::events(), &app);
        assert_eq!(m.phases, vec![(30.0, "spike".to_string()), (60.0, "soak".to_string())]);
        assert_eq!(m.chaos, vec![45.0]);
        app.phase_names.clear();
        let m = markers(&w, &[], &app);
        assert_eq!(m.phases[0].1, "P2", "unknown names fall back to the number");
    }

    #[test]
    fn columns_stay_inside_the_graph() {
        assert_eq!(column(0.0, 0.0, 10.0, 20), Some(0));
        assert_eq!(column(10.0, 0.0, 10.0, 20), Some(19));
        assert_eq!(column(5.0, 0.0, 10.0, 20), Some(9));
        assert_eq!(column(11.0, 0.0, 10.0, 20), None);
        assert_eq!(column(5.0, 0.0, 10.0, 0), None);
        assert_eq!(graph_offset(60, &["0".into(), "50".into(), "100/s".into()], "0:00"), 6);
        assert_eq!(graph_offset(3, &["100/s".into()], "0:00"), 2, "labels capped at a third");
    }
}
