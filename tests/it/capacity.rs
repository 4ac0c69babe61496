//! Capacity search against a server whose capacity is known: `WORKERS` workers, each
//! answering in exactly `SERVICE` (a deterministic queue, so timer lateness adds latency
//! but never takes throughput): capacity = WORKERS / SERVICE = 100 arrivals/s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const WORKERS: usize = 4;
const SERVICE: Duration = Duration::from_millis(40);
const CAPACITY: f64 = WORKERS as f64 / 0.040;

/// Each request takes the worker free first and is answered `SERVICE` after it starts.
async fn known_capacity_server() -> String {
    let free_at = Arc::new(Mutex::new(vec![Instant::now(); WORKERS]));
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let free_at = free_at.clone();
            async move {
                let done = {
                    let mut workers = free_at.lock().unwrap();
                    let (i, _) = workers.iter().enumerate().min_by_key(|(_, t)| **t).unwrap();
                    let end = workers[i].max(Instant::now()) + SERVICE;
                    workers[i] = end;
                    end
                };
                tokio::time::sleep_until(done).await;
                "ok"
            }
        }),
    );
    crate::common::serve(app).await
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proofdeck-capacity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn search(target: &str, path: &str, dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args: Vec<String> = [
        "run",
        "--no-tui",
        "--target",
        target,
        "--path",
        path,
        "--find-capacity",
        "--step-duration",
        "3s",
        "--max-rate",
        "400",
        // p99 is the KPI to break: the others are far out of the way.
        "--p50",
        "1s",
        "--p95",
        "1s",
        "--success",
        "99",
        "--report-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(dir.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    // Bounded like every wait here: a search that never ends fails the test instead.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("timeout").arg("300").arg(env!("CARGO_BIN_EXE_proofdeck")).args(&args).output()
    })
    .await
    .unwrap()
    .unwrap();
    let json = std::fs::read_to_string(dir.join("capacity.json")).unwrap_or_else(|e| {
        panic!("no capacity.json ({e}); stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap_or(-1), serde_json::from_str(&json).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capacity_found_is_the_servers_within_the_stated_tolerance() {
    let target = known_capacity_server().await;
    let dir = workdir("knee");
    let (code, c) = search(&target, "/", &dir, &["--start-rate", "60", "--p99", "150ms"]).await;
    let md = std::fs::read_to_string(dir.join("capacity.md")).unwrap();
    eprintln!("{md}");
    assert_eq!(code, 0, "{c:#}");
    let found = c["capacity"].as_f64().unwrap_or_else(|| panic!("no capacity: {c:#}"));
    // Below capacity nothing queues; 5 % above it, a 3 s step queues 150 ms of work. The search
    // brackets the knee to 5 %: anything from 85 % to 105 % of the computed capacity is right.
    assert!((0.85 * CAPACITY..=1.05 * CAPACITY).contains(&found), "found {found}, computed {CAPACITY}: {c:#}");
    assert_eq!(c["ending"]["kind"], "target", "{c:#}");
    assert_eq!(c["ending"]["kpi"], "p99", "the limiting KPI is named: {c:#}");
    assert!(md.contains("| verdict |") && md.contains("broke (p99"), "{md}");
    let svg = std::fs::read_to_string(dir.join("capacity.svg")).unwrap();
    assert!(svg.contains("arrivals/s") && svg.contains("p99 target 150 ms"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starved_client_is_reported_as_the_limit_not_the_target() {
    let target = known_capacity_server().await;
    let dir = workdir("starved");
    // One request in flight at a time serves 25/s at most; 50/s are offered.
    let (code, c) = search(&target, "/", &dir, &["--start-rate", "50", "--max-inflight", "1", "--p99", "1s"]).await;
    assert_eq!(c["ending"]["kind"], "client", "{c:#}");
    assert!(c["ending"]["reason"].as_str().unwrap().contains("in-flight cap"), "{c:#}");
    assert!(c["capacity"].is_null(), "nothing is claimed about the target: {c:#}");
    // Falling behind once may be the machine's passing business: the step ran twice.
    let steps = c["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{c:#}");
    assert!(steps.iter().all(|s| s["rate"] == steps[0]["rate"]), "{c:#}");
    assert_eq!(code, 1, "a search that proved no rate is not green");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_fails_every_call_ends_the_search_at_once() {
    let target = known_capacity_server().await;
    let dir = workdir("failing");
    // Every call is a 404: not a knee, and halving the rate would only hammer it longer.
    let (code, c) = search(&target, "/missing", &dir, &["--start-rate", "100", "--p99", "1s"]).await;
    assert_eq!(c["ending"]["kind"], "aborted", "{c:#}");
    assert_eq!(c["steps"].as_array().unwrap().len(), 1, "{c:#}");
    assert_eq!(code, 3);
    let _ = std::fs::remove_dir_all(&dir);
}
