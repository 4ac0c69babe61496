//! KPI verdicts: each KPI's value, target, verdict and where the evidence came from. A KPI
//! is measured only with evidence from this run (samples of its kind, a phase of its kind
//! that ran, a target series that moved); otherwise it is *not measured*, with the reason,
//! and never passes. The run's verdict needs one measured KPI and no failure.

use crate::metrics::Snapshot;
use crate::scenario::{FlowKind, Kpi, Phase, PhaseKind};
pub use crate::scrape::evidence::TargetEvidence;
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
    /// The target's number, e.g. 15 for "≤ 15 ms" (absent in reports older than it).
    #[serde(default)]
    pub limit: Option<f64>,
    pub verdict: Verdict,
    pub source: Source,
    /// What the value was computed from, in words; for a KPI not measured, why not.
    pub evidence: String,
}

/// The run as a whole: passed only with at least one measured KPI, none failed, and
/// requests that were sent and answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunVerdict {
    pub passed: bool,
    /// What is wrong with the run itself: nothing sent, every request failed, nothing measured.
    pub run: Vec<String>,
    /// Each failed KPI with its value and target.
    pub failed_kpis: Vec<String>,
}

impl RunVerdict {
    /// Fails the run for a reason beyond its KPIs (partial, chaos left behind).
    pub fn fail_for(&mut self, reason: String) {
        self.run.push(reason);
        self.passed = false;
    }

    /// Every reason the run did not pass, the run's own first.
    pub fn reasons(&self) -> impl Iterator<Item = &String> {
        self.run.iter().chain(&self.failed_kpis)
    }
}

struct Check {
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    source: Source,
}

/// What a KPI found: a value with its evidence, or the reason there is none.
enum Measure {
    Value(f64, String),
    Missing(String),
}

fn judged(c: Check, measure: Measure, limit: f64, at_most: bool) -> KpiResult {
    let (value, verdict, evidence) = match measure {
        Measure::Value(v, evidence) => {
            let held = if at_most { v <= limit } else { v >= limit };
            (Some(v), if held { Verdict::Pass } else { Verdict::Fail }, evidence)
        }
        Measure::Missing(why) => (None, Verdict::NotMeasured, why),
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
        limit: Some(limit),
        verdict,
        source: c.source,
        evidence,
    }
}

