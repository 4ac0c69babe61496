//! The aggregator's tick over a simulated day (`cargo bench --bench ticks`): 10 tools, four
//! ticks a second for 86,400 seconds of run time, 250 requests recorded between ticks (1,000
//! a second). The aggregator is handed the run's elapsed time, so the day passes in seconds.
//! Goal: a tick (drain the shards, merge, close the second, publish the snapshot) costs the
//! same after 24 hours as after a minute, and the process's memory grows only by the
//! per-second series the report keeps. Then the bound for a big machine: a minute of ticks
//! with 64 worker shards, every one of them busy on all 10 tools.

use proofdeck::metrics::aggregate::{Aggregator, Progress};
use proofdeck::metrics::shard::Shard;
use proofdeck::metrics::{Recorder, Snapshot, StepRecord};
use std::time::Instant;

const TOOLS: usize = 10;
const TICKS_PER_SECOND: u32 = 4;
const REQUESTS_PER_TICK: usize = 250;
const DAY: u32 = 86_400;

/// The process's RSS, as the cockpit reads its own.
fn rss_mib() -> f64 {
    proofdeck::procstat::read_self().rss_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0)
}

fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): a few simulated seconds there.
    let full = std::env::args().any(|a| a == "--bench");
    let day = if full { DAY } else { 8 };
    // Each figure is the `span` seconds of ticks starting here.
    let span = if full { 60 } else { 2 };
    let windows =
        if full { [(60, "1 min"), (3_600, "1 h"), (DAY - 60, "24 h")] } else { [(0, "0 s"), (2, "2 s"), (4, "4 s")] };
    let names: Vec<String> = (0..TOOLS).map(|i| format!("tool{i}")).collect();
    let recorder = Recorder::new(TOOLS, 0, 2);
    let mut aggregator = Aggregator::new(Snapshot::empty(&names, &[]));
    let progress = Progress::default();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); windows.len()];
    let mut rss = vec![0.0; windows.len()];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let started = Instant::now();
    for second in 0..day {
        let window = windows.iter().position(|(at, _)| (*at..at + span).contains(&second));
        for quarter in 0..TICKS_PER_SECOND {
            for i in 0..REQUESTS_PER_TICK {
                // A cheap xorshift spreads latencies over 0.1–50 ms.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let latency_us = 100 + x % 50_000;
                recorder.record_step(StepRecord {
                    tool: i % TOOLS,
                    latency_us,
                    service_us: latency_us - latency_us / 10,
                    status: if x.is_multiple_of(100) { 503 } else { 200 },
                    error: None,
                    kpi: true,
                    fast_fail: false,
                    cache: None,
                });
            }
            let elapsed = second as f64 + f64::from(quarter) / f64::from(TICKS_PER_SECOND);
            let t = Instant::now();
            std::hint::black_box(aggregator.tick(&recorder, &progress, elapsed));
            if let Some(w) = window {
                samples[w].push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        if let Some(w) = window {
            rss[w] = rss_mib();
        }
    }
    for (((_, label), mut ticks), rss) in windows.iter().zip(samples).zip(rss) {
        ticks.sort_by(f64::total_cmp);
        let (p50, p99) = (ticks[ticks.len() / 2], ticks[ticks.len() * 99 / 100]);
        println!("after {label:>5}: a tick in {p50:6.1} µs median, {p99:6.1} µs p99; RSS {rss:5.1} MiB");
    }
    many_cores(&names, &progress, if full { 60 * TICKS_PER_SECOND } else { 1 });
    println!(
        "{} simulated s ({} ticks, {} M requests recorded) in {:.0} s",
        day,
        day * TICKS_PER_SECOND,
        u64::from(day * TICKS_PER_SECOND) * REQUESTS_PER_TICK as u64 / 1_000_000,
        started.elapsed().as_secs_f64()
    );
}

/// `ticks` ticks on a 64-core machine: each merges 64 busy shards of 10 tools.
fn many_cores(names: &[String], progress: &Progress, ticks: u32) {
    const SHARDS: usize = 64;
    let recorder = Recorder::new(TOOLS, 0, SHARDS);
    let mut aggregator = Aggregator::new(Snapshot::empty(names, &[]));
    let mut busy = Shard::new(TOOLS, 0);
    for tool in &mut busy.tools {
        for v in 0..40u64 {
            let _ = tool.latency.record(100 + v * 997);
            let _ = tool.service.record(90 + v * 900);
        }
        tool.ok = 40;
        tool.codes.push((200, 40));
    }
    for v in 0..400u64 {
        let _ = busy.kpi_latency.record(100 + v * 97);
        let _ = busy.dispatch.record(10 + v);
    }
    busy.completed = 400;
    let mut samples = Vec::new();
    for tick in 0..ticks {
        for shard in 0..SHARDS {
            recorder.absorb(shard, &busy);
        }
        let t = Instant::now();
        std::hint::black_box(aggregator.tick(&recorder, progress, f64::from(tick) / f64::from(TICKS_PER_SECOND)));
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let (p50, p99) = (samples[samples.len() / 2], samples[samples.len() * 99 / 100]);
    println!(
        "{SHARDS} busy shards × {TOOLS} tools: a tick in {p50:6.0} µs median, {p99:6.0} µs p99 ({:.1} % of a core at {TICKS_PER_SECOND} ticks/s)",
        p50 * f64::from(TICKS_PER_SECOND) / 1e4
    );
}
