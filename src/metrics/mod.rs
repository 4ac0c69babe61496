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

/// 1 µs .. 1 h at 3 significant digits, as the spec asks.
pub fn new_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}
