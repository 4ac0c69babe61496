//! The coordinator: an engine whose requests are sent by shard processes. It waits for N
//! shards, measures each one's clock, sets one absolute start, merges their intervals into
//! the same aggregator a local run uses, and forwards the live controls. It hands back an
//! `EngineHandle`, so the session, the cockpit, the headless printer, the KPIs and the report
//! work on a sharded run exactly as on a local one.

use super::clock::{self, Offset, Sample};
use super::wire::{self, FromShard, Interval, ToShard};
use crate::engine::{Commands, EngineCommand, EngineHandle, EngineResult};
use crate::metrics::aggregate::{Aggregator, Progress};
use crate::metrics::shard::Recorder;
use crate::metrics::{Distribution, LaneState, RunStatus, ShardLane, Snapshot};
use crate::scenario::Scenario;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// A shard that sends nothing for this long while running is marked lost.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);

/// The start is set this far ahead (or 4 round trips, if longer): every shard must have it
/// before it is due, also on a busy machine.
const START_LEAD: Duration = Duration::from_secs(1);

/// A connection must say hello within this long.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct CoordinatorOptions {
    pub shards: usize,
    /// How long to wait for every shard to join, and then for every one to finish its setup.
    pub join_timeout: Duration,
    /// Where the shards send their load.
    pub target: String,
    /// The plan every shard must share (see `plan_id`).
    pub plan_id: String,
    /// `--shard-weights`, when the shards' shares differ.
    pub weights: Option<Vec<u32>>,
}

enum Inbound {
    Hello { stream: TcpStream, peer: String, hello: FromShard },
    From { index: usize, message: FromShard, at_ns: u64 },
    Gone { index: usize, why: String },
}

struct Lane {
    view: ShardLane,
    tx: Option<mpsc::UnboundedSender<ToShard>>,
    last_seen: Instant,
    probes: HashMap<u32, u64>,
    samples: Vec<Sample>,
    offset: Option<Offset>,
    latest: Option<Box<Interval>>,
}

impl Lane {
    fn live(&self) -> bool {
        !matches!(self.view.state, LaneState::Done | LaneState::Lost)
    }

    fn send(&self, message: ToShard) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(message);
        }
    }
}

/// Starts the coordinator on `listener` (already bound, so a busy port is the caller's
/// usage error). The returned handle is an engine's.
pub fn start(scenario: Arc<Scenario>, listener: TcpListener, opts: CoordinatorOptions) -> EngineHandle {
    let empty = crate::engine::empty_snapshot(&scenario);
    let (snap_tx, snapshots) = watch::channel(Arc::new(empty.clone()));
    let (commands, cmd_rx) = Commands::channel();
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let accept = tokio::spawn(accept_loop(listener, inbound_tx.clone()));
    let coordinator = Coordinator {
        hash: opts.plan_id.clone(),
        tools: empty.tools.len(),
        flows: empty.flows.len(),
        recorder: Recorder::new(empty.tools.len(), empty.flows.len(), opts.shards),
        aggregator: Aggregator::new(empty),
        lanes: (0..opts.shards).map(|_| None).collect(),
        opts,
        inbound,
        inbound_tx,
        commands: cmd_rx,
        commands_open: true,
        snap_tx,
        started: None,
        planned_start_ns: None,
        merge_ns: 0,
        stopped: false,
        welcomed: false,
        last_ping: Instant::now(),
    };
    let join = tokio::spawn(async move {
        let result = coordinator.run().await;
        accept.abort();
        result
    });
    EngineHandle { snapshots, commands, join }
}

async fn accept_loop(listener: TcpListener, inbound: mpsc::UnboundedSender<Inbound>) {
    loop {
        let Ok((mut stream, peer)) = listener.accept().await else {
            // Out of descriptors, or a connection reset before it was taken: try again soon.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let inbound = inbound.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let hello = wire::recv_limited(&mut stream, wire::MAX_HELLO);
            if let Ok(Ok(Some(hello))) = tokio::time::timeout(HELLO_TIMEOUT, hello).await {
                let _ = inbound.send(Inbound::Hello { stream, peer: peer.to_string(), hello });
            }
        });
    }
}

