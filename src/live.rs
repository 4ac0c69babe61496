//! What a run knows besides the engine's snapshot: the target's scraped state, chaos state
//! with effect checks, and the event log. Views read these; only the session writes them.

use crate::scrape::profile::TargetReading;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default)]
pub struct TargetView {
    /// The latest reading derived from the last two good scrapes.
    pub reading: Option<TargetReading>,
    /// The last scrape failed; `reading` is older than it looks.
    pub stale: bool,
    pub last_error: Option<String>,
    pub scrapes_ok: u64,
    pub scrapes_failed: u64,
    pub unreadable_lines: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveChaos {
    pub tool: String,
    pub mode: String,
    pub pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectVerdict {
    Pending,
    Observed,
    /// The client saw no change, but the target counted the injected failures: its retries
    /// or cache absorbed them.
    Absorbed,
    NoObservedEffect,
    NotEnoughTraffic,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectCheck {
    /// The chaos change this check judges, as numbered on the run's timeline.
    #[serde(default)]
    pub id: u32,
    /// Who made the change: "by key", "by schedule", "outside this run".
    #[serde(default)]
    pub by: String,
    pub tool: String,
    pub mode: String,
    pub pct: f64,
    pub injected_at_s: f64,
    pub verdict: EffectVerdict,
    /// The numbers behind the verdict, in words (before vs after).
    pub detail: String,
}

#[derive(Clone, Debug, Default)]
pub struct ChaosView {
    /// As last read from the target: the truth, whoever set it.
    pub active: Vec<ActiveChaos>,
    pub checks: Vec<EffectCheck>,
    pub last_error: Option<String>,
    /// Set when the target has no chaos admin API at all: said quietly, never as an error.
    pub unavailable: Option<String>,
}

/// Chaos this run set and could not clear: the target still fails on purpose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChaosLeft {
    pub tool: String,
    /// What the target still reports for the tool ("500 100%"), or "unknown".
    pub state: String,
    /// Why it is still there: the last clear's error, or that the target could not be asked.
    pub why: String,
}

/// What the cockpit and the logs say of a target without chaos routes.
pub const NO_CHAOS_API: &str = "no chaos API on this target";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Phase,
    Chaos,
    Breaker,
    Scrape,
    Reconcile,
    Control,
    Report,
    /// A new distinct reason requests failed (its first occurrence).
    Failure,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub t_s: f64,
    pub kind: EventKind,
    pub text: String,
}
