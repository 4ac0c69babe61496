//! Target profiles: which metric names feed each cockpit input, with fallbacks, so that both
//! the Grafana dashboard's names (`gateway_requests_total`, seconds histograms, …) and the real
//! 4Runr gateway's (`gateway_requests_total_total`, `gateway_request_duration_ms_ms`, …)
//! light the same panels; and the reading of consecutive scrapes into panel values.
//!
//! A value the scrape cannot provide is `None`, never a 0 that would pass for a measurement.

use std::collections::{BTreeMap, HashMap};

use crate::scrape::derive::{add_buckets, bucket_deltas, counter_delta, histogram_quantile};
use crate::scrape::parser::{Buckets, Exposition, Sample};

/// A panel input a profile maps to metric names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Input {
    /// Counter of requests, labelled by tool, action and status code.
    Requests,
    /// Histogram of request latency, read in milliseconds.
    Latency,
    /// Counter of errors by error type.
    Errors,
    /// Gauge per tool: 0 closed, 1 half-open, 2 open.
    BreakerState,
    CacheHits,
    CacheMisses,
    TokenRotations,
    PolicyDenials,
    SecurityEvents,
    /// Counter of process CPU seconds.
    CpuSeconds,
    /// Gauge of resident memory in bytes.
    RssBytes,
    /// Counter of the target's retries, by outcome (`recovered`, `exhausted`).
    Retries,
    /// Counter of failures the target injected itself (chaos), by tool.
    ChaosInjections,
    /// Gauge of the target's event-loop lag (e.g. Node's `nodejs_eventloop_lag_seconds`),
    /// read in milliseconds.
    EventLoopLag,
}

impl Input {
    /// The inputs the cockpit's target panels read (the others feed KPIs and effect checks).
    pub const PANELS: [Input; 11] = [
        Input::Requests,
        Input::Latency,
        Input::Errors,
        Input::BreakerState,
        Input::CacheHits,
        Input::CacheMisses,
        Input::TokenRotations,
        Input::PolicyDenials,
        Input::SecurityEvents,
        Input::CpuSeconds,
        Input::RssBytes,
    ];

    pub const ALL: [Input; 14] = [
        Input::Requests,
        Input::Latency,
        Input::Errors,
        Input::BreakerState,
        Input::CacheHits,
        Input::CacheMisses,
        Input::TokenRotations,
        Input::PolicyDenials,
        Input::SecurityEvents,
        Input::CpuSeconds,
        Input::RssBytes,
        Input::Retries,
        Input::ChaosInjections,
        Input::EventLoopLag,
    ];

    /// Name used in profile files and by the `probe` command.
    pub fn name(self) -> &'static str {
        match self {
            Input::Requests => "requests",
            Input::Latency => "latency",
            Input::Errors => "errors",
            Input::BreakerState => "breaker_state",
            Input::CacheHits => "cache_hits",
            Input::CacheMisses => "cache_misses",
            Input::TokenRotations => "token_rotations",
            Input::PolicyDenials => "policy_denials",
            Input::SecurityEvents => "security_events",
            Input::CpuSeconds => "cpu_seconds",
            Input::RssBytes => "rss_bytes",
            Input::Retries => "retries",
            Input::ChaosInjections => "chaos_injections",
            Input::EventLoopLag => "event_loop_lag",
        }
    }
}

/// One metric that can feed an input.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Sample name; for `latency`, the histogram's base name (samples `<metric>_bucket`).
    pub metric: String,
    /// Multiplier into the input's unit (latency: milliseconds, so 1000 for seconds). For
    /// histograms it scales the bucket bounds.
    pub scale: f64,
    /// Label whose values break the input down (tool, error type, reason…), if any.
    pub group_by: Option<String>,
}

/// How to read one kind of target.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetProfile {
    pub name: String,
    /// Label of the requests counter that carries the HTTP status code.
    pub code_label: String,
    /// Candidates per input, tried in order: the first one with samples in a scrape is used.
    pub inputs: BTreeMap<Input, Vec<Candidate>>,
    /// The security event type that counts a provenance mismatch, where the target has one.
    pub provenance_event: Option<String>,
}

