//! The run's background watchers: the target scrape poller, the chaos state poller and
//! schedule with effect checks, and the event log. Each publishes on a watch channel; none can
//! stop or crash a run.

use crate::chaos::schedule::{plan, ChaosAction};
use crate::chaos::{effect, ChaosClient};
use crate::live::{
    ChaosLeft, ChaosView, EffectCheck, EffectVerdict, Event, EventKind, LogEvent, TargetView, NO_CHAOS_API,
};
use crate::metrics::{RunStatus, Snapshot};
use crate::scenario::PhaseKind;
use crate::scenario::Scenario;
use crate::scrape::derive::BreakerTimeline;
use crate::scrape::evidence::PhaseRun;
use crate::scrape::fetch::{FetchError, MetricsSource};
use crate::scrape::parser;
use crate::scrape::profile::{Input, TargetProfile};
use crate::scrape::profile_file::Profile;
use crate::util::lock;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(2);
/// The longest wait between scrapes of a target that says it has no metrics route.
const NO_ROUTE_MAX_INTERVAL: Duration = Duration::from_secs(32);
/// Points of the target's p99 history kept; past it the history halves its resolution.
const TARGET_HISTORY_POINTS: usize = 2048;
/// Events kept in the log and the report.
pub const MAX_EVENTS: usize = 5000;

/// Who caused a chaos change, for the timeline.
#[derive(Clone, Copy, Debug)]
pub enum Cause {
    Key,
    Schedule,
    /// The run ended and cleared what it had set.
    RunEnd,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cause::Key => "by key",
            Cause::Schedule => "by schedule",
            Cause::RunEnd => "at run end",
        })
    }
}

#[derive(Clone)]
pub struct Monitor {
    pub target: watch::Receiver<TargetView>,
    /// `--dashboard`: its panels evaluated at the latest scrape, with their history.
    pub dashboard: watch::Receiver<Option<Arc<crate::dashboard::DashboardView>>>,
    pub chaos: watch::Receiver<ChaosView>,
    pub events: watch::Receiver<Vec<LogEvent>>,
    chaos_tx: Arc<watch::Sender<ChaosView>>,
    events_tx: Arc<watch::Sender<Vec<LogEvent>>>,
    /// `None` when the target's profile has no chaos admin API.
    client: Option<ChaosClient>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Tools this run put chaos on, cleared when it ends.
    touched: Arc<Mutex<BTreeSet<String>>>,
    /// Breaker states seen in the target's scrapes, on the run clock.
    pub breakers: Arc<Mutex<BreakerTimeline>>,
    metrics: MetricsSource,
    profile: Arc<TargetProfile>,
    /// When this run last changed chaos itself; the poller ignores differences right after.
    own_change: Arc<Mutex<Option<tokio::time::Instant>>>,
    /// Phases that started, each with the target's exposition scraped as it began: the
    /// windows the cache and memory KPIs are judged over.
    pub phase_runs: Arc<Mutex<Vec<PhaseRun>>>,
    /// Numbers chaos changes on the timeline, so each verdict names the change it judges.
    next_id: Arc<std::sync::atomic::AtomicU32>,
    /// Seconds the effect check compares on each side of an injection (`[defaults] effect_window`).
    effect_window_s: f64,
    run_clock: Arc<RunClock>,
}

/// Attempts at clearing a tool's chaos, with the waits between them: a slow or flaky admin
/// API gets about five seconds more before the chaos is declared left behind.
const CLEAR_BACKOFF: [Duration; 4] =
    [Duration::from_millis(250), Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2)];

/// Phase starts remembered with their scrape; a plan has a handful, this bounds odd ones.
const MAX_PHASE_RUNS: usize = 256;

