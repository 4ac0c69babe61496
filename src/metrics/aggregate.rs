//! The aggregator: the only place shards are merged. Every tick it drains the shards into
//! cumulative histograms and counters and builds a new `Snapshot`.

use super::shard::{FailureNote, Recorder, Shard, FAILURE_DETAILS_PER_CLASS};
use super::snapshot::*;
use super::{interval_histogram, new_histogram};
use hdrhistogram::Histogram;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a tick reads this process's own CPU and memory (the resources panel's figures).
const OWN_PROCESS_INTERVAL: Duration = Duration::from_secs(1);

/// What the scheduler reports about where the run is; read by the aggregator each tick.
/// The scheduler writes it when something changes (a phase, a command), never on a timer:
/// the phase's clock lets each reader bring the phase time and the scheduled rate up to the
/// moment it reads ([`Progress::at`]).
#[derive(Clone, Debug)]
pub struct Progress {
    pub status: RunStatus,
    pub phase: Option<PhaseView>,
    pub rate_multiplier: f64,
    pub scheduled_rate: f64,
    pub clock: Option<PhaseClock>,
}

impl Default for Progress {
    fn default() -> Self {
        Self { status: RunStatus::Starting, phase: None, rate_multiplier: 1.0, scheduled_rate: 0.0, clock: None }
    }
}

/// The running phase's clock and rate line.
#[derive(Clone, Copy, Debug)]
pub struct PhaseClock {
    /// Phase time zero (moved later by each pause).
    pub started: Instant,
    /// Set while paused, and once the load is over: the phase time stands still, nothing
    /// is scheduled.
    pub paused_at: Option<Instant>,
    /// The scheduled rate at the phase's start and end, linear between (`None`: no schedule,
    /// as in a closed loop).
    pub rate: Option<(f64, f64)>,
}

impl Progress {
    /// The load is over, its requests in flight being waited for: the phase time stands
    /// where the load ended.
    pub fn draining(&mut self, now: Instant) {
        self.status = RunStatus::Draining;
        if let Some(clock) = &mut self.clock {
            clock.paused_at.get_or_insert(now);
        }
    }

    /// This progress as of `now`: the phase time and scheduled rate of that moment.
    pub fn at(&self, now: Instant) -> Progress {
        let mut p = self.clone();
        if let (Some(clock), Some(phase)) = (&self.clock, p.phase.as_mut()) {
            let tau = clock.paused_at.unwrap_or(now).saturating_duration_since(clock.started).as_secs_f64();
            phase.elapsed_s = tau.min(phase.duration_s);
            if let Some((from, to)) = clock.rate {
                let along = if phase.duration_s > 0.0 { phase.elapsed_s / phase.duration_s } else { 0.0 };
                p.scheduled_rate = if clock.paused_at.is_some() { 0.0 } else { from + (to - from) * along };
            }
        }
        p
    }
}

/// Lossless histograms for the report and for merging runs.
pub struct FinalHistograms {
    /// (tool, latency from intended start, service time), microseconds.
    pub tools: Vec<(String, Histogram<u64>, Histogram<u64>)>,
    /// The run-wide ones the KPIs and the report read (latency KPI, dispatch lag, …).
    pub run: RunHistograms,
}

/// The run-wide histograms, microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct RunHistograms {
    pub kpi_latency: Histogram<u64>,
    pub fast_fail: Histogram<u64>,
    pub dispatch: Histogram<u64>,
    pub cache_hit: Histogram<u64>,
    pub cache_miss: Histogram<u64>,
}

impl Default for RunHistograms {
    fn default() -> Self {
        Self {
            kpi_latency: new_histogram(),
            fast_fail: new_histogram(),
            dispatch: new_histogram(),
            cache_hit: new_histogram(),
            cache_miss: new_histogram(),
        }
    }
}

