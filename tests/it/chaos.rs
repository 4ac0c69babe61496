//! Chaos control end to end: the effect check against the bundled gateway and against a
//! target whose chaos endpoint does nothing, and no chaos left behind after Ctrl-C.

use crate::common::{fast_config, wait_for};
use proofdeck::engine::{self, EngineOptions};
use proofdeck::gateway::{self, GatewayConfig};
use proofdeck::live::EffectVerdict;
use proofdeck::monitor::{Cause, Monitor};
use proofdeck::scenario;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn scenario_text(body: &str, secs: u32) -> scenario::Scenario {
    let text = format!(
        "[defaults]\ntimeout = \"5s\"\neffect_window = \"3s\"\n[[phase]]\nname = \"p\"\nduration = \"{secs}s\"\nrate = 40\n[[flow]]\nname = \"f\"\nweight = 1\n{body}"
    );
    scenario::parse(Path::new("chaos-test.toml"), &text).unwrap()
}

fn fourrunr() -> proofdeck::scrape::profile_file::Profile {
    proofdeck::scrape::profile_file::builtin("4runr").unwrap()
}

async fn wait_verdict(m: &Monitor, tool: &str) -> (EffectVerdict, String) {
    let mut chaos = m.chaos.clone();
    let judged = |c: &&proofdeck::live::EffectCheck| c.tool == tool && c.verdict != EffectVerdict::Pending;
    wait_for(&mut chaos, "effect verdict", |v| v.checks.iter().any(|c| judged(&c))).await;
    let view = chaos.borrow();
    let check = view.checks.iter().find(judged).unwrap();
    (check.verdict.clone(), check.detail.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_500s_show_an_observed_effect_on_that_tool_and_clearing_restores_it() {
    let gw = gateway::start_embedded(GatewayConfig { breaker_threshold: 1_000_000, ..fast_config() }).await.unwrap();
    let c = crate::common::Client { base: gw.url(), http: crate::common::http_client(Duration::from_secs(5)) };
    c.policy("ai", &["openai:chat", "serpapi:search"], &[]).await;
    let token = c.agent_with_token("ai", &["openai", "serpapi"]).await.2;
    let body = format!(
        "[[flow.step]]\npath = \"/api/proxy-request\"\ntool = \"openai\"\nexpect = [200]\nbody = {{ agent_token = \"{token}\", tool = \"openai\", action = \"chat\", params = {{ model = \"m\" }} }}\n"
    );
    let handle = engine::start(Arc::new(scenario_text(&body, 20)), &gw.url(), EngineOptions::default());
    let (m, _tasks) = Monitor::start(
        &gw.url(),
        &scenario_text(&body, 20),
        &fourrunr(),
        handle.snapshots.clone(),
        metrics(&gw.url()),
        ADMIN,
        None,
    );
    let mut snaps = handle.snapshots.clone();
    wait_for(&mut snaps, "4 s of load", |s| s.elapsed_s >= 4.0).await;
    // openai is not idempotent: no retries hide the 500s.
    m.inject("openai", "500", 50.0, Cause::Key).await;
    assert_eq!(m.chaos.borrow().active.len(), 1);
    let (verdict, detail) = wait_verdict(&m, "openai").await;
    assert_eq!(verdict, EffectVerdict::Observed, "{detail}");
    assert!(detail.contains("error rate 0.0% →"), "{detail}");
    m.clear("openai", Cause::Key).await;
    assert!(m.chaos.borrow().active.is_empty());
    // Calls already in flight at the clear may still fail; count from a second later.
    let cleared_at = snaps.borrow().elapsed_s;
    wait_for(&mut snaps, "a second after the clear", |s| s.elapsed_s >= cleared_at + 1.0).await;
    let errors_at_clear = snaps.borrow().errors().total();
    wait_for(&mut snaps, "4 s after the clear", |s| s.elapsed_s >= cleared_at + 4.0).await;
    assert_eq!(snaps.borrow().errors().total(), errors_at_clear, "no new errors after clearing");
    handle.commands.send(engine::EngineCommand::Stop).unwrap();
    handle.join.await.unwrap();
}

fn json_reply(body: &'static str) -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body)
}

/// A target that accepts chaos injections and changes nothing.
async fn inert_target() -> String {
    use axum::routing::{delete, get, post};
    let app = axum::Router::new()
        .route("/hit", get(|| async { "ok" }))
        .route("/api/admin/chaos", get(|| async { json_reply(r#"{"activeChaos": []}"#) }))
        .route(
            "/api/admin/chaos/tool",
            post(|| async { json_reply(r#"{"message": "ok", "activeChaos": [["t", {"mode": "500", "pct": 100}]]}"#) }),
        )
        .route("/api/admin/chaos/tool/{tool}", delete(|| async { json_reply(r#"{"activeChaos": []}"#) }));
    crate::common::serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaos_endpoint_that_does_nothing_is_reported_as_no_observed_effect() {
    let base = inert_target().await;
    let s = scenario_text("[[flow.step]]\npath = \"/hit\"\ntool = \"t\"\nexpect = [200]\n", 14);
    let handle = engine::start(Arc::new(s.clone()), &base, EngineOptions::default());
    let (m, _tasks) = Monitor::start(&base, &s, &fourrunr(), handle.snapshots.clone(), metrics(&base), ADMIN, None);
    let mut snaps = handle.snapshots.clone();
    wait_for(&mut snaps, "4 s of load", |s| s.elapsed_s >= 4.0).await;
    m.inject("t", "500", 100.0, Cause::Key).await;
    let (verdict, detail) = wait_verdict(&m, "t").await;
    assert_eq!(verdict, EffectVerdict::NoObservedEffect, "{detail}");
    handle.commands.send(engine::EngineCommand::Stop).unwrap();
    handle.join.await.unwrap();
}

/// The chaos plan keeps the load clock between snapshots, which a quiet headless run sends
/// once a second: with no snapshot after the resume, the action half a second ahead fires
/// half a second later; while paused it waits, however long; past the load's end it never fires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chaos_plan_runs_on_the_load_clock_between_snapshots_waits_while_paused_and_stops_at_the_end() {
    use proofdeck::metrics::snapshot::{PhaseView, Snapshot};
    use proofdeck::metrics::RunStatus;
    let base = inert_target().await;
    let plan = "[[chaos]]\nat = \"1s\"\ntool = \"t\"\nmode = \"500\"\npct = 50\n";
    let s = scenario_text(&format!("[[flow.step]]\npath = \"/hit\"\ntool = \"t\"\nexpect = [200]\n{plan}"), 60);
    let at = |status: RunStatus, elapsed_s: f64, duration_s: f64| {
        let mut snap = Snapshot::empty(&["t".to_string()], &[]);
        snap.status = status;
        snap.phase = Some(PhaseView { index: 0, count: 1, name: "p".into(), elapsed_s, duration_s, next: None });
        Arc::new(snap)
    };
    let (snapshots, rx) = tokio::sync::watch::channel(at(RunStatus::Paused, 0.5, 60.0));
    let (m, _tasks) = Monitor::start(&base, &s, &fourrunr(), rx, metrics(&base), ADMIN, None);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(m.chaos.borrow().checks.is_empty(), "the plan fired while the load was paused");
    let resumed = tokio::time::Instant::now();
    snapshots.send(at(RunStatus::Running, 0.5, 60.0)).unwrap();
    let mut chaos = m.chaos.clone();
    wait_for(&mut chaos, "the planned injection", |c| !c.checks.is_empty()).await;
    let after = resumed.elapsed();
    assert!(after >= Duration::from_millis(500), "fired {after:?} after the resume, before its time");
    assert_eq!(m.chaos.borrow().checks[0].by, Cause::Schedule.to_string());

    // A load that ends before the planned time (`--duration`, `--phase`): the clock stops at
    // the phase's end, and the action, planned after it, is never sent.
    let (snapshots, rx) = tokio::sync::watch::channel(at(RunStatus::Running, 0.4, 0.5));
    let (m, _tasks) = Monitor::start(&base, &s, &fourrunr(), rx, metrics(&base), ADMIN, None);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(m.chaos.borrow().checks.is_empty(), "the plan fired after the load's end");
    snapshots.send(at(RunStatus::Draining, 0.5, 0.5)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_run_leaves_no_chaos_behind_and_writes_a_partial_report() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("proofdeck-chaos-{}", std::process::id()));
    let scenario = dir.with_extension("toml");
    let mut text = std::fs::read_to_string("scenarios/proof.toml").unwrap();
    // Chaos one second into the load, then a long phase to interrupt.
    text = text.replace("at = \"2m\"", "at = \"1s\"").replace("at = \"2m15s\"", "at = \"1s\"");
    std::fs::write(&scenario, text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proofdeck"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--no-tui",
            "--target",
            &gw.url(),
            "--report-dir",
            dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let c = crate::common::Client { base: gw.url(), http: crate::common::http_client(Duration::from_secs(5)) };
    // Wait (bounded) until the schedule's injections are live on the gateway.
    let mut active = 0;
    for _ in 0..300 {
        active = c.get("/api/admin/chaos").await.body["activeChaos"].as_array().map_or(0, Vec::len);
        if active == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(active, 2, "the schedule injected chaos");
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(130));
    let after = c.get("/api/admin/chaos").await;
    assert_eq!(after.body["activeChaos"], serde_json::json!([]), "Ctrl-C cleared the chaos it set");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("PARTIAL REPORT"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&scenario);
}

fn metrics(base: &str) -> proofdeck::scrape::fetch::MetricsSource {
    use proofdeck::scrape::fetch::{MetricsSource, DEFAULT_MAX_BYTES};
    MetricsSource::new(base, proofdeck::scrape::fetch::DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES)
}

const ADMIN: Duration = Duration::from_secs(5);
