//! `proofdeck chaos`: one-shot chaos control through the client the cockpit uses; a refusal
//! by the target is a usage error with its status and message, only silence is "unreachable".

use crate::chaos::ChaosClient;
use crate::live::ActiveChaos;
use crate::outcome::exit;
use clap::{Args, Subcommand};
use std::time::Duration;

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
            eprintln!("{}", crate::outcome::error_text(&e));
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