impl Monitor {
    pub fn start(
        base: &str,
        scenario: &Scenario,
        profile: &Profile,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        metrics: MetricsSource,
        admin_timeout: Duration,
        dashboard: Option<crate::dashboard::Dashboard>,
    ) -> (Self, Vec<JoinHandle<()>>) {
        let (target_tx, target) = watch::channel(TargetView::default());
        let (dashboard_tx, dashboard_rx) = watch::channel(None);
        let (chaos_tx, chaos) = watch::channel(ChaosView::default());
        let (events_tx, events) = watch::channel(Vec::new());
        let m = Self {
            target,
            dashboard: dashboard_rx,
            chaos,
            events,
            chaos_tx: Arc::new(chaos_tx),
            events_tx: Arc::new(events_tx),
            // Chaos calls go to the host the scrapes go to, trusted alike.
            client: profile.chaos.clone().map(|routes| {
                ChaosClient::with_routes(base, admin_timeout, routes).insecure(admin_timeout, metrics.is_insecure())
            }),
            snapshots,
            touched: Arc::default(),
            breakers: Arc::default(),
            metrics,
            profile: Arc::new(profile.metrics.clone()),
            own_change: Arc::default(),
            phase_runs: Arc::default(),
            next_id: Arc::new(std::sync::atomic::AtomicU32::new(1)),
            effect_window_s: scenario.defaults.effect_window.as_secs_f64(),
            run_clock: Arc::default(),
        };
        let live = dashboard.map(|d| {
            let timing =
                crate::dashboard::Timing { scrape_interval: SCRAPE_INTERVAL, range: scenario.total_duration() };
            crate::dashboard::LiveDashboard::new(crate::dashboard::Compiled::new(d, timing), &profile.metrics)
        });
        let tasks = vec![
            tokio::spawn(scrape_loop(profile.metrics.clone(), target_tx, m.clone(), live, dashboard_tx)),
            tokio::spawn(m.clone().chaos_poll_loop()),
            tokio::spawn(m.clone().schedule_loop(plan(&scenario.chaos), phase_offsets(scenario))),
            tokio::spawn(m.clone().phase_loop(scenario.phases.iter().map(|p| p.kind).collect())),
        ];
        (m, tasks)
    }

    /// The run clock's current time, in seconds: never before the latest snapshot's, and
    /// the final snapshot's once the run is over.
    fn run_s(&self) -> f64 {
        let (latest, over) = {
            let s = self.snapshots.borrow();
            (s.elapsed_s, s.status.is_final())
        };
        if over {
            return latest;
        }
        self.run_clock.now_s().map_or(latest, |now| now.max(latest))
    }

    /// Puts `event` on the run's timeline, at the run clock's current time.
    pub fn record(&self, event: Event) {
        let t_s = self.run_s();
        self.events_tx.send_modify(|v| {
            v.push(LogEvent::new(t_s, event));
            // Bounded over a 2 h soak; chaos, breaker and phase events are the proof's
            // timeline, so routine ones (scrapes, controls) go first.
            if v.len() > MAX_EVENTS {
                let routine = v.iter().position(|e| {
                    matches!(e.kind, EventKind::Scrape | EventKind::Control | EventKind::Report | EventKind::Failure)
                });
                v.remove(routine.unwrap_or(0));
            }
        });
    }

    pub async fn inject(&self, tool: &str, mode: &str, pct: f64, cause: Cause) {
        if self.chaos.borrow().unavailable.is_some() {
            let action = format!("inject {tool} {mode} {pct}% ({cause})");
            self.record(Event::ChaosFailed { action, error: format!("skipped: {NO_CHAOS_API}") });
            return;
        }
        if self.run_over() {
            let action = format!("inject {tool} {mode} {pct}% ({cause})");
            self.record(Event::ChaosFailed { action, error: "refused: the run is over".into() });
            self.chaos_tx.send_modify(|c| c.last_error = Some("the run is over: no more injections".into()));
            return;
        }
        self.mark_own_change();
        let Some(client) = self.admin() else { return };
        // Touched before the call: an injection applied but answered too late (or oddly) must
        // still be cleared and verified at the end.
        let new = lock(&self.touched).insert(tool.to_string());
        let result = client.inject(tool, mode, pct).await;
        self.mark_own_change();
        if new && matches!(&result, Err(e) if matches!(e.status, Some(400..=499))) {
            // Refused as written: nothing was set.
            lock(&self.touched).remove(tool);
        }
        match result {
            Ok(active) => {
                self.chaos_tx.send_modify(|c| {
                    c.active = active;
                    c.last_error = None;
                });
                self.judge_change(tool, mode, pct, &cause.to_string());
            }
            Err(e) => self.chaos_error(format!("inject {tool} {mode} {pct}% ({cause}) failed"), e.to_string()),
        }
    }

