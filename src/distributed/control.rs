//! A run's control port (`--control ADDR`): any number of cockpits attach over TCP
//! (`proofdeck attach ADDR`), see what the local cockpit sees and send what its keys ask for.
//! Detaching leaves the run untouched. Frames are the coordinator protocol's; the per-second
//! series and the event log travel as what is new since the last update.

use super::wire;
use crate::actions::{Action, Actor};
use crate::live::{ChaosView, LogEvent, TargetView};
use crate::metrics::{SecondPoint, Snapshot};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How often an attached cockpit is updated, at most.
pub const UPDATE_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToViewer {
    Hello { protocol: u32, scenario: String, target_url: String },
    Update(Box<ViewUpdate>),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromViewer {
    Act { action: Action },
}

/// What changed since the last update.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ViewUpdate {
    /// The snapshot without its series (sent as `points` from `series_from` on).
    pub snapshot: Option<Snapshot>,
    pub series_from: usize,
    pub points: Vec<SecondPoint>,
    pub target: Option<TargetView>,
    pub chaos: Option<ChaosView>,
    /// The log's entries from `events_from` on.
    pub events_from: usize,
    pub events: Vec<LogEvent>,
}

impl ViewUpdate {
    fn is_empty(&self) -> bool {
        self.snapshot.is_none() && self.target.is_none() && self.chaos.is_none() && self.events.is_empty()
    }
}

/// What the control port shows and where its actions go.
#[derive(Clone)]
pub struct Sources {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub target: watch::Receiver<TargetView>,
    pub chaos: watch::Receiver<ChaosView>,
    pub events: watch::Receiver<Vec<LogEvent>>,
    pub scenario: String,
    /// Already masked.
    pub target_url: String,
    pub actor: Actor,
}

impl Sources {
    pub fn of(session: &crate::session::Session) -> Self {
        Self {
            snapshots: session.engine.snapshots.clone(),
            target: session.monitor.target.clone(),
            chaos: session.monitor.chaos.clone(),
            events: session.monitor.events.clone(),
            scenario: session.scenario.name.clone(),
            target_url: crate::report::redact_url(&session.target.url),
            actor: Actor::of(session),
        }
    }
}

/// Serves attached cockpits on `listener` until aborted.
pub fn serve(listener: TcpListener, sources: Sources) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            tokio::spawn(viewer(stream, sources.clone()));
        }
    })
}

async fn viewer(stream: TcpStream, mut s: Sources) {
    let (mut read, mut write) = stream.into_split();
    let hello =
        ToViewer::Hello { protocol: wire::PROTOCOL, scenario: s.scenario.clone(), target_url: s.target_url.clone() };
    if wire::send(&mut write, &hello).await.is_err() {
        return;
    }
    let actor = s.actor.clone();
    let actions = tokio::spawn(async move {
        while let Ok(Some(FromViewer::Act { action })) = wire::recv(&mut read).await {
            actor.perform(action);
        }
    });
    let (mut sent_points, mut sent_events, mut first) = (0, 0, true);
    let mut last_event: Option<LogEvent> = None;
    let mut tick = tokio::time::interval(UPDATE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while !actions.is_finished() {
        tick.tick().await;
        let mut u = ViewUpdate::default();
        if first || s.snapshots.has_changed().unwrap_or(false) {
            let snap = s.snapshots.borrow_and_update().clone();
            if snap.series.len() < sent_points {
                sent_points = 0;
            }
            u.series_from = sent_points;
            u.points = snap.series.iter().skip(sent_points).cloned().collect();
            sent_points = snap.series.len();
            u.snapshot = Some(Snapshot { series: Default::default(), ..(*snap).clone() });
        }
        if first || s.target.has_changed().unwrap_or(false) {
            u.target = Some(s.target.borrow_and_update().clone());
        }
        if first || s.chaos.has_changed().unwrap_or(false) {
            u.chaos = Some(s.chaos.borrow_and_update().clone());
        }
        {
            let events = s.events.borrow_and_update();
            // The log is capped: once full, old entries go as new ones come, at the same
            // length. Unless the entry last sent is still where it was, send it all again.
            let continues = sent_events == 0 || events.get(sent_events - 1) == last_event.as_ref();
            if !continues {
                sent_events = 0;
            }
            last_event = events.last().cloned();
            u.events_from = sent_events;
            u.events = events[sent_events..].to_vec();
            sent_events = events.len();
        }
        first = false;
        if !u.is_empty() && wire::send(&mut write, &ToViewer::Update(Box::new(u))).await.is_err() {
            break;
        }
    }
    actions.abort();
}
