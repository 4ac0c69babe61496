//! A Grafana dashboard's JSON, read leniently: panels (nested in rows or not), their
//! queries, units, thresholds and value mappings, and template variables.

use std::path::Path;

use serde_json::Value as Json;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("{path}: cannot read: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: not a JSON dashboard: {reason}")]
    NotJson { path: String, line: usize, column: usize, reason: String },
    #[error("{path}: {reason}")]
    NotADashboard { path: String, reason: String },
}

/// How a panel is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    /// `timeseries` and the legacy `graph`.
    TimeSeries,
    /// `stat` and the legacy `singlestat`.
    Stat,
    Gauge,
    /// `bargauge` and `piechart`: one bar per series.
    BarGauge,
    Table,
}

impl PanelKind {
    fn from_type(t: &str) -> Option<Self> {
        Some(match t {
            "timeseries" | "graph" => Self::TimeSeries,
            "stat" | "singlestat" => Self::Stat,
            "gauge" => Self::Gauge,
            "bargauge" | "piechart" => Self::BarGauge,
            "table" | "table-old" => Self::Table,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub ref_id: String,
    pub expr: String,
    /// Grafana's `legendFormat`: `{{label}}` placeholders, empty or `__auto` for the labels.
    pub legend: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// `None` is Grafana's base step (-∞).
    pub value: Option<f64>,
    pub color: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub title: String,
    /// The type as Grafana names it (`graph`, `stat`, …).
    pub type_name: String,
    /// How proofdeck draws it; `None` with `skip` saying why.
    pub kind: Option<PanelKind>,
    /// Why the panel cannot be evaluated (unknown type, datasource that is not Prometheus).
    pub skip: Option<String>,
    pub targets: Vec<Target>,
    pub unit: Option<String>,
    pub decimals: Option<u32>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub thresholds: Vec<Threshold>,
    /// Exact-value mappings: `0 → CLOSED`.
    pub mappings: Vec<(f64, String)>,
    /// Grafana's 24-column grid: x, y, w, h.
    pub grid: (u32, u32, u32, u32),
    /// The row the panel sits under, if any.
    pub row: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    pub title: String,
    pub panels: Vec<Panel>,
    pub variables: Vec<Variable>,
}

pub fn load(path: &Path) -> Result<Dashboard, DashboardError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| DashboardError::Unreadable { path: shown.clone(), source })?;
    parse(&shown, &text)
}

pub fn parse(path: &str, text: &str) -> Result<Dashboard, DashboardError> {
    let json: Json = serde_json::from_str(text).map_err(|e| DashboardError::NotJson {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
    })?;
    let not = |reason: &str| DashboardError::NotADashboard { path: path.into(), reason: reason.into() };
    // An export from the API wraps the dashboard in {"dashboard": …, "meta": …}.
    let dash = json.get("dashboard").filter(|d| d.is_object()).unwrap_or(&json);
    if !dash.is_object() {
        return Err(not("the top level is not an object"));
    }
    let default_datasource = dash.get("datasource");
    let mut panels = Vec::new();
    let mut row: Option<String> = None;
    for p in dash.get("panels").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default() {
        if str_of(p, "type") == "row" {
            row = Some(str_of(p, "title").to_string());
            // A collapsed row holds its panels inside it.
            for inner in p.get("panels").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default() {
                panels.push(panel(inner, row.clone(), default_datasource));
            }
            continue;
        }
        panels.push(panel(p, row.clone(), default_datasource));
    }
    // Dashboards from before rows were panels keep them in `rows[].panels`.
    for r in dash.get("rows").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default() {
        let title = Some(str_of(r, "title").to_string()).filter(|t| !t.is_empty());
        for p in r.get("panels").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default() {
            panels.push(panel(p, title.clone(), default_datasource));
        }
    }
    if panels.is_empty() {
        return Err(not("it has no panels"));
    }
    Ok(Dashboard { title: str_of(dash, "title").to_string(), panels, variables: variables(dash) })
}

fn str_of<'a>(j: &'a Json, key: &str) -> &'a str {
    j.get(key).and_then(Json::as_str).unwrap_or("")
}

fn f64_of(j: Option<&Json>) -> Option<f64> {
    match j? {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn panel(p: &Json, row: Option<String>, default_datasource: Option<&Json>) -> Panel {
    let type_name = str_of(p, "type").to_string();
    let kind = PanelKind::from_type(&type_name);
    let defaults = p.pointer("/fieldConfig/defaults");
    let field = |key: &str| defaults.and_then(|d| d.get(key));
    let targets: Vec<Target> = p
        .get("targets")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|t| !t.get("hide").and_then(Json::as_bool).unwrap_or(false))
        .filter_map(|t| {
            let expr = t.get("expr").and_then(Json::as_str)?.trim();
            (!expr.is_empty()).then(|| Target {
                ref_id: str_of(t, "refId").to_string(),
                expr: expr.to_string(),
                legend: str_of(t, "legendFormat").to_string(),
            })
        })
        .collect();
    let datasource = p.get("datasource").filter(|d| !d.is_null()).or(default_datasource);
    let skip = if kind.is_none() {
        Some(format!("panel type {type_name:?} is not drawn"))
    } else if let Some(other) = datasource.and_then(non_prometheus) {
        Some(format!("datasource {other} is not Prometheus"))
    } else if targets.is_empty() {
        Some("no PromQL query".to_string())
    } else {
        None
    };
    let grid = p.get("gridPos");
    let g =
        |k: &str, d: u32| grid.and_then(|g| g.get(k)).and_then(Json::as_u64).map(|v| v.min(1000) as u32).unwrap_or(d);
    Panel {
        title: str_of(p, "title").to_string(),
        type_name,
        kind,
        skip,
        targets,
        unit: field("unit")
            .and_then(Json::as_str)
            .or_else(|| p.get("format").and_then(Json::as_str))
            .map(str::to_string),
        decimals: field("decimals").or_else(|| p.get("decimals")).and_then(Json::as_u64).map(|d| d.min(10) as u32),
        min: f64_of(field("min")),
        max: f64_of(field("max")),
        thresholds: thresholds(field("thresholds")),
        mappings: mappings(field("mappings")),
        grid: (g("x", 0), g("y", 0), g("w", 12).max(1), g("h", 8).max(1)),
        row,
    }
}

/// The datasource's name or type when it is known not to be Prometheus.
fn non_prometheus(ds: &Json) -> Option<String> {
    let (kind, name) = match ds {
        Json::String(s) => ("", s.as_str()),
        Json::Object(_) => (str_of(ds, "type"), str_of(ds, "uid")),
        _ => return None,
    };
    let looks_prometheus = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.is_empty() || s.contains("prometheus") || s.starts_with("${") || s.starts_with('$') || s == "default"
    };
    if !kind.is_empty() {
        return (!looks_prometheus(kind)).then(|| kind.to_string());
    }
    (!looks_prometheus(name) && matches!(name, "-- Grafana --" | "-- Mixed --" | "-- Dashboard --"))
        .then(|| name.to_string())
}

