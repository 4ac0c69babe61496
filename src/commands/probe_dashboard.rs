//! `proofdeck probe --dashboard FILE.json`: every panel of a dashboard evaluated once, on
//! two scrapes apart, with its series and values or the reason it has none — the check to
//! run on a dashboard before a run.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::config::Format;
use crate::dashboard::{self, units, Compiled, DashboardView, LiveDashboard, Timing};
use crate::outcome::exit;
use crate::scrape::parser;
use crate::scrape::profile::TargetProfile;

/// The range `$__range` stands for: Grafana's default dashboard window.
const RANGE: Duration = Duration::from_secs(3600);

/// Where the expositions come from and how to print, as `probe`'s flags say.
pub struct DashboardProbe<'a> {
    pub target: Option<&'a str>,
    pub metrics_file: Option<&'a Path>,
    pub interval: Duration,
    pub format: Format,
}

pub async fn run(args: &DashboardProbe<'_>, file: &Path, profile: &TargetProfile) -> i32 {
    let board = match dashboard::load(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let interval = args.interval.max(Duration::from_millis(100));
    let compiled = Compiled::new(board, Timing { scrape_interval: interval, range: RANGE });
    let mut live = LiveDashboard::new(compiled, profile);
    let scrapes = match scrapes(args, interval).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return if args.metrics_file.is_some() { exit::USAGE } else { exit::ABORTED };
        }
    };
    let started = chrono::Utc::now().timestamp_millis() - interval.as_millis() as i64 * (scrapes.len() as i64 - 1);
    for (i, text) in scrapes.iter().enumerate() {
        let at = started + i as i64 * interval.as_millis() as i64;
        live.observe(at, i as f64 * interval.as_secs_f64(), &parser::parse(text));
    }
    let view = live.view();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&as_json(view)).unwrap_or_default() + "\n",
        Format::Human => human(view, scrapes.len()),
    };
    // A reader that stops early (`| head`) is no error.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    let failed = view.panels.iter().any(|p| p.panel.skip.is_some() || p.latest.iter().any(Result::is_err));
    if failed {
        exit::KPI_FAILED
    } else {
        exit::OK
    }
}

/// Two scrapes of the target `interval` apart, or the one exposition of `--metrics-file`.
async fn scrapes(args: &DashboardProbe<'_>, interval: Duration) -> Result<Vec<String>, String> {
    if let Some(file) = args.metrics_file {
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        return Ok(vec![text]);
    }
    let target = args.target.unwrap_or_default();
    let http = crate::side_client::SideClient::new(crate::scrape::fetch::DEFAULT_TIMEOUT, false);
    let unreachable = || format!("cannot scrape {}/metrics", crate::redact::url(target.trim_end_matches('/')));
    let first = crate::scrape::fetch::fetch_metrics(&http, target).await.ok_or_else(unreachable)?;
    tokio::time::sleep(interval).await;
    let second = crate::scrape::fetch::fetch_metrics(&http, target).await.ok_or_else(unreachable)?;
    Ok(vec![first, second])
}

fn human(view: &DashboardView, scrapes: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "dashboard {:?}: {} panels, evaluated on {scrapes} scrape(s)", view.title, view.panels.len());
    if scrapes < 2 {
        let _ = writeln!(out, "  (one exposition: rate() and friends need two scrapes and give no series)");
    }
    for p in &view.panels {
        let _ = writeln!(out, "\n▸ {} ({})", p.panel.title, p.panel.type_name);
        if let Some(note) = &p.note {
            let _ = writeln!(out, "    note: {note}");
        }
        if let Some(skip) = &p.panel.skip {
            let _ = writeln!(out, "    ✗ {skip}");
            continue;
        }
        for ((target, expr), result) in p.panel.targets.iter().zip(&p.exprs).zip(&p.latest) {
            let _ = writeln!(out, "  {} {}", if target.ref_id.is_empty() { "·" } else { &target.ref_id }, expr);
            match result {
                Err(e) => {
                    let _ = writeln!(out, "    ✗ {e}");
                }
                Ok(series) if series.is_empty() => {
                    let _ = writeln!(out, "    (no series)");
                }
                Ok(series) => {
                    for s in series {
                        let _ = writeln!(out, "    {} = {}", s.name, units::display(&p.panel, s.value));
                    }
                }
            }
        }
    }
    out
}

fn as_json(view: &DashboardView) -> serde_json::Value {
    let panels: Vec<_> = view
        .panels
        .iter()
        .map(|p| {
            let queries: Vec<_> = p
                .panel
                .targets
                .iter()
                .zip(&p.exprs)
                .zip(p.latest.iter().map(Some).chain(std::iter::repeat(None)))
                .map(|((t, expanded), result)| {
                    let (series, error) = match result {
                        Some(Ok(series)) => (
                            series
                                .iter()
                                .map(|s| json!({"name": s.name, "labels": s.key, "value": finite(s.value)}))
                                .collect(),
                            None,
                        ),
                        Some(Err(e)) => (Vec::new(), Some(e.clone())),
                        None => (Vec::new(), p.panel.skip.clone()),
                    };
                    json!({"ref_id": t.ref_id, "expr": t.expr, "expanded": expanded, "series": series, "error": error})
                })
                .collect();
            json!({"title": p.panel.title, "type": p.panel.type_name, "skip": p.panel.skip, "note": p.note, "queries": queries})
        })
        .collect();
    json!({"title": view.title, "panels": panels, "stored_series": view.stored_series, "refused_series": view.refused_series})
}

/// JSON has no NaN or infinities: they are written as strings, as Prometheus's API does.
fn finite(v: f64) -> serde_json::Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!(if v.is_nan() {
            "NaN".to_string()
        } else if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    }
}
