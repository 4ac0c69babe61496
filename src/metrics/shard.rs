//! The hot path's recording: each worker thread owns a shard (a mutex only the aggregator
//! ever contends for), so recording a request is a few counter bumps and two histogram adds.

use crate::util::lock;

use super::{interval_histogram, record_clamped};
use hdrhistogram::Histogram;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Policy,
    Auth,
    RateLimited,
    Upstream,
    Timeout,
    Connect,
    Unexpected,
    /// The TLS handshake failed (e.g. HTTPS against a plain-HTTP port, a bad certificate).
    Tls,
    /// The request could not be built or sent as written (invalid URI or header, bad scheme).
    InvalidRequest,
    /// The answer's body was larger than the client reads.
    BodyTooLarge,
    /// A capture's JSON pointer found nothing, so the flow could not go on.
    CaptureMissing,
}

/// How many error classes there are; arrays of per-class counts have this length.
pub const ERROR_CLASSES: usize = 11;

impl ErrorClass {
    pub const ALL: [ErrorClass; ERROR_CLASSES] = [
        ErrorClass::Policy,
        ErrorClass::Auth,
        ErrorClass::RateLimited,
        ErrorClass::Upstream,
        ErrorClass::Timeout,
        ErrorClass::Connect,
        ErrorClass::Unexpected,
        ErrorClass::Tls,
        ErrorClass::InvalidRequest,
        ErrorClass::BodyTooLarge,
        ErrorClass::CaptureMissing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Policy => "policy",
            ErrorClass::Auth => "auth",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Upstream => "upstream",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Connect => "connect",
            ErrorClass::Unexpected => "unexpected",
            ErrorClass::Tls => "tls",
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::BodyTooLarge => "body_too_large",
            ErrorClass::CaptureMissing => "capture_missing",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One finished request, as the worker saw it.
#[derive(Clone, Copy, Debug)]
pub struct StepRecord {
    pub tool: usize,
    /// From the intended start (coordinated-omission free), microseconds.
    pub latency_us: u64,
    /// From the actual send, microseconds.
    pub service_us: u64,
    /// 0 when the request never got an answer (timeout, connect).
    pub status: u16,
    pub error: Option<ErrorClass>,
    /// Counts toward the latency and success KPIs (happy flow, KPI phase).
    pub kpi: bool,
    /// The target answered from an open breaker.
    pub fast_fail: bool,
    /// The target marked the answer as served from its cache (`true`) or not (`false`).
    pub cache: Option<bool>,
}

/// Distinct failure details kept per tool and class: the first ones seen, with their counts.
pub const FAILURE_DETAILS_PER_CLASS: usize = 5;

/// A failure detail as a worker saw it (secrets not yet scrubbed), with how often.
#[derive(Clone, Debug)]
pub struct FailureNote {
    pub tool: usize,
    pub class: ErrorClass,
    pub detail: String,
    pub count: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowOutcome {
    Ok,
    Failed,
    /// A denial flow whose forbidden call was refused, as it should be.
    CorrectDenial,
    /// A denial flow whose forbidden call succeeded.
    Breach,
}

#[derive(Debug)]
pub struct ToolShard {
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub ok: u64,
    pub errors: [u64; ERROR_CLASSES],
    /// (status, count); a handful of distinct codes per tool, so a small vec beats a map.
    pub codes: Vec<(u16, u64)>,
}

impl ToolShard {
    fn new() -> Self {
        Self {
            latency: interval_histogram(),
            service: interval_histogram(),
            ok: 0,
            errors: [0; ERROR_CLASSES],
            codes: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct FlowShard {
    pub iterations: u64,
    pub ok: u64,
    pub failed: u64,
    pub correct_denials: u64,
    pub breaches: u64,
}

/// Everything recorded since the aggregator last drained this shard.
#[derive(Debug)]
pub struct Shard {
    pub tools: Vec<ToolShard>,
    pub flows: Vec<FlowShard>,
    pub kpi_latency: Histogram<u64>,
    pub kpi_ok: u64,
    pub kpi_total: u64,
    pub fast_fail: Histogram<u64>,
    /// Judged calls: time from each one's intended start to its send, what the client adds.
    pub dispatch: Histogram<u64>,
    /// Service time of answers the target marked as cache hits, and as misses.
    pub cache_hit: Histogram<u64>,
    pub cache_miss: Histogram<u64>,
    pub completed: u64,
    /// Distinct failure details since the last drain, bounded per tool and class.
    pub failures: Vec<FailureNote>,
}

impl Shard {
    pub fn new(tools: usize, flows: usize) -> Self {
        Self {
            tools: (0..tools).map(|_| ToolShard::new()).collect(),
            flows: (0..flows)
                .map(|_| FlowShard { iterations: 0, ok: 0, failed: 0, correct_denials: 0, breaches: 0 })
                .collect(),
            kpi_latency: interval_histogram(),
            kpi_ok: 0,
            kpi_total: 0,
            fast_fail: interval_histogram(),
            dispatch: interval_histogram(),
            cache_hit: interval_histogram(),
            cache_miss: interval_histogram(),
            completed: 0,
            failures: Vec::new(),
        }
    }

    /// Adds everything `other` recorded: histograms of one configuration add exactly, so a
    /// merge of shards is the shard of all their samples.
    pub fn absorb(&mut self, other: &Shard) {
        for (t, o) in self.tools.iter_mut().zip(&other.tools) {
            if o.latency.is_empty() && o.errors.iter().all(|e| *e == 0) && o.codes.is_empty() {
                continue;
            }
            let _ = t.latency.add(&o.latency);
            let _ = t.service.add(&o.service);
            t.ok += o.ok;
            for (a, b) in t.errors.iter_mut().zip(&o.errors) {
                *a += b;
            }
            super::add_codes(&mut t.codes, &o.codes);
        }
        for (f, o) in self.flows.iter_mut().zip(&other.flows) {
            f.iterations += o.iterations;
            f.ok += o.ok;
            f.failed += o.failed;
            f.correct_denials += o.correct_denials;
            f.breaches += o.breaches;
        }
        let _ = self.kpi_latency.add(&other.kpi_latency);
        self.kpi_ok += other.kpi_ok;
        self.kpi_total += other.kpi_total;
        let _ = self.fast_fail.add(&other.fast_fail);
        let _ = self.dispatch.add(&other.dispatch);
        let _ = self.cache_hit.add(&other.cache_hit);
        let _ = self.cache_miss.add(&other.cache_miss);
        self.completed += other.completed;
        for n in &other.failures {
            add_note(&mut self.failures, n.tool, n.class, &n.detail, n.count);
        }
    }

    pub fn reset(&mut self) {
        for t in &mut self.tools {
            clear(&mut t.latency);
            clear(&mut t.service);
            t.ok = 0;
            t.errors = [0; ERROR_CLASSES];
            t.codes.clear();
        }
        for f in &mut self.flows {
            *f = FlowShard { iterations: 0, ok: 0, failed: 0, correct_denials: 0, breaches: 0 };
        }
        clear(&mut self.kpi_latency);
        self.kpi_ok = 0;
        self.kpi_total = 0;
        clear(&mut self.fast_fail);
        clear(&mut self.dispatch);
        clear(&mut self.cache_hit);
        clear(&mut self.cache_miss);
        self.completed = 0;
        self.failures.clear();
    }
}

/// Resets `h` unless it is empty already: a reset zeroes every count the histogram has
/// grown to, and most of a shard's histograms are empty at most ticks.
pub fn clear(h: &mut Histogram<u64>) {
    if !h.is_empty() {
        h.reset();
    }
}

/// Shared recording state: shards plus the scheduler's atomic counters.
pub struct Recorder {
    shards: Vec<Mutex<Shard>>,
    next_shard: AtomicUsize,
    pub arrivals: AtomicU64,
    pub dropped: AtomicU64,
    pub inflight: AtomicU64,
    /// Values of captures marked secret, scrubbed from every failure detail.
    secrets: Mutex<Vec<String>>,
}

/// Captured secrets remembered for scrubbing; beyond this many, older ones still mask.
const MAX_REMEMBERED_SECRETS: usize = 10_000;

thread_local! {
    static SHARD_INDEX: Cell<Option<usize>> = const { Cell::new(None) };
}

impl Recorder {
    pub fn new(tools: usize, flows: usize, shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1)).map(|_| Mutex::new(Shard::new(tools, flows))).collect(),
            next_shard: AtomicUsize::new(0),
            arrivals: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            inflight: AtomicU64::new(0),
            secrets: Mutex::new(Vec::new()),
        }
    }

    /// Remembers a captured secret (bounded) so no failure detail ever shows it.
    pub fn remember_secret(&self, value: &str) {
        let mut secrets = lock(&self.secrets);
        if secrets.len() < MAX_REMEMBERED_SECRETS && !value.is_empty() && !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_string());
        }
    }

    /// `text` with every remembered secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let secrets = lock(&self.secrets);
        secrets
            .iter()
            .fold(text.to_string(), |t, s| if t.contains(s.as_str()) { t.replace(s.as_str(), "***") } else { t })
    }

