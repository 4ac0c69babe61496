//! One dashboard panel drawn by its Grafana type: time series as a chart with its legend,
//! stat as values, gauge and bar gauge as bars against min and max, table as rows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, LineGauge, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::dashboard::history::PanelView;
use crate::dashboard::units::{self, Level};
use crate::dashboard::{PanelKind, SeriesValue};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::panels::common::{self, Source};
use crate::tui::panels::timechart::{self, Thin, TimeChart, Trace};
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;

pub fn render(frame: &mut Frame, area: Rect, view: &PanelView, app: &App, data: &ViewData, theme: &Theme) {
    if area.width < 2 || area.height < 2 {
        return;
    }
    let mut block = common::block(&view.panel.title, Source::Target, data, theme);
    if let Some(note) = &view.note {
        block = block.title_bottom(Line::from(Span::styled(format!(" {note} "), theme.style(Slot::Muted))));
    }
    let inner = common::framed(frame, area, block);
    if let Some(skip) = &view.panel.skip {
        return wrapped(frame, inner, skip, theme);
    }
    let values: Vec<&SeriesValue> = view.latest.iter().flatten().flatten().collect();
    let errors = view.query_errors();
    if view.latest.is_empty() {
        return common::message(frame, inner, common::no_target_data(data), theme);
    }
    // A query that failed says why on the panel's last line; the others still draw.
    let body = if errors.is_empty() {
        inner
    } else if values.is_empty() && view.history.is_empty() {
        return wrapped(frame, inner, &errors.join("; "), theme);
    } else {
        let [body, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        common::message(frame, note, &errors.join("; "), theme);
        body
    };
    match view.panel.kind {
        Some(PanelKind::TimeSeries) => chart(frame, body, view, app, data, theme),
        Some(PanelKind::Stat) => stat(frame, body, view, &values, theme),
        Some(PanelKind::Gauge | PanelKind::BarGauge) => gauges(frame, body, view, &values, theme),
        Some(PanelKind::Table) | None => table(frame, body, view, &values, theme),
    }
}

fn wrapped(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Span::styled(text.to_string(), theme.style(Slot::Muted))).wrap(Wrap { trim: true }),
        area,
    );
}

fn slot(level: Level) -> Slot {
    match level {
        Level::Ok => Slot::Ok,
        Level::Warn => Slot::Warn,
        Level::Bad => Slot::Bad,
        Level::Neutral => Slot::Text,
    }
}

fn chart(frame: &mut Frame, area: Rect, view: &PanelView, app: &App, data: &ViewData, theme: &Theme) {
    // The client's own window sets the x range and the phase and chaos markers.
    let win = timechart::window(&data.snapshot.series, app.window);
    let markers = timechart::markers(&win, data.events, app);
    let x0 = win.x0;
    let max_points = usize::from(area.width) * 2;
    let traces: Vec<Trace> = view
        .history
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let points: Vec<(f64, f64)> = s.points.iter().copied().filter(|(t, v)| *t >= x0 && v.is_finite()).collect();
            Trace::series(theme, i, s.name.clone(), timechart::thin(points, max_points, Thin::Mean))
        })
        .filter(|t| !t.points.is_empty())
        .collect();
    let unit = view.panel.unit.clone();
    let format = move |v: f64| units::format(v, unit.as_deref(), None);
    let chart = TimeChart {
        traces,
        x0,
        x1: win.x1,
        unit: "",
        markers: &markers,
        empty_note: "no series in this window",
        y_format: Some(&format),
    };
    timechart::render(frame, area, &chart, theme);
}

fn stat(frame: &mut Frame, area: Rect, view: &PanelView, values: &[&SeriesValue], theme: &Theme) {
    if values.is_empty() {
        return common::message(frame, area, "no series", theme);
    }
    let name_w = values.iter().map(|v| v.name.chars().count()).max().unwrap_or(0).min(usize::from(area.width) / 2);
    let lines: Vec<Line> = values
        .iter()
        .map(|v| {
            let text = units::display(&view.panel, v.value);
            let style = theme.style(slot(units::level(&view.panel, v.value)));
            if values.len() == 1 {
                Line::from(Span::styled(text, style)).centered()
            } else {
                Line::from(vec![
                    Span::styled(format!("{:<name_w$} ", format::truncate(&v.name, name_w)), theme.style(Slot::Muted)),
                    Span::styled(text, style),
                ])
            }
        })
        .collect();
    let top = if values.len() == 1 { area.height.saturating_sub(1) / 2 } else { 0 };
    let [_, rest] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(lines), rest);
}

fn gauges(frame: &mut Frame, area: Rect, view: &PanelView, values: &[&SeriesValue], theme: &Theme) {
    if values.is_empty() {
        return common::message(frame, area, "no series", theme);
    }
    // Without a max, a gauge reads 0–100 as Grafana's does; bars share the largest value.
    let largest = values.iter().map(|v| v.value).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let default_max = if view.panel.kind == Some(PanelKind::BarGauge) && largest > 0.0 { largest } else { 100.0 };
    let (min, max) = (view.panel.min.unwrap_or(0.0), view.panel.max.unwrap_or(default_max));
    let values = &values[..values.len().min(usize::from(area.height))];
    let rows = Layout::vertical(vec![Constraint::Length(1); values.len()]).split(area);
    for (v, row) in values.iter().zip(rows.iter()) {
        let ratio = if max > min { ((v.value - min) / (max - min)).clamp(0.0, 1.0) } else { 0.0 };
        let ratio = if ratio.is_finite() { ratio } else { 0.0 };
        let style = theme.style(slot(units::level(&view.panel, v.value)));
        let label = if values.len() == 1 {
            units::display(&view.panel, v.value)
        } else {
            format!(
                "{} {}",
                format::truncate(&v.name, usize::from(row.width) / 3),
                units::display(&view.panel, v.value)
            )
        };
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(Span::styled(label, style))
            .filled_style(style)
            .unfilled_style(theme.style(Slot::Border));
        frame.render_widget(gauge, *row);
    }
}

fn table(frame: &mut Frame, area: Rect, view: &PanelView, values: &[&SeriesValue], theme: &Theme) {
    if values.is_empty() {
        return common::message(frame, area, "no series", theme);
    }
    let rows = values.iter().map(|v| {
        Row::new(vec![
            Cell::from(v.name.clone()).style(theme.style(Slot::Text)),
            Cell::from(units::display(&view.panel, v.value))
                .style(theme.style(slot(units::level(&view.panel, v.value)))),
        ])
    });
    frame.render_widget(Table::new(rows, [Constraint::Min(1), Constraint::Length(12)]), area);
}
