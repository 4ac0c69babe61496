//! What a capacity search measured, and the rules that judge one step: the client's limits
//! first (it must not blame the target for its own), then the latency and success KPIs.

use crate::scenario::Kpi;
use serde::{Deserialize, Serialize};

/// Completions of the happy path a step needs before its percentiles are judged: a p99 over
/// 200 samples rests on the two slowest, not on one.
pub const MIN_SAMPLES: u64 = 200;
/// Dropped or unsent arrivals above this share mean the client did not offer the step's load.
pub const MAX_UNSENT_SHARE: f64 = 0.005;
/// This process's CPU above this share of all cores: the client is saturated.
pub const CLIENT_CPU_SATURATED: f64 = 0.9;
/// Requests leaving later than this after their intended start, on average, mean the client
/// could not keep the schedule: at least this many ms, or this share of the p99 target.
pub const MAX_DISPATCH_LAG_MS: f64 = 5.0;
pub const MAX_DISPATCH_LAG_SHARE: f64 = 0.1;

/// One step as measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepMeasure {
    pub rate: f64,
    /// The step's load phase, as planned.
    pub duration_s: f64,
    /// Arrivals the schedule planned: rate × duration.
    pub planned: u64,
    pub arrivals: u64,
    pub dropped: u64,
    pub completed: u64,
    /// Happy-path calls in the step and how many succeeded: the KPIs' evidence.
    pub samples: u64,
    pub ok: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// This process's CPU over the step, in % of all cores (`None` off Linux).
    pub client_cpu_pct: Option<f64>,
    /// How long after its intended start a request left, on average (latency − service time).
    #[serde(default)]
    pub dispatch_lag_ms: f64,
    /// Target-scraped, when its profile names the series.
    pub target_cpu_pct: Option<f64>,
    pub target_rss_bytes: Option<f64>,
    pub breaker_transitions: Option<usize>,
    /// Why the engine stopped the step early (setup failure), if it did.
    pub abort: Option<String>,
}

impl StepMeasure {
    pub fn success_pct(&self) -> Option<f64> {
        (self.samples > 0).then(|| 100.0 * self.ok as f64 / self.samples as f64)
    }
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum StepVerdict {
    /// Every applicable KPI held.
    Held,
    /// `kpi` broke; `detail` says by how much.
    Broke { kpi: String, detail: String },
    /// The client, not the target, was the limit: nothing is claimed about the target.
    ClientLimited { reason: String },
    /// Too few samples to judge percentiles.
    TooFewSamples { samples: u64 },
    /// The step could not run (setup failed, target gone).
    Aborted { reason: String },
}

/// Judges one step against the KPI targets.
pub fn judge(kpi: &Kpi, m: &StepMeasure, cores: usize) -> StepVerdict {
    if let Some(reason) = &m.abort {
        return StepVerdict::Aborted { reason: reason.clone() };
    }
    if let Some(cpu) = m.client_cpu_pct {
        if cpu >= CLIENT_CPU_SATURATED * 100.0 {
            return StepVerdict::ClientLimited {
                reason: format!(
                    "proofdeck's CPU was saturated ({cpu:.0}% of {cores} cores); its timings are not the target's"
                ),
            };
        }
    }
    let lag_limit = MAX_DISPATCH_LAG_MS.max(MAX_DISPATCH_LAG_SHARE * kpi.p99_ms);
    if m.dispatch_lag_ms > lag_limit {
        return StepVerdict::ClientLimited {
            reason: format!(
                "requests left {:.1} ms after their intended start on average (more than {lag_limit:.1} ms): \
                 the client could not keep the schedule",
                m.dispatch_lag_ms
            ),
        };
    }
    let unsent = m.planned.saturating_sub(m.arrivals) as f64;
    if m.planned > 0 && unsent / m.planned as f64 > MAX_UNSENT_SHARE {
        return StepVerdict::ClientLimited {
            reason: format!("the scheduler fell behind: {} of {} planned arrivals were sent", m.arrivals, m.planned),
        };
    }
    if let Some(broke) = worst_broken_kpi(kpi, m) {
        return broke;
    }
    if m.arrivals > 0 && m.dropped as f64 / m.arrivals as f64 > MAX_UNSENT_SHARE {
        return StepVerdict::ClientLimited {
            reason: format!(
                "the in-flight cap was reached: {} of {} arrivals dropped (raise --max-inflight)",
                m.dropped, m.arrivals
            ),
        };
    }
    if m.samples < MIN_SAMPLES {
        return StepVerdict::TooFewSamples { samples: m.samples };
    }
    StepVerdict::Held
}

/// The KPI that broke by the largest share of its target, if any did. Latency is judged
/// only with enough samples; success as soon as there are any.
fn worst_broken_kpi(kpi: &Kpi, m: &StepMeasure) -> Option<StepVerdict> {
    let mut broken: Vec<(f64, String, String)> = Vec::new();
    if let Some(success) = m.success_pct() {
        if success < kpi.success_pct {
            let by = (kpi.success_pct - success) / kpi.success_pct.max(1e-9);
            broken.push((by, "success".into(), format!("success {success:.2}% < {}%", kpi.success_pct)));
        }
    }
    if m.samples >= MIN_SAMPLES {
        for (name, got, limit) in
            [("p50", m.p50_ms, kpi.p50_ms), ("p95", m.p95_ms, kpi.p95_ms), ("p99", m.p99_ms, kpi.p99_ms)]
        {
            if got > limit {
                let by = (got - limit) / limit;
                broken.push((by, name.into(), format!("{name} {got:.1} ms > {limit} ms (+{:.0}%)", by * 100.0)));
            }
        }
    }
    broken.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, kpi, detail)| StepVerdict::Broke { kpi, detail })
}

