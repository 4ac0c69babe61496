//! The hot path's recording: each worker thread owns a shard (a mutex only the aggregator
//! ever contends for), so recording a request is a few counter bumps and two histogram adds.

use crate::util::lock;

use super::new_histogram;
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
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::Policy,
        ErrorClass::Auth,
        ErrorClass::RateLimited,
        ErrorClass::Upstream,
        ErrorClass::Timeout,
        ErrorClass::Connect,
        ErrorClass::Unexpected,
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
        }
    }

    pub fn index(self) -> usize {
        self as usize
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

pub struct ToolShard {
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub ok: u64,
    pub errors: [u64; 7],
    /// (status, count); a handful of distinct codes per tool, so a small vec beats a map.
    pub codes: Vec<(u16, u64)>,
}

impl ToolShard {
    fn new() -> Self {
        Self { latency: new_histogram(), service: new_histogram(), ok: 0, errors: [0; 7], codes: Vec::new() }
    }
}

pub struct FlowShard {
    pub iterations: u64,
    pub ok: u64,
    pub failed: u64,
    pub correct_denials: u64,
    pub breaches: u64,
}

/// Everything recorded since the aggregator last drained this shard.
pub struct Shard {
    pub tools: Vec<ToolShard>,
    pub flows: Vec<FlowShard>,
    pub kpi_latency: Histogram<u64>,
    pub kpi_ok: u64,
    pub kpi_total: u64,
    pub fast_fail: Histogram<u64>,
    pub completed: u64,
}

impl Shard {
    fn new(tools: usize, flows: usize) -> Self {
        Self {
            tools: (0..tools).map(|_| ToolShard::new()).collect(),
            flows: (0..flows)
                .map(|_| FlowShard { iterations: 0, ok: 0, failed: 0, correct_denials: 0, breaches: 0 })
                .collect(),
            kpi_latency: new_histogram(),
            kpi_ok: 0,
            kpi_total: 0,
            fast_fail: new_histogram(),
            completed: 0,
        }
    }

    pub fn reset(&mut self) {
        for t in &mut self.tools {
            t.latency.reset();
            t.service.reset();
            t.ok = 0;
            t.errors = [0; 7];
            t.codes.clear();
        }
        for f in &mut self.flows {
            *f = FlowShard { iterations: 0, ok: 0, failed: 0, correct_denials: 0, breaches: 0 };
        }
        self.kpi_latency.reset();
        self.kpi_ok = 0;
        self.kpi_total = 0;
        self.fast_fail.reset();
        self.completed = 0;
    }
}

/// Shared recording state: shards plus the scheduler's atomic counters.
pub struct Recorder {
    shards: Vec<Mutex<Shard>>,
    next_shard: AtomicUsize,
    pub arrivals: AtomicU64,
    pub dropped: AtomicU64,
    pub inflight: AtomicU64,
}

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
        }
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
        let mut shard = self.shard();
        let shard = &mut *shard;
        shard.completed += 1;
        let t = &mut shard.tools[r.tool];
        let _ = t.latency.record(r.latency_us.max(1));
        let _ = t.service.record(r.service_us.max(1));
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
            let _ = shard.kpi_latency.record(r.latency_us.max(1));
        }

        if r.fast_fail {
            let _ = shard.fast_fail.record(r.service_us.max(1));
        }
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
