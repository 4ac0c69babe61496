//! A bounded in-memory series store fed by scrapes.
//!
//! Every sample of one scrape shares that scrape's timestamp (as in a Prometheus server), so
//! the store keeps one ring of scrape times and, per series, one ring of values aligned with
//! it: a value slot costs 8 bytes and a series costs its labels plus one slot per retained
//! scrape. A series missing from a scrape gets an *absent* slot, which acts as Prometheus's
//! staleness marker; a series absent from every retained scrape is dropped. New series past
//! `max_series` are refused and counted, so memory stays within [`SeriesStore::bound_bytes`].

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::scrape::parser::Exposition;

/// A series' identity: `("__name__", name)` first, then the other labels sorted by name, so
/// the series of one metric sit next to each other in the store's ordered map.
pub type SeriesKey = Box<[(Box<str>, Box<str>)]>;

pub const METRIC_NAME: &str = "__name__";

/// The slot of a scrape in which the series did not appear. A NaN with a payload no
/// arithmetic produces, as Prometheus's stale marker is.
const ABSENT_BITS: u64 = 0x7ff0_0000_0000_0002;

fn absent() -> f64 {
    f64::from_bits(ABSENT_BITS)
}

fn is_absent(v: f64) -> bool {
    v.to_bits() == ABSENT_BITS
}

/// One stored series: its values, aligned with [`SeriesStore`]'s scrape times.
#[derive(Debug)]
struct Stored {
    values: VecDeque<f64>,
}

/// A point of a series: milliseconds since the Unix epoch and its value.
pub type Point = (i64, f64);

#[derive(Debug)]
pub struct SeriesStore {
    times: VecDeque<i64>,
    series: BTreeMap<SeriesKey, Stored>,
    retention: Duration,
    max_series: usize,
    refused_series: u64,
    /// Slots a series' ring is allocated with: the scrapes `retention` holds at the expected
    /// interval, so no ring doubles past what it needs.
    slots: usize,
}

impl SeriesStore {
    /// Keeps scrapes younger than `retention` (counted back from the newest), taken about every
    /// `interval`, and at most `max_series` series.
    pub fn new(retention: Duration, interval: Duration, max_series: usize) -> Self {
        // `as` saturates a float that is too large, and MAX_SLOTS bounds it before the `+ 3`.
        let slots = ((retention.as_secs_f64() / interval.as_secs_f64().max(0.001)).ceil() as usize).min(MAX_SLOTS) + 3;
        Self { times: VecDeque::new(), series: BTreeMap::new(), retention, max_series, refused_series: 0, slots }
    }

