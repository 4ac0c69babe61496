//! A shard's side of a coordinated run: join (hello → welcome with the target), answer the
//! clock probes, wait at the engine's start gate for the coordinator's start time, stream
//! every merged interval, obey the coordinator's controls, and stop on its own (writing its
//! local report) when the coordinator is gone for longer than the grace.

use super::wire::{self, FromShard, Interval, ToShard, WireShard};
use crate::engine::stripe::{GateControl, Stripe};
use crate::engine::{Commands, EngineCommand};
use crate::metrics::aggregate::Tap;
use crate::metrics::shard::Shard;
use crate::metrics::Snapshot;
use crate::util::lock;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

/// How often a shard sends what it recorded (the aggregator's own cadence).
pub const INTERVAL: Duration = crate::engine::SNAPSHOT_INTERVAL;

/// How long a shard keeps trying to reach its coordinator (pods start in any order).
pub const CONNECT_FOR: Duration = Duration::from_secs(120);

/// A shard that joined: its connection and the coordinator's target.
pub struct Joined {
    stream: TcpStream,
    pub target: String,
}

/// Connects (retrying while the coordinator is not up yet), says hello and waits to be let in.
pub async fn join(addr: &str, stripe: Stripe, scenario_hash: &str) -> Result<Joined, String> {
    let deadline = tokio::time::Instant::now() + CONNECT_FOR;
    let mut stream = loop {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => break s,
            Ok(Err(e)) if tokio::time::Instant::now() >= deadline => {
                return Err(format!("cannot reach the coordinator at {addr}: {e}"))
            }
            Err(_) if tokio::time::Instant::now() >= deadline => {
                return Err(format!("cannot reach the coordinator at {addr}: no answer"))
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    let _ = stream.set_nodelay(true);
    let hello = FromShard::Hello {
        protocol: wire::PROTOCOL,
        index: stripe.index,
        count: stripe.count,
        scenario_hash: scenario_hash.to_string(),
    };
    wire::send(&mut stream, &hello).await.map_err(|e| format!("coordinator {addr}: {e}"))?;
    // The welcome comes once every shard joined (pings meanwhile say the coordinator lives).
    loop {
        let answer = tokio::time::timeout(wire::SILENCE, wire::recv::<_, ToShard>(&mut stream)).await;
        return match answer {
            Ok(Ok(Some(ToShard::Ping))) => continue,
            Ok(Ok(Some(ToShard::Welcome { target }))) => Ok(Joined { stream, target }),
            Ok(Ok(Some(ToShard::Refused { reason }))) => {
                Err(format!("the coordinator at {addr} refused shard {stripe}: {reason}"))
            }
            Ok(Ok(Some(other))) => Err(format!("coordinator {addr}: unexpected {other:?} before the welcome")),
            Ok(Ok(None)) => {
                Err(format!("the coordinator at {addr} closed the connection before letting shard {stripe} in"))
            }
            Ok(Err(e)) => Err(format!("coordinator {addr}: {e}")),
            Err(_) => Err(format!("the coordinator at {addr} went silent for {} s", wire::SILENCE.as_secs())),
        };
    }
}

/// What the link works with: the engine's gate, tap and controls, and the run's views.
pub struct LinkParts {
    pub gate: GateControl,
    pub tap: Tap,
    pub tools: usize,
    pub flows: usize,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub commands: Commands,
    pub stopper: crate::stop::Stopper,
    pub monitor: crate::monitor::Monitor,
    pub grace: Duration,
}

/// Runs the link until the engine's final interval and `Done` are sent (or the coordinator
/// is gone). Await it after the session finished so the last frames leave.
pub fn spawn(joined: Joined, parts: LinkParts) -> tokio::task::JoinHandle<()> {
    let (read, mut write) = joined.stream.into_split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<FromShard>();
    let writer = tokio::spawn(async move {
        while let Some(message) = out_rx.recv().await {
            if wire::send(&mut write, &message).await.is_err() {
                return;
            }
        }
    });
    let LinkParts { gate, tap, tools, flows, snapshots, commands, stopper, monitor, grace } = parts;
    let reader = tokio::spawn(read_loop(read, gate.start, out_tx.clone(), commands, stopper.clone(), monitor, grace));
    let streamer = tokio::spawn(stream_loop(gate.ready, gate.started, tap, tools, flows, snapshots, out_tx));
    tokio::spawn(async move {
        let _ = streamer.await;
        // Everything is queued: the reader's sender goes too, and the writer ends once it sent
        // the rest. (The coordinator closing after `Done` is no news to report.)
        reader.abort();
        let _ = writer.await;
    })
}

async fn read_loop(
    mut read: tokio::net::tcp::OwnedReadHalf,
    start: watch::Sender<Option<std::time::SystemTime>>,
    out: mpsc::UnboundedSender<FromShard>,
    commands: Commands,
    stopper: crate::stop::Stopper,
    monitor: crate::monitor::Monitor,
    grace: Duration,
) {
    let why = loop {
        let Ok(frame) = tokio::time::timeout(wire::SILENCE, wire::recv::<_, ToShard>(&mut read)).await else {
            break format!("went silent for {} s", wire::SILENCE.as_secs());
        };
        match frame {
            Ok(Some(ToShard::ClockProbe { seq })) => {
                let _ = out.send(FromShard::ClockReply { seq, shard_ns: wire::now_ns() });
            }
            Ok(Some(ToShard::Start { shard_ns })) => {
                start.send_replace(Some(UNIX_EPOCH + Duration::from_nanos(shard_ns)));
            }
            // Stops take the shard's one stop path: the first drains, the second abandons.
            Ok(Some(ToShard::Command { command: EngineCommand::Stop | EngineCommand::Abandon })) => stopper.request(),
            Ok(Some(ToShard::Command { command })) => {
                let _ = commands.send(command);
            }
            Ok(Some(_)) => {}
            Ok(None) => break "closed the connection".to_string(),
            Err(e) => break e.to_string(),
        }
    };
    // Before the start the gate would wait for ever: without a coordinator there is no start.
    // Nothing more can be sent either.
    drop(start);
    drop(out);
    let note = format!("the coordinator {why}; stopping in {} s unless the run ends first", grace.as_secs());
    monitor.record(crate::live::Event::Shard { note });
    tokio::time::sleep(grace).await;
    if stopper.requests() == 0 {
        monitor.record(crate::live::Event::Shard { note: "no coordinator: stopping on my own".into() });
        stopper.request();
    }
}

async fn stream_loop(
    mut ready: watch::Receiver<bool>,
    mut started: watch::Receiver<Option<std::time::SystemTime>>,
    tap: Tap,
    tools: usize,
    flows: usize,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    out: mpsc::UnboundedSender<FromShard>,
) {
    let mut said_ready = false;
    let mut said_started = false;
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // A gate whose engine is gone never changes again: stop waiting on it.
        let mut ready_gone = false;
        let mut started_gone = false;
        tokio::select! {
            _ = tick.tick() => {}
            r = ready.changed(), if !said_ready && !ready_gone => ready_gone = r.is_err(),
            r = started.changed(), if !said_started && !started_gone => started_gone = r.is_err(),
        }
        said_ready |= ready_gone && !*ready.borrow();
        said_started |= started_gone && started.borrow().is_none();
        if !said_ready && *ready.borrow() {
            said_ready = true;
            let _ = out.send(FromShard::Ready);
        }
        if let (false, Some(at)) = (said_started, *started.borrow()) {
            said_started = true;
            let shard_ns = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            let _ = out.send(FromShard::Started { shard_ns });
        }
        let snapshot = snapshots.borrow().clone();
        let over = snapshot.status.is_final();
        // The engine's last merge reached the tap before its final snapshot was published.
        let recorded = std::mem::replace(&mut *lock(&tap), Shard::new(tools, flows));
        let interval = Interval {
            arrivals: snapshot.arrivals,
            dropped: snapshot.dropped,
            inflight: snapshot.inflight,
            status: snapshot.status.clone(),
            phase: snapshot.phase.clone(),
            scheduled_rate: snapshot.scheduled_rate,
            rate_multiplier: snapshot.rate_multiplier,
            achieved_rps: snapshot.achieved_rps,
            dispatch_p99_ms: snapshot.dispatch_lag.p99_ms,
            recorded: WireShard::from_shard(&recorded, |d| d.to_string()),
        };
        if out.send(FromShard::Interval(Box::new(interval))).is_err() {
            return;
        }
        if over {
            let _ = out.send(FromShard::Done { status: snapshot.status.clone() });
            return;
        }
    }
}