/// Where an input was found in one scrape (for the `probe` doctor command).
#[derive(Clone, Debug, PartialEq)]
pub struct InputResolution {
    pub input: Input,
    /// The candidate metric that has samples, if any.
    pub found: Option<String>,
    /// Series of the found metric (histogram series for `latency`).
    pub series: usize,
    /// Every candidate, in the order tried.
    pub tried: Vec<String>,
}

/// A counter's value now and its per-second increase over the window.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterReading {
    /// Cumulative value in the latest scrape, in the input's unit.
    pub total: f64,
    /// `None` without a previous scrape.
    pub rate_per_sec: Option<f64>,
}

/// Latency percentiles of the observations in the window.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencyReading {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Observations the percentiles come from.
    pub count: f64,
}

/// Cumulative totals broken down by the values of one label.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breakdown {
    pub label: String,
    pub totals: BTreeMap<String, f64>,
}

/// The target's view of one window, from two consecutive scrapes (or one).
///
/// The *window* is the time between the previous and the current scrape. Without a previous
/// scrape (or when the two are not in time order) it is the target's whole life: rates are
/// `None`, and percentiles and percentages cover everything counted since the target started.
/// A series absent from the previous scrape counts from zero (gateways emit series only after
/// their first event); a counter that went down counts from its restart. Values are summed
/// series by series, so one series restarting or appearing does not distort the others.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TargetReading {
    pub window_secs: Option<f64>,
    pub requests: Option<CounterReading>,
    pub requests_by_tool: Option<BTreeMap<String, CounterReading>>,
    /// Requests whose status code is below 400 (first digit 1–3, so `2xx` works too), as a
    /// percentage of requests with a status code; series without the code label are left out.
    /// When no series has a code label: `100 × (1 − errors / requests)`, the dashboard's
    /// formula. `None` when the window has no requests.
    pub success_pct: Option<f64>,
    /// Status-code based only; tools without requests in the window are absent.
    pub success_pct_by_tool: Option<BTreeMap<String, f64>>,
    pub latency: Option<LatencyReading>,
    pub latency_by_tool: Option<BTreeMap<String, LatencyReading>>,
    pub errors_by_type: Option<BTreeMap<String, CounterReading>>,
    /// Worst (highest) state per tool; values other than 0, 1 or 2 are skipped.
    pub breaker_by_tool: Option<BTreeMap<String, u8>>,
    pub cache_hits: Option<CounterReading>,
    pub cache_misses: Option<CounterReading>,
    /// `100 × hits / (hits + misses)` over the window; needs both counters.
    pub cache_hit_pct: Option<f64>,
    pub token_rotations: Option<CounterReading>,
    /// By reason, or by tool for the real gateway, whose counter has no reason label.
    pub policy_denials: Option<Breakdown>,
    pub security_events: Option<Breakdown>,
    /// CPU use in % of one core, from the CPU-seconds counter's rate; needs a window.
    pub cpu_pct_of_core: Option<f64>,
    pub rss_bytes: Option<f64>,
    /// The target's event-loop lag now, in ms (the highest of its series).
    pub event_loop_lag_ms: Option<f64>,
    /// The metric each input was read from.
    pub sources: BTreeMap<Input, String>,
}

/// Number of series `c` has in `expo` for `input`.
fn series_count(expo: &Exposition, input: Input, c: &Candidate) -> usize {
    match input {
        Input::Latency => expo.histogram_series(&c.metric, &[]).len(),
        _ => expo.samples(&c.metric).count(),
    }
}

/// The two scrapes a reading compares; `prev` is set exactly when `dt` is.
struct Window<'a> {
    prev: Option<&'a Exposition>,
    cur: &'a Exposition,
    dt: Option<f64>,
}

/// One counter series: its value now and what it counted in the window, both scaled.
struct CounterSeries<'a> {
    sample: &'a Sample,
    total: f64,
    counted: f64,
}

