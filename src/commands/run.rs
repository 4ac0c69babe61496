//! `proofdeck run`: a validated `RunConfig` → the target (bundled gateway or a checked URL)
//! → a session → the cockpit or headless view → the exit code.

use crate::config::{RunArgs, RunConfig};
use crate::gateway::{GatewayConfig, RateLimit};
use crate::outcome::exit;
use crate::scrape::fetch::DEFAULT_TIMEOUT;
use crate::session::Target;
use std::time::Duration;

pub async fn main(args: RunArgs) -> i32 {
    let config = match RunConfig::build(args) {
        Ok(c) => c,
        Err(e) => {
            let text = e.to_string();
            eprint!("{text}");
            if !text.ends_with('\n') {
                eprintln!();
            }
            return exit::USAGE;
        }
    };
    let target = match resolve_target(&config).await {
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
    // Signals are ours before the first request: a Ctrl-C during setup stops, never kills.
    let (notice_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let signals = crate::stop::listen(notice_tx);
    if let Some(options) = &config.capacity {
        let code = crate::capacity::run(&config, options, &target.url, notices, crate::tui::capacity::spawn).await;
        signals.abort();
        return code;
    }
    let session = crate::session::Session::start(&config, target).await;
    let code = if config.headless {
        crate::headless::run(&config, session, notices).await
    } else {
        crate::cockpit::run(&config, session, notices).await
    };
    signals.abort();
    code
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
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    let host = parsed.host_str().ok_or("the URL has no host")?.trim_matches(['[', ']']).to_string();
    let port = parsed.port_or_known_default().ok_or("the URL has no port")?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(DEFAULT_TIMEOUT, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {} s", DEFAULT_TIMEOUT.as_secs())),
    }
}
