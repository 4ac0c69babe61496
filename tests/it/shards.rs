//! Sharded runs for real: a coordinator and three shard processes on loopback against a
//! server that counts what it received; the offline merge of the shards' directories; a
//! shard killed mid-run; the Kubernetes manifests' usage errors.

use proofdeck::report::{decode_histogram, read, RunReport};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_proofdeck");

/// Every process is bounded: a run that hangs is killed and fails the test.
const PATIENCE: Duration = Duration::from_secs(180);

/// A server on its own runtime (the test's waits block) counting the requests to /work.
fn counting_server() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let counted = count.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            // Only the load's path counts: every process also scrapes /metrics.
            let app = axum::Router::new().route(
                "/work",
                axum::routing::get(move || {
                    let counted = counted.clone();
                    async move {
                        counted.fetch_add(1, Ordering::Relaxed);
                        "{\"ok\":true}"
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), count)
}

struct Coordinator {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
}

/// The quick run every process shares: the plan must be the same everywhere.
fn plan(rate: u32, seconds: u32) -> Vec<String> {
    ["--rate", &rate.to_string(), "--duration", &format!("{seconds}s"), "--path", "/work", "--no-tui"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A coordinator for `shards` shards; without a target it serves the bundled gateway itself.
fn coordinate(target: Option<&str>, shards: usize, plan: &[String], dir: &Path) -> Coordinator {
    let target: Vec<&str> = target.map(|t| vec!["--target", t]).unwrap_or_default();
    let mut child = Command::new(BIN)
        .args(["coordinate", "--shards", &shards.to_string(), "--listen", "127.0.0.1:0", "--join-timeout", "60s"])
        .args(target)
        .arg("--report-dir")
        .arg(dir)
        .args(plan)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, stderr) = mpsc::channel();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = stderr.recv_timeout(PATIENCE).expect("the coordinator says where it listens");
        if let Some(rest) = line.strip_prefix("coordinator listening on ") {
            break rest.split(':').take(2).collect::<Vec<_>>().join(":");
        }
    };
    Coordinator { child, addr, stderr }
}

fn shard(index: usize, count: usize, addr: &str, plan: &[String], dir: &Path) -> Child {
    Command::new(BIN)
        .args(["run", "--shard", &format!("{index}/{count}"), "--coordinator", addr, "--report-dir"])
        .arg(dir)
        .args(plan)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait(child: &mut Child, what: &str) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not end within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tool_histogram(r: &RunReport) -> hdrhistogram::Histogram<u64> {
    decode_histogram(&r.histograms[0].latency_us).unwrap()
}

fn kpi_values(r: &RunReport) -> Vec<(String, Option<f64>)> {
    r.kpis.iter().map(|k| (k.id.clone(), k.value)).collect()
}

#[test]
fn three_shards_send_exactly_the_schedule_and_merge_exactly() {
    let (target, served) = counting_server();
    let root = tempdir("three");
    // 300/s for 4 s: 1,200 arrivals in the one-machine schedule, 400 per stripe.
    let plan = plan(300, 4);
    let mut coordinator = coordinate(Some(&target), 3, &plan, &root.join("coordinator"));
    let mut shards: Vec<Child> =
        (0..3).map(|i| shard(i, 3, &coordinator.addr, &plan, &root.join(format!("shard-{i}")))).collect();
    for (i, s) in shards.iter_mut().enumerate() {
        assert_eq!(wait(s, &format!("shard {i}")), 0, "shard {i} passes");
    }
    assert_eq!(wait(&mut coordinator.child, "the coordinator"), 0);
    assert_eq!(served.load(Ordering::Relaxed), 1200, "the server counted the one-machine schedule exactly");

    let merged_live = read(&root.join("coordinator")).unwrap();
    assert!(!merged_live.partial);
    assert_eq!((merged_live.totals.arrivals, merged_live.totals.requests), (1200, 1200));
    let d = merged_live.distribution.as_ref().expect("the report describes the shards");
    assert_eq!(d.lanes.len(), 3);
    let skew = d.start_skew_ms.expect("the start skew is measured");
    assert!((0.0..1000.0).contains(&skew), "skew {skew} ms");
    assert!(std::fs::read_to_string(root.join("coordinator/report.md")).unwrap().contains("start skew"));

    // The live merge is the histogram of every sample: the shards' own histograms, added.
    let runs: Vec<(PathBuf, RunReport)> =
        (0..3).map(|i| root.join(format!("shard-{i}"))).map(|dir| (dir.clone(), read(&dir).unwrap())).collect();
    let mut all = proofdeck::metrics::new_histogram();
    for (_, r) in &runs {
        assert_eq!(r.totals.arrivals, 400, "each stripe is a third of the schedule");
        all.add(tool_histogram(r)).unwrap();
    }
    let live = tool_histogram(&merged_live);
    assert_eq!(live, all, "the coordinator's histogram equals that of all samples");
    for q in [0.5, 0.95, 0.99] {
        assert_eq!(live.value_at_quantile(q), all.value_at_quantile(q));
    }

    // `proofdeck merge` of the shard directories judges the same KPIs the same.
    let out = root.join("merged");
    let status = Command::new(BIN)
        .arg("merge")
        .args(runs.iter().map(|(d, _)| d.clone()))
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let merged = read(&out).unwrap();
    assert_eq!(kpi_values(&merged), kpi_values(&merged_live));
    assert_eq!(tool_histogram(&merged), all);
    assert_eq!(merged.totals.requests, 1200);
}

#[test]
fn a_shard_killed_mid_run_makes_a_partial_report_that_names_it() {
    let (target, _served) = counting_server();
    let root = tempdir("killed");
    let plan = plan(60, 8);
    let mut coordinator = coordinate(Some(&target), 3, &plan, &root.join("coordinator"));
    let mut shards: Vec<Child> =
        (0..3).map(|i| shard(i, 3, &coordinator.addr, &plan, &root.join(format!("shard-{i}")))).collect();
    // Once the coordinator reports completed requests, kill shard 2.
    wait_for_completions(&coordinator);
    shards[2].kill().unwrap();
    let _ = shards[2].wait();
    for (i, s) in shards.iter_mut().take(2).enumerate() {
        wait(s, &format!("shard {i}"));
    }
    let code = wait(&mut coordinator.child, "the coordinator");
    assert_ne!(code, 0, "a run that lost a shard does not pass");
    let r = read(&root.join("coordinator")).unwrap();
    assert!(r.partial, "the report is partial");
    let why = r.abort.clone().unwrap();
    assert!(why.contains("shard 2"), "the lost shard is named: {why}");
    assert!(why.contains("% of the schedule"), "the share measured is said: {why}");
    let d = r.distribution.unwrap();
    assert_eq!(d.lanes[2].state, proofdeck::metrics::LaneState::Lost);
    assert!(d.coverage < 1.0 && d.coverage > 0.3, "coverage {}", d.coverage);
    assert!(!r.verdict.passed);
}

#[test]
fn a_missing_shard_is_named_when_the_join_times_out() {
    let root = tempdir("missing");
    let (target, _) = counting_server();
    let out = Command::new("timeout")
        .arg("60")
        .arg(BIN)
        .args(["coordinate", "--shards", "2", "--listen", "127.0.0.1:0", "--join-timeout", "1s", "--target", &target])
        .arg("--report-dir")
        .arg(root.join("c"))
        .args(plan(10, 2))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "aborted");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("shard(s) 0, 1 of 2 did not join"), "{stdout}");
}

