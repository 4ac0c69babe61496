//! KPI verdicts: each KPI's value, target, verdict and where the evidence came from. A KPI
//! without evidence is *not measured*, and never passes.

use crate::metrics::Snapshot;
use crate::scenario::{FlowKind, Kpi};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    NotMeasured,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotMeasured => "not measured",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    ClientMeasured,
    TargetScraped,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::ClientMeasured => "client-measured",
            Source::TargetScraped => "target-scraped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiResult {
    pub id: String,
    pub name: String,
    pub value: Option<f64>,
    pub unit: String,
    /// e.g. "≤ 15 ms"
    pub target: String,
    pub verdict: Verdict,
    pub source: Source,
    /// What the value was computed from, in words.
    pub evidence: String,
}

/// Target-side facts the KPIs need; `None` where the target did not expose them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetEvidence {
    pub retries_recovered: Option<f64>,
    pub retries_exhausted: Option<f64>,
    pub cache_hits: Option<f64>,
    pub cache_misses: Option<f64>,
    pub provenance_mismatches: Option<f64>,
    pub rss_first_bytes: Option<f64>,
    pub rss_last_bytes: Option<f64>,
    /// The soak evidence needs a run long enough to judge growth.
    pub rss_window_s: Option<f64>,
    /// CPU seconds the target spent during the run.
    pub cpu_seconds: Option<f64>,
    /// Policy denials during the run by the profile's label (`reason`, or `tool` on the real
    /// gateway), with that label's name.
    pub denials: Option<(String, std::collections::BTreeMap<String, f64>)>,
    /// Security events during the run by type.
    pub security_events: std::collections::BTreeMap<String, f64>,
}

struct Check {
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    source: Source,
}

