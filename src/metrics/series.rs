//! The per-second series as snapshots share it: sealed chunks of [`CHUNK`] seconds, each
//! behind its own `Arc`, and the open chunk. Publishing a snapshot copies at most one chunk
//! and the list of chunk pointers, so a second costs the same after a day as after a minute
//! (a flat `Vec` copied whole would cost 10 MB a second after 24 h).

use super::SecondPoint;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;

/// Seconds per sealed chunk: the most a snapshot copies.
pub const CHUNK: usize = 256;

/// An immutable view of the series: cheap to clone, iterated in time order.
#[derive(Clone, Debug, Default)]
pub struct Series {
    sealed: Arc<Vec<Arc<[SecondPoint]>>>,
    open: Arc<[SecondPoint]>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK + self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &SecondPoint> + Clone {
        self.sealed.iter().flat_map(|c| c.iter()).chain(self.open.iter())
    }

    pub fn first(&self) -> Option<&SecondPoint> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&SecondPoint> {
        self.open.last().or_else(|| self.sealed.last().and_then(|c| c.last()))
    }

    pub fn get(&self, i: usize) -> Option<&SecondPoint> {
        match self.sealed.get(i / CHUNK) {
            Some(chunk) => chunk.get(i % CHUNK),
            None => self.open.get(i - self.sealed.len() * CHUNK),
        }
    }

    /// The points from the first with `t ≥ from` on, found by bisection over the chunks.
    pub fn since(&self, from: f64) -> impl Iterator<Item = &SecondPoint> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid).is_some_and(|p| f64::from(p.t) < from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo..self.len()).filter_map(move |i| self.get(i))
    }

    pub fn to_vec(&self) -> Vec<SecondPoint> {
        self.iter().cloned().collect()
    }
}

impl From<Vec<SecondPoint>> for Series {
    fn from(points: Vec<SecondPoint>) -> Self {
        let mut b = SeriesBuilder::default();
        for p in points {
            b.push(p);
        }
        b.series()
    }
}

impl PartialEq for Series {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Serialize for Series {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Series {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<SecondPoint>::deserialize(d).map(Series::from)
    }
}

/// The aggregator's side: appends a second, seals full chunks, publishes views.
#[derive(Debug, Default)]
pub struct SeriesBuilder {
    sealed: Arc<Vec<Arc<[SecondPoint]>>>,
    open: Vec<SecondPoint>,
}

impl SeriesBuilder {
    pub fn push(&mut self, point: SecondPoint) {
        self.open.push(point);
        if self.open.len() == CHUNK {
            let chunk: Arc<[SecondPoint]> = Arc::from(std::mem::take(&mut self.open));
            // Once every CHUNK seconds: a new list of chunk pointers.
            let mut sealed = self.sealed.as_ref().clone();
            sealed.push(chunk);
            self.sealed = Arc::new(sealed);
        }
    }

    /// A view of everything pushed so far: copies at most `CHUNK - 1` points.
    pub fn series(&self) -> Series {
        Series { sealed: self.sealed.clone(), open: Arc::from(self.open.as_slice()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: u32) -> SecondPoint {
        SecondPoint { scheduled: u64::from(t), ..SecondPoint::empty(t, 0, 0) }
    }

    #[test]
    fn a_chunked_series_reads_like_the_flat_one() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let flat: Vec<SecondPoint> = (0..n as u32).map(point).collect();
            let s = Series::from(flat.clone());
            assert_eq!(s.len(), n);
            assert_eq!(s.to_vec(), flat);
            assert_eq!(s.last(), flat.last());
            assert_eq!(s.first(), flat.first());
            assert_eq!(s.get(n / 2), flat.get(n / 2));
            assert_eq!(s.get(n), None);
            let from = (n / 3) as f64 + 0.5;
            let tail: Vec<u32> = s.since(from).map(|p| p.t).collect();
            let want: Vec<u32> = flat.iter().filter(|p| f64::from(p.t) >= from).map(|p| p.t).collect();
            assert_eq!(tail, want, "n = {n}");
            assert_eq!(s.iter().next_back(), flat.last());
        }
    }

    #[test]
    fn publishing_copies_at_most_one_chunk_and_keeps_older_views() {
        let mut b = SeriesBuilder::default();
        let mut views = Vec::new();
        for t in 0..(2 * CHUNK as u32 + 5) {
            b.push(point(t));
            views.push(b.series());
        }
        let early = &views[10];
        assert_eq!(early.len(), 11, "an old view is not changed by later seconds");
        let last = views.last().unwrap();
        assert_eq!(last.open.len(), 5);
        assert!(Arc::ptr_eq(&last.sealed[0], &views[CHUNK].sealed[0]), "sealed chunks are shared, not copied");
        let json = serde_json::to_string(last).unwrap();
        let back: Series = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, last);
    }
}
