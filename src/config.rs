//! The run's configuration: raw flags (`RunArgs`, clap) → one validated `RunConfig`, built
//! once, the only thing the session and the views see. Every check of user input is here,
//! before anything is started; a mistake is a usage error naming the value.

use crate::engine::EngineOptions;
use crate::scenario::{self, Scenario};
use crate::scrape::profile_file::Profile;
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
    /// Every request over HTTP/2: h2c with prior knowledge on http://, ALPN h2 on https://
    /// (also `[defaults] http2 = true` in a scenario)
    #[arg(long, env = "PROOFDECK_HTTP2")]
    pub http2: bool,
    /// HTTP/2: requests in flight per connection, at most (spreads the load over
    /// max-inflight / N connections; default: one connection)
    #[arg(long, env = "PROOFDECK_STREAMS")]
    pub streams: Option<usize>,
    /// Accept any TLS certificate of the target (self-signed bench targets; never production)
    #[arg(long, env = "PROOFDECK_INSECURE")]
    pub insecure: bool,
    /// A Grafana dashboard (JSON) evaluated from the target's /metrics: its panels as cockpit
    /// pages and report charts
    #[arg(long, value_name = "FILE.json", env = "PROOFDECK_DASHBOARD")]
    pub dashboard: Option<PathBuf>,
    /// A finished run's directory whose per-second series the cockpit draws under the live
    /// ones, on the same phase clock
    #[arg(long, value_name = "RUN_DIR", env = "PROOFDECK_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Find the highest arrival rate at which the latency and success KPIs hold: steps of the scenario's flow
    /// mix (or of --path) at rising rates, written to capacity.md/.json/.svg
    #[arg(long, env = "PROOFDECK_FIND_CAPACITY")]
    pub find_capacity: bool,
    /// Capacity search: the highest rate tried, in arrivals/s
    #[arg(long, default_value_t = 2000.0, env = "PROOFDECK_MAX_RATE")]
    pub max_rate: f64,
    /// Capacity search: the first rate tried, in arrivals/s
    #[arg(long, default_value_t = 10.0, env = "PROOFDECK_START_RATE")]
    pub start_rate: f64,
    /// Capacity search: each step's length (longer where a low rate needs it for 200 samples)
    #[arg(long, default_value = "10s", value_parser = parse_duration, env = "PROOFDECK_STEP_DURATION")]
    pub step_duration: Duration,
    /// Sharded run: this process fires stripe INDEX of COUNT of the global schedule (e.g. 0/3);
    /// without it, PROOFDECK_SHARDS=N takes the index from JOB_COMPLETION_INDEX (Kubernetes)
    #[arg(long, value_name = "INDEX/COUNT", env = "PROOFDECK_SHARD")]
    pub shard: Option<String>,
    /// Sharded run: shards of different sizes get shares of the schedule in these proportions
    /// (e.g. 2,1,1); every shard and the coordinator get the same weights
    #[arg(long, value_name = "W,W,…", env = "PROOFDECK_SHARD_WEIGHTS")]
    pub shard_weights: Option<String>,
    /// Sharded run: the coordinator to join (HOST:PORT); it sets the start and merges the shards
    #[arg(long, value_name = "HOST:PORT", env = "PROOFDECK_COORDINATOR")]
    pub coordinator: Option<String>,
    /// Sharded run: how long a shard goes on without its coordinator before it stops on its
    /// own and writes its local report
    #[arg(long, default_value = "10s", value_parser = parse_duration, env = "PROOFDECK_COORDINATOR_GRACE")]
    pub coordinator_grace: Duration,
    /// Serve the run's control port here (HOST:PORT): `proofdeck attach HOST:PORT` opens a
    /// cockpit on it from anywhere, and detaching leaves the run untouched
    #[arg(long, value_name = "HOST:PORT", env = "PROOFDECK_CONTROL")]
    pub control: Option<String>,
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

