//! The gateway's Prometheus registry: the names the Grafana dashboard queries, written in
//! well-formed text format 0.0.4 (one HELP/TYPE per family, `+Inf` buckets, trailing newline).

use crate::util::lock;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the duration histogram; fine below 100 ms where the KPIs live.
pub const DURATION_BUCKETS: [f64; 20] = [
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.06, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0, 30.0,
];

pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, f64>>,
}

impl CounterVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    pub fn inc(&self, label_values: &[&str]) {
        self.add(label_values, 1.0);
    }

    pub fn add(&self, label_values: &[&str], by: f64) {
        debug_assert_eq!(label_values.len(), self.labels.len());
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        *lock(&self.values).entry(key).or_insert(0.0) += by;
    }

    pub fn get(&self, label_values: &[&str]) -> f64 {
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        lock(&self.values).get(&key).copied().unwrap_or(0.0)
    }

    fn write(&self, out: &mut String, kind: &str) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, kind);
        for (key, value) in lock(&self.values).iter() {
            let _ = writeln!(out, "{}{} {}", self.name, label_text(self.labels, key, None), fmt_value(*value));
        }
    }
}

/// A gauge is a counter whose value is set rather than added to.
pub struct GaugeVec(CounterVec);

impl GaugeVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self(CounterVec::new(name, help, labels))
    }

    pub fn set(&self, label_values: &[&str], value: f64) {
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        lock(&self.0.values).insert(key, value);
    }

    pub fn get(&self, label_values: &[&str]) -> f64 {
        self.0.get(label_values)
    }
}

#[derive(Clone, Default)]
struct HistogramData {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, HistogramData>>,
}

impl HistogramVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    pub fn observe(&self, label_values: &[&str], seconds: f64) {
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        let mut values = lock(&self.values);
        let data = values
            .entry(key)
            .or_insert_with(|| HistogramData { buckets: vec![0; DURATION_BUCKETS.len()], ..Default::default() });
        if let Some(i) = DURATION_BUCKETS.iter().position(|le| seconds <= *le) {
            data.buckets[i] += 1;
        }
        data.sum += seconds;
        data.count += 1;
    }

    pub fn count(&self, label_values: &[&str]) -> u64 {
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        lock(&self.values).get(&key).map_or(0, |d| d.count)
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} histogram", self.name);
        for (key, data) in lock(&self.values).iter() {
            let mut cumulative = 0;
            for (le, n) in DURATION_BUCKETS.iter().zip(&data.buckets) {
                cumulative += n;
                let le = fmt_value(*le);
                let labels = label_text(self.labels, key, Some(&le));
                let _ = writeln!(out, "{}_bucket{} {}", self.name, labels, cumulative);
            }
            let labels = label_text(self.labels, key, Some("+Inf"));
            let _ = writeln!(out, "{}_bucket{} {}", self.name, labels, data.count);
            let labels = label_text(self.labels, key, None);
            let _ = writeln!(out, "{}_sum{} {}", self.name, labels, fmt_value(data.sum));
            let _ = writeln!(out, "{}_count{} {}", self.name, labels, data.count);
        }
    }
}

