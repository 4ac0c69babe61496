//! In the field: nothing lost, nothing left behind. Real proofdeck processes, a real
//! pseudo-terminal (`script`) for the cockpit, and loopback servers that misbehave. Every
//! wait is on an event (a file appearing, a request counted, a process gone) with a timeout.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_proofdeck");

/// Generous: CI is a busy 2-core machine; a wait only fails when something is really wrong.
const PATIENCE: Duration = Duration::from_secs(60);

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proofdeck-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `PATIENCE`.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: u32) -> bool {
    // A zombie still has /proc/<pid>; its state says it is gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn signal(pid: u32, sig: &str) {
    assert!(Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().unwrap().success());
}

/// A loopback server counting what it serves: `/ok` answers at once, `/slow` after `slow`.
struct Server {
    addr: String,
    served: Arc<AtomicU64>,
    started: Arc<AtomicU64>,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(slow: Duration) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let served: Arc<AtomicU64> = Arc::default();
        let started: Arc<AtomicU64> = Arc::default();
        let (s1, s2, st) = (served.clone(), served.clone(), started.clone());
        let app = axum::Router::new()
            .route(
                "/ok",
                axum::routing::get(move || {
                    s1.fetch_add(1, Ordering::SeqCst);
                    async { "ok" }
                }),
            )
            .route(
                "/slow",
                axum::routing::get(move || {
                    let (served, started) = (s2.clone(), st.clone());
                    async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(slow).await;
                        served.fetch_add(1, Ordering::SeqCst);
                        "slow"
                    }
                }),
            );
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, served, started, _rt: rt }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

