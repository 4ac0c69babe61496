//! Publishing the per-second series with a snapshot after 1 minute, 1 hour and 24 hours of
//! run (`cargo bench --bench series`). Goal: the same cost at every age; for reference, the
//! cost of copying the whole series as a flat `Vec`, as snapshots once did.

use proofdeck::metrics::series::SeriesBuilder;
use proofdeck::metrics::SecondPoint;
use std::time::Instant;

const TOOLS: usize = 10;

/// A busy second: every column of every tool filled.
fn point(t: u32) -> SecondPoint {
    SecondPoint { scheduled: 100, started: 100, completed: 100, p99_ms: 3.0, ..SecondPoint::empty(t, 0, TOOLS) }
}

/// Median and p99 of `f` over `rounds` calls, in µs.
fn time(rounds: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[rounds / 2], samples[rounds * 99 / 100])
}

fn main() {
    for (label, age) in [("1 min", 60u32), ("1 h", 3_600), ("24 h", 86_400)] {
        let mut chunked = SeriesBuilder::default();
        let mut flat = Vec::with_capacity(age as usize + 1000);
        for t in 0..age {
            chunked.push(point(t));
            flat.push(point(t));
        }
        let rounds = 1000;
        let (c50, c99) = time(rounds, |i| {
            chunked.push(point(age + i as u32));
            std::hint::black_box(chunked.series());
        });
        let (f50, f99) = time(rounds, |i| {
            flat.push(point(age + i as u32));
            std::hint::black_box(std::sync::Arc::new(flat.clone()));
        });
        println!(
            "after {label:>5}: one second published in {c50:7.1} µs median, {c99:7.1} µs p99 (chunked) · flat copy {f50:9.1} µs median, {f99:9.1} µs p99"
        );
    }
}
