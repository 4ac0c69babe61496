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

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with a pid this test started and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0, "kill {pid} {sig}");
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
            signal(self.pid, libc::SIGKILL);
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
    signal(cockpit.pid, libc::SIGUSR1);
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
    signal(child.id(), libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the first Ctrl-C drains (the requests take 20 s)");
    let second = Instant::now();
    signal(child.id(), libc::SIGINT);
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

/// A raw loopback server whose `/metrics` is hostile: `size` bytes without a length
/// (chunked), or never-ending when `size` is `None`. Other paths answer "ok".
fn hostile_metrics_server(size: Option<usize>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                // Skip the headers.
                let mut h = String::new();
                while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                    h.clear();
                }
                let mut out = stream;
                if !line.contains(" /metrics ") {
                    let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
                    return;
                }
                let _ =
                    out.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n");
                let chunk = "hostile_series_total{label=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"} 1\n".repeat(1500);
                let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                let mut sent = 0;
                while size.is_none_or(|s| sent < s) {
                    if out.write_all(frame.as_bytes()).is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
                let _ = out.write_all(b"0\r\n\r\n");
            });
        }
    });
    addr
}

/// Peak resident memory (VmHWM) of a process, in MiB, while it lives.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Well above proofdeck's own ~20–40 MiB and far below what an unbounded read of these
/// targets cost (4.3 GB for 50 MB, 1.6 GB in 8 s of an endless stream).
const RSS_BOUND_MIB: f64 = 150.0;

