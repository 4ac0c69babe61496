//! The cockpit's event loop. It sleeps on channels (keys, snapshots, target, chaos, events,
//! engine done, signals) and redraws only when one of them changed something, at most ~10
//! times a second, so an idle cockpit costs next to nothing.

use super::app::{App, Effect, StatusLevel};
use super::screenshot;
use super::terminal::TerminalGuard;
use super::theme::ThemeSet;
use super::view::{self, ViewData};
use crate::live::{ChaosView, LogEvent, TargetView};
use crate::metrics::Snapshot;
use crossterm::event::Event;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// At most ~10 frames a second.
pub const MIN_FRAME: Duration = Duration::from_millis(100);
/// How often the key thread checks whether the cockpit is gone.
const INPUT_POLL: Duration = Duration::from_millis(200);

/// What the cockpit reads, and where it sends what the keys ask for.
pub struct Feeds {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub target: watch::Receiver<TargetView>,
    pub chaos: watch::Receiver<ChaosView>,
    pub events: watch::Receiver<Vec<LogEvent>>,
    /// Every effect except `Screenshot` (done here) goes to the session, `Quit` included.
    pub effects: mpsc::UnboundedSender<Effect>,
    pub scenario: String,
    pub target_url: String,
    pub theme: Option<String>,
    pub screenshot_dir: PathBuf,
    pub engine_done: watch::Receiver<bool>,
    /// How many stops were asked for (keys or signals): the cockpit says "stopping…" and
    /// closes by itself once the drain is over.
    pub stop_requests: watch::Receiver<u32>,
    /// Set when the terminal is gone (SIGHUP).
    pub hangup: watch::Receiver<bool>,
    /// Where the report went, once the finished run wrote it.
    pub report: watch::Receiver<Option<String>>,
    /// `--baseline`: a finished run drawn under the live charts.
    pub baseline: Option<Arc<crate::report::baseline::Baseline>>,
    /// `--dashboard`: its panels as last evaluated.
    pub dashboard: watch::Receiver<Option<Arc<crate::dashboard::DashboardView>>>,
    /// Attached to a run elsewhere (`proofdeck attach`): `q` detaches and leaves it running.
    pub attached: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CockpitExit {
    /// A stop was asked for (q, Ctrl-C, a signal) and the run has drained.
    Quit,
    /// The engine had finished and the user closed the final frame; nothing was sent.
    EngineFinished,
    /// The terminal went away: the run goes on without the cockpit.
    Detached,
}

/// What the status line says while a stop drains.
pub const STOPPING_TEXT: &str = "stopping: waiting for the requests in flight — q again abandons them";

/// Redraw pacing: draw when something changed, but not more often than `MIN_FRAME`.
#[derive(Debug)]
struct RedrawGate {
    dirty: bool,
    last: Option<Instant>,
}

impl RedrawGate {
    fn new() -> Self {
        Self { dirty: true, last: None }
    }

    fn mark(&mut self) {
        self.dirty = true;
    }

    /// When the pending redraw may happen; `None` when nothing is pending.
    fn due_at(&self) -> Option<Instant> {
        if !self.dirty {
            return None;
        }
        Some(self.last.map_or_else(Instant::now, |t| t + MIN_FRAME))
    }

    fn should_draw(&self, now: Instant) -> bool {
        self.dirty && self.last.is_none_or(|t| now >= t + MIN_FRAME)
    }

