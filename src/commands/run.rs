//! `proofdeck run`: a validated `RunConfig` → the target (bundled gateway or a checked URL)
//! → a session → the cockpit or headless view → the exit code.

use crate::config::{RunArgs, RunConfig};
use crate::gateway::{GatewayConfig, RateLimit};
use crate::outcome::exit;
use crate::scrape::fetch::DEFAULT_TIMEOUT;
use crate::session::Target;
use std::time::Duration;

pub async fn main(args: RunArgs) -> i32 {
    let mut config = match RunConfig::build(args) {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    // A coordinated shard joins first: the coordinator names the target and sets the start.
    let joined = match config.shard.as_ref().and_then(|s| Some((s.stripe.clone(), s.coordinator.clone()?))) {
        Some((stripe, addr)) => match crate::distributed::shard_link::join(&addr, stripe, &config.plan_id()).await {
            Ok(j) => Some(j),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::ABORTED;
            }
        },
        None => None,
    };
    if let (Some(j), None) = (&joined, &config.target) {
        if let Err(e) = crate::scenario::target::check(&j.target) {
            eprintln!("error: the coordinator's target: {e}");
            return exit::ABORTED;
        }
        config.target = Some(j.target.clone());
    }
    let target = match reach_target(&config).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ABORTED;
        }
    };
    let control = match bind_control(config.control.as_deref()).await {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    // Signals are ours before the first request: a Ctrl-C during setup stops, never kills.
    let (notice_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let signals = crate::stop::listen(notice_tx);
    if let Some(options) = &config.capacity {
        let code = crate::capacity::run(&config, options, &target.url, notices, crate::tui::capacity::spawn).await;
        signals.abort();
        return code;
    }
    let (session, link) = match joined {
        Some(joined) => {
            let (gate, control) = crate::engine::stripe::gate();
            let empty = crate::engine::empty_snapshot(&config.scenario);
            let tap = crate::metrics::aggregate::tap(empty.tools.len(), empty.flows.len());
            config.engine.gate = Some(gate);
            config.engine.tap = Some(tap.clone());
            let session = crate::session::Session::start(&config, target).await;
            let parts = crate::distributed::shard_link::LinkParts {
                gate: control,
                tap,
                tools: empty.tools.len(),
                flows: empty.flows.len(),
                snapshots: session.engine.snapshots.clone(),
                commands: session.engine.commands.clone(),
                stopper: session.stopper.clone(),
                monitor: session.monitor.clone(),
                grace: config.shard.as_ref().map_or(Duration::from_secs(10), |s| s.grace),
            };
            (session, Some(crate::distributed::shard_link::spawn(joined, parts)))
        }
        None => (crate::session::Session::start(&config, target).await, None),
    };
    let control =
        control.map(|l| crate::distributed::control::serve(l, crate::distributed::control::Sources::of(&session)));
    let code = view(&config, session, notices).await;
    if let Some(c) = control {
        c.abort();
    }
    if let Some(link) = link {
        // The last interval and `Done` leave before the process does.
        let _ = tokio::time::timeout(Duration::from_secs(3), link).await;
    }
    signals.abort();
    code
}

/// Binds `--control` before the run starts, so a taken port is a usage error, not a surprise.
pub async fn bind_control(addr: Option<&str>) -> Result<Option<tokio::net::TcpListener>, String> {
    let Some(addr) = addr else { return Ok(None) };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("error: --control {addr}: cannot listen: {e}"))?;
    let shown = listener.local_addr().map_or(addr.to_string(), |a| a.to_string());
    crate::stop::say(&format!("control port on {shown}: proofdeck attach {shown}"));
    Ok(Some(listener))
}

/// The cockpit, or headless progress, until the run's outcome.
pub async fn view(
    config: &RunConfig,
    session: crate::session::Session,
    notices: tokio::sync::mpsc::UnboundedReceiver<crate::stop::Notice>,
) -> i32 {
    if config.headless {
        crate::headless::run(config, session, notices).await
    } else {
        crate::cockpit::run(config, session, notices).await
    }
}

/// Prints a configuration error once, as it reads; the usage exit code.
pub fn usage(e: &dyn std::fmt::Display) -> i32 {
    let text = e.to_string();
    eprint!("{text}");
    if !text.ends_with('\n') {
        eprintln!();
    }
    exit::USAGE
}

/// Open-model plans up to this peak rate (arrivals/s) run on one runtime worker: measured on
/// 2 cores against the bundled gateway, one worker with the timerfd scheduler beat two with
/// the scheduler thread at every rate tried up to 10,000/s (CPU 0.66–0.86×, p50 lower; p99
/// 0.30 vs 0.38 ms at 2,000/s, 0.90 vs 0.69 ms at 5,000/s, 2.5 vs 14.9 ms at 10,000/s).
pub const LIGHT_RATE: f64 = 10_000.0;

