//! Which rate to try next: doubling from the start rate until a step breaks (or the limit
//! holds), then bisection between the highest rate that held and the lowest that broke,
//! until the two are within the precision. Pure, so every path is unit-tested.

/// Steps at most, whatever the rates: a search always ends by itself.
pub const MAX_STEPS: usize = 16;
/// Below this rate a broken start is not halved further.
pub const MIN_RATE: f64 = 0.5;

#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    start: f64,
    max: f64,
    /// Stop when `broke − held ≤ precision × held`.
    precision: f64,
    held: Option<f64>,
    broke: Option<f64>,
    steps: usize,
}

impl Search {
    pub fn new(start: f64, max: f64, precision: f64) -> Self {
        Search { start: start.min(max), max, precision, held: None, broke: None, steps: 0 }
    }

    /// The next rate to try, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        if self.steps >= MAX_STEPS {
            return None;
        }
        match (self.held, self.broke) {
            (None, None) => Some(self.start),
            (Some(held), None) if held >= self.max => None,
            (Some(held), None) => Some((held * 2.0).min(self.max)),
            (None, Some(broke)) => (broke / 2.0 >= MIN_RATE).then_some(broke / 2.0),
            (Some(held), Some(broke)) => (broke - held > self.precision * held).then_some((held + broke) / 2.0),
        }
    }

    pub fn record(&mut self, rate: f64, held: bool) {
        self.steps += 1;
        if held {
            self.held = Some(self.held.map_or(rate, |h| h.max(rate)));
        } else {
            self.broke = Some(self.broke.map_or(rate, |b| b.min(rate)));
        }
    }

    /// The highest rate that held so far.
    pub fn held(&self) -> Option<f64> {
        self.held
    }

    pub fn reached_max(&self) -> bool {
        self.held.is_some_and(|h| h >= self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a target that holds up to `capacity`; returns (held, broke, rates tried).
    fn against(capacity: f64, start: f64, max: f64) -> (Option<f64>, Option<f64>, Vec<f64>) {
        let mut s = Search::new(start, max, 0.05);
        let mut tried = Vec::new();
        while let Some(rate) = s.next() {
            tried.push(rate);
            s.record(rate, rate <= capacity);
        }
        (s.held, s.broke, tried)
    }

    #[test]
    fn doubles_then_bisects_to_the_precision() {
        let (held, broke, tried) = against(137.0, 10.0, 10_000.0);
        assert_eq!(&tried[..5], &[10.0, 20.0, 40.0, 80.0, 160.0]);
        let (held, broke) = (held.unwrap(), broke.unwrap());
        assert!(held <= 137.0 && broke > 137.0);
        assert!(broke - held <= 0.05 * held, "{held} .. {broke}");
        assert!(tried.len() < MAX_STEPS);
    }

    #[test]
    fn a_limit_that_holds_ends_the_search_at_the_limit() {
        let (held, broke, tried) = against(1e9, 10.0, 100.0);
        assert_eq!(tried, vec![10.0, 20.0, 40.0, 80.0, 100.0]);
        assert_eq!((held, broke), (Some(100.0), None));
    }

    #[test]
    fn a_broken_start_is_halved_then_bisected() {
        let (held, broke, tried) = against(3.0, 10.0, 100.0);
        assert_eq!(&tried[..3], &[10.0, 5.0, 2.5]);
        assert!(held.unwrap() <= 3.0 && broke.unwrap() > 3.0);
    }

    #[test]
    fn nothing_holds_ends_below_the_minimum_rate() {
        let (held, broke, tried) = against(0.0, 10.0, 100.0);
        assert_eq!(held, None);
        assert!(broke.unwrap() >= MIN_RATE);
        assert!(tried.len() <= 6);
    }

    #[test]
    fn the_step_budget_bounds_any_search() {
        let mut s = Search::new(1.0, 1e12, 0.0);
        let mut n = 0;
        while let Some(rate) = s.next() {
            s.record(rate, rate < 12345.678);
            n += 1;
        }
        assert_eq!(n, MAX_STEPS);
    }
}
