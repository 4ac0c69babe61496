//! A sharded run's two engine-side parts: the stripe of the global schedule one process
//! fires, and the gate where it waits between its setup and the coordinator's start time.

use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::watch;

/// Shard `index` of `count`: it fires arrival k of the global schedule when
/// k mod count = index, so the shards' union is exactly the one-machine schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stripe {
    pub index: usize,
    pub count: usize,
}

/// Shards in one run, at most.
pub const MAX_SHARDS: usize = 1024;

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
        ((1..=MAX_SHARDS).contains(&count) && index < count).then_some(Self { index, count })
    }

    pub fn owns(&self, arrival: u64) -> bool {
        arrival % self.count as u64 == self.index as u64
    }

    /// This shard's share of the schedule.
    pub fn share(&self) -> f64 {
        1.0 / self.count as f64
    }

    /// This shard's part of `total` closed-loop connections (the first ones take the rest).
    pub fn split(&self, total: usize) -> usize {
        total / self.count + usize::from(self.index < total % self.count)
    }
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
        }
    }

    #[test]
    fn parse_accepts_index_below_count_only() {
        assert_eq!(Stripe::parse("2/3"), Ok(Stripe { index: 2, count: 3 }));
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2", "0/5000"] {
            assert!(Stripe::parse(bad).is_err(), "{bad}");
        }
    }
}
