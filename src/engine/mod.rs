//! The open-model load engine: setup, then phases whose arrivals come from the schedule,
//! each arrival one flow iteration, measured from its intended start. Control arrives as
//! `EngineCommand`s; results leave as snapshots on a watch channel. The engine never knows
//! whether a cockpit, a headless printer or a test is reading.

use crate::util::lock;

pub mod client;
pub mod exec;
pub mod schedule;
pub mod setup;
pub mod stripe;
pub mod timer;

use crate::metrics::aggregate::{Aggregator, FinalHistograms, PhaseClock, Progress};
use crate::metrics::{FlowView, PhaseView, Recorder, RunStatus, Snapshot};
use crate::scenario::Scenario;
use exec::Context;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use schedule::{PhaseSchedule, RateCurve};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// A paused scheduler waits this long at most between two looks at the clock; a command
/// wakes it at once (see [`Commands`]).
const PAUSED_WAIT: Duration = Duration::from_secs(3600);

/// The sending side of an engine's commands: a channel, plus a wake-up for the open-model
/// scheduler's thread, which sleeps until its next arrival instead of polling for them.
#[derive(Clone, Debug)]
pub struct Commands {
    tx: mpsc::UnboundedSender<EngineCommand>,
    scheduler: Arc<Mutex<Option<std::thread::Thread>>>,
}

impl Commands {
    /// A command channel whose scheduler thread is not known yet.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<EngineCommand>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx, scheduler: Arc::default() }, rx)
    }

    pub fn send(&self, command: EngineCommand) -> Result<(), mpsc::error::SendError<EngineCommand>> {
        self.tx.send(command)?;
        if let Some(thread) = lock(&self.scheduler).as_ref() {
            thread.unpark();
        }
        Ok(())
    }
}

/// How often shards are merged into a new snapshot while someone watches.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(250);
/// ... and when nobody does (a headless run writing plain lines): a quiet run's ticks were
/// a sixth of its CPU at four a second.
pub const QUIET_SNAPSHOT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Multiplies every phase's rate.
    pub rate_scale: f64,
    /// Stops the load after this long, whatever the phases say.
    pub duration_cap: Option<Duration>,
    /// Runs only the phase with this name.
    pub only_phase: Option<String>,
    pub max_inflight: Option<usize>,
    pub seed: u64,
    /// Closed loop: this many connections sending back to back, no schedule.
    pub connections: Option<usize>,
    /// How the target's answers are classed (from its profile).
    pub answers: crate::metrics::classify::AnswerRules,
    /// Every request over HTTP/2 (`--http2`, or the scenario's `[defaults] http2`).
    pub http2: bool,
    /// Accept any server certificate (`--insecure`, self-signed bench targets).
    pub insecure: bool,
    /// HTTP/2: requests in flight per connection (`--streams`); `None`: one connection.
    pub streams: Option<usize>,
    /// A sharded run: the part of the global schedule this process fires.
    pub stripe: Option<stripe::Stripe>,
    /// A coordinated run: wait here, after setup, for the coordinator's start time.
    pub gate: Option<stripe::StartGate>,
    /// A coordinated run: every merged interval is added here for the coordinator.
    pub tap: Option<crate::metrics::aggregate::Tap>,
    /// How often a snapshot is published; one also goes out at once when the phase or the
    /// run's state changes.
    pub snapshot_interval: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            rate_scale: 1.0,
            duration_cap: None,
            only_phase: None,
            max_inflight: None,
            seed: 1,
            connections: None,
            answers: Default::default(),
            http2: false,
            insecure: false,
            streams: None,
            stripe: None,
            gate: None,
            tap: None,
            snapshot_interval: SNAPSHOT_INTERVAL,
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum EngineCommand {
    Pause,
    Resume,
    TogglePause,
    /// Sets the live rate multiplier (on top of `rate_scale`).
    SetMultiplier(f64),
    /// Multiplies the live rate multiplier, e.g. 1.1 for "rate up".
    ScaleMultiplier(f64),
    NextPhase,
    /// Stop arrivals and drain the requests in flight (bounded by the request timeout).
    Stop,
    /// Stop at once: requests still in flight are abandoned, not waited for.
    Abandon,
}

