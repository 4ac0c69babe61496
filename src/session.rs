//! One run from start to report, shared by the cockpit and headless mode: the engine, the
//! target's metrics before and after, the chaos schedule, KPI verdicts and the run directory.

use crate::config::RunConfig;
use crate::engine::{self, EngineHandle};
use crate::gateway::GatewayHandle;
use crate::metrics::aggregate::FinalHistograms;
use crate::metrics::Snapshot;
use crate::outcome::Outcome;
use crate::report::kpi::{self, KpiResult};
use crate::report::{self, RunReport};
use crate::scenario::Scenario;
use crate::scrape::fetch::DEFAULT_TIMEOUT;
use crate::scrape::parser;
use crate::scrape::profile::TargetProfile;
use crate::scrape::reconcile::{self, ClientCounts, Reconciliation};

/// Client and target counts may differ by this much before reconciliation flags a tool.
pub const RECONCILE_TOLERANCE_PCT: f64 = 0.5;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the load goes, and the in-process gateway when there is one.
pub struct Target {
    pub url: String,
    pub embedded: Option<GatewayHandle>,
}

pub struct Session {
    pub scenario: Arc<Scenario>,
    pub target: Target,
    pub engine: EngineHandle,
    /// Leave this run's chaos in place at the end (`--keep-chaos`).
    keep_chaos: bool,
    pub monitor: crate::monitor::Monitor,
    pub reporter: Reporter,
    /// The one way to stop the run early (keys, signals, a cockpit panic).
    pub stopper: crate::stop::Stopper,
    monitor_tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Everything needed to write a report, at the end or mid-run; cheap to clone into the task
/// that serves "export now".
#[derive(Clone)]
pub struct Reporter {
    scenario: Arc<Scenario>,
    target_url: String,
    embedded: bool,
    started_at: chrono::DateTime<chrono::Utc>,
    metrics_before: Option<String>,
    monitor: crate::monitor::Monitor,
    profile: TargetProfile,
    snapshots: tokio::sync::watch::Receiver<Arc<Snapshot>>,
    metrics: crate::scrape::fetch::MetricsSource,
    /// Masked by value in every file the run writes.
    secrets: crate::redact::Secrets,
    pub dir: PathBuf,
    /// One shard of a sharded run (and its plan's id): it sends part of what the target counts.
    shard: Option<(crate::engine::stripe::Stripe, String)>,
}

/// How the run stood when a report was written.
pub struct Ending<'a> {
    /// Interrupted, aborted or mid-run: the numbers cover part of the plan.
    pub partial: bool,
    pub abort: Option<String>,
    /// Chaos this run set and could not clear (final reports only).
    pub chaos_left: &'a [crate::live::ChaosLeft],
    /// A report of a run still going: requests in flight make reconciliation differ by design.
    pub mid_run: bool,
}

/// A written report and what the summary needs from it.
pub struct Written {
    pub kpis: Vec<KpiResult>,
    pub verdict: kpi::RunVerdict,
    pub reconciliation: Reconciliation,
    pub dir: PathBuf,
    pub error: Option<report::ReportError>,
}

impl Session {
    /// Starts the load on `target` as `config` says.
    pub async fn start(config: &RunConfig, target: Target) -> Self {
        let url = target.url.clone();
        Self::start_with(config, target, |scenario| engine::start(scenario, &url, config.engine.clone())).await
    }

    /// Starts a session around the engine `engine` makes (a local one, or a coordinator of
    /// shards), once the target's metrics before the run are read.
    pub async fn start_with(
        config: &RunConfig,
        target: Target,
        engine: impl FnOnce(Arc<Scenario>) -> EngineHandle,
    ) -> Self {
        let (scenario, profile, started_at) = (config.scenario.clone(), &config.profile, config.started_at);
        let metrics = crate::scrape::fetch::MetricsSource::new(&target.url, DEFAULT_TIMEOUT, config.scrape_max_bytes)
            .insecure(config.engine.insecure);
        let metrics_before = metrics.fetch().await.ok();
        let engine = engine(scenario.clone());
        let stopper = crate::stop::Stopper::new(engine.commands.clone());
        // A shard's chaos is the coordinator's: injecting it N times would be N injections.
        let watched = match config.shard {
            Some(_) => Arc::new(Scenario { chaos: Default::default(), ..(*scenario).clone() }),
            None => scenario.clone(),
        };
        let (monitor, monitor_tasks) = crate::monitor::Monitor::start(
            &target.url,
            &watched,
            profile,
            engine.snapshots.clone(),
            metrics.clone(),
            config.admin_timeout,
            config.dashboard.clone(),
        );
        let reporter = Reporter {
            scenario: scenario.clone(),
            target_url: target.url.clone(),
            embedded: target.embedded.is_some(),
            started_at,
            metrics_before,
            monitor: monitor.clone(),
            profile: profile.metrics.clone(),
            snapshots: engine.snapshots.clone(),
            metrics,
            secrets: crate::redact::Secrets::from_run(&scenario.source, &target.url),
            dir: config.report_dir.clone(),
            shard: config.shard.as_ref().map(|s| (s.stripe.clone(), config.plan_id())),
        };
        Self { scenario, target, engine, keep_chaos: config.keep_chaos, monitor, reporter, stopper, monitor_tasks }
    }