#[test]
fn deploy_k8s_refuses_bad_input_and_writes_three_manifests() {
    let root = tempdir("k8s");
    let deploy = |extra: &[&str]| {
        Command::new(BIN).args(["deploy", "k8s"]).args(extra).arg("-o").arg(root.join("out")).output().unwrap()
    };
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/proof.toml");
    let target = ["--target", "http://gateway:3000"];
    let ok = deploy(&[&[scenario, "--shards", "3", "--image", "proofdeck:test"][..], &target[..]].concat());
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let shards = std::fs::read_to_string(root.join("out/20-shards.yaml")).unwrap();
    assert!(shards.contains("completionMode: Indexed"), "{shards}");
    let zero = deploy(&[&[scenario, "--shards", "0", "--image", "x"][..], &target[..]].concat());
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--shards 0"));
    let no_image = deploy(&[&[scenario, "--shards", "2"][..], &target[..]].concat());
    assert_eq!(no_image.status.code(), Some(2), "a missing image is a usage error");
    let unreadable =
        deploy(&[&["/nonexistent/scenario.toml", "--shards", "2", "--image", "x"][..], &target[..]].concat());
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unreadable.stderr).contains("/nonexistent/scenario.toml"));
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proofdeck-shards-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_viewer_sees_the_run_and_controls_it_and_leaving_changes_nothing() {
    use proofdeck::actions::Action;
    use proofdeck::distributed::control::{FromViewer, ToViewer};
    use proofdeck::distributed::wire;
    use proofdeck::engine::EngineCommand;
    use proofdeck::metrics::RunStatus;

    let (target, _served) = tokio::task::spawn_blocking(counting_server).await.unwrap();
    let root = tempdir("attach");
    let mut run = Command::new(BIN)
        .args(["run", "--target", &target, "--control", "127.0.0.1:0", "--report-dir"])
        .arg(root.join("run"))
        .args(plan(40, 6))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = run.stderr.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        let line = BufReader::new(stderr).lines().map_while(Result::ok).find(|l| l.starts_with("control port on "));
        line.expect("the run says where its control port is")["control port on ".len()..]
            .split(':')
            .take(2)
            .collect::<Vec<_>>()
            .join(":")
    })
    .await
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let hello: ToViewer = wire::recv(&mut stream).await.unwrap().unwrap();
    assert!(matches!(hello, ToViewer::Hello { ref scenario, .. } if scenario == "quick"), "{hello:?}");
    let status_until = async |stream: &mut tokio::net::TcpStream, want: RunStatus| {
        let wait = async {
            loop {
                let Some(ToViewer::Update(u)) = wire::recv(stream).await.unwrap() else { panic!("the run went away") };
                if u.snapshot.is_some_and(|s| s.status == want) {
                    return;
                }
            }
        };
        tokio::time::timeout(PATIENCE, wait).await.expect("the status arrives");
    };
    status_until(&mut stream, RunStatus::Running).await;
    let act = |command| FromViewer::Act { action: Action::Engine { command } };
    wire::send(&mut stream, &act(EngineCommand::Pause)).await.unwrap();
    status_until(&mut stream, RunStatus::Paused).await;
    wire::send(&mut stream, &act(EngineCommand::Resume)).await.unwrap();
    status_until(&mut stream, RunStatus::Running).await;
    drop(stream);
    let code = tokio::task::spawn_blocking(move || wait(&mut run, "the run")).await.unwrap();
    assert_eq!(code, 0, "detaching left the run to finish and pass");
    let r = read(&root.join("run")).unwrap();
    assert!(!r.partial);
    let controls: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.text.contains("Pause") || e.text.contains("Resume"))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(controls, ["Pause", "Resume"]);
}

