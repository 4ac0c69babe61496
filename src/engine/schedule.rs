//! Arrival times from the phase schedule, in closed form: with a linear ramp r0 → r1 over D,
//! the arrivals by phase time τ are N(τ) = r0·τ + (r1 − r0)·τ²/(2D), so the k-th arrival is
//! the root of that quadratic. No accumulated sleep error: the rate is exact over hours.

/// One phase's rate curve.
#[derive(Clone, Copy, Debug)]
pub struct RateCurve {
    pub start: f64,
    pub end: f64,
    pub duration_s: f64,
}

impl RateCurve {
    /// Instantaneous rate at phase time `tau`.
    pub fn rate_at(&self, tau: f64) -> f64 {
        if self.duration_s <= 0.0 {
            return self.start;
        }
        self.start + (self.end - self.start) * (tau / self.duration_s).clamp(0.0, 1.0)
    }

    /// Arrivals expected by phase time `tau`.
    pub fn cumulative(&self, tau: f64) -> f64 {
        let a = (self.end - self.start) / (2.0 * self.duration_s);
        self.start * tau + a * tau * tau
    }

    /// The phase time at which the cumulative count reaches `k`, or `None` at or past the
    /// phase's end (an arrival exactly at the end belongs to the next phase's start).
    pub fn time_of(&self, k: f64) -> Option<f64> {
        if k >= self.cumulative(self.duration_s) {
            return None;
        }
        let a = (self.end - self.start) / (2.0 * self.duration_s);
        let b = self.start;
        // 2k / (b + sqrt(b² + 4ak)) is the stable form of the root; it also covers a = 0.
        let disc = (b * b + 4.0 * a * k).max(0.0);
        let denom = b + disc.sqrt();
        if denom <= 0.0 {
            return if k <= 0.0 { Some(0.0) } else { None };
        }
        let tau = 2.0 * k / denom;
        (tau < self.duration_s).then_some(tau)
    }
}

/// Arrival times within a phase as the rate multiplier changes. The scaled count
/// S(τ) = m·N(τ) is piecewise: each multiplier change starts a segment at the current phase
/// time, and arrival j (0-based) is due when S reaches j.
#[derive(Clone, Debug)]
pub struct PhaseSchedule {
    curve: RateCurve,
    multiplier: f64,
    /// Phase time, base count N and scaled count S where the current segment began.
    seg_tau: f64,
    seg_base: f64,
    seg_scaled: f64,
    /// Arrivals issued in this phase.
    issued: u64,
}

impl PhaseSchedule {
    pub fn new(curve: RateCurve, multiplier: f64) -> Self {
        Self { curve, multiplier, seg_tau: 0.0, seg_base: 0.0, seg_scaled: 0.0, issued: 0 }
    }

    /// The phase time of the next arrival, without consuming it.
    pub fn peek(&self) -> Option<f64> {
        if self.multiplier <= 0.0 {
            return None;
        }
        let base = self.seg_base + (self.issued as f64 - self.seg_scaled).max(0.0) / self.multiplier;
        self.curve.time_of(base).map(|t| t.max(self.seg_tau))
    }

    pub fn advance(&mut self) {
        self.issued += 1;
    }

    /// Changes the multiplier from phase time `tau` on.
    pub fn set_multiplier(&mut self, tau: f64, multiplier: f64) {
        let base_now = self.curve.cumulative(tau);
        self.seg_scaled += (base_now - self.seg_base) * self.multiplier;
        self.seg_tau = tau;
        self.seg_base = base_now;
        self.multiplier = multiplier.max(0.0);
    }

    pub fn rate_at(&self, tau: f64) -> f64 {
        self.curve.rate_at(tau) * self.multiplier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn count(mut s: PhaseSchedule) -> (u64, f64) {
        let mut n = 0;
        let mut last = 0.0;
        while let Some(t) = s.peek() {
            assert!(t >= last, "arrival times never go backwards");
            last = t;
            s.advance();
            n += 1;
        }
        (n, last)
    }

    #[test]
    fn constant_rate_is_exact_over_hours() {
        let s = PhaseSchedule::new(RateCurve { start: 15.0, end: 15.0, duration_s: 7200.0 }, 1.0);
        assert_eq!(count(s).0, 15 * 7200);
    }

    #[test]
    fn linear_ramp_counts_the_area_under_the_curve() {
        // 0 → 50 over 600 s: 15 000 arrivals; the last one near the end, not early.
        let s = PhaseSchedule::new(RateCurve { start: 0.0, end: 50.0, duration_s: 600.0 }, 1.0);
        let (n, last) = count(s);
        assert_eq!(n, 15_000);
        assert!(last > 599.0, "the ramp runs to its end, last arrival at {last}");
    }

    #[test]
    fn multiplier_change_mid_phase() {
        let mut s = PhaseSchedule::new(RateCurve { start: 10.0, end: 10.0, duration_s: 10.0 }, 1.0);
        let mut n = 0;
        while s.peek().is_some_and(|t| t < 5.0) {
            s.advance();
            n += 1;
        }
        s.set_multiplier(5.0, 2.0);
        while s.peek().is_some() {
            s.advance();
            n += 1;
        }
        // 50 in the first 5 s (t = 0.0 … 4.9), then 20/s for 5 s.
        // 50 in the first 5 s (t = 0.0 … 4.9), then 20/s for the last 5 s.
        assert_eq!(n, 50 + 100);
    }

    proptest! {
        #[test]
        fn arrivals_match_rate_times_duration(start in 0.0f64..500.0, end in 0.0f64..500.0, d in 0.5f64..120.0) {
            let curve = RateCurve { start, end, duration_s: d };
            let expected = curve.cumulative(d);
            let (n, _) = count(PhaseSchedule::new(curve, 1.0));
            prop_assert!((n as f64 - expected).abs() <= 1.0, "n={} expected={}", n, expected);
        }
    }
}
