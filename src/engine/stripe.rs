//! A sharded run's two engine-side parts: the stripe of the global schedule one process
//! fires, and the gate where it waits between its setup and the coordinator's start time.

use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::watch;

/// Shard `index` of `count`: it fires arrival k of the global schedule when k mod count =
/// index, so the shards' union is exactly the one-machine schedule. With weights (shards of
/// different sizes), arrival k belongs to the shard of slot k mod Σw in a smooth weighted
/// round-robin table, so each shard's arrivals stay evenly spread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stripe {
    pub index: usize,
    pub count: usize,
    /// Weighted stripes: the owner of each slot.
    slots: Option<Arc<[u16]>>,
    weight: u32,
    total_weight: u32,
}

/// Shards in one run, at most.
pub const MAX_SHARDS: usize = 1024;

/// The weights of one run's shards add up to at most this (the slot table's length).
pub const MAX_TOTAL_WEIGHT: u32 = 10_000;

impl Stripe {
    /// `I/N`, with 0 ≤ I < N ≤ 1024.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("--shard {text:?}: expected INDEX/COUNT, e.g. 0/3 (index from 0, below the count)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        Self::new(index, count).ok_or_else(bad)
    }

    pub fn new(index: usize, count: usize) -> Option<Self> {
        ((1..=MAX_SHARDS).contains(&count) && index < count).then_some(Self {
            index,
            count,
            slots: None,
            weight: 1,
            total_weight: count as u32,
        })
    }

    /// The same stripe with the run's shard weights (`--shard-weights 2,1,1`), checked.
    pub fn weighted(self, weights: &[u32]) -> Result<Self, String> {
        if weights.len() != self.count {
            return Err(format!("--shard-weights has {} weights for {} shards", weights.len(), self.count));
        }
        let slots = slot_table(weights)?;
        Ok(Self { total_weight: slots.len() as u32, slots: Some(slots), weight: weights[self.index], ..self })
    }

    pub fn owns(&self, arrival: u64) -> bool {
        match &self.slots {
            None => arrival % self.count as u64 == self.index as u64,
            Some(slots) => usize::from(slots[(arrival % slots.len() as u64) as usize]) == self.index,
        }
    }

    /// This shard's share of the schedule.
    pub fn share(&self) -> f64 {
        f64::from(self.weight) / f64::from(self.total_weight)
    }

    /// This shard's part of `total` closed-loop connections (the first ones take the rest).
    pub fn split(&self, total: usize) -> usize {
        match &self.slots {
            None => total / self.count + usize::from(self.index < total % self.count),
            Some(slots) => {
                // Floors of the running weight sum: the parts add up to `total`.
                let before = slots.iter().filter(|s| usize::from(**s) < self.index).count();
                let through = before + self.weight as usize;
                total * through / slots.len() - total * before / slots.len()
            }
        }
    }
}

/// `2,1,1` → weights, each at least 1, summing to at most `MAX_TOTAL_WEIGHT`.
pub fn parse_weights(text: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("--shard-weights {text:?}: expected whole numbers from 1, e.g. 2,1,1");
    let weights: Vec<u32> =
        text.split(',').map(|w| w.trim().parse::<u32>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    if weights.iter().any(|w| *w == 0 || *w > MAX_TOTAL_WEIGHT) {
        return Err(bad());
    }
    Ok(weights)
}

/// Smooth weighted round-robin over one cycle of Σw slots: every shard's slots spread out.
fn slot_table(weights: &[u32]) -> Result<Arc<[u16]>, String> {
    let total = weights.iter().map(|w| u64::from(*w)).sum::<u64>();
    if weights.contains(&0) || total > u64::from(MAX_TOTAL_WEIGHT) {
        return Err(format!(
            "--shard-weights: each weight at least 1, all of them adding up to at most {MAX_TOTAL_WEIGHT}"
        ));
    }
    let mut current = vec![0i64; weights.len()];
    let mut slots = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(weights) {
            *c += i64::from(*w);
        }
        let best = (0..weights.len()).max_by_key(|&i| (current[i], std::cmp::Reverse(i))).unwrap_or(0);
        current[best] -= total as i64;
        slots.push(best as u16);
    }
    Ok(slots.into())
}

