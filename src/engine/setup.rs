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
        Repeat::Auto { calls, window } => {
            let Some(pool) = group.pool else { return 1 };
            let total_weight: f64 = scenario.flows.iter().map(|f| f.weight).sum();
            // Calls per second that draw on this pool at peak: each flow's share of arrivals
            // times the number of its steps that use the pool.
            let calls_per_arrival: f64 = scenario
                .flows
                .iter()
                .map(|f| f.weight / total_weight * f.steps.iter().filter(|s| s.pools.contains(&pool)).count() as f64)
                .sum();
            // Flows are picked at random, so the pool's calls in a window are about Poisson
            // with mean μ; round-robin splits them evenly (±1) over the agents. Sizing for the
            // count exceeded once in a million windows keeps every agent under the limit.
            let mean = scenario.peak_rate() * rate_scale * calls_per_arrival * window.as_secs_f64();
            let per_agent = f64::from(calls.saturating_sub(1).max(1));
            (poisson_quantile(mean, 1e-6) as f64 / per_agent).ceil().max(1.0) as usize
        }
    }
}

/// The smallest k with P(X > k) ≤ `tail` for X ~ Poisson(mean).
fn poisson_quantile(mean: f64, tail: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let mut cdf = 0.0;
    let mut log_fact = 0.0;
    for k in 0u64.. {
        if k > 0 {
            log_fact += (k as f64).ln();
        }
        cdf += (-mean + k as f64 * mean.ln() - log_fact).exp();
        if 1.0 - cdf <= tail || k as f64 > mean + 50.0 * mean.sqrt() + 100.0 {
            return k;
        }
    }
    unreachable!("the loop returns")
}

#[derive(Debug)]
pub struct SetupError {
    pub group: String,
    pub step: String,
    pub detail: String,
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "setup {:?}, step {:?} failed: {}", self.group, self.step, self.detail)
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
    let counts: Vec<usize> = scenario.setup.iter().map(|g| iterations(&scenario, g, rate_scale)).collect();
    let total: u64 = counts.iter().map(|n| *n as u64).sum();
    let mut done = 0u64;
    progress(0, total);
    for (gi, group) in scenario.setup.iter().enumerate() {
        let mut next = 0usize;
        while next < counts[gi] {
            let batch = (counts[gi] - next).min(SETUP_CONCURRENCY);
            let iterations =
                (0..batch).map(|k| run_iteration(ctx, group, seed ^ ((gi as u64) << 32) ^ (next + k) as u64));
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
        let r = send_step(ctx, step, &mut vars, Instant::now(), None).await;
        let detail = if r.error.is_some() {
            r.detail(ctx)
        } else if !r.missing_captures.is_empty() {
            // An empty pool entry would send null tokens later and look like the target's fault.
            format!("the answer has nothing at {} to capture", r.missing_captures.join(", "))
        } else {
            continue;
        };
        return Err(SetupError { group: group.name.clone(), step: step.name.clone(), detail });
    }
    Ok(vars.captures)
}

/// Awaits futures concurrently on this task, keeping their order.
async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
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
    out.into_iter().map(|v| v.expect("every future finished")).collect()
}

#[cfg(test)]
mod tests {
    use super::poisson_quantile;

    #[test]
    fn poisson_quantiles() {
        // Reference values from the exact distribution.
        assert_eq!(poisson_quantile(3.0, 1e-6), 14);
        assert_eq!(poisson_quantile(360.0, 1e-6), 454);
        assert_eq!(poisson_quantile(0.0, 1e-6), 0);
    }
}
