//! Runs a session with the cockpit: wires the session's feeds into the TUI and performs the
//! effects its keys ask for (engine commands, chaos calls, report export). Only `tui/` draws.

use crate::config::RunConfig;
use crate::session::Session;
use crate::stop::Notice;
use crate::tui::{self, CockpitExit, Effect};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

pub async fn run(config: &RunConfig, session: Session, mut notices: mpsc::UnboundedReceiver<Notice>) -> i32 {
    let scenario = &config.scenario;
    let target_url = session.target.url.clone();
    let stopper = session.stopper.clone();
    let (effects_tx, effects_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = watch::channel(false);
    let (hangup_tx, hangup_rx) = watch::channel(false);
    let (report_tx, report_rx) = watch::channel(None);
    let effects = tokio::spawn(perform_effects(effects_rx, crate::actions::Actor::of(&session)));
    let watcher = tokio::spawn(watch_done(session.engine.snapshots.clone(), done_tx));
    let (reporter, signal_stop) = (session.reporter.clone(), stopper.clone());
    let notices_task = tokio::spawn(async move {
        while let Some(n) = notices.recv().await {
            match n {
                Notice::Stop => signal_stop.request(),
                Notice::Export => reporter.export_in_background(false),
                Notice::HangUp => {
                    let _ = hangup_tx.send(true);
                }
            }
        }
    });
    let feeds = tui::Feeds {
        snapshots: session.engine.snapshots.clone(),
        target: session.monitor.target.clone(),
        chaos: session.monitor.chaos.clone(),
        events: session.monitor.events.clone(),
        effects: effects_tx,
        scenario: scenario.name.clone(),
        target_url: crate::report::redact_url(&target_url),
        theme: config.theme.clone(),
        screenshot_dir: std::env::current_dir().unwrap_or_default().join("screenshots"),
        engine_done: done_rx,
        stop_requests: stopper.watch(),
        hangup: hangup_rx,
        report: report_rx,
        baseline: config.baseline.clone(),
        dashboard: session.monitor.dashboard.clone(),
        attached: false,
    };
    let dir = session.reporter.dir.clone();
    let snapshots = session.engine.snapshots.clone();
    // The report is written the moment the run ends, whatever the cockpit is doing then.
    let finish = tokio::spawn(async move {
        let outcome = session.finish().await;
        let written = outcome.report_dir.as_ref().map(|d| d.display().to_string());
        let _ = report_tx.send(written.or_else(|| outcome.report_error.clone().map(|e| format!("nowhere: {e}"))));
        outcome
    });
    // On its own task, so a panic in drawing ends the cockpit, not the run: the terminal is
    // restored (the guard's panic hook does it first) and the report is still written.
    let exit = tokio::spawn(tui::run_cockpit(feeds)).await;
    tui::restore_terminal();
    match exit {
        Ok(Ok(CockpitExit::Quit | CockpitExit::EngineFinished)) => {}
        // A terminal that cannot be written to any more is a terminal gone: the run goes on.
        Ok(Ok(CockpitExit::Detached)) | Ok(Err(_)) => {
            crate::stop::hang_up(&dir);
            if let Ok(Err(e)) = &exit {
                crate::stop::say(&format!("the cockpit stopped drawing: {e}"));
            }
            tokio::spawn(log_progress(snapshots));
        }
        Err(e) => {
            crate::stop::say(&format!("error: the cockpit panicked: {e}; stopping the load and writing the report"));
            stopper.request();
        }
    }
    let outcome = match finish.await {
        Ok(o) => o,
        Err(e) => {
            crate::stop::say(&format!("error: the run failed: {e}"));
            return crate::outcome::exit::ABORTED;
        }
    };
    effects.abort();
    watcher.abort();
    notices_task.abort();
    crate::outcome::print_outcome(&outcome);
    outcome.exit_code
}

/// Without a terminal, plain progress lines every 10 s (into the run directory's log).
async fn log_progress(mut snapshots: watch::Receiver<Arc<crate::metrics::Snapshot>>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tick.tick().await;
        crate::stop::say(&crate::outcome::progress_line(&snapshots.borrow_and_update()));
        if snapshots.has_changed().is_err() {
            return;
        }
    }
}

async fn perform_effects(mut rx: mpsc::UnboundedReceiver<Effect>, actor: crate::actions::Actor) {
    while let Some(effect) = rx.recv().await {
        if let Some(action) = tui::action_of(effect) {
            actor.perform(action);
        }
    }
}

async fn watch_done(mut snapshots: watch::Receiver<Arc<crate::metrics::Snapshot>>, done: watch::Sender<bool>) {
    loop {
        let finished = snapshots.borrow().status.is_final();
        if finished {
            let _ = done.send(true);
            return;
        }
        if snapshots.changed().await.is_err() {
            let _ = done.send(true);
            return;
        }
    }
}