    /// Puts a chaos change on the timeline under a new id and starts its effect check.
    fn judge_change(&self, tool: &str, mode: &str, pct: f64, by: &str) {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let at = self.run_s();
        self.record(Event::ChaosInjected { id, tool: tool.into(), mode: mode.into(), pct, by: by.into() });
        self.chaos_tx.send_modify(|c| {
            c.checks.push(EffectCheck {
                id,
                by: by.to_string(),
                tool: tool.into(),
                mode: mode.into(),
                pct,
                injected_at_s: at,
                verdict: EffectVerdict::Pending,
                detail: String::new(),
            });
        });
        tokio::spawn(self.clone().check_effect(id, tool.to_string(), at));
    }

    /// The admin client; `None` (with the view saying why) when the target has no chaos API.
    fn admin(&self) -> Option<&ChaosClient> {
        self.client.as_ref().filter(|_| self.chaos.borrow().unavailable.is_none())
    }

    fn run_over(&self) -> bool {
        self.snapshots.borrow().status.load_over()
    }

    pub async fn clear(&self, tool: &str, cause: Cause) {
        if self.chaos.borrow().unavailable.is_some() {
            return;
        }
        if let Err(e) = self.clear_with_retries(tool, cause).await {
            self.chaos_error(format!("clear {tool} ({cause}) failed"), e.to_string());
        }
    }

