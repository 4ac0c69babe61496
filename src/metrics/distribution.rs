//! A sharded run as the coordinator sees it: one lane per shard, the start barrier's
//! measured skew and the merge's cost. Carried by the snapshot, so the cockpit, the headless
//! printer and the report read it like everything else.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Distribution {
    pub shards: usize,
    pub lanes: Vec<ShardLane>,
    /// Spread of the shards' actual starts on the coordinator's clock, ms (`None` before
    /// every shard started).
    pub start_skew_ms: Option<f64>,
    /// The clock offsets' uncertainty: half the largest round trip they were measured over, ms.
    pub clock_uncertainty_ms: Option<f64>,
    /// Coordinator time spent decoding and merging shard intervals, µs per second of run.
    pub merge_us_per_s: f64,
    /// Share of the schedule the figures cover (1.0 unless a shard was lost).
    pub coverage: f64,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LaneState {
    #[default]
    Joined,
    Ready,
    Running,
    Done,
    Lost,
}

impl LaneState {
    pub fn name(self) -> &'static str {
        match self {
            LaneState::Joined => "joined",
            LaneState::Ready => "ready",
            LaneState::Running => "running",
            LaneState::Done => "done",
            LaneState::Lost => "LOST",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ShardLane {
    pub index: usize,
    pub state: LaneState,
    /// Where it connected from.
    pub peer: String,
    /// Its clock minus the coordinator's, ms, and the round trip that was measured over.
    pub clock_offset_ms: Option<f64>,
    pub rtt_ms: Option<f64>,
    /// Its actual start minus the planned start, on the coordinator's clock, ms.
    pub start_error_ms: Option<f64>,
    /// Its part of the schedule's current rate, and what it completed in the last second.
    pub scheduled_rate: f64,
    pub achieved_rps: f64,
    pub arrivals: u64,
    pub dropped: u64,
    pub completed: u64,
    /// Its dispatch lag p99 so far (how late its arrivals went out), ms.
    pub late_p99_ms: f64,
    /// Seconds since its last interval, at the snapshot's time.
    pub heartbeat_age_s: f64,
    /// When (run clock) and why it was lost.
    pub lost_at_s: Option<f64>,
    pub lost_why: Option<String>,
}
