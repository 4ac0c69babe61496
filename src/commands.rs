//! The small subcommands: validate, chaos, report, compare.

use crate::chaos::ChaosClient;
use crate::cli::exit;
use crate::live::ActiveChaos;
use crate::report;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn validate(path: &Path) -> i32 {
    match crate::scenario::load_file(path) {
        Ok(s) => {
            println!(
                "{}: ok — {} phases ({}), {} flows, {} setup groups, {} chaos entries, peak {:.1} arrivals/s",
                path.display(),
                s.phases.len(),
                crate::scenario::duration::format(s.total_duration()),
                s.flows.len(),
                s.setup.len(),
                s.chaos.len(),
                s.peak_rate()
            );
            exit::OK
        }
        Err(e) => {
            eprint!("{e}");
            exit::USAGE
        }
    }
}

#[derive(Args, Debug)]
pub struct ChaosTarget {
    /// Target base URL
    #[arg(long, env = "PROOFDECK_TARGET")]
    pub target: String,
    /// Target profile: `4runr` or a profile file describing the chaos admin routes
    #[arg(long, default_value = "4runr", env = "PROOFDECK_PROFILE")]
    pub profile: String,
}

#[derive(Subcommand, Debug)]
pub enum ChaosCommand {
    /// Inject chaos on one tool
    Inject {
        #[command(flatten)]
        on: ChaosTarget,
        #[arg(long)]
        tool: String,
        /// timeout | 500 | jitter
        #[arg(long)]
        mode: String,
        #[arg(long)]
        pct: f64,
    },
    /// Clear chaos on one tool, or on all
    Clear {
        #[command(flatten)]
        on: ChaosTarget,
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        tool: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Show the target's chaos state
    Status {
        #[command(flatten)]
        on: ChaosTarget,
    },
}

pub async fn chaos(cmd: ChaosCommand) -> i32 {
    let on = match &cmd {
        ChaosCommand::Inject { on, .. } | ChaosCommand::Clear { on, .. } | ChaosCommand::Status { on } => on,
    };
    if let Err(e) = crate::scenario::target::check(&on.target) {
        eprintln!("error: {e}");
        return exit::USAGE;
    }
    let client = match crate::scrape::profile_file::resolve(&on.profile) {
        Ok(p) => match p.chaos {
            Some(routes) => ChaosClient::with_routes(&on.target, Duration::from_secs(5), routes),
            None => {
                eprintln!("error: the profile {} has no chaos admin API", on.profile);
                return exit::USAGE;
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let result = match &cmd {
        ChaosCommand::Inject { tool, mode, pct, .. } => client.inject(tool, mode, *pct).await,
        ChaosCommand::Clear { tool: Some(tool), .. } => client.clear(tool).await,
        ChaosCommand::Clear { .. } => client.clear_all().await,
        ChaosCommand::Status { .. } => client.status().await,
    };
    match result {
        Ok(active) => {
            print_active(&active);
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            // The target answered and refused the request as written: a usage error.
            match e.status {
                Some(400..=499) => exit::USAGE,
                _ => exit::ABORTED,
            }
        }
    }
}

fn print_active(active: &[ActiveChaos]) {
    if active.is_empty() {
        println!("no chaos active");
    }
    for c in active {
        println!("{:<12} {:<8} {}%", c.tool, c.mode, c.pct);
    }
}

pub fn rerender(dir: &Path) -> i32 {
    let run = match report::read(dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    match report::render_files(&run, dir) {
        Ok(()) => {
            println!("re-rendered report.md, junit.xml, timeseries.csv and charts in {}", dir.display());
            exit::OK
        }
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", dir.display());
            exit::ABORTED
        }
    }
}

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

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// An Artillery script (YAML)
    Artillery {
        file: PathBuf,
        /// Write the scenario here (default: stdout)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Converts, writes the scenario, and lists on stderr what needs a human, with YAML lines.
pub fn import(cmd: ImportCommand) -> i32 {
    let ImportCommand::Artillery { file, output } = cmd;
    let yaml = match std::fs::read_to_string(&file) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return exit::USAGE;
        }
    };
    let conversion = match crate::scenario::artillery::convert(&file, &yaml) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return exit::USAGE;
        }
    };
    match &output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &conversion.toml) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::ABORTED;
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{}", conversion.toml),
    }
    if !conversion.todos.is_empty() {
        eprintln!("{} parts need a human (kept as # TODO comments in the scenario):", conversion.todos.len());
        for t in &conversion.todos {
            eprintln!("  {}:{}: {}", file.display(), t.line, t.what);
        }
    }
    exit::OK
}