/// A number without trailing zeros (`60`, `99.5`), as targets are written.
pub(super) fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Every KPI that applies to the run, judged on this run's evidence alone.
pub fn evaluate(kpi: &Kpi, plan: &[Phase], snap: &Snapshot, target: &TargetEvidence) -> Vec<KpiResult> {
    let client = Source::ClientMeasured;
    let mut out = latency_and_success(kpi, plan, snap);
    if let Some(limit) = kpi.fast_fail_ms {
        let ff = snap.fast_fail;
        let m = if ff.count > 0 {
            Measure::Value(ff.p99_ms, format!("{} answers from an open breaker (service time)", ff.count))
        } else {
            Measure::Missing("no answer came from an open breaker in this run".into())
        };
        out.push(judged(
            Check { id: "fast_fail", name: "breaker fast-fail p99", unit: "ms", source: client },
            m,
            limit,
            true,
        ));
    }
    if let Some(limit) = kpi.retry_resolve_pct {
        let m = match (target.retries_recovered, target.retries_exhausted) {
            (Some(r), Some(e)) if r + e > 0.0 => Measure::Value(
                r * 100.0 / (r + e),
                format!("retries recovered {} / exhausted {} (target counters over the run)", trim(r), trim(e)),
            ),
            (Some(_), Some(_)) => {
                Measure::Missing("the target's retry counters did not move: no retryable failure in this run".into())
            }
            _ => {
                Measure::Missing("the target exposes no retry counters (or no scrape before and after the run)".into())
            }
        };
        let c = Check { id: "retry", name: "retryable errors resolved", unit: "%", source: Source::TargetScraped };
        out.push(judged(c, m, limit, false));
    }
    if let Some(limit) = kpi.denied_pct {
        out.push(judged(
            Check { id: "denied", name: "unauthorized actions denied", unit: "%", source: client },
            denials(snap),
            limit,
            false,
        ));
    }
    if let Some(limit) = kpi.provenance_mismatches {
        let c = Check {
            id: "provenance",
            name: "unintended provenance mismatches",
            unit: "",
            source: Source::TargetScraped,
        };
        out.push(judged(c, provenance(snap, target), limit, true));
    }
    if let Some(limit) = kpi.cache_hit_pct {
        let c = Check { id: "cache", name: "cache hit ratio", unit: "%", source: Source::TargetScraped };
        out.push(judged(c, cache(plan, target), limit, false));
    }
    if let Some(limit) = kpi.memory_growth_pct {
        let c = Check {
            id: "memory",
            name: "target memory growth over the soak",
            unit: "%",
            source: Source::TargetScraped,
        };
        out.push(judged(c, memory(kpi, plan, target), limit, true));
    }
    if let Some(limit) = kpi.cache_speedup_pct {
        let c = Check { id: "cache_latency", name: "cache hits faster than misses", unit: "%", source: client };
        out.push(judged(c, cache_speedup(snap), limit, false));
    }
    if let Some(limit) = kpi.breaker_changes {
        let c = Check {
            id: "breaker_flapping",
            name: "breaker flapping in steady phases",
            unit: "",
            source: Source::TargetScraped,
        };
        out.push(judged(c, flapping(target), limit, true));
    }
    if let Some(limit) = kpi.event_loop_lag_ms {
        let c =
            Check { id: "event_loop_lag", name: "target event-loop lag", unit: "ms", source: Source::TargetScraped };
        let m = match target.event_loop_lag_max_ms {
            Some(lag) => Measure::Value(lag, "the highest event-loop lag of any scrape during the run".into()),
            None => {
                Measure::Missing("the target exposes no event-loop lag gauge (profile input event_loop_lag)".into())
            }
        };
        out.push(judged(c, m, limit, true));
    }
    out
}

/// Answers of each kind the cache latency KPI needs before comparing medians.
const CACHE_SAMPLES: u64 = 20;

/// How much faster the target's cache hits were than its misses: `100 × (1 − hit/miss)` of the
/// median service times, over the answers the target marked (profile `[cache_marker]`).
fn cache_speedup(snap: &Snapshot) -> Measure {
    let (hit, miss) = (snap.cache_hit, snap.cache_miss);
    if hit.count + miss.count == 0 {
        return Measure::Missing(
            "the target marked no answer as a cache hit or miss (profile [cache_marker]); a real 4Runr gateway marks none"
                .into(),
        );
    }
    if hit.count < CACHE_SAMPLES || miss.count < CACHE_SAMPLES {
        return Measure::Missing(format!(
            "{} hits and {} misses marked; {CACHE_SAMPLES} of each are needed",
            hit.count, miss.count
        ));
    }
    Measure::Value(
        100.0 * (1.0 - hit.p50_ms / miss.p50_ms.max(1e-9)),
        format!(
            "median service time {:.2} ms over {} hits vs {:.2} ms over {} misses",
            hit.p50_ms, hit.count, miss.p50_ms, miss.count
        ),
    )
}

/// Flapping: the most state changes one tool's breaker made in one steady phase.
fn flapping(target: &TargetEvidence) -> Measure {
    let Some(b) = &target.steady_breakers else {
        return Measure::Missing("the target exposes no breaker states (profile input breaker_state)".into());
    };
    if b.phases.is_empty() {
        return Measure::Missing("no steady phase ran (load or soak, judged by the KPIs)".into());
    }
    let evidence = match &b.worst {
        Some((tool, phase)) => format!("{tool} in {phase}; steady phases: {}", b.phases.join(", ")),
        None => format!("no breaker changed state in the steady phases ({})", b.phases.join(", ")),
    };
    Measure::Value(b.worst_changes as f64, evidence)
}