/// One step of the search: what was planned, measured and decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(flatten)]
    pub measure: StepMeasure,
    #[serde(flatten)]
    pub verdict: StepVerdict,
}

/// Why the search ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// The knee was bracketed within the precision: `kpi` broke first above the capacity.
    Target {
        kpi: String,
        detail: String,
        broke_at: f64,
    },
    /// The limit rate held: the capacity is at least that.
    MaxRate {
        max_rate: f64,
    },
    /// The client became the bottleneck at `at`: the capacity is at least the last held rate.
    Client {
        reason: String,
        at: f64,
    },
    /// Even the lowest rate tried broke.
    NothingHeld {
        kpi: String,
        detail: String,
        lowest: f64,
    },
    /// The step budget ran out before the precision was reached.
    StepBudget,
    TooFewSamples {
        at: f64,
        samples: u64,
    },
    Aborted {
        reason: String,
    },
    Interrupted,
}

/// The search's result, written as `capacity.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub scenario: String,
    pub target: String,
    pub started_at: String,
    pub kpi: Kpi,
    pub start_rate: f64,
    pub max_rate: f64,
    pub precision_pct: f64,
    pub min_samples: u64,
    pub steps: Vec<Step>,
    /// The highest rate at which the latency and success KPIs held (arrivals/s).
    pub capacity: Option<f64>,
    pub ending: Ending,
    /// The scenario plan's peak arrival rate, for the headroom.
    #[serde(default)]
    pub plan_peak: f64,
    /// The target is the bundled gateway in this process: client CPU includes its work.
    #[serde(default)]
    pub target_in_process: bool,
}

impl Capacity {
    /// The search's findings in one sentence.
    pub fn headline(&self) -> String {
        match &self.ending {
            Ending::Target { detail, broke_at, .. } => {
                format!(
                    "capacity {} (latency and success KPIs held); above it, at {broke_at:.1}/s: {detail}",
                    fmt_rate(self.capacity)
                )
            }
            Ending::MaxRate { max_rate } => {
                format!("capacity ≥ {max_rate:.1} arrivals/s: the limit held (raise --max-rate to search further)")
            }
            Ending::Client { reason, at } => format!(
                "capacity ≥ {} (a lower bound): the client became the limit at {at:.1}/s: {reason}",
                fmt_rate(self.capacity)
            ),
            Ending::NothingHeld { detail, lowest, .. } => {
                format!("no capacity: even {lowest:.2} arrivals/s broke a KPI: {detail}")
            }
            Ending::StepBudget => format!(
                "capacity ≥ {}: the step budget ran out before the knee was bracketed within {}%",
                fmt_rate(self.capacity),
                self.precision_pct
            ),
            Ending::TooFewSamples { at, samples } => format!(
                "capacity ≥ {}: the step at {at:.1}/s had {samples} samples (need {}); lengthen --step-duration",
                fmt_rate(self.capacity),
                self.min_samples
            ),
            Ending::Aborted { reason } => format!("search aborted: {reason}"),
            Ending::Interrupted => format!("search interrupted; capacity so far ≥ {}", fmt_rate(self.capacity)),
        }
    }
}

