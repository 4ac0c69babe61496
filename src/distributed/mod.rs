//! Runs spread over machines: shards fire stripes of one global schedule, a coordinator sets
//! a common start and merges their intervals exactly into the snapshots a local run makes.
//! Kubernetes (an Indexed Job) is the distributed engine; this adds the start barrier, the
//! rate split and the exact merge.

pub mod clock;
pub mod control;
pub mod coordinator;
pub mod k8s;
pub mod merge;
pub mod shard_link;
pub mod wire;