impl std::fmt::Display for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The engine's side of the start barrier: it says it is ready (setup done), then waits for
/// an absolute start time on this machine's clock.
#[derive(Clone, Debug)]
pub struct StartGate {
    ready: Arc<watch::Sender<bool>>,
    start: watch::Receiver<Option<SystemTime>>,
    started: Arc<watch::Sender<Option<SystemTime>>>,
}

/// The coordinator link's side: learns when the engine is ready, and sets the start.
#[derive(Debug)]
pub struct GateControl {
    pub ready: watch::Receiver<bool>,
    pub start: watch::Sender<Option<SystemTime>>,
    /// When the first phase actually began, on this machine's clock.
    pub started: watch::Receiver<Option<SystemTime>>,
}

pub fn gate() -> (StartGate, GateControl) {
    let (ready_tx, ready) = watch::channel(false);
    let (start, start_rx) = watch::channel(None);
    let (started_tx, started) = watch::channel(None);
    (
        StartGate { ready: Arc::new(ready_tx), start: start_rx, started: Arc::new(started_tx) },
        GateControl { ready, start, started },
    )
}

impl StartGate {
    /// Says "ready" and waits for the start time; `None` when the link is gone first.
    pub async fn wait(&mut self) -> Option<SystemTime> {
        let _ = self.ready.send(true);
        let at = self.start.wait_for(Option::is_some).await.ok()?;
        *at
    }

    /// The first phase began now.
    pub fn mark_started(&self) {
        self.started.send_replace(Some(SystemTime::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_partition_every_arrival_exactly_once() {
        for n in 1..=8 {
            let stripes: Vec<Stripe> = (0..n).map(|i| Stripe::new(i, n).unwrap()).collect();
            for k in 0..1000u64 {
                assert_eq!(stripes.iter().filter(|s| s.owns(k)).count(), 1);
            }
            assert_eq!(stripes.iter().map(|s| s.split(10)).sum::<usize>(), 10);
            let weights: Vec<u32> = (1..=n as u32).collect();
            let weighted: Vec<Stripe> = stripes.iter().map(|s| s.clone().weighted(&weights).unwrap()).collect();
            for total in [n, 10, 37] {
                assert_eq!(weighted.iter().map(|s| s.split(total)).sum::<usize>(), total, "{weights:?} of {total}");
            }
        }
    }

    #[test]
    fn weighted_stripes_partition_every_arrival_in_proportion_and_spread_out() {
        let weights = [3, 1, 2];
        let stripes: Vec<Stripe> = (0..3).map(|i| Stripe::new(i, 3).unwrap().weighted(&weights).unwrap()).collect();
        let mut counts = [0u64; 3];
        let mut last = [None::<u64>; 3];
        for k in 0..6000u64 {
            let owners: Vec<usize> = (0..3).filter(|i| stripes[*i].owns(k)).collect();
            assert_eq!(owners.len(), 1, "arrival {k} has one owner");
            let i = owners[0];
            counts[i] += 1;
            if let Some(prev) = last[i] {
                assert!(k - prev <= 6, "shard {i}'s arrivals stay spread: {prev} then {k}");
            }
            last[i] = Some(k);
        }
        assert_eq!(counts, [3000, 1000, 2000]);
        assert!((stripes[0].share() - 0.5).abs() < 1e-12);
        assert!(Stripe::new(0, 3).unwrap().weighted(&[1, 1]).is_err(), "one weight per shard");
        assert!(parse_weights("2,0,1").is_err() && parse_weights("2,x").is_err());
        assert_eq!(parse_weights("2, 1,1"), Ok(vec![2, 1, 1]));
    }

    #[test]
    fn parse_accepts_index_below_count_only() {
        assert_eq!(Stripe::parse("2/3"), Ok(Stripe::new(2, 3).unwrap()));
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2", "0/5000"] {
            assert!(Stripe::parse(bad).is_err(), "{bad}");
        }
    }
}
