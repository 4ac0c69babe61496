//! `proofdeck run`: raw flags → validated run plan → engine, with the cockpit or headless.

use crate::cli::exit;
use crate::engine::EngineOptions;
use crate::gateway::{GatewayConfig, GatewayHandle, RateLimit};
use crate::scenario::{self, Scenario};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The highest arrival rate any phase may reach, after `--rate-scale`.
const MAX_RATE: f64 = 1_000_000.0;

/// The built-in proof campaign, run by `proofdeck` alone.
pub const PROOF_SCENARIO: &str = include_str!("../scenarios/proof.toml");

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Scenario file (default: the built-in proof campaign)
    pub scenario: Option<PathBuf>,
    /// Target base URL (default: the scenario's, else the bundled gateway in-process)
    #[arg(long, env = "PROOFDECK_TARGET")]
    pub target: Option<String>,
    /// Headless: progress on stderr, summary on stdout (automatic when stdout is not a terminal)
    #[arg(long, env = "PROOFDECK_NO_TUI")]
    pub no_tui: bool,
    /// Multiply every phase's rate
    #[arg(long, default_value_t = 1.0, env = "PROOFDECK_RATE_SCALE")]
    pub rate_scale: f64,
    /// Stop the load after this long (e.g. 30s, 5m)
    #[arg(long, value_parser = parse_duration, env = "PROOFDECK_DURATION")]
    pub duration: Option<Duration>,
    /// Run only the phase with this name
    #[arg(long, env = "PROOFDECK_PHASE")]
    pub phase: Option<String>,
    /// Cap on in-flight iterations; arrivals beyond it are counted as dropped
    #[arg(long, env = "PROOFDECK_MAX_INFLIGHT")]
    pub max_inflight: Option<usize>,
    /// Seed for flow and variable picks
    #[arg(long, default_value_t = 1, env = "PROOFDECK_SEED")]
    pub seed: u64,
    /// Headless progress format
    #[arg(long, value_enum, default_value_t = Format::Human, env = "PROOFDECK_FORMAT")]
    pub format: Format,
    /// Where to write the run directory (default: under the user data dir)
    #[arg(long, env = "PROOFDECK_REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// Target profile: `4runr`, `generic` or a profile file (default: the scenario's; `generic` for quick runs)
    #[arg(long, env = "PROOFDECK_PROFILE")]
    pub profile: Option<String>,
    /// Cockpit theme (dark, light, high-contrast, or a user theme)
    #[arg(long, env = "PROOFDECK_THEME")]
    pub theme: Option<String>,
    /// Leave chaos this run injected in place when it ends
    #[arg(long, env = "PROOFDECK_KEEP_CHAOS")]
    pub keep_chaos: bool,
    /// Quick run: path to request, without a scenario file
    #[arg(long, env = "PROOFDECK_PATH")]
    pub path: Option<String>,
    /// Quick run: HTTP method
    #[arg(long, default_value = "GET", env = "PROOFDECK_METHOD")]
    pub method: String,
    /// Quick run: arrivals per second (open model)
    #[arg(long, env = "PROOFDECK_RATE")]
    pub rate: Option<f64>,
    /// Quick run: closed loop with this many connections (maximum throughput)
    #[arg(long, env = "PROOFDECK_CONNECTIONS")]
    pub connections: Option<usize>,
    /// Largest /metrics exposition read (e.g. 8MiB); a bigger one is refused and the target
    /// panels go stale
    #[arg(long, default_value = "4MiB", value_parser = crate::scrape::fetch::parse_size, env = "PROOFDECK_SCRAPE_MAX_BYTES")]
    pub scrape_max_bytes: usize,
    /// Timeout of each chaos admin call (clears are retried with backoff on top)
    #[arg(long, default_value = "5s", value_parser = parse_duration, env = "PROOFDECK_ADMIN_TIMEOUT")]
    pub admin_timeout: Duration,
    /// KPI: p50 latency at most this (e.g. 15ms); overrides the scenario's [kpi]
    #[arg(long, value_parser = parse_millis, env = "PROOFDECK_P50")]
    pub p50: Option<f64>,
    /// KPI: p95 latency at most this (e.g. 35ms)
    #[arg(long, value_parser = parse_millis, env = "PROOFDECK_P95")]
    pub p95: Option<f64>,
    /// KPI: p99 latency at most this (e.g. 50ms)
    #[arg(long, value_parser = parse_millis, env = "PROOFDECK_P99")]
    pub p99: Option<f64>,
    /// KPI: happy-path success at least this many percent (e.g. 99.9)
    #[arg(long, value_parser = parse_percent, env = "PROOFDECK_SUCCESS")]
    pub success: Option<f64>,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    scenario::duration::parse(s)
        .ok_or_else(|| format!("invalid duration {s:?}: expected e.g. 90s, 10m, 1h30m, at most 8760h"))
}

