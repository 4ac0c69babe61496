//! The local PromQL evaluator against a real Prometheus server scraping the bundled gateway
//! under load: fed the very samples Prometheus stored, proofdeck must compute the same values
//! at the same instants, for every panel of the seed dashboard and every supported function.
//!
//! Needs Debian's `prometheus` on the PATH; `.ci/run` installs it and sets
//! `PROOFDECK_REQUIRE_PROMETHEUS=1`, so there a missing binary fails instead of skipping.

use crate::common::fast_config;
use proofdeck::dashboard::{self, Timing};
use proofdeck::engine::{self, EngineOptions};
use proofdeck::gateway::{self, GatewayConfig};
use proofdeck::promql::{store, Evaluator, Query, SeriesStore, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

struct Prometheus {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // SIGTERM to `timeout`, which passes it on; a SIGKILL would orphan the server.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid has no memory effects.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts Prometheus on a port of its choosing, scraping `target` every second. `None` when
/// the binary is missing and the environment does not require it.
fn start_prometheus(target: &str) -> Option<Prometheus> {
    if Command::new("prometheus").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("PROOFDECK_REQUIRE_PROMETHEUS").is_none(),
            "prometheus is not installed (apt-get install prometheus)"
        );
        eprintln!("SKIPPED: prometheus is not installed (apt-get install prometheus)");
        return None;
    }
    let dir = TempDir(std::env::temp_dir().join(format!("proofdeck-prometheus-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let host = target.trim_start_matches("http://");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: gw\n    static_configs:\n      - targets: [\"{host}\"]\n"
    );
    std::fs::write(dir.0.join("prometheus.yml"), config).unwrap();
    // `timeout` bounds the server's life even if this process dies without dropping it.
    let mut child = Command::new("timeout")
        .arg("300")
        .arg("prometheus")
        .arg(format!("--config.file={}", dir.0.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.0.join("data").display()))
        .arg("--web.listen-address=127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prometheus starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = None;
    let mut log = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        // msg="Listening on" address=127.0.0.1:41234
        if line.contains("msg=\"Listening on\"") {
            let addr = line.rsplit("address=").next().unwrap().trim();
            url = Some(format!("http://{addr}"));
            break;
        }
        log.push(line);
        assert!(log.len() < 500, "prometheus never said where it listens:\n{}", log.join("\n"));
    }
    let url = url.unwrap_or_else(|| panic!("prometheus exited:\n{}", log.join("\n")));
    // Drain the rest of its log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Some(Prometheus { child, url, _dir: dir })
}

async fn api(http: &reqwest::Client, prom: &str, query: &str, at_ms: i64) -> Json {
    let time = format!("{}.{:03}", at_ms / 1000, at_ms % 1000);
    let url =
        reqwest::Url::parse_with_params(&format!("{prom}/api/v1/query"), [("query", query), ("time", &time)]).unwrap();
    let resp = http.get(url).send().await.unwrap_or_else(|e| panic!("{query}: {e}"));
    let body: Json = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["status"], "success", "{query}: {body}");
    body["data"].clone()
}

fn number(v: &Json) -> f64 {
    match v.as_str().unwrap() {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap(),
    }
}

/// Prometheus's raw samples for the whole run, as the scrapes they came from.
async fn stored_scrapes(http: &reqwest::Client, prom: &str, at_ms: i64) -> SeriesStore {
    let data = api(http, prom, "{job=\"gw\"}[10m]", at_ms).await;
    let mut scrapes: BTreeMap<i64, Vec<(store::SeriesKey, f64)>> = BTreeMap::new();
    for series in data["result"].as_array().unwrap() {
        let labels: Vec<(String, String)> = series["metric"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let name = labels.iter().find(|(k, _)| k == "__name__").map(|(_, v)| v.clone()).unwrap();
        for point in series["values"].as_array().unwrap() {
            let t = (point[0].as_f64().unwrap() * 1000.0).round() as i64;
            let key = store::key(&name, labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            scrapes.entry(t).or_default().push((key, number(&point[1])));
        }
    }
    let mut store = SeriesStore::new(Duration::from_secs(900), Duration::from_secs(1), 100_000);
    for (t, samples) in scrapes {
        store.ingest_samples(t, samples);
    }
    store
}

type Results = BTreeMap<String, f64>;

fn ours(store: &SeriesStore, expr: &str, at_ms: i64) -> Results {
    let q = Query::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    match Evaluator::new(store).eval(&q.expr, at_ms).unwrap_or_else(|e| panic!("{expr}: {e}")) {
        Value::Scalar(v) => BTreeMap::from([("scalar".to_string(), v)]),
        Value::Vector(samples) => {
            samples.into_iter().map(|s| (proofdeck::promql::value::display_labels(&s.labels), s.value)).collect()
        }
        other => panic!("{expr}: {other:?}"),
    }
}

fn theirs(data: &Json) -> Results {
    match data["resultType"].as_str().unwrap() {
        "scalar" => BTreeMap::from([("scalar".to_string(), number(&data["result"][1]))]),
        "vector" => data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (proofdeck::promql::value::display_labels(&labels), number(&s["value"][1]))
            })
            .collect(),
        other => panic!("unexpected result type {other}"),
    }
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// One expression per supported function, aggregation and operator form.
const COVERAGE: &[&str] = &[
    "gateway_requests_total",
    "gateway_requests_total{tool!=\"serpapi\", tool=~\"s.*|o.*\", action!~\"x\"}",
    "rate(gateway_requests_total[20s])",
    "rate(gateway_requests_total[10s] offset 3s)",
    "irate(gateway_requests_total[20s])",
    "increase(gateway_requests_total[15s])",
    "delta(process_resident_memory_bytes[20s])",
    "idelta(process_resident_memory_bytes[20s])",
    "avg_over_time(scrape_duration_seconds[20s])",
    "min_over_time(scrape_duration_seconds[20s])",
    "max_over_time(scrape_duration_seconds[20s])",
    "sum_over_time(scrape_samples_scraped[20s])",
    "count_over_time(up[20s])",
    "last_over_time(gateway_requests_total[20s])",
    "sum by (tool) (rate(gateway_requests_total[20s]))",
    "sum without (action) (gateway_requests_total)",
    "avg by (tool) (gateway_requests_total)",
    "min(gateway_requests_total)",
    "max by (tool) (gateway_requests_total)",
    "count by (tool) (gateway_requests_total)",
    "group by (tool) (gateway_requests_total)",
    "histogram_quantile(0.9, sum by (le, tool) (rate(gateway_request_duration_seconds_bucket[20s])))",
    "histogram_quantile(0.5, gateway_request_duration_seconds_bucket)",
    "sum by (tool) (gateway_requests_total) / on (tool) group_left sum by (tool) (gateway_requests_total)",
    "gateway_requests_total / ignoring (action) group_left sum without (action) (gateway_requests_total)",
    "sum by (tool) (gateway_requests_total) - on (tool) sum by (tool) (gateway_requests_total offset 5s)",
    "gateway_requests_total > 3",
    "gateway_requests_total > bool 3",
    "3 < gateway_requests_total",
    "gateway_requests_total * 2 + 1",
    "2 ^ up % 3",
    "gateway_requests_total and on (tool) gateway_requests_total{tool=\"openai\"}",
    "gateway_requests_total unless on (tool) gateway_requests_total{tool=\"openai\"}",
    "gateway_requests_total{tool=\"openai\"} or gateway_requests_total{tool=\"serpapi\"}",
    "sum by (tool) (gateway_requests_total) == bool on (tool) sum by (tool) (gateway_requests_total)",
    "-gateway_requests_total",
    "abs(-up)",
    "ceil(scrape_duration_seconds * 1000)",
    "floor(scrape_duration_seconds * 1000)",
    "round(scrape_duration_seconds * 1000)",
    "round(scrape_duration_seconds * 1000, 5)",
    "clamp_min(gateway_requests_total, 10)",
    "clamp_max(gateway_requests_total, 10)",
    "clamp(gateway_requests_total, 2, 10)",
    "sqrt(up) + exp(up) + ln(up + 1) + log2(up + 1) + log10(up + 1)",
    "scalar(sum(up))",
    "vector(1) + scalar(sum(up))",
    "time()",
];

/// Sets compared as values only: ties make the pick among equal values arbitrary.
const BY_VALUE: &[&str] = &["topk(2, gateway_requests_total)", "bottomk(2, gateway_requests_total)"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evaluator_agrees_with_prometheus_on_the_seed_dashboard_and_every_function() {
    let gw = gateway::start_embedded(GatewayConfig { latency_scale: 0.2, ..fast_config() }).await.unwrap();
    let Some(prom) = start_prometheus(&gw.url()) else { return };
    let http = crate::common::http_client(Duration::from_secs(10));

    // Load for ~20 s: the proof plan with its phases shortened 10×.
    let mut scenario = proofdeck::scenario::load_file(Path::new("scenarios/proof.toml")).unwrap();
    for p in &mut scenario.phases {
        p.duration /= 10;
    }
    let run = engine::start(Arc::new(scenario), &gw.url(), EngineOptions::default());
    run.join.await.unwrap();

    // Prometheus must have scraped the gateway a good number of times.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let data = api(&http, &prom.url, "count_over_time(up{job=\"gw\"}[10m])", now_ms).await;
    let scrapes = number(&data["result"][0]["value"][1]);
    assert!(scrapes >= 10.0, "prometheus scraped {scrapes} times");

    let store = stored_scrapes(&http, &prom.url, now_ms).await;
    let last = store.newest_ms().unwrap();
    let seed = dashboard::load(Path::new("tests/fixtures/grafana/gateway.json")).unwrap();
    let timing = Timing { scrape_interval: Duration::from_secs(1), range: Duration::from_secs(3600) };
    let compiled = dashboard::Compiled::new(seed, timing);
    let panel_exprs: Vec<String> =
        compiled.panels.iter().flat_map(|p| p.queries.iter().map(|q| q.expanded.clone())).collect();
    assert_eq!(panel_exprs.len(), 17, "every query of the seed dashboard");

    let mut compared = 0;
    let mut non_empty = 0;
    // Instants on a scrape (as the live dashboard evaluates: range edges fall on samples
    // there) and between scrapes.
    for at in [last, last - 3_000, last - 317, last - 6_661] {
        for expr in panel_exprs.iter().map(String::as_str).chain(COVERAGE.iter().copied()) {
            let expected = theirs(&api(&http, &prom.url, expr, at).await);
            let got = ours(&store, expr, at);
            let keys = |r: &Results| r.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&got), keys(&expected), "{expr} at {at}: series differ");
            for (k, v) in &expected {
                assert!(same(got[k], *v), "{expr} at {at}: {k} is {} here, {v} in Prometheus", got[k]);
            }
            non_empty += usize::from(!expected.is_empty());
            compared += 1;
        }
        for expr in BY_VALUE {
            let sorted = |r: Results| {
                let mut v: Vec<f64> = r.into_values().collect();
                v.sort_by(f64::total_cmp);
                v
            };
            let expected = sorted(theirs(&api(&http, &prom.url, expr, at).await));
            let got = sorted(ours(&store, expr, at));
            assert_eq!(got, expected, "{expr} at {at}");
        }
    }
    assert!(non_empty * 10 >= compared * 9, "most expressions have data: {non_empty} of {compared}");
}