fn result(c: Check, value: Option<f64>, limit: f64, at_most: bool, evidence: String) -> KpiResult {
    let verdict = match value {
        None => Verdict::NotMeasured,
        Some(v) if (at_most && v <= limit) || (!at_most && v >= limit) => Verdict::Pass,
        Some(_) => Verdict::Fail,
    };
    let op = if at_most { "≤" } else { "≥" };
    KpiResult {
        id: c.id.into(),
        name: c.name.into(),
        value,
        unit: c.unit.into(),
        target: format!(
            "{op} {}{}",
            trim(limit),
            if c.unit.is_empty() { String::new() } else { format!(" {}", c.unit) }
        ),
        verdict,
        source: c.source,
        evidence,
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn evaluate(kpi: &Kpi, snap: &Snapshot, target: &TargetEvidence) -> Vec<KpiResult> {
    let client = Source::ClientMeasured;
    let lat = snap.kpi_latency;
    let lat_value = |v: f64| (lat.count > 0).then_some(v);
    let lat_evidence =
        format!("{} happy-path tool calls in KPI phases (failures included), latency from intended start", lat.count);
    let mut out = vec![
        result(
            Check { id: "p50", name: "p50 latency", unit: "ms", source: client },
            lat_value(lat.p50_ms),
            kpi.p50_ms,
            true,
            lat_evidence.clone(),
        ),
        result(
            Check { id: "p95", name: "p95 latency", unit: "ms", source: client },
            lat_value(lat.p95_ms),
            kpi.p95_ms,
            true,
            lat_evidence.clone(),
        ),
        result(
            Check { id: "p99", name: "p99 latency", unit: "ms", source: client },
            lat_value(lat.p99_ms),
            kpi.p99_ms,
            true,
            lat_evidence,
        ),
    ];
    // Arrivals dropped at the in-flight cap were never served: they count as failures, and
    // the latency percentiles cannot see them, so those KPIs fail below.
    let success = (snap.kpi_total > 0).then(|| snap.kpi_ok as f64 * 100.0 / (snap.kpi_total + snap.dropped) as f64);
    out.push(result(
        Check { id: "success", name: "happy-path success", unit: "%", source: client },
        success,
        kpi.success_pct,
        false,
        format!(
            "{} of {} happy-path tool calls in KPI phases answered as expected, {} arrivals dropped",
            snap.kpi_ok, snap.kpi_total, snap.dropped
        ),
    ));
    if snap.dropped > 0 {
        for k in out.iter_mut().filter(|k| k.unit == "ms" && k.id.starts_with('p')) {
            k.verdict = Verdict::Fail;
            k.evidence = format!(
                "{}; {} arrivals were dropped at the in-flight cap, so the tail is unknown",
                k.evidence, snap.dropped
            );
        }
    }
    let ff = snap.fast_fail;
    out.push(result(
        Check { id: "fast_fail", name: "breaker fast-fail p99", unit: "ms", source: client },
        (ff.count > 0).then_some(ff.p99_ms),
        kpi.fast_fail_ms,
        true,
        format!("{} answers from an open breaker (service time)", ff.count),
    ));
    let retry = match (target.retries_recovered, target.retries_exhausted) {
        (Some(r), Some(e)) if r + e > 0.0 => Some(r * 100.0 / (r + e)),
        _ => None,
    };
    out.push(result(
        Check { id: "retry", name: "retryable errors resolved", unit: "%", source: Source::TargetScraped },
        retry,
        kpi.retry_resolve_pct,
        false,
        format!(
            "retries recovered {} / exhausted {} (target counters over the run)",
            opt(target.retries_recovered),
            opt(target.retries_exhausted)
        ),
    ));
    let denial_flows: Vec<_> = snap.flows.iter().filter(|f| f.kind != FlowKind::Happy).collect();
    let attempts: u64 = denial_flows.iter().map(|f| f.correct_denials + f.breaches).sum();
    let denied: u64 = denial_flows.iter().map(|f| f.correct_denials).sum();
    out.push(result(
        Check { id: "denied", name: "unauthorized actions denied", unit: "%", source: client },
        (attempts > 0).then(|| denied as f64 * 100.0 / attempts as f64),
        kpi.denied_pct,
        false,
        format!("{denied} of {attempts} unauthorized attempts refused"),
    ));
    let intentional: u64 = snap.flows.iter().filter(|f| f.kind == FlowKind::Security).map(|f| f.correct_denials).sum();

    let unexpected = target.provenance_mismatches.map(|m| (m - intentional as f64).max(0.0));
    out.push(result(
        Check { id: "provenance", name: "unintended provenance mismatches", unit: "", source: Source::TargetScraped },
        unexpected,
        kpi.provenance_mismatches,
        true,
        format!(
            "target counted {} mismatches, {intentional} refused as intended in security flows",
            opt(target.provenance_mismatches)
        ),
    ));
    let ratio = match (target.cache_hits, target.cache_misses) {
        (Some(h), Some(m)) if h + m > 0.0 => Some(h * 100.0 / (h + m)),
        _ => None,
    };
    out.push(result(
        Check { id: "cache", name: "cache hit ratio", unit: "%", source: Source::TargetScraped },
        ratio,
        kpi.cache_hit_pct,
        false,
        format!("hits {} / misses {} on cacheable queries", opt(target.cache_hits), opt(target.cache_misses)),
    ));
    // Growth needs a soak: under 10 minutes of evidence the KPI says not measured.
    let growth = match (target.rss_first_bytes, target.rss_last_bytes, target.rss_window_s) {
        (Some(a), Some(b), Some(w)) if a > 0.0 && w >= 600.0 => Some((b - a) * 100.0 / a),
        _ => None,
    };
    out.push(result(
        Check { id: "memory", name: "target memory growth over the soak", unit: "%", source: Source::TargetScraped },
        growth,
        kpi.memory_growth_pct,
        true,
        format!(
            "target RSS {} → {} over {:.0} s (needs ≥ 600 s)",
            mib(target.rss_first_bytes),
            mib(target.rss_last_bytes),
            target.rss_window_s.unwrap_or(0.0)
        ),
    ));
    out
}

fn mib(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |b| format!("{:.1} MiB", b / 1024.0 / 1024.0))
}

fn opt(v: Option<f64>) -> String {
    v.map_or("n/a".into(), trim)
}

/// Exit code of the spec: 0 when every measured KPI held, 1 when one failed.
/// Whether the run proves its KPIs: none failed, and at least one was measured.
pub fn all_held(results: &[KpiResult]) -> bool {
    results.iter().all(|k| k.verdict != Verdict::Fail) && results.iter().any(|k| k.verdict == Verdict::Pass)
}
