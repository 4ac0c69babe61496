//! `proofdeck compare`: per-KPI and per-tool deltas between two runs that measured the same
//! thing; a regression, or runs that cannot be compared, exit 1.

use crate::outcome::exit;
use crate::report;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompareArgs {
    pub base: PathBuf,
    pub new: PathBuf,
    /// Allowed relative worsening of a latency KPI or tool percentile, in percent (≥ 0)
    #[arg(long, default_value_t = 10.0, value_parser = parse_tolerance)]
    pub tolerance_pct: f64,
    /// Compare even when a run is partial, aborted, empty or from another scenario (still warns)
    #[arg(long)]
    pub allow_partial: bool,
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("invalid tolerance {s:?}: expected a percentage ≥ 0, e.g. 10")),
    }
}

/// A regression: a KPI that held and now fails, or a latency that worsened beyond tolerance.
/// Runs that cannot be compared (partial, aborted, empty, another scenario) are refused.
pub fn compare(args: &CompareArgs) -> i32 {
    let (base, new) = match (report::read(&args.base), report::read(&args.new)) {
        (Ok(b), Ok(n)) => (b, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let problems = incomparable(&base, &new);
    if !problems.is_empty() {
        let label = if args.allow_partial { "warning" } else { "not comparable" };
        for p in &problems {
            println!("{label}: {p}");
        }
        if !args.allow_partial {
            println!("(--allow-partial compares them anyway)");
            return exit::KPI_FAILED;
        }
    }
    let (text, regressions) = compare_reports(&base, &new, args.tolerance_pct);
    print!("{text}");
    if regressions.is_empty() {
        println!("no regression beyond {}%", args.tolerance_pct);
        exit::OK
    } else {
        println!("REGRESSION: {}", regressions.join(", "));
        exit::KPI_FAILED
    }
}

/// Why two runs do not measure the same thing, each side named.
pub fn incomparable(base: &report::RunReport, new: &report::RunReport) -> Vec<String> {
    let mut out = Vec::new();
    for (side, r) in [("BASE", base), ("NEW", new)] {
        if let Some(why) = &r.abort {
            out.push(format!("{side} was aborted or cut short: {why}"));
        } else if r.partial {
            out.push(format!("{side} is partial (interrupted after {:.1} s)", r.duration_s));
        }
        if r.totals.requests == 0 {
            out.push(format!("{side} sent no request"));
        }
    }
    if base.scenario.hash != new.scenario.hash {
        out.push(format!(
            "the runs used different scenarios: BASE {:?} ({}) vs NEW {:?} ({})",
            base.scenario.name, base.scenario.hash, new.scenario.name, new.scenario.hash
        ));
    }
    out
}

/// "12.30", or "—" for a value that was not measured.
fn shown(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.2}"))
}

pub fn compare_reports(base: &report::RunReport, new: &report::RunReport, tolerance_pct: f64) -> (String, Vec<String>) {
    use report::kpi::Verdict;
    use std::fmt::Write;
    let mut out = String::new();
    let mut regressions = Vec::new();
    let _ = writeln!(out, "{:<36} {:>12} {:>12} {:>9}", "KPI", "base", "new", "delta");
    for k in &new.kpis {
        let Some(b) = base.kpis.iter().find(|b| b.id == k.id) else {
            continue;
        };
        // A delta needs both values and a base that is not zero.
        let delta = match (b.value, k.value) {
            (Some(bv), Some(nv)) if bv.abs() > 1e-9 => Some((nv - bv) / bv * 100.0),
            _ => None,
        };
        let why = match (b.value, k.value) {
            (None, _) => format!("  (base not measured: {})", b.evidence),
            (_, None) => format!("  (new not measured: {})", k.evidence),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<36} {:>12} {:>12} {:>9}  {} → {}{why}",
            k.name,
            shown(b.value),
            shown(k.value),
            delta.map_or("—".into(), |d| format!("{d:.1}%")),
            b.verdict.label(),
            k.verdict.label()
        );
        let latency = k.unit == "ms";
        if (b.verdict == Verdict::Pass && k.verdict == Verdict::Fail)
            || (latency && delta.is_some_and(|d| d > tolerance_pct))
        {
            regressions.push(format!("{} ({} → {} {})", k.name, shown(b.value), shown(k.value), k.unit));
        }
        // Same scenario, yet the evidence is gone (a counter dropped, a phase cut short).
        if b.verdict == Verdict::Pass && k.verdict == Verdict::NotMeasured {
            regressions.push(format!("{} no longer measured ({})", k.name, k.evidence));
        }
    }
    let _ = writeln!(out, "\n{:<14} {:>10} {:>10} {:>9}", "tool p99 ms", "base", "new", "delta");
    for t in &new.tools {
        let Some(b) = base.tools.iter().find(|b| b.name == t.name) else {
            continue;
        };
        let value = |v: &crate::metrics::ToolView| (v.latency.count > 0).then_some(v.latency.p99_ms);
        let (bv, nv) = (value(b), value(t));
        let delta = match (bv, nv) {
            (Some(bv), Some(nv)) if bv > 0.0 => Some((nv - bv) / bv * 100.0),
            _ => None,
        };
        let _ = writeln!(
            out,
            "{:<14} {:>10} {:>10} {:>9}",
            t.name,
            shown(bv),
            shown(nv),
            delta.map_or("—".into(), |d| format!("{d:.1}%"))
        );
        if delta.is_some_and(|d| d > tolerance_pct) {
            regressions.push(format!("{} p99 ({} → {} ms)", t.name, shown(bv), shown(nv)));
        }
    }
    (out, regressions)
}