    /// Adds one scrape taken at `at_ms`. Scrapes must come in time order; an older or equal
    /// timestamp is ignored (a clock step back must not reorder the rings).
    pub fn ingest(&mut self, at_ms: i64, exposition: &Exposition) {
        let samples = exposition
            .families
            .values()
            .flat_map(|f| &f.samples)
            .map(|s| (key(&s.name, s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))), s.value));
        self.ingest_samples(at_ms, samples);
    }

    /// Adds one scrape given as `(series, value)` pairs.
    pub fn ingest_samples(&mut self, at_ms: i64, samples: impl IntoIterator<Item = (SeriesKey, f64)>) {
        if self.times.back().is_some_and(|&last| at_ms <= last) {
            return;
        }
        let slots = self.times.len();
        self.times.push_back(at_ms);
        for stored in self.series.values_mut() {
            stored.values.push_back(absent());
        }
        for (key, value) in samples {
            // Prometheus reads an exposition's own NaN as a value; only our marker is absence.
            let value = if is_absent(value) { f64::NAN } else { value };
            if let Some(stored) = self.series.get_mut(&key) {
                *stored.values.back_mut().expect("a slot was pushed") = value;
            } else if self.series.len() < self.max_series {
                let mut values = VecDeque::with_capacity(self.slots.max(slots + 1));
                values.extend(std::iter::repeat_n(absent(), slots));
                values.push_back(value);
                self.series.insert(key, Stored { values });
            } else {
                self.refused_series += 1;
            }
        }
        self.evict(at_ms);
    }

    fn evict(&mut self, newest_ms: i64) {
        let oldest_kept = newest_ms.saturating_sub(i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX));
        let mut dropped = 0;
        // Keep at least two scrapes so a rate over them is still possible.
        while self.times.len() > 2 && (self.times[0] < oldest_kept || self.times.len() > self.slots) {
            self.times.pop_front();
            dropped += 1;
        }
        if dropped == 0 {
            return;
        }
        self.series.retain(|_, stored| {
            stored.values.drain(..dropped);
            stored.values.iter().any(|v| !is_absent(*v))
        });
    }

    /// Series currently held.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// New series refused because the store was full, since it was made.
    pub fn refused_series(&self) -> u64 {
        self.refused_series
    }

    /// How far back the store can hold samples at its expected interval.
    pub fn kept(&self, interval: Duration) -> Duration {
        self.retention.min(interval * MAX_SLOTS as u32)
    }

    pub fn newest_ms(&self) -> Option<i64> {
        self.times.back().copied()
    }

    pub fn oldest_ms(&self) -> Option<i64> {
        self.times.front().copied()
    }

    pub fn scrapes(&self) -> usize {
        self.times.len()
    }

    /// Bytes held by the series, labels and value rings (allocator overhead aside).
    pub fn memory_bytes(&self) -> usize {
        let per_slot = std::mem::size_of::<f64>();
        let times = self.times.capacity() * std::mem::size_of::<i64>();
        times
            + self
                .series
                .iter()
                .map(|(key, stored)| key_bytes(key) + stored.values.capacity() * per_slot + SERIES_OVERHEAD)
                .sum::<usize>()
    }

    /// The most [`memory_bytes`](Self::memory_bytes) can reach while scrapes come at the
    /// expected interval, with series whose labels take at most `key_bytes` each: every series
    /// costs its labels, 8 bytes per retained scrape and a fixed overhead.
    pub fn bound_bytes(&self, key_bytes: usize) -> usize {
        let slots = self.slots;
        slots.next_power_of_two() * 8 + self.max_series * (key_bytes + slots * 8 + SERIES_OVERHEAD)
    }

    /// `pick` over the series `filter` accepts, among those named `name` when it is given
    /// (a range of the ordered map: the name comes first in every key).
    fn select<'a, T>(
        &'a self,
        name: Option<&str>,
        filter: impl Fn(&SeriesKey) -> bool,
        pick: impl FnMut((&'a SeriesKey, &'a Stored)) -> Option<T>,
    ) -> Vec<T> {
        match name {
            Some(name) => {
                let start: SeriesKey = Box::new([(METRIC_NAME.into(), name.into())]);
                self.series
                    .range(start..)
                    .take_while(|(k, _)| k.first().is_some_and(|(_, n)| &**n == name))
                    .filter(|(k, _)| filter(k))
                    .filter_map(pick)
                    .collect()
            }
            None => self.series.iter().filter(|(k, _)| filter(k)).filter_map(pick).collect(),
        }
    }

    /// Each selected series' latest value at or before `at_ms`, within `lookback`; a series
    /// absent from the latest scrape at that time is stale and left out, as in Prometheus.
    pub fn instant<'a>(
        &'a self,
        name: Option<&str>,
        filter: impl Fn(&SeriesKey) -> bool,
        at_ms: i64,
        lookback: Duration,
    ) -> Vec<(&'a SeriesKey, f64)> {
        let Some(slot) = self.slot_at_or_before(at_ms) else { return Vec::new() };
        if at_ms - self.times[slot] > lookback.as_millis() as i64 {
            return Vec::new();
        }
        self.select(name, filter, |(k, s)| {
            let v = s.values[slot];
            (!is_absent(v)).then_some((k, v))
        })
    }

    /// Each selected series' points in `[from_ms, to_ms]`: Prometheus 2.x's closed range, the
    /// semantics CI checks against (Prometheus 3 leaves the left edge out).
    pub fn range<'a>(
        &'a self,
        name: Option<&str>,
        filter: impl Fn(&SeriesKey) -> bool,
        from_ms: i64,
        to_ms: i64,
    ) -> Vec<(&'a SeriesKey, Vec<Point>)> {
        let first = self.times.partition_point(|&t| t < from_ms);
        let end = self.times.partition_point(|&t| t <= to_ms);
        if first >= end {
            return Vec::new();
        }
        self.select(name, filter, |(k, s)| {
            let points: Vec<Point> =
                (first..end).map(|i| (self.times[i], s.values[i])).filter(|(_, v)| !is_absent(*v)).collect();
            (!points.is_empty()).then_some((k, points))
        })
    }

    fn slot_at_or_before(&self, at_ms: i64) -> Option<usize> {
        self.times.partition_point(|&t| t <= at_ms).checked_sub(1)
    }
}

/// The fixed cost of one series in the ordered map (node share, ring header).
const SERIES_OVERHEAD: usize = 96;
/// Scrapes kept at most, whatever the retention: 48 minutes at one scrape every 2 s, a day at
/// one a minute. [`SeriesStore::kept`] says how far back that reaches.
pub const MAX_SLOTS: usize = 1440;

