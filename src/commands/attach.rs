//! `proofdeck attach ADDR`: the cockpit on a run elsewhere — a coordinator, or any run started
//! with `--control ADDR` — with the same keys; `q` detaches and leaves the run going.

use crate::distributed::control::{FromViewer, ToViewer, ViewUpdate};
use crate::distributed::wire;
use crate::live::{ChaosView, LogEvent, TargetView};
use crate::metrics::series::SeriesBuilder;
use crate::metrics::Snapshot;
use crate::outcome::exit;
use crate::tui::{self, CockpitExit};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(clap::Args, Debug)]
pub struct AttachArgs {
    /// The run's control port (`--control HOST:PORT` of `run` or `coordinate`)
    pub addr: String,
    /// Cockpit theme (dark, light, high-contrast, or a user theme)
    #[arg(long, env = "PROOFDECK_THEME")]
    pub theme: Option<String>,
}

/// The attached cockpit's feeds, written from the control port's updates.
struct Writers {
    snapshot: watch::Sender<Arc<Snapshot>>,
    target: watch::Sender<TargetView>,
    chaos: watch::Sender<ChaosView>,
    events: watch::Sender<Vec<LogEvent>>,
    done: watch::Sender<bool>,
    series: SeriesBuilder,
}

impl Writers {
    fn apply(&mut self, u: ViewUpdate) {
        if u.series_from == 0 && !u.points.is_empty() {
            self.series = SeriesBuilder::default();
        }
        for p in u.points {
            self.series.push(p);
        }
        if let Some(mut snap) = u.snapshot {
            snap.series = self.series.series();
            let over = snap.status.is_final();
            self.snapshot.send_replace(Arc::new(snap));
            if over {
                self.done.send_replace(true);
            }
        }
        if let Some(t) = u.target {
            self.target.send_replace(t);
        }
        if let Some(c) = u.chaos {
            self.chaos.send_replace(c);
        }
        if !u.events.is_empty() || u.events_from == 0 {
            self.events.send_modify(|log| {
                log.truncate(u.events_from);
                log.extend(u.events);
            });
        }
    }
}

pub async fn attach(args: AttachArgs) -> i32 {
    let connect = tokio::net::TcpStream::connect(&args.addr);
    let mut stream = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return unreachable(&args.addr, &e.to_string()),
        Err(_) => return unreachable(&args.addr, "no answer within 5 s"),
    };
    let _ = stream.set_nodelay(true);
    let hello = tokio::time::timeout(Duration::from_secs(5), wire::recv::<_, ToViewer>(&mut stream)).await;
    let (scenario, target_url) = match hello {
        Ok(Ok(Some(ToViewer::Hello { protocol, scenario, target_url }))) if protocol == wire::PROTOCOL => {
            (scenario, target_url)
        }
        _ => return unreachable(&args.addr, "it does not speak proofdeck's control protocol"),
    };
    let (mut read, mut write) = stream.into_split();
    let (snapshot, snapshots) = watch::channel(Arc::new(Snapshot::empty(&[], &[])));
    let (target, target_rx) = watch::channel(TargetView::default());
    let (chaos, chaos_rx) = watch::channel(ChaosView::default());
    let (events, events_rx) = watch::channel(Vec::new());
    let (done, done_rx) = watch::channel(false);
    let mut writers = Writers { snapshot, target, chaos, events, done, series: SeriesBuilder::default() };
    let reader = tokio::spawn(async move {
        while let Ok(Some(ToViewer::Update(u))) = wire::recv(&mut read).await {
            writers.apply(*u);
        }
        // The run is over (its process ended) or unreachable: the final frame stays.
        writers.done.send_replace(true);
    });
    let (effects, mut effects_rx) = mpsc::unbounded_channel();
    let sender = tokio::spawn(async move {
        while let Some(effect) = effects_rx.recv().await {
            let Some(action) = tui::action_of(effect) else { continue };
            if wire::send(&mut write, &FromViewer::Act { action }).await.is_err() {
                return;
            }
        }
    });
    let feeds = tui::Feeds {
        snapshots,
        target: target_rx,
        chaos: chaos_rx,
        events: events_rx,
        effects,
        scenario,
        target_url,
        theme: args.theme.clone(),
        screenshot_dir: std::env::current_dir().unwrap_or_default().join("screenshots"),
        engine_done: done_rx,
        stop_requests: watch::channel(0).1,
        hangup: watch::channel(false).1,
        report: watch::channel(None).1,
        baseline: None,
        dashboard: watch::channel(None).1,
        attached: true,
    };
    let exit = tokio::spawn(tui::run_cockpit(feeds)).await;
    tui::restore_terminal();
    reader.abort();
    sender.abort();
    match exit {
        Ok(Ok(CockpitExit::Detached)) => {
            println!("detached from {}; the run goes on", args.addr);
            exit::OK
        }
        Ok(Ok(_)) => exit::OK,
        Ok(Err(e)) => {
            eprintln!("error: the cockpit stopped drawing: {e}");
            exit::ABORTED
        }
        Err(e) => {
            eprintln!("error: the cockpit panicked: {e}");
            exit::ABORTED
        }
    }
}

fn unreachable(addr: &str, why: &str) -> i32 {
    eprintln!("error: cannot attach to {addr}: {why}");
    exit::ABORTED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SecondPoint;

    #[test]
    fn updates_rebuild_the_series_and_the_log_and_a_final_status_is_the_end() {
        let (snapshot, snaps) = watch::channel(Arc::new(Snapshot::empty(&[], &[])));
        let (events, log) = watch::channel(Vec::new());
        let (done, finished) = watch::channel(false);
        let mut w = Writers {
            snapshot,
            target: watch::channel(TargetView::default()).0,
            chaos: watch::channel(ChaosView::default()).0,
            events,
            done,
            series: SeriesBuilder::default(),
        };
        let point = |t| SecondPoint::empty(t, 0, 0);
        let event = |t_s: f64| LogEvent::new(t_s, crate::live::Event::Control { command: format!("at {t_s}") });
        let running = Snapshot { status: crate::metrics::RunStatus::Running, ..Snapshot::empty(&[], &[]) };
        w.apply(ViewUpdate {
            snapshot: Some(running.clone()),
            points: vec![point(0), point(1)],
            events: vec![event(0.5)],
            ..ViewUpdate::default()
        });
        w.apply(ViewUpdate {
            snapshot: Some(Snapshot { status: crate::metrics::RunStatus::Finished, ..running }),
            series_from: 2,
            points: vec![point(2)],
            events_from: 1,
            events: vec![event(2.5)],
            ..ViewUpdate::default()
        });
        let s = snaps.borrow().clone();
        assert_eq!(s.series.iter().map(|p| p.t).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(log.borrow().len(), 2);
        assert!(*finished.borrow(), "a finished run is the attached cockpit's final frame");
    }
}