impl Capacity {
    /// Capacity over the plan's peak, in words, when both are known.
    pub fn headroom(&self) -> Option<String> {
        let capacity = self.capacity?;
        (self.plan_peak > 0.0).then(|| {
            let lower_bound = !matches!(self.ending, Ending::Target { .. });
            format!(
                "the scenario's plan peaks at {:.1} arrivals/s: headroom {}{:.1}× ({capacity:.1} / {:.1})",
                self.plan_peak,
                if lower_bound { "≥ " } else { "" },
                capacity / self.plan_peak,
                self.plan_peak
            )
        })
    }
}

pub fn fmt_rate(rate: Option<f64>) -> String {
    rate.map_or("—".to_string(), |r| format!("{r:.1} arrivals/s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_step() -> StepMeasure {
        StepMeasure {
            rate: 100.0,
            duration_s: 10.0,
            planned: 1000,
            arrivals: 1000,
            completed: 1000,
            samples: 1000,
            ok: 1000,
            p50_ms: 5.0,
            p95_ms: 10.0,
            p99_ms: 20.0,
            client_cpu_pct: Some(20.0),
            ..StepMeasure::default()
        }
    }

    #[test]
    fn a_step_within_every_kpi_holds() {
        assert_eq!(judge(&Kpi::default(), &held_step(), 2), StepVerdict::Held);
    }

    #[test]
    fn the_worst_broken_kpi_is_named_with_its_excess() {
        let m = StepMeasure { p95_ms: 40.0, p99_ms: 120.0, ..held_step() };
        match judge(&Kpi::default(), &m, 2) {
            StepVerdict::Broke { kpi, detail } => {
                assert_eq!(kpi, "p99");
                assert_eq!(detail, "p99 120.0 ms > 60 ms (+100%)");
            }
            other => panic!("{other:?}"),
        }
        let m = StepMeasure { ok: 900, ..held_step() };
        assert!(matches!(judge(&Kpi::default(), &m, 2), StepVerdict::Broke { kpi, .. } if kpi == "success"));
    }

    #[test]
    fn the_client_is_blamed_for_its_own_limits_never_the_target() {
        let cpu = StepMeasure { client_cpu_pct: Some(95.0), p99_ms: 500.0, ..held_step() };
        assert!(matches!(judge(&Kpi::default(), &cpu, 2), StepVerdict::ClientLimited { .. }));
        let late = StepMeasure { dispatch_lag_ms: 12.0, ..held_step() };
        assert!(
            matches!(judge(&Kpi::default(), &late, 2), StepVerdict::ClientLimited { reason } if reason.contains("12.0 ms after"))
        );
        let behind = StepMeasure { arrivals: 900, ..held_step() };
        assert!(
            matches!(judge(&Kpi::default(), &behind, 2), StepVerdict::ClientLimited { reason } if reason.contains("scheduler"))
        );
        let dropped = StepMeasure { dropped: 50, ..held_step() };
        assert!(
            matches!(judge(&Kpi::default(), &dropped, 2), StepVerdict::ClientLimited { reason } if reason.contains("in-flight"))
        );
        // Drops with a broken KPI: the target was slow enough to fill the cap.
        let slow = StepMeasure { dropped: 50, p99_ms: 900.0, ..held_step() };
        assert!(matches!(judge(&Kpi::default(), &slow, 2), StepVerdict::Broke { .. }));
    }

    #[test]
    fn too_few_samples_judge_success_but_not_percentiles() {
        let few = StepMeasure { samples: 50, ok: 50, p99_ms: 900.0, ..held_step() };
        assert_eq!(judge(&Kpi::default(), &few, 2), StepVerdict::TooFewSamples { samples: 50 });
        let failing = StepMeasure { samples: 50, ok: 10, ..held_step() };
        assert!(matches!(judge(&Kpi::default(), &failing, 2), StepVerdict::Broke { kpi, .. } if kpi == "success"));
    }
}