struct Coordinator {
    hash: String,
    tools: usize,
    flows: usize,
    recorder: Recorder,
    aggregator: Aggregator,
    lanes: Vec<Option<Lane>>,
    opts: CoordinatorOptions,
    inbound: mpsc::UnboundedReceiver<Inbound>,
    inbound_tx: mpsc::UnboundedSender<Inbound>,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
    commands_open: bool,
    snap_tx: watch::Sender<Arc<Snapshot>>,
    /// The run clock's zero: the planned start.
    started: Option<Instant>,
    planned_start_ns: Option<u64>,
    /// Time spent decoding and merging intervals.
    merge_ns: u128,
    stopped: bool,
    /// Every shard was let in: from here each must stream, or be lost.
    welcomed: bool,
    last_ping: Instant,
}

/// What one wait in a stage ended on.
enum Wake {
    Tick,
    Inbound(Inbound),
    Command(EngineCommand),
}

impl Coordinator {
    async fn run(mut self) -> EngineResult {
        // A lost shard makes the run partial: its share of the schedule was not measured.
        let abort = self.stages().await.err().or_else(|| self.lost_reason());
        for lane in self.lanes.iter_mut().flatten() {
            lane.tx = None;
        }
        let status = match (&abort, self.stopped) {
            (Some(reason), _) => RunStatus::Aborted { reason: reason.clone() },
            (None, true) => RunStatus::Interrupted,
            (None, false) => RunStatus::Finished,
        };
        let progress = Progress { status, ..self.progress() };
        self.count_arrivals();
        self.aggregator.set_distribution(Arc::new(self.distribution()));
        let snapshot = self.aggregator.close(&self.recorder, &progress, self.elapsed_s());
        let histograms = self.aggregator.take_final();
        let _ = self.snap_tx.send(snapshot.clone());
        EngineResult { snapshot, histograms, abort, stopped_by_command: self.stopped }
    }

    /// Gather, set up, measure clocks, start, merge until every shard is done or lost.
    async fn stages(&mut self) -> Result<(), String> {
        self.gather().await?;
        if self.stopped {
            return Ok(());
        }
        let target = self.opts.target.clone();
        for lane in self.lanes.iter().flatten() {
            lane.send(ToShard::Welcome { target: target.clone() });
        }
        self.welcomed = true;
        for lane in self.lanes.iter_mut().flatten() {
            lane.last_seen = Instant::now();
        }
        self.until(|c| c.live_lanes().all(|l| l.view.state != LaneState::Joined), self.opts.join_timeout).await;
        if self.stopped {
            return Ok(());
        }
        let unready: Vec<String> =
            self.live_lanes().filter(|l| l.view.state == LaneState::Joined).map(|l| l.view.index.to_string()).collect();
        if !unready.is_empty() {
            return Err(format!(
                "shard(s) {} did not finish their setup within {} s",
                unready.join(", "),
                self.opts.join_timeout.as_secs()
            ));
        }
        if self.live_lanes().next().is_none() {
            return Err("every shard was lost before the start".into());
        }
        self.measure_clocks().await;
        if self.stopped {
            return Ok(());
        }
        self.start_all();
        self.until(|c| c.live_lanes().next().is_none(), Duration::MAX).await;
        Ok(())
    }

