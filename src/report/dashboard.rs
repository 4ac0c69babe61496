//! `--dashboard` in the report: the dashboard's panels as the run saw them — each
//! time-series panel's series on the run clock (charted beside proofdeck's own), the other
//! panels' last values, and every query's expression or the reason it gave nothing.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::svg_chart::{render, Chart, Series};
use super::RunReport;
use crate::dashboard::history::{DashboardView, SeriesHistory};
use crate::dashboard::{units, PanelKind};
use crate::util::md_cell;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DashboardReport {
    pub title: String,
    pub panels: Vec<PanelReport>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PanelReport {
    pub title: String,
    /// Grafana's panel type (`graph`, `stat`, …).
    pub panel_type: String,
    pub time_series: bool,
    pub unit: Option<String>,
    /// The expressions as evaluated (variables filled in).
    pub exprs: Vec<String>,
    /// Why the panel or one of its queries gave nothing, or why its values cover less than
    /// its window (warming up, a window past what the store keeps).
    pub problems: Vec<String>,
    /// Time-series panels: every series over the run (seconds on the run clock, value).
    pub series: Vec<SeriesReport>,
    /// The last value of every series, as text in the panel's unit (value mappings applied).
    pub last: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesReport {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl DashboardReport {
    pub fn from_view(view: &DashboardView) -> Self {
        let panels = view
            .panels
            .iter()
            .map(|p| {
                let mut problems: Vec<String> = p.panel.skip.iter().cloned().collect();
                if p.panel.skip.is_none() {
                    problems.extend(p.query_errors());
                }
                if let Some(note) = &p.note {
                    problems.push(note.clone());
                }
                if p.series_left_out > 0 {
                    problems.push(format!("{} more series left out (at most 64 per panel)", p.series_left_out));
                }
                let last = p
                    .latest
                    .iter()
                    .flatten()
                    .flatten()
                    .map(|s| (s.name.clone(), units::display(&p.panel, s.value)))
                    .collect();
                PanelReport {
                    title: p.panel.title.clone(),
                    panel_type: p.panel.type_name.clone(),
                    time_series: p.panel.kind == Some(PanelKind::TimeSeries),
                    unit: p.panel.unit.clone(),
                    exprs: p.exprs.clone(),
                    problems,
                    series: p.history.iter().map(series).collect(),
                    last,
                }
            })
            .collect();
        Self { title: view.title.clone(), panels }
    }
}

fn series(h: &SeriesHistory) -> SeriesReport {
    // JSON has no NaN: a point without a value is left out of the chart anyway.
    SeriesReport { name: h.name.clone(), points: h.points.iter().copied().filter(|p| p.1.is_finite()).collect() }
}

/// The file a time-series panel's chart goes to.
pub fn chart_file(index: usize) -> String {
    format!("dashboard-{}.svg", index + 1)
}

pub fn charts(r: &RunReport, palette: &[&str], markers: &[super::svg_chart::Marker]) -> Vec<(String, String)> {
    let Some(d) = &r.dashboard else { return Vec::new() };
    d.panels
        .iter()
        .enumerate()
        .filter(|(_, p)| p.time_series && !p.series.is_empty())
        .map(|(i, p)| {
            let chart = Chart {
                title: format!("{} (target, from /metrics)", p.title),
                y_unit: p.unit.clone().unwrap_or_default(),
                series: p
                    .series
                    .iter()
                    .enumerate()
                    .map(|(j, s)| Series {
                        name: s.name.clone(),
                        points: s.points.clone(),
                        color: palette[j % palette.len()].into(),
                    })
                    .collect(),
                markers: markers.to_vec(),
                ..Default::default()
            };
            (chart_file(i), render(&chart, 960, 320))
        })
        .collect()
}

pub fn markdown(r: &RunReport, o: &mut String) {
    let Some(d) = &r.dashboard else { return };
    let _ = writeln!(o, "## Dashboard: {}", md_cell(&d.title));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Every panel evaluated by proofdeck's PromQL evaluator on its own scrapes of the target's `/metrics` \
         (no Prometheus server): values are the target's, marked `target`."
    );
    let _ = writeln!(o);
    for (i, p) in d.panels.iter().enumerate() {
        let _ = writeln!(o, "### {} · target", md_cell(&p.title));
        let _ = writeln!(o);
        for e in &p.exprs {
            let _ = writeln!(o, "- `{}`", e.replace('`', "'"));
        }
        for problem in &p.problems {
            let _ = writeln!(o, "- note: {}", md_cell(problem));
        }
        let _ = writeln!(o);
        if p.time_series && !p.series.is_empty() {
            let _ = writeln!(o, "![{}]({})", md_cell(&p.title), chart_file(i));
            let _ = writeln!(o);
        } else if !p.last.is_empty() {
            let _ = writeln!(o, "| series | last value |");
            let _ = writeln!(o, "|---|---|");
            for (name, value) in &p.last {
                let _ = writeln!(o, "| {} | {} |", md_cell(name), md_cell(value));
            }
            let _ = writeln!(o);
        } else if p.problems.is_empty() {
            let _ = writeln!(o, "No series.");
            let _ = writeln!(o);
        }
    }
}