/// A latency limit in milliseconds, written as a duration (`50ms`, `1.5s`) or a bare number of ms.
pub fn parse_millis(s: &str) -> Result<f64, String> {
    let ms = match s.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) => scenario::duration::parse(s)
            .map(|d| d.as_secs_f64() * 1000.0)
            .ok_or_else(|| format!("invalid latency {s:?}: expected e.g. 50ms, 1.5s or a number of milliseconds"))?,
    };
    if ms.is_finite() && ms > 0.0 {
        Ok(ms)
    } else {
        Err(format!("invalid latency {s:?}: expected a time above 0"))
    }
}

pub fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("invalid percentage {s:?}: expected a number from 0 to 100, e.g. 99.9")),
    }
}

/// Where the load goes, and the in-process gateway when there is one.
pub struct Target {
    pub url: String,
    pub embedded: Option<GatewayHandle>,
}

pub fn load_scenario(args: &RunArgs) -> Result<Scenario, String> {
    let quick = args.rate.is_some() || args.connections.is_some();
    if args.scenario.is_none() && quick {
        return quick_scenario(args);
    }
    if args.path.is_some() && !quick {
        return Err(
            "error: --path makes a quick run and needs --rate N (open model) or --connections C (closed loop)".into()
        );
    }
    let mut scenario = match &args.scenario {
        Some(path) => scenario::load_file(path).map_err(|e| e.to_string())?,
        None => {
            scenario::parse(std::path::Path::new("scenarios/proof.toml"), PROOF_SCENARIO).map_err(|e| e.to_string())?
        }
    };
    apply_kpi_flags(args, &mut scenario);
    Ok(scenario)
}

/// `--p50/--p95/--p99/--success` override the scenario's targets.
fn apply_kpi_flags(args: &RunArgs, scenario: &mut Scenario) {
    let k = &mut scenario.kpi;
    k.p50_ms = args.p50.unwrap_or(k.p50_ms);
    k.p95_ms = args.p95.unwrap_or(k.p95_ms);
    k.p99_ms = args.p99.unwrap_or(k.p99_ms);
    k.success_pct = args.success.unwrap_or(k.success_pct);
}

/// One flow, one step, like oha's and hey's one-liners; built as scenario text so it goes
/// through the same checks as a file, with every flag checked first. The step names no tool:
/// its requests are counted under the flow's name (`GET /x`), and only latency and success
/// are judged, since a plain HTTP server has no gateway KPIs.
fn quick_scenario(args: &RunArgs) -> Result<Scenario, String> {
    let path = args.path.clone().unwrap_or_else(|| "/".into());
    let duration = args.duration.unwrap_or(Duration::from_secs(10));
    let rate = args.rate.unwrap_or(0.0);
    if !(0.0..=1_000_000.0).contains(&rate) {
        return Err(format!("error: --rate {rate}: expected arrivals per second from 0 to 1000000"));
    }
    if duration.is_zero() {
        return Err("error: --duration must be above 0".into());
    }
    if args.connections == Some(0) {
        return Err("error: --connections must be at least 1".into());
    }
    let method = args.method.to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(&method.as_str()) {
        return Err(format!(
            "error: --method {}: expected GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
            args.method
        ));
    }
    if !path.starts_with('/') {
        return Err(format!("error: --path {path:?} must start with /"));
    }
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let text = format!(
        "name = \"quick\"\n[defaults]\nmax_inflight = {}\n[[phase]]\nname = \"quick\"\nduration = {}\nrate = {rate}\n[[flow]]\nname = {}\nweight = 1\n[[flow.step]]\nmethod = \"{method}\"\npath = {}\nexpect = [200]\n",
        args.max_inflight.unwrap_or(10_000).max(1),
        quoted(&scenario::duration::format(duration)),
        quoted(&format!("{method} {}", shown_path(&path))),
        quoted(&path),
    );
    let mut scenario = scenario::parse(std::path::Path::new("<quick run>"), &text).map_err(|e| e.to_string())?;
    scenario.kpi = scenario::Kpi::latency_and_success();
    apply_kpi_flags(args, &mut scenario);
    Ok(scenario)
}

/// The path as a flow's name: a credential in its query is masked, the rest kept.
fn shown_path(path: &str) -> String {
    match path.split_once('?') {
        Some((p, _)) => {
            let masked = crate::redact::url(&format!("http://h{path}"));
            let query = masked.split_once('?').map_or("", |(_, q)| q);
            format!("{p}?{query}")
        }
        None => path.to_string(),
    }
}

