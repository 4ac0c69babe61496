//! `proofdeck coordinate`: waits for N shard processes, starts them together and merges
//! their measurements into one run — the cockpit or headless progress, KPIs, report, JUnit
//! and exit code of a local run.

use crate::commands::run::{reach_target, usage, view};
use crate::config::{parse_duration, RunArgs, RunConfig};
use crate::distributed::coordinator::{self, CoordinatorOptions};
use crate::engine::stripe::MAX_SHARDS;
use crate::outcome::exit;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct CoordinateArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// How many shards make the run (each started with `run --shard I/N --coordinator ADDR`)
    #[arg(long, env = "PROOFDECK_SHARD_COUNT")]
    pub shards: usize,
    /// Where the shards connect
    #[arg(long, default_value = "127.0.0.1:7450", env = "PROOFDECK_LISTEN")]
    pub listen: String,
    /// How long to wait for every shard to join (and then to finish its setup)
    #[arg(long, default_value = "120s", value_parser = parse_duration, env = "PROOFDECK_JOIN_TIMEOUT")]
    pub join_timeout: Duration,
}

pub async fn main(args: CoordinateArgs) -> i32 {
    if args.shards == 0 || args.shards > MAX_SHARDS {
        return usage(&format!("error: --shards {}: expected 1 to {MAX_SHARDS}", args.shards));
    }
    if args.run.shard.is_some() || args.run.coordinator.is_some() {
        return usage(&"error: the coordinator is no shard: drop --shard and --coordinator");
    }
    if args.run.find_capacity {
        return usage(&"error: --find-capacity runs on one machine, not through a coordinator");
    }
    let config = match RunConfig::build(args.run) {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    if config.shard.is_some() {
        return usage(&"error: PROOFDECK_SHARDS is set: the coordinator is no shard");
    }
    if config.shard_weights.as_ref().is_some_and(|w| w.len() != args.shards) {
        return usage(&format!("error: --shard-weights needs one weight per shard ({})", args.shards));
    }
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => return usage(&format!("error: cannot listen on {}: {e}", args.listen)),
    };
    let target = match reach_target(&config).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ABORTED;
        }
    };
    let addr = listener.local_addr().map_or(args.listen.clone(), |a| a.to_string());
    crate::stop::say(&format!(
        "coordinator listening on {addr}: waiting for {} shard(s) (run --shard I/{} --coordinator {addr})",
        args.shards, args.shards
    ));
    let control = match crate::commands::run::bind_control(config.control.as_deref()).await {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    let (notice_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let signals = crate::stop::listen(notice_tx);
    let options = CoordinatorOptions {
        shards: args.shards,
        join_timeout: args.join_timeout,
        target: target.url.clone(),
        plan_id: config.plan_id(),
        weights: config.shard_weights.clone(),
    };
    let session =
        crate::session::Session::start_with(&config, target, |s| coordinator::start(s, listener, options)).await;
    let control =
        control.map(|l| crate::distributed::control::serve(l, crate::distributed::control::Sources::of(&session)));
    let code = view(&config, session, notices).await;
    if let Some(c) = control {
        c.abort();
    }
    signals.abort();
    code
}
