//! The outcome of a run, told the same way by every view: the exit code of the spec, and the
//! summary, reconciliation and verdict in words (progress lines too).

use crate::metrics::{RunStatus, Snapshot};
use crate::report::kpi::{self, KpiResult};
use crate::scrape::reconcile::Reconciliation;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Exit codes of the spec.
pub mod exit {
    pub const OK: i32 = 0;
    pub const KPI_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ABORTED: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

/// An error as printed: `error: …`, once, also for one that is already a located diagnostic.
pub fn error_text(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    if text.starts_with("error:") {
        text
    } else {
        format!("error: {text}")
    }
}

/// What a finished session hands to the views.
pub struct Outcome {
    pub snapshot: Arc<Snapshot>,
    pub reconciliation: Reconciliation,
    pub kpis: Vec<KpiResult>,
    pub verdict: kpi::RunVerdict,
    pub chaos_left: Vec<crate::live::ChaosLeft>,
    pub report_dir: Option<PathBuf>,
    pub report_error: Option<String>,
    pub exit_code: i32,
    /// The run's secrets, masked by value in everything printed too.
    pub secrets: crate::redact::Secrets,
}

/// The summary, reconciliation, verdict and where the report is, on stdout.
pub fn print_outcome(outcome: &Outcome) {
    use crate::stop::{print, say};
    let mut text = summary(&outcome.snapshot, &outcome.kpis);
    text.push_str(&reconciliation_summary(&outcome.reconciliation));
    text.push_str(&verdict_summary(&outcome.verdict));
    for l in &outcome.chaos_left {
        text.push_str(&format!(
            "!! CHAOS LEFT ON THE TARGET: {} {} ({}) — clear it with `proofdeck chaos clear --target URL --tool {}`\n",
            l.tool, l.state, l.why, l.tool
        ));
    }
    if outcome.exit_code == exit::INTERRUPTED {
        text.push_str("interrupted: the figures cover only the part of the plan that ran\n");
    }
    if let Some(dir) = &outcome.report_dir {
        text.push_str(&format!("report: {}\n", dir.display()));
    }
    // Much of this came from the target (label values, bodies, admin errors): no escape
    // sequence reaches the terminal, and no secret of the run.
    print(&outcome.secrets.mask(&crate::util::printable(&text, true)));
    if let Some(e) = &outcome.report_error {
        say(&outcome
            .secrets
            .mask(&crate::util::printable(&format!("error: the report could not be written: {e}"), false)));
    }
}

pub fn progress_line(s: &Snapshot) -> String {
    let status = match &s.status {
        RunStatus::Setup { done, total } => format!("setup {done}/{total}"),
        RunStatus::Running | RunStatus::Paused => match &s.phase {
            Some(p) => format!("{} {}/{} {:.0}/{:.0}s", p.name, p.index + 1, p.count, p.elapsed_s, p.duration_s),
            None => "running".into(),
        },
        other => format!("{other:?}").to_lowercase(),
    };
    // The KPI latency when there is one (happy-path calls), else the worst tool's.
    let p99 = if s.kpi_latency.count > 0 {
        s.kpi_latency.p99_ms
    } else {
        s.tools.iter().map(|t| t.latency.p99_ms).fold(0.0, f64::max)
    };
    let errors = s.errors().total();
    let err_pct = if s.completed > 0 { errors as f64 * 100.0 / s.requests().max(1) as f64 } else { 0.0 };
    format!(
        "{:>6.1}s {status} | rate {:.1}/s sched, {:.0}/s done | inflight {} dropped {} | p99 {:.1} ms | errors {:.2}%",
        s.elapsed_s, s.scheduled_rate, s.achieved_rps, s.inflight, s.dropped, p99, err_pct
    )
}

pub fn progress_json(s: &Snapshot) -> String {
    serde_json::json!({
        "elapsed_s": s.elapsed_s,
        "status": s.status,
        "phase": s.phase.as_ref().map(|p| &p.name),
        "scheduled_rate": s.scheduled_rate,
        "achieved_rps": s.achieved_rps,
        "arrivals": s.arrivals,
        "completed": s.completed,
        "inflight": s.inflight,
        "dropped": s.dropped,
        "errors": s.errors().total(),
        "p99_ms": s.kpi_latency.p99_ms,
    })
    .to_string()
}

/// The reconciliation in words: the named findings first, then each tool's verdict.
pub fn reconciliation_summary(rec: &crate::scrape::reconcile::Reconciliation) -> String {
    let mut out = String::new();
    let Some(metric) = &rec.metric else {
        let why = rec.skipped.as_deref().unwrap_or("no request counter on the target, or no scrape before and after");
        let _ = writeln!(out, "\nreconciliation: not reconciled ({why})");
        return out;
    };
    let flagged = rec.mismatches().count();
    let _ = writeln!(
        out,
        "\nreconciliation against {metric}: {} tools, {flagged} disagree beyond {}%",
        rec.tools.len(),
        rec.tolerance_pct
    );
    for f in &rec.findings {
        let _ = writeln!(out, "  finding: {f}");
    }
    for t in &rec.tools {
        let _ = writeln!(out, "  {:<8} {:<14} {}", if t.mismatch { "MISMATCH" } else { "ok" }, t.tool, t.note);
    }
    out
}

pub fn verdict_summary(v: &kpi::RunVerdict) -> String {
    let mut out = String::new();
    if v.passed {
        let _ = writeln!(out, "\nverdict: PASS — every measured KPI held");
    } else {
        let _ = writeln!(out, "\nverdict: FAIL");
        for r in v.reasons() {
            let _ = writeln!(out, "  - {r}");
        }
    }
    out
}

/// The first distinct failure details per tool and class, with how many each covers.
pub fn failures_summary(s: &Snapshot) -> String {
    let mut out = String::new();
    if s.failures.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nwhy requests failed (first distinct details per tool and class)");
    for f in s.failures.iter() {
        let _ = writeln!(out, "  {:<14} {:<16} ×{:<6} {}", f.tool, f.class.name(), f.count, one_line(&f.detail, 120));
    }
    out
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

pub fn summary(s: &Snapshot, kpis: &[KpiResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "proofdeck summary — {:?} after {:.1} s", s.status, s.elapsed_s);
    let _ = writeln!(
        out,
        "arrivals {}  started {}  dropped {}  requests {}  errors {}",
        s.arrivals,
        s.started,
        s.dropped,
        s.requests(),
        s.errors().total()
    );
    let _ = writeln!(
        out,
        "\n{:<14} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}  errors",
        "tool", "requests", "ok", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for t in &s.tools {
        let errs: Vec<String> =
            t.errors.iter().filter(|(_, n)| *n > 0).map(|(c, n)| format!("{}={n}", c.name())).collect();
        let _ = writeln!(
            out,
            "{:<14} {:>8} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}",
            t.name,
            t.requests,
            t.ok,
            t.latency.p50_ms,
            t.latency.p95_ms,
            t.latency.p99_ms,
            t.latency.max_ms,
            if errs.is_empty() { "-".into() } else { errs.join(" ") }
        );
    }
    if s.dispatch_lag.count > 0 {
        let d = &s.dispatch_lag;
        let _ = writeln!(
            out,
            "dispatch lateness of judged calls (intended start → send, proofdeck's own): p50 {:.3} / p99 {:.3} / max {:.3} ms",
            d.p50_ms, d.p99_ms, d.max_ms
        );
    }
    if let Some(d) = &s.distribution {
        let _ = writeln!(out, "shards: {}", d.headline());
        for row in d.rows().iter().filter(|r| r[1] == "LOST") {
            let _ = writeln!(out, "  shard {} LOST: {}", row[0], row[8]);
        }
    }
    let _ =
        writeln!(out, "\n{:<22} {:>9} {:>8} {:>8} {:>9} {:>9}", "flow", "kind", "iters", "ok", "denials", "breaches");
    for f in &s.flows {
        let _ = writeln!(
            out,
            "{:<22} {:>9} {:>8} {:>8} {:>9} {:>9}",
            f.name,
            format!("{:?}", f.kind).to_lowercase(),
            f.iterations,
            f.ok,
            f.correct_denials,
            f.breaches
        );
    }
    out.push_str(&failures_summary(s));
    let _ = writeln!(out, "\nKPIs{:<57}{:<12}source", "", "target");
    for k in kpis {
        let value = k.value.map_or("—".to_string(), |v| {
            format!("{v:.2}{}", if k.unit.is_empty() { String::new() } else { format!(" {}", k.unit) })
        });
        // Fits 80 columns: the source in one word, the target as the limit alone.
        let source = match k.source {
            crate::report::kpi::Source::ClientMeasured => "client",
            crate::report::kpi::Source::TargetScraped => "target",
        };
        let _ = writeln!(out, "  {:<12} {:<33} {:>11} {:<11} {source}", k.verdict.label(), k.name, value, k.target);
        // Every verdict that is not a plain pass says why, on its own line.
        if k.verdict != kpi::Verdict::Pass {
            let _ = writeln!(out, "  {:<12} {}", "", one_line(&k.evidence, 100));
        }
    }
    out
}

/// The spec's exit code for a finished session.
pub fn exit_code(snapshot: &Snapshot, verdict: &kpi::RunVerdict, interrupted: bool, aborted: bool) -> i32 {
    match &snapshot.status {
        _ if aborted => exit::ABORTED,
        RunStatus::Aborted { .. } => exit::ABORTED,
        _ if interrupted => exit::INTERRUPTED,
        _ if verdict.passed => exit::OK,
        _ => exit::KPI_FAILED,
    }
}
