//! The immutable picture of a run that the cockpit, the headless printer and the report read.

use super::shard::{ErrorClass, ERROR_CLASSES};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Quantiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Quantiles {
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Self {
        Self::scan(h, None)
    }

    /// [`of`](Self::of), but the mean is `previous`'s unless `with_mean` (or `previous` had
    /// no samples): the quantiles are one vectorised scan of the counts, where the mean is a
    /// slower walk over every recorded value, and a live view can show a mean a second old.
    pub fn keeping_mean(h: &hdrhistogram::Histogram<u64>, previous: &Self, with_mean: bool) -> Self {
        Self::scan(h, (!with_mean && previous.count > 0).then_some(previous.mean_ms))
    }

    fn scan(h: &hdrhistogram::Histogram<u64>, mean_ms: Option<f64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        // One scan of the counts for all four.
        let mut q = h.value_at_quantiles([0.50, 0.90, 0.95, 0.99]).map(ms);
        let mut next = || q.next().unwrap_or_default();
        Self {
            count: h.len(),
            p50_ms: next(),
            p90_ms: next(),
            p95_ms: next(),
            p99_ms: next(),
            max_ms: ms(h.max()),
            mean_ms: mean_ms.unwrap_or_else(|| h.mean() / 1000.0),
        }
    }
}

/// Counts per error class, indexed by `ErrorClass::index`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts(#[serde(with = "class_counts")] pub [u64; ERROR_CLASSES]);

/// Per-class count arrays in `report.json`: reports written before a class was added have
/// shorter arrays, read as zeros for the new classes.
pub mod class_counts {
    use super::ERROR_CLASSES;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[u64; ERROR_CLASSES], s: S) -> Result<S::Ok, S::Error> {
        v.as_slice().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u64; ERROR_CLASSES], D::Error> {
        let v = Vec::<u64>::deserialize(d)?;
        if v.len() > ERROR_CLASSES {
            return Err(serde::de::Error::custom(format!(
                "{} error classes, expected at most {ERROR_CLASSES}",
                v.len()
            )));
        }
        let mut out = [0; ERROR_CLASSES];
        out[..v.len()].copy_from_slice(&v);
        Ok(out)
    }
}

/// The first distinct reasons a tool's requests failed with, per class, with counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureSample {
    pub tool: String,
    pub class: ErrorClass,
    /// Masked: no captured secret, no token-like body field.
    pub detail: String,
    pub count: u64,
}