    fn drawn(&mut self, now: Instant) {
        self.dirty = false;
        self.last = Some(now);
    }
}

/// Reads terminal events on a plain thread (crossterm's blocking `poll`/`read`) and forwards
/// them; stops when the cockpit drops its receiver or sets `stop`.
pub(crate) struct InputThread {
    stop: Arc<AtomicBool>,
}

impl InputThread {
    pub(crate) fn spawn(tx: mpsc::UnboundedSender<Event>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("proofdeck-keys".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match crossterm::event::poll(INPUT_POLL) {
                        Ok(true) => match crossterm::event::read() {
                            Ok(ev) => {
                                if tx.send(ev).is_err() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        },
                        Ok(false) => {}
                        Err(_) => break,
                    }
                }
            })
            .ok();
        Self { stop }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs the cockpit until the user quits, a signal arrives, or the terminal goes away.
/// The terminal is restored on every way out (the guard is dropped, or the panic hook runs).
pub async fn run_cockpit(mut feeds: Feeds) -> std::io::Result<CockpitExit> {
    let (themes, problems) = ThemeSet::load(feeds.theme.as_deref());
    let mut app = App::new(themes);
    if let Some(p) = problems.first() {
        app.set_status(StatusLevel::Warn, p.clone());
    }

    let mut snapshot = feeds.snapshots.borrow_and_update().clone();
    let mut target = feeds.target.borrow_and_update().clone();
    let mut chaos = feeds.chaos.borrow_and_update().clone();
    let mut events = feeds.events.borrow_and_update().clone();
    let mut dashboard = feeds.dashboard.borrow_and_update().clone();
    if let Some(d) = &dashboard {
        app.observe_dashboard(d);
    }
    app.observe_snapshot(&snapshot);
    app.observe_target(&target, snapshot.elapsed_s);
    if *feeds.engine_done.borrow_and_update() {
        app.mark_finished();
    }

    let mut guard = TerminalGuard::new()?;
    let (key_tx, mut keys) = mpsc::unbounded_channel();
    let _input = InputThread::spawn(key_tx);
    // Signals (SIGINT, SIGTERM) reach the stop path outside; raw mode turns the Ctrl-C key
    // into a key event, handled as `q`.
    // A closed feed stops being listened to (a closed watch is always "ready").
    let mut open = [true; 9];
    let mut gate = RedrawGate::new();

    loop {
        let now = Instant::now();
        if gate.should_draw(now) {
            let size = guard.terminal().size()?;
            app.compact = view::is_compact(Rect::new(0, 0, size.width, size.height));
            let data = view_data(&snapshot, &target, &chaos, &events, dashboard.as_deref(), &feeds);
            guard.terminal().draw(|f| view::render(f, &app, &data))?;
            gate.drawn(now);
        }
        let wake = gate.due_at().unwrap_or_else(|| now + Duration::from_secs(3600));

        tokio::select! {
            ev = keys.recv() => {
                let Some(ev) = ev else {
                    // The terminal is gone (read error, hang-up): nobody can press q, and the
                    // run goes on without the cockpit.
                    return Ok(CockpitExit::Detached);
                };
                match ev {
                    Event::Key(key) => {
                        for effect in app.handle_key(key) {
                            match effect {
                                Effect::Quit => {
                                    if let Some(exit) = quit(&mut app, &feeds) {
                                        return Ok(exit);
                                    }
                                }
                                Effect::Screenshot => {
                                    let data = view_data(&snapshot, &target, &chaos, &events, dashboard.as_deref(), &feeds);
                                    let dir = &feeds.screenshot_dir;
                                    take_screenshot(&mut guard, &mut app, &data, dir)?;
                                }
                                other => {
                                    if feeds.effects.send(other).is_err() {
                                        let gone = "the session is gone; q quits";
                                        app.set_status(StatusLevel::Bad, gone);
                                    }
                                }
                            }
                        }
                        gate.mark();
                    }
                    Event::Resize(..) => gate.mark(),
                    _ => {}
                }
            }
            r = feeds.snapshots.changed(), if open[0] => match r {
                Ok(()) => {
                    snapshot = feeds.snapshots.borrow_and_update().clone();
                    app.observe_snapshot(&snapshot);
                    gate.mark();
                }
                Err(_) => open[0] = false,
            },
            r = feeds.target.changed(), if open[1] => match r {
                Ok(()) => {
                    target = feeds.target.borrow_and_update().clone();
                    app.observe_target(&target, snapshot.elapsed_s);
                    gate.mark();
                }
                Err(_) => open[1] = false,
            },
            r = feeds.chaos.changed(), if open[2] => match r {
                Ok(()) => {
                    chaos = feeds.chaos.borrow_and_update().clone();
                    app.observe_chaos(&chaos);
                    gate.mark();
                }
                Err(_) => open[2] = false,
            },
                        r = feeds.events.changed(), if open[3] => match r {
                Ok(()) => {
                    events = feeds.events.borrow_and_update().clone();
                    // An action waiting for its answer ("injecting …") gets it from the log.
                    if app.status.as_ref().is_some_and(|s| s.text.ends_with('…')) {
                        if let Some(e) = events.last() {
                            app.set_status(StatusLevel::Info, e.text.clone());
                        }
                    }
                    gate.mark();
                }

                Err(_) => open[3] = false,
            },
            r = feeds.engine_done.changed(), if open[4] => {
                // A dropped sender means the engine side is over too.
                let done = r.is_err() || *feeds.engine_done.borrow_and_update();
                if r.is_err() {
                    open[4] = false;
                }
                if done {
                    // A stop that was asked for is over once the drain is: nothing to wait for.
                    if *feeds.stop_requests.borrow() > 0 {
                        return Ok(CockpitExit::Quit);
                    }
                    app.mark_finished();
                    gate.mark();
                }
            },
            r = feeds.stop_requests.changed(), if open[5] => match r {
                Ok(()) => {
                    if *feeds.stop_requests.borrow_and_update() > 0 {
                        // On the final frame a signal closes the cockpit, as `q` would.
                        if app.finished {
                            return Ok(CockpitExit::EngineFinished);
                        }
                        app.set_status(StatusLevel::Warn, STOPPING_TEXT);
                        gate.mark();
                    }
                }
                Err(_) => open[5] = false,
            },
            r = feeds.hangup.changed(), if open[6] => match r {
                Ok(()) => {
                    if *feeds.hangup.borrow_and_update() {
                        return Ok(CockpitExit::Detached);
                    }
                }
                Err(_) => open[6] = false,
            },
            r = feeds.dashboard.changed(), if open[8] => match r {
                Ok(()) => {
                    dashboard = feeds.dashboard.borrow_and_update().clone();
                    if let Some(d) = &dashboard {
                        app.observe_dashboard(d);
                    }
                    gate.mark();
                }
                Err(_) => open[8] = false,
            },
            r = feeds.report.changed(), if open[7] => match r {
                Ok(()) => {
                    if let Some(dir) = feeds.report.borrow_and_update().clone() {
                        app.set_status(StatusLevel::Ok, format!("run finished, report written to {dir} — q to quit"));
                        gate.mark();
                    }
                }
                Err(_) => open[7] = false,
            },
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// Draws the current frame and saves it; the status line says where, or why not.
fn take_screenshot(guard: &mut TerminalGuard, app: &mut App, data: &ViewData, dir: &Path) -> std::io::Result<()> {
    let frame = guard.terminal().draw(|f| view::render(f, app, data))?;
    let (fg, bg) = app.theme().svg_colors();
    match screenshot::save(frame.buffer, dir, fg, bg) {
        Ok((svg, txt)) => {
            app.set_status(StatusLevel::Ok, format!("screenshot saved: {} and {}", svg.display(), txt.display()))
        }
        Err(e) => app.set_status(StatusLevel::Bad, format!("screenshot failed: {e}")),
    }
    Ok(())
}

fn view_data<'a>(
    snapshot: &'a Snapshot,
    target: &'a TargetView,
    chaos: &'a ChaosView,
    events: &'a [LogEvent],
    dashboard: Option<&'a crate::dashboard::DashboardView>,
    feeds: &'a Feeds,
) -> ViewData<'a> {
    ViewData {
        snapshot,
        target,
        chaos,
        events,
        dashboard,
        scenario: &feeds.scenario,
        target_url: &feeds.target_url,
        baseline: feeds.baseline.as_deref(),
    }
}

/// Leaving: during a run the session must stop it (and write the report), so it gets `Quit`;
/// after the engine finished there is nothing left to ask.
/// `q`: closes the final frame of a finished run; during the run, asks the session to stop
/// (the first time with a drain, then at once) and keeps the cockpit up until it has.
fn quit(app: &mut App, feeds: &Feeds) -> Option<CockpitExit> {
    if app.finished {
        return Some(CockpitExit::EngineFinished);
    }
    if feeds.attached {
        return Some(CockpitExit::Detached);
    }
    let _ = feeds.effects.send(Effect::Quit);
    app.set_status(StatusLevel::Warn, STOPPING_TEXT);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redraws_are_merged_and_paced() {
        let t0 = Instant::now();
        let mut gate = RedrawGate::new();
        assert!(gate.should_draw(t0), "the first frame is drawn at once");
        gate.drawn(t0);
        assert_eq!(gate.due_at(), None, "nothing changed: no redraw, no wake-up");
        assert!(!gate.should_draw(t0 + Duration::from_secs(5)));
        gate.mark();
        gate.mark();
        assert!(!gate.should_draw(t0 + Duration::from_millis(50)), "at most ~10 Hz");
        assert_eq!(gate.due_at(), Some(t0 + MIN_FRAME));
        assert!(gate.should_draw(t0 + MIN_FRAME));
        gate.drawn(t0 + MIN_FRAME);
        assert!(!gate.should_draw(t0 + Duration::from_secs(1)), "two marks, one frame");
    }

    fn feeds(done: bool) -> (Feeds, mpsc::UnboundedReceiver<Effect>) {
        let (_s, snapshots) = watch::channel(Arc::new(Snapshot::empty(&[], &[])));
        let (_t, target) = watch::channel(TargetView::default());
        let (_c, chaos) = watch::channel(ChaosView::default());
        let (_e, events) = watch::channel(Vec::new());
        let (_d, engine_done) = watch::channel(done);
        let (_q, stop_requests) = watch::channel(0);
        let (_h, hangup) = watch::channel(false);
        let (_r, report) = watch::channel(None);
        let (effects, rx) = mpsc::unbounded_channel();
        let feeds = Feeds {
            snapshots,
            target,
            chaos,
            events,
            effects,
            scenario: "s".into(),
            target_url: "u".into(),
            theme: None,
            screenshot_dir: std::env::temp_dir(),
            engine_done,
            stop_requests,
            hangup,
            report,
            baseline: None,
            dashboard: watch::channel(None).1,
            attached: false,
        };
        (feeds, rx)
    }

    #[test]
    fn quitting_tells_the_session_only_while_the_run_goes() {
        let (f, mut rx) = feeds(false);
        let mut app = App::new(ThemeSet::default());
        assert_eq!(quit(&mut app, &f), None, "the cockpit stays up while the stop drains");
        assert_eq!(rx.try_recv(), Ok(Effect::Quit));
        assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some(STOPPING_TEXT));
        assert_eq!(quit(&mut app, &f), None, "q again: the session abandons the drain");
        assert_eq!(rx.try_recv(), Ok(Effect::Quit));
        app.mark_finished();
        assert_eq!(quit(&mut app, &f), Some(CockpitExit::EngineFinished));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn an_attached_cockpit_detaches_and_never_stops_the_run() {
        let (mut f, mut rx) = feeds(false);
        f.attached = true;
        let mut app = App::new(ThemeSet::default());
        assert_eq!(quit(&mut app, &f), Some(CockpitExit::Detached));
        assert!(rx.try_recv().is_err(), "no stop was sent");
    }
}
