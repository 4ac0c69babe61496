//! Coming from Artillery: the imported seed script runs against the bundled gateway with
//! its flows' expectations met, and 4runr-live.toml sizes its pools for the rate limit.

use proofdeck::engine::{self, EngineOptions};
use proofdeck::gateway::{self, GatewayConfig, RateLimit};
use proofdeck::metrics::{ErrorClass, RunStatus};
use proofdeck::scenario::{self, artillery, setup_iterations};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_imported_seed_script_runs_with_its_expectations_met() {
    let path = Path::new("tests/fixtures/artillery/gateway-artillery.yml");
    let four_runr = proofdeck::scrape::profile_file::builtin("4runr").unwrap();
    let conversion =
        artillery::convert(path, &std::fs::read_to_string(path).unwrap(), four_runr.import.as_ref()).unwrap();
    let mut s = scenario::parse(Path::new("imported.toml"), &conversion.toml).unwrap();
    s.target = None;
    let gw =
        gateway::start_embedded(GatewayConfig { latency_scale: 0.2, rate_limit: None, ..GatewayConfig::default() })
            .await
            .unwrap();
    // The spike phase, rate-scaled down to 20 % (30 arrivals/s) and capped at 8 s.
    let opts = EngineOptions {
        rate_scale: 0.2,
        only_phase: Some("spike".into()),
        duration_cap: Some(Duration::from_secs(8)),
        ..EngineOptions::default()
    };
    let r = engine::start(Arc::new(s), &gw.url(), opts).join.await.unwrap();
    assert_eq!(r.snapshot.status, RunStatus::Finished, "{:?}", r.abort);
    assert!(r.snapshot.completed > 200, "{}", r.snapshot.completed);
    for f in &r.snapshot.flows {
        assert_eq!(f.failed, 0, "flow {} met its expectations ({} iterations)", f.name, f.iterations);
    }
    let denial = r.snapshot.flows.iter().find(|f| f.name == "denial-tests").unwrap();
    assert_eq!(denial.correct_denials, denial.iterations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_runr_live_sizes_its_pools_for_the_rate_limit_and_never_hits_it() {
    let s = scenario::load_file(Path::new("scenarios/4runr-live.toml")).unwrap();
    assert!(s.gateway.rate_limit, "runs against the bundled gateway with the limit on");
    let scraper = s.setup.iter().find(|g| g.name == "scraper agents").unwrap();
    // Peak 10/s; the scraper pool serves the scraper, denial and security flows (60 %):
    // μ = 6 calls/s × 60 s = 360 per window; 454 calls are exceeded once in a million
    // windows; at 4 calls per agent (5, minus one for the round-robin's unevenness) that is
    // 114 agents.
    assert_eq!(setup_iterations(&s, scraper, 1.0), 114);
    assert_eq!(setup_iterations(&s, scraper, 0.5), 62, "pools follow --rate-scale");

    // The same scenario with the limit's window compressed to 3 s, so a 12 s run crosses four
    // windows: pools sized for it never hit the limit, pools a third of the size do.
    let text = std::fs::read_to_string("scenarios/4runr-live.toml")
        .unwrap()
        .replace("rate_limit_window = \"60s\"", "rate_limit_window = \"3s\"");
    let fast = scenario::parse(Path::new("4runr-live-3s.toml"), &text).unwrap();
    let limited = || GatewayConfig {
        latency_scale: 0.2,
        rate_limit: Some(RateLimit { calls: 5, window: Duration::from_secs(3) }),
        ..GatewayConfig::default()
    };
    let run = |s: scenario::Scenario, rate_scale: f64| async move {
        let gw = gateway::start_embedded(limited()).await.unwrap();
        // Pools are sized for the full rate; running at 3× overloads each agent 3×.
        let opts = EngineOptions {
            only_phase: Some("hold".into()),
            duration_cap: Some(Duration::from_secs(12)),
            rate_scale,
            ..EngineOptions::default()
        };
        engine::start(Arc::new(s), &gw.url(), opts).join.await.unwrap()
    };
    let mut small = fast.clone();
    let sized: Vec<usize> = small.setup.iter().map(|g| setup_iterations(&small, g, 1.0)).collect();
    for (g, n) in small.setup.iter_mut().zip(sized) {
        if g.pool.is_some() {
            g.repeat = scenario::Repeat::Count((n / 3).max(1));
        }
    }
    // Each run has its own gateway: both run at once.
    let (r, overloaded) = tokio::join!(run(fast, 1.0), run(small, 1.0));
    assert_eq!(r.snapshot.status, RunStatus::Finished, "{:?}", r.abort);
    assert!(r.snapshot.completed >= 100);
    let limited_count =
        |r: &engine::EngineResult| r.snapshot.tools.iter().map(|t| t.errors.get(ErrorClass::RateLimited)).sum::<u64>();
    assert_eq!(limited_count(&r), 0, "no agent exceeded 5 calls per window");
    for f in &r.snapshot.flows {
        assert_eq!(f.failed, 0, "flow {}", f.name);
    }
    assert!(limited_count(&overloaded) > 0, "the check can fail: undersized pools hit the limit");
}