    /// Waits for the engine, clears the chaos this run set, gathers the evidence, judges the
    /// KPIs and writes the report — as soon as the run ends, also when the engine died.
    pub async fn finish(self) -> Outcome {
        let result = self.engine.join.await;
        let chaos_left = if self.keep_chaos { Vec::new() } else { self.monitor.clear_own().await };
        // Effect checks judge as soon as the run is over; the report waits for their verdicts.
        self.monitor.settle_checks(crate::scrape::fetch::DEFAULT_TIMEOUT + Duration::from_secs(2)).await;
        for task in &self.monitor_tasks {
            task.abort();
        }
        let (snapshot, histograms, abort, stopped) = match result {
            Ok(r) => (r.snapshot, r.histograms, r.abort, r.stopped_by_command),
            Err(e) => {
                let snap = self.reporter.snapshots.borrow().clone();
                let names: Vec<String> = snap.tools.iter().map(|t| t.name.clone()).collect();
                (snap, FinalHistograms::empty(&names), Some(format!("the engine failed: {e}")), false)
            }
        };
        // Stopped early, or a finished plan whose drain was abandoned.
        let interrupted = stopped || self.stopper.requests() >= 2;
        let partial = interrupted || abort.is_some();
        let aborted = abort.is_some();
        let ending = Ending { partial, abort, chaos_left: &chaos_left, mid_run: false };
        let written = self.reporter.write(&snapshot, &histograms, ending, &self.reporter.dir).await;
        let mut exit_code = crate::outcome::exit_code(&snapshot, &written.verdict, interrupted, aborted);
        if written.error.is_some() && exit_code != crate::outcome::exit::INTERRUPTED {
            // No report.json, no junit.xml: CI must not read this run as judged.
            exit_code = crate::outcome::exit::ABORTED;
        }

        Outcome {
            snapshot,
            reconciliation: written.reconciliation,
            kpis: written.kpis,
            verdict: written.verdict,
            chaos_left,
            report_dir: written.error.is_none().then_some(written.dir),
            report_error: written.error.map(|e| e.to_string()),
            exit_code,
            secrets: self.reporter.secrets.clone(),
        }
    }
}

impl Reporter {
    /// Writes the whole run directory for `snapshot` into `dir`.
    pub async fn write(
        &self,
        snapshot: &Snapshot,
        histograms: &FinalHistograms,
        ending: Ending<'_>,
        dir: &std::path::Path,
    ) -> Written {
        let metrics_after = self.metrics.fetch().await.ok();
        let phase_runs = crate::util::lock(&self.monitor.phase_runs).clone();
        let mut evidence = crate::scrape::evidence::gather(
            &self.profile,
            self.metrics_before.as_deref(),
            metrics_after.as_deref(),
            snapshot.elapsed_s,
            &phase_runs,
        );
        // Breaker states and event-loop lag are sampled by every scrape, not diffed.
        let breakers_seen = self.monitor.breakers.lock().unwrap_or_else(|e| e.into_inner()).tools().next().is_some();
        if breakers_seen {
            let events = self.monitor.events.borrow();
            evidence.steady_breakers = Some(crate::scrape::evidence::steady_breakers(
                &self.scenario.phases,
                &snapshot.series.to_vec(),
                &events,
            ));
        }
        evidence.event_loop_lag_max_ms = self.monitor.target.borrow().event_loop_lag_max_ms;
        let kpis = kpi::evaluate(&self.scenario.kpi, &self.scenario.phases, snapshot, &evidence);
        let mut verdict = kpi::judge_run(snapshot, &kpis);
        // A report of part of the plan proves only part of it: never an all-green suite.
        if ending.partial {
            verdict.fail_for(match &ending.abort {
                Some(why) => format!("the run did not finish: {why}"),
                None => format!("the run was interrupted after {:.1} s; the plan did not finish", snapshot.elapsed_s),
            });
        }
        // A run that leaves chaos behind on the target is not a clean pass, whatever it measured.
        for l in ending.chaos_left {
            verdict.fail_for(format!("chaos left on the target: {} {} ({})", l.tool, l.state, l.why));
        }
        let reconciliation = match &self.shard {
            Some((stripe, _)) => Reconciliation {
                skipped: Some(format!(
                    "shard {stripe} sends part of the load the target counts; the coordinator's report reconciles the whole"
                )),
                ..Reconciliation::default()
            },
            None => reconcile_run(snapshot, self.metrics_before.as_deref(), metrics_after.as_deref(), &self.profile),
        };
        // Only the final report's reconciliation is an event: mid-run, requests in flight
        // make the two sides differ by design.
        if !ending.mid_run {
            for finding in &reconciliation.findings {
                self.monitor.record(crate::live::Event::ReconcileFinding { finding: finding.clone() });
            }
            for m in reconciliation.mismatches() {
                self.monitor
                    .record(crate::live::Event::ReconcileMismatch { tool: m.tool.clone(), note: m.note.clone() });
            }
        }
        let Ending { partial, abort, chaos_left, .. } = ending;
        // One borrow, released at once: a second one in the same statement could wait behind
        // the scrape loop's write and stall both.
        let target_p99_ms = self.monitor.target.borrow().target_p99_ms.clone();
        let dashboard = self.monitor.dashboard.borrow().clone();
        let run = RunReport::new(report::RunInputs {
            scenario: &self.scenario,
            target_url: &self.target_url,
            embedded_target: self.embedded,
            started_at: self.started_at,
            snapshot,
            histograms,
            kpis: &kpis,
            verdict: &verdict,
            evidence: &evidence,
            partial,
            abort,
            chaos: self.monitor.checks(),
            reconciliation: reconciliation.clone(),
            breakers: breaker_summaries(&self.monitor.breakers.lock().unwrap_or_else(|e| e.into_inner())),
            events: self.monitor.events.borrow().clone(),
            chaos_left: chaos_left.to_vec(),
            dashboard: dashboard.as_deref(),
            target_p99_ms,
            shard: self.shard.as_ref().map(|(stripe, plan)| (stripe, plan.as_str())),
        });
        let error = report::write_all(
            &run,
            dir,
            &self.scenario.source,
            self.metrics_before.as_deref(),
            metrics_after.as_deref(),
            &self.secrets,
        )
        .err()
        .map(|source| report::ReportError::Unwritable { path: dir.to_path_buf(), source });
        Written { kpis, verdict, reconciliation, dir: dir.to_path_buf(), error }
    }

