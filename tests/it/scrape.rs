//! Target-side metrics against real servers: derived rates and quantiles agree with the
//! client, reconciliation flags a double-counting target, and `probe` reads every fixture.

use crate::common::fast_config;
use proofdeck::engine::{self, EngineOptions};
use proofdeck::gateway::{self, GatewayConfig};
use proofdeck::scenario;
use proofdeck::scrape::parser;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn quick(path: &str, tool: &str, rate: f64, secs: u32, body: &str) -> scenario::Scenario {
    let text = format!(
        "[[phase]]\nname = \"p\"\nduration = \"{secs}s\"\nrate = {rate}\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"{path}\"\ntool = \"{tool}\"\nexpect = [200]\n{body}"
    );
    scenario::parse(Path::new("scrape.toml"), &text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_rates_and_quantiles_agree_with_the_client() {
    let gw = gateway::start_embedded(GatewayConfig { latency_scale: 3.0, ..fast_config() }).await.unwrap();
    let c = crate::common::Client { base: gw.url(), http: crate::common::http_client(Duration::from_secs(5)) };
    c.policy("ai", &["openai:chat"], &[]).await;
    let token = c.agent_with_token("ai", &["openai"]).await.2;
    let body = format!(
        "body = {{ agent_token = \"{token}\", tool = \"openai\", action = \"chat\", params = {{ model = \"m\" }} }}\n"
    );
    let before_text = c.metrics_text().await;
    let t0 = std::time::Instant::now();
    let r = engine::start(
        Arc::new(quick("/api/proxy-request", "openai", 50.0, 4, &body)),
        &gw.url(),
        EngineOptions::default(),
    )
    .join
    .await
    .unwrap();
    let after_text = c.metrics_text().await;
    let window = t0.elapsed().as_secs_f64();
    let (before, after) = (parser::parse(&before_text), parser::parse(&after_text));
    let reading = proofdeck::scrape::profile_file::four_runr().read(Some((&before, 0.0)), (&after, window));
    let client = r.snapshot.tool("openai").unwrap();
    let target_rate = reading.requests_by_tool.unwrap()["openai"].rate_per_sec.unwrap();
    let target_count = target_rate * window;
    assert!((target_count - client.requests as f64).abs() < 0.5, "target {target_count} vs client {}", client.requests);
    // openai: log-normal around 18 ms × 3. The gateway's histogram has coarse buckets, so the
    // interpolated quantile is compared with a tolerance; the client adds loopback time only.
    let target_p50 = reading.latency_by_tool.unwrap()["openai"].p50_ms.unwrap();
    let client_p50 = client.latency.p50_ms;
    assert!(
        (target_p50 - client_p50).abs() <= 0.2 * client_p50 + 2.0,
        "target p50 {target_p50:.1} ms vs client {client_p50:.1} ms"
    );
}

/// A target that counts every request twice.
async fn double_counting_target() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    let hits = Arc::new(AtomicU64::new(0));
    let h2 = hits.clone();
    let app = axum::Router::new()
        .route(
            "/hit",
            axum::routing::get(move || {
                h2.fetch_add(1, Ordering::Relaxed);
                async { "ok" }
            }),
        )
        .route(
            "/metrics",
            axum::routing::get(move || {
                let n = hits.load(Ordering::Relaxed) * 2;
                async move { format!("gateway_requests_total{{tool=\"t\",action=\"a\",code=\"200\"}} {n}\n") }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_counting_target_is_flagged_with_both_numbers() {
    let base = double_counting_target().await;
    let http = proofdeck::side_client::SideClient::new(Duration::from_secs(5), false);
    let before = proofdeck::scrape::fetch::fetch_metrics(&http, &base).await;
    let r =
        engine::start(Arc::new(quick("/hit", "t", 50.0, 1, "")), &base, EngineOptions::default()).join.await.unwrap();
    let after = proofdeck::scrape::fetch::fetch_metrics(&http, &base).await;
    let rec = proofdeck::session::reconcile_run(
        &r.snapshot,
        before.as_deref(),
        after.as_deref(),
        &proofdeck::scrape::profile_file::four_runr(),
    );
    let flagged: Vec<_> = rec.mismatches().collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].client, 50);
    assert_eq!(flagged[0].target, Some(100.0));
    assert_eq!(flagged[0].note, "client 50 vs target 100");
    assert_eq!(rec.findings, vec!["the target counts each 2xx twice (ratio 2.00 on t)".to_string()]);
}

#[test]
fn probe_reads_every_fixture_and_names_what_it_lights() {
    let expected: &[(&str, &[&str])] = &[
        (
            "4runr-live-sample.prom",
            &[
                "✔ requests       gateway_requests_total_total",
                "✔ latency        gateway_request_duration_ms_ms",
                "✔ breaker_state  gateway_breaker_state",
                "✘ cache_hits",
            ],
        ),
        ("4runr-run-during.prom", &["4 samples", "✘ requests", "✘ token_rotations"]),
        (
            "4runr-chaos-after.prom",
            &["✔ policy_denials gateway_policy_denials_total_total (2 series)", "✔ token_rotations"],
        ),
        ("4runr-big-after.prom", &["✔ policy_denials gateway_policy_denials_total_total (6 series)", "✘ latency"]),
    ];
    for (file, needles) in expected {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_proofdeck"))
            .args(["probe", "--metrics-file", &format!("tests/fixtures/prometheus/{file}")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{file}: {text}");
        for n in *needles {
            assert!(text.contains(n), "{file}: expected {n:?} in\n{text}");
        }
    }
    let json = std::process::Command::new(env!("CARGO_BIN_EXE_proofdeck"))
        .args(["probe", "--metrics-file", "tests/fixtures/prometheus/4runr-live-sample.prom", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["samples"], 171);
    assert!(v["repairs"].as_u64().unwrap() >= 63, "le-outside-braces lines repaired");
}