/// One flow of one request to `path`, `rate`/s for `secs` seconds.
fn scenario(dir: &Path, path: &str, rate: u32, secs: u32) -> String {
    let text = format!(
        "name = \"faults\"\n[defaults]\ntimeout = \"10s\"\n[[phase]]\nname = \"p\"\nduration = \"{secs}s\"\nrate = {rate}\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"{path}\"\ntool = \"t\"\nexpect = [200]\n"
    );
    let path = dir.join("faults.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The cockpit on a real pseudo-terminal of 100×30, as over ssh.
struct Cockpit {
    script: Child,
    /// proofdeck itself (the child of `script`).
    pid: u32,
}

impl Cockpit {
    fn start(args: &[&str]) -> Self {
        let cmd = format!("stty rows 30 cols 100; exec {BIN} {}", args.join(" "));
        let script = Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .env("TERM", "xterm-256color")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("script(1) from util-linux runs");
        let children = format!("/proc/{0}/task/{0}/children", script.id());
        let mut pid = 0;
        wait_until("proofdeck to start under script", || {
            let kids = std::fs::read_to_string(&children).unwrap_or_default();
            pid = kids.split_whitespace().next().and_then(|p| p.parse().ok()).unwrap_or(0);
            pid != 0 && std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(BIN))
        });
        Self { script, pid }
    }

    fn keys(&mut self, keys: &str) {
        use std::io::Write;
        let stdin = self.script.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The terminal goes away as when ssh drops: the pty's master side closes, and the
    /// kernel sends SIGHUP to proofdeck.
    fn drop_terminal(&mut self) {
        let _ = self.script.kill();
        let _ = self.script.wait();
    }

    fn wait_gone(&self) {
        wait_until("proofdeck to exit", || !alive(self.pid));
    }
}

impl Drop for Cockpit {
    fn drop(&mut self) {
        if alive(self.pid) {
            signal(self.pid, "KILL");
        }
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn a_dropped_terminal_mid_run_costs_nothing() {
    let server = Server::start(Duration::ZERO);
    let work = workdir("hup-mid");
    let file = scenario(&work, "/ok", 20, 4);
    let out = work.join("run");
    let mut cockpit = Cockpit::start(&[&file, "--target", &server.addr, "--report-dir", out.to_str().unwrap()]);
    wait_until("the load to start", || server.served() >= 5);
    cockpit.drop_terminal();
    cockpit.wait_gone();
    let r = report(&out);
    assert_eq!(r["partial"], false, "the run went on to its planned end");
    assert_eq!(r["totals"]["arrivals"], 80, "every planned arrival");
    assert_eq!(server.served(), 80, "server-counted: every planned request was sent");
    let log = std::fs::read_to_string(out.join("console.log")).unwrap();
    assert!(log.contains("the terminal went away"), "{log}");
    assert!(log.contains("verdict:"), "the summary is in the log:\n{log}");
}

#[test]
fn the_report_is_written_when_the_run_finishes_not_when_the_user_quits() {
    let server = Server::start(Duration::ZERO);
    let work = workdir("hup-after");
    let file = scenario(&work, "/ok", 20, 1);
    let out = work.join("run");
    let mut cockpit = Cockpit::start(&[&file, "--target", &server.addr, "--report-dir", out.to_str().unwrap()]);
    // Nobody presses q: the finished run's report appears while the cockpit is still up.
    wait_until("report.json", || out.join("report.json").is_file());
    assert!(alive(cockpit.pid), "the cockpit still shows the final frame");
    cockpit.drop_terminal();
    cockpit.wait_gone();
    assert_eq!(report(&out)["totals"]["arrivals"], 20);
}

#[test]
fn sigusr1_exports_from_the_cockpit_and_q_counts_the_requests_in_flight() {
    let server = Server::start(Duration::from_secs(3));
    let work = workdir("usr1-q");
    let file = scenario(&work, "/slow", 10, 30);
    let out = work.join("run");
    let mut cockpit = Cockpit::start(&[&file, "--target", &server.addr, "--report-dir", out.to_str().unwrap()]);
    wait_until("requests in flight", || server.started.load(Ordering::SeqCst) >= 10);
    signal(cockpit.pid, "USR1");
    wait_until("a mid-run export", || {
        std::fs::read_dir(&out).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("midrun-"))
    });
    assert!(alive(cockpit.pid), "SIGUSR1 exports; it does not kill the cockpit");
    cockpit.keys("q");
    cockpit.wait_gone();
    let r = report(&out);
    let started = r["totals"]["started"].as_u64().unwrap();
    assert!(started >= 10, "{started}");
    assert_eq!(r["totals"]["requests"].as_u64().unwrap(), started, "q drains: every started request is counted");
    assert_eq!(server.served(), started, "and each one was answered by the server");
    assert_eq!(r["partial"], true);
}

#[test]
fn a_second_ctrl_c_abandons_a_closed_loop_drain_at_once() {
    let server = Server::start(Duration::from_secs(20));
    let work = workdir("closed-loop");
    let out = work.join("run");
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--no-tui",
            "--target",
            &server.addr,
            "--path",
            "/slow",
            "--connections",
            "4",
            "--duration",
            "60s",
            "--report-dir",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("four requests in flight", || server.started.load(Ordering::SeqCst) >= 4);
    signal(child.id(), "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the first Ctrl-C drains (the requests take 20 s)");
    let second = Instant::now();
    signal(child.id(), "INT");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(second.elapsed() < Duration::from_secs(15), "the second Ctrl-C did not abandon the drain");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert!(out.join("report.json").is_file(), "the report is still written");
}

#[test]
fn an_unwritable_report_dir_fails_before_any_request() {
    let server = Server::start(Duration::ZERO);
    let work = workdir("unwritable");
    let a_file = work.join("a-file");
    std::fs::write(&a_file, "x").unwrap();
    for dir in ["/proc/proofdeck-cannot-write-here".to_string(), a_file.join("run").to_string_lossy().into_owned()] {
        let out = Command::new(BIN)
            .args(["run", "--no-tui", "--target", &server.addr, "--path", "/ok", "--rate", "10", "--report-dir", &dir])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{dir}: {stderr}");
        assert!(stderr.contains(&format!("cannot write the report to {dir}")), "{stderr}");
    }
    assert_eq!(server.served(), 0, "no load before the run directory is known good");
}