    /// Waits for every index to join; a timeout names the missing ones.
    async fn gather(&mut self) -> Result<(), String> {
        let n = self.opts.shards;
        self.until(|c| c.lanes.iter().flatten().count() == n, self.opts.join_timeout).await;
        if self.stopped {
            return Ok(());
        }
        let missing: Vec<String> =
            self.lanes.iter().enumerate().filter(|(_, l)| l.is_none()).map(|(i, _)| i.to_string()).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "shard(s) {} of {n} did not join within {} s (joined: {})",
                missing.join(", "),
                self.opts.join_timeout.as_secs(),
                self.joined_list()
            ))
        }
    }

    fn joined_list(&self) -> String {
        let joined: Vec<String> = self.lanes.iter().flatten().map(|l| l.view.index.to_string()).collect();
        if joined.is_empty() {
            "none".into()
        } else {
            joined.join(", ")
        }
    }

    /// Runs the event loop until `done` holds, `limit` passes or a stop is asked for.
    async fn until(&mut self, done: impl Fn(&Self) -> bool, limit: Duration) -> bool {
        let deadline = Instant::now().checked_add(limit);
        let mut tick = tokio::time::interval(crate::engine::SNAPSHOT_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if done(self) {
                return true;
            }
            if self.stopped && self.started.is_none() {
                return false;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            let wake = tokio::select! {
                _ = tick.tick() => Wake::Tick,
                Some(i) = self.inbound.recv() => Wake::Inbound(i),
                c = self.commands.recv(), if self.commands_open => match c {
                    Some(c) => Wake::Command(c),
                    None => { self.commands_open = false; Wake::Tick }
                },
            };
            match wake {
                Wake::Tick => self.publish(),
                Wake::Inbound(i) => self.handle(i),
                Wake::Command(c) => self.command(c),
            }
        }
    }

    fn live_lanes(&self) -> impl Iterator<Item = &Lane> {
        self.lanes.iter().flatten().filter(|l| l.live())
    }

    fn command(&mut self, command: EngineCommand) {
        if matches!(command, EngineCommand::Stop | EngineCommand::Abandon) {
            self.stopped = true;
        }
        for lane in self.live_lanes() {
            lane.send(ToShard::Command { command: command.clone() });
        }
    }

    fn handle(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Hello { stream, peer, hello } => self.admit(stream, peer, hello),
            Inbound::Gone { index, why } => self.lose(index, &format!("its connection {why}")),
            Inbound::From { index, message, at_ns } => self.receive(index, message, at_ns),
        }
    }

    /// Lets a shard in, or tells it why not.
    fn admit(&mut self, mut stream: TcpStream, peer: String, hello: FromShard) {
        let FromShard::Hello { protocol, index, count, scenario_hash } = hello else { return };
        let n = self.opts.shards;
        let refusal = if protocol != wire::PROTOCOL {
            Some(format!("protocol {protocol}, the coordinator speaks {}", wire::PROTOCOL))
        } else if count != n {
            Some(format!("it is one of {count} shards, the run has {n}"))
        } else if index >= n {
            Some(format!("index {index} is not below {n}"))
        } else if scenario_hash != self.hash {
            Some(format!(
                "its plan (scenario and rate flags, id {scenario_hash}) is not the coordinator's ({})",
                self.hash
            ))
        } else if self.lanes[index].is_some() {
            Some(format!("shard {index} already joined"))
        } else {
            None
        };
        if let Some(reason) = refusal {
            tokio::spawn(async move {
                let _ = wire::send(&mut stream, &ToShard::Refused { reason }).await;
            });
            return;
        }
        let (mut read, mut write) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<ToShard>();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if wire::send(&mut write, &m).await.is_err() {
                    return;
                }
            }
        });
        let inbound = self.inbound_tx.clone();
        tokio::spawn(async move {
            let why = loop {
                match wire::recv::<_, FromShard>(&mut read).await {
                    Ok(Some(message)) => {
                        let at_ns = wire::now_ns();
                        if inbound.send(Inbound::From { index, message, at_ns }).is_err() {
                            return;
                        }
                    }
                    Ok(None) => break "closed".to_string(),
                    Err(e) => break format!("failed: {e}"),
                }
            };
            let _ = inbound.send(Inbound::Gone { index, why });
        });
        let view = ShardLane { index, peer, share: self.share(index), ..ShardLane::default() };
        self.lanes[index] = Some(Lane {
            view,
            tx: Some(tx),
            last_seen: Instant::now(),
            probes: HashMap::new(),
            samples: Vec::new(),
            offset: None,
            latest: None,
        });
    }

    fn share(&self, index: usize) -> f64 {
        match &self.opts.weights {
            Some(w) => f64::from(w[index]) / f64::from(w.iter().sum::<u32>()),
            None => 1.0 / self.opts.shards as f64,
        }
    }

    fn lose(&mut self, index: usize, why: &str) {
        let at = self.elapsed_s();
        let Some(lane) = self.lanes.get_mut(index).and_then(Option::as_mut) else { return };
        if !lane.live() {
            return;
        }
        lane.view.state = LaneState::Lost;
        lane.view.lost_at_s = Some(at);
        lane.view.lost_why = Some(why.to_string());
        // Its connection is closed: a shard that can still hear stops on its own.
        lane.tx = None;
    }

    fn receive(&mut self, index: usize, message: FromShard, at_ns: u64) {
        let (tools, flows) = (self.tools, self.flows);
        let planned = self.planned_start_ns;
        let Some(lane) = self.lanes.get_mut(index).and_then(Option::as_mut) else { return };
        if !lane.live() {
            return;
        }
        lane.last_seen = Instant::now();
        match message {
            // Setup done; an interval sent during setup never counts as ready.
            FromShard::Ready if lane.view.state == LaneState::Joined => lane.view.state = LaneState::Ready,
            FromShard::Ready => {}
            FromShard::ClockReply { seq, shard_ns } => {
                if let Some(sent_ns) = lane.probes.remove(&seq) {
                    lane.samples.push(Sample { sent_ns, shard_ns, received_ns: at_ns });
                }
            }
            FromShard::Started { shard_ns } => {
                if let (Some(offset), Some(planned)) = (lane.offset, planned) {
                    let on_ours = offset.to_coordinator(shard_ns);
                    lane.view.start_error_ms = Some((on_ours as i128 - planned as i128) as f64 / 1e6);
                }
            }
            FromShard::Interval(interval) => {
                let began = std::time::Instant::now();
                let merged = interval.recorded.clone().into_shard(tools, flows);
                match merged {
                    Ok(shard) => self.recorder.absorb(index, &shard),
                    Err(e) => {
                        let why = format!("sent an interval that does not fit: {e}");
                        self.lose(index, &why);
                        return;
                    }
                }
                self.merge_ns += began.elapsed().as_nanos();
                let started = self.started.is_some();
                let Some(lane) = self.lanes[index].as_mut() else { return };
                if started && lane.view.state == LaneState::Ready {
                    lane.view.state = LaneState::Running;
                }
                // Counters only grow: a shard that says otherwise cannot take the sums back.
                let mut interval = interval;
                interval.arrivals = interval.arrivals.max(lane.view.arrivals);
                interval.dropped = interval.dropped.max(lane.view.dropped);
                lane.view.arrivals = interval.arrivals;
                lane.view.dropped = interval.dropped;
                lane.view.completed += interval.recorded.completed;
                lane.view.scheduled_rate = interval.scheduled_rate;
                lane.view.achieved_rps = interval.achieved_rps;
                lane.view.late_p99_ms = interval.dispatch_p99_ms;
                lane.latest = Some(interval);
            }
            FromShard::Done { status } => {
                lane.view.scheduled_rate = 0.0;
                // Only a shard that ran its plan (or stopped because the run was stopped) is
                // done; one that was interrupted or aborted on its own sent part of its share.
                let complete = status == RunStatus::Finished || (self.stopped && status == RunStatus::Interrupted);
                if complete {
                    lane.view.state = LaneState::Done;
                    lane.tx = None;
                } else {
                    let why = match status {
                        RunStatus::Aborted { reason } => format!("it aborted: {reason}"),
                        other => format!("it ended {other:?} before its plan"),
                    };
                    self.lose(index, &why);
                }
            }
            FromShard::Hello { .. } => {}
        }
    }

    /// A few probe rounds to every live shard; each shard's offset is its best exchange's.
    async fn measure_clocks(&mut self) {
        for seq in 0..clock::PROBES {
            let now = wire::now_ns();
            for lane in self.lanes.iter_mut().flatten().filter(|l| l.live()) {
                lane.probes.insert(seq, now);
                lane.send(ToShard::ClockProbe { seq });
            }
            let answered = |c: &Self| c.live_lanes().all(|l| !l.probes.contains_key(&seq));
            self.until(answered, Duration::from_secs(2)).await;
        }
        for lane in self.lanes.iter_mut().flatten() {
            lane.offset = clock::estimate(&lane.samples);
            if let Some(o) = lane.offset {
                lane.view.clock_offset_ms = Some(o.offset_ns as f64 / 1e6);
                lane.view.rtt_ms = Some(o.rtt_ns as f64 / 1e6);
            }
        }
        if self.stopped {
            return;
        }
        let lost: Vec<usize> = self.live_lanes().filter(|l| l.offset.is_none()).map(|l| l.view.index).collect();
        for index in lost {
            self.lose(index, "did not answer the clock probes");
        }
    }

    /// One absolute start for everyone, far enough ahead for the slowest link.
    fn start_all(&mut self) {
        let max_rtt = self.live_lanes().filter_map(|l| l.offset).map(|o| o.rtt_ns).max().unwrap_or(0);
        let lead = START_LEAD.max(Duration::from_nanos(max_rtt.saturating_mul(4)));
        let planned = wire::now_ns() + lead.as_nanos() as u64;
        self.planned_start_ns = Some(planned);
        self.started = Some(Instant::now() + lead);
        for lane in self.live_lanes() {
            if let Some(o) = lane.offset {
                lane.send(ToShard::Start { shard_ns: o.to_shard(planned) });
            }
        }
    }

    fn elapsed_s(&self) -> f64 {
        self.started.map_or(0.0, |s| Instant::now().saturating_duration_since(s).as_secs_f64())
    }

    /// The shards' states as one: running while any runs.
    fn progress(&self) -> Progress {
        let live: Vec<&Lane> = self.live_lanes().collect();
        let latest = || live.iter().filter_map(|l| l.latest.as_deref());
        let status = if self.started.is_none() {
            let ready = self.lanes.iter().flatten().filter(|l| l.view.state == LaneState::Ready).count();
            RunStatus::Setup { done: ready as u64, total: self.opts.shards as u64 }
        } else if latest().any(|i| i.status == RunStatus::Running) {
            RunStatus::Running
        } else if latest().any(|i| i.status == RunStatus::Paused) {
            RunStatus::Paused
        } else if live.is_empty() {
            RunStatus::Finished
        } else {
            latest().next().map_or(RunStatus::Starting, |i| i.status.clone())
        };
        Progress {
            status,
            phase: latest().next().and_then(|i| i.phase.clone()),
            rate_multiplier: latest().next().map_or(1.0, |i| i.rate_multiplier),
            scheduled_rate: latest().map(|i| i.scheduled_rate).fold(0.0, |a, b| a + b),
            clock: None,
        }
    }

    fn publish(&mut self) {
        let now = Instant::now();
        // A welcomed shard streams every 250 ms, in setup too: one that went quiet is lost,
        // its share named in the report.
        let quiet: Vec<usize> = if self.welcomed {
            self.live_lanes()
                .filter(|l| now.duration_since(l.last_seen) > HEARTBEAT_TIMEOUT)
                .map(|l| l.view.index)
                .collect()
        } else {
            Vec::new()
        };
        for index in quiet {
            self.lose(index, &format!("sent nothing for {} s", HEARTBEAT_TIMEOUT.as_secs()));
        }
        // The shards hear from us at least this often, so a silent coordinator is a dead one.
        if now.duration_since(self.last_ping) >= super::wire::PING_EVERY {
            self.last_ping = now;
            for lane in self.live_lanes() {
                lane.send(ToShard::Ping);
            }
        }
        self.count_arrivals();
        self.aggregator.set_distribution(Arc::new(self.distribution()));
        let progress = self.progress();
        let snapshot = self.aggregator.tick(&self.recorder, &progress, self.elapsed_s());
        let _ = self.snap_tx.send(snapshot);
    }

    /// The run's arrival counters: the sum of every shard's latest.
    fn count_arrivals(&self) {
        let lanes = self.lanes.iter().flatten();
        let (arrivals, dropped, inflight) = lanes.fold((0, 0, 0), |(a, d, f), l| match &l.latest {
            Some(i) => (a + i.arrivals, d + i.dropped, f + if l.live() { i.inflight } else { 0 }),
            None => (a, d, f),
        });
        self.recorder.arrivals.store(arrivals, Ordering::Release);
        self.recorder.dropped.store(dropped, Ordering::Release);
        self.recorder.inflight.store(inflight, Ordering::Release);
    }

    fn distribution(&self) -> Distribution {
        let now = Instant::now();
        let lanes: Vec<ShardLane> = (0..self.opts.shards)
            .map(|i| match &self.lanes[i] {
                Some(l) => {
                    ShardLane { heartbeat_age_s: now.duration_since(l.last_seen).as_secs_f64(), ..l.view.clone() }
                }
                None => {
                    ShardLane { index: i, state: LaneState::Joined, peer: "(not joined)".into(), ..Default::default() }
                }
            })
            .collect();
        let starts: Vec<f64> = lanes.iter().filter_map(|l| l.start_error_ms).collect();
        let start_skew_ms = (starts.len() == lanes.len() && !starts.is_empty()).then(|| {
            let (lo, hi) = starts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
            hi - lo
        });
        let clock_uncertainty_ms = lanes.iter().filter_map(|l| l.rtt_ms).reduce(f64::max).map(|rtt| rtt / 2.0);
        let elapsed = self.elapsed_s().max(1e-9);
        Distribution {
            shards: self.opts.shards,
            start_skew_ms,
            clock_uncertainty_ms,
            merge_us_per_s: if self.started.is_some() { self.merge_ns as f64 / 1e3 / elapsed } else { 0.0 },
            coverage: coverage(&lanes),
            lanes,
        }
    }

    /// Why the figures cover part of the plan: the lost shards, named.
    fn lost_reason(&self) -> Option<String> {
        let lost: Vec<String> = self
            .lanes
            .iter()
            .flatten()
            .filter(|l| l.view.state == LaneState::Lost)
            .map(|l| {
                format!(
                    "shard {} ({}) lost at {:.1} s: {}",
                    l.view.index,
                    l.view.peer,
                    l.view.lost_at_s.unwrap_or(0.0),
                    l.view.lost_why.as_deref().unwrap_or("unknown")
                )
            })
            .collect();
        if lost.is_empty() {
            return None;
        }
        let lanes: Vec<ShardLane> = self.lanes.iter().flatten().map(|l| l.view.clone()).collect();
        Some(format!("{}; the figures cover {:.1} % of the schedule", lost.join("; "), coverage(&lanes) * 100.0))
    }
}

