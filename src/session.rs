//! One run from start to report, shared by the cockpit and headless mode: the engine, the
//! target's metrics before and after, the chaos schedule, KPI verdicts and the run directory.

use crate::engine::{self, EngineHandle};
use crate::metrics::Snapshot;
use crate::report::kpi::{self, KpiResult, TargetEvidence};
use crate::report::{self, RunReport};
use crate::run::{RunArgs, Target};
use crate::scenario::Scenario;
use crate::scrape::parser;
use crate::scrape::profile::TargetProfile;
use crate::scrape::profile_file::Profile;
use crate::scrape::reconcile::{self, ClientCounts, Reconciliation};

/// Client and target counts may differ by this much before reconciliation flags a tool.
pub const RECONCILE_TOLERANCE_PCT: f64 = 0.5;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Scrapes and admin calls give up after this long; a slow target never stalls a run.
pub const TARGET_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Session {
    pub scenario: Arc<Scenario>,
    pub target: Target,
    pub engine: EngineHandle,
    pub args: RunArgs,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub metrics_before: Option<String>,
    pub monitor: crate::monitor::Monitor,
    pub profile: Profile,
    monitor_tasks: Vec<tokio::task::JoinHandle<()>>,
    http: reqwest::Client,
}

pub struct Outcome {
    pub snapshot: Arc<Snapshot>,
    pub reconciliation: Reconciliation,
    pub kpis: Vec<KpiResult>,
    pub report_dir: Option<PathBuf>,
    pub report_error: Option<String>,
    pub exit_code: i32,
}

impl Session {
    pub async fn start(
        scenario: Arc<Scenario>,
        target: Target,
        profile: Profile,
        args: &RunArgs,
    ) -> Self {
        let http = crate::tls::admin_client(TARGET_TIMEOUT);
        let metrics_before = fetch_metrics(&http, &target.url).await;
        let engine = engine::start(
            scenario.clone(),
            &target.url,
            crate::run::engine_options(args),
        );
        let (monitor, monitor_tasks) = crate::monitor::Monitor::start(
            &target.url,
            &scenario,
            &profile,
            engine.snapshots.clone(),
        );
        Self {
            scenario,
            target,
            engine,
            args: args.clone(),
            started_at: chrono::Utc::now(),
            metrics_before,
            monitor,
            monitor_tasks,
            profile,
            http,
        }
    }

    /// Waits for the engine, gathers the evidence, judges the KPIs and writes the report.
    pub async fn finish(self, interrupted: bool) -> Outcome {
        let result = match self.engine.join.await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: the engine stopped unexpectedly: {e}");
                return Outcome {
                    snapshot: self.engine.snapshots.borrow().clone(),
                    reconciliation: Reconciliation::default(),
                    kpis: Vec::new(),
                    report_dir: None,
                    report_error: None,
                    exit_code: crate::cli::exit::ABORTED,
                };
            }
        };
        if !self.args.keep_chaos {
            self.monitor.clear_own().await;
        }
        for task in &self.monitor_tasks {
            task.abort();
        }
        let metrics_after = fetch_metrics(&self.http, &self.target.url).await;
        let evidence = target_evidence(
            self.metrics_before.as_deref(),
            metrics_after.as_deref(),
            result.snapshot.elapsed_s,
        );
        let kpis = kpi::evaluate(&self.scenario.kpi, &result.snapshot, &evidence);
        let reconciliation = reconcile_run(
            &result.snapshot,
            self.metrics_before.as_deref(),
            metrics_after.as_deref(),
            &self.profile.metrics,
        );
        for m in reconciliation.mismatches() {
            self.monitor.log(
                crate::live::EventKind::Reconcile,
                format!("{}: {}", m.tool, m.note),
            );
        }
        let interrupted = interrupted || result.stopped_by_command;
        let exit_code = crate::headless::exit_code(&result.snapshot, &kpis, interrupted);
        let run = RunReport::new(report::RunInputs {
            scenario: &self.scenario,
            target_url: &self.target.url,
            embedded_target: self.target.embedded.is_some(),
            started_at: self.started_at,
            snapshot: &result.snapshot,
            histograms: &result.histograms,
            kpis: &kpis,
            evidence: &evidence,
            partial: interrupted || result.abort.is_some(),
            abort: result.abort.clone(),
            chaos: self.monitor.checks(),
            reconciliation: reconciliation.clone(),
            events: self.monitor.events.borrow().clone(),
        });
        let dir = report::run_dir(
            self.args.report_dir.as_deref(),
            &self.scenario.name,
            self.started_at,
        );
        let written = report::write_all(
            &run,
            &dir,
            self.metrics_before.as_deref(),
            metrics_after.as_deref(),
        );
        let (report_dir, report_error) = match written {
            Ok(()) => (Some(dir), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Outcome {
            snapshot: result.snapshot,
            reconciliation,
            kpis,
            report_dir,
            report_error,
            exit_code,
        }
    }
}

pub async fn fetch_metrics(http: &reqwest::Client, base: &str) -> Option<String> {
    let resp = http
        .get(format!("{}/metrics", base.trim_end_matches('/')))
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.text().await.ok()
}

/// Counter deltas between the scrapes before and after the run.
pub fn target_evidence(before: Option<&str>, after: Option<&str>, window_s: f64) -> TargetEvidence {
    let Some(after) = after.map(parser::parse) else {
        return TargetEvidence::default();
    };
    let before = before.map(parser::parse);
    let delta = |names: &[&str], filter: &[(&str, &str)]| -> Option<f64> {
        names.iter().find_map(|name| {
            let now = after.sum(name, filter)?;
            let then = before
                .as_ref()
                .and_then(|b| b.sum(name, filter))
                .unwrap_or(0.0);
            Some(crate::scrape::derive::counter_delta(then, now))
        })
    };
    let rss = |e: &parser::Exposition| e.sum("process_resident_memory_bytes", &[]);
    TargetEvidence {
        retries_recovered: delta(&["gateway_retries_total"], &[("outcome", "recovered")]),
        retries_exhausted: delta(&["gateway_retries_total"], &[("outcome", "exhausted")]),
        cache_hits: delta(
            &["gateway_cache_hits_total", "gateway_cache_hits_total_total"],
            &[],
        ),
        cache_misses: delta(
            &[
                "gateway_cache_misses_total",
                "gateway_cache_misses_total_total",
            ],
            &[],
        ),
        provenance_mismatches: delta(
            &["gateway_security_events_total"],
            &[("event_type", "provenance_mismatch")],
        ),
        rss_first_bytes: before.as_ref().and_then(rss),
        rss_last_bytes: rss(&after),
        rss_window_s: Some(window_s),
    }
}

/// The client's per-tool counts against the target's counter deltas over the run.
pub fn reconcile_run(
    snapshot: &Snapshot,
    before: Option<&str>,
    after: Option<&str>,
    profile: &TargetProfile,
) -> Reconciliation {
    let Some(after) = after.map(parser::parse) else {
        return Reconciliation::default();
    };
    let before = before.map(parser::parse);
    let client: Vec<ClientCounts<'_>> = snapshot
        .tools
        .iter()
        .filter(|t| t.name != "-")
        .map(|t| ClientCounts {
            tool: &t.name,
            requests: t.requests,
            codes: &t.codes,
        })
        .collect();
    reconcile::reconcile(
        profile,
        before.as_ref(),
        &after,
        &client,
        RECONCILE_TOLERANCE_PCT,
    )
}
