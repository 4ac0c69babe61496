//! The proof report: a versioned `report.json` model that every other file is rendered from,
//! and one exporter per format.

pub mod baseline;
pub mod capacity;
pub mod charts;
pub mod csv;
pub mod dashboard;
pub mod junit;
pub mod kpi;
pub mod markdown;
pub mod svg_chart;

use crate::metrics::aggregate::FinalHistograms;
use crate::metrics::{FlowView, SecondPoint, Snapshot, ToolView};
use crate::scenario::Scenario;
use kpi::{KpiResult, RunVerdict, TargetEvidence};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped whenever a field changes meaning; readers refuse other versions.
pub const SCHEMA: &str = "proofdeck.report/1";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    pub schema: String,
    pub proofdeck_version: String,
    pub scenario: ScenarioInfo,
    pub target: TargetInfo,
    pub environment: Environment,
    pub started_at: String,
    pub duration_s: f64,
    /// Interrupted or aborted: the numbers cover only part of the plan.
    pub partial: bool,
    pub abort: Option<String>,
    pub totals: Totals,
    /// Time from each request's intended start to its send: what the client adds.
    #[serde(default)]
    pub dispatch_lag: crate::metrics::Quantiles,
    pub kpis: Vec<KpiResult>,
    /// The run as a whole: passed, or every reason it did not.
    #[serde(default)]
    pub verdict: RunVerdict,
    pub evidence: TargetEvidence,
    pub tools: Vec<ToolView>,
    /// Why requests failed: the first distinct details per tool and class, with counts.
    #[serde(default)]
    pub failures: Vec<crate::metrics::FailureSample>,
    pub flows: Vec<FlowView>,
    pub phases: Vec<PhaseSummary>,
    pub series: Vec<SecondPoint>,
    /// HDR histograms (V2 serialization, base64) per tool, lossless for merge and compare.
    pub histograms: Vec<ToolHistograms>,
    /// Every injection with its effect check.
    pub chaos: Vec<crate::live::EffectCheck>,
    /// Chaos this run set that was still on the target when it ended.
    #[serde(default)]
    pub chaos_left: Vec<crate::live::ChaosLeft>,
    pub reconciliation: crate::scrape::reconcile::Reconciliation,
    /// Circuit breakers as the target's scrapes showed them.
    pub breakers: Vec<BreakerSummary>,
    pub resources: Resources,
    /// The run's timeline: phases, chaos, breaker transitions, scrape failures.
    pub events: Vec<crate::live::LogEvent>,
    /// The target's own p99 (ms) per scrape on the run clock, from its latency histogram.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_p99_ms: Vec<(f64, f64)>,
    /// `--dashboard`: its panels as evaluated from the target's scrapes over the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<dashboard::DashboardReport>,
    /// The run-wide histograms (latency KPI, dispatch lag, …), lossless for exact merges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_histograms: Vec<NamedHistogram>,
    /// The KPI targets the run was judged against (so a merge judges the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpi_targets: Option<crate::scenario::Kpi>,
    /// This run was one shard (`INDEX/COUNT`) of a sharded run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// That shard's share of the schedule (its weight's share, or 1/COUNT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_share: Option<f64>,
    /// A shard's plan (scenario and rate-shaping flags): shards merge only with their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// A coordinated or merged run: its shards, start skew and merge cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<crate::metrics::Distribution>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NamedHistogram {
    pub name: String,
    /// V2 serialization, base64, microseconds.
    pub us: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BreakerSummary {
    pub tool: String,
    pub openings: usize,
    pub time_open_s: f64,
    /// Seconds from each opening to the next close.
    pub recovery_s: Vec<f64>,
    /// (seconds since the run started, state: 0 closed, 1 half-open, 2 open)
    pub transitions: Vec<(f64, u8)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Resources {
    /// Mean over the run, in % of one core.
    pub target_cpu_pct: Option<f64>,
    pub target_rss_bytes: Option<f64>,
    pub proofdeck_cpu_pct: Option<f64>,
    pub proofdeck_rss_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    pub hash: String,
    pub phases: Vec<PlannedPhase>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlannedPhase {
    pub name: String,
    #[serde(default)]
    pub kind: crate::scenario::PhaseKind,
    #[serde(default = "yes")]
    pub kpi: bool,
    pub duration_s: f64,
    pub rate: f64,
    pub ramp_to: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    pub url: String,
    pub embedded: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub os: String,
    pub arch: String,
    pub cpus: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub arrivals: u64,
    pub started: u64,
    pub dropped: u64,
    pub requests: u64,
    pub errors: u64,
    /// Judged calls (happy flows in KPI phases) and how many of them succeeded.
    #[serde(default)]
    pub kpi_total: u64,
    #[serde(default)]
    pub kpi_ok: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseSummary {
    pub name: String,
    pub start_s: u32,
    pub seconds: u32,
    /// Flow arrivals per second the schedule planned.
    pub scheduled_rps: f64,
    /// Flow arrivals per second actually started (planned minus dropped).
    pub started_rps: f64,
    /// HTTP requests per second completed (a flow may send several).
    pub requests_rps: f64,
    pub requests: u64,
    pub errors: u64,
    pub dropped: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToolHistograms {
    pub tool: String,
    pub latency_us: String,
    pub service_us: String,
}

pub struct RunInputs<'a> {
    pub scenario: &'a Scenario,
    pub target_url: &'a str,
    pub embedded_target: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub snapshot: &'a Snapshot,
    pub histograms: &'a FinalHistograms,
    pub kpis: &'a [KpiResult],
    pub verdict: &'a RunVerdict,
    pub evidence: &'a TargetEvidence,
    pub partial: bool,
    pub abort: Option<String>,
    pub chaos: Vec<crate::live::EffectCheck>,
    pub reconciliation: crate::scrape::reconcile::Reconciliation,
    pub breakers: Vec<BreakerSummary>,
    pub events: Vec<crate::live::LogEvent>,
    pub chaos_left: Vec<crate::live::ChaosLeft>,
    pub dashboard: Option<&'a crate::dashboard::DashboardView>,
    pub target_p99_ms: Vec<(f64, f64)>,
    /// A shard's stripe and its plan's id.
    pub shard: Option<(&'a crate::engine::stripe::Stripe, &'a str)>,
}

impl RunReport {
    pub fn new(i: RunInputs<'_>) -> Self {
        let s = i.snapshot;
        let (histograms, run_histograms) = encode_histograms(i.histograms);
        let series = s.series.to_vec();
        Self {
            schema: SCHEMA.into(),
            proofdeck_version: env!("CARGO_PKG_VERSION").into(),
            scenario: ScenarioInfo {
                name: i.scenario.name.clone(),
                description: i.scenario.description.clone(),
                hash: i.scenario.hash(),
                phases: i
                    .scenario
                    .phases
                    .iter()
                    .map(|p| PlannedPhase {
                        name: p.name.clone(),
                        kind: p.kind,
                        kpi: p.kpi,
                        duration_s: p.duration.as_secs_f64(),
                        rate: p.rate,
                        ramp_to: p.ramp_to,
                    })
                    .collect(),
            },
            target: TargetInfo { url: redact_url(i.target_url), embedded: i.embedded_target },
            environment: Environment {
                os: std::env::consts::OS.into(),
                arch: std::env::consts::ARCH.into(),
                cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
            started_at: i.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            duration_s: s.elapsed_s,
            partial: i.partial,
            abort: i.abort,
            dispatch_lag: s.dispatch_lag,
            totals: Totals {
                arrivals: s.arrivals,
                started: s.started,
                dropped: s.dropped,
                requests: s.requests(),
                errors: s.errors().total(),
                kpi_total: s.kpi_total,
                kpi_ok: s.kpi_ok,
            },
            kpis: i.kpis.to_vec(),
            verdict: i.verdict.clone(),
            evidence: i.evidence.clone(),
            tools: s.tools.clone(),
            failures: s.failures.as_ref().clone(),
            flows: s.flows.clone(),
            phases: phase_summaries(&i.scenario.phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>(), &series),
            series,
            histograms,
            chaos: i.chaos,
            chaos_left: i.chaos_left,
            reconciliation: i.reconciliation,
            breakers: i.breakers,
            resources: Resources {
                target_cpu_pct: i.evidence.cpu_seconds.map(|c| c * 100.0 / s.elapsed_s.max(1e-9)),
                target_rss_bytes: i.evidence.rss_last_bytes,
                proofdeck_cpu_pct: s.own_cpu_seconds.map(|c| c * 100.0 / s.elapsed_s.max(1e-9)),
                proofdeck_rss_bytes: s.own_rss_bytes,
            },
            events: i.events,
            dashboard: i.dashboard.map(dashboard::DashboardReport::from_view),
            target_p99_ms: i.target_p99_ms,
            run_histograms,
            kpi_targets: Some(i.scenario.kpi.clone()),
            shard: i.shard.map(|(s, _)| s.to_string()),
            shard_share: i.shard.map(|(s, _)| s.share()),
            plan_id: i.shard.map(|(_, plan)| plan.to_string()),
            distribution: s.distribution.as_deref().cloned(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Per-phase throughput from the per-second series.
pub fn phase_summaries(phases: &[String], series: &[SecondPoint]) -> Vec<PhaseSummary> {
    let mut out: Vec<PhaseSummary> = Vec::new();
    for (index, name) in phases.iter().enumerate() {
        let points: Vec<&SecondPoint> =
            series.iter().filter(|p| p.phase == index && (p.scheduled > 0 || p.completed > 0)).collect();
        let Some(first) = points.first() else {
            continue;
        };
        let seconds = points.len() as u32;
        let sum = |f: fn(&SecondPoint) -> u64| points.iter().map(|p| f(p)).sum::<u64>();
        out.push(PhaseSummary {
            name: name.clone(),
            start_s: first.t,
            seconds,
            scheduled_rps: sum(|p| p.scheduled) as f64 / f64::from(seconds),
            started_rps: sum(|p| p.started) as f64 / f64::from(seconds),
            requests_rps: sum(|p| p.completed) as f64 / f64::from(seconds),
            requests: sum(|p| p.completed),
            errors: points.iter().map(|p| p.errors.iter().sum::<u64>()).sum(),
            dropped: sum(|p| p.dropped),
        });
    }
    out
}

pub use crate::metrics::codec::{decode_histogram, encode_histogram};

/// The histograms as `report.json` keeps them: per tool, then the run-wide ones by name.
pub fn encode_histograms(h: &FinalHistograms) -> (Vec<ToolHistograms>, Vec<NamedHistogram>) {
    let tools = h
        .tools
        .iter()
        .map(|(tool, l, sv)| ToolHistograms {
            tool: tool.clone(),
            latency_us: encode_histogram(l),
            service_us: encode_histogram(sv),
        })
        .collect();
    let run = h.run.named().into_iter().map(|(name, h)| NamedHistogram { name: name.into(), us: encode_histogram(h) });
    (tools, run.collect())
}

/// Drops credentials from a URL before it reaches any output.
pub fn redact_url(url: &str) -> String {
    crate::redact::url(url)
}

/// Creates the run directory before any load is sent, and proves it writable: `--report-dir`
/// as given, else a new `<data dir>/runs/<scenario>-<timestamp>[-N]` that no other run
/// shares. The error names the path, so an unwritable directory never costs a run.
pub fn prepare_run_dir(
    explicit: Option<&Path>,
    scenario: &str,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, ReportError> {
    let dir = match explicit {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, &e))?;
            dir.to_path_buf()
        }
        None => {
            let base = directories::ProjectDirs::from("dev", "proofdeck", "proofdeck")
                .map(|d| d.data_dir().join("runs"))
                .unwrap_or_else(|| PathBuf::from("proofdeck-runs"));
            std::fs::create_dir_all(&base).map_err(|e| unwritable(&base, &e))?;
            let safe: String =
                scenario.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
            let stem = format!("{safe}-{}", started.format("%Y%m%d-%H%M%S"));
            // create_dir is atomic: two runs started in the same second get two directories.
            let mut n = 1;
            loop {
                let dir = if n == 1 { base.join(&stem) } else { base.join(format!("{stem}-{n}")) };
                match std::fs::create_dir(&dir) {
                    Ok(()) => break dir,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                    Err(e) => return Err(unwritable(&dir, &e)),
                }
            }
        }
    };
    let probe = dir.join(".proofdeck-write-check");
    std::fs::write(&probe, b"ok").map_err(|e| unwritable(&dir, &e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(dir)
}

fn unwritable(path: &Path, e: &std::io::Error) -> ReportError {
    ReportError::Unwritable { path: path.to_path_buf(), source: std::io::Error::new(e.kind(), e.to_string()) }
}

/// Writes every file of the run directory, each masked of the run's secrets by value.
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    scenario_source: &str,
    metrics_before: Option<&str>,
    metrics_after: Option<&str>,
    secrets: &crate::redact::Secrets,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let put = |name: &str, text: &str| std::fs::write(dir.join(name), secrets.mask(text));
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    put("report.json", &json)?;
    render_masked(report, dir, secrets)?;
    put("scenario.toml", &crate::redact::scenario(scenario_source))?;
    if let Some(m) = metrics_before {
        put("metrics-before.prom", m)?;
    }
    if let Some(m) = metrics_after {
        put("metrics-after.prom", m)?;
    }
    Ok(())
}

/// Every file that is a pure function of `report.json`; `proofdeck report` calls this alone.
pub fn render_files(report: &RunReport, dir: &Path) -> std::io::Result<()> {
    render_masked(report, dir, &crate::redact::Secrets::default())
}

fn render_masked(report: &RunReport, dir: &Path, secrets: &crate::redact::Secrets) -> std::io::Result<()> {
    let put = |name: &str, text: &str| std::fs::write(dir.join(name), secrets.mask(text));
    put("report.md", &markdown::render(report))?;
    put("junit.xml", &junit::render(report))?;
    put("timeseries.csv", &csv::render(report))?;
    for (name, svg) in charts::render_all(report) {
        put(&name, &svg)?;
    }
    Ok(())
}

/// Why a run directory cannot be read or written; each names its path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{}: schema {found:?}, this proofdeck reads {SCHEMA:?}", path.display())]
    Schema { path: PathBuf, found: String },
    #[error("cannot write the report to {}: {source}", path.display())]
    Unwritable { path: PathBuf, source: std::io::Error },
}

pub fn read(dir: &Path) -> Result<RunReport, ReportError> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Read { path: path.clone(), source })?;
    let report: RunReport =
        serde_json::from_str(&text).map_err(|source| ReportError::Parse { path: path.clone(), source })?;
    if report.schema != SCHEMA {
        return Err(ReportError::Schema { path, found: report.schema });
    }
    Ok(report)
}
