//! The search's files: `capacity.json` (the model), `capacity.md` (the table and the
//! finding) and `capacity.svg` (rate → latency percentiles, with the p99 target).

use super::model::{fmt_rate, Capacity, StepMeasure, StepVerdict};
use crate::report::svg_chart::{self, Chart, Series};
use std::fmt::Write as _;
use std::path::Path;

pub fn write(c: &Capacity, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(c).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("capacity.json"), json)?;
    std::fs::write(dir.join("capacity.md"), markdown(c))?;
    std::fs::write(dir.join("capacity.svg"), svg_chart::render(&chart(c), 900, 360))
}

/// One step in a line, for the progress on stderr.
pub fn step_line(m: &StepMeasure, v: &StepVerdict) -> String {
    let success = m.success_pct().map_or("—".into(), |s| format!("{s:.2}%"));
    format!(
        "{}: p50 {:.1} / p95 {:.1} / p99 {:.1} ms, success {success}, {} samples",
        verdict_word(v),
        m.p50_ms,
        m.p95_ms,
        m.p99_ms,
        m.samples
    )
}

fn verdict_word(v: &StepVerdict) -> String {
    match v {
        StepVerdict::Held => "held".into(),
        StepVerdict::Broke { detail, .. } => format!("broke ({detail})"),
        StepVerdict::ClientLimited { reason } => format!("client limit ({reason})"),
        StepVerdict::TooFewSamples { samples } => format!("too few samples ({samples})"),
        StepVerdict::Aborted { reason } => format!("aborted ({reason})"),
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("—".into(), f)
}

pub fn markdown(c: &Capacity) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Capacity: {}\n", c.scenario);
    let _ = writeln!(s, "**{}**\n", c.headline());
    let _ = writeln!(
        s,
        "Target {} · started {} · KPIs: p50 ≤ {} ms, p95 ≤ {} ms, p99 ≤ {} ms, success ≥ {}% · steps from {} up to {} \
         arrivals/s, doubling then bisecting to {}% · each step at least {} happy-path samples.\n",
        c.target,
        c.started_at,
        c.kpi.p50_ms,
        c.kpi.p95_ms,
        c.kpi.p99_ms,
        c.kpi.success_pct,
        c.start_rate,
        c.max_rate,
        c.precision_pct,
        c.min_samples
    );
    let _ =
        writeln!(s, "Capacity (highest rate that held the latency and success KPIs): **{}**\n", fmt_rate(c.capacity));
    if let Some(headroom) = c.headroom() {
        let _ = writeln!(s, "Headroom: {headroom}.\n");
    }
    if c.target_in_process {
        let _ = writeln!(
            s,
            "The target is the bundled gateway in proofdeck's own process: client CPU includes the gateway's work, and \
             a saturated CPU is this machine's limit, not the gateway's alone.\n"
        );
    }
    s.push_str("| step | arrivals/s | duration | samples | p50 ms | p95 ms | p99 ms | success | target CPU | target RSS | breaker transitions | client CPU | dispatch lag | verdict |\n");
    s.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (i, step) in c.steps.iter().enumerate() {
        let m = &step.measure;
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.0} s | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {:.2} ms | {} |",
            i + 1,
            m.rate,
            m.duration_s,
            m.samples,
            m.p50_ms,
            m.p95_ms,
            m.p99_ms,
            opt(m.success_pct(), |v| format!("{v:.2}%")),
            opt(m.target_cpu_pct, |v| format!("{v:.0}% of a core")),
            opt(m.target_rss_bytes, |v| format!("{:.0} MiB", v / 1_048_576.0)),
            m.breaker_transitions.map_or("—".into(), |n| n.to_string()),
            opt(m.client_cpu_pct, |v| format!("{v:.0}%")),
            m.dispatch_lag_ms,
            verdict_word(&step.verdict).replace('|', "\\|"),
        );
    }
    s.push_str(
        "\nLatency is client-measured from each arrival's intended start (no coordinated omission), \
         over the happy-path calls of the step; target CPU, RSS and breaker transitions are scraped \
         from its /metrics (— where its profile names no such series); client CPU is this process's, \
         in % of all cores; dispatch lag is how long after its intended start a request left, on \
         average.\n",
    );
    s
}

/// Rate → p50/p95/p99 of the steps that were judged, with the p99 target as a line.
fn chart(c: &Capacity) -> Chart {
    let mut judged: Vec<&StepMeasure> = c
        .steps
        .iter()
        .filter(|s| matches!(s.verdict, StepVerdict::Held | StepVerdict::Broke { .. }))
        .map(|s| &s.measure)
        .collect();
    judged.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let line = |name: &str, color: &str, f: fn(&StepMeasure) -> f64| Series {
        name: name.into(),
        color: color.into(),
        points: judged.iter().map(|m| (m.rate, f(m))).collect(),
    };
    let mut series = vec![
        line("p50", "#2563eb", |m| m.p50_ms),
        line("p95", "#f59e0b", |m| m.p95_ms),
        line("p99", "#ef4444", |m| m.p99_ms),
    ];
    if let (Some(first), Some(last)) = (judged.first(), judged.last()) {
        series.push(Series {
            name: format!("p99 target {} ms", c.kpi.p99_ms),
            color: "#9ca3af".into(),
            points: vec![(first.rate, c.kpi.p99_ms), (last.rate, c.kpi.p99_ms)],
        });
    }
    Chart {
        title: format!("Capacity search: latency by arrival rate ({})", fmt_rate(c.capacity)),
        y_unit: "ms".into(),
        series,
        log_y: true,
        x_unit: Some("arrivals/s".into()),
        ..Default::default()
    }
}