/// p50/p95/p99 and success over the KPI phases' happy-path calls (steps without a tool
/// included, under their flow's name).
fn latency_and_success(kpi: &Kpi, plan: &[Phase], snap: &Snapshot) -> Vec<KpiResult> {
    let client = Source::ClientMeasured;
    let lat = snap.kpi_latency;
    let scope = kpi_phase_names(plan);
    let dropped = kpi_phase_drops(plan, snap);
    let dropped_note = if dropped > 0 {
        format!("; {dropped} arrivals were dropped at the in-flight cap, so the tail is unknown")
    } else {
        String::new()
    };
    let latency = |q: f64| {
        if lat.count == 0 {
            return Measure::Missing(format!("no happy-path call completed in a KPI phase ({scope})"));
        }
        Measure::Value(
            q,
            format!(
                "{} happy-path calls in KPI phases ({scope}), failures included, latency from intended start{dropped_note}",
                lat.count
            ),
        )
    };
    let mut out = vec![
        judged(
            Check { id: "p50", name: "p50 latency", unit: "ms", source: client },
            latency(lat.p50_ms),
            kpi.p50_ms,
            true,
        ),
        judged(
            Check { id: "p95", name: "p95 latency", unit: "ms", source: client },
            latency(lat.p95_ms),
            kpi.p95_ms,
            true,
        ),
        judged(
            Check { id: "p99", name: "p99 latency", unit: "ms", source: client },
            latency(lat.p99_ms),
            kpi.p99_ms,
            true,
        ),
    ];
    // Arrivals dropped at the in-flight cap were never served: the percentiles cannot see
    // them, so a measured latency KPI fails.
    if dropped > 0 {
        for k in out.iter_mut().filter(|k| k.value.is_some()) {
            k.verdict = Verdict::Fail;
        }
    }
    // Dropped arrivals count as failures: they were never served.
    let success = if snap.kpi_total > 0 {
        Measure::Value(
            snap.kpi_ok as f64 * 100.0 / (snap.kpi_total + dropped) as f64,
            format!(
                "{} of {} happy-path calls in KPI phases ({scope}) answered as expected, {dropped} arrivals dropped",
                snap.kpi_ok, snap.kpi_total
            ),
        )
    } else {
        Measure::Missing(format!("no happy-path call completed in a KPI phase ({scope})"))
    };
    out.push(judged(
        Check { id: "success", name: "happy-path success", unit: "%", source: client },
        success,
        kpi.success_pct,
        false,
    ));
    out
}

/// Arrivals dropped at the in-flight cap during KPI phases (a drop in a chaos window says
/// nothing about the KPI phases' tail); all of them when there is no per-second series yet.
fn kpi_phase_drops(plan: &[Phase], snap: &Snapshot) -> u64 {
    if snap.series.is_empty() {
        return snap.dropped;
    }
    snap.series.iter().filter(|p| plan.get(p.phase).is_none_or(|ph| ph.kpi)).map(|p| p.dropped).sum()
}

fn kpi_phase_names(plan: &[Phase]) -> String {
    let names: Vec<&str> = plan.iter().filter(|p| p.kpi).map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        "none: every phase has kpi = false".into()
    } else {
        names.join(", ")
    }
}

