//! What a run knows besides the engine's snapshot: the target's scraped state, chaos state
//! with effect checks, and the event log. Views read these; only the session writes them.

use crate::scrape::profile::TargetReading;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TargetView {
    /// The latest reading derived from the last two good scrapes.
    pub reading: Option<TargetReading>,
    /// The last scrape failed; `reading` is older than it looks.
    pub stale: bool,
    pub last_error: Option<String>,
    pub scrapes_ok: u64,
    pub scrapes_failed: u64,
    pub unreadable_lines: usize,
    /// The highest event-loop lag any scrape showed, in ms (the lag KPI's evidence).
    pub event_loop_lag_max_ms: Option<f64>,
    /// The target's own p99 (ms, from its latency histogram) per scrape, on the run clock:
    /// drawn beside the client's p99, the gap being network, queueing and gateway overhead.
    pub target_p99_ms: Vec<(f64, f64)>,
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

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
    /// The event in words, composed once from `event`, for people.
    pub text: String,
    /// The event itself, for code: charts, markers and the report read this, never `text`.
    /// `None` only in reports written before events were typed.
    #[serde(default)]
    pub event: Option<Event>,
}

impl LogEvent {
    pub fn new(t_s: f64, event: Event) -> Self {
        Self { t_s, kind: event.kind(), text: event.to_string(), event: Some(event) }
    }

    /// A chaos change on the target (an injection or a clear, by anyone): a chart marker.
    pub fn is_chaos_change(&self) -> bool {
        matches!(self.event, Some(Event::ChaosInjected { .. } | Event::ChaosCleared { .. }))
    }
}

/// Everything that goes on a run's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    PhaseStarted {
        index: usize,
        name: String,
    },
    /// Chaos set on a tool, by this run ("by key", "by schedule") or "outside this run".
    ChaosInjected {
        id: u32,
        tool: String,
        mode: String,
        pct: f64,
        by: String,
    },
    ChaosCleared {
        tool: String,
        by: String,
    },
    /// An injection or clear that did not happen, and why.
    ChaosFailed {
        action: String,
        error: String,
    },
    ChaosVerdict {
        id: u32,
        tool: String,
        verdict: EffectVerdict,
        detail: String,
    },
    ChaosUnavailable {
        detail: String,
    },
    ChaosLeft {
        tool: String,
        state: String,
        why: String,
    },
    Breaker {
        tool: String,
        from: u8,
        to: u8,
    },
    ScrapeFailed {
        error: String,
    },
    ReconcileMismatch {
        tool: String,
        note: String,
    },
    ReconcileFinding {
        finding: String,
    },
    Control {
        command: String,
    },
    ReportExported {
        dir: String,
    },
    ReportFailed {
        error: String,
    },
    Failure {
        tool: String,
        class: crate::metrics::ErrorClass,
        detail: String,
    },
    /// A sharded run: a shard joined, started, finished or was lost; or the coordinator was.
    Shard {
        note: String,
    },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::PhaseStarted { .. } => EventKind::Phase,
            Event::ChaosInjected { .. }
            | Event::ChaosCleared { .. }
            | Event::ChaosFailed { .. }
            | Event::ChaosVerdict { .. }
            | Event::ChaosUnavailable { .. }
            | Event::ChaosLeft { .. } => EventKind::Chaos,
            Event::Breaker { .. } => EventKind::Breaker,
            Event::ScrapeFailed { .. } => EventKind::Scrape,
            Event::ReconcileMismatch { .. } | Event::ReconcileFinding { .. } => EventKind::Reconcile,
            Event::Control { .. } | Event::Shard { .. } => EventKind::Control,
            Event::ReportExported { .. } | Event::ReportFailed { .. } => EventKind::Report,
            Event::Failure { .. } => EventKind::Failure,
        }
    }
}

/// "closed", "half-open", "open" for the breaker state numbers of the target's gauge.
pub fn breaker_state_name(s: u8) -> &'static str {
    match s {
        0 => "closed",
        1 => "half-open",
        _ => "open",
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::PhaseStarted { name, .. } => write!(f, "phase {name}"),
            Event::ChaosInjected { id, tool, mode, pct, by } => write!(f, "#{id} inject {tool} {mode} {pct}% ({by})"),
            Event::ChaosCleared { tool, by } => write!(f, "clear {tool} ({by})"),
            Event::ChaosFailed { action, error } => write!(f, "{action}: {error}"),
            Event::ChaosVerdict { id, tool, verdict, detail } => {
                let v = match verdict {
                    EffectVerdict::Observed => "effect observed — ",
                    EffectVerdict::Absorbed => "absorbed by the target — ",
                    EffectVerdict::NoObservedEffect => "injected, no observed effect — ",
                    EffectVerdict::NotEnoughTraffic | EffectVerdict::Pending => "",
                };
                write!(f, "#{id} {tool}: {v}{detail}")
            }
            Event::ChaosUnavailable { detail } => write!(f, "{NO_CHAOS_API} ({detail})"),
            Event::ChaosLeft { tool, state, why } => write!(f, "CHAOS LEFT ON THE TARGET: {tool} {state} ({why})"),
            Event::Breaker { tool, from, to } => {
                write!(f, "breaker {tool}: {} → {}", breaker_state_name(*from), breaker_state_name(*to))
            }
            Event::ScrapeFailed { error } => write!(f, "{error}; target panels are stale"),
            Event::ReconcileMismatch { tool, note } => write!(f, "{tool}: {note}"),
            Event::ReconcileFinding { finding } => write!(f, "finding: {finding}"),
            Event::Control { command } => f.write_str(command),
            Event::Shard { note } => f.write_str(note),
            Event::ReportExported { dir } => write!(f, "report exported to {dir}"),
            Event::ReportFailed { error } => write!(f, "report export failed: {error}"),
            Event::Failure { tool, class, detail } => write!(f, "{tool} {}: {detail}", class.name()),
        }
    }
}