/// Adds `from`'s (status, count) pairs into `into`, which stays sorted by status.
pub fn add_codes(into: &mut Vec<(u16, u64)>, from: &[(u16, u64)]) {
    for (code, count) in from {
        match into.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += count,
            None => into.push((*code, *count)),
        }
    }
    into.sort_unstable();
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn get(&self, class: ErrorClass) -> u64 {
        self.0[class.index()]
    }

    pub fn add(&mut self, other: &[u64; ERROR_CLASSES]) {
        for (a, b) in self.0.iter_mut().zip(other) {
            *a += b;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (ErrorClass, u64)> + '_ {
        ErrorClass::ALL.iter().map(|c| (*c, self.0[c.index()]))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    Starting,
    Setup { done: u64, total: u64 },
    Running,
    Paused,
    Draining,
    Finished,
    Interrupted,
    Aborted { reason: String },
}

impl RunStatus {
    /// The run has ended: finished, interrupted or aborted.
    pub fn is_final(&self) -> bool {
        matches!(self, RunStatus::Finished | RunStatus::Interrupted | RunStatus::Aborted { .. })
    }

    /// No more load will be sent: draining its requests in flight, or ended.
    pub fn load_over(&self) -> bool {
        *self == RunStatus::Draining || self.is_final()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseView {
    pub index: usize,
    pub count: usize,
    pub name: String,
    pub elapsed_s: f64,
    pub duration_s: f64,
    pub next: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToolView {
    pub name: String,
    /// The row counts a flow's steps that name no tool, under the flow's name: no target
    /// counter or chaos API knows it.
    #[serde(default)]
    pub by_flow: bool,
    pub requests: u64,
    pub ok: u64,
    pub errors: ErrorCounts,
    /// Completions per second over the last second.
    pub rps: f64,
    pub latency: Quantiles,
    pub service: Quantiles,
    pub codes: Vec<(u16, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FlowView {
    pub name: String,
    pub kind: crate::scenario::FlowKind,
    pub weight: f64,
    pub iterations: u64,
    pub ok: u64,
    pub failed: u64,
    pub correct_denials: u64,
    pub breaches: u64,
}

/// One second of the run. Per-tool columns are shared slices, so cloning the series for
/// every snapshot copies pointers, not numbers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SecondPoint {
    pub t: u32,
    pub phase: usize,
    /// Arrivals the schedule planned in this second (after the rate multiplier).
    pub scheduled: u64,
    /// Arrivals actually started (scheduled minus dropped).
    pub started: u64,
    pub completed: u64,
    pub dropped: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    #[serde(with = "class_counts")]
    pub errors: [u64; ERROR_CLASSES],
    /// Completions per tool, in the snapshot's tool order.
    pub tool_completed: Arc<[u64]>,
    /// Errors per tool, in the same order.
    pub tool_errors: Arc<[u64]>,
    /// p99 latency per tool in this second (0 without completions), in the same order.
    pub tool_p99_ms: Arc<[f64]>,
}

impl SecondPoint {
    /// Second `t` of phase `phase` with nothing in it yet, with columns for `tools` tools.
    pub fn empty(t: u32, phase: usize, tools: usize) -> Self {
        Self {
            t,
            phase,
            scheduled: 0,
            started: 0,
            completed: 0,
            dropped: 0,
            p50_ms: 0.0,
            p95_ms: 0.0,
            p99_ms: 0.0,
            errors: [0; super::shard::ERROR_CLASSES],
            tool_completed: Arc::from(vec![0; tools]),
            tool_errors: Arc::from(vec![0; tools]),
            tool_p99_ms: Arc::from(vec![0.0; tools]),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub elapsed_s: f64,
    pub status: RunStatus,
    pub phase: Option<PhaseView>,
    pub rate_multiplier: f64,
    /// The schedule's current arrival rate (after the multiplier).
    pub scheduled_rate: f64,
    pub achieved_rps: f64,
    pub arrivals: u64,
    pub started: u64,
    pub dropped: u64,
    pub inflight: u64,
    pub completed: u64,
    pub tools: Vec<ToolView>,
    pub flows: Vec<FlowView>,
    /// Happy-path tool calls in KPI phases: the latency KPI's evidence.
    pub kpi_latency: Quantiles,
    pub kpi_ok: u64,
    pub kpi_total: u64,
    /// Service time of answers that an open breaker gave.
    pub fast_fail: Quantiles,
    /// Time from each request's intended start to its send (scheduler wake-up, hand-off,
    /// templating): what the client adds to every latency.
    #[serde(default)]
    pub dispatch_lag: Quantiles,
    /// Service time of answers the target marked as served from its cache, and as not.
    #[serde(default)]
    pub cache_hit: Quantiles,
    #[serde(default)]
    pub cache_miss: Quantiles,
    pub series: super::Series,
    pub own_cpu_pct: Option<f64>,
    /// CPU seconds this process has used so far.
    pub own_cpu_seconds: Option<f64>,
    pub own_rss_bytes: Option<u64>,
    /// Why requests failed: the first distinct details per tool and class.
    #[serde(default)]
    pub failures: Arc<Vec<FailureSample>>,
    /// A coordinated run: its shards, the start barrier and the merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Arc<super::Distribution>>,
}

impl Snapshot {
    pub fn empty(tools: &[String], flows: &[FlowView]) -> Self {
        Self {
            elapsed_s: 0.0,
            status: RunStatus::Starting,
            phase: None,
            rate_multiplier: 1.0,
            scheduled_rate: 0.0,
            achieved_rps: 0.0,
            arrivals: 0,
            started: 0,
            dropped: 0,
            inflight: 0,
            completed: 0,
            tools: tools
                .iter()
                .map(|name| ToolView {
                    name: name.clone(),
                    by_flow: false,
                    requests: 0,
                    ok: 0,
                    errors: ErrorCounts::default(),
                    rps: 0.0,
                    latency: Quantiles::default(),
                    service: Quantiles::default(),
                    codes: Vec::new(),
                })
                .collect(),
            flows: flows.to_vec(),
            kpi_latency: Quantiles::default(),
            kpi_ok: 0,
            kpi_total: 0,
            fast_fail: Quantiles::default(),
            dispatch_lag: Quantiles::default(),
            cache_hit: Quantiles::default(),
            cache_miss: Quantiles::default(),
            series: super::Series::default(),
            own_cpu_pct: None,
            own_cpu_seconds: None,
            own_rss_bytes: None,
            failures: Arc::new(Vec::new()),
            distribution: None,
        }
    }

    pub fn errors(&self) -> ErrorCounts {
        let mut e = ErrorCounts::default();
        for t in &self.tools {
            e.add(&t.errors.0);
        }
        e
    }

    pub fn requests(&self) -> u64 {
        self.tools.iter().map(|t| t.requests).sum()
    }

    pub fn tool(&self, name: &str) -> Option<&ToolView> {
        self.tools.iter().find(|t| t.name == name)
    }
}