    /// SIGUSR1 or `e`: a report of the run so far, written without waiting for it. Its
    /// outcome goes on the timeline, and on stderr when `tell` (not under the cockpit).
    pub fn export_in_background(&self, tell: bool) {
        let reporter = self.clone();
        tokio::spawn(async move {
            match reporter.export_now().await {
                Ok(dir) if tell => crate::stop::say(&format!("report so far: {}", dir.display())),
                Ok(_) => {}
                Err(e) => {
                    if tell {
                        crate::stop::say(&format!("error: mid-run export failed: {e}"));
                    }
                    reporter.monitor.record(crate::live::Event::ReportFailed { error: e.to_string() });
                }
            }
        });
    }

    /// A report of the run so far, in `<run dir>/midrun-<seconds>s`; the run goes on.
    pub async fn export_now(&self) -> Result<PathBuf, report::ReportError> {
        let snapshot = self.snapshots.borrow().clone();
        let names: Vec<String> = snapshot.tools.iter().map(|t| t.name.clone()).collect();
        let dir = self.dir.join(format!("midrun-{:.1}s", snapshot.elapsed_s));

        let why = format!("mid-run export at {:.0} s; the run was still going", snapshot.elapsed_s);
        let ending = Ending { partial: true, abort: Some(why), chaos_left: &[], mid_run: true };
        let written = self.write(&snapshot, &FinalHistograms::empty(&names), ending, &dir).await;
        self.monitor.record(crate::live::Event::ReportExported { dir: dir.display().to_string() });
        match written.error {
            None => Ok(dir),
            Some(e) => Err(e),
        }
    }
}

/// The client's per-tool counts against the target's counter deltas over the run.
pub fn reconcile_run(
    snapshot: &Snapshot,
    before: Option<&str>,
    after: Option<&str>,
    profile: &TargetProfile,
) -> Reconciliation {
    // Both scrapes or nothing: counter totals since the target started are not the run's.
    let (Some(before), Some(after)) = (before.map(parser::parse), after.map(parser::parse)) else {
        let skipped = Some("no scrape of the target's /metrics before and after the run".to_string());
        return Reconciliation { skipped, ..Reconciliation::default() };
    };
    if snapshot.tools.iter().all(|t| t.by_flow) {
        let skipped = Some("the requests name no tool, and the target counts per tool".to_string());
        return Reconciliation { skipped, ..Reconciliation::default() };
    }
    let before = Some(before);
    let client: Vec<ClientCounts<'_>> = snapshot
        .tools
        .iter()
        .filter(|t| !t.by_flow)
        .map(|t| ClientCounts { tool: &t.name, requests: t.requests, codes: &t.codes })
        .collect();
    reconcile::reconcile(profile, before.as_ref(), &after, &client, RECONCILE_TOLERANCE_PCT)
}

fn breaker_summaries(timeline: &crate::scrape::derive::BreakerTimeline) -> Vec<report::BreakerSummary> {
    timeline
        .tools()
        .map(|tool| report::BreakerSummary {
            tool: tool.to_string(),
            openings: timeline.openings(tool),
            time_open_s: timeline.time_open(tool),
            recovery_s: timeline.recovery_times(tool).to_vec(),
            transitions: timeline.transitions().iter().filter(|t| t.tool == tool).map(|t| (t.t_secs, t.to)).collect(),
        })
        .collect()
}
