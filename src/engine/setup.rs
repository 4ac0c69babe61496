//! Setup: each group runs before the first phase, `repeat` times, a few iterations at a time;
//! a pool group stores each iteration's captures as one pool entry.

use super::exec::{send_step, Context, Vars};
use crate::scenario::{Repeat, Scenario, SetupGroup};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::sync::Arc;
use tokio::time::Instant;

/// Setup calls in flight at once: enough to hide a slow agent creation, gentle on the target.
const SETUP_CONCURRENCY: usize = 8;

/// How many iterations a group runs; `auto` sizes agent pools so no agent exceeds the
/// target's per-agent rate limit at the scenario's peak rate.
pub fn iterations(scenario: &Scenario, group: &SetupGroup, rate_scale: f64) -> usize {
    match group.repeat {
        Repeat::Count(n) => n,
        Repeat::Auto {
            calls,
            window,
            headroom,
        } => {
            let Some(pool) = group.pool else { return 1 };
            let total_weight: f64 = scenario.flows.iter().map(|f| f.weight).sum();
            // Calls per second that draw on this pool at peak: each flow's share of arrivals
            // times the number of its steps that use the pool.
            let calls_per_arrival: f64 = scenario
                .flows
                .iter()
                .map(|f| {
                    f.weight / total_weight
                        * f.steps.iter().filter(|s| s.pools.contains(&pool)).count() as f64
                })
                .sum();
            let peak = scenario.peak_rate() * rate_scale * calls_per_arrival;
            let per_agent = f64::from(calls) / window.as_secs_f64();
            ((peak / per_agent) * headroom).ceil().max(1.0) as usize
        }
    }
}

#[derive(Debug)]
pub struct SetupError {
    pub group: String,
    pub step: String,
    pub detail: String,
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "setup {:?}, step {:?} failed: {}",
            self.group, self.step, self.detail
        )
    }
}

/// Runs all setup groups; `progress(done, total)` is called after each iteration.
pub async fn run(
    ctx: &Arc<Context>,
    rate_scale: f64,
    seed: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(), SetupError> {
    let scenario = ctx.scenario.clone();
    let counts: Vec<usize> = scenario
        .setup
        .iter()
        .map(|g| iterations(&scenario, g, rate_scale))
        .collect();
    let total: u64 = counts.iter().map(|n| *n as u64).sum();
    let mut done = 0u64;
    progress(0, total);
    for (gi, group) in scenario.setup.iter().enumerate() {
        let mut next = 0usize;
        while next < counts[gi] {
            let batch = (counts[gi] - next).min(SETUP_CONCURRENCY);
            let iterations = (0..batch)
                .map(|k| run_iteration(ctx, group, seed ^ ((gi as u64) << 32) ^ (next + k) as u64));
            for result in futures_join_all(iterations).await {
                let entry = result?;
                if let Some(p) = group.pool {
                    ctx.pools.write().unwrap_or_else(|e| e.into_inner())[p].push(entry);
                }
                done += 1;
            }
            next += batch;
            progress(done, total);
        }
    }
    Ok(())
}

async fn run_iteration(
    ctx: &Arc<Context>,
    group: &SetupGroup,
    seed: u64,
) -> Result<Vec<serde_json::Value>, SetupError> {
    let mut vars = Vars::new(ctx, group.slots, SmallRng::seed_from_u64(seed));
    for step in &group.steps {
        let r = send_step(ctx, step, &mut vars, Instant::now()).await;
        if r.error.is_some() {
            let status = if r.status == 0 {
                String::new()
            } else {
                format!("HTTP {} ", r.status)
            };
            return Err(SetupError {
                group: group.name.clone(),
                step: step.name.clone(),
                detail: format!("{status}{}", r.detail),
            });
        }
    }
    Ok(vars.captures)
}

/// Awaits futures concurrently on this task, keeping their order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|v| v.expect("every future finished"))
        .collect()
}
