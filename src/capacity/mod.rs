//! `run --find-capacity`: the highest open-model rate at which the latency and success KPIs hold.
//!
//! Steps of the scenario's flow mix at rising rates (doubling, then bisection; see
//! [`search`]), each long enough for [`model::MIN_SAMPLES`] happy-path samples and judged by
//! [`model::judge`]: the client's own limits first, so a saturated client is said to be the
//! limit instead of the target. The steps, the knee and why the search ended are written to
//! `capacity.json`, `capacity.md` and `capacity.svg` in the run directory.

pub mod model;
mod output;
pub mod search;
pub mod step;
pub mod view;

pub use view::{Screen, SearchView};

use crate::config::{CapacityOptions, RunConfig};
use crate::outcome::exit;
use crate::stop::{say, Notice};
use model::{Capacity, Ending, Step, StepVerdict};
use search::Search;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Bisection stops when the highest rate that held and the lowest that broke are this close.
pub const PRECISION: f64 = 0.05;
/// Pause between steps, so one step's backlog does not count against the next.
const SETTLE: Duration = Duration::from_secs(1);
/// The longest one step may be made, to reach its samples at a low rate.
const MAX_STEP: Duration = Duration::from_secs(600);

/// Runs the search against `target`, writes its files and returns the exit code.
pub async fn run(
    config: &RunConfig,
    options: &CapacityOptions,
    target: &str,
    mut notices: mpsc::UnboundedReceiver<Notice>,
    screen: Screen,
) -> i32 {
    let (stop_tx, stop) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let progress = Progress::start(config, target, stop_tx.clone(), screen);
    let signalled = stop_tx.clone();
    let stopper = tokio::spawn(async move {
        while let Some(notice) = notices.recv().await {
            if matches!(notice, Notice::Stop) {
                let _ = signalled.send(true);
            }
        }
    });
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runner = step::StepRunner {
        scenario: config.scenario.clone(),
        target: target.to_string(),
        engine: config.engine.clone(),
        metrics: crate::scrape::fetch::MetricsSource::new(
            target,
            crate::scrape::fetch::DEFAULT_TIMEOUT,
            config.scrape_max_bytes,
        )
        .insecure(config.engine.insecure),
        profile: config.profile.metrics.clone(),
        cores,
    };
    let kpi = &config.scenario.kpi;
    let mut search = Search::new(options.start_rate, options.max_rate, PRECISION);
    let mut steps: Vec<Step> = Vec::new();
    let ending = 'search: loop {
        if *stop.borrow() {
            break Ending::Interrupted;
        }
        let Some(rate) = search.next() else {
            break natural_ending(&search, &steps);
        };
        let mut duration = step_length(rate, options.step_duration);
        let mut retried = false;
        let mut client_retried = false;
        let (measure, verdict) = loop {
            progress.step_started(steps.len() + 1, rate, duration);
            let measure = runner.run(steps.len() + 1, rate, duration, stop.clone()).await;
            let verdict = model::judge(kpi, &measure, cores);
            // Too few samples once: the same rate for twice as long.
            if matches!(verdict, StepVerdict::TooFewSamples { .. })
                && !retried
                && !*stop.borrow()
                && duration < MAX_STEP
            {
                retried = true;
                duration = (duration * 2).min(MAX_STEP);
                continue;
            }
            // A step cut short is not judged: its counts are not the step's.
            if *stop.borrow() {
                break (measure, StepVerdict::Aborted { reason: "interrupted: the step was stopped early".into() });
            }
            // The client fell behind once: a passing burst of other work on the machine is
            // not a limit. The step stays in the table and runs once more; twice in a row
            // names the client.
            if matches!(verdict, StepVerdict::ClientLimited { .. }) && !client_retried {
                client_retried = true;
                progress.line(&format!("  {} — running the step again", output::step_line(&measure, &verdict)));
                steps.push(Step { measure, verdict });
                progress.steps(&steps, search.held());
                let mut settle = stop.clone();
                let _ = tokio::time::timeout(SETTLE, settle.wait_for(|s| *s)).await;
                // Stopped while settling: no step starts after the user asked to stop.
                if *stop.borrow() {
                    break 'search Ending::Interrupted;
                }
                continue;
            }
            break (measure, verdict);
        };
        let (ok, samples) = (measure.ok, measure.samples);
        progress.line(&format!("  {}", output::step_line(&measure, &verdict)));
        steps.push(Step { measure, verdict: verdict.clone() });
        match verdict {
            StepVerdict::Held => search.record(rate, true),
            StepVerdict::Broke { .. } => search.record(rate, false),
            _ => {}
        }
        progress.steps(&steps, search.held());
        if *stop.borrow() {
            break Ending::Interrupted;
        }
        // Not one success is no knee: the target is down or the flow is wrong, and lower rates
        // would only hammer it for longer.
        if matches!(verdict, StepVerdict::Broke { .. }) && ok == 0 && samples > 0 && search.held().is_none() {
            break Ending::Aborted {
                reason: format!(
                    "none of {samples} calls succeeded at {rate:.1}/s: the target is down or the flow is wrong, not overloaded"
                ),
            };
        }
        match verdict {
            StepVerdict::Held | StepVerdict::Broke { .. } => {}
            StepVerdict::ClientLimited { reason } => break Ending::Client { reason, at: rate },
            StepVerdict::TooFewSamples { samples } => break Ending::TooFewSamples { at: rate, samples },
            StepVerdict::Aborted { reason } => break Ending::Aborted { reason },
        }
        let mut settle = stop.clone();
        let _ = tokio::time::timeout(SETTLE, settle.wait_for(|s| *s)).await;
    };
    stopper.abort();
    let capacity = Capacity {
        scenario: config.scenario.name.clone(),
        target: crate::report::redact_url(target),
        started_at: config.started_at.to_rfc3339(),
        kpi: kpi.clone(),
        start_rate: options.start_rate,
        max_rate: options.max_rate,
        precision_pct: PRECISION * 100.0,
        min_samples: model::MIN_SAMPLES,
        steps,
        capacity: search.held(),
        ending,
        plan_peak: config.scenario.peak_rate(),
        target_in_process: config.target.is_none(),
    };
    let written = output::write(&capacity, &config.report_dir);
    progress.finish(&capacity.headline()).await;
    crate::stop::print(&format!("{}\n", capacity.headline()));
    match written {
        Ok(()) => {
            crate::stop::print(&format!("capacity report: {}\n", config.report_dir.join("capacity.md").display()))
        }
        Err(e) => say(&format!("error: cannot write the capacity report to {}: {e}", config.report_dir.display())),
    }
    exit_code(&capacity)
}

