//! A circuit breaker per tool: closed → open after `threshold` failures within a rolling
//! window, fast-fail while open, one half-open probe after `open_for`, closed on its success.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    pub fn gauge(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    pub threshold: usize,
    pub window: Duration,
    pub open_for: Duration,
}

#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: BreakerState,
    failures: VecDeque<Instant>,
    opened_at: Option<Instant>,
    probe_in_flight: bool,
}

/// What the breaker lets a call do.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Pass,
    /// This call is the half-open probe; its outcome decides the state.
    Probe,
    FastFail,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, state: BreakerState::Closed, failures: VecDeque::new(), opened_at: None, probe_in_flight: false }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.state {
            BreakerState::Closed => Admission::Pass,
            BreakerState::Open => {
                let opened = self.opened_at.unwrap_or(now);
                if now.duration_since(opened) >= self.config.open_for {
                    self.state = BreakerState::HalfOpen;
                    self.probe_in_flight = true;
                    Admission::Probe
                } else {
                    Admission::FastFail
                }
            }
            BreakerState::HalfOpen if self.probe_in_flight => Admission::FastFail,
            BreakerState::HalfOpen => {
                self.probe_in_flight = true;
                Admission::Probe
            }
        }
    }

    pub fn record(&mut self, now: Instant, success: bool, probe: bool) {
        if probe {
            self.probe_in_flight = false;
            if success {
                self.state = BreakerState::Closed;
                self.failures.clear();
            } else {
                self.trip(now);
            }
            return;
        }
        if success || self.state != BreakerState::Closed {
            return;
        }
        self.failures.push_back(now);
        while let Some(first) = self.failures.front() {
            if now.duration_since(*first) > self.config.window {
                self.failures.pop_front();
            } else {
                break;
            }
        }
        if self.failures.len() >= self.config.threshold {
            self.trip(now);
        }
    }

    /// How long the breaker stays open, for the contract's error text.
    pub fn open_for_ms(&self) -> u128 {
        self.config.open_for.as_millis()
    }

    fn trip(&mut self, now: Instant) {
        self.state = BreakerState::Open;
        self.opened_at = Some(now);
        self.failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_fast_fails_probes_and_closes() {
        let config = BreakerConfig { threshold: 3, window: Duration::from_secs(10), open_for: Duration::from_secs(5) };
        let mut b = Breaker::new(config);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(b.admit(t0), Admission::Pass);
            b.record(t0 + Duration::from_millis(i), false, false);
        }
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Admission::FastFail);
        let later = t0 + Duration::from_secs(6);
        assert_eq!(b.admit(later), Admission::Probe);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(b.admit(later), Admission::FastFail, "only one probe at a time");
        b.record(later, false, true);
        assert_eq!(b.state(), BreakerState::Open, "failed probe reopens");
        let much_later = later + Duration::from_secs(6);
        assert_eq!(b.admit(much_later), Admission::Probe);
        b.record(much_later, true, true);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let config = BreakerConfig { threshold: 3, window: Duration::from_secs(1), open_for: Duration::from_secs(5) };
        let mut b = Breaker::new(config);
        let t0 = Instant::now();
        b.record(t0, false, false);
        b.record(t0, false, false);
        b.record(t0 + Duration::from_secs(2), false, false);
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
