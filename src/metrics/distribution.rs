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
    /// Its share of the schedule (1/N, or its weight's share).
    #[serde(default)]
    pub share: f64,
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

impl Distribution {
    /// One line: shards, start skew, clock uncertainty, merge cost, coverage.
    pub fn headline(&self) -> String {
        let lost = self.lanes.iter().filter(|l| l.state == LaneState::Lost).count();
        let skew = match (self.start_skew_ms, self.clock_uncertainty_ms) {
            (Some(s), Some(u)) => format!("start skew {s:.3} ms (clock offsets measured ±{u:.3} ms)"),
            (Some(s), None) => format!("start skew {s:.3} ms"),
            _ => "start skew not measured".into(),
        };
        let merge = if self.merge_us_per_s > 0.0 {
            format!(", merge {:.0} µs per second of run", self.merge_us_per_s)
        } else {
            String::new()
        };
        let lost = if lost > 0 { format!(", {lost} LOST") } else { String::new() };
        format!(
            "{} shard(s){lost}, {skew}{merge}, figures over {:.1} % of the schedule",
            self.shards,
            self.coverage * 100.0
        )
    }

    /// A lane as table cells: shard, state, arrivals, completed, dropped, dispatch p99,
    /// clock offset, start error, what happened.
    pub fn rows(&self) -> Vec<[String; 9]> {
        let ms = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.3}"));
        self.lanes
            .iter()
            .map(|l| {
                let note = match (&l.lost_why, l.lost_at_s) {
                    (Some(why), Some(at)) => format!("lost at {at:.1} s: {why}"),
                    (Some(why), None) => why.clone(),
                    _ => l.peer.clone(),
                };
                [
                    l.index.to_string(),
                    l.state.name().into(),
                    l.arrivals.to_string(),
                    l.completed.to_string(),
                    l.dropped.to_string(),
                    format!("{:.3}", l.late_p99_ms),
                    ms(l.clock_offset_ms),
                    ms(l.start_error_ms),
                    note,
                ]
            })
            .collect()
    }
}

/// Column titles of [`Distribution::rows`].
pub const LANE_COLUMNS: [&str; 9] =
    ["shard", "state", "arrivals", "completed", "dropped", "late p99 ms", "clock offset ms", "start error ms", "note"];