#[test]
fn weighted_shards_split_the_schedule_in_proportion_and_add_up_exactly() {
    let (target, served) = counting_server();
    let root = tempdir("weighted");
    // 200/s for 2 s: 400 arrivals, 3:1 over two shards.
    let mut plan = plan(200, 2);
    plan.extend(["--shard-weights".to_string(), "3,1".to_string()]);
    let mut coordinator = coordinate(Some(&target), 2, &plan, &root.join("coordinator"));
    let mut shards: Vec<Child> =
        (0..2).map(|i| shard(i, 2, &coordinator.addr, &plan, &root.join(format!("shard-{i}")))).collect();
    for (i, s) in shards.iter_mut().enumerate() {
        assert_eq!(wait(s, &format!("shard {i}")), 0);
    }
    assert_eq!(wait(&mut coordinator.child, "the coordinator"), 0);
    assert_eq!(served.load(Ordering::Relaxed), 400);
    let arrivals: Vec<u64> = (0..2).map(|i| read(&root.join(format!("shard-{i}"))).unwrap().totals.arrivals).collect();
    assert_eq!(arrivals, [300, 100]);
}

/// Waits until the coordinator's progress says requests completed.
fn wait_for_completions(coordinator: &Coordinator) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let line = coordinator.stderr.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap();
        let done = line.split(" sched, ").nth(1).and_then(|r| r.split('/').next()).and_then(|n| n.parse::<u64>().ok());
        if done.is_some_and(|n| n > 0) {
            return;
        }
    }
}

#[test]
fn a_shard_stopped_on_its_own_is_lost_not_done() {
    let (target, _served) = counting_server();
    let root = tempdir("sigterm");
    let plan = plan(60, 8);
    let mut coordinator = coordinate(Some(&target), 2, &plan, &root.join("coordinator"));
    let mut shards: Vec<Child> =
        (0..2).map(|i| shard(i, 2, &coordinator.addr, &plan, &root.join(format!("shard-{i}")))).collect();
    wait_for_completions(&coordinator);
    // SIGTERM, as an eviction sends: the shard drains, writes its report, says it ended.
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(shards[1].id() as i32, libc::SIGTERM) };
    for (i, s) in shards.iter_mut().enumerate() {
        wait(s, &format!("shard {i}"));
    }
    assert_ne!(wait(&mut coordinator.child, "the coordinator"), 0);
    let r = read(&root.join("coordinator")).unwrap();
    assert!(r.partial, "half the schedule was not sent: the report is partial");
    let why = r.abort.unwrap();
    assert!(why.contains("shard 1") && why.contains("Interrupted"), "{why}");
    assert!(read(&root.join("shard-1")).unwrap().partial, "the shard's own report says so too");
}

#[test]
fn shards_with_a_setup_start_together_once_every_setup_is_done() {
    let root = tempdir("setup");
    // The proof campaign creates agents and tokens first; the coordinator serves the bundled
    // gateway itself and gives the shards its address.
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/proof.toml");
    let plan: Vec<String> = [scenario, "--duration", "3s", "--no-tui"].iter().map(|s| s.to_string()).collect();
    let mut coordinator = coordinate(None, 2, &plan, &root.join("coordinator"));
    let mut shards: Vec<Child> =
        (0..2).map(|i| shard(i, 2, &coordinator.addr, &plan, &root.join(format!("shard-{i}")))).collect();
    for (i, s) in shards.iter_mut().enumerate() {
        wait(s, &format!("shard {i}"));
    }
    let code = wait(&mut coordinator.child, "the coordinator");
    let r = read(&root.join("coordinator")).unwrap();
    assert!(!r.partial, "exit {code}: {:?}", r.abort);
    let d = r.distribution.unwrap();
    for lane in &d.lanes {
        assert_eq!(lane.state, proofdeck::metrics::LaneState::Done);
        let error = lane.start_error_ms.expect("each shard's start is measured");
        // Generous for a busy CI machine, far below a setup's seconds.
        assert!(error.abs() < 500.0, "shard {} started {error} ms off the plan", lane.index);
    }
    assert!(r.totals.requests > 0);
}