fn denials(snap: &Snapshot) -> Measure {
    let denial_flows: Vec<_> = snap.flows.iter().filter(|f| f.kind != FlowKind::Happy).collect();
    if denial_flows.is_empty() {
        return Measure::Missing("the scenario has no denial or security flow".into());
    }
    let attempts: u64 = denial_flows.iter().map(|f| f.correct_denials + f.breaches).sum();
    let denied: u64 = denial_flows.iter().map(|f| f.correct_denials).sum();
    let iterations: u64 = denial_flows.iter().map(|f| f.iterations).sum();
    if attempts == 0 {
        return Measure::Missing(if iterations == 0 {
            "no denial or security flow ran".into()
        } else {
            format!("{iterations} denial/security flow iterations ran, but none reached its forbidden call (earlier steps failed)")
        });
    }
    Measure::Value(
        denied as f64 * 100.0 / attempts as f64,
        format!("{denied} of {attempts} unauthorized attempts refused"),
    )
}

fn provenance(snap: &Snapshot, target: &TargetEvidence) -> Measure {
    let security: Vec<_> = snap.flows.iter().filter(|f| f.kind == FlowKind::Security).collect();
    let ran: u64 = security.iter().map(|f| f.iterations).sum();
    if security.is_empty() {
        return Measure::Missing("the scenario has no security flow".into());
    }
    if ran == 0 {
        return Measure::Missing("no security flow ran".into());
    }
    let intentional: u64 = security.iter().map(|f| f.correct_denials).sum();
    let Some(counted) = target.provenance_mismatches else {
        return Measure::Missing("the target exposes no security event counter (or no scrape before and after)".into());
    };
    let moved: f64 = target.security_events.values().sum();
    if moved <= 0.0 {
        return Measure::Missing(format!(
            "the target's security counters did not move although {intentional} security attempts were refused: they do not count these"
        ));
    }
    Measure::Value(
        (counted - intentional as f64).max(0.0),
        format!("target counted {} mismatches, {intentional} refused as intended in security flows", trim(counted)),
    )
}

fn cache(plan: &[Phase], target: &TargetEvidence) -> Measure {
    let planned: Vec<&str> = plan.iter().filter(|p| p.kind == PhaseKind::Cache).map(|p| p.name.as_str()).collect();
    if planned.is_empty() {
        return Measure::Missing("the scenario has no cache phase (mark one with kind = \"cache\")".into());
    }
    if target.cache_phases.is_empty() {
        return Measure::Missing(format!("phase did not run: {}", planned.join(", ")));
    }
    let phases = target.cache_phases.join(", ");
    match (target.cache_hits, target.cache_misses) {
        (Some(h), Some(m)) if h + m > 0.0 => Measure::Value(
            h * 100.0 / (h + m),
            format!("hits {} / misses {} during the cache phases ({phases})", trim(h), trim(m)),
        ),
        (Some(_), Some(_)) => Measure::Missing(format!("the target's cache counters did not move during {phases}")),
        _ => Measure::Missing("the target exposes no cache counters (or no scrape at the cache phase's start)".into()),
    }
}

fn memory(kpi: &Kpi, plan: &[Phase], target: &TargetEvidence) -> Measure {
    let min_s = kpi.soak_min.as_secs_f64();
    let min = crate::scenario::duration::format(kpi.soak_min);
    let planned: Vec<&str> = plan.iter().filter(|p| p.kind == PhaseKind::Soak).map(|p| p.name.as_str()).collect();
    if planned.is_empty() {
        return Measure::Missing("the scenario has no soak phase (mark one with kind = \"soak\")".into());
    }
    let Some(soak) = &target.soak else {
        return Measure::Missing(format!("phase did not run: {}", planned.join(", ")));
    };
    if soak.seconds < min_s {
        return Measure::Missing(format!(
            "the soak phase {} ran {:.0} s; growth needs ≥ {min}",
            soak.phase, soak.seconds
        ));
    }
    match (soak.rss_start_bytes, soak.rss_end_bytes) {
        (Some(a), Some(b)) if a > 0.0 => Measure::Value(
            (b - a) * 100.0 / a,
            format!("target RSS {} → {} over the soak phase {} ({:.0} s)", mib(a), mib(b), soak.phase, soak.seconds),
        ),
        _ => Measure::Missing("the target exposes no resident memory gauge".into()),
    }
}

