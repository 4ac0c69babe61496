//! A headless run writes the whole run directory; `report` re-renders it byte for byte;
//! `compare` finds no regression against itself and names the KPI against a slower run;
//! no secret reaches any file.

use crate::common::fast_config;
use proofdeck::gateway::{self, GatewayConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_proofdeck"))
}

/// proof.toml shortened to ~15 s of load, chaos included.
fn short_proof(dir: &Path) -> PathBuf {
    let mut text = std::fs::read_to_string("scenarios/proof.toml").unwrap();
    for (from, to) in [
        ("\"45s\"", "\"3s\""),
        ("\"40s\"", "\"4s\""),
        ("\"30s\"", "\"2s\""),
        ("\"20s\"", "\"2s\""),
        ("\"10s\"", "\"1s\""),
        ("\"2m15s\"", "\"10s\""),
        ("\"2m30s\"", "\"11s\""),
        ("\"2m\"", "\"9s\""),
        ("\"15s\"", "\"2s\""),
    ] {
        text = text.replace(from, to);
    }
    let path = dir.join("short-proof.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(scenario: &Path, target: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--no-tui",
            "--target",
            target,
            "--report-dir",
            dir.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_directory_rerender_compare_and_no_secrets() {
    let work = std::env::temp_dir().join(format!("proofdeck-report-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let scenario = short_proof(&work);
    let fast = gateway::start_embedded(GatewayConfig { latency_scale: 0.3, chaos_scale: 0.05, ..fast_config() })
        .await
        .unwrap();
    let base_dir = work.join("base");
    // The run against a 20× slower gateway goes at the same time: compare needs both.
    let slow = gateway::start_embedded(GatewayConfig { latency_scale: 6.0, chaos_scale: 0.05, ..fast_config() })
        .await
        .unwrap();
    let slow_dir = work.join("slow");
    let slow_run = tokio::task::spawn_blocking({
        let (s, u, d) = (scenario.clone(), slow.url(), slow_dir.clone());
        move || run(&s, &u, &d, &[])
    });
    let out = tokio::task::spawn_blocking({
        let (s, u, d) = (scenario.clone(), fast.url(), base_dir.clone());
        move || run(&s, &u, &d, &["--dashboard", "tests/fixtures/grafana/gateway.json"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("KPIs"), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for f in [
        "scenario.toml",
        "report.json",
        "report.md",
        "junit.xml",
        "timeseries.csv",
        "rate.svg",
        "latency.svg",
        "errors.svg",
        "metrics-before.prom",
        "metrics-after.prom",
    ] {
        assert!(base_dir.join(f).is_file(), "{f} written");
    }
    let md = std::fs::read_to_string(base_dir.join("report.md")).unwrap();
    for section in [
        "## Executive summary",
        "## Latency per tool",
        "## Throughput per phase",
        "## Reliability",
        "## Cache",
        "## Security",
        "## Chaos timeline",
        "## Capacity & recommendations",
        "## Dashboard: 4Runr Gateway - Performance Dashboard",
        "## Environment",
    ] {
        assert!(md.contains(section), "{section}");
    }
    // The dashboard's time-series panels are charted from the target's own scrapes.
    assert!(md.contains("![Request Rate by Tool](dashboard-1.svg)"), "{md}");
    let chart = std::fs::read_to_string(base_dir.join("dashboard-1.svg")).unwrap();
    assert!(chart.contains("<svg") && chart.contains("<title>Request Rate by Tool (target, from /metrics)</title>"));
    assert!(md.contains("| openai | 500 |"), "the scheduled chaos is on the timeline:\n{md}");
    let junit = std::fs::read_to_string(base_dir.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 14, "one case per KPI, and one for the run");
    // Kept for CI, which reads it with junitparser, the parser CI systems' plugins use.
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-sample.xml"), &junit).unwrap();
    let csv = std::fs::read_to_string(base_dir.join("timeseries.csv")).unwrap();
    assert!(csv.lines().count() > 10 && csv.starts_with("t_s,phase,scheduled"));

    // The histograms in report.json are lossless: each decodes to exactly its tool's count,
    // and its percentiles are the report's.
    let saved = proofdeck::report::read(&base_dir).unwrap();
    assert_eq!(saved.histograms.len(), saved.tools.len());
    for h in &saved.histograms {
        let tool = saved.tools.iter().find(|t| t.name == h.tool).unwrap();
        let latency = proofdeck::report::decode_histogram(&h.latency_us).unwrap();
        assert_eq!(latency.len(), tool.requests, "{}", h.tool);
        assert_eq!(proofdeck::metrics::Quantiles::of(&latency).p99_ms, tool.latency.p99_ms, "{}", h.tool);
    }

    // No secret reaches any file: tokens and private keys are in the gateway's answers only.
    let tokens: Vec<String> = std::fs::read_to_string(base_dir.join("report.json"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("agent_token"))
        .map(String::from)
        .collect();
    assert!(tokens.is_empty(), "{tokens:?}");
    for entry in std::fs::read_dir(&base_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        // A signed token is base64 JSON starting with {"agent_id" → eyJhZ2VudF9pZCI6
        assert!(!text.contains("eyJhZ2VudF9pZCI6"), "a token leaked");
        assert!(!text.contains("private_key"), "a private key leaked");
    }

    // Re-rendering reproduces report.md byte for byte.
    std::fs::remove_file(base_dir.join("report.md")).unwrap();
    assert!(bin().args(["report", base_dir.to_str().unwrap()]).status().unwrap().success());
    assert_eq!(std::fs::read_to_string(base_dir.join("report.md")).unwrap(), md);

    // compare: itself → no regression; a run against a 20× slower gateway → exit 1 naming a KPI.
    let same = bin().args(["compare", base_dir.to_str().unwrap(), base_dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
    slow_run.await.unwrap();
    let worse = bin().args(["compare", base_dir.to_str().unwrap(), slow_dir.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&worse.stdout);
    assert_eq!(worse.status.code(), Some(1), "{text}");
    assert!(text.contains("REGRESSION: p50 latency"), "{text}");
    let _ = std::fs::remove_dir_all(&work);
}
