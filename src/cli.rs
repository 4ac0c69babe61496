//! Command-line interface: clap structs (raw) and dispatch to each command.

use crate::commands::{self, run::Runtime};
use crate::outcome::exit;
use clap::{Parser, Subcommand};

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
    pub run: crate::config::RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario (default: the built-in proof campaign against the bundled gateway)
    Run(Box<crate::config::RunArgs>),
    /// Coordinate a sharded run: wait for N shards, start them together, merge them live
    Coordinate(Box<commands::coordinate::CoordinateArgs>),
    /// Open the cockpit on a run elsewhere (its --control port, or a coordinator's); q detaches
    Attach(commands::attach::AttachArgs),
    /// Merge shard run directories into one report, exactly
    Merge(commands::merge::MergeArgs),
    /// Write what a sharded run needs on a platform (Kubernetes manifests)
    Deploy {
        #[command(subcommand)]
        to: commands::deploy::DeployCommand,
    },
    /// Serve the bundled 4Runr-compatible gateway
    Gateway(commands::gateway::GatewayArgs),
    /// Parse and check a scenario without sending load
    Validate { scenario: std::path::PathBuf },
    /// Check a target: health, admin API, which panel inputs its /metrics light
    Probe(commands::probe::ProbeArgs),
    /// One-shot chaos control through the same client the cockpit uses
    Chaos {
        #[command(subcommand)]
        action: commands::chaos::ChaosCommand,
    },
    /// Re-render every report file of a run directory from its report.json
    Report { run: std::path::PathBuf },
    /// Per-tool and per-KPI deltas between two runs; exit 1 on a regression
    Compare(commands::compare::CompareArgs),
    /// Convert another tool's script into a proofdeck scenario
    Import {
        #[command(subcommand)]
        from: commands::import::ImportCommand,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
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
    let run_args = match &cli.command {
        None => Some(&cli.run),
        Some(Command::Run(args)) => Some(args.as_ref()),
        _ => None,
    };
    let mut builder = match run_args.map_or(Runtime::AllCores, commands::run::runtime_for) {
        Runtime::AllCores => tokio::runtime::Builder::new_multi_thread(),
        Runtime::Workers(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
        Runtime::OneThread => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::ABORTED;
        }
    };
    // A one-shot command whose reader stops early (`probe … | head`) ends quietly, as Unix
    // tools do, instead of panicking on the closed pipe. A run keeps Rust's default (the
    // signal ignored) so a closed stdout can never cut it short before its report.
    if !matches!(
        cli.command,
        None | Some(Command::Run(_) | Command::Gateway(_) | Command::Coordinate(_) | Command::Attach(_))
    ) {
        default_sigpipe();
    }
    match cli.command {
        None => runtime.block_on(commands::run::main(cli.run)),
        Some(Command::Run(args)) => runtime.block_on(commands::run::main(*args)),
        Some(Command::Coordinate(args)) => runtime.block_on(commands::coordinate::main(*args)),
        Some(Command::Merge(args)) => commands::merge::merge(&args),
        Some(Command::Attach(args)) => runtime.block_on(commands::attach::attach(args)),
        Some(Command::Deploy { to }) => commands::deploy::deploy(to),
        Some(Command::Gateway(args)) => runtime.block_on(commands::gateway::serve(args)),
        Some(Command::Validate { scenario }) => commands::validate::validate(&scenario),
        Some(Command::Probe(args)) => runtime.block_on(commands::probe::run(args)),
        Some(Command::Chaos { action }) => runtime.block_on(commands::chaos::chaos(action)),
        Some(Command::Report { run }) => commands::report::rerender(&run),
        Some(Command::Compare(args)) => commands::compare::compare(&args),
        Some(Command::Import { from }) => commands::import::import(from),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "proofdeck", &mut std::io::stdout());
            exit::OK
        }
    }
}

#[cfg(unix)]
fn default_sigpipe() {
    // SAFETY: signal(2) only sets how the process takes SIGPIPE; no Rust code runs in a handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

#[cfg(not(unix))]
fn default_sigpipe() {}
