//! A dashboard compiled for evaluation: each panel's queries expanded and parsed once, and
//! their values at an instant.

use std::time::Duration;

use super::model::{Dashboard, Panel, Target};
use super::template::{expand, Timing};
use crate::promql::value::{display_labels, Labels};
use crate::promql::{Evaluator, Query, SeriesStore, Value};

#[derive(Clone, Debug)]
pub struct CompiledQuery {
    pub target: Target,
    /// The expression with the dashboard's variables filled in.
    pub expanded: String,
    pub query: Result<Query, String>,
}

#[derive(Clone, Debug)]
pub struct CompiledPanel {
    pub panel: Panel,
    pub queries: Vec<CompiledQuery>,
}

impl CompiledPanel {
    /// The longest stretch of past samples the panel's queries read.
    pub fn reach(&self) -> Duration {
        self.queries.iter().filter_map(|q| q.query.as_ref().ok()).map(Query::reach).max().unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub struct Compiled {
    pub title: String,
    pub panels: Vec<CompiledPanel>,
    pub timing: Timing,
}

/// One series of a query's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesValue {
    /// The legend, as Grafana would print it.
    pub name: String,
    /// The series' labels as Prometheus prints them: what tells two series apart.
    pub key: String,
    pub value: f64,
}

/// A query's value at one instant, or why it has none.
pub type QueryResult = Result<Vec<SeriesValue>, String>;

impl Compiled {
    pub fn new(dashboard: Dashboard, timing: Timing) -> Self {
        let panels = dashboard
            .panels
            .into_iter()
            .map(|panel| {
                let queries = panel
                    .targets
                    .iter()
                    .map(|t| {
                        let expanded = expand(&t.expr, &dashboard.variables, &timing);
                        let query = Query::parse(&expanded).map_err(|e| e.to_string());
                        CompiledQuery { target: t.clone(), expanded, query }
                    })
                    .collect();
                CompiledPanel { panel, queries }
            })
            .collect();
        Self { title: dashboard.title, panels, timing }
    }

    /// How far back the store must keep samples for every query that will be evaluated (at
    /// least two scrapes).
    pub fn reach(&self) -> Duration {
        self.panels
            .iter()
            .filter(|p| p.panel.skip.is_none())
            .map(CompiledPanel::reach)
            .max()
            .unwrap_or_default()
            .max(self.timing.scrape_interval * 2)
    }

    /// Every panel's queries at `at_ms`: one result per query, in the panel's order. `live`:
    /// the store holds only what this run scraped, and windows reaching further back are cut
    /// to it (see [`Evaluator::live`]).
    pub fn evaluate(&self, store: &SeriesStore, at_ms: i64, live: bool) -> Vec<Vec<QueryResult>> {
        let ev = if live { Evaluator::live(store) } else { Evaluator::new(store) };
        self.panels
            .iter()
            .map(|p| {
                if let Some(skip) = &p.panel.skip {
                    return vec![Err(skip.clone())];
                }
                p.queries.iter().map(|q| evaluate_query(&ev, q, at_ms)).collect()
            })
            .collect()
    }
}

fn evaluate_query(ev: &Evaluator, q: &CompiledQuery, at_ms: i64) -> QueryResult {
    let query = q.query.as_ref().map_err(Clone::clone)?;
    match ev.eval(&query.expr, at_ms).map_err(|e| e.to_string())? {
        Value::Scalar(v) => Ok(vec![SeriesValue {
            name: legend(&q.target.legend, &Labels::new(), &q.expanded),
            key: String::new(),
            value: v,
        }]),
        Value::Vector(samples) => {
            let mut out: Vec<SeriesValue> = samples
                .iter()
                .map(|s| SeriesValue {
                    name: legend(&q.target.legend, &s.labels, &q.expanded),
                    key: display_labels(&s.labels),
                    value: s.value,
                })
                .collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        }
        other => Err(format!("a {} cannot be drawn", other.kind())),
    }
}

/// Grafana's legend: `{{label}}` filled from the series, or the label set when empty.
pub fn legend(format: &str, labels: &Labels, expr: &str) -> String {
    if format.trim().is_empty() || format == "__auto" {
        return if labels.is_empty() { expr.to_string() } else { display_labels(labels) };
    }
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            rest = &rest[start..];
            break;
        };
        let name = rest[start + 2..start + end].trim();
        out.push_str(labels.get(name).map(String::as_str).unwrap_or(""));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends_fill_labels_and_fall_back_to_the_label_set() {
        let labels: Labels =
            [("tool", "serpapi"), ("action", "search")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(legend("{{tool}} - {{ action }}", &labels, "x"), "serpapi - search");
        assert_eq!(legend("{{missing}}!", &labels, "x"), "!");
        assert_eq!(legend("", &labels, "x"), "{action=\"search\", tool=\"serpapi\"}");
        assert_eq!(legend("__auto", &Labels::new(), "sum(x)"), "sum(x)");
        assert_eq!(legend("{{tool", &labels, "x"), "{{tool");
    }
}
