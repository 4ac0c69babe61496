//! `--dashboard` and `probe --dashboard` for real: the seed dashboard against the bundled
//! gateway under load, against a gateway exposing the real 4Runr names (through the
//! profile's name mapping), and hostile dashboard files.

use crate::common::{fast_config, wait_for};
use proofdeck::engine::{self, EngineCommand, EngineOptions};
use proofdeck::gateway;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const SEED: &str = "tests/fixtures/grafana/gateway.json";

/// Runs `proofdeck probe …` (bounded by `timeout`) off the runtime; exit code, stdout, stderr.
async fn probe(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("timeout").arg("60").arg(env!("CARGO_BIN_EXE_proofdeck")).arg("probe").args(&args).output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn panel<'a>(json: &'a Value, title: &str) -> &'a Value {
    json["panels"].as_array().unwrap().iter().find(|p| p["title"] == title).unwrap_or_else(|| panic!("{title}"))
}

fn series<'a>(json: &'a Value, title: &str, query: usize) -> &'a Vec<Value> {
    panel(json, title)["queries"][query]["series"].as_array().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_evaluates_every_seed_panel_against_the_bundled_gateway_under_load() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let scenario = proofdeck::scenario::load_file(Path::new("scenarios/proof.toml")).unwrap();
    let run = engine::start(Arc::new(scenario), &gw.url(), EngineOptions::default());
    let mut snaps = run.snapshots.clone();
    wait_for(&mut snaps, "some load", |s| s.completed >= 20).await;
    let (code, out, err) =
        probe(&["--target", &gw.url(), "--dashboard", SEED, "--interval", "1s", "--format", "json"]).await;
    run.commands.send(EngineCommand::Stop).unwrap();
    run.join.await.unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["panels"].as_array().unwrap().len(), 10);
    for p in json["panels"].as_array().unwrap() {
        assert!(p["skip"].is_null(), "{p}");
        for q in p["queries"].as_array().unwrap() {
            assert!(q["error"].is_null(), "{}: {q}", p["title"]);
        }
    }
    let rates = series(&json, "Request Rate by Tool", 0);
    assert!(!rates.is_empty() && rates.iter().all(|s| s["value"].as_f64().is_some_and(|v| v >= 0.0)), "{rates:?}");
    assert!(rates.iter().any(|s| s["value"].as_f64().unwrap() > 0.0), "the load shows: {rates:?}");
    let breakers = series(&json, "Circuit Breaker Status", 0);
    assert_eq!(breakers.len(), 4, "one per tool");
    let p99 = series(&json, "Latency Distribution (p50/p95/p99)", 2);
    assert!(p99.iter().any(|s| s["value"].as_f64().is_some_and(|v| v > 0.0 && v < 10.0)), "p99 in seconds: {p99:?}");
    // The seed's success-rate query divides series whose labels never match (errors by
    // error_type, requests by tool): Prometheus gives no series, and so does proofdeck.
    assert!(series(&json, "Success Rate", 0).is_empty());
}

/// Serves the real gateway's exposition, its counters and buckets 5 higher at every scrape.
async fn quirky_gateway() -> String {
    let text = std::fs::read_to_string("tests/fixtures/prometheus/4runr-live-sample.prom").unwrap();
    let scrapes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let n = scrapes.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as f64;
            let body: String = text
                .lines()
                .map(|l| match l.rsplit_once(' ') {
                    Some((series, v))
                        if !l.starts_with('#')
                            && (series.contains("_total")
                                || series.contains("_bucket")
                                || series.contains("_count")) =>
                    {
                        format!("{series} {}\n", v.parse::<f64>().unwrap_or(0.0) + 5.0 * n)
                    }
                    _ => format!("{l}\n"),
                })
                .collect();
            async move { body }
        }),
    );
    crate::common::serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_gateways_names_light_the_seed_panels_through_the_profile() {
    let target = quirky_gateway().await;
    let (code, out, err) =
        probe(&["--target", &target, "--dashboard", SEED, "--interval", "1s", "--format", "json"]).await;
    assert!(code == 0 || code == 1, "{out}\n{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    // gateway_requests_total_total is stored as gateway_requests_total.
    let rates = series(&json, "Request Rate by Tool", 0);
    assert!(rates.iter().any(|s| s["value"].as_f64().unwrap_or(0.0) > 0.0), "{rates:?}");
    // gateway_request_duration_ms_ms buckets become seconds: its le="25" is 0.025.
    let p50 = series(&json, "Latency Distribution (p50/p95/p99)", 0);
    assert!(!p50.is_empty(), "{}", panel(&json, "Latency Distribution (p50/p95/p99)"));
    assert!(p50.iter().all(|s| s["value"].as_f64().is_none_or(|v| v < 60.0)), "seconds, not ms: {p50:?}");
    // And without the mapping (the generic profile) the same panels stay empty.
    let (_, generic, _) = probe(&[
        "--target",
        &target,
        "--dashboard",
        SEED,
        "--interval",
        "1s",
        "--format",
        "json",
        "--profile",
        "generic",
    ])
    .await;
    let generic: Value = serde_json::from_str(&generic).unwrap();
    assert!(series(&generic, "Request Rate by Tool", 0).is_empty());
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_dashboards_give_a_clear_error_or_a_reason_per_panel() {
    let dir = std::env::temp_dir().join(format!("proofdeck-dashboards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let metrics = "tests/fixtures/prometheus/4runr-live-sample.prom";
    let check =
        |file: &Path| ["--metrics-file".to_string(), metrics.into(), "--dashboard".into(), file.display().to_string()];

    let not_json = write(&dir, "not.json", "{\n  \"panels\": [\n    {\"type\": \"graph\",,}\n  ]\n}");
    let (code, _, err) = probe(&check(&not_json).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not.json:3:") && err.contains("not a JSON dashboard"), "{err}");

    let empty = write(&dir, "empty.json", r#"{"dashboard": {"title": "t", "panels": []}}"#);
    let (code, _, err) = probe(&check(&empty).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it has no panels"), "{err}");

    let long = format!("sum({})", vec!["gateway_requests_total_total"; 400].join(" + "));
    assert!(long.len() > 10_000);
    let hostile = serde_json::json!({"panels": [
        {"type": "timeseries", "title": "logs", "datasource": {"type": "loki", "uid": "x"}, "targets": [{"expr": "{app=\"gw\"}"}]},
        {"type": "stat", "title": "long", "targets": [{"refId": "A", "expr": long}]},
        {"type": "stat", "title": "odd", "targets": [{"refId": "A", "expr": "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")"}]},
        {"type": "stat", "title": "fine", "targets": [{"refId": "A", "expr": "count(gateway_requests_total_total)"}]}
    ]});
    let file = write(&dir, "hostile.json", &hostile.to_string());
    let mut args = check(&file).to_vec();
    args.extend(["--format".into(), "json".into()]);
    let (code, out, err) = probe(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 1, "a panel could not be drawn: {out}\n{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(panel(&json, "logs")["skip"], "datasource loki is not Prometheus");
    let reason = panel(&json, "long")["queries"][0]["error"].as_str().unwrap().to_string();
    assert!(reason.contains("levels deep (at most 64)"), "{reason}");
    assert_eq!(panel(&json, "odd")["queries"][0]["error"], "unsupported: function label_replace");
    assert_eq!(series(&json, "fine", 0).len(), 1, "the other panels go on");
    let _ = std::fs::remove_dir_all(&dir);
}