fn mib(b: f64) -> String {
    format!("{:.1} MiB", b / 1024.0 / 1024.0)
}

/// The run's verdict from its KPIs and what was sent: nothing sent, nothing answered as
/// expected, or nothing measured is a failure with its reason, never a pass.
pub fn judge_run(snap: &Snapshot, kpis: &[KpiResult]) -> RunVerdict {
    let mut reasons = Vec::new();
    let mut failed_kpis = Vec::new();
    let requests = snap.requests();
    if requests == 0 {
        reasons.push(if snap.arrivals == 0 {
            "nothing was sent: the schedule planned no arrivals (rate 0, or the run stopped before the first)"
                .to_string()
        } else if snap.dropped >= snap.arrivals {
            format!("nothing was sent: all {} arrivals were dropped at the in-flight cap", snap.arrivals)
        } else {
            format!("nothing was sent: {} arrivals, no request completed", snap.arrivals)
        });
    } else if snap.tools.iter().all(|t| t.ok == 0) {
        let classes: Vec<String> =
            snap.errors().iter().filter(|(_, n)| *n > 0).map(|(c, n)| format!("{} {n}", c.name())).collect();
        reasons.push(format!("every one of the {requests} requests failed ({})", classes.join(", ")));
    }
    for k in kpis.iter().filter(|k| k.verdict == Verdict::Fail) {
        let value = k.value.map_or("—".into(), |v| format!("{}{}", trim(v), unit_suffix(&k.unit)));
        failed_kpis.push(format!("{} is {value}, target {}", k.name, k.target));
    }
    if !kpis.iter().any(|k| k.verdict != Verdict::NotMeasured) {
        reasons.push("no KPI could be measured: this run holds no evidence for any of them".into());
    }
    RunVerdict { passed: reasons.is_empty() && failed_kpis.is_empty(), run: reasons, failed_kpis }
}