/// At least `MIN_SAMPLES` happy-path calls expected from the rate (a quarter more, for the
/// flows that are not the happy path), and never shorter than asked.
fn step_length(rate: f64, asked: Duration) -> Duration {
    let needed = Duration::from_secs_f64((model::MIN_SAMPLES as f64 * 1.25 / rate.max(1e-3)).ceil());
    asked.max(needed).min(MAX_STEP)
}

/// Why a search that ran out of rates to try ended.
fn natural_ending(search: &Search, steps: &[Step]) -> Ending {
    let lowest_broken = || {
        steps
            .iter()
            .filter_map(|s| match &s.verdict {
                StepVerdict::Broke { kpi, detail } => Some((s.measure.rate, kpi.clone(), detail.clone())),
                _ => None,
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    if search.reached_max() {
        return Ending::MaxRate { max_rate: search.held().unwrap_or_default() };
    }
    match (search.held(), lowest_broken()) {
        (None, Some((lowest, kpi, detail))) => Ending::NothingHeld { kpi, detail, lowest },
        (Some(held), Some((broke_at, kpi, detail))) if broke_at - held <= PRECISION * held => {
            Ending::Target { kpi, detail, broke_at }
        }
        _ => Ending::StepBudget,
    }
}

fn exit_code(c: &Capacity) -> i32 {
    match (&c.ending, c.capacity) {
        (Ending::Interrupted, _) => exit::INTERRUPTED,
        (Ending::Aborted { .. }, _) => exit::ABORTED,
        (_, None) => exit::KPI_FAILED,
        (_, Some(_)) => exit::OK,
    }
}

/// Where the search reports its progress: lines on stderr (headless), or the live screen.
struct Progress {
    screen: Option<(watch::Sender<SearchView>, tokio::task::JoinHandle<()>)>,
}

impl Progress {
    fn start(config: &RunConfig, target: &str, stop: Arc<watch::Sender<bool>>, screen: Screen) -> Self {
        let stopping = stop.subscribe();
        if config.headless {
            tokio::spawn(announce_stop(stopping, None));
            return Progress { screen: None };
        }
        let k = &config.scenario.kpi;
        let view = SearchView {
            title: format!("{} → {}", config.scenario.name, crate::report::redact_url(target)),
            kpis: format!(
                "KPIs p50 ≤ {} ms · p95 ≤ {} ms · p99 ≤ {} ms · success ≥ {}%",
                k.p50_ms, k.p95_ms, k.p99_ms, k.success_pct
            ),
            p99_target_ms: k.p99_ms,
            ..SearchView::default()
        };
        let (tx, rx) = watch::channel(view);
        let screen = screen(rx, config.theme.clone(), stop);
        tokio::spawn(announce_stop(stopping, Some(tx.clone())));
        Progress { screen: Some((tx, screen)) }
    }

    fn step_started(&self, n: usize, rate: f64, duration: Duration) {
        match &self.screen {
            Some((tx, _)) => {
                tx.send_modify(|v| v.current = Some((n, rate, duration.as_secs_f64(), Instant::now())));
            }
            None => say(&format!("step {n}: {rate:.1} arrivals/s for {}", crate::scenario::duration::format(duration))),
        }
    }

    fn line(&self, text: &str) {
        if self.screen.is_none() {
            say(text);
        }
    }

    fn steps(&self, steps: &[Step], capacity: Option<f64>) {
        if let Some((tx, _)) = &self.screen {
            tx.send_modify(|v| {
                v.steps = steps.to_vec();
                v.capacity = capacity;
            });
        }
    }

    /// Shows the finding and waits for the screen to close.
    async fn finish(self, headline: &str) {
        if let Some((tx, screen)) = self.screen {
            tx.send_modify(|v| v.finished = Some(headline.to_string()));
            let _ = screen.await;
        }
    }
}

/// Says once that a stop was asked for: on the screen, or on stderr.
async fn announce_stop(mut stopping: watch::Receiver<bool>, screen: Option<watch::Sender<SearchView>>) {
    if stopping.wait_for(|s| *s).await.is_ok() {
        match screen {
            Some(tx) => tx.send_modify(|v| v.stopping = true),
            None => say("stopping: the current step drains, then the search ends"),
        }
    }
}
