//! Parsing the real gateway's 27 KB exposition (`cargo bench --bench parser`).
//! Goal: well under a millisecond per parse.

use proofdeck::scrape::parser;
use std::time::Instant;

fn main() {
    let text = include_str!("../tests/fixtures/prometheus/4runr-live-sample.prom");
    let rounds = 2000;
    let mut samples = Vec::with_capacity(rounds);
    let mut count = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let e = parser::parse(text);
        samples.push(t.elapsed().as_secs_f64() * 1e6);
        count += e.samples_parsed;
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "parse {} bytes: median {:.1} µs, p99 {:.1} µs ({} samples per parse)",
        text.len(),
        samples[rounds / 2],
        samples[rounds * 99 / 100],
        count / rounds
    );
    let before = parser::parse(include_str!("../tests/fixtures/prometheus/4runr-chaos-after.prom"));
    let after = parser::parse(include_str!("../tests/fixtures/prometheus/4runr-big-after.prom"));
    let p = proofdeck::scrape::profile_file::four_runr();
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(p.read(Some((&before, 0.0)), (&after, 2.0)));
    }
    println!("profile read of two scrapes: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / rounds as f64);
}