pub struct EngineHandle {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub commands: Commands,
    pub join: tokio::task::JoinHandle<EngineResult>,
}

pub struct EngineResult {
    pub snapshot: Arc<Snapshot>,
    pub histograms: FinalHistograms,
    /// Why the run stopped early (setup failure), if it did.
    pub abort: Option<String>,
    pub stopped_by_command: bool,
}

/// Recording rows in order: every step's `tool`, and for a step without one its flow's name
/// (so its requests are seen and judged, never lost in an anonymous row).
pub fn tool_names(scenario: &Scenario) -> Vec<String> {
    row_names(scenario).into_iter().map(|(name, _)| name).collect()
}

/// Each row's name and whether it is a flow's name (steps without `tool`).
fn row_names(scenario: &Scenario) -> Vec<(String, bool)> {
    let mut rows: Vec<(String, bool)> = Vec::new();
    for flow in &scenario.flows {
        for step in &flow.steps {
            let row = match &step.tool {
                Some(tool) => (tool.clone(), false),
                None => (flow.name.clone(), true),
            };
            if !rows.iter().any(|(n, _)| *n == row.0) {
                rows.push(row);
            }
        }
    }
    rows
}

/// The row each step records into, by flow and step.
fn step_rows(scenario: &Scenario, rows: &[String]) -> Vec<Vec<usize>> {
    scenario
        .flows
        .iter()
        .map(|f| {
            f.steps
                .iter()
                .map(|s| {
                    let name = s.tool.as_ref().unwrap_or(&f.name);
                    rows.iter().position(|t| t == name).unwrap_or(0)
                })
                .collect()
        })
        .collect()
}

/// The run's snapshot before anything was recorded: its rows and flows, all at zero.
pub fn empty_snapshot(scenario: &Scenario) -> Snapshot {
    let rows = row_names(scenario);
    let tools: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let flows: Vec<FlowView> = scenario
        .flows
        .iter()
        .map(|f| FlowView {
            name: f.name.clone(),
            kind: f.kind,
            weight: f.weight,
            iterations: 0,
            ok: 0,
            failed: 0,
            correct_denials: 0,
            breaches: 0,
        })
        .collect();
    let mut empty = Snapshot::empty(&tools, &flows);
    for (view, (_, by_flow)) in empty.tools.iter_mut().zip(&rows) {
        view.by_flow = *by_flow;
    }
    empty
}

pub fn start(scenario: Arc<Scenario>, base_url: &str, opts: EngineOptions) -> EngineHandle {
    let empty = empty_snapshot(&scenario);
    let tools: Vec<String> = empty.tools.iter().map(|t| t.name.clone()).collect();
    let flows = &empty.flows;
    let step_tools = step_rows(&scenario, &tools);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let recorder = Arc::new(Recorder::new(tools.len(), flows.len(), workers + 1));
    let headers = scenario
        .defaults
        .headers
        .iter()
        .filter_map(|(k, v)| {
            Some((http::HeaderName::from_bytes(k.as_bytes()).ok()?, http::HeaderValue::from_str(v).ok()?))
        })
        .collect();
    let max_inflight = opts.max_inflight.unwrap_or(scenario.defaults.max_inflight);
    let http2 = opts.http2 || scenario.defaults.http2;
    let ctx = Arc::new(Context {
        pools: RwLock::new(vec![Vec::new(); scenario.pools.len()]),
        pool_cursor: (0..scenario.pools.len()).map(|_| AtomicUsize::new(0)).collect(),
        seq: Default::default(),
        answers: opts.answers.clone(),
        scenario,
        // A closed loop has exactly its connections in flight.
        client: client::LoadClient::new(
            opts.connections.unwrap_or(max_inflight),
            client::Protocol { http2, streams: opts.streams, insecure: opts.insecure },
        ),
        base: exec::Base::new(base_url),
        recorder,
        step_tools,
        headers,
    });
    let (snap_tx, snap_rx) = watch::channel(Arc::new(empty.clone()));
    let (commands, cmd_rx) = Commands::channel();
    let join = tokio::spawn(run(ctx, opts, max_inflight, empty, snap_tx, cmd_rx, commands.scheduler.clone()));
    EngineHandle { snapshots: snap_rx, commands, join }
}

