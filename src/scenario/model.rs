//! The validated scenario: everything the engine needs, with templates compiled.

use super::template::{Body, Template};
use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub target: Option<String>,
    pub profile: String,
    /// The file's text, kept for the report ("the scenario as run") and its hash.
    pub source: String,
    pub defaults: Defaults,
    /// `[vars]` lists, by index; `list_names[i]` names `lists[i]`.
    pub list_names: Vec<String>,
    pub lists: Vec<Vec<Value>>,
    pub pools: Vec<Pool>,
    pub setup: Vec<SetupGroup>,
    pub phases: Vec<Phase>,
    pub flows: Vec<Flow>,
    pub chaos: Vec<ChaosEntry>,
    pub kpi: Kpi,
    pub gateway: EmbeddedGateway,
}

#[derive(Clone, Debug)]
pub struct Defaults {
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub max_inflight: usize,
    /// Seconds the chaos effect check compares on each side of an injection.
    pub effect_window: Duration,
    /// Every request over HTTP/2 (h2c with prior knowledge, or ALPN `h2` over TLS).
    pub http2: bool,
}

#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    /// Captured field names; entries hold values in this order.
    pub fields: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Repeat {
    Count(usize),
    /// Sized from the phases' peak rate and the target's per-agent rate limit.
    Auto {
        calls: u32,
        window: Duration,
    },
}

#[derive(Clone, Debug)]
pub struct SetupGroup {
    pub name: String,
    pub repeat: Repeat,
    pub pool: Option<usize>,
    pub steps: Vec<Step>,
    /// Number of capture slots the group's steps use.
    pub slots: usize,
}

#[derive(Clone, Debug)]
pub struct Phase {
    pub name: String,
    pub duration: Duration,
    pub rate: f64,
    pub ramp_to: Option<f64>,
    /// Whether latency and success KPIs count this phase (false for chaos windows).
    pub kpi: bool,
    /// What the phase is for; the cache and memory KPIs are judged over their kind's phases.
    pub kind: PhaseKind,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    /// Ramps, spikes, steady load: nothing beyond latency and success is judged on it alone.
    #[default]
    Load,
    /// Repeated queries: the cache hit ratio is measured over these phases.
    Cache,
    /// Long steady load: the target's memory growth is measured over it.
    Soak,
    /// Chaos windows: out of the latency and success KPIs unless `kpi = true`.
    Chaos,
}

impl PhaseKind {
    pub const NAMES: &'static str = "load, cache, soak or chaos";

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "load" => Self::Load,
            "cache" => Self::Cache,
            "soak" => Self::Soak,
            "chaos" => Self::Chaos,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::Cache => "cache",
            Self::Soak => "soak",
            Self::Chaos => "chaos",
        }
    }
}

impl Phase {
    pub fn end_rate(&self) -> f64 {
        self.ramp_to.unwrap_or(self.rate)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// Expects success: counts toward the success-rate and latency KPIs.
    Happy,
    /// Expects a policy denial: a 200 there is a policy breach.
    Denial,
    /// Expects a security refusal (bad proof, revoked token): intentional provenance mismatches.
    Security,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub name: String,
    pub weight: f64,
    pub kind: FlowKind,
    pub steps: Vec<Step>,
    pub slots: usize,
}

#[derive(Clone, Debug)]
pub struct Capture {
    pub slot: usize,
    /// JSON pointer into the response body (RFC 6901), e.g. `/agent_token`.
    pub pointer: String,
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub method: http::Method,
    pub path: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Body>,
    pub tool: Option<String>,
    pub expect: Vec<u16>,
    pub captures: Vec<Capture>,
    /// Pools this step draws from (so an iteration picks its entry before rendering).
    pub pools: Vec<usize>,
}

impl Step {
    pub fn expects_denial(&self) -> bool {
        self.expect.iter().all(|c| *c == 401 || *c == 403)
    }
}

#[derive(Clone, Debug)]
pub struct ChaosEntry {
    pub at: Duration,
    pub tool: String,
    pub mode: String,
    pub pct: f64,
    pub duration: Option<Duration>,
}

/// KPI targets; the seed campaign's defaults. Latency and success apply to every run; the
/// gateway campaign's KPIs are `None` where they do not apply (quick runs).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Kpi {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub success_pct: f64,
    pub fast_fail_ms: Option<f64>,
    pub retry_resolve_pct: Option<f64>,
    pub denied_pct: Option<f64>,
    pub provenance_mismatches: Option<f64>,
    pub cache_hit_pct: Option<f64>,
    pub memory_growth_pct: Option<f64>,
    /// The shortest soak phase over which memory growth means anything.
    pub soak_min: Duration,
    /// At most this many breaker state changes per tool in one steady phase (load or soak,
    /// judged): more is flapping.
    #[serde(default)]
    pub breaker_changes: Option<f64>,
    /// The target's event-loop lag at most this, in ms, over every scrape of the run.
    #[serde(default)]
    pub event_loop_lag_ms: Option<f64>,
    /// Cache hits at least this many percent faster than misses (median service time).
    #[serde(default)]
    pub cache_speedup_pct: Option<f64>,
}

impl Default for Kpi {
    fn default() -> Self {
        Self {
            p50_ms: 15.0,
            p95_ms: 35.0,
            p99_ms: 60.0,
            success_pct: 99.5,
            fast_fail_ms: Some(200.0),
            retry_resolve_pct: Some(70.0),
            denied_pct: Some(100.0),
            provenance_mismatches: Some(0.0),
            cache_hit_pct: Some(40.0),
            memory_growth_pct: Some(10.0),
            soak_min: Duration::from_secs(600),
            breaker_changes: Some(2.0),
            event_loop_lag_ms: Some(100.0),
            cache_speedup_pct: Some(20.0),
        }
    }
}

impl Kpi {
    /// Latency and success only: what a quick run against any HTTP server can judge.
    pub fn latency_and_success() -> Self {
        Self {
            fast_fail_ms: None,
            retry_resolve_pct: None,
            denied_pct: None,
            provenance_mismatches: None,
            cache_hit_pct: None,
            memory_growth_pct: None,
            breaker_changes: None,
            event_loop_lag_ms: None,
            cache_speedup_pct: None,
            ..Self::default()
        }
    }
}

/// How the in-process gateway is configured when the scenario runs without a target.
#[derive(Clone, Debug)]
pub struct EmbeddedGateway {
    pub rate_limit: bool,
    pub latency_scale: f64,
    pub chaos_scale: f64,
    pub breaker_open: Duration,
}

impl Default for EmbeddedGateway {
    fn default() -> Self {
        Self { rate_limit: false, latency_scale: 1.0, chaos_scale: 1.0, breaker_open: Duration::from_secs(30) }
    }
}

impl Scenario {
    pub fn total_duration(&self) -> Duration {
        self.phases.iter().map(|p| p.duration).sum()
    }

    pub fn peak_rate(&self) -> f64 {
        self.phases.iter().map(|p| p.rate.max(p.end_rate())).fold(0.0, f64::max)
    }

    /// A short content hash of the scenario text, for the report's environment section.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(self.source.as_bytes())[..8])
    }
}