#[test]
fn a_hostile_metrics_endpoint_cannot_take_the_memory() {
    for (name, size) in [("50mb", Some(50 << 20)), ("endless", None)] {
        let target = hostile_metrics_server(size);
        let work = workdir(&format!("metrics-{name}"));
        let out = work.join("run");
        let file = scenario(&work, "/ok", 20, 6);
        let mut child = Command::new(BIN)
            .args(["run", &file, "--no-tui", "--target", &target, "--report-dir", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut peak: f64 = 0.0;
        let status = loop {
            if let Some(p) = peak_rss_mib(child.id()) {
                peak = peak.max(p);
            }
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.code().is_some(), "{name}: proofdeck was killed");
        assert!(peak < RSS_BOUND_MIB, "{name}: peak RSS {peak:.0} MiB");
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(md.contains("over the 4 MiB limit"), "{name}: the refusal is on the timeline:\n{md}");
        assert_eq!(report(&out)["totals"]["arrivals"], 120, "{name}: the load was not disturbed");
        assert!(!out.join("metrics-after.prom").exists(), "{name}: no raw copy of a refused exposition");
    }
}

#[test]
fn secrets_are_masked_by_value_in_every_file() {
    let server = Server::start(Duration::ZERO);
    let work = workdir("secrets");
    let target = server.addr.replace("http://", "http://admin:hunter2pw@");
    let text = format!(
        "name = \"secrets\"\ntarget = \"{target}\"\n[defaults]\nheaders = {{ \"X-Auth\" = \"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl\" }}\n[[phase]]\nname = \"p\"\nduration = \"1s\"\nrate = 10\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/ok?access_token=eyJzZWNyZXQtcXVlcnk\"\nexpect = [200]\n"
    );
    let file = work.join("secrets.toml");
    std::fs::write(&file, text).unwrap();
    let out = work.join("run");
    let run = Command::new(BIN)
        .args(["run", file.to_str().unwrap(), "--no-tui", "--report-dir", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(server.served(), 10, "{}", String::from_utf8_lossy(&run.stderr));
    // The quick run names its flow after the path: its query is masked too.
    let quick_dir = work.join("quick");
    let quick = Command::new(BIN)
        .args([
            "run",
            "--no-tui",
            "--target",
            &target,
            "--path",
            "/ok?api_key=quickquerysecret",
            "--rate",
            "5",
            "--duration",
            "1s",
            "--report-dir",
            quick_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let secrets = ["hunter2pw", "eyJhbGciOiJIUzI1NiJ9", "eyJzZWNyZXQtcXVlcnk", "quickquerysecret"];
    let mut files = 0;
    for dir in [&out, &quick_dir] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for s in secrets {
                assert!(!text.contains(s), "{s} leaked into {}", path.display());
            }
            files += 1;
        }
    }
    assert!(files >= 16, "{files} files checked");
    for output in [&run, &quick] {
        let stdout = String::from_utf8_lossy(&output.stdout);
        for s in secrets {
            assert!(!stdout.contains(s), "{s} leaked into the summary:\n{stdout}");
        }
    }
}

/// A target's exposition full of escape sequences, a duplicate series and buckets that fall:
/// `probe` warns about each and no control byte reaches the terminal.
#[test]
fn a_hostile_exposition_through_probe_reaches_no_terminal() {
    let work = workdir("probe");
    let hostile = "# HELP evil \u{1b}]0;pwned\u{7} retitled\n\
        gateway_requests_total{tool=\"a\u{1b}[31mred\",code=\"200\"} 1\n\
        gateway_requests_total{tool=\"a\u{1b}[31mred\",code=\"200\"} 2\n\
        lat_bucket{le=\"1\"} 5\nlat_bucket{le=\"2\"} 3\nlat_bucket{le=\"+Inf\"} 6\nlat_count 6\n\
        \u{1b}[2J\u{9b}31m broken line \u{7f}\r\n";
    let file = work.join("hostile.prom");
    std::fs::write(&file, hostile).unwrap();
    for format in ["human", "json"] {
        let out = Command::new(BIN)
            .args(["probe", "--metrics-file", file.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let bad: Vec<char> = stdout.chars().filter(|c| c.is_control() && *c != '\n').collect();
        assert!(bad.is_empty(), "{format}: control characters {bad:?} in\n{stdout}");
        if format == "human" {
            assert!(stdout.contains("warning: duplicate series gateway_requests_total"), "{stdout}");
            assert!(stdout.contains("warning: buckets of lat_bucket{} are not cumulative"), "{stdout}");
            assert!(stdout.contains("unreadable"), "{stdout}");
        } else {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["duplicate_series"].as_array().unwrap().len(), 1, "{v}");
            assert_eq!(v["non_cumulative_buckets"].as_array().unwrap().len(), 1, "{v}");
            assert!(v["lines"].as_u64().unwrap() >= 8 && v["unreadable"].as_u64().unwrap() >= 1, "{v}");
        }
    }
    // A fresh target that has served nothing yet is told apart from a wrong profile.
    let fresh = work.join("fresh.prom");
    std::fs::write(&fresh, "# HELP nothing yet\n").unwrap();
    let out = Command::new(BIN).args(["probe", "--metrics-file", fresh.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no series yet — has the target served traffic?"));
}

/// A gateway stand-in with the 4Runr chaos admin routes, whose clears are slow or failing as
/// told, and a tool route `/t` that fails while chaos on `t` is set.
struct ChaosTarget {
    addr: String,
    state: Arc<std::sync::Mutex<Vec<(String, String, f64)>>>,
    /// Calls to `/t` answered.
    calls: Arc<AtomicU64>,
    rt: tokio::runtime::Runtime,
}

#[derive(Clone, Copy)]
enum Clears {
    /// The first clear takes this long (past the admin timeout), later ones answer at once.
    FirstSlow(Duration),
    /// Every clear fails with a 500.
    AlwaysFail,
}

impl ChaosTarget {
    fn start(clears: Clears) -> Self {
        use axum::extract::Path as UrlPath;
        use axum::routing::{delete, get, post};
        type State = Arc<std::sync::Mutex<Vec<(String, String, f64)>>>;
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let state: State = Arc::default();
        let deletes: Arc<AtomicU64> = Arc::default();
        let json = |s: &State| {
            let list: Vec<serde_json::Value> =
                s.lock().unwrap().iter().map(|(t, m, p)| serde_json::json!([t, {"mode": m, "pct": p}])).collect();
            ([("content-type", "application/json")], serde_json::json!({ "activeChaos": list }).to_string())
        };
        let (s1, s2, s3, s4) = (state.clone(), state.clone(), state.clone(), state.clone());
        let calls: Arc<AtomicU64> = Arc::default();
        let counter = calls.clone();
        let app = axum::Router::new()
            .route(
                "/api/admin/chaos/tool",
                post(move |body: String| {
                    let s = s1.clone();
                    async move {
                        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                        let tool = v["tool"].as_str().unwrap().to_string();
                        let mode = v["mode"].as_str().unwrap().to_string();
                        let pct = v["pct"].as_f64().unwrap();
                        s.lock().unwrap().retain(|(t, _, _)| *t != tool);
                        s.lock().unwrap().push((tool, mode, pct));
                        json(&s)
                    }
                }),
            )
            .route(
                "/api/admin/chaos/tool/{tool}",
                delete(move |UrlPath(tool): UrlPath<String>| {
                    let (s, n) = (s2.clone(), deletes.clone());
                    async move {
                        let nth = n.fetch_add(1, Ordering::SeqCst);
                        match clears {
                            Clears::AlwaysFail => {
                                return Err((axum::http::StatusCode::INTERNAL_SERVER_ERROR, "{\"error\":\"boom\"}"));
                            }
                            Clears::FirstSlow(d) if nth == 0 => tokio::time::sleep(d).await,
                            Clears::FirstSlow(_) => {}
                        }
                        s.lock().unwrap().retain(|(t, _, _)| *t != tool);
                        Ok(json(&s))
                    }
                }),
            )
            .route("/api/admin/chaos", get(move || std::future::ready(json(&s3))))
            .route(
                "/t",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let failing = s4.lock().unwrap().iter().any(|(t, _, p)| t == "t" && *p >= 100.0);
                    std::future::ready(if failing {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "chaos")
                    } else {
                        (axum::http::StatusCode::OK, "ok")
                    })
                }),
            );
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state, calls, rt }
    }

    /// Chaos set from outside proofdeck, as with curl.
    fn inject_from_outside(&self, tool: &str, mode: &str, pct: f64) {
        let url = format!("{}/api/admin/chaos/tool", self.addr);
        let body = serde_json::json!({"tool": tool, "mode": mode, "pct": pct}).to_string();
        self.rt.block_on(async move {
            let r = crate::common::http_client(Duration::from_secs(5))
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send();
            assert!(r.await.unwrap().status().is_success());
        });
    }
}

/// `/t` at 20/s for `secs`, with this run's own injection on `t` at 1 s when `inject`.
fn chaos_scenario(dir: &Path, secs: u32, inject: bool) -> String {
    let chaos = if inject { "[[chaos]]\nat = \"1s\"\ntool = \"t\"\nmode = \"500\"\npct = 50\n" } else { "" };
    let text = format!(
        "name = \"chaos-faults\"\n[[phase]]\nname = \"p\"\nduration = \"{secs}s\"\nrate = 20\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/t\"\ntool = \"t\"\nexpect = [200]\n{chaos}"
    );
    let path = dir.join("chaos.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A headless run of `file` against `target` with a 1 s admin timeout, plus `extra` flags.
fn run_against(file: &str, target: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let dir = out.to_str().unwrap();
    let base = ["run", file, "--no-tui", "--target", target, "--admin-timeout", "1s", "--report-dir", dir];
    Command::new(BIN).args(base).args(extra).output().unwrap()
}

#[test]
fn a_slow_admin_api_still_gets_its_clear_retried_and_verified() {
    let target = ChaosTarget::start(Clears::FirstSlow(Duration::from_secs(3)));
    let work = workdir("chaos-slow");
    let out = work.join("run");
    let file = chaos_scenario(&work, 3, true);
    let run = run_against(&file, &target.addr, &out, &[]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(target.state.lock().unwrap().is_empty(), "the target is clear at the end:\n{stdout}");
    let r = report(&out);
    assert_eq!(r["chaos_left"], serde_json::json!([]), "{stdout}");
    let events = r["events"].to_string();
    assert!(events.contains("clear t (at run end) failed, retrying"), "{events}");
    assert!(
        events.contains("chaos admin silent: no answer within 1000 ms"),
        "a timeout is not 'unreachable': {events}"
    );
    assert!(!stdout.contains("CHAOS LEFT"), "{stdout}");
}

#[test]
fn chaos_that_cannot_be_cleared_is_loud_and_fails_the_run() {
    let target = ChaosTarget::start(Clears::AlwaysFail);
    let work = workdir("chaos-stuck");
    let out = work.join("run");
    let file = chaos_scenario(&work, 2, true);
    let run = run_against(&file, &target.addr, &out, &["--p99", "10s", "--success", "0"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "every KPI held, yet chaos was left behind:\n{stdout}");
    assert!(stdout.contains("!! CHAOS LEFT ON THE TARGET: t 500 50%"), "{stdout}");
    let r = report(&out);
    assert_eq!(r["chaos_left"][0]["tool"], "t");
    assert!(r["verdict"]["run"].to_string().contains("chaos left on the target"), "{}", r["verdict"]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("**CHAOS LEFT ON THE TARGET**"), "{md}");
}

#[test]
fn an_outside_injection_is_on_the_timeline_and_judged() {
    let target = ChaosTarget::start(Clears::FirstSlow(Duration::ZERO));
    let work = workdir("chaos-outside");
    let out = work.join("run");
    let file = chaos_scenario(&work, 8, false);
    let mut child = Command::new(BIN)
        .args(["run", &file, "--no-tui", "--target", &target.addr, "--report-dir", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Someone else injects while the run goes, once it is well under way (2 s of load).
    wait_until("40 calls", || target.calls.load(Ordering::SeqCst) >= 40);
    target.inject_from_outside("t", "500", 100.0);
    child.wait().unwrap();
    let r = report(&out);
    let checks = r["chaos"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{}", r["chaos"]);
    assert_eq!(checks[0]["by"], "outside this run");
    assert_eq!(checks[0]["tool"], "t");
    assert_eq!(checks[0]["verdict"], "observed", "{}", checks[0]);
    assert!(checks[0]["id"].as_u64().unwrap() >= 1);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| outside this run | effect observed |"), "{md}");
}
