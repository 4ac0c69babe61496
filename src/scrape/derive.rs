//! Derived series from consecutive scrapes: counter deltas and rates with reset detection,
//! histogram quantiles with Prometheus' interpolation, bucket deltas, and the circuit-breaker
//! timeline. Pure functions of the values they are given; no clock, no I/O.

use std::collections::BTreeMap;

/// Increase of a counter between two scrapes.
///
/// A counter only goes down when the target restarted, and then everything counted since the
/// restart is `cur` (the same assumption Prometheus' `rate()` makes).
pub fn counter_delta(prev: f64, cur: f64) -> f64 {
    if cur < prev {
        cur
    } else {
        cur - prev
    }
}

/// Per-second increase of a counter over `dt_secs`.
///
/// `None` when the interval is not a positive finite duration: a rate over no time is not a
/// measurement, and returning 0 would pretend it was.
pub fn rate(prev: f64, cur: f64, dt_secs: f64) -> Option<f64> {
    (dt_secs > 0.0 && dt_secs.is_finite()).then(|| counter_delta(prev, cur) / dt_secs)
}

/// Quantile `q` of a histogram given as cumulative `(le, count)` buckets, with the semantics
/// of PromQL's `histogram_quantile`:
///
/// - buckets are sorted by `le`, buckets with the same `le` merged and counts forced monotone;
/// - the value is interpolated linearly inside the bucket holding the rank, the lowest bucket
///   from 0 (or its own bound if that is ≤ 0);
/// - a rank in the `+Inf` bucket returns the highest finite bound;
/// - `q < 0` gives −∞ and `q > 1` gives +∞.
///
/// `None` when there is nothing to estimate from: no `+Inf` bucket, fewer than two buckets,
/// zero observations, or a NaN `q` (PromQL returns NaN in these cases).
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    if q.is_nan() {
        return None;
    }
    let b = normalised(buckets);
    let (&(last_le, observations), finite) = b.split_last()?;
    if last_le != f64::INFINITY || finite.is_empty() || observations <= 0.0 {
        return None;
    }
    if q < 0.0 {
        return Some(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return Some(f64::INFINITY);
    }
    let rank = q * observations;
    // First bucket whose cumulative count reaches the rank; the +Inf bucket if none does.
    let i = finite.iter().position(|&(_, c)| c >= rank).unwrap_or(finite.len());
    if i == finite.len() {
        return Some(finite[i - 1].0);
    }
    let (end, count) = finite[i];
    if i == 0 && end <= 0.0 {
        return Some(end);
    }
    let (start, below) = if i == 0 { (0.0, 0.0) } else { finite[i - 1] };
    let in_bucket = count - below;
    // Only reachable for q = 0 with an empty first bucket, where PromQL's 0/0 would be NaN.
    if in_bucket <= 0.0 {
        return Some(start);
    }
    Some(start + (end - start) * ((rank - below) / in_bucket))
}

/// Sorted by `le`, NaN bounds dropped, equal bounds merged, counts made non-decreasing.
fn normalised(buckets: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut b: Vec<(f64, f64)> = buckets.iter().copied().filter(|(le, _)| !le.is_nan()).collect();
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    b.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
    let mut max = 0.0_f64;
    for bucket in &mut b {
        max = max.max(bucket.1);
        bucket.1 = max;
    }
    b
}

/// Per-bucket increase between two scrapes of one cumulative histogram series.
///
/// If the total count went down the target restarted, so `cur` is the whole increase. A bound
/// missing from `prev` counts from 0, because real gateways emit a series only after its first
/// observation. A single bucket going down without a reset is clamped to 0.
pub fn bucket_deltas(prev: &[(f64, f64)], cur: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if total(cur) < total(prev) {
        return cur.to_vec();
    }
    cur.iter()
        .map(|&(le, c)| {
            let before = prev.iter().find(|(p, _)| *p == le).map_or(0.0, |b| b.1);
            (le, (c - before).max(0.0))
        })
        .collect()
}

/// Observation count of cumulative buckets: the largest cumulative count.
fn total(buckets: &[(f64, f64)]) -> f64 {
    buckets.iter().fold(0.0, |m, b| m.max(b.1))
}

/// Adds cumulative buckets `add` into `acc`, bound by bound (PromQL's `sum by (le)`), keeping
/// `acc` sorted by `le`.
pub fn add_buckets(acc: &mut Vec<(f64, f64)>, add: &[(f64, f64)]) {
    for &(le, c) in add {
        match acc.binary_search_by(|b| b.0.total_cmp(&le)) {
            Ok(i) => acc[i].1 += c,
            Err(i) => acc.insert(i, (le, c)),
        }
    }
}

/// Circuit-breaker state gauge values.
pub const CLOSED: u8 = 0;
pub const HALF_OPEN: u8 = 1;
pub const OPEN: u8 = 2;