/// The share of the schedule measured: every lane's arrivals against what each would have
/// had. The fullest lane per unit of share sets the pace (stripes are exact within one
/// arrival); a lane without a share counts as 1/N.
pub fn coverage(lanes: &[ShardLane]) -> f64 {
    if lanes.iter().all(|l| l.state != LaneState::Lost) {
        return 1.0;
    }
    let share = |l: &ShardLane| if l.share > 0.0 { l.share } else { 1.0 / lanes.len() as f64 };
    let pace = lanes.iter().map(|l| l.arrivals as f64 / share(l)).fold(0.0, f64::max);
    if pace == 0.0 {
        return 0.0;
    }
    let measured: u64 = lanes.iter().map(|l| l.arrivals).sum();
    measured as f64 / pace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_names_the_share_a_lost_shard_did_not_send() {
        let lane = |arrivals, state| ShardLane { arrivals, state, ..Default::default() };
        let all_done = [lane(100, LaneState::Done), lane(99, LaneState::Done)];
        assert_eq!(coverage(&all_done), 1.0);
        let one_lost = [lane(100, LaneState::Done), lane(100, LaneState::Done), lane(40, LaneState::Lost)];
        assert!((coverage(&one_lost) - 0.8).abs() < 1e-9);
        // Weighted 2:1:1, the small one lost after 10 of its 50.
        let weighted = |arrivals, state, share| ShardLane { arrivals, state, share, ..Default::default() };
        let lanes = [
            weighted(100, LaneState::Done, 0.5),
            weighted(50, LaneState::Done, 0.25),
            weighted(10, LaneState::Lost, 0.25),
        ];
        assert!((coverage(&lanes) - 0.8).abs() < 1e-9);
    }
}