impl<'a> Window<'a> {
    fn counter_series(&self, c: &Candidate) -> Vec<CounterSeries<'a>> {
        let prev: Option<HashMap<&[(String, String)], f64>> =
            self.prev.map(|p| p.samples(&c.metric).map(|s| (s.labels.as_slice(), s.value)).collect());
        self.cur
            .samples(&c.metric)
            .map(|s| {
                let counted = match &prev {
                    Some(prev) => {
                        let before = prev.get(s.labels.as_slice()).copied().unwrap_or(0.0);
                        counter_delta(before, s.value)
                    }
                    None => s.value,
                };
                CounterSeries { sample: s, total: s.value * c.scale, counted: counted * c.scale }
            })
            .collect()
    }

    fn reading(&self, total: f64, counted: f64) -> CounterReading {
        CounterReading { total, rate_per_sec: self.dt.map(|dt| counted / dt) }
    }

    /// Readings per value of label `by` (`""` for series without it, or for all when `None`).
    fn grouped(&self, series: &[CounterSeries], by: Option<&str>) -> BTreeMap<String, CounterReading> {
        let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for s in series {
            let sum = sums.entry(group_key(s.sample, by)).or_default();
            sum.0 += s.total;
            sum.1 += s.counted;
        }
        sums.into_iter().map(|(k, (total, counted))| (k, self.reading(total, counted))).collect()
    }

    fn overall(&self, series: &[CounterSeries]) -> CounterReading {
        let total = series.iter().map(|s| s.total).sum();
        self.reading(total, series.iter().map(|s| s.counted).sum())
    }
}

fn group_key(s: &Sample, by: Option<&str>) -> String {
    by.and_then(|k| s.label(k)).unwrap_or("").to_string()
}

fn is_success(code: &str) -> bool {
    matches!(code.as_bytes().first(), Some(b'1'..=b'3'))
}

fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| 100.0 * part / whole)
}

fn latency_of(buckets: &[(f64, f64)]) -> LatencyReading {
    LatencyReading {
        p50_ms: histogram_quantile(0.5, buckets),
        p95_ms: histogram_quantile(0.95, buckets),
        p99_ms: histogram_quantile(0.99, buckets),
        count: buckets.last().map_or(0.0, |b| b.1),
    }
}

impl TargetProfile {
    /// For each input: the first candidate with samples in `expo`, or none (what the `probe`
    /// command prints).
    pub fn resolve(&self, expo: &Exposition) -> Vec<InputResolution> {
        self.inputs
            .iter()
            .map(|(&input, candidates)| {
                let found = candidates.iter().map(|c| (c, series_count(expo, input, c))).find(|(_, n)| *n > 0);
                InputResolution {
                    input,
                    found: found.map(|(c, _)| c.metric.clone()),
                    series: found.map_or(0, |(_, n)| n),
                    tried: candidates.iter().map(|c| c.metric.clone()).collect(),
                }
            })
            .collect()
    }

    /// Reads the window from `prev` to `cur` (each a scrape and its time in seconds); see
    /// [`TargetReading`] for the definitions.
    pub fn read(&self, prev: Option<(&Exposition, f64)>, cur: (&Exposition, f64)) -> TargetReading {
        let prev = prev.filter(|&(_, t)| cur.1 - t > 0.0);
        let w = Window { prev: prev.map(|p| p.0), cur: cur.0, dt: prev.map(|(_, t)| cur.1 - t) };
        let mut r = TargetReading { window_secs: w.dt, ..TargetReading::default() };
        self.read_traffic(&w, &mut r);
        self.read_latency(&w, &mut r);
        self.read_breakers(&w, &mut r);
        self.read_cache(&w, &mut r);
        self.read_security(&w, &mut r);
        self.read_process(&w, &mut r);
        r
    }

    /// The first candidate of `input` present in the current scrape, recorded as its source.
    fn pick(&self, input: Input, w: &Window, r: &mut TargetReading) -> Option<&Candidate> {
        let c = self.inputs.get(&input)?.iter().find(|c| series_count(w.cur, input, c) > 0)?;
        r.sources.insert(input, c.metric.clone());
        Some(c)
    }

