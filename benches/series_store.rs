//! The dashboard's series store at its cap (`cargo bench --bench series_store`): 100,000
//! series kept over a 5-minute window at one scrape every 2 s, as the seed dashboard's `[5m]`
//! ranges need. Prints the store's own accounting, its stated bound and the process's RSS,
//! the cost of ingesting one scrape, and of evaluating a rate aggregation over all of it.

use proofdeck::promql::store::{key, SeriesKey};
use proofdeck::promql::{Evaluator, Query, SeriesStore};
use std::time::{Duration, Instant};

const INTERVAL_MS: i64 = 2_000;

fn rss_mib() -> f64 {
    proofdeck::procstat::read_self().rss_bytes.map_or(f64::NAN, |b| b as f64 / 1024.0 / 1024.0)
}

fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): a small smoke run there.
    let full = std::env::args().any(|a| a == "--bench");
    let series_count = if full { 100_000 } else { 1_000 };
    let before = rss_mib();
    let keys: Vec<SeriesKey> = (0..series_count)
        .map(|i| {
            let tool = ["serpapi", "http_fetch", "openai", "gmail_send"][i % 4];
            key("gateway_requests_total", [("tool", tool), ("agent_id", &*format!("{i:08}")), ("code", "200")])
        })
        .collect();
    let widest = keys.iter().map(|k| k.iter().map(|(a, b)| 32 + a.len() + b.len()).sum::<usize>()).max().unwrap();
    let mut store = SeriesStore::new(Duration::from_secs(300), Duration::from_millis(INTERVAL_MS as u64), series_count);
    let mut ingest = Vec::new();
    // 5 min 20 s of scrapes: the window fills and eviction runs on every scrape after.
    for scrape in 0..160i64 {
        let samples: Vec<(SeriesKey, f64)> = keys.iter().map(|k| (k.clone(), scrape as f64)).collect();
        let t = Instant::now();
        store.ingest_samples(scrape * INTERVAL_MS, samples);
        ingest.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ingest.sort_by(f64::total_cmp);
    let q = Query::parse("sum by (tool) (rate(gateway_requests_total[5m]))").unwrap();
    let t = Instant::now();
    let value = Evaluator::new(&store).eval(&q.expr, 159 * INTERVAL_MS).unwrap();
    let eval_ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(matches!(value, proofdeck::promql::Value::Vector(ref v) if v.len() == 4));
    println!(
        "{series_count} series, {} scrapes kept: store {:.1} MiB (bound {:.1} MiB), process RSS {:.1} MiB (+{:.1} MiB)",
        store.scrapes(),
        store.memory_bytes() as f64 / 1048576.0,
        store.bound_bytes(widest) as f64 / 1048576.0,
        rss_mib(),
        rss_mib() - before,
    );
    println!(
        "ingest one scrape: median {:.1} ms, p99 {:.1} ms; sum by (tool) (rate(…[5m])) over all: {eval_ms:.1} ms",
        ingest[ingest.len() / 2],
        ingest[ingest.len() * 99 / 100]
    );
}