    /// Clears `tool`, retrying with backoff while the admin API is slow, unreachable or
    /// failing; a refusal (4xx) is final.
    async fn clear_with_retries(&self, tool: &str, cause: Cause) -> Result<(), crate::chaos::ChaosError> {
        let mut waits = CLEAR_BACKOFF.iter();
        loop {
            self.mark_own_change();
            let Some(client) = self.admin() else { return Ok(()) };
            let result = client.clear(tool).await;
            self.mark_own_change();
            match result {
                Ok(active) => {
                    self.record(Event::ChaosCleared { tool: tool.into(), by: cause.to_string() });
                    lock(&self.touched).remove(tool);
                    self.chaos_tx.send_modify(|c| c.active = active);
                    return Ok(());
                }
                Err(e) if matches!(e.status, Some(400..=499)) && !matches!(e.status, Some(408 | 429)) => return Err(e),
                Err(e) => match waits.next() {
                    Some(wait) => {
                        let action = format!("clear {tool} ({cause}) failed, retrying");
                        self.record(Event::ChaosFailed { action, error: e.to_string() });
                        tokio::time::sleep(*wait).await;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    pub async fn clear_all(&self, cause: Cause) {
        if self.chaos.borrow().unavailable.is_some() {
            return;
        }
        self.mark_own_change();
        let Some(client) = self.admin() else { return };
        let result = client.clear_all().await;
        self.mark_own_change();
        match result {
            Ok(active) => {
                self.record(Event::ChaosCleared { tool: "all".into(), by: cause.to_string() });
                lock(&self.touched).clear();
                self.chaos_tx.send_modify(|c| c.active = active);
            }
            Err(e) => self.chaos_error("clear all failed".into(), e.to_string()),
        }
    }

    /// Clears what this run injected (retrying), then asks the target whether it really is
    /// clear: whatever is still there is returned, to be reported loudly and fail the run.
    pub async fn clear_own(&self) -> Vec<ChaosLeft> {
        if self.chaos.borrow().unavailable.is_some() {
            return Vec::new();
        }
        let tools: Vec<String> = lock(&self.touched).iter().cloned().collect();
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        for tool in &tools {
            if let Err(e) = self.clear_with_retries(tool, Cause::RunEnd).await {
                errors.insert(tool.clone(), e.to_string());
            }
        }
        if tools.is_empty() {
            return Vec::new();
        }
        // Verified on the target, not assumed from the answers.
        let Some(client) = self.admin() else { return Vec::new() };
        let mut state = client.status().await;
        for wait in CLEAR_BACKOFF.iter().take(2) {
            if state.is_ok() {
                break;
            }
            tokio::time::sleep(*wait).await;
            state = client.status().await;
        }
        let left: Vec<ChaosLeft> = match state {
            Ok(active) => {
                self.chaos_tx.send_modify(|c| c.active = active.clone());
                tools
                    .iter()
                    .filter_map(|tool| {
                        let a = active.iter().find(|a| &a.tool == tool)?;
                        let why = errors
                            .get(tool)
                            .cloned()
                            .unwrap_or_else(|| "the clear was answered, yet the target still has it".into());
                        Some(ChaosLeft { tool: tool.clone(), state: format!("{} {}%", a.mode, a.pct), why })
                    })
                    .collect()
            }
            Err(e) => tools
                .iter()
                .map(|tool| ChaosLeft {
                    tool: tool.clone(),
                    state: "unknown".into(),
                    why: errors.get(tool).cloned().unwrap_or_else(|| format!("could not verify: {e}")),
                })
                .collect(),
        };
        for l in &left {
            self.record(Event::ChaosLeft { tool: l.tool.clone(), state: l.state.clone(), why: l.why.clone() });
        }
        left
    }

    fn mark_own_change(&self) {
        *self.own_change.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokio::time::Instant::now());
    }

    /// Waits (at most `limit`) for the effect checks still pending: once the run is over each
    /// is judged at once, and the report must carry its verdict, not "pending".
    pub async fn settle_checks(&self, limit: Duration) {
        let mut chaos = self.chaos.clone();
        let settled = async {
            loop {
                if !chaos.borrow_and_update().checks.iter().any(|c| c.verdict == EffectVerdict::Pending) {
                    return;
                }
                if chaos.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(limit, settled).await;
    }

    pub fn checks(&self) -> Vec<EffectCheck> {
        self.chaos.borrow().checks.clone()
    }

    fn chaos_error(&self, action: String, error: String) {
        let event = Event::ChaosFailed { action, error };
        let text = event.to_string();
        self.record(event);
        self.chaos_tx.send_modify(|c| c.last_error = Some(text));
    }

    /// The target's count of injected failures for `tool`, if its profile names the counter.
    async fn target_chaos_count(&self, tool: &str) -> Option<f64> {
        let candidates = self.profile.inputs.get(&Input::ChaosInjections)?;
        let text = self.metrics.fetch().await.ok()?;
        let expo = parser::parse(&text);
        candidates.iter().find_map(|c| {
            let label = c.group_by.as_deref().unwrap_or("tool");
            expo.sum(&c.metric, &[(label, tool)]).map(|v| v * c.scale)
        })
    }

    async fn check_effect(self, id: u32, tool: String, at: f64) {
        let baseline = self.target_chaos_count(&tool).await;
        let mut snaps = self.snapshots.clone();
        // Wait until the after-window has closed in the per-second series.
        loop {
            let done = {
                let s = snaps.borrow();
                s.elapsed_s >= at + self.effect_window_s + 1.5 || s.status.is_final()
            };
            if done || snaps.changed().await.is_err() {
                break;
            }
        }
        let snap = snaps.borrow().clone();
        let Some(index) = snap.tools.iter().position(|t| t.name == tool) else {
            let detail = format!("no traffic for tool {tool} in this scenario");
            self.record(Event::ChaosVerdict {
                id,
                tool,
                verdict: EffectVerdict::NotEnoughTraffic,
                detail: detail.clone(),
            });
            return self.set_verdict(id, EffectVerdict::NotEnoughTraffic, detail);
        };
        let window = self.effect_window_s;
        let before = effect::window(&snap.series, index, at - window, at.floor());
        let after = effect::window(&snap.series, index, at.ceil(), at + window + 1.0);
        let (verdict, detail) = effect::judge(before, after);
        // The client saw nothing; did the target see the failures it injected? A tool's
        // series appears with its first injected failure: absent before means 0.
        let (verdict, detail) = if verdict == EffectVerdict::NoObservedEffect {
            let injected = self.target_chaos_count(&tool).await.map(|now| now - baseline.unwrap_or(0.0));
            effect::absorbed_or_not(verdict, detail, injected)
        } else {
            (verdict, detail)
        };
        self.record(Event::ChaosVerdict { id, tool: tool.clone(), verdict: verdict.clone(), detail: detail.clone() });
        self.set_verdict(id, verdict, detail);
    }

    fn set_verdict(&self, id: u32, verdict: EffectVerdict, detail: String) {
        self.chaos_tx.send_modify(|c| {
            if let Some(check) = c.checks.iter_mut().find(|k| k.id == id) {
                check.verdict = verdict;
                check.detail = detail;
            }
        });
    }

    async fn chaos_poll_loop(self) {
        let Some(client) = self.client.clone() else {
            let detail = format!("the target profile {} has no chaos routes", self.profile.name);
            self.record(Event::ChaosUnavailable { detail });
            self.chaos_tx.send_modify(|c| c.unavailable = Some(NO_CHAOS_API.into()));
            return;
        };
        loop {
            let asked_at = tokio::time::Instant::now();
            let answer = client.status().await;
            // An answer to a question asked before this run's own change is stale: it could
            // undo the view our change set, and make our own injection look like someone else's.
            let stale = lock(&self.own_change).is_some_and(|t| t >= asked_at);
            if stale {
                tokio::time::sleep(SCRAPE_INTERVAL).await;
                continue;
            }
            match answer {
                Err(e) if e.no_chaos_api() => {
                    // Not a failure: a plain HTTP server simply has no chaos routes.
                    self.record(Event::ChaosUnavailable { detail: format!("the status route answered {e}") });
                    self.chaos_tx.send_modify(|c| {
                        c.unavailable = Some(NO_CHAOS_API.into());
                        c.last_error = None;
                    });
                    return;
                }
                Ok(active) => {
                    // Our own calls update the view at once, so a difference here was made
                    // by someone else: the target's state is the truth, and it goes on the log.
                    {
                        // Every change someone else made is on the timeline; each new
                        // injection gets its own id and effect check, like ours.
                        let before = self.chaos.borrow().active.clone();
                        for a in active.iter().filter(|a| !before.contains(a)) {
                            self.judge_change(&a.tool, &a.mode, a.pct, "outside this run");
                        }
                        for b in before.iter().filter(|b| !active.iter().any(|a| a.tool == b.tool)) {
                            self.record(Event::ChaosCleared { tool: b.tool.clone(), by: "outside this run".into() });
                        }
                    }
                    // A good poll clears an earlier failure's banner.
                    self.chaos_tx.send_modify(|c| {
                        c.active = active;
                        c.last_error = None;
                    });
                }
                Err(e) => self.chaos_tx.send_modify(|c| c.last_error = Some(e.to_string())),
            }
            tokio::time::sleep(SCRAPE_INTERVAL).await;
        }
    }

    /// Runs the scenario's chaos plan on the load clock: the planned start of the current
    /// phase plus the time spent in it, pauses excluded, so chaos stays in its phase when the
    /// run is paused. Between snapshots the clock runs on from the latest one while the load
    /// runs (a pause or a phase change publishes one at once), so actions fire at their time
    /// however seldom snapshots come.
    async fn schedule_loop(self, plan: Vec<(f64, ChaosAction)>, phase_offsets: Vec<f64>) {
        let mut snaps = self.snapshots.clone();
        // The load clock of the latest snapshot and where its phase ends, when it was seen,
        // and whether it runs on.
        let read = |s: &Snapshot| {
            let over = s.status.load_over();
            let clock = s.phase.as_ref().map(|p| {
                let offset = phase_offsets.get(p.index).copied().unwrap_or(0.0);
                (offset + p.elapsed_s, offset + p.duration_s)
            });
            (over, clock, s.status == RunStatus::Running, tokio::time::Instant::now())
        };
        let mut seen = read(&snaps.borrow_and_update());
        for (at, action) in plan {
            loop {
                // A chaos call can take seconds: what changed meanwhile counts first.
                if snaps.has_changed().unwrap_or(false) {
                    seen = read(&snaps.borrow_and_update());
                }
                let (over, clock, running, seen_at) = seen;
                if over {
                    return;
                }
                // Never past the phase's end: the next phase, or the drain, says what follows.
                let now =
                    clock.map(|(c, end)| if running { (c + seen_at.elapsed().as_secs_f64()).min(end) } else { c });
                let wait = match now {
                    Some(c) if c >= at => break,
                    Some(c) if running => Some(Duration::from_secs_f64(at - c)),
                    _ => None,
                };
                tokio::select! {
                    changed = snaps.changed() => match changed {
                        Ok(()) => seen = read(&snaps.borrow_and_update()),
                        Err(_) => return,
                    },
                    _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {}
                }
            }
            match action {
                ChaosAction::Inject { tool, mode, pct } => self.inject(&tool, &mode, pct, Cause::Schedule).await,
                ChaosAction::Clear { tool } => self.clear(&tool, Cause::Schedule).await,
            }
        }
    }

    /// Logs each phase as it starts and scrapes the target at that moment, so phase-bound
    /// KPIs are judged over their phase alone; keeps each phase's load time up to date.
    async fn phase_loop(self, kinds: Vec<PhaseKind>) {
        let mut snaps = self.snapshots.clone();
        let mut current: Option<usize> = None;
        let mut failures_logged = 0;
        while snaps.changed().await.is_ok() {
            let snap = snaps.borrow_and_update().clone();
            self.run_clock.observe(&snap);
            // Each distinct failure reason goes on the log once, as it first appears.
            for f in snap.failures.iter().skip(failures_logged) {
                self.record(Event::Failure { tool: f.tool.clone(), class: f.class, detail: f.detail.clone() });
            }
            failures_logged = snap.failures.len();
            let Some(phase) = snap.phase.clone() else { continue };
            if current == Some(phase.index) {
                if let Some(run) = lock(&self.phase_runs).last_mut() {
                    run.load_s = phase.elapsed_s;
                }
                continue;
            }
            current = Some(phase.index);
            self.record(Event::PhaseStarted { index: phase.index, name: phase.name.clone() });
            let metrics_at_start = self.metrics.fetch().await.ok();
            let mut runs = lock(&self.phase_runs);
            if runs.len() < MAX_PHASE_RUNS {
                runs.push(PhaseRun {
                    index: phase.index,
                    name: phase.name.clone(),
                    kind: kinds.get(phase.index).copied().unwrap_or_default(),
                    load_s: phase.elapsed_s,
                    metrics_at_start,
                });
            }
        }
    }
}

async fn scrape_loop(
    profile: TargetProfile,
    tx: watch::Sender<TargetView>,
    monitor: Monitor,
    mut dashboard: Option<crate::dashboard::LiveDashboard>,
    dashboard_tx: watch::Sender<Option<Arc<crate::dashboard::DashboardView>>>,
) {
    let started = tokio::time::Instant::now();
    let mut prev: Option<(parser::Exposition, f64)> = None;
    let mut no_route = 0;
    loop {
        let t = started.elapsed().as_secs_f64();
        let fetched = monitor.metrics.fetch().await;
        no_route = if fetched.as_ref().is_err_and(FetchError::no_route) { no_route + 1 } else { 0 };
        match fetched {
            Ok(text) => {
                let expo = parser::parse(&text);
                drop(text);
                let reading = profile.read(prev.as_ref().map(|(e, t)| (e, *t)), (&expo, t));
                for (tool, state) in reading.breaker_by_tool.iter().flatten() {
                    let tr = monitor.breakers.lock().unwrap_or_else(|e| e.into_inner()).observe(t, tool, *state);
                    if let Some(tr) = tr {
                        monitor.record(Event::Breaker { tool: tr.tool.clone(), from: tr.from, to: tr.to });
                    }
                }
                let unreadable = expo.warnings.len();
                // Dashboard points sit on the run clock, beside the client's series and markers.
                let run_s = monitor.run_s();
                // Evaluating a big dashboard takes a while: off the runtime that sends the load.
                let view = match dashboard.take() {
                    Some(mut d) => {
                        let (at_ms, samples) = (chrono::Utc::now().timestamp_millis(), d.samples(&expo));
                        let evaluated = tokio::task::spawn_blocking(move || {
                            d.observe_samples(at_ms, run_s, samples);
                            let view = d.shared_view();
                            (d, view)
                        })
                        .await;
                        // A panic in there loses the dashboard, never the run; it says so, and
                        // its last values are not left on screen as if current.
                        match evaluated {
                            Ok((d, view)) => {
                                dashboard = Some(d);
                                Some(view)
                            }
                            Err(e) => {
                                monitor.record(Event::ScrapeFailed {
                                    error: format!("the dashboard stopped: its evaluation failed ({e})"),
                                });
                                dashboard_tx.send_replace(None);
                                None
                            }
                        }
                    }
                    None => None,
                };
                if let Some(view) = view {
                    dashboard_tx.send_replace(Some(view));
                }
                let target_p99 = reading.latency.as_ref().and_then(|l| l.p99_ms).filter(|v| v.is_finite());
                tx.send_modify(|v| {
                    if let Some(p99) = target_p99 {
                        crate::util::push_thinned(&mut v.target_p99_ms, (run_s, p99), TARGET_HISTORY_POINTS);
                    }

                    if let Some(lag) = reading.event_loop_lag_ms {
                        v.event_loop_lag_max_ms = Some(v.event_loop_lag_max_ms.map_or(lag, |m| m.max(lag)));
                    }
                    v.reading = Some(reading);
                    v.stale = false;
                    v.last_error = None;
                    v.scrapes_ok += 1;
                    v.unreadable_lines = unreadable;
                });
                prev = Some((expo, t));
            }
            Err(e) => {
                let was_stale = tx.borrow().stale;
                let text = format!("scrape of {} {e}", crate::redact::url(monitor.metrics.url()));
                tx.send_modify(|v| {
                    v.stale = true;
                    v.scrapes_failed += 1;
                    v.last_error = Some(text.clone());
                });
                if !was_stale {
                    monitor.record(Event::ScrapeFailed { error: text });
                }
            }
        }
        tokio::time::sleep(scrape_wait(no_route)).await;
    }
}

/// The wait before the next scrape, after `no_route` answers in a row that the target has no
/// metrics route: it doubles with each, so a plain server is not asked for a page it lacks
/// every two seconds of a long run, and a route that appears is still found.
fn scrape_wait(no_route: u32) -> Duration {
    SCRAPE_INTERVAL.saturating_mul(1 << no_route.saturating_sub(1).min(8)).min(NO_ROUTE_MAX_INTERVAL)
}

/// The run clock between snapshots, which a quiet headless run publishes once a second: the
/// latest one's time plus the time since it came, so events carry the moment they happened.
#[derive(Default)]
struct RunClock(Mutex<Option<(f64, bool, tokio::time::Instant)>>);

impl RunClock {
    fn observe(&self, snap: &Snapshot) {
        *lock(&self.0) = Some((snap.elapsed_s, snap.status.is_final(), tokio::time::Instant::now()));
    }

    /// `None` before the first snapshot was seen; the clock stands still once the run is over.
    fn now_s(&self) -> Option<f64> {
        lock(&self.0).map(|(t, over, seen)| if over { t } else { t + seen.elapsed().as_secs_f64() })
    }
}

/// Where each phase starts on the load clock, as planned.
fn phase_offsets(scenario: &Scenario) -> Vec<f64> {
    scenario
        .phases
        .iter()
        .scan(0.0, |start, p| {
            let this = *start;
            *start += p.duration.as_secs_f64();
            Some(this)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_clock_runs_on_between_snapshots_and_stops_at_the_end() {
        let clock = RunClock::default();
        assert_eq!(clock.now_s(), None, "no snapshot seen yet");
        let mut snap = Snapshot::empty(&[], &[]);
        snap.elapsed_s = 5.0;
        snap.status = RunStatus::Paused;
        clock.observe(&snap);
        std::thread::sleep(Duration::from_millis(30));
        // The run's time passes while the load is paused (it is not the load clock).
        let now = clock.now_s().unwrap();
        assert!(now >= 5.03, "{now}");
        snap.status = RunStatus::Finished;
        clock.observe(&snap);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(clock.now_s(), Some(5.0));
    }

    #[test]
    fn a_missing_metrics_route_is_asked_for_less_and_less_often() {
        let waits: Vec<u64> = (0..8).map(|n| scrape_wait(n).as_secs()).collect();
        assert_eq!(waits, [2, 2, 4, 8, 16, 32, 32, 32]);
        assert_eq!(scrape_wait(u32::MAX), NO_ROUTE_MAX_INTERVAL);
        assert!(FetchError::Status(404).no_route() && FetchError::Status(405).no_route());
        // A failing or busy target is not a missing route: it keeps its two-second scrapes.
        for e in [FetchError::Status(500), FetchError::Status(429), FetchError::Unreachable("refused".into())] {
            assert!(!e.no_route(), "{e}");
        }
    }
}
