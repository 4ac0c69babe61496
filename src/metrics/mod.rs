//! Measurements: per-worker shards written on the hot path, merged on an interval by the
//! aggregator into immutable snapshots that every view reads.

pub mod aggregate;
pub mod classify;
pub mod codec;
pub mod distribution;
pub mod series;
pub mod shard;
pub mod snapshot;

pub use distribution::{Distribution, LaneState, ShardLane};
pub use series::Series;
pub use shard::{ErrorClass, Recorder, StepRecord};
pub use snapshot::*;

/// The largest value a histogram keeps, in microseconds (1 h); larger ones count as this.
pub const HISTOGRAM_HIGHEST: u64 = 3_600_000_000;

/// 1 µs .. 1 h at 3 significant digits, as the spec asks.
pub fn new_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, HISTOGRAM_HIGHEST, 3).expect("valid histogram bounds")
}

/// A histogram for one interval's samples (a shard between two ticks, one second): the same
/// buckets as [`new_histogram`]'s, but only as many of them as the largest value recorded
/// needs, so that clearing and merging it cost what it holds. The full hour is ~24k counts
/// (188 KB) to zero at every reset, where loopback latencies fill the first ~3k.
pub fn interval_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new(3).expect("valid histogram bounds")
}

/// Records `value` (µs) into `h`, at least 1 and at most [`HISTOGRAM_HIGHEST`], so that no
/// sample is ever refused (an interval histogram grows to any value; a run-wide one stops at
/// the hour, and merging a larger value into it would fail).
pub fn record_clamped(h: &mut hdrhistogram::Histogram<u64>, value: u64) {
    let _ = h.record(value.clamp(1, HISTOGRAM_HIGHEST));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_histogram_adds_exactly_into_a_run_wide_one_and_keeps_values_past_the_hour() {
        let mut interval = interval_histogram();
        let mut direct = new_histogram();
        let values = [1, 3, 250, 2_047, 2_049, 70_000, 5_000_000, 3_599_999_999, 7_200_000_000];
        for (i, v) in values.into_iter().enumerate() {
            for _ in 0..=i {
                record_clamped(&mut interval, v);
                record_clamped(&mut direct, v);
            }
        }
        let mut run = new_histogram();
        run.add(&interval).expect("an interval fits the run-wide range");
        assert_eq!(run.len(), 45, "no sample refused, the 2-hour one included");
        let counts = |h: &hdrhistogram::Histogram<u64>| {
            h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect::<Vec<_>>()
        };
        assert_eq!(counts(&run), counts(&direct));
        assert_eq!(run.max(), direct.max());

        // Cleared, it holds nothing; a 0 µs answer counts in the 1 µs bucket.
        interval.reset();
        record_clamped(&mut interval, 0);
        assert_eq!((interval.len(), interval.max()), (1, 1), "0 µs counts as the 1 µs bucket");
    }

    #[test]
    fn quantiles_of_one_scan_are_those_of_the_crate_and_a_kept_mean_is_the_previous_one() {
        let mut h = new_histogram();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            record_clamped(&mut h, 50 + x % 40_000);
        }
        let q = Quantiles::of(&h);
        let ms = |us: u64| us as f64 / 1000.0;
        assert_eq!(
            [q.p50_ms, q.p90_ms, q.p95_ms, q.p99_ms, q.max_ms, q.mean_ms],
            [
                ms(h.value_at_quantile(0.5)),
                ms(h.value_at_quantile(0.9)),
                ms(h.value_at_quantile(0.95)),
                ms(h.value_at_quantile(0.99)),
                ms(h.max()),
                h.mean() / 1000.0
            ]
        );
        let previous = Quantiles { count: 1, mean_ms: 12.5, ..q };
        assert_eq!(Quantiles::keeping_mean(&h, &previous, false).mean_ms, 12.5);
        assert_eq!(Quantiles::keeping_mean(&h, &previous, true).mean_ms, q.mean_ms);
        let none_before = Quantiles::default();
        assert_eq!(Quantiles::keeping_mean(&h, &none_before, false).mean_ms, q.mean_ms, "a first mean is computed");
    }
}