fn key_bytes(key: &SeriesKey) -> usize {
    key.len() * std::mem::size_of::<(Box<str>, Box<str>)>() + key.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// Builds a key from a metric name and its labels (any order; `__name__` among them is ignored).
pub fn key<'a>(name: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> SeriesKey {
    let mut rest: Vec<(Box<str>, Box<str>)> =
        labels.into_iter().filter(|(k, _)| *k != METRIC_NAME).map(|(k, v)| (k.into(), v.into())).collect();
    rest.sort();
    rest.dedup_by(|a, b| a.0 == b.0);
    let mut all = Vec::with_capacity(rest.len() + 1);
    all.push((METRIC_NAME.into(), name.into()));
    all.extend(rest);
    all.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Scrape<'a> = [(&'a str, &'a [(&'a str, &'a str)], f64)];

    fn scrape(store: &mut SeriesStore, at: i64, samples: &Scrape) {
        store.ingest_samples(at, samples.iter().map(|(n, l, v)| (key(n, l.iter().copied()), *v)));
    }

    #[test]
    fn a_series_missing_from_a_scrape_is_stale_from_then_on() {
        let mut s = SeriesStore::new(Duration::from_secs(60), Duration::from_secs(1), 100);
        scrape(&mut s, 1_000, &[("up", &[("job", "a")], 1.0), ("up", &[("job", "b")], 1.0)]);
        scrape(&mut s, 3_000, &[("up", &[("job", "a")], 1.0)]);
        let lookback = Duration::from_secs(300);
        assert_eq!(s.instant(Some("up"), |_| true, 2_000, lookback).len(), 2);
        let now = s.instant(Some("up"), |_| true, 3_500, lookback);
        assert_eq!(now.len(), 1, "job b went stale");
        assert_eq!(&*now[0].0[1].1, "a");
    }

    #[test]
    fn ranges_are_closed_and_skip_absent_slots() {
        let mut s = SeriesStore::new(Duration::from_secs(60), Duration::from_secs(1), 100);
        for (t, present) in [(1_000, true), (2_000, false), (3_000, true), (4_000, true)] {
            let samples: &Scrape = if present { &[("c", &[], 1.0)] } else { &[] };
            scrape(&mut s, t, samples);
        }
        let r = s.range(Some("c"), |_| true, 1_000, 4_000);
        assert_eq!(r[0].1, vec![(1_000, 1.0), (3_000, 1.0), (4_000, 1.0)]);
        let r = s.range(Some("c"), |_| true, 1_001, 4_000);
        assert_eq!(r[0].1, vec![(3_000, 1.0), (4_000, 1.0)]);
    }

    #[test]
    fn old_scrapes_and_vanished_series_are_evicted() {
        let mut s = SeriesStore::new(Duration::from_secs(10), Duration::from_secs(1), 100);
        scrape(&mut s, 0, &[("gone", &[], 1.0)]);
        for t in 1..=20 {
            scrape(&mut s, t * 1_000, &[("kept", &[], t as f64)]);
        }
        assert_eq!(s.scrapes(), 11);
        assert_eq!(s.series_count(), 1);
    }

    #[test]
    fn a_hundred_thousand_series_stay_within_the_stated_bound() {
        // 30 s at one scrape every 2 s; 100k series of ~60 bytes of labels, two scrapes past
        // the window so eviction runs.
        let mut s = SeriesStore::new(Duration::from_secs(30), Duration::from_secs(2), 100_000);
        let keys: Vec<SeriesKey> = (0..100_000)
            .map(|i| key("gateway_requests_total", [("tool", "serpapi"), ("agent_id", &*format!("{i:08}"))]))
            .collect();
        let widest = keys.iter().map(key_bytes).max().unwrap();
        for scrape in 0..18 {
            s.ingest_samples(scrape * 2_000, keys.iter().map(|k| (k.clone(), scrape as f64)));
        }
        assert_eq!(s.series_count(), 100_000);
        assert!(s.scrapes() <= 18);
        let (used, bound) = (s.memory_bytes(), s.bound_bytes(widest));
        assert!(used <= bound, "{used} > {bound}");
        // The bound is no blanket: 8 bytes per slot are most of it.
        assert!(used * 10 >= bound * 7, "{used} ≪ {bound}");
        // One more series is refused, not stored.
        s.ingest_samples(40_000, [(key("new", []), 1.0)]);
        assert_eq!((s.series_count(), s.refused_series()), (100_000, 1));
    }

    #[test]
    fn series_past_the_cap_are_refused_and_counted() {
        let mut s = SeriesStore::new(Duration::from_secs(10), Duration::from_secs(1), 2);
        scrape(&mut s, 1_000, &[("a", &[], 1.0), ("b", &[], 1.0), ("c", &[], 1.0)]);
        assert_eq!(s.series_count(), 2);
        assert_eq!(s.refused_series(), 1);
    }
}