impl RunHistograms {
    /// Each histogram with its name, in a fixed order (for files and merges).
    pub fn named(&self) -> [(&'static str, &Histogram<u64>); 5] {
        [
            ("kpi_latency", &self.kpi_latency),
            ("fast_fail", &self.fast_fail),
            ("dispatch", &self.dispatch),
            ("cache_hit", &self.cache_hit),
            ("cache_miss", &self.cache_miss),
        ]
    }

    pub fn named_mut(&mut self) -> [(&'static str, &mut Histogram<u64>); 5] {
        [
            ("kpi_latency", &mut self.kpi_latency),
            ("fast_fail", &mut self.fast_fail),
            ("dispatch", &mut self.dispatch),
            ("cache_hit", &mut self.cache_hit),
            ("cache_miss", &mut self.cache_miss),
        ]
    }
}

impl FinalHistograms {
    /// For reports written without the engine's final merge (mid-run, or after a failure).
    pub fn empty(tools: &[String]) -> Self {
        Self {
            tools: tools.iter().map(|t| (t.clone(), new_histogram(), new_histogram())).collect(),
            run: RunHistograms::default(),
        }
    }
}

/// Where a shard process leaves its intervals for the coordinator: every merge the
/// aggregator makes is added here too, and the streamer takes it out.
pub type Tap = std::sync::Arc<std::sync::Mutex<Shard>>;

/// An empty tap for a run of `tools` rows and `flows` flows.
pub fn tap(tools: usize, flows: usize) -> Tap {
    std::sync::Arc::new(std::sync::Mutex::new(Shard::new(tools, flows)))
}

pub struct Aggregator {
    snapshot: Snapshot,
    latency: Vec<Histogram<u64>>,
    service: Vec<Histogram<u64>>,
    kpi_latency: Histogram<u64>,
    fast_fail: Histogram<u64>,
    dispatch: Histogram<u64>,
    cache_hit: Histogram<u64>,
    cache_miss: Histogram<u64>,
    /// The second being accumulated.
    second: SecondPoint,
    second_latency: Histogram<u64>,
    second_tool_latency: Vec<Histogram<u64>>,
    /// Completions and errors per tool in the second being accumulated.
    second_completed: Vec<u64>,
    second_errors: Vec<u64>,
    series: super::series::SeriesBuilder,
    last_arrivals: u64,
    last_dropped: u64,
    last_cpu: Option<(Instant, f64)>,
    /// When the process's own figures were last read.
    own_read_at: Option<Instant>,
    tap: Option<Tap>,
}

impl Aggregator {
    /// Starts from `empty`, the run's snapshot before anything was recorded.
    pub fn new(empty: Snapshot) -> Self {
        let n = empty.tools.len();
        Self {
            snapshot: empty,
            latency: (0..n).map(|_| new_histogram()).collect(),
            service: (0..n).map(|_| new_histogram()).collect(),
            kpi_latency: new_histogram(),
            fast_fail: new_histogram(),
            dispatch: new_histogram(),
            cache_hit: new_histogram(),
            cache_miss: new_histogram(),
            second: SecondPoint::empty(0, 0, n),
            second_latency: interval_histogram(),
            second_tool_latency: (0..n).map(|_| interval_histogram()).collect(),
            second_completed: vec![0; n],
            second_errors: vec![0; n],
            series: Default::default(),
            last_arrivals: 0,
            last_dropped: 0,
            last_cpu: None,
            own_read_at: None,
            tap: None,
        }
    }

    /// Sets what the next snapshots say about a sharded run's shards.
    pub fn set_distribution(&mut self, distribution: Arc<super::Distribution>) {
        self.snapshot.distribution = Some(distribution);
    }

    /// Also adds every merged interval into `tap` (a shard streaming to its coordinator).
    pub fn with_tap(mut self, tap: Tap) -> Self {
        self.tap = Some(tap);
        self
    }

    /// Merges what the workers recorded and returns the new snapshot.
    pub fn tick(&mut self, recorder: &Recorder, progress: &Progress, elapsed_s: f64) -> Arc<Snapshot> {
        self.update(recorder, progress, elapsed_s, false);
        Arc::new(self.snapshot.clone())
    }

    /// Merges what the workers recorded into the snapshot; means are refreshed when a second
    /// closes, or always when `exact`.
    fn update(&mut self, recorder: &Recorder, progress: &Progress, elapsed_s: f64, exact: bool) {
        // Drain before closing: what was recorded since the last tick belongs (mostly) to the
        // second that is ending, not to the one that begins.
        recorder.drain(|shard| self.merge(shard, recorder));
        let second_now = elapsed_s.floor() as u32;
        let with_mean = exact || self.second.t < second_now;
        // Close every second that ended before this tick (several if ticks were late).
        while self.second.t < second_now {
            self.close_second(recorder);
        }

        let s = &mut self.snapshot;
        s.elapsed_s = elapsed_s;
        s.status = progress.status.clone();
        s.phase = progress.phase.clone();
        if let Some(p) = &s.phase {
            self.second.phase = p.index;
        }
        s.rate_multiplier = progress.rate_multiplier;
        s.scheduled_rate = progress.scheduled_rate;
        // Dropped first: every drop follows its arrival's count, so dropped ≤ arrivals here.
        s.dropped = recorder.dropped.load(Ordering::Acquire);
        s.arrivals = recorder.arrivals.load(Ordering::Acquire);
        s.started = s.arrivals.saturating_sub(s.dropped);
        s.inflight = recorder.inflight.load(Ordering::Relaxed);
        let q = |h: &Histogram<u64>, previous: &Quantiles| Quantiles::keeping_mean(h, previous, with_mean);
        s.kpi_latency = q(&self.kpi_latency, &s.kpi_latency);
        s.fast_fail = q(&self.fast_fail, &s.fast_fail);
        s.dispatch_lag = q(&self.dispatch, &s.dispatch_lag);
        s.cache_hit = q(&self.cache_hit, &s.cache_hit);
        s.cache_miss = q(&self.cache_miss, &s.cache_miss);
        for (i, t) in s.tools.iter_mut().enumerate() {
            t.latency = q(&self.latency[i], &t.latency);
            t.service = q(&self.service[i], &t.service);
        }
        self.read_own_process(exact);
    }

    /// This process's CPU and memory into the snapshot, once a second (or `at_once`):
    /// reading /proc costs more than the rest of a quiet tick.
    fn read_own_process(&mut self, at_once: bool) {
        let now = Instant::now();
        if !at_once && self.own_read_at.is_some_and(|at| now.duration_since(at) < OWN_PROCESS_INTERVAL) {
            return;
        }
        self.own_read_at = Some(now);
        let own = crate::procstat::read_self();
        let s = &mut self.snapshot;
        s.own_rss_bytes = own.rss_bytes;
        s.own_cpu_seconds = own.cpu_seconds;
        if let Some(cpu) = own.cpu_seconds {
            match self.last_cpu {
                // CPU time comes in 10 ms ticks: a rate over less than half a second is noise.
                Some((then, _)) if now.duration_since(then).as_secs_f64() < 0.5 => {}
                Some((then, before)) => {
                    s.own_cpu_pct = Some((cpu - before) / now.duration_since(then).as_secs_f64() * 100.0);
                    self.last_cpu = Some((now, cpu));
                }
                None => self.last_cpu = Some((now, cpu)),
            }
        }
    }

    fn merge(&mut self, shard: &mut Shard, recorder: &Recorder) {
        if let Some(tap) = &self.tap {
            // What leaves the process is scrubbed of captured secrets first.
            for n in &mut shard.failures {
                n.detail = recorder.scrub(&n.detail);
            }
            crate::util::lock(tap).absorb(shard);
        }
        if !shard.failures.is_empty() {
            self.merge_failures(&shard.failures, recorder);
        }
        let s = &mut self.snapshot;
        for (i, t) in shard.tools.iter().enumerate() {
            if t.latency.is_empty() {
                continue;
            }
            let _ = self.latency[i].add(&t.latency);
            let _ = self.service[i].add(&t.service);
            let _ = self.second_latency.add(&t.latency);
            let _ = self.second_tool_latency[i].add(&t.latency);
            let view = &mut s.tools[i];
            let n = t.latency.len();
            view.requests += n;
            view.ok += t.ok;
            view.errors.add(&t.errors);
            self.second_completed[i] += n;
            self.second_errors[i] += t.errors.iter().sum::<u64>();
            for (e, add) in self.second.errors.iter_mut().zip(&t.errors) {
                *e += add;
            }
            super::add_codes(&mut view.codes, &t.codes);
        }
        for (view, f) in s.flows.iter_mut().zip(&shard.flows) {
            view.iterations += f.iterations;
            view.ok += f.ok;
            view.failed += f.failed;
            view.correct_denials += f.correct_denials;
            view.breaches += f.breaches;
        }
        let _ = self.kpi_latency.add(&shard.kpi_latency);
        let _ = self.fast_fail.add(&shard.fast_fail);
        let _ = self.dispatch.add(&shard.dispatch);
        let _ = self.cache_hit.add(&shard.cache_hit);
        let _ = self.cache_miss.add(&shard.cache_miss);
        s.kpi_ok += shard.kpi_ok;
        s.kpi_total += shard.kpi_total;
        s.completed += shard.completed;
        self.second.completed += shard.completed;
        shard.reset();
    }

    /// Adds a shard's failure details: counts of known ones grow, new ones are kept (scrubbed)
    /// while their tool and class have fewer than the bound.
    fn merge_failures(&mut self, notes: &[FailureNote], recorder: &Recorder) {
        let s = &mut self.snapshot;
        let failures = Arc::make_mut(&mut s.failures);
        for n in notes {
            let tool = &s.tools[n.tool].name;
            let detail = recorder.scrub(&n.detail);
            let same = |f: &&mut FailureSample| f.tool == *tool && f.class == n.class;
            if let Some(f) = failures.iter_mut().filter(same).find(|f| f.detail == detail) {
                f.count += n.count;
            } else if failures.iter_mut().filter(same).count() < FAILURE_DETAILS_PER_CLASS {
                failures.push(FailureSample { tool: tool.clone(), class: n.class, detail, count: n.count });
            }
        }
    }

    fn close_second(&mut self, recorder: &Recorder) {
        let dropped = recorder.dropped.load(Ordering::Acquire);
        let arrivals = recorder.arrivals.load(Ordering::Acquire);
        let mut point = std::mem::replace(&mut self.second, SecondPoint::empty(0, 0, self.latency.len()));
        point.scheduled = arrivals.saturating_sub(self.last_arrivals);
        point.dropped = dropped.saturating_sub(self.last_dropped);
        // A drop can be counted a second after its arrival; never let that wrap.
        point.started = point.scheduled.saturating_sub(point.dropped);

        self.last_arrivals = arrivals;
        self.last_dropped = dropped;
        let q = Quantiles::of(&self.second_latency);
        (point.p50_ms, point.p95_ms, point.p99_ms) = (q.p50_ms, q.p95_ms, q.p99_ms);
        super::shard::clear(&mut self.second_latency);
        point.tool_p99_ms = self
            .second_tool_latency
            .iter_mut()
            .map(|h| {
                let p99 = Quantiles::of(h).p99_ms;
                super::shard::clear(h);
                p99
            })
            .collect();
        point.tool_completed = Arc::from(std::mem::replace(&mut self.second_completed, vec![0; self.latency.len()]));
        point.tool_errors = Arc::from(std::mem::replace(&mut self.second_errors, vec![0; self.latency.len()]));

        let s = &mut self.snapshot;
        s.achieved_rps = point.completed as f64;
        for (tool, n) in s.tools.iter_mut().zip(point.tool_completed.iter()) {
            tool.rps = *n as f64;
        }
        self.second = SecondPoint::empty(point.t + 1, point.phase, self.latency.len());
        self.series.push(point);
        s.series = self.series.series();
    }

    /// Closes the last, partial second so the series accounts for every arrival.
    pub fn close(&mut self, recorder: &Recorder, progress: &Progress, elapsed_s: f64) -> Arc<Snapshot> {
        self.update(recorder, progress, elapsed_s, true);
        self.close_second(recorder);
        Arc::new(self.snapshot.clone())
    }

    /// The cumulative histograms, moved out; the aggregator is done after this.
    pub fn take_final(&mut self) -> FinalHistograms {
        let names = self.snapshot.tools.iter().map(|t| t.name.clone());
        let latency = std::mem::take(&mut self.latency);
        let service = std::mem::take(&mut self.service);
        let take = |h: &mut Histogram<u64>| std::mem::replace(h, new_histogram());
        let run = RunHistograms {
            kpi_latency: take(&mut self.kpi_latency),
            fast_fail: take(&mut self.fast_fail),
            dispatch: take(&mut self.dispatch),
            cache_hit: take(&mut self.cache_hit),
            cache_miss: take(&mut self.cache_miss),
        };
        FinalHistograms { tools: names.zip(latency).zip(service).map(|((n, l), s)| (n, l, s)).collect(), run }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::shard::StepRecord;
    use crate::metrics::ErrorClass;

    fn step(tool: usize, latency_ms: u64, error: Option<ErrorClass>, kpi: bool) -> StepRecord {
        StepRecord {
            tool,
            latency_us: latency_ms * 1000,
            service_us: latency_ms * 1000,
            status: if error.is_some() { 500 } else { 200 },
            error,
            kpi,
            fast_fail: false,
            cache: None,
        }
    }

    #[test]
    fn progress_is_read_at_the_readers_moment() {
        let t0 = Instant::now();
        let phase = PhaseView { index: 0, count: 1, name: "ramp".into(), elapsed_s: 0.0, duration_s: 60.0, next: None };
        let mut p = Progress {
            status: RunStatus::Running,
            phase: Some(phase),
            clock: Some(PhaseClock { started: t0, paused_at: None, rate: Some((10.0, 70.0)) }),
            ..Progress::default()
        };
        let at = |p: &Progress, s: u64| {
            let read = p.at(t0 + Duration::from_secs(s));
            (read.phase.unwrap().elapsed_s, read.scheduled_rate)
        };
        assert_eq!(at(&p, 10), (10.0, 20.0), "ten seconds into a 10 → 70/s ramp");
        assert_eq!(at(&p, 90), (60.0, 70.0), "held at the phase's end");
        // Paused four seconds in: the phase time stands still, nothing is scheduled.
        p.clock.as_mut().unwrap().paused_at = Some(t0 + Duration::from_secs(4));
        assert_eq!(at(&p, 30), (4.0, 0.0));
        // Resumed (the clock moved by the pause), then the load ends at 20 s of phase time.
        p.clock = Some(PhaseClock { started: t0 + Duration::from_secs(26), paused_at: None, rate: Some((10.0, 70.0)) });
        p.draining(t0 + Duration::from_secs(46));
        assert_eq!(at(&p, 50), (20.0, 0.0), "the phase time stands where the load ended");
        assert_eq!(p.status, RunStatus::Draining);
    }

    fn setup() -> (Recorder, Aggregator) {
        let tools = ["a".to_string(), "b".to_string()];
        (Recorder::new(2, 0, 2), Aggregator::new(Snapshot::empty(&tools, &[])))
    }

    #[test]
    fn every_recorded_step_is_counted_once_and_seconds_close_in_order() {
        let (rec, mut agg) = setup();
        for i in 0..100 {
            rec.record_step(step(i % 2, 10 + i as u64, None, true));
        }
        rec.record_step(step(1, 5, Some(ErrorClass::Upstream), true));
        let p = Progress::default();
        let s = agg.tick(&rec, &p, 0.4);
        assert_eq!((s.completed, s.tools[0].requests, s.tools[1].requests), (101, 50, 51));
        assert_eq!((s.kpi_total, s.kpi_ok), (101, 100));
        assert_eq!(s.errors().get(ErrorClass::Upstream), 1);
        assert!(s.series.is_empty(), "the first second is still open");
        // Nothing new: the totals stay, and two seconds close at once when ticks are late.
        let s = agg.tick(&rec, &p, 2.1);
        assert_eq!(s.completed, 101, "a drained shard is not counted twice");
        assert_eq!(s.series.iter().map(|p| p.t).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(s.series.get(0).unwrap().completed, 101);
        assert_eq!(s.series.get(0).unwrap().tool_completed.as_ref(), [50, 51]);
        assert_eq!(s.series.get(1).unwrap().completed, 0);
        let q = s.tools[0].latency;
        assert!(q.p50_ms >= 55.0 && q.p50_ms <= 62.0, "p50 of 10, 12, …, 108 ms: {}", q.p50_ms);
    }

    #[test]
    fn failure_details_are_bounded_per_tool_and_class_and_counted() {
        let (rec, mut agg) = setup();
        let fail = step(0, 1, Some(ErrorClass::Timeout), false);
        for i in 0..20 {
            rec.record_failed_step(fail, &format!("no answer #{}", i % 8));
        }
        rec.record_failed_step(step(1, 1, Some(ErrorClass::Connect), false), "refused");
        let s = agg.tick(&rec, &Progress::default(), 0.5);
        let timeouts: Vec<_> = s.failures.iter().filter(|f| f.tool == "a").collect();
        assert_eq!(timeouts.len(), FAILURE_DETAILS_PER_CLASS, "the first distinct details only");
        assert_eq!(timeouts[0].detail, "no answer #0");
        assert_eq!(timeouts[0].count, 3, "#0 came 3 times in 20");
        assert!(s.failures.iter().any(|f| f.tool == "b" && f.class == ErrorClass::Connect && f.count == 1));
        // Later ticks add to the kept details and keep out new ones past the bound.
        rec.record_failed_step(fail, "no answer #0");
        rec.record_failed_step(fail, "something new");
        let s = agg.tick(&rec, &Progress::default(), 0.9);
        let first = s.failures.iter().find(|f| f.detail == "no answer #0").unwrap();
        assert_eq!(first.count, 4);
        assert!(!s.failures.iter().any(|f| f.detail == "something new"));
    }

    #[test]
    fn captured_secrets_are_scrubbed_from_kept_details() {
        let (rec, mut agg) = setup();
        rec.remember_secret("tok-123456");
        rec.record_failed_step(step(0, 1, Some(ErrorClass::Auth), false), "HTTP 401 bad token tok-123456");
        let s = agg.tick(&rec, &Progress::default(), 0.5);
        assert_eq!(s.failures[0].detail, "HTTP 401 bad token ***");
    }

    #[test]
    fn dropped_never_exceeds_arrivals_in_a_second() {
        let (rec, mut agg) = setup();
        rec.arrivals.fetch_add(10, Ordering::Relaxed);
        rec.dropped.fetch_add(3, Ordering::Relaxed);
        let s = agg.close(&rec, &Progress::default(), 0.9);
        let p = s.series.get(0).unwrap();
        assert_eq!((p.scheduled, p.dropped, p.started), (10, 3, 7));
        assert_eq!((s.arrivals, s.started, s.dropped), (10, 7, 3));
    }
}