    fn counter<'a>(
        &self,
        input: Input,
        w: &Window<'a>,
        r: &mut TargetReading,
    ) -> Option<(&Candidate, Vec<CounterSeries<'a>>)> {
        let c = self.pick(input, w, r)?;
        Some((c, w.counter_series(c)))
    }

    fn read_traffic(&self, w: &Window, r: &mut TargetReading) {
        let errors = self.counter(Input::Errors, w, r);
        if let Some((c, series)) = &errors {
            r.errors_by_type = Some(w.grouped(series, c.group_by.as_deref()));
        }
        let Some((c, requests)) = self.counter(Input::Requests, w, r) else {
            return;
        };
        r.requests = Some(w.overall(&requests));
        r.requests_by_tool = Some(w.grouped(&requests, c.group_by.as_deref()));

        let coded: Vec<(&CounterSeries, bool)> =
            requests.iter().filter_map(|s| Some((s, is_success(s.sample.label(&self.code_label)?)))).collect();
        if coded.is_empty() {
            let counted = |s: &[CounterSeries]| s.iter().map(|s| s.counted).sum::<f64>();
            r.success_pct = errors.and_then(|(_, e)| {
                let all = counted(&requests);
                pct(all - counted(&e), all)
            });
            return;
        }
        let mut by_tool: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for (s, ok) in &coded {
            let sums = by_tool.entry(group_key(s.sample, c.group_by.as_deref())).or_default();
            sums.0 += if *ok { s.counted } else { 0.0 };
            sums.1 += s.counted;
        }
        let (ok, all) = by_tool.values().fold((0.0, 0.0), |acc, v| (acc.0 + v.0, acc.1 + v.1));
        r.success_pct = pct(ok, all);
        r.success_pct_by_tool =
            Some(by_tool.into_iter().filter_map(|(tool, (ok, all))| Some((tool, pct(ok, all)?))).collect());
    }

    /// Percentiles from per-series bucket deltas, summed per tool and overall.
    fn read_latency(&self, w: &Window, r: &mut TargetReading) {
        let Some(c) = self.pick(Input::Latency, w, r) else {
            return;
        };
        let prev = w.prev.map(|p| p.histogram_series(&c.metric, &[]));
        let mut by_tool: BTreeMap<String, Buckets> = BTreeMap::new();
        let mut all = Vec::new();
        for (labels, buckets) in w.cur.histogram_series(&c.metric, &[]) {
            let window = match &prev {
                Some(prev) => bucket_deltas(prev.get(&labels).map_or(&[], Vec::as_slice), &buckets),
                None => buckets,
            };
            let scaled: Vec<(f64, f64)> = window.iter().map(|&(le, n)| (le * c.scale, n)).collect();
            let tool = c
                .group_by
                .as_deref()
                .and_then(|by| labels.iter().find(|(k, _)| k == by))
                .map_or_else(String::new, |(_, v)| v.clone());
            add_buckets(by_tool.entry(tool).or_default(), &scaled);
            add_buckets(&mut all, &scaled);
        }
        r.latency = Some(latency_of(&all));
        r.latency_by_tool = Some(by_tool.iter().map(|(k, b)| (k.clone(), latency_of(b))).collect());
    }

    fn read_breakers(&self, w: &Window, r: &mut TargetReading) {
        let Some(c) = self.pick(Input::BreakerState, w, r) else {
            return;
        };
        let mut states: BTreeMap<String, u8> = BTreeMap::new();
        for s in w.cur.samples(&c.metric) {
            let v = s.value * c.scale;
            if !(0.0..=2.0).contains(&v) || v.fract() != 0.0 {
                continue;
            }
            let state = states.entry(group_key(s, c.group_by.as_deref())).or_default();
            *state = (*state).max(v as u8);
        }
        r.breaker_by_tool = Some(states);
    }

    fn read_cache(&self, w: &Window, r: &mut TargetReading) {
        let hits = self.counter(Input::CacheHits, w, r);
        let misses = self.counter(Input::CacheMisses, w, r);
        let counted = |s: &[CounterSeries]| s.iter().map(|s| s.counted).sum::<f64>();
        if let (Some((_, h)), Some((_, m))) = (&hits, &misses) {
            let h_counted = counted(h);
            r.cache_hit_pct = pct(h_counted, h_counted + counted(m));
        }
        r.cache_hits = hits.map(|(_, s)| w.overall(&s));
        r.cache_misses = misses.map(|(_, s)| w.overall(&s));
    }

    fn read_security(&self, w: &Window, r: &mut TargetReading) {
        if let Some((_, series)) = self.counter(Input::TokenRotations, w, r) {
            r.token_rotations = Some(w.overall(&series));
        }
        r.policy_denials = self.breakdown(Input::PolicyDenials, w, r);
        r.security_events = self.breakdown(Input::SecurityEvents, w, r);
    }

    fn breakdown(&self, input: Input, w: &Window, r: &mut TargetReading) -> Option<Breakdown> {
        let (c, series) = self.counter(input, w, r)?;
        let label = c.group_by.clone().unwrap_or_default();
        let totals =
            w.grouped(&series, c.group_by.as_deref()).into_iter().map(|(k, reading)| (k, reading.total)).collect();
        Some(Breakdown { label, totals })
    }

    fn read_process(&self, w: &Window, r: &mut TargetReading) {
        if let Some((_, series)) = self.counter(Input::CpuSeconds, w, r) {
            r.cpu_pct_of_core = w.overall(&series).rate_per_sec.map(|cores| cores * 100.0);
        }
        if let Some(c) = self.pick(Input::RssBytes, w, r) {
            r.rss_bytes = Some(w.cur.samples(&c.metric).map(|s| s.value * c.scale).sum());
        }
        if let Some(c) = self.pick(Input::EventLoopLag, w, r) {
            r.event_loop_lag_ms =
                w.cur.samples(&c.metric).map(|s| s.value * c.scale).filter(|v| v.is_finite()).reduce(f64::max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::parser::{parse, strict_check};
    use crate::scrape::profile_file::four_runr;

    use crate::scrape::fixtures::{BIG, CHAOS, DURING, LIVE};

    /// Dashboard-named, well-formed scrapes 10 s apart: the openai requests counter restarted,
    /// `network` errors and `rate_limit` denials appear only in the second one.
    const DASH_PREV: &str = "\
# TYPE gateway_requests_total counter
gateway_requests_total{action=\"search\",code=\"200\",tool=\"serpapi\"} 100
gateway_requests_total{action=\"search\",code=\"500\",tool=\"serpapi\"} 10
gateway_requests_total{action=\"chat\",code=\"200\",tool=\"openai\"} 50
# TYPE gateway_request_duration_seconds histogram
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.05\"} 50
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.1\"} 100
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"+Inf\"} 110
gateway_request_duration_seconds_sum{tool=\"serpapi\"} 6
gateway_request_duration_seconds_count{tool=\"serpapi\"} 110
# TYPE gateway_errors_total counter
gateway_errors_total{error_type=\"upstream\"} 10
# TYPE gateway_circuit_breaker_state gauge
gateway_circuit_breaker_state{tool=\"serpapi\"} 0
# TYPE gateway_cache_hits_total counter
gateway_cache_hits_total 30
# TYPE gateway_cache_misses_total counter
gateway_cache_misses_total 70
# TYPE gateway_token_rotations_total counter
gateway_token_rotations_total 5
# TYPE gateway_policy_denials_total counter
gateway_policy_denials_total{reason=\"scope\"} 2
# TYPE gateway_security_events_total counter
gateway_security_events_total{event_type=\"token_revocation\"} 1
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 100000000
";

    const DASH_CUR: &str = "\
# TYPE gateway_requests_total counter
gateway_requests_total{action=\"search\",code=\"200\",tool=\"serpapi\"} 180
gateway_requests_total{action=\"search\",code=\"500\",tool=\"serpapi\"} 30
gateway_requests_total{action=\"chat\",code=\"200\",tool=\"openai\"} 5
# TYPE gateway_request_duration_seconds histogram
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.05\"} 90
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.1\"} 180
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"+Inf\"} 210
gateway_request_duration_seconds_sum{tool=\"serpapi\"} 12
gateway_request_duration_seconds_count{tool=\"serpapi\"} 210
# TYPE gateway_errors_total counter
gateway_errors_total{error_type=\"upstream\"} 30
gateway_errors_total{error_type=\"network\"} 1
# TYPE gateway_circuit_breaker_state gauge
gateway_circuit_breaker_state{tool=\"serpapi\"} 2
gateway_circuit_breaker_state{tool=\"openai\"} 1
# TYPE gateway_cache_hits_total counter
gateway_cache_hits_total 90
# TYPE gateway_cache_misses_total counter
gateway_cache_misses_total 90
# TYPE gateway_token_rotations_total counter
gateway_token_rotations_total 7
# TYPE gateway_policy_denials_total counter
gateway_policy_denials_total{reason=\"scope\"} 4
gateway_policy_denials_total{reason=\"rate_limit\"} 1
# TYPE gateway_security_events_total counter
gateway_security_events_total{event_type=\"token_revocation\"} 2
gateway_security_events_total{event_type=\"provenance_mismatch\"} 1
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 17.5
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 150000000
";

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    fn found(res: &[InputResolution], input: Input) -> (Option<&str>, usize) {
        let r = res.iter().find(|r| r.input == input).unwrap();
        (r.found.as_deref(), r.series)
    }

    #[test]
    fn resolves_real_gateway_names() {
        let res = four_runr().resolve(&parse(LIVE));
        assert_eq!(res.len(), Input::ALL.len());
        let expected = [
            (Input::Requests, Some("gateway_requests_total_total"), 9),
            (Input::Latency, Some("gateway_request_duration_ms_ms"), 7),
            (Input::BreakerState, Some("gateway_breaker_state"), 4),
            (Input::TokenRotations, Some("gateway_token_generations_total_total"), 21),
            (Input::PolicyDenials, Some("gateway_policy_denials_total_total"), 8),
            (Input::Errors, None, 0),
            (Input::CacheHits, None, 0),
            (Input::CacheMisses, None, 0),
            (Input::SecurityEvents, None, 0),
            (Input::CpuSeconds, None, 0),
            (Input::RssBytes, None, 0),
        ];
        for (input, metric, series) in expected {
            assert_eq!(found(&res, input), (metric, series), "{}", input.name());
        }
        let latency = res.iter().find(|r| r.input == Input::Latency).unwrap();
        assert_eq!(latency.tried[0], "gateway_request_duration_seconds");
    }

    #[test]
    fn resolves_dashboard_names() {
        let res = four_runr().resolve(&parse(DASH_CUR));
        assert!(res.iter().filter(|r| Input::PANELS.contains(&r.input)).all(|r| r.found.is_some()), "{res:#?}");
        assert_eq!(found(&res, Input::Latency), (Some("gateway_request_duration_seconds"), 1));
        assert_eq!(found(&res, Input::Requests), (Some("gateway_requests_total"), 3));
    }

    #[test]
    fn reads_one_real_scrape_cumulatively() {
        let r = four_runr().read(None, (&parse(LIVE), 100.0));
        assert_eq!(r.window_secs, None);
        let requests = r.requests.unwrap();
        assert_eq!((requests.total, requests.rate_per_sec), (90.0, None));
        let by_tool = r.requests_by_tool.unwrap();
        assert_eq!(by_tool["openai"].total, 19.0);
        assert_eq!(by_tool["http_fetch"].total, 42.0);
        // Two 502s among 90 requests.
        assert!(close(r.success_pct, 8800.0 / 90.0));
        let success = r.success_pct_by_tool.unwrap();
        assert!(close(success.get("openai").copied(), 1800.0 / 19.0));
        assert_eq!(success["serpapi"], 100.0);

        // serpapi: 6 observations, all ≤ 25 ms: interpolated inside the lowest bucket.
        let latency = r.latency_by_tool.unwrap();
        assert_eq!(latency["serpapi"].p50_ms, Some(12.5));
        assert!(close(latency["serpapi"].p99_ms, 24.75));
        assert_eq!(latency["http_fetch"].count, 21.0);
        assert_eq!(r.latency.unwrap().count, 46.0);

        let breakers = r.breaker_by_tool.unwrap();
        assert_eq!(breakers.len(), 4);
        assert!(breakers.values().all(|&s| s == 0));
        assert_eq!(r.token_rotations.unwrap().total, 21.0);
        let denials = r.policy_denials.unwrap();
        assert_eq!(denials.label, "tool");
        assert_eq!(denials.totals["http_fetch"], 5.0);
        assert_eq!(denials.totals["serpapi"], 2.0);
        assert_eq!(denials.totals["nope"], 1.0);

        // What the real gateway does not expose stays unknown.
        assert_eq!(r.errors_by_type, None);
        assert_eq!(r.cache_hits, None);
        assert_eq!(r.cache_hit_pct, None);
        assert_eq!(r.security_events, None);
        assert_eq!(r.cpu_pct_of_core, None);
        assert_eq!(r.rss_bytes, None);
        assert_eq!(r.sources[&Input::Latency], "gateway_request_duration_ms_ms");
        assert!(!r.sources.contains_key(&Input::Errors));
    }

    #[test]
    fn reads_a_window_between_dashboard_scrapes() {
        assert_eq!(strict_check(DASH_PREV), vec![]);
        assert_eq!(strict_check(DASH_CUR), vec![]);
        let (prev, cur) = (parse(DASH_PREV), parse(DASH_CUR));
        let r = four_runr().read(Some((&prev, 100.0)), (&cur, 110.0));
        assert_eq!(r.window_secs, Some(10.0));

        // serpapi +80 ok +20 failed; openai restarted and counted 5.
        let by_tool = r.requests_by_tool.unwrap();
        assert!(close(by_tool["serpapi"].rate_per_sec, 10.0));
        assert!(close(by_tool["openai"].rate_per_sec, 0.5));
        assert_eq!(by_tool["openai"].total, 5.0);
        assert!(close(r.requests.unwrap().rate_per_sec, 10.5));
        assert!(close(r.success_pct, 8500.0 / 105.0));
        assert!(close(r.success_pct_by_tool.unwrap().get("serpapi").copied(), 80.0));

        // Window buckets (ms): ≤50: 40, ≤100: 80, +Inf: 100.
        let latency = r.latency_by_tool.unwrap()["serpapi"];
        assert_eq!(latency.count, 100.0);
        assert!(close(latency.p50_ms, 62.5));
        assert!(close(latency.p95_ms, 100.0));
        assert!(close(latency.p99_ms, 100.0));

        let errors = r.errors_by_type.unwrap();
        assert_eq!(errors["upstream"].total, 30.0);
        assert!(close(errors["upstream"].rate_per_sec, 2.0));
        assert!(close(errors["network"].rate_per_sec, 0.1));

        let breakers = r.breaker_by_tool.unwrap();
        assert_eq!((breakers["serpapi"], breakers["openai"]), (2, 1));
        assert!(close(r.cache_hit_pct, 75.0));
        assert_eq!(r.cache_misses.unwrap().total, 90.0);
        assert!(close(r.token_rotations.unwrap().rate_per_sec, 0.2));
        let denials = r.policy_denials.unwrap();
        assert_eq!(denials.label, "reason");
        assert_eq!(denials.totals.get("scope"), Some(&4.0));
        assert_eq!(denials.totals.get("rate_limit"), Some(&1.0));
        let events = r.security_events.unwrap();
        assert_eq!(events.totals.get("provenance_mismatch"), Some(&1.0));
        assert!(close(r.cpu_pct_of_core, 50.0));
        assert_eq!(r.rss_bytes, Some(150_000_000.0));
        assert_eq!(r.sources.len(), Input::PANELS.len(), "every panel input is read");
        assert_eq!(r.sources[&Input::Latency], "gateway_request_duration_seconds");
    }

    #[test]
    fn new_series_count_from_zero_across_real_scrapes() {
        // Every agent in the later scrape is new: each generation series counts from zero.
        let r = four_runr().read(Some((&parse(CHAOS), 0.0)), (&parse(BIG), 70.0));
        let rotations = r.token_rotations.unwrap();
        assert_eq!(rotations.total, 7.0);
        assert!(close(rotations.rate_per_sec, 0.1));
    }

    #[test]
    fn no_window_when_scrapes_are_not_in_time_order() {
        let cur = parse(DASH_CUR);
        let r = four_runr().read(Some((&parse(DASH_PREV), 110.0)), (&cur, 110.0));
        assert_eq!(r.window_secs, None);
        assert_eq!(r.requests.unwrap().rate_per_sec, None);
        assert_eq!(r.cpu_pct_of_core, None);
        // Cumulative: 180 + 5 ok of 215.
        assert!(close(r.success_pct, 18500.0 / 215.0));
    }

    #[test]
    fn success_from_errors_when_requests_have_no_code() {
        let text = "gateway_requests_total{tool=\"a\"} 200\ngateway_errors_total{error_type=\"auth\"} 10\n";
        let r = four_runr().read(None, (&parse(text), 1.0));
        assert!(close(r.success_pct, 95.0));
        assert_eq!(r.success_pct_by_tool, None);
    }

    #[test]
    fn a_scrape_without_the_inputs_reads_as_unknown() {
        let r = four_runr().read(None, (&parse(DURING), 1.0));
        assert_eq!(r.requests, None);
        assert_eq!(r.success_pct, None);
        assert_eq!(r.latency, None);
        assert_eq!(r.breaker_by_tool, None);
        assert!(r.sources.is_empty());
    }
}
