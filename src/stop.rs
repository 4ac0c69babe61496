//! The one stop path of a run, whatever asks for it — `q`, Ctrl-C, SIGTERM, a panic in the
//! cockpit: the first request stops arrivals and drains the requests in flight (bounded by
//! the request timeout), the second abandons them. The plan's own end needs no request.
//! Also the process signals a run listens to: SIGINT/SIGTERM stop, SIGHUP detaches from the
//! terminal (the run goes on to its planned end), SIGUSR1 exports a report so far.

use crate::engine::EngineCommand;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

#[derive(Clone)]
pub struct Stopper {
    commands: crate::engine::Commands,
    requests: Arc<AtomicU32>,
    /// How many stops were asked for, for views that say "stopping…".
    seen: Arc<watch::Sender<u32>>,
}

impl Stopper {
    pub fn new(commands: crate::engine::Commands) -> Self {
        Self { commands, requests: Arc::default(), seen: Arc::new(watch::channel(0).0) }
    }

    /// Asks the run to stop: the first time, with a drain; any later time, at once.
    pub fn request(&self) {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let cmd = if n == 1 { EngineCommand::Stop } else { EngineCommand::Abandon };
        let _ = self.commands.send(cmd);
        self.seen.send_replace(n);
    }

    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn watch(&self) -> watch::Receiver<u32> {
        self.seen.subscribe()
    }
}

/// What a signal asks of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// SIGINT or SIGTERM: stop (the second time, abandon the drain).
    Stop,
    /// The terminal is gone (SIGHUP): go on without it.
    HangUp,
    /// SIGUSR1: write a report of the run so far.
    Export,
}

/// Installs the handlers for SIGINT, SIGTERM, SIGHUP and SIGUSR1 *now* (so none of them can
/// kill the process from here on, not even during setup) and forwards each as a `Notice`
/// until the returned task is aborted.
pub fn listen(notices: mpsc::UnboundedSender<Notice>) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let kinds = [
            (SignalKind::interrupt(), Notice::Stop),
            (SignalKind::terminate(), Notice::Stop),
            (SignalKind::hangup(), Notice::HangUp),
            (SignalKind::user_defined1(), Notice::Export),
        ];
        let tasks: Vec<_> = kinds
            .into_iter()
            .filter_map(|(kind, notice)| Some((signal(kind).ok()?, notice)))
            .map(|(mut sig, notice)| {
                let tx = notices.clone();
                tokio::spawn(async move {
                    while sig.recv().await.is_some() {
                        if tx.send(notice).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        tokio::spawn(async move {
            // Aborting this task drops the guard, which aborts the listeners.
            let _guard = AbortOnDrop(tasks);
            std::future::pending::<()>().await
        })
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if notices.send(Notice::Stop).is_err() {
                return;
            }
        }
    })
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Writes a line to stderr, whatever state the terminal is in: `eprintln!` panics when the
/// terminal behind stderr is gone, and a dropped ssh session must not crash a run.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes to stdout, ignoring a terminal that is gone (see `say`).
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Sends stdout and stderr to `log` from now on: the terminal is gone, and a write to it
/// would fail (and `print!` would panic), but the run and its report must go on.
pub fn detach_output(log: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        for fd in [1, 2] {
            // SAFETY: dup2 on two valid descriptors; the file stays open as fds 1 and 2.
            if unsafe { libc::dup2(file.as_raw_fd(), fd) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = log;
    Ok(())
}

/// After SIGHUP: everything printed from now on goes to `<run dir>/console.log`.
pub fn hang_up(dir: &std::path::Path) {
    let log = dir.join("console.log");
    match detach_output(&log) {
        Ok(()) => say("the terminal went away (SIGHUP); the run goes on to its planned end"),
        Err(e) => say(&format!("error: cannot log to {}: {e}", log.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_drains_and_the_second_abandons() {
        let (tx, mut rx) = crate::engine::Commands::channel();
        let stopper = Stopper::new(tx);
        let seen = stopper.watch();
        stopper.request();
        stopper.clone().request();
        stopper.request();
        assert_eq!(rx.try_recv(), Ok(EngineCommand::Stop));
        assert_eq!(rx.try_recv(), Ok(EngineCommand::Abandon));
        assert_eq!(rx.try_recv(), Ok(EngineCommand::Abandon));
        assert_eq!((stopper.requests(), *seen.borrow()), (3, 3));
    }
}
