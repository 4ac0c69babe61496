//! `proofdeck gateway`: serves the bundled 4Runr-compatible gateway.

use crate::outcome::exit;
use clap::Args;
use std::net::SocketAddr;

#[derive(Args, Debug)]
pub struct GatewayArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:3000", env = "PROOFDECK_LISTEN")]
    pub listen: SocketAddr,
    /// Multiply simulated upstream latency (0 answers at once)
    #[arg(long, default_value_t = 1.0, value_parser = non_negative, env = "PROOFDECK_LATENCY_SCALE")]
    pub latency_scale: f64,
    /// Multiply chaos delays (timeout 10 s, jitter 1–6 s) and retry backoff
    #[arg(long, default_value_t = 1.0, value_parser = non_negative, env = "PROOFDECK_CHAOS_SCALE")]
    pub chaos_scale: f64,
    /// Switch the per-agent rate limit (5 calls per 60 s) off
    #[arg(long, env = "PROOFDECK_NO_RATE_LIMIT")]
    pub no_rate_limit: bool,
    /// Seconds a tripped breaker stays open before its half-open probe
    #[arg(long, default_value_t = 30.0, value_parser = non_negative, env = "PROOFDECK_BREAKER_OPEN_SECS")]
    pub breaker_open_secs: f64,
    /// Refuse chaos admin calls, like a production gateway
    #[arg(long, env = "PROOFDECK_PRODUCTION")]
    pub production: bool,
}

impl GatewayArgs {
    pub fn config(&self) -> crate::gateway::GatewayConfig {
        crate::gateway::GatewayConfig {
            latency_scale: self.latency_scale,
            chaos_scale: self.chaos_scale,
            breaker_open_for: std::time::Duration::from_secs_f64(self.breaker_open_secs.max(0.0)),
            rate_limit: if self.no_rate_limit { None } else { crate::gateway::GatewayConfig::default().rate_limit },
            production: self.production,
            ..Default::default()
        }
    }
}

/// A finite number ≥ 0 (scales and durations in seconds).
fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1e6).contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: expected a number from 0 to 1000000")),
    }
}

pub async fn serve(args: GatewayArgs) -> i32 {
    let handle = match crate::gateway::start(args.listen, args.config()).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return exit::ABORTED;
        }
    };
    eprintln!("proofdeck gateway listening on {} (Ctrl-C to stop)", handle.url());
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown();
    exit::OK
}
