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

/// What every shard and the coordinator must agree on for their stripes to add up to one
/// schedule: the scenario, and the flags that shape its plan.
pub fn plan_id(config: &crate::config::RunConfig) -> String {
    use sha2::Digest;
    let e = &config.engine;
    let plan = format!(
        "{}|{}|{:?}|{:?}|{:?}",
        config.scenario.hash(),
        e.rate_scale,
        e.duration_cap,
        e.only_phase,
        config.shard_weights
    );
    hex::encode(&sha2::Sha256::digest(plan.as_bytes())[..8])
}