    /// This thread's shard; threads are assigned round-robin on first use.
    fn shard(&self) -> MutexGuard<'_, Shard> {
        let i = SHARD_INDEX.with(|c| match c.get() {
            Some(i) => i,
            None => {
                let i = self.next_shard.fetch_add(1, Ordering::Relaxed);
                c.set(Some(i));
                i
            }
        });
        lock(&self.shards[i % self.shards.len()])
    }

    pub fn record_step(&self, r: StepRecord) {
        record(&mut self.shard(), r);
    }

    /// Records a failed step with why it failed; the detail is kept when it is one of the
    /// first distinct ones for its tool and class.
    pub fn record_failed_step(&self, r: StepRecord, detail: &str) {
        let mut shard = self.shard();
        record(&mut shard, r);
        let Some(class) = r.error else { return };
        add_note(&mut shard.failures, r.tool, class, detail, 1);
    }

    /// Adds a shard recorded elsewhere (a remote shard's interval) into shard `index`.
    pub fn absorb(&self, index: usize, delta: &Shard) {
        lock(&self.shards[index % self.shards.len()]).absorb(delta);
    }

    pub fn record_flow(&self, flow: usize, outcome: FlowOutcome) {
        let mut shard = self.shard();
        let f = &mut shard.flows[flow];
        f.iterations += 1;
        match outcome {
            FlowOutcome::Ok => f.ok += 1,
            FlowOutcome::Failed => f.failed += 1,
            FlowOutcome::CorrectDenial => {
                f.ok += 1;
                f.correct_denials += 1
            }
            FlowOutcome::Breach => {
                f.failed += 1;
                f.breaches += 1
            }
        }
    }

    /// Hands every shard to `f` in turn (the aggregator merges and resets them).
    pub fn drain(&self, mut f: impl FnMut(&mut Shard)) {
        for s in &self.shards {
            f(&mut lock(s));
        }
    }
}

