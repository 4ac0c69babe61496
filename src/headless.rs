//! Headless runs: progress on stderr (a bar on a terminal, plain lines otherwise, NDJSON with
//! `--format json`); the outcome on stdout.

use crate::config::{Format, RunConfig};
use crate::metrics::Snapshot;
use crate::outcome::{print_outcome, progress_json, progress_line};
use crate::scenario::Scenario;
use crate::stop::Notice;
use std::time::Duration;

/// Plain progress lines every few seconds, so logs stay readable.
pub const LINE_INTERVAL: Duration = Duration::from_secs(2);

pub async fn run(
    config: &RunConfig,
    session: crate::session::Session,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
) -> i32 {
    let scenario = &config.scenario;
    let mut snapshots = session.engine.snapshots.clone();
    let mut bar = crate::config::progress_bar(config.format).then(|| {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    let total_s = scenario.total_duration().as_secs_f64();
    let mut last_line = tokio::time::Instant::now();
    let mut notices_open = true;
    loop {
        tokio::select! {
            changed = snapshots.changed() => {
                if changed.is_err() { break; }
            }
            notice = notices.recv(), if notices_open => match notice {
                Some(Notice::Stop) => session.stopper.request(),
                Some(Notice::Export) => session.reporter.export_in_background(true),
                Some(Notice::HangUp) => {
                    // The terminal is gone: the run goes on to its planned end, its output
                    // going to the run directory, and still writes its report.
                    if let Some(b) = bar.take() {
                        b.finish_and_clear();
                    }
                    crate::stop::hang_up(&session.reporter.dir);
                }
                // Nobody can signal any more: the run goes on to its end.
                None => notices_open = false,
            },
        }
        if session.engine.join.is_finished() {
            break;
        }
        let snap = snapshots.borrow_and_update().clone();
        match &bar {
            Some(bar) => {
                bar.set_position((load_elapsed(&snap, scenario) / total_s.max(1e-9) * 1000.0) as u64);
                bar.set_message(progress_line(&snap));
            }
            None if last_line.elapsed() >= LINE_INTERVAL => {
                last_line = tokio::time::Instant::now();
                match config.format {
                    Format::Json => crate::stop::say(&progress_json(&snap)),
                    Format::Human => crate::stop::say(&progress_line(&snap)),
                }
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // Signals during the final scrape and report still count: a second one is moot then.
    let outcome = session.finish().await;
    print_outcome(&outcome);
    outcome.exit_code
}

/// Seconds of load so far (the phase clock), for the progress bar.
fn load_elapsed(snap: &Snapshot, scenario: &Scenario) -> f64 {
    match &snap.phase {
        Some(p) => {
            scenario.phases[..p.index.min(scenario.phases.len())].iter().map(|p| p.duration.as_secs_f64()).sum::<f64>()
                + p.elapsed_s
        }
        None => 0.0,
    }
}
