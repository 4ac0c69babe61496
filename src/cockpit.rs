//! Runs a session with the cockpit: wires the session's feeds into the TUI and performs the
//! effects its keys ask for (engine commands, chaos calls, report export). Only `tui/` draws.

use crate::engine::EngineCommand;
use crate::metrics::RunStatus;
use crate::monitor::Cause;
use crate::run::{RunArgs, Target};
use crate::scenario::Scenario;
use crate::scrape::profile_file::Profile;
use crate::session::Session;
use crate::tui::{self, CockpitExit, Effect};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

pub async fn run(scenario: Arc<Scenario>, target: Target, profile: Profile, args: &RunArgs) -> i32 {
    let target_url = target.url.clone();
    let session = Session::start(scenario.clone(), target, profile, args).await;
    let (effects_tx, effects_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = watch::channel(false);
    let effects = tokio::spawn(perform_effects(
        effects_rx,
        session.engine.commands.clone(),
        session.monitor.clone(),
        session.reporter.clone(),
    ));
    let watcher = tokio::spawn(watch_done(session.engine.snapshots.clone(), done_tx));
    let feeds = tui::Feeds {
        snapshots: session.engine.snapshots.clone(),
        target: session.monitor.target.clone(),
        chaos: session.monitor.chaos.clone(),
        events: session.monitor.events.clone(),
        effects: effects_tx,
        scenario: scenario.name.clone(),
        target_url: crate::report::redact_url(&target_url),
        theme: args.theme.clone(),
        screenshot_dir: std::env::current_dir().unwrap_or_default().join("screenshots"),
        engine_done: done_rx,
    };
    // On its own task, so a panic in drawing ends the cockpit, not the run: the terminal is
    // restored (the guard's panic hook does it first) and the report is still written.
    let exit = match tokio::spawn(tui::run_cockpit(feeds)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("the cockpit panicked: {e}")),
    };
    tui::restore_terminal();
    let quit_early = matches!(exit, Ok(CockpitExit::Quit)) || exit.is_err();
    if let Err(e) = &exit {
        eprintln!("error: {e}; stopping the load and writing the report");
    }

    if quit_early {
        let _ = session.engine.commands.send(EngineCommand::Stop);
    }
    let outcome = session.finish(quit_early).await;
    effects.abort();
    watcher.abort();
    print!("{}", crate::headless::summary(&outcome.snapshot, &outcome.kpis));
    print!("{}", crate::headless::reconciliation_summary(&outcome.reconciliation));
    print!("{}", crate::headless::verdict_summary(&outcome.verdict));
    if let Some(dir) = &outcome.report_dir {
        println!("report: {}", dir.display());
    }
    if let Some(e) = &outcome.report_error {
        eprintln!("error: the report could not be written: {e}");
    }
    outcome.exit_code
}

async fn perform_effects(
    mut rx: mpsc::UnboundedReceiver<Effect>,
    engine: mpsc::UnboundedSender<EngineCommand>,
    monitor: crate::monitor::Monitor,
    reporter: crate::session::Reporter,
) {
    while let Some(effect) = rx.recv().await {
        match effect {
            Effect::Engine(cmd) => {
                monitor.log(crate::live::EventKind::Control, format!("{cmd:?}"));
                let _ = engine.send(cmd);
            }
            Effect::InjectChaos { tool, mode, pct } => {
                let m = monitor.clone();
                tokio::spawn(async move { m.inject(&tool, &mode, pct, Cause::Key).await });
            }
            Effect::ClearChaos { tool } => {
                let m = monitor.clone();
                tokio::spawn(async move { m.clear(&tool, Cause::Key).await });
            }
            Effect::ClearAllChaos => {
                let m = monitor.clone();
                tokio::spawn(async move { m.clear_all(Cause::Key).await });
            }
            Effect::ExportReport => {
                let (r, m) = (reporter.clone(), monitor.clone());
                tokio::spawn(async move {
                    if let Err(e) = r.export_now().await {
                        m.log(crate::live::EventKind::Report, format!("report export failed: {e}"));
                    }
                });
            }
            Effect::Quit => {
                let _ = engine.send(EngineCommand::Stop);
            }
            Effect::Screenshot => {}
        }
    }
}

async fn watch_done(mut snapshots: watch::Receiver<Arc<crate::metrics::Snapshot>>, done: watch::Sender<bool>) {
    loop {
        let finished = matches!(
            snapshots.borrow().status,
            RunStatus::Finished | RunStatus::Interrupted | RunStatus::Aborted { .. }
        );
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