async fn run(
    ctx: Arc<Context>,
    opts: EngineOptions,
    max_inflight: usize,
    empty: Snapshot,
    snap_tx: watch::Sender<Arc<Snapshot>>,
    mut commands: mpsc::UnboundedReceiver<EngineCommand>,
    scheduler: Arc<Mutex<Option<std::thread::Thread>>>,
) -> EngineResult {
    let started = Instant::now();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let aggregator = match &opts.tap {
        Some(tap) => Aggregator::new(empty).with_tap(tap.clone()),
        None => Aggregator::new(empty),
    };
    let aggregator = Arc::new(Mutex::new(aggregator));
    let share = opts.stripe.as_ref().map_or(1.0, |s| s.share());
    let progress_changed = Arc::new(tokio::sync::Notify::new());
    let publisher = {
        let (progress, aggregator, recorder, tx, changed) =
            (progress.clone(), aggregator.clone(), ctx.recorder.clone(), snap_tx.clone(), progress_changed.clone());
        let every = opts.snapshot_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    // A new phase, a pause, the drain: readers see it now, not a tick later
                    // (the chaos plan's clock and each phase's opening scrape rely on it).
                    _ = changed.notified() => {}
                }
                let p = lock(&progress).at(std::time::Instant::now());
                let snap = lock(&aggregator).tick(&recorder, &p, started.elapsed().as_secs_f64());
                if tx.send(snap).is_err() {
                    break;
                }
            }
        })
    };
    let set_status = |status: RunStatus| lock(&progress).status = status;

    let setup_progress = {
        let progress = progress.clone();
        move |done: u64, total: u64| lock(&progress).status = RunStatus::Setup { done, total }
    };
    let mut abort = None;
    let mut stopped = false;
    if !ctx.scenario.setup.is_empty() {
        // A shard's pools serve its share of the rate.
        let setup = setup::run(&ctx, opts.rate_scale * share, opts.seed, &setup_progress);
        tokio::select! {
            r = setup => if let Err(e) = r { abort = Some(e.to_string()) },
            _ = wait_for_stop(&mut commands) => stopped = true,
        }
    }
    let mut start_at = None;
    if let (Some(gate), None, false) = (opts.gate.clone(), &abort, stopped) {
        let mut gate = gate;
        tokio::select! {
            at = gate.wait() => match at {
                Some(at) => start_at = Some(at),
                None => abort = Some("the coordinator went away before the start".into()),
            },
            _ = wait_for_stop(&mut commands) => stopped = true,
        }
    }
    if abort.is_none() && !stopped {
        set_status(RunStatus::Running);
        let mut driver = Driver {
            ctx: ctx.clone(),
            opts: opts.clone(),
            max_inflight,
            progress: progress.clone(),
            commands,
            // Shards pick their flows from streams of their own.
            rng: SmallRng::seed_from_u64(opts.seed ^ opts.stripe.as_ref().map_or(0, |s| (s.index as u64) << 32)),
            multiplier: 1.0,
            share,
            arrival_seq: 0,
            paused: false,
            commands_open: true,
            weights: ctx.scenario.flows.iter().map(|f| f.weight).collect(),
            handle: tokio::runtime::Handle::current(),
            send_offset: None,
            progress_changed: progress_changed.clone(),
        };
        let on_runtime = if opts.connections.is_none() { timer::Waiter::on_runtime() } else { None };
        let handle = tokio::runtime::Handle::current();
        (driver, stopped) = match (opts.connections, on_runtime) {
            (Some(c), _) => {
                if let Some(at) = start_at {
                    tokio::time::sleep(at.duration_since(std::time::SystemTime::now()).unwrap_or_default()).await;
                }
                if let Some(gate) = &driver.opts.gate {
                    gate.mark_started();
                }
                let stopped = driver.closed_loop(c).await;
                (driver, stopped)
            }
            // On a one-worker runtime the scheduler waits on that worker, with a timerfd its
            // epoll watches: no hand-off per arrival (see `timer`).
            (None, Some(waiter)) => {
                if let Some(at) = start_at {
                    let wait = at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                    waiter.sleep_for(wait).await;
                }
                if let Some(gate) = &driver.opts.gate {
                    gate.mark_started();
                }
                let stopped = driver.open_model(waiter).await;
                (driver, stopped)
            }
            // Otherwise it sleeps on its own thread: the OS timer wakes it within tens of
            // microseconds, where the async timer's 1 ms ticks would add up to a millisecond
            // of scheduler lateness to every measured latency.
            (None, None) => match tokio::task::spawn_blocking(move || {
                // From here a command unparks this thread (see `Commands`).
                *lock(&scheduler) = Some(std::thread::current());
                let _precise = timer::PreciseSleeps::on_this_thread();
                if let Some(at) = start_at {
                    // The start barrier: every shard's first phase begins at the same instant.
                    std::thread::sleep(at.duration_since(std::time::SystemTime::now()).unwrap_or_default());
                }
                if let Some(gate) = &driver.opts.gate {
                    gate.mark_started();
                }
                // Only this future runs on this thread: its waits may block it.
                let stopped = handle.block_on(driver.open_model(timer::Waiter::Park));
                *lock(&scheduler) = None;
                (driver, stopped)
            })
            .await
            {
                Ok(back) => back,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            },
        };
        commands = driver.commands;
        lock(&progress).draining(std::time::Instant::now());
        progress_changed.notify_one();
        drain(&ctx, &mut commands).await;
    }
    let status = match (&abort, stopped) {
        (Some(reason), _) => RunStatus::Aborted { reason: reason.clone() },
        (None, true) => RunStatus::Interrupted,
        (None, false) => RunStatus::Finished,
    };
    // The publisher is gone first: no tick may publish the final status before the final
    // merge (a shard's link takes that status as its last interval's cue).
    publisher.abort();
    let _ = publisher.await;
    set_status(status);
    let p = lock(&progress).at(std::time::Instant::now());
    let (snapshot, histograms) = {
        let mut agg = lock(&aggregator);
        let snapshot = agg.close(&ctx.recorder, &p, started.elapsed().as_secs_f64());
        (snapshot, agg.take_final())
    };
    let _ = snap_tx.send(snapshot.clone());
    EngineResult { snapshot, histograms, abort, stopped_by_command: stopped }
}