/// A change of one tool's breaker state, stamped with the scrape that first saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub t_secs: f64,
    pub tool: String,
    pub from: u8,
    pub to: u8,
}

/// What the timeline knows about one tool.
#[derive(Clone, Debug, Default)]
struct Track {
    state: u8,
    last_t: f64,
    /// Start of the current open stretch (state == OPEN).
    open_since: Option<f64>,
    /// Start of the current outage: first opening since the breaker was last closed.
    outage_since: Option<f64>,
    time_open: f64,
    openings: usize,
    recoveries: Vec<f64>,
}

/// Breaker timeline built from sampled `(t, tool, state)` observations (one per scrape).
///
/// Scrapes only sample the state, so every time here has the scrape interval as resolution:
/// a change is dated at the first scrape that shows it. Definitions:
/// - *openings*: transitions into OPEN (including half-open → open when a probe fails); a tool
///   first seen already open counts as one opening dated at that first scrape;
/// - *time open*: time in OPEN up to the tool's latest observation (half-open not counted);
/// - *recovery time*: from the first opening of an outage to the next scrape showing CLOSED.
///
/// Observations with an unknown state (> 2) or going back in time for their tool are ignored.
#[derive(Clone, Debug, Default)]
pub struct BreakerTimeline {
    tools: BTreeMap<String, Track>,
    transitions: Vec<Transition>,
}

impl BreakerTimeline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one observation; returns the transition it reveals, if any.
    pub fn observe(&mut self, t_secs: f64, tool: &str, state: u8) -> Option<Transition> {
        if state > OPEN || !t_secs.is_finite() {
            return None;
        }
        let Some(track) = self.tools.get_mut(tool) else {
            self.tools.insert(tool.to_string(), Track::first(t_secs, state));
            return None;
        };
        if t_secs < track.last_t {
            return None;
        }
        let from = track.advance(t_secs, state)?;
        let transition = Transition { t_secs, tool: tool.to_string(), from, to: state };
        self.transitions.push(transition.clone());
        Some(transition)
    }

    /// All transitions in the order they were observed.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// Tools observed so far, sorted.
    pub fn tools(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }

    /// Latest observed state of `tool`.
    pub fn state(&self, tool: &str) -> Option<u8> {
        self.tools.get(tool).map(|t| t.state)
    }

    /// Seconds `tool` spent open, up to its latest observation.
    pub fn time_open(&self, tool: &str) -> f64 {
        self.tools.get(tool).map_or(0.0, |t| t.time_open + t.open_since.map_or(0.0, |since| t.last_t - since))
    }

    /// Number of times `tool`'s breaker was seen opening.
    pub fn openings(&self, tool: &str) -> usize {
        self.tools.get(tool).map_or(0, |t| t.openings)
    }

    /// Durations from each outage's first opening until the breaker was seen closed again.
    pub fn recovery_times(&self, tool: &str) -> &[f64] {
        self.tools.get(tool).map_or(&[], |t| t.recoveries.as_slice())
    }
}

impl Track {
    fn first(t: f64, state: u8) -> Self {
        let open = (state == OPEN).then_some(t);
        Track {
            state,
            last_t: t,
            open_since: open,
            outage_since: open,
            openings: usize::from(state == OPEN),
            ..Track::default()
        }
    }

