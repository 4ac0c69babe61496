//! One step of a capacity search: the scenario's flow mix at one open-model rate for one
//! phase, with the target scraped around it (CPU, RSS) and every second during it (breaker
//! states).

use super::model::StepMeasure;
use crate::engine::{self, EngineCommand, EngineOptions};
use crate::scenario::{Phase, PhaseKind, Scenario};
use crate::scrape::derive::BreakerTimeline;
use crate::scrape::fetch::MetricsSource;
use crate::scrape::parser::{self, Exposition};
use crate::scrape::profile::TargetProfile;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often breaker states are sampled during a step.
const BREAKER_SAMPLE: Duration = Duration::from_secs(1);

pub struct StepRunner {
    pub scenario: Arc<Scenario>,
    pub target: String,
    pub engine: EngineOptions,
    pub metrics: MetricsSource,
    pub profile: TargetProfile,
    pub cores: usize,
}

impl StepRunner {
    /// Runs step `index` at `rate` for `duration`; a `true` on `stop` ends it early (drained).
    pub async fn run(
        &self,
        index: usize,
        rate: f64,
        duration: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> StepMeasure {
        let scenario = Arc::new(step_scenario(&self.scenario, index, rate, duration));
        let clock = Instant::now();
        let before = self.scrape(clock).await;
        let cpu_before = crate::procstat::read_self().cpu_seconds;
        let load_started = Instant::now();
        let handle = engine::start(scenario, &self.target, EngineOptions { rate_scale: 1.0, ..self.engine.clone() });
        let mut breakers = BreakerTimeline::new();
        let mut tick = tokio::time::interval(BREAKER_SAMPLE);
        let mut join = handle.join;
        let mut stopping = false;
        let result = loop {
            tokio::select! {
                r = &mut join => break r,
                _ = tick.tick() => {
                    if let Some((expo, t)) = self.scrape(clock).await {
                        let reading = self.profile.read(None, (&expo, t));
                        for (tool, state) in reading.breaker_by_tool.unwrap_or_default() {
                            breakers.observe(t, &tool, state);
                        }
                    }
                }
                changed = stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() && *stop.borrow() {
                        let _ = handle.commands.send(EngineCommand::Stop);
                    }
                }
            }
        };
        let elapsed = load_started.elapsed().as_secs_f64();
        let client_cpu_pct = crate::procstat::read_self()
            .cpu_seconds
            .zip(cpu_before)
            .map(|(after, before)| 100.0 * (after - before) / elapsed.max(1e-3) / self.cores.max(1) as f64);
        let after = self.scrape(clock).await;
        let target = match (&before, &after) {
            (Some((b, tb)), Some((a, ta))) => Some(self.profile.read(Some((b, *tb)), (a, *ta))),
            _ => None,
        };
        let planned = (rate * duration.as_secs_f64()).round() as u64;
        let mut m = StepMeasure {
            rate,
            duration_s: duration.as_secs_f64(),
            planned,
            client_cpu_pct,
            target_cpu_pct: target.as_ref().and_then(|r| r.cpu_pct_of_core),
            target_rss_bytes: target.as_ref().and_then(|r| r.rss_bytes),
            // Only a target that shows its breakers can say none changed.
            breaker_transitions: breakers.tools().next().map(|_| breakers.transitions().len()),
            ..StepMeasure::default()
        };
        match result {
            Ok(r) => {
                let s = &r.snapshot;
                m.arrivals = s.arrivals;
                m.dropped = s.dropped;
                m.completed = s.completed;
                m.samples = s.kpi_total;
                m.ok = s.kpi_ok;
                m.p50_ms = s.kpi_latency.p50_ms;
                m.p95_ms = s.kpi_latency.p95_ms;
                m.p99_ms = s.kpi_latency.p99_ms;
                m.dispatch_lag_ms = s.dispatch_lag.mean_ms;
                m.abort = r.abort;
            }
            Err(e) => m.abort = Some(format!("the load engine failed: {e}")),
        }
        m
    }

    /// The target's exposition and its time on the step clock; `None` when it has none.
    async fn scrape(&self, clock: Instant) -> Option<(Exposition, f64)> {
        let text = self.metrics.fetch().await.ok()?;
        Some((parser::parse(&text), clock.elapsed().as_secs_f64()))
    }
}

/// The scenario with one load phase at `rate` for `duration`, judged by the KPIs; chaos
/// plans are the run's business, not a step's.
pub fn step_scenario(scenario: &Scenario, index: usize, rate: f64, duration: Duration) -> Scenario {
    let mut s = scenario.clone();
    s.phases = vec![Phase {
        name: format!("step {index} at {rate:.1}/s"),
        duration,
        rate,
        ramp_to: None,
        kpi: true,
        kind: PhaseKind::Load,
    }];
    s.chaos.clear();
    s
}