/// The async runtime a run gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Every core: capacity search, heavier plans, a closed loop on a remote target or on
    /// the bundled gateway (which serves from the same runtime).
    AllCores,
    /// This many workers. A light plan with the cockpit gets one, where the scheduler then
    /// waits (`engine::timer`) and every arrival is sent without waking a second thread,
    /// while the cockpit draws on the main thread, never delaying an arrival. A closed loop
    /// on a loopback target gets half the cores: the target runs on the others, and two
    /// sides fighting for the same cores cost more than they send (one worker of two cores
    /// against one nginx worker: 0.94× the CPU per request of two, as many requests; with
    /// TLS 0.77×).
    Workers(usize),
    /// A light headless plan: all on the main thread (tokio's current-thread runtime). The
    /// progress printer is too light to delay arrivals, and each wake-up runs a simpler
    /// scheduler than a worker's, with no thread to hand tasks to (at 150/s against nginx,
    /// 0.88× the CPU of one worker: the ratio of the medians of 8 interleaved pairs).
    OneThread,
}

/// Which runtime `args` need (see [`Runtime`]).
pub fn runtime_for(args: &RunArgs) -> Runtime {
    if args.find_capacity {
        return Runtime::AllCores;
    }
    // A scenario that does not load is reported by `RunConfig::build`, not here.
    let Ok(scenario) = crate::config::load_scenario(args) else { return Runtime::AllCores };
    if args.connections.is_some() && args.rate.is_none() {
        let target = args.target.as_deref().or(scenario.target.as_deref());
        let loopback = target.and_then(|t| crate::uri::Uri::parse(t).ok()).is_some_and(|u| u.is_loopback());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        return if loopback { Runtime::Workers((cores / 2).max(1)) } else { Runtime::AllCores };
    }
    match (scenario.peak_rate() * args.rate_scale <= LIGHT_RATE, crate::config::headless(args)) {
        (false, _) => Runtime::AllCores,
        (true, false) => Runtime::Workers(1),
        (true, true) => Runtime::OneThread,
    }
}

/// The target, checked reachable (or the bundled gateway, started); the error is printed as is.
pub async fn reach_target(config: &RunConfig) -> Result<Target, String> {
    let target = resolve_target(config).await?;
    if target.embedded.is_none() {
        preflight(&target.url)
            .await
            .map_err(|e| format!("target {} unreachable: {e}", crate::report::redact_url(&target.url)))?;
    }
    Ok(target)
}

/// The configured target, or the bundled gateway started in-process.
async fn resolve_target(config: &RunConfig) -> Result<Target, String> {
    if let Some(url) = config.target.clone() {
        return Ok(Target { url, embedded: None });
    }
    let g = &config.scenario.gateway;
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

/// Can a TCP connection to the target be opened at all? A wrong URL fails here, clearly,
/// instead of as a run full of connect errors.
async fn preflight(url: &str) -> Result<(), String> {
    let parsed = crate::uri::Uri::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    let host = parsed.host.to_string();
    let port = parsed.port_or_default().ok_or("the URL has no port")?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(DEFAULT_TIMEOUT, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {} s", DEFAULT_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn runtime(args: &[&str]) -> Runtime {
        let cli = crate::cli::Cli::try_parse_from([&["proofdeck"], args].concat()).unwrap();
        runtime_for(&cli.run)
    }

    #[test]
    fn each_kind_of_run_gets_its_runtime() {
        let light = ["--no-tui", "--path", "/", "--duration", "5s", "--rate"];
        assert_eq!(runtime(&[&light[..], &["150"]].concat()), Runtime::OneThread);
        assert_eq!(runtime(&[&light[..], &["20000"]].concat()), Runtime::AllCores, "one thread would be the limit");
        let closed = ["--no-tui", "--path", "/", "--connections", "32", "--target"];
        assert_eq!(
            runtime(&closed[..5]),
            Runtime::AllCores,
            "closed loop on the bundled gateway, which shares the runtime"
        );
        assert_eq!(
            runtime(&[&closed[..], &["http://10.1.2.3:8080"]].concat()),
            Runtime::AllCores,
            "on a remote target"
        );
        let half = Runtime::Workers((std::thread::available_parallelism().unwrap().get() / 2).max(1));
        for local in ["http://127.0.0.1:8080", "https://localhost", "http://[::1]:9000"] {
            assert_eq!(runtime(&[&closed[..], &[local]].concat()), half, "closed loop on {local}: half the cores");
        }
        assert_eq!(runtime(&["--no-tui", "--find-capacity"]), Runtime::AllCores);
    }
}
