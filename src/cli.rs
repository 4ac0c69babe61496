//! Command-line interface: clap structs (raw) and dispatch to each command.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(
    name = "proofdeck",
    version,
    about = "A terminal cockpit for proof-and-benchmark campaigns against API gateways"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: crate::run::RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario (default: the built-in proof campaign against the bundled gateway)
    Run(Box<crate::run::RunArgs>),
    /// Serve the bundled 4Runr-compatible gateway
    Gateway(GatewayArgs),
    /// Parse and check a scenario without sending load
    Validate { scenario: std::path::PathBuf },
    /// Check a target: health, admin API, which panel inputs its /metrics light
    Probe(crate::probe::ProbeArgs),
    /// One-shot chaos control through the same client the cockpit uses
    Chaos {
        #[command(subcommand)]
        action: crate::commands::ChaosCommand,
    },
    /// Re-render every report file of a run directory from its report.json
    Report { run: std::path::PathBuf },
    /// Per-tool and per-KPI deltas between two runs; exit 1 on a regression
    Compare(crate::commands::CompareArgs),
    /// Convert another tool's script into a proofdeck scenario
    Import {
        #[command(subcommand)]
        from: crate::commands::ImportCommand,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
}

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
    fn config(&self) -> crate::gateway::GatewayConfig {
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

/// Exit codes of the spec.
pub mod exit {
    pub const OK: i32 = 0;
    pub const KPI_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ABORTED: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::ABORTED;
        }
    };
    match cli.command {
        None => runtime.block_on(crate::run::main(cli.run)),
        Some(Command::Run(args)) => runtime.block_on(crate::run::main(*args)),
        Some(Command::Gateway(args)) => runtime.block_on(serve_gateway(args)),
        Some(Command::Validate { scenario }) => crate::commands::validate(&scenario),
        Some(Command::Probe(args)) => runtime.block_on(crate::probe::run(args)),
        Some(Command::Chaos { action }) => runtime.block_on(crate::commands::chaos(action)),
        Some(Command::Report { run }) => crate::commands::rerender(&run),
        Some(Command::Compare(args)) => crate::commands::compare(&args),
        Some(Command::Import { from }) => crate::commands::import(from),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "proofdeck", &mut std::io::stdout());
            exit::OK
        }
    }
}

async fn serve_gateway(args: GatewayArgs) -> i32 {
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