fn unit_suffix(unit: &str) -> String {
    match unit {
        "" => String::new(),
        "%" => " %".into(),
        u => format!(" {u}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{FlowView, Quantiles};
    use crate::scrape::evidence::SoakEvidence;
    use std::time::Duration;

    fn phase(name: &str, kind: PhaseKind, kpi: bool) -> Phase {
        Phase { name: name.into(), duration: Duration::from_secs(60), rate: 10.0, ramp_to: None, kpi, kind }
    }

    fn flow(kind: FlowKind, iterations: u64, denied: u64) -> FlowView {
        FlowView {
            name: format!("{kind:?}"),
            kind,
            weight: 1.0,
            iterations,
            ok: iterations,
            failed: 0,
            correct_denials: denied,
            breaches: 0,
        }
    }

    fn snap(kpi_total: u64, kpi_ok: u64) -> Snapshot {
        let mut s = Snapshot::empty(&["serpapi".to_string()], &[]);
        s.kpi_total = kpi_total;
        s.kpi_ok = kpi_ok;
        s.kpi_latency = Quantiles { count: kpi_total, p50_ms: 5.0, p95_ms: 20.0, p99_ms: 70.0, ..Quantiles::default() };
        s.tools[0].requests = kpi_total;
        s.tools[0].ok = kpi_ok;
        s.arrivals = kpi_total;
        s
    }

    fn by_id<'a>(r: &'a [KpiResult], id: &str) -> &'a KpiResult {
        r.iter().find(|k| k.id == id).unwrap_or_else(|| panic!("no KPI {id}"))
    }

    #[test]
    fn latency_and_success_are_judged_on_samples_and_fail_when_dropped() {
        let plan = [phase("ramp", PhaseKind::Load, true)];
        let r = evaluate(&Kpi::latency_and_success(), &plan, &snap(1000, 999), &TargetEvidence::default());
        assert_eq!(r.len(), 4, "a quick run judges latency and success only");
        assert_eq!(by_id(&r, "p50").verdict, Verdict::Pass);
        assert_eq!(by_id(&r, "p99").verdict, Verdict::Fail, "70 ms > 60 ms");
        assert_eq!(by_id(&r, "success").value, Some(99.9));
        let mut dropped = snap(1000, 1000);
        dropped.dropped = 10;
        let r = evaluate(&Kpi::latency_and_success(), &plan, &dropped, &TargetEvidence::default());
        assert_eq!(by_id(&r, "p50").verdict, Verdict::Fail, "drops hide the tail");
        assert!(by_id(&r, "success").value.unwrap() < 99.01);
        let r = evaluate(&Kpi::latency_and_success(), &plan, &snap(0, 0), &TargetEvidence::default());
        assert!(r.iter().all(|k| k.verdict == Verdict::NotMeasured), "{r:?}");
        assert!(by_id(&r, "p99").evidence.contains("no happy-path call"));
    }

    #[test]
    fn drops_in_a_chaos_window_do_not_fail_the_kpi_phases() {
        let plan = [phase("ramp", PhaseKind::Load, true), phase("chaos", PhaseKind::Chaos, false)];
        let point = |phase: usize, dropped: u64| crate::metrics::SecondPoint {
            scheduled: 10,
            started: 10 - dropped,
            completed: 10,
            dropped,
            ..crate::metrics::SecondPoint::empty(phase as u32, phase, 1)
        };
        let mut s = snap(100, 100);
        s.kpi_latency.p99_ms = 10.0;
        s.dropped = 7;
        s.series = crate::metrics::Series::from(vec![point(0, 0), point(1, 7)]);
        let r = evaluate(&Kpi::latency_and_success(), &plan, &s, &TargetEvidence::default());
        assert!(r.iter().all(|k| k.verdict == Verdict::Pass), "{r:?}");
        s.series = crate::metrics::Series::from(vec![point(0, 2), point(1, 7)]);
        let r = evaluate(&Kpi::latency_and_success(), &plan, &s, &TargetEvidence::default());
        assert_eq!(by_id(&r, "p99").verdict, Verdict::Fail, "a drop in a KPI phase hides its tail");
    }

    #[test]
    fn phase_bound_kpis_are_not_measured_when_their_phase_did_not_run() {
        let plan = [
            phase("ramp", PhaseKind::Load, true),
            phase("soak", PhaseKind::Soak, true),
            phase("cache", PhaseKind::Cache, true),
        ];
        let target = TargetEvidence { cache_hits: Some(14.0), cache_misses: Some(86.0), ..Default::default() };
        let r = evaluate(&Kpi::default(), &plan, &snap(100, 100), &target);
        let cache = by_id(&r, "cache");
        assert_eq!((cache.verdict, cache.evidence.as_str()), (Verdict::NotMeasured, "phase did not run: cache"));
        assert_eq!(by_id(&r, "memory").evidence, "phase did not run: soak");

        let ran = TargetEvidence { cache_phases: vec!["cache".into()], ..target.clone() };
        assert_eq!(by_id(&evaluate(&Kpi::default(), &plan, &snap(100, 100), &ran), "cache").verdict, Verdict::Fail);
        let idle = TargetEvidence { cache_hits: Some(0.0), cache_misses: Some(0.0), ..ran };
        assert!(by_id(&evaluate(&Kpi::default(), &plan, &snap(100, 100), &idle), "cache")
            .evidence
            .contains("did not move"));

        let no_cache_phase = [phase("ramp", PhaseKind::Load, true)];
        assert!(by_id(&evaluate(&Kpi::default(), &no_cache_phase, &snap(1, 1), &target), "cache")
            .evidence
            .contains("no cache phase"));
    }

    #[test]
    fn memory_needs_a_soak_of_the_stated_length() {
        let plan = [phase("soak", PhaseKind::Soak, true)];
        let soak = |seconds: f64| TargetEvidence {
            soak: Some(SoakEvidence {
                phase: "soak".into(),
                seconds,
                rss_start_bytes: Some(100.0),
                rss_end_bytes: Some(125.0),
            }),
            ..Default::default()
        };
        let short = evaluate(&Kpi::default(), &plan, &snap(1, 1), &soak(45.0));
        assert_eq!(by_id(&short, "memory").verdict, Verdict::NotMeasured);
        assert!(
            by_id(&short, "memory").evidence.contains("ran 45 s; growth needs ≥ 10m"),
            "{}",
            by_id(&short, "memory").evidence
        );
        let long = evaluate(&Kpi::default(), &plan, &snap(1, 1), &soak(900.0));
        assert_eq!((by_id(&long, "memory").verdict, by_id(&long, "memory").value), (Verdict::Fail, Some(25.0)));
    }

    #[test]
    fn provenance_and_denials_need_their_flows_to_have_run() {
        let plan = [phase("ramp", PhaseKind::Load, true)];
        let zero = TargetEvidence { provenance_mismatches: Some(0.0), ..Default::default() };
        let mut s = snap(10, 10);
        let r = evaluate(&Kpi::default(), &plan, &s, &zero);
        assert_eq!(by_id(&r, "provenance").verdict, Verdict::NotMeasured, "a target-scraped 0 is no evidence alone");
        assert_eq!(by_id(&r, "denied").verdict, Verdict::NotMeasured);
        s.flows = vec![flow(FlowKind::Security, 20, 20), flow(FlowKind::Denial, 30, 30)];
        let r = evaluate(&Kpi::default(), &plan, &s, &zero);
        assert!(by_id(&r, "provenance").evidence.contains("did not move"), "{}", by_id(&r, "provenance").evidence);
        assert_eq!(by_id(&r, "denied").value, Some(100.0));
        let counted = TargetEvidence {
            provenance_mismatches: Some(22.0),
            security_events: [("provenance_mismatch".to_string(), 22.0)].into(),
            ..Default::default()
        };
        let p = evaluate(&Kpi::default(), &plan, &s, &counted);
        assert_eq!((by_id(&p, "provenance").value, by_id(&p, "provenance").verdict), (Some(2.0), Verdict::Fail));
    }

    #[test]
    fn a_run_passes_only_with_evidence_and_no_failure() {
        let plan = [phase("ramp", PhaseKind::Load, true)];
        let mut good = snap(100, 100);
        good.kpi_latency.p99_ms = 10.0;
        let kpis = evaluate(&Kpi::latency_and_success(), &plan, &good, &TargetEvidence::default());
        assert_eq!(judge_run(&good, &kpis), RunVerdict { passed: true, run: vec![], failed_kpis: vec![] });

        let empty = snap(0, 0);
        let v = judge_run(&empty, &evaluate(&Kpi::default(), &plan, &empty, &TargetEvidence::default()));
        assert!(!v.passed);
        assert!(v.run[0].starts_with("nothing was sent"), "{v:?}");
        assert!(v.run.iter().any(|r| r.starts_with("no KPI could be measured")), "{v:?}");

        let mut failed = snap(0, 0);
        failed.tools[0].requests = 50;
        failed.tools[0].errors.0[crate::metrics::ErrorClass::Unexpected.index()] = 50;
        let v = judge_run(&failed, &[]);
        assert!(v.run[0].contains("every one of the 50 requests failed (unexpected 50)"), "{v:?}");
        let slow = evaluate(&Kpi::latency_and_success(), &plan, &snap(100, 100), &TargetEvidence::default());
        let v = judge_run(&snap(100, 100), &slow);
        assert_eq!((v.passed, v.run.len()), (false, 0));
        assert_eq!(v.failed_kpis, vec!["p99 latency is 70 ms, target ≤ 60 ms".to_string()]);
    }

    #[test]
    fn flapping_is_judged_on_steady_phases_of_a_target_that_shows_its_breakers() {
        use crate::scrape::evidence::SteadyBreakers;
        let plan = [phase("hold", PhaseKind::Load, true)];
        let kpi = Kpi::default();
        let r = evaluate(&kpi, &plan, &snap(1000, 1000), &TargetEvidence::default());
        assert_eq!(by_id(&r, "breaker_flapping").verdict, Verdict::NotMeasured, "no breaker states exposed");
        let none_ran = TargetEvidence { steady_breakers: Some(SteadyBreakers::default()), ..Default::default() };
        let r = evaluate(&kpi, &plan, &snap(1000, 1000), &none_ran);
        assert!(by_id(&r, "breaker_flapping").evidence.contains("no steady phase"));
        let calm = SteadyBreakers { phases: vec!["hold".into()], ..Default::default() };
        let r = evaluate(
            &kpi,
            &plan,
            &snap(1000, 1000),
            &TargetEvidence { steady_breakers: Some(calm), ..Default::default() },
        );
        assert_eq!(
            (by_id(&r, "breaker_flapping").verdict, by_id(&r, "breaker_flapping").value),
            (Verdict::Pass, Some(0.0))
        );
        let flapping = SteadyBreakers {
            phases: vec!["hold".into()],
            worst_changes: 4,
            worst: Some(("serpapi".into(), "hold".into())),
        };
        let r = evaluate(
            &kpi,
            &plan,
            &snap(1000, 1000),
            &TargetEvidence { steady_breakers: Some(flapping), ..Default::default() },
        );
        let k = by_id(&r, "breaker_flapping");
        assert_eq!(k.verdict, Verdict::Fail, "4 changes > 2");
        assert!(k.evidence.contains("serpapi in hold"), "{}", k.evidence);
    }

    #[test]
    fn event_loop_lag_is_judged_only_where_the_target_reports_it() {
        let plan = [phase("hold", PhaseKind::Load, true)];
        let r = evaluate(&Kpi::default(), &plan, &snap(1000, 1000), &TargetEvidence::default());
        assert_eq!(by_id(&r, "event_loop_lag").verdict, Verdict::NotMeasured);
        let lagging = TargetEvidence { event_loop_lag_max_ms: Some(180.0), ..Default::default() };
        let r = evaluate(&Kpi::default(), &plan, &snap(1000, 1000), &lagging);
        assert_eq!(by_id(&r, "event_loop_lag").verdict, Verdict::Fail, "180 ms > 100 ms");
    }

    #[test]
    fn cache_speedup_compares_marked_hits_with_misses() {
        let plan = [phase("cache", PhaseKind::Cache, true)];
        let r = evaluate(&Kpi::default(), &plan, &snap(1000, 1000), &TargetEvidence::default());
        assert_eq!(by_id(&r, "cache_latency").verdict, Verdict::NotMeasured, "nothing marked");
        let mut s = snap(1000, 1000);
        s.cache_hit = Quantiles { count: 5, p50_ms: 1.0, ..Quantiles::default() };
        s.cache_miss = Quantiles { count: 500, p50_ms: 20.0, ..Quantiles::default() };
        let r = evaluate(&Kpi::default(), &plan, &s, &TargetEvidence::default());
        assert!(by_id(&r, "cache_latency").evidence.contains("5 hits"), "too few hits to judge");
        s.cache_hit.count = 300;
        let r = evaluate(&Kpi::default(), &plan, &s, &TargetEvidence::default());
        let k = by_id(&r, "cache_latency");
        assert_eq!((k.verdict, k.value), (Verdict::Pass, Some(95.0)), "1 ms vs 20 ms");
        s.cache_hit.p50_ms = 19.0;
        let r = evaluate(&Kpi::default(), &plan, &s, &TargetEvidence::default());
        assert_eq!(by_id(&r, "cache_latency").verdict, Verdict::Fail, "5 % faster is not the 20 % asked");
    }
}