/// Whether the run goes without the cockpit: asked for, or no terminal to draw on.
pub fn headless(args: &RunArgs) -> bool {
    args.no_tui || !std::io::stdout().is_terminal()
}

/// A headless run draws a progress bar when a person watches its stderr.
pub fn progress_bar(format: Format) -> bool {
    format == Format::Human && std::io::stderr().is_terminal()
}

/// How often the live snapshot is merged: as often as someone reads it. A cockpit (here, or
/// attached through `--control`) or a progress bar is watched, a coordinator and the capacity
/// search judge each interval; a headless run with plain lines every two seconds needs one a
/// second.
fn snapshot_interval(args: &RunArgs, sharded: bool) -> Duration {
    let watched = !headless(args) || progress_bar(args.format) || args.control.is_some();
    if watched || sharded || args.find_capacity {
        crate::engine::SNAPSHOT_INTERVAL
    } else {
        crate::engine::QUIET_SNAPSHOT_INTERVAL
    }
}

pub fn load_scenario(args: &RunArgs) -> Result<Scenario, ConfigError> {
    let quick = args.rate.is_some() || args.connections.is_some() || args.find_capacity;
    if is_quick(args) {
        return quick_scenario(args);
    }
    if args.path.is_some() && !quick {
        return Err(flag(
            "--path makes a quick run and needs --rate N (open model), --connections C (closed loop) or --find-capacity",
        ));
    }
    let mut scenario = match &args.scenario {
        Some(path) => scenario::load_file(path)?,
        None => scenario::parse(std::path::Path::new("scenarios/proof.toml"), PROOF_SCENARIO)?,
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
fn quick_scenario(args: &RunArgs) -> Result<Scenario, ConfigError> {
    let path = args.path.clone().unwrap_or_else(|| "/".into());
    let duration = args.duration.unwrap_or(Duration::from_secs(10));
    let rate = args.rate.unwrap_or(0.0);
    if !(0.0..=1_000_000.0).contains(&rate) {
        return Err(flag(format!("--rate {rate}: expected arrivals per second from 0 to 1000000")));
    }
    if duration.is_zero() {
        return Err(flag("--duration must be above 0"));
    }
    if args.connections == Some(0) {
        return Err(flag("--connections must be at least 1"));
    }
    let method = args.method.to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(&method.as_str()) {
        return Err(flag(format!("--method {}: expected GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", args.method)));
    }
    if !path.starts_with('/') {
        return Err(flag(format!("--path {path:?} must start with /")));
    }
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let text = format!(
        "name = \"quick\"\n[defaults]\nmax_inflight = {}\n[[phase]]\nname = \"quick\"\nduration = {}\nrate = {rate}\n[[flow]]\nname = {}\nweight = 1\n[[flow.step]]\nmethod = \"{method}\"\npath = {}\nexpect = [200]\n",
        args.max_inflight.unwrap_or(10_000).max(1),
        quoted(&scenario::duration::format(duration)),
        quoted(&format!("{method} {}", shown_path(&path))),
        quoted(&path),
    );
    let mut scenario = scenario::parse(std::path::Path::new("<quick run>"), &text)?;
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

/// Why a run cannot start: a usage error (exit 2), printed once as it reads here.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Already a located diagnostic (`error: …` with file, line and column).
    #[error("{0}")]
    Scenario(Box<scenario::ScenarioError>),
    #[error("error: {0}")]
    Flag(String),
    #[error("error: {0}")]
    Target(#[from] scenario::target::InvalidTarget),
    #[error("{}", crate::outcome::error_text(.0))]
    Profile(#[from] crate::scrape::profile_file::ProfileError),
    #[error("error: {0}")]
    ReportDir(#[from] crate::report::ReportError),
    #[error("error: {0}")]
    Dashboard(#[from] crate::dashboard::DashboardError),
    #[error("error: --baseline: {0}")]
    Baseline(crate::report::ReportError),
}

impl From<scenario::ScenarioError> for ConfigError {
    fn from(e: scenario::ScenarioError) -> Self {
        Self::Scenario(Box::new(e))
    }
}

fn flag(what: impl Into<String>) -> ConfigError {
    ConfigError::Flag(what.into())
}

/// Everything a run is, validated: built once from the flags, read by the session and views.
pub struct RunConfig {
    pub scenario: Arc<Scenario>,
    /// The target base URL; `None` runs against the bundled gateway, started in-process.
    pub target: Option<String>,
    pub profile: Profile,
    pub engine: EngineOptions,
    /// The run directory, created and proved writable.
    pub report_dir: PathBuf,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// No cockpit: progress on stderr, summary on stdout.
    pub headless: bool,
    pub format: Format,
    pub theme: Option<String>,
    pub keep_chaos: bool,
    pub scrape_max_bytes: usize,
    pub admin_timeout: Duration,
    /// `--find-capacity`: a capacity search instead of the scenario's plan.
    pub capacity: Option<CapacityOptions>,
    /// `--dashboard`: a Grafana dashboard read and checked, evaluated on every scrape.
    pub dashboard: Option<crate::dashboard::Dashboard>,
    /// `--baseline`: a finished run drawn under the live charts.
    pub baseline: Option<Arc<crate::report::baseline::Baseline>>,
    /// `--shard`: this process is one shard of a sharded run.
    pub shard: Option<ShardRole>,
    /// `--control`: where attached cockpits connect.
    pub control: Option<String>,
    /// `--shard-weights`: the shards' shares of a sharded run, checked.
    pub shard_weights: Option<Vec<u32>>,
}

impl RunConfig {
    /// What every shard and the coordinator must agree on for their stripes to add up to one
    /// schedule: the scenario, and the flags that shape its plan.
    pub fn plan_id(&self) -> String {
        use sha2::Digest;
        let e = &self.engine;
        let plan = format!(
            "{}|{}|{:?}|{:?}|{:?}",
            self.scenario.hash(),
            e.rate_scale,
            e.duration_cap,
            e.only_phase,
            self.shard_weights
        );
        hex::encode(&sha2::Sha256::digest(plan.as_bytes())[..8])
    }
}

/// One shard of a sharded run: its stripe, and the coordinator it reports to, if any.
#[derive(Clone, Debug)]
pub struct ShardRole {
    pub stripe: crate::engine::stripe::Stripe,
    pub coordinator: Option<String>,
    pub grace: Duration,
}

/// `--shard I/N`, or PROOFDECK_SHARDS=N with the index from JOB_COMPLETION_INDEX (set by a
/// Kubernetes Indexed Job), so a pod needs no per-index arguments.
fn shard_role(args: &RunArgs) -> Result<Option<ShardRole>, ConfigError> {
    use crate::engine::stripe::Stripe;
    let stripe = match (&args.shard, std::env::var("PROOFDECK_SHARDS")) {
        (Some(text), _) => Some(Stripe::parse(text).map_err(flag)?),
        (None, Ok(count)) => {
            let index = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
                flag("PROOFDECK_SHARDS is set but JOB_COMPLETION_INDEX is not: give --shard INDEX/COUNT")
            })?;
            Some(
                Stripe::parse(&format!("{index}/{count}"))
                    .map_err(|e| flag(format!("{e} (from JOB_COMPLETION_INDEX/PROOFDECK_SHARDS)")))?,
            )
        }
        (None, Err(_)) => None,
    };
    let stripe = match (stripe, &args.shard_weights) {
        (Some(stripe), Some(w)) => {
            Some(stripe.weighted(&crate::engine::stripe::parse_weights(w).map_err(flag)?).map_err(flag)?)
        }
        (stripe, _) => stripe,
    };
    match stripe {
        Some(stripe) => {
            if args.rate.is_none() && args.connections.is_some_and(|c| c < stripe.count || stripe.split(c) == 0) {
                return Err(flag(format!(
                    "--connections {}: a sharded closed loop needs at least one connection per shard ({})",
                    args.connections.unwrap_or(0),
                    stripe.count
                )));
            }
            if args.find_capacity {
                return Err(flag("--find-capacity runs on one machine: drop --shard"));
            }
            Ok(Some(ShardRole { stripe, coordinator: args.coordinator.clone(), grace: args.coordinator_grace }))
        }
        None if args.coordinator.is_some() => Err(flag("--coordinator needs --shard INDEX/COUNT")),
        None => Ok(None),
    }
}

/// A capacity search's settings (`--find-capacity`), checked.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityOptions {
    pub start_rate: f64,
    pub max_rate: f64,
    pub step_duration: Duration,
}

impl RunConfig {
    /// Checks every flag and the scenario, resolves the profile and prepares the run
    /// directory; the error is a usage error's message.
    pub fn build(args: RunArgs) -> Result<Self, ConfigError> {
        let mut scenario = load_scenario(&args)?;
        if let Some(phase) = &args.phase {
            if !scenario.phases.iter().any(|p| &p.name == phase) {
                let names: Vec<_> = scenario.phases.iter().map(|p| p.name.as_str()).collect();
                return Err(flag(format!("no phase named {phase:?}; the scenario has: {}", names.join(", "))));
            }
        }
        if args.streams == Some(0) {
            return Err(flag("--streams must be at least 1"));
        }
        if args.streams.is_some() && !(args.http2 || scenario.defaults.http2) {
            return Err(flag("--streams applies to HTTP/2: add --http2 (or [defaults] http2 = true)"));
        }
        if args.max_inflight == Some(0) {
            return Err(flag("--max-inflight must be at least 1"));
        }
        if !(args.rate_scale.is_finite() && args.rate_scale > 0.0) {
            return Err(flag("--rate-scale must be a number above 0"));
        }
        let peak = scenario.peak_rate() * args.rate_scale;
        if !peak.is_finite() || peak > MAX_RATE {
            return Err(flag(format!(
                "--rate-scale {} makes the peak rate {peak} arrivals/s; at most {MAX_RATE}",
                args.rate_scale
            )));
        }
        let target = args.target.clone().or_else(|| scenario.target.clone());
        if let Some(url) = &target {
            scenario::target::check(url)?;
        }
        // A quick run names no gateway: it gets the generic profile unless told otherwise.
        let profile_name = args.profile.clone().unwrap_or_else(|| {
            if is_quick(&args) {
                "generic".into()
            } else {
                scenario.profile.clone()
            }
        });
        let profile = crate::scrape::profile_file::resolve(&profile_name)?;
        let capacity = capacity_options(&args)?;
        let shard = shard_role(&args)?;
        let dashboard = args.dashboard.as_deref().map(crate::dashboard::load).transpose()?;
        let baseline = match args.baseline.as_deref() {
            Some(dir) => Some(Arc::new(crate::report::baseline::Baseline::load(dir).map_err(ConfigError::Baseline)?)),
            None => None,
        };
        let started_at = chrono::Utc::now();
        let report_dir = crate::report::prepare_run_dir(args.report_dir.as_deref(), &scenario.name, started_at)?;
        scenario.target = target.clone();
        Ok(Self {
            engine: engine_options(&args, profile.answers.clone(), shard.as_ref().map(|s| s.stripe.clone())),
            scenario: Arc::new(scenario),
            target,
            profile,
            report_dir,
            started_at,
            headless: headless(&args),
            format: args.format,
            theme: args.theme,
            keep_chaos: args.keep_chaos,
            scrape_max_bytes: args.scrape_max_bytes,
            admin_timeout: args.admin_timeout,
            capacity,
            dashboard,
            baseline,
            shard,
            control: args.control.clone(),
            shard_weights: args
                .shard_weights
                .as_deref()
                .map(crate::engine::stripe::parse_weights)
                .transpose()
                .map_err(flag)?,
        })
    }
}

/// `--find-capacity` and its settings, checked; `None` without the flag.
fn capacity_options(args: &RunArgs) -> Result<Option<CapacityOptions>, ConfigError> {
    if !args.find_capacity {
        return Ok(None);
    }
    if args.connections.is_some() || args.rate.is_some() {
        return Err(flag("--find-capacity chooses the rates itself: drop --rate and --connections"));
    }
    if args.phase.is_some() || args.duration.is_some() {
        return Err(flag("--find-capacity runs its own steps: drop --phase and --duration (see --step-duration)"));
    }
    if args.rate_scale != 1.0 {
        return Err(flag("--find-capacity sets every step's rate itself: drop --rate-scale (PROOFDECK_RATE_SCALE)"));
    }
    if !(args.max_rate.is_finite() && args.max_rate > 0.0 && args.max_rate <= MAX_RATE) {
        return Err(flag(format!(
            "--max-rate {}: expected arrivals per second above 0, at most {MAX_RATE}",
            args.max_rate
        )));
    }
    if !(args.start_rate.is_finite()
        && args.start_rate >= crate::capacity::search::MIN_RATE
        && args.start_rate <= args.max_rate)
    {
        return Err(flag(format!(
            "--start-rate {}: expected at least {} arrivals/s (a step's samples must fit in 10 minutes), at most --max-rate",
            args.start_rate,
            crate::capacity::search::MIN_RATE
        )));
    }
    if args.step_duration < Duration::from_secs(1) || args.step_duration > Duration::from_secs(600) {
        return Err(flag("--step-duration must be between 1s and 10m"));
    }
    Ok(Some(CapacityOptions {
        start_rate: args.start_rate,
        max_rate: args.max_rate,
        step_duration: args.step_duration,
    }))
}

fn is_quick(args: &RunArgs) -> bool {
    args.scenario.is_none()
        && (args.rate.is_some() || args.connections.is_some() || (args.find_capacity && args.path.is_some()))
}

fn engine_options(
    args: &RunArgs,
    answers: crate::metrics::classify::AnswerRules,
    stripe: Option<crate::engine::stripe::Stripe>,
) -> EngineOptions {
    // A shard's closed loop runs its part of the connections.
    let connections = if args.rate.is_none() { args.connections } else { None };
    EngineOptions {
        rate_scale: args.rate_scale,
        duration_cap: args.duration,
        only_phase: args.phase.clone(),
        max_inflight: args.max_inflight,
        seed: args.seed,
        connections: connections.map(|c| stripe.as_ref().map_or(c, |s| s.split(c))),
        answers,
        http2: args.http2,
        insecure: args.insecure,
        streams: args.streams,
        snapshot_interval: snapshot_interval(args, stripe.is_some()),
        stripe,
        gate: None,
        tap: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cadence(args: &[&str]) -> Duration {
        let cli = crate::cli::Cli::try_parse_from([&["proofdeck"], args].concat()).unwrap();
        snapshot_interval(&cli.run, false)
    }

    #[test]
    fn snapshots_come_as_often_as_someone_reads_them() {
        // JSON progress lines: never a bar, whatever stderr is.
        let quiet = ["--no-tui", "--format", "json", "--path", "/", "--rate", "150"];
        assert_eq!(cadence(&quiet), crate::engine::QUIET_SNAPSHOT_INTERVAL);
        let attachable = [&quiet[..], &["--control", "127.0.0.1:0"]].concat();
        assert_eq!(cadence(&attachable), crate::engine::SNAPSHOT_INTERVAL, "a cockpit may attach");
        let cli = crate::cli::Cli::try_parse_from([&["proofdeck"], &quiet[..]].concat()).unwrap();
        assert_eq!(snapshot_interval(&cli.run, true), crate::engine::SNAPSHOT_INTERVAL, "a shard's coordinator");
        assert_eq!(
            cadence(&["--no-tui", "--format", "json", "--find-capacity"]),
            crate::engine::SNAPSHOT_INTERVAL,
            "the capacity search"
        );
        assert!(crate::engine::QUIET_SNAPSHOT_INTERVAL <= crate::headless::LINE_INTERVAL, "a line's figures are fresh");
    }
}