fn thresholds(t: Option<&Json>) -> Vec<Threshold> {
    t.and_then(|t| t.get("steps"))
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| Threshold { value: f64_of(s.get("value")), color: str_of(s, "color").to_string() })
        .collect()
}

/// Value mappings of the `value` type (`{"type": "value", "options": {"0": {"text": …}}}`).
fn mappings(m: Option<&Json>) -> Vec<(f64, String)> {
    let mut out = Vec::new();
    for m in m.and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default() {
        if let Some(options) = m.get("options").and_then(Json::as_object) {
            for (value, to) in options {
                if let (Ok(v), Some(text)) = (value.parse::<f64>(), to.get("text").and_then(Json::as_str)) {
                    out.push((v, text.to_string()));
                }
            }
        }
        // The older flat form: {"value": "0", "text": "CLOSED"}.
        if let (Some(v), Some(text)) = (f64_of(m.get("value")), m.get("text").and_then(Json::as_str)) {
            out.push((v, text.to_string()));
        }
    }
    out
}

/// Template variables with the value the dashboard was saved with.
fn variables(dash: &Json) -> Vec<Variable> {
    let list = dash.pointer("/templating/list").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter_map(|v| {
            let name = v.get("name").and_then(Json::as_str)?.to_string();
            let current = v.get("current").and_then(|c| c.get("value"));
            let value = match current {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Array(a)) => {
                    let values: Vec<&str> = a.iter().filter_map(Json::as_str).collect();
                    if values.len() == 1 {
                        values[0].to_string()
                    } else {
                        format!("({})", values.join("|"))
                    }
                }
                _ => v
                    .get("query")
                    .and_then(Json::as_str)
                    .map(|q| q.split(',').next().unwrap_or("").trim().to_string())?,
            };
            // "All" stands for every value: the variable's allValue, or any.
            let value = if value == "$__all" {
                v.get("allValue").and_then(Json::as_str).unwrap_or(".*").to_string()
            } else {
                value
            };
            Some(Variable { name, value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../tests/fixtures/grafana/gateway.json");

    #[test]
    fn the_seed_dashboard_reads_with_all_its_panels() {
        let d = parse("gateway.json", SEED).unwrap();
        assert_eq!(d.panels.len(), 10);
        assert!(
            d.panels.iter().all(|p| p.skip.is_none()),
            "{:?}",
            d.panels.iter().map(|p| &p.skip).collect::<Vec<_>>()
        );
        let breaker = d.panels.iter().find(|p| p.title == "Circuit Breaker Status").unwrap();
        assert_eq!(breaker.kind, Some(PanelKind::Stat));
        assert!(breaker.mappings.iter().any(|(v, t)| *v == 0.0 && t == "CLOSED"), "{:?}", breaker.mappings);
        let cache = d.panels.iter().find(|p| p.title == "Cache Hit Ratio").unwrap();
        assert_eq!((cache.unit.as_deref(), cache.max), (Some("percent"), Some(100.0)));
        assert_eq!(cache.thresholds.len(), 3);
    }

    #[test]
    fn hostile_files_give_clear_errors() {
        let e = parse("x.json", "{\n  \"panels\": [,]\n}").unwrap_err().to_string();
        assert!(e.starts_with("x.json:2:"), "{e}");
        let e = parse("x.json", "{\"title\": \"t\"}").unwrap_err().to_string();
        assert_eq!(e, "x.json: it has no panels");
        let e = parse("x.json", "[1, 2]").unwrap_err().to_string();
        assert_eq!(e, "x.json: the top level is not an object");
    }

    #[test]
    fn panels_that_cannot_be_evaluated_say_why() {
        let text = r#"{"panels": [
            {"type": "timeseries", "title": "logs", "datasource": {"type": "loki", "uid": "l"}, "targets": [{"expr": "{app=\"x\"}"}]},
            {"type": "text", "title": "notes"},
            {"type": "row", "title": "Row A", "collapsed": true, "panels": [
                {"type": "stat", "title": "up", "targets": [{"expr": "up", "refId": "A"}]}
            ]}
        ]}"#;
        let d = parse("d.json", text).unwrap();
        assert_eq!(d.panels[0].skip.as_deref(), Some("datasource loki is not Prometheus"));
        assert_eq!(d.panels[1].skip.as_deref(), Some("panel type \"text\" is not drawn"));
        assert_eq!((d.panels[2].skip.as_deref(), d.panels[2].row.as_deref()), (None, Some("Row A")));
    }
}
