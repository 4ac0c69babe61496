//! The engine against real servers on 127.0.0.1:0: counts that reconcile with the target,
//! coordinated-omission-free latency, dropped arrivals, and percentile accuracy.

use crate::common::{fast_config, metric_sum};
use proofdeck::engine::{self, EngineOptions};
use proofdeck::gateway::{self, GatewayConfig};
use proofdeck::metrics::RunStatus;
use proofdeck::scenario::{self, Scenario};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn quick(path: &str, rate: f64, secs: u32, max_inflight: usize) -> Scenario {
    let text = format!(
        "[defaults]\nmax_inflight = {max_inflight}\ntimeout = \"10s\"\n[[phase]]\nname = \"p\"\nduration = \"{secs}s\"\nrate = {rate}\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"{path}\"\ntool = \"t\"\nexpect = [200]\n"
    );
    scenario::parse(Path::new("quick.toml"), &text).unwrap()
}

/// proof.toml with every phase shortened 15×, rates kept.
fn compressed_proof() -> Scenario {
    let mut s = scenario::load_file(Path::new("scenarios/proof.toml")).unwrap();
    for p in &mut s.phases {
        p.duration /= 15;
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proof_run_reconciles_with_the_gateway_and_denies_everything_it_should() {
    let gw = gateway::start_embedded(GatewayConfig { latency_scale: 0.2, ..fast_config() }).await.unwrap();
    let scenario = Arc::new(compressed_proof());
    let admin = proofdeck::side_client::SideClient::new(Duration::from_secs(5), false);
    let before = proofdeck::scrape::fetch::fetch_metrics(&admin, &gw.url()).await;
    let handle = engine::start(scenario, &gw.url(), EngineOptions::default());
    let result = handle.join.await.unwrap();
    let s = &result.snapshot;
    assert_eq!(s.status, RunStatus::Finished, "{:?}", result.abort);
    assert_eq!(s.dropped, 0);
    assert!(s.requests() > 500, "a real amount of load: {}", s.requests());

    let text = proofdeck::scrape::fetch::fetch_metrics(&admin, &gw.url()).await.unwrap();
    let rec = proofdeck::session::reconcile_run(
        s,
        before.as_deref(),
        Some(&text),
        &proofdeck::scrape::profile_file::four_runr(),
    );
    assert_eq!(rec.tools.len(), 4);
    assert_eq!(rec.mismatches().count(), 0, "{:?}", rec.tools);
    for tool in ["serpapi", "http_fetch", "openai", "gmail_send"] {
        let client = s.tool(tool).unwrap().requests as f64;
        let target = metric_sum(&text, "gateway_requests_total", &[("tool", tool)]);
        assert_eq!(client, target, "{tool}: client sent {client}, gateway counted {target}");
    }
    for flow in s.flows.iter().filter(|f| f.name == "denial" || f.name == "security") {
        assert!(flow.iterations > 10, "{} ran {} times", flow.name, flow.iterations);
        assert_eq!(flow.correct_denials, flow.iterations, "{}: every attempt denied", flow.name);
        assert_eq!(flow.breaches, 0);
    }
    let happy_failed: u64 = s.flows.iter().filter(|f| f.kind == scenario::FlowKind::Happy).map(|f| f.failed).sum();
    assert_eq!(happy_failed, 0);
    let planned: u64 = s.series.iter().map(|p| p.scheduled).sum();
    let completed: u64 = s.series.iter().map(|p| p.completed).sum();
    assert_eq!(planned, s.arrivals, "the series accounts for every arrival");
    assert_eq!(completed, s.completed, "and every completion");
}

#[test]
fn latency_counts_a_client_stall_from_the_intended_start_but_service_time_does_not() {
    // The client runs on a current-thread runtime that the test blocks for 600 ms: arrivals
    // due during the stall go out late. Their latency must include the wait; their service
    // time must not. The gateway runs on a runtime of its own so the stall is the client's
    // alone, and the stall is long enough that an OS preemption of tens of milliseconds on a
    // busy machine (which lands on service time too) stays far below the thresholds.
    let gateway_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let gw = gateway_rt.block_on(gateway::start_embedded(fast_config())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let handle = engine::start(Arc::new(quick("/health", 100.0, 3, 1000)), &gw.url(), EngineOptions::default());
        let mut snaps = handle.snapshots.clone();
        crate::common::wait_for(&mut snaps, "20 completions", |s| s.completed >= 20).await;
        std::thread::sleep(Duration::from_millis(600));
        let r = handle.join.await.unwrap();
        let t = r.snapshot.tool("t").unwrap();
        // ~60 of 300 arrivals fell in the stall and waited 0–600 ms before being sent.
        assert!(t.latency.max_ms >= 500.0, "the stall shows in latency: max {} ms", t.latency.max_ms);
        assert!(t.latency.p95_ms >= 200.0, "p95 sees the stalled arrivals: {}", t.latency.p95_ms);
        assert!(t.service.p95_ms < 150.0, "service time excludes the wait: p95 {} ms", t.service.p95_ms);
        let d = r.snapshot.dispatch_lag;
        assert!(d.max_ms >= 500.0, "the stall is the client's dispatch lateness: max {} ms", d.max_ms);
        assert!(d.p50_ms < 50.0, "most requests left on time: p50 {} ms", d.p50_ms);
    });
    drop(gw);
    gateway_rt.shutdown_background();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_target_fills_the_inflight_cap_and_arrivals_are_dropped_not_delayed() {
    let gw = gateway::start_embedded(GatewayConfig { chaos_scale: 0.1, breaker_threshold: 1_000_000, ..fast_config() })
        .await
        .unwrap();
    let c = crate::common::Client { base: gw.url(), http: crate::common::http_client(Duration::from_secs(5)) };
    let token = c.scraper().await;
    c.post("/api/admin/chaos/tool", serde_json::json!({"tool": "serpapi", "mode": "timeout", "pct": 100})).await;
    let text = format!(
        "[defaults]\nmax_inflight = 5\n[[phase]]\nname = \"p\"\nduration = \"2s\"\nrate = 50\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/api/proxy-request\"\ntool = \"serpapi\"\nexpect = [200]\nbody = {{ agent_token = \"{token}\", tool = \"serpapi\", action = \"search\", params = {{ q = \"{{{{ uuid }}}}\" }} }}\n"
    );
    let s = scenario::parse(Path::new("stall.toml"), &text).unwrap();
    let r = engine::start(Arc::new(s), &gw.url(), EngineOptions::default()).join.await.unwrap();
    let snap = &r.snapshot;
    assert_eq!(snap.arrivals, 100, "the schedule ran regardless of the stall");
    assert!(snap.dropped >= 80, "arrivals beyond the cap are counted as dropped: {}", snap.dropped);
    assert_eq!(snap.started + snap.dropped, snap.arrivals);
    let t = snap.tool("serpapi").unwrap();
    assert_eq!(t.requests, snap.started);
    assert!(t.latency.p99_ms >= 900.0, "each started call held ~1 s: p99 {}", t.latency.p99_ms);
    assert_eq!(t.errors.get(proofdeck::metrics::ErrorClass::Upstream), t.requests, "504s are upstream errors");
}

/// A server whose i-th answer waits 2 + 4·frac(i·φ) s: a uniform 2–6 s distribution, wide
/// enough that timer and scheduling overhead (tens of ms on a busy machine) stay below 1 %.
async fn scripted_latency_server() -> std::net::SocketAddr {
    use std::sync::atomic::{AtomicU64, Ordering};
    let counter = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let i = counter.fetch_add(1, Ordering::Relaxed) as f64;
            async move {
                let u = (i * 0.618_033_988_749_895).fract();
                tokio::time::sleep(Duration::from_secs_f64(2.0 + 4.0 * u)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reported_percentiles_match_a_known_distribution_within_one_percent() {
    let addr = scripted_latency_server().await;
    let r = engine::start(Arc::new(quick("/", 100.0, 4, 1000)), &format!("http://{addr}"), EngineOptions::default())
        .join
        .await
        .unwrap();
    let t = r.snapshot.tool("t").unwrap();
    assert_eq!(t.requests, 400);
    assert_eq!(t.ok, 400);
    // Uniform on [2000, 6000] ms: p50 = 4000, p95 = 5800, p99 = 5960.
    for (name, got, want) in
        [("p50", t.latency.p50_ms, 4000.0), ("p95", t.latency.p95_ms, 5800.0), ("p99", t.latency.p99_ms, 5960.0)]
    {
        let err = (got - want).abs() / want;
        assert!(err <= 0.01, "{name}: measured {got:.2} ms, distribution {want} ms ({:.2} % off)", err * 100.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_failure_aborts_with_the_reason_and_a_dead_target_is_not_a_crash() {
    let s = scenario::load_file(Path::new("scenarios/proof.toml")).unwrap();
    // Nothing listens on this port: setup fails with a connect error, the engine reports it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let r = engine::start(Arc::new(s), &dead, EngineOptions::default()).join.await.unwrap();
    match &r.snapshot.status {
        RunStatus::Aborted { reason } => assert!(reason.contains("setup \"policies\""), "{reason}"),
        other => panic!("expected an abort, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_control_pauses_scales_and_stops() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let handle = engine::start(Arc::new(quick("/health", 50.0, 60, 1000)), &gw.url(), EngineOptions::default());
    let mut snaps = handle.snapshots.clone();
    crate::common::wait_for(&mut snaps, "10 completions", |s| s.completed >= 10).await;
    handle.commands.send(engine::EngineCommand::SetMultiplier(2.0)).unwrap();
    handle.commands.send(engine::EngineCommand::Pause).unwrap();
    crate::common::wait_for(&mut snaps, "the pause", |s| s.status == RunStatus::Paused).await;
    {
        let s = snaps.borrow();
        assert_eq!(s.rate_multiplier, 2.0);
        assert_eq!(s.scheduled_rate, 0.0);
    }
    let paused_arrivals = snaps.borrow().arrivals;
    let phase_time = |s: &proofdeck::metrics::Snapshot| s.phase.as_ref().map(|p| p.elapsed_s);
    let paused_phase_time = phase_time(&snaps.borrow());
    // Two more snapshots while paused: no new arrivals, and the phase time stands still.
    crate::common::next_change(&mut snaps).await;
    crate::common::next_change(&mut snaps).await;
    assert_eq!(snaps.borrow().arrivals, paused_arrivals);
    assert_eq!(phase_time(&snaps.borrow()), paused_phase_time);
    handle.commands.send(engine::EngineCommand::Resume).unwrap();
    handle.commands.send(engine::EngineCommand::Stop).unwrap();
    let r = handle.join.await.unwrap();
    assert!(r.stopped_by_command);
    assert_eq!(r.snapshot.status, RunStatus::Interrupted);
}

/// Snapshots an hour apart: a new phase, a pause and the drain are still published as they
/// happen (a quiet headless run publishes once a second, and the chaos plan and each phase's
/// opening scrape go by what the snapshots say).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phase_change_a_pause_and_the_drain_are_published_at_once() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let mut two_phases = quick("/health", 5.0, 60, 100);
    let mut first = two_phases.phases[0].clone();
    first.name = "warm-up".into();
    first.duration = Duration::from_millis(300);
    two_phases.phases.insert(0, first);
    let opts = EngineOptions { snapshot_interval: Duration::from_secs(3600), ..EngineOptions::default() };
    let handle = engine::start(Arc::new(two_phases), &gw.url(), opts);
    let mut snaps = handle.snapshots.clone();
    let phase = |s: &proofdeck::metrics::Snapshot| s.phase.as_ref().map(|p| p.index);
    crate::common::wait_for(&mut snaps, "the first phase", |s| phase(s) == Some(0)).await;
    crate::common::wait_for(&mut snaps, "the second phase", |s| phase(s) == Some(1)).await;
    assert_eq!(snaps.borrow().status, RunStatus::Running);
    handle.commands.send(engine::EngineCommand::Pause).unwrap();
    crate::common::wait_for(&mut snaps, "the pause", |s| s.status == RunStatus::Paused).await;
    handle.commands.send(engine::EngineCommand::Resume).unwrap();
    crate::common::wait_for(&mut snaps, "the resume", |s| s.status == RunStatus::Running).await;
    handle.commands.send(engine::EngineCommand::Stop).unwrap();
    crate::common::wait_for(&mut snaps, "the drain or the end", |s| s.status != RunStatus::Running).await;
    let r = handle.join.await.unwrap();
    assert_eq!(r.snapshot.status, RunStatus::Interrupted);
    assert!(r.snapshot.completed >= 1, "the warm-up's arrivals were answered");
}

/// One arrival every 100 s: the scheduler sleeps through every snapshot, yet each shows the
/// phase time of its own moment.
async fn phase_time_runs_between_sparse_arrivals() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let handle = engine::start(Arc::new(quick("/health", 0.01, 600, 10)), &gw.url(), EngineOptions::default());
    let mut snaps = handle.snapshots.clone();
    let phase_time = |s: &proofdeck::metrics::Snapshot| s.phase.as_ref().map_or(0.0, |p| p.elapsed_s);
    crate::common::wait_for(&mut snaps, "1.5 s of phase time", |s| phase_time(s) >= 1.5).await;
    assert_eq!(snaps.borrow().arrivals, 1, "the first arrival only");
    assert_eq!(snaps.borrow().scheduled_rate, 0.01);
    handle.commands.send(engine::EngineCommand::Stop).unwrap();
    assert!(handle.join.await.unwrap().stopped_by_command);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phase_time_runs_between_sparse_arrivals_with_the_scheduler_thread() {
    phase_time_runs_between_sparse_arrivals().await;
}

#[tokio::test(flavor = "current_thread")]
async fn phase_time_runs_between_sparse_arrivals_with_the_runtime_timer() {
    phase_time_runs_between_sparse_arrivals().await;
}

/// A server that counts the requests it got over each HTTP version, and the connections.
/// Each answer waits `delay`.
async fn version_counting_server(
    delay: Duration,
) -> (String, Arc<[std::sync::atomic::AtomicU64; 2]>, Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>>) {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    let counts: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let ports: Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>> = Arc::default();
    let (seen, peers) = (counts.clone(), ports.clone());
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move |ConnectInfo(peer): ConnectInfo<SocketAddr>, req: axum::extract::Request| {
            let (seen, peers) = (seen.clone(), peers.clone());
            async move {
                seen[usize::from(req.version() == http::Version::HTTP_2)].fetch_add(1, Ordering::Relaxed);
                peers.lock().unwrap().insert(peer.port());
                tokio::time::sleep(delay).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    (format!("http://{addr}"), counts, ports)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_sends_every_request_as_h2_and_counts_them_as_http1_would() {
    use std::sync::atomic::Ordering;
    for http2 in [false, true] {
        let (base, counts, _) = version_counting_server(Duration::ZERO).await;
        let opts = EngineOptions { http2, ..EngineOptions::default() };
        let r = engine::start(Arc::new(quick("/", 100.0, 2, 1000)), &base, opts).join.await.unwrap();
        let t = r.snapshot.tool("t").unwrap();
        assert_eq!((t.requests, t.ok), (200, 200), "http2 = {http2}");
        let (h1, h2) = (counts[0].load(Ordering::Relaxed), counts[1].load(Ordering::Relaxed));
        assert_eq!((h1, h2), if http2 { (0, 200) } else { (200, 0) }, "http2 = {http2}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_connections_follow_the_load_in_streams_per_connection() {
    // 400 arrivals/s answered in 50 ms: about 20 in flight.
    for (streams, fewest, most) in [(None, 1, 1), (Some(5), 3, 40)] {
        let (base, _, ports) = version_counting_server(Duration::from_millis(50)).await;
        let opts = EngineOptions { http2: true, streams, ..EngineOptions::default() };
        let r = engine::start(Arc::new(quick("/", 400.0, 2, 1000)), &base, opts).join.await.unwrap();
        assert_eq!(r.snapshot.tool("t").unwrap().ok, 800);
        let connections = ports.lock().unwrap().len();
        assert!((fewest..=most).contains(&connections), "streams {streams:?}: {connections} connections");
    }
}

/// A raw HTTP/1.1 server answering `ok`; with `close`, every answer says `Connection: close`
/// and the connection ends, as a server at its keep-alive limit does. Counts the requests
/// and the connections it took.
async fn closing_server(close: bool) -> (String, Arc<std::sync::atomic::AtomicU64>, Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (requests, connections) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, opened) = (requests.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            opened.fetch_add(1, Ordering::Relaxed);
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // Requests without bodies: each ends at its blank line.
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        seen.fetch_add(1, Ordering::Relaxed);
                        let answer: &[u8] = if close {
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        } else {
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        };
                        if socket.write_all(answer).await.is_err() || close {
                            return;
                        }
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), requests, connections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_loop_keeps_one_connection_per_worker_and_reconnects_when_the_target_closes() {
    use std::sync::atomic::Ordering;
    for close in [false, true] {
        let (base, requests, connections) = closing_server(close).await;
        let opts = EngineOptions {
            connections: Some(4),
            duration_cap: Some(Duration::from_millis(1500)),
            ..EngineOptions::default()
        };
        let r = engine::start(Arc::new(quick("/", 10.0, 2, 1000)), &base, opts).join.await.unwrap();
        let t = r.snapshot.tool("t").unwrap();
        let served = requests.load(Ordering::Relaxed);
        let opened = connections.load(Ordering::Relaxed);
        assert!(t.requests > 50, "close {close}: only {} requests", t.requests);
        // Every request the server took was answered and counted, none failed.
        assert_eq!((t.ok, t.requests), (served, served), "close {close}: errors {:?}", t.errors);
        if close {
            assert_eq!(opened, served, "one connection per request when the target closes each");
        } else {
            assert_eq!(opened, 4, "one connection per worker, kept");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_model_reuses_idle_connections_and_replaces_the_ones_the_target_closes() {
    use std::sync::atomic::Ordering;
    for close in [false, true] {
        let (base, requests, connections) = closing_server(close).await;
        let r =
            engine::start(Arc::new(quick("/", 100.0, 2, 1000)), &base, EngineOptions::default()).join.await.unwrap();
        let t = r.snapshot.tool("t").unwrap();
        let served = requests.load(Ordering::Relaxed);
        let opened = connections.load(Ordering::Relaxed);
        assert_eq!((t.ok, t.requests, served), (200, 200, 200), "close {close}: errors {:?}", t.errors);
        if close {
            assert_eq!(opened, served, "a connection the target closed is never used again");
        } else {
            // Answers take microseconds and arrivals come 10 ms apart: a few connections at
            // most (a stalled machine may overlap some arrivals), far from one per request.
            assert!(opened <= 20, "{opened} connections for 200 requests");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_on_a_kept_connection_gets_its_own_full_timeout() {
    use std::sync::atomic::{AtomicU64, Ordering};
    // Every third answer comes after 1 s, past the 300 ms timeout; the others at once.
    let counter = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let i = counter.fetch_add(1, Ordering::Relaxed);
            async move {
                if i % 3 == 2 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let text = "[defaults]\ntimeout = \"300ms\"\n[[phase]]\nname = \"p\"\nduration = \"2s\"\nrate = 1\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/\"\ntool = \"t\"\nexpect = [200]\n";
    let s = scenario::parse(Path::new("timeouts.toml"), text).unwrap();
    let opts = EngineOptions { connections: Some(1), ..EngineOptions::default() };
    let r = engine::start(Arc::new(s), &format!("http://{addr}"), opts).join.await.unwrap();
    let t = r.snapshot.tool("t").unwrap();
    let timeouts = t.errors.get(proofdeck::metrics::ErrorClass::Timeout);
    // A deadline not moved for each request would end the later ones at once (thousands of
    // timeouts); one that fired early would cut the slow ones short before their 300 ms.
    assert!((1..=7).contains(&timeouts), "{timeouts} timeouts in 2 s of 300 ms waits");
    assert!(t.ok >= 2 * timeouts, "{} answers, {timeouts} timeouts", t.ok);
    assert_eq!(t.requests, t.ok + timeouts);
    assert!(t.latency.max_ms >= 300.0, "a timed-out request waited its whole timeout: max {} ms", t.latency.max_ms);
}