pub struct Registry {
    pub requests: CounterVec,
    pub duration: HistogramVec,
    pub errors: CounterVec,
    pub breaker_state: GaugeVec,
    pub breaker_fastfail: CounterVec,
    pub retries: CounterVec,
    pub cache_hits: CounterVec,
    pub cache_misses: CounterVec,
    pub token_generations: CounterVec,
    pub token_rotations: CounterVec,
    pub token_validations: CounterVec,
    pub policy_denials: CounterVec,
    pub security_events: CounterVec,
    pub agent_creations: CounterVec,
    pub chaos_injections: CounterVec,
    pub chaos_clearings: CounterVec,
    pub rate_limited: CounterVec,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            requests: CounterVec::new(
                "gateway_requests_total",
                "Proxy requests by tool, action and status code.",
                &["tool", "action", "code"],
            ),
            duration: HistogramVec::new(
                "gateway_request_duration_seconds",
                "Proxy request duration in seconds.",
                &["tool", "action"],
            ),
            errors: CounterVec::new("gateway_errors_total", "Proxy errors by type.", &["error_type"]),
            breaker_state: GaugeVec::new(
                "gateway_circuit_breaker_state",
                "Circuit breaker state per tool (0 closed, 1 half-open, 2 open).",
                &["tool"],
            ),
            breaker_fastfail: CounterVec::new(
                "gateway_breaker_fastfail_total",
                "Calls failed fast by an open breaker.",
                &["tool"],
            ),
            retries: CounterVec::new(
                "gateway_retries_total",
                "Upstream retries by tool, action and outcome.",
                &["tool", "action", "outcome"],
            ),
            cache_hits: CounterVec::new("gateway_cache_hits_total", "Response cache hits.", &["tool", "action"]),
            cache_misses: CounterVec::new(
                "gateway_cache_misses_total",
                "Response cache misses on cacheable actions.",
                &["tool", "action"],
            ),
            token_generations: CounterVec::new("gateway_token_generations_total", "Tokens issued.", &[]),
            token_rotations: CounterVec::new(
                "gateway_token_rotations_total",
                "Tokens issued to agents that already held one.",
                &[],
            ),
            token_validations: CounterVec::new(
                "gateway_token_validations_total",
                "Token validations by outcome.",
                &["success"],
            ),
            policy_denials: CounterVec::new("gateway_policy_denials_total", "Policy denials by reason.", &["reason"]),
            security_events: CounterVec::new(
                "gateway_security_events_total",
                "Security events by type.",
                &["event_type"],
            ),
            agent_creations: CounterVec::new("gateway_agent_creations_total", "Agents created.", &[]),
            chaos_injections: CounterVec::new(
                "gateway_chaos_injections_total",
                "Calls affected by injected chaos.",
                &["tool", "error_type"],
            ),
            chaos_clearings: CounterVec::new("gateway_chaos_clearings_total", "Chaos clearings.", &[]),
            rate_limited: CounterVec::new(
                "gateway_rate_limited_total",
                "Calls refused by the per-agent rate limit.",
                &[],
            ),
        }
    }
}

impl Registry {
    /// Renders the whole exposition, with process metrics read at call time.
    pub fn render(&self, start_time_secs: f64) -> String {
        let mut out = String::with_capacity(16 * 1024);
        for counter in [
            &self.requests,
            &self.errors,
            &self.breaker_fastfail,
            &self.retries,
            &self.cache_hits,
            &self.cache_misses,
            &self.token_generations,
            &self.token_rotations,
            &self.token_validations,
            &self.policy_denials,
            &self.security_events,
            &self.agent_creations,
            &self.chaos_injections,
            &self.chaos_clearings,
            &self.rate_limited,
        ] {
            counter.write(&mut out, "counter");
        }
        self.breaker_state.0.write(&mut out, "gauge");
        self.duration.write(&mut out);
        let process = crate::procstat::read_self();
        if let Some(cpu) = process.cpu_seconds {
            let _ = writeln!(out, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.");
            let _ = writeln!(out, "# TYPE process_cpu_seconds_total counter");
            let _ = writeln!(out, "process_cpu_seconds_total {}", fmt_value(cpu));
        }
        if let Some(rss) = process.rss_bytes {
            let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.");
            let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        let _ =
            writeln!(out, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.");
        let _ = writeln!(out, "# TYPE process_start_time_seconds gauge");
        let _ = writeln!(out, "process_start_time_seconds {}", fmt_value(start_time_secs));
        out
    }
}

fn label_text(names: &[&str], values: &[String], le: Option<&str>) -> String {
    if names.is_empty() && le.is_none() {
        return String::new();
    }
    let mut s = String::from("{");
    for (i, (n, v)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{n}=\"{}\"", escape_label(v));
    }
    if let Some(le) = le {
        if !names.is_empty() {
            s.push(',');
        }
        let _ = write!(s, "le=\"{le}\"");
    }
    s.push('}');
    s
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn fmt_value(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}