    /// Moves to `state` at `t`; returns the previous state when it changed.
    fn advance(&mut self, t: f64, state: u8) -> Option<u8> {
        self.last_t = t;
        let from = self.state;
        if state == from {
            return None;
        }
        self.state = state;
        if let Some(since) = self.open_since.take() {
            self.time_open += t - since;
        }
        if state == OPEN {
            self.open_since = Some(t);
            self.openings += 1;
            self.outage_since.get_or_insert(t);
        }
        if state == CLOSED {
            if let Some(since) = self.outage_since.take() {
                self.recoveries.push(t - since);
            }
        }
        Some(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn counter_delta_detects_reset() {
        assert_eq!(counter_delta(10.0, 15.0), 5.0);
        assert_eq!(counter_delta(10.0, 10.0), 0.0);
        // Restarted and counted 3 since: the increase is 3, not -7.
        assert_eq!(counter_delta(10.0, 3.0), 3.0);
    }

    #[test]
    fn rate_over_interval() {
        assert_eq!(rate(100.0, 120.0, 2.0), Some(10.0));
        assert_eq!(rate(100.0, 4.0, 2.0), Some(2.0));
        assert_eq!(rate(1.0, 2.0, 0.0), None);
        assert_eq!(rate(1.0, 2.0, -1.0), None);
        assert_eq!(rate(1.0, 2.0, f64::NAN), None);
    }

    const INF: f64 = f64::INFINITY;

    #[test]
    fn quantile_interpolates_like_promql() {
        let b = [(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (INF, 40.0)];
        // rank 20 lies in (0.1, 0.5]: 10 of its 20 observations → halfway.
        assert!(close(histogram_quantile(0.5, &b).unwrap(), 0.3));
        // rank 4 lies in the lowest bucket, interpolated from 0.
        assert!(close(histogram_quantile(0.1, &b).unwrap(), 0.04));
        // rank 38 in (0.5, 1]: 8 of 10 → 0.9.
        assert!(close(histogram_quantile(0.95, &b).unwrap(), 0.9));
        assert_eq!(histogram_quantile(1.0, &b), Some(1.0));
        assert_eq!(histogram_quantile(-0.5, &b), Some(f64::NEG_INFINITY));
        assert_eq!(histogram_quantile(1.5, &b), Some(INF));
        assert_eq!(histogram_quantile(f64::NAN, &b), None);
    }

    #[test]
    fn quantile_in_inf_bucket_returns_highest_finite_bound() {
        let b = [(25.0, 1.0), (50.0, 2.0), (INF, 10.0)];
        assert_eq!(histogram_quantile(0.99, &b), Some(50.0));
    }

    #[test]
    fn quantile_sorts_merges_and_forces_monotone() {
        let b = [(INF, 4.0), (2.0, 3.0), (1.0, 2.0), (1.0, 0.0), (3.0, 1.0)];
        // Sorted and fixed: (1,2) (2,3) (3,3) (+Inf,4); rank 2 → top of bucket 1.
        assert!(close(histogram_quantile(0.5, &b).unwrap(), 1.0));
        assert!(close(histogram_quantile(0.75, &b).unwrap(), 2.0));
    }

    #[test]
    fn quantile_edge_cases() {
        assert_eq!(histogram_quantile(0.5, &[]), None);
        assert_eq!(histogram_quantile(0.5, &[(INF, 5.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(1.0, 0.0), (INF, 0.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(1.0, 3.0), (2.0, 5.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(-1.0, 3.0), (INF, 3.0)]), Some(-1.0));
        assert_eq!(histogram_quantile(0.0, &[(10.0, 0.0), (20.0, 4.0), (INF, 4.0)]), Some(0.0));
    }

    #[test]
    fn bucket_deltas_per_bound_and_reset() {
        let prev = [(25.0, 5.0), (50.0, 8.0), (INF, 10.0)];
        let cur = [(25.0, 9.0), (50.0, 14.0), (INF, 17.0)];
        assert_eq!(bucket_deltas(&prev, &cur), vec![(25.0, 4.0), (50.0, 6.0), (INF, 7.0)]);
        let restarted = [(25.0, 1.0), (50.0, 2.0), (INF, 2.0)];
        assert_eq!(bucket_deltas(&prev, &restarted), restarted.to_vec());
        // A series that first appears in `cur` counts from zero.
        assert_eq!(bucket_deltas(&[], &cur), cur.to_vec());
    }

    #[test]
    fn add_buckets_sums_by_bound() {
        let mut acc = vec![(25.0, 1.0), (INF, 2.0)];
        add_buckets(&mut acc, &[(10.0, 1.0), (25.0, 3.0), (INF, 4.0)]);
        assert_eq!(acc, vec![(10.0, 1.0), (25.0, 4.0), (INF, 6.0)]);
    }

    #[test]
    fn breaker_timeline_transitions_time_open_and_recovery() {
        let mut tl = BreakerTimeline::new();
        assert_eq!(tl.observe(0.0, "serpapi", CLOSED), None);
        assert_eq!(tl.observe(2.0, "serpapi", CLOSED), None);
        let t = tl.observe(4.0, "serpapi", OPEN).unwrap();
        assert_eq!((t.t_secs, t.from, t.to), (4.0, CLOSED, OPEN));
        tl.observe(14.0, "serpapi", HALF_OPEN);
        tl.observe(16.0, "serpapi", OPEN); // probe failed
        tl.observe(26.0, "serpapi", HALF_OPEN);
        tl.observe(28.0, "serpapi", CLOSED);
        tl.observe(30.0, "openai", OPEN); // first seen open
        tl.observe(31.0, "openai", 7); // unknown state ignored
        tl.observe(29.0, "openai", CLOSED); // back in time ignored
        tl.observe(36.0, "openai", OPEN);

        assert_eq!(tl.transitions().len(), 5);
        assert_eq!(tl.openings("serpapi"), 2);
        assert!(close(tl.time_open("serpapi"), 10.0 + 10.0));
        assert_eq!(tl.recovery_times("serpapi"), &[24.0]);
        assert_eq!(tl.state("serpapi"), Some(CLOSED));

        assert_eq!(tl.openings("openai"), 1);
        assert!(close(tl.time_open("openai"), 6.0));
        assert!(tl.recovery_times("openai").is_empty());
        assert_eq!(tl.tools().collect::<Vec<_>>(), ["openai", "serpapi"]);
        assert_eq!(tl.openings("nope"), 0);
    }
}