pub async fn resolve_target(args: &RunArgs, scenario: &Scenario) -> Result<Target, String> {
    if let Some(url) = args.target.clone().or_else(|| scenario.target.clone()) {
        scenario::target::check(&url)?;
        return Ok(Target { url, embedded: None });
    }
    let g = &scenario.gateway;
    let config = GatewayConfig {
        latency_scale: g.latency_scale,
        chaos_scale: g.chaos_scale,
        breaker_open_for: g.breaker_open,
        rate_limit: g.rate_limit.then_some(RateLimit { calls: 5, window: Duration::from_secs(60) }),
        ..GatewayConfig::default()
    };
    let handle =
        crate::gateway::start_embedded(config).await.map_err(|e| format!("cannot start the bundled gateway: {e}"))?;
    Ok(Target { url: handle.url(), embedded: Some(handle) })
}

pub fn engine_options(args: &RunArgs, answers: crate::metrics::classify::AnswerRules) -> EngineOptions {
    EngineOptions {
        rate_scale: args.rate_scale,
        duration_cap: args.duration,
        only_phase: args.phase.clone(),
        max_inflight: args.max_inflight,
        seed: args.seed,
        connections: if args.rate.is_none() { args.connections } else { None },
        answers,
    }
}

pub async fn main(args: RunArgs) -> i32 {
    let scenario = match load_scenario(&args) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{e}");
            if !e.ends_with('\n') {
                eprintln!();
            }
            return exit::USAGE;
        }
    };
    if let Some(phase) = &args.phase {
        if !scenario.phases.iter().any(|p| &p.name == phase) {
            let names: Vec<_> = scenario.phases.iter().map(|p| p.name.as_str()).collect();
            eprintln!("error: no phase named {phase:?}; the scenario has: {}", names.join(", "));
            return exit::USAGE;
        }
    }
    if args.max_inflight == Some(0) {
        eprintln!("error: --max-inflight must be at least 1");
        return exit::USAGE;
    }
    if !(args.rate_scale.is_finite() && args.rate_scale > 0.0) {
        eprintln!("error: --rate-scale must be a number above 0");
        return exit::USAGE;
    }
    let peak = scenario.peak_rate() * args.rate_scale;
    if !peak.is_finite() || peak > MAX_RATE {
        eprintln!("error: --rate-scale {} makes the peak rate {peak} arrivals/s; at most {MAX_RATE}", args.rate_scale);
        return exit::USAGE;
    }
    if let Some(url) = args.target.as_deref().or(scenario.target.as_deref()) {
        if let Err(e) = scenario::target::check(url) {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    }
    // A quick run names no gateway: it gets the generic profile unless told otherwise.
    let quick = args.scenario.is_none() && (args.rate.is_some() || args.connections.is_some());
    let profile_name =
        args.profile.clone().unwrap_or_else(|| if quick { "generic".into() } else { scenario.profile.clone() });
    let profile = match crate::scrape::profile_file::resolve(&profile_name) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let target = match resolve_target(&args, &scenario).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ABORTED;
        }
    };
    if target.embedded.is_none() {
        if let Err(e) = preflight(&target.url).await {
            eprintln!("error: target {} unreachable: {e}", crate::report::redact_url(&target.url));
            return exit::ABORTED;
        }
    }
    let started_at = chrono::Utc::now();
    let dir = match crate::report::prepare_run_dir(args.report_dir.as_deref(), &scenario.name, started_at) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    // Signals are ours before the first request: a Ctrl-C during setup stops, never kills.
    let (notice_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let signals = crate::stop::listen(notice_tx);
    let scenario = Arc::new(scenario);
    let target_url = target.url.clone();
    let session = crate::session::Session::start(scenario.clone(), target, profile, &args, dir, started_at).await;
    let code = if args.no_tui || !std::io::stdout().is_terminal() {
        crate::headless::run(scenario, session, notices, &args).await
    } else {
        crate::cockpit::run(scenario, session, notices, &args, &target_url).await
    };
    signals.abort();
    code
}

/// Can a TCP connection to the target be opened at all? A wrong URL fails here, clearly,
/// instead of as a run full of connect errors.
async fn preflight(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    let host = parsed.host_str().ok_or("the URL has no host")?.trim_matches(['[', ']']).to_string();
    let port = parsed.port_or_known_default().ok_or("the URL has no port")?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(crate::session::TARGET_TIMEOUT, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {} s", crate::session::TARGET_TIMEOUT.as_secs())),
    }
}