/// Counts a failure detail: a known one grows, a new one is kept while its tool and class
/// have fewer than the bound.
fn add_note(notes: &mut Vec<FailureNote>, tool: usize, class: ErrorClass, detail: &str, count: u64) {
    if let Some(n) = notes.iter_mut().find(|n| n.tool == tool && n.class == class && n.detail == detail) {
        n.count += count;
    } else if notes.iter().filter(|n| n.tool == tool && n.class == class).count() < FAILURE_DETAILS_PER_CLASS {
        notes.push(FailureNote { tool, class, detail: detail.to_string(), count });
    }
}

fn record(shard: &mut Shard, r: StepRecord) {
    shard.completed += 1;
    let t = &mut shard.tools[r.tool];
    record_clamped(&mut t.latency, r.latency_us);
    record_clamped(&mut t.service, r.service_us);
    match r.error {
        None => t.ok += 1,
        Some(e) => t.errors[e.index()] += 1,
    }
    match t.codes.iter_mut().find(|(c, _)| *c == r.status) {
        Some((_, n)) => *n += 1,
        None => t.codes.push((r.status, 1)),
    }
    if r.kpi {
        // Failures count too: a timeout is the slowest answer, not a missing one.
        shard.kpi_total += 1;
        shard.kpi_ok += u64::from(r.error.is_none());
        record_clamped(&mut shard.kpi_latency, r.latency_us);
        record_clamped(&mut shard.dispatch, r.latency_us.saturating_sub(r.service_us));
    }

    if r.fast_fail {
        record_clamped(&mut shard.fast_fail, r.service_us);
    }
    let cache = match r.cache {
        Some(true) => Some(&mut shard.cache_hit),
        Some(false) => Some(&mut shard.cache_miss),
        None => None,
    };
    if let Some(h) = cache {
        record_clamped(h, r.service_us);
    }
}