async fn wait_for_stop(commands: &mut mpsc::UnboundedReceiver<EngineCommand>) {
    while let Some(c) = commands.recv().await {
        if matches!(c, EngineCommand::Stop | EngineCommand::Abandon) {
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Resolves on `Abandon` (the second stop request); a drain goes on through anything else.
async fn wait_for_abandon(commands: &mut mpsc::UnboundedReceiver<EngineCommand>) {
    while let Some(c) = commands.recv().await {
        if c == EngineCommand::Abandon {
            return;
        }
    }
    std::future::pending::<()>().await
}

/// How long a drain waits for requests in flight: one request timeout and a second.
fn drain_grace(ctx: &Context) -> Duration {
    ctx.scenario.defaults.timeout + Duration::from_secs(1)
}

/// Waits for in-flight requests to finish, at most the drain grace; `Abandon` ends it at once.
async fn drain(ctx: &Context, commands: &mut mpsc::UnboundedReceiver<EngineCommand>) {
    let deadline = Instant::now() + drain_grace(ctx);
    let wait = async {
        while ctx.recorder.inflight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        _ = wait => {}
        _ = wait_for_abandon(commands) => {}
    }
}

struct Driver {
    ctx: Arc<Context>,
    opts: EngineOptions,
    max_inflight: usize,
    progress: Arc<Mutex<Progress>>,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
    rng: SmallRng,
    multiplier: f64,
    /// This process's share of the schedule (1 unless sharded).
    share: f64,
    /// Arrivals of the global schedule so far, this shard's and the others'.
    arrival_seq: u64,
    paused: bool,
    commands_open: bool,
    /// Flow weights, for the weighted pick of each arrival's flow.
    weights: Vec<f64>,
    /// Where arrivals are spawned from the scheduler's own thread.
    handle: tokio::runtime::Handle,
    /// Where each arrival's task says how late its send started, when the scheduler wakes
    /// ahead of its arrivals (`timer::WakeLead`).
    send_offset: Option<Arc<timer::SendOffset>>,
    /// Publishes a snapshot at once: the progress changed.
    progress_changed: Arc<tokio::sync::Notify>,
}

/// Decrements the in-flight count however the iteration ends.
struct InflightGuard<'a>(&'a Recorder);
impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Driver {
    fn dispatch(&mut self, intended: Instant, kpi: bool) {
        let rec = &self.ctx.recorder;
        rec.arrivals.fetch_add(1, Ordering::Release);
        if rec.inflight.load(Ordering::Acquire) >= self.max_inflight as u64 {
            rec.dropped.fetch_add(1, Ordering::Release);
            return;
        }
        rec.inflight.fetch_add(1, Ordering::AcqRel);
        let flow = weighted(&self.weights, &mut self.rng);
        let rng = SmallRng::seed_from_u64(self.rng.random());
        let ctx = self.ctx.clone();
        let send_offset = self.send_offset.clone();
        self.handle.spawn(async move {
            if let Some(offset) = send_offset {
                offset.sending(intended);
            }
            let _guard = InflightGuard(&ctx.recorder);
            exec::run_flow(&ctx, flow, intended, kpi, rng, None).await;
        });
    }

    /// Applies a command; returns true when the run must stop, and whether to skip the phase.
    fn command(
        &mut self,
        c: EngineCommand,
        sched: &mut PhaseSchedule,
        tau: f64,
        phase_start: &mut Instant,
        paused_at: &mut Option<Instant>,
    ) -> (bool, bool) {
        match c {
            EngineCommand::Stop | EngineCommand::Abandon => return (true, false),
            EngineCommand::NextPhase => return (false, true),
            EngineCommand::Pause | EngineCommand::TogglePause if !self.paused => {
                self.paused = true;
                *paused_at = Some(Instant::now());
            }
            EngineCommand::Resume | EngineCommand::TogglePause if self.paused => {
                self.paused = false;
                if let Some(at) = paused_at.take() {
                    // Shift the phase clock by the pause so no burst of missed arrivals follows.
                    *phase_start += at.elapsed();
                }
            }
            EngineCommand::SetMultiplier(m) => {
                self.multiplier = m.clamp(0.0, 100.0);
                sched.set_multiplier(tau, self.multiplier);
            }
            EngineCommand::ScaleMultiplier(f) => {
                self.multiplier = (self.multiplier * f).clamp(0.01, 100.0);
                sched.set_multiplier(tau, self.multiplier);
            }
            _ => {}
        }
        (false, false)
    }

    /// Waits until `wake`, or for a command (returned, to be applied first).
    async fn wait(&mut self, waiter: &timer::Waiter, wake: Instant) -> Option<EngineCommand> {
        match waiter {
            // Spurious wake-ups are harmless: the loop reads the clock and sleeps again.
            timer::Waiter::Park => {
                std::thread::park_timeout(wake.saturating_duration_since(Instant::now()));
                None
            }
            #[cfg(target_os = "linux")]
            timer::Waiter::Timer(t) => tokio::select! {
                r = t.sleep_until(wake) => {
                    if r.is_err() {
                        // Never spin on a broken timer: fall back to the runtime's.
                        tokio::time::sleep_until(wake).await;
                    }
                    None
                }
                c = self.commands.recv(), if self.commands_open => {
                    if c.is_none() {
                        self.commands_open = false;
                    }
                    c
                }
            },
        }
    }

    /// Runs the phases, waiting between arrivals as `waiter` does; returns true if stopped by
    /// command.
    async fn open_model(&mut self, waiter: timer::Waiter) -> bool {
        let scenario = self.ctx.scenario.clone();
        let phases: Vec<(usize, &crate::scenario::Phase)> = scenario
            .phases
            .iter()
            .enumerate()
            .filter(|(_, p)| self.opts.only_phase.as_ref().is_none_or(|n| &p.name == n))
            .collect();
        let load_start = Instant::now();
        let cap = self.opts.duration_cap;
        // A phase that ran its course hands its exact end to the next, so boundaries do not
        // drift by the wake-up latency; a skipped one hands over "now".
        let mut next_start: Option<Instant> = None;
        // On the runtime's own timer (light plans, where the thread that wakes sends), each
        // wake-up comes early by the lateness the sends have shown (`timer::WakeLead`). The
        // parked scheduler of heavy plans, with arrivals microseconds apart, keeps exact wakes.
        if !matches!(waiter, timer::Waiter::Park) {
            self.send_offset = Some(Arc::default());
        }
        let mut lead = timer::WakeLead::default();
        for (pos, (index, phase)) in phases.iter().enumerate() {
            let duration_s = phase.duration.as_secs_f64();
            let curve = RateCurve {
                start: phase.rate * self.opts.rate_scale,
                end: phase.end_rate() * self.opts.rate_scale,
                duration_s,
            };
            let mut sched = PhaseSchedule::new(curve, self.multiplier);
            // Stripes count arrivals per phase: a shard that applied a rate change or a
            // phase skip a moment later than the others realigns at the next phase.
            self.arrival_seq = 0;
            let mut phase_start = next_start.take().unwrap_or_else(Instant::now);
            let mut paused_at: Option<Instant> = None;
            let next = phases.get(pos + 1).map(|(_, p)| p.name.clone());
            // The progress is written when something changes: readers bring its clock to
            // their own moment, so the scheduler wakes for arrivals and commands alone.
            self.show_progress(*index, phase, &sched, &next, phase_start, paused_at);
            'phase: loop {
                let lead_s = lead.get().as_secs_f64();
                let now = Instant::now();
                let tau = if let Some(at) = paused_at {
                    at.duration_since(phase_start)
                } else {
                    now.duration_since(phase_start)
                }
                .as_secs_f64();
                // `--duration` ends the load at a phase time like the phase's own end does
                // (pauses do not count toward it).
                let offset = phase_start.saturating_duration_since(load_start).as_secs_f64();
                let end_s = cap.map_or(duration_s, |c| duration_s.min(c.as_secs_f64() - offset));
                // Arrivals already due go out first, even when a late wake-up finds the phase
                // over: they belong to it, and skipping them would end the ramp early.
                if !self.paused {
                    while let Some(t) = sched.peek() {
                        if t > tau + lead_s || t >= end_s {
                            break;
                        }
                        sched.advance();
                        let k = self.arrival_seq;
                        self.arrival_seq += 1;
                        if self.opts.stripe.as_ref().is_none_or(|s| s.owns(k)) {
                            self.dispatch(phase_start + Duration::from_secs_f64(t), phase.kpi);
                        }
                    }
                }
                if tau >= end_s {
                    if end_s < duration_s {
                        return false;
                    }
                    next_start = Some(phase_start + phase.duration);
                    break;
                }

                // Sleep until the next arrival (or the load's end); a command wakes the
                // scheduler at once.
                let end_at = phase_start + Duration::from_secs_f64(end_s.max(0.0));
                let wake = match (self.paused, sched.peek()) {
                    (false, Some(t)) => {
                        (phase_start + Duration::from_secs_f64(t)).checked_sub(lead.get()).unwrap_or(now).min(end_at)
                    }
                    (false, None) => end_at,
                    (true, _) => now + PAUSED_WAIT,
                };
                let mut first = self.wait(&waiter, wake).await;
                if let Some(late) = self.send_offset.as_ref().and_then(|o| o.take_late()) {
                    lead.observe(late);
                }
                let mut changed = false;
                while self.commands_open {
                    let c = match first.take().map_or_else(|| self.commands.try_recv(), Ok) {
                        Ok(c) => c,
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        // Nobody can send commands any more; stop listening, keep the plan.
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            self.commands_open = false;
                            break;
                        }
                    };
                    let (stop, skip) = self.command(c, &mut sched, tau, &mut phase_start, &mut paused_at);
                    changed = true;
                    if stop {
                        return true;
                    }
                    if skip {
                        break 'phase;
                    }
                }
                if changed {
                    self.show_progress(*index, phase, &sched, &next, phase_start, paused_at);
                }
            }
        }
        false
    }

    /// Writes where the run is: the phase, its clock and its rate line, for readers to
    /// bring to their own moment ([`Progress::at`]).
    fn show_progress(
        &self,
        index: usize,
        phase: &crate::scenario::Phase,
        sched: &PhaseSchedule,
        next: &Option<String>,
        started: Instant,
        paused_at: Option<Instant>,
    ) {
        let duration_s = phase.duration.as_secs_f64();
        let mut p = lock(&self.progress);
        p.status = if self.paused { RunStatus::Paused } else { RunStatus::Running };
        p.rate_multiplier = self.multiplier;
        p.phase = Some(PhaseView {
            index,
            count: self.ctx.scenario.phases.len(),
            name: phase.name.clone(),
            elapsed_s: 0.0,
            duration_s,
            next: next.clone(),
        });
        let rate = (sched.rate_at(0.0) * self.share, sched.rate_at(duration_s) * self.share);
        p.clock = Some(PhaseClock {
            started: started.into_std(),
            paused_at: paused_at.map(Instant::into_std),
            rate: Some(rate),
        });
        *p = p.at(std::time::Instant::now());
        self.progress_changed.notify_one();
    }

    /// Closed loop for maximum throughput: `connections` workers, each sending its next
    /// iteration as soon as the last one finished, for the scenario's (or capped) duration.
    async fn closed_loop(&mut self, connections: usize) -> bool {
        let total = self.opts.duration_cap.unwrap_or_else(|| self.ctx.scenario.total_duration());
        let deadline = Instant::now() + total;
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut workers = Vec::new();
        for _ in 0..connections.max(1) {
            let ctx = self.ctx.clone();
            let stopped = stopped.clone();
            let mut rng = SmallRng::seed_from_u64(self.rng.random());
            let weights: Vec<f64> = ctx.scenario.flows.iter().map(|f| f.weight).collect();
            workers.push(tokio::spawn(async move {
                // Each worker always has one iteration in flight: counted once, not per
                // request (shared counters bounce between cores at every touch).
                ctx.recorder.inflight.fetch_add(1, Ordering::AcqRel);
                let _guard = InflightGuard(&ctx.recorder);
                // One request at a time: the worker's own connection, no shared pool.
                let mut own = client::OwnConnection::default();
                while Instant::now() < deadline && !stopped.load(Ordering::Relaxed) {
                    let flow = weighted(&weights, &mut rng);
                    ctx.recorder.arrivals.fetch_add(1, Ordering::Relaxed);
                    let seed = SmallRng::seed_from_u64(rng.random());
                    exec::run_flow(&ctx, flow, Instant::now(), true, seed, Some(&mut own)).await;
                }
            }));
        }
        {
            let mut p = lock(&self.progress);
            p.status = RunStatus::Running;
            p.phase = Some(PhaseView {
                index: 0,
                count: 1,
                name: format!("closed loop ×{connections}"),
                elapsed_s: 0.0,
                duration_s: total.as_secs_f64(),
                next: None,
            });
            p.clock = Some(PhaseClock { started: std::time::Instant::now(), paused_at: None, rate: None });
        }
        self.progress_changed.notify_one();
        let mut by_command = false;
        let end = tokio::time::sleep_until(deadline);
        tokio::pin!(end);
        loop {
            tokio::select! {
                _ = &mut end => break,
                c = self.commands.recv(), if self.commands_open => match c {
                    Some(EngineCommand::Stop | EngineCommand::Abandon) => { by_command = true; break }
                    Some(_) => {}
                    None => self.commands_open = false,
                },
            }
        }
        stopped.store(true, Ordering::Relaxed);
        // Each worker finishes the request it has in flight: the drain, bounded by the grace,
        // and cut short by `Abandon`.
        lock(&self.progress).draining(std::time::Instant::now());
        self.progress_changed.notify_one();
        let aborts: Vec<_> = workers.iter().map(|w| w.abort_handle()).collect();
        let join_all = async {
            for w in workers {
                let _ = w.await;
            }
        };
        tokio::select! {
            _ = join_all => {}
            _ = tokio::time::sleep(drain_grace(&self.ctx)) => {}
            _ = wait_for_abandon(&mut self.commands), if self.commands_open => {}
        }
        for a in aborts {
            a.abort();
        }
        by_command
    }
}

fn weighted(weights: &[f64], rng: &mut SmallRng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}
