//! Evaluating a parsed expression at one instant, as Prometheus's engine does.

mod aggregate;
mod binary;
mod functions;
mod histogram;
pub(crate) mod support;

use std::time::Duration;

use super::syntax::{Expr, MatchOp, Matcher, Selector};

use super::store::{SeriesKey, SeriesStore, METRIC_NAME};
use super::value::{drop_name, labels_of, RangeSeries, Sample, Value};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum EvalError {
    #[error("expected {expected}, got {got}")]
    Type { expected: &'static str, got: &'static str },
    #[error("{0}")]
    Matching(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Prometheus's default lookback for instant selectors.
pub const LOOKBACK: Duration = Duration::from_secs(300);

pub struct Evaluator<'s> {
    store: &'s SeriesStore,
    lookback: Duration,
    /// Live mode: the first scrape the store holds; a window reaching further back is cut
    /// there, so a `rate(x[5m])` one minute into a run is the rate over that minute.
    warm_start_ms: Option<i64>,
}

impl<'s> Evaluator<'s> {
    /// Prometheus's semantics over exactly the samples stored.
    pub fn new(store: &'s SeriesStore) -> Self {
        Self { store, lookback: LOOKBACK, warm_start_ms: None }
    }

    /// For a store filled since a run began: windows reaching past its first scrape are cut
    /// there, where a Prometheus server with older history would have had samples.
    pub fn live(store: &'s SeriesStore) -> Self {
        Self { store, lookback: LOOKBACK, warm_start_ms: store.oldest_ms() }
    }

    /// A rate window, cut to the store's first scrape in live mode.
    pub(crate) fn clip(&self, (start, end): (i64, i64)) -> (i64, i64) {
        match self.warm_start_ms {
            Some(first) if first > start && first < end => (first, end),
            _ => (start, end),
        }
    }

    /// The expression's value at `at_ms` (milliseconds since the Unix epoch).
    pub fn eval(&self, expr: &Expr, at_ms: i64) -> Result<Value, EvalError> {
        match expr {
            Expr::Number(n) => Ok(Value::Scalar(*n)),
            Expr::String(s) => Ok(Value::String(s.clone())),
            Expr::Paren(e) => self.eval(e, at_ms),
            Expr::Neg(e) => match self.eval(e, at_ms)? {
                Value::Scalar(v) => Ok(Value::Scalar(-v)),
                Value::Vector(v) => functions::unique(
                    v.into_iter().map(|s| Sample { labels: drop_name(s.labels), value: -s.value }).collect(),
                ),
                other => Err(EvalError::Type { expected: "scalar or instant vector", got: other.kind() }),
            },
            Expr::Selector(s) => Ok(Value::Vector(self.select(s, at_ms))),
            Expr::Matrix(s, range) => Ok(Value::Matrix(self.select_range(s, *range, at_ms))),
            Expr::Binary(b) => binary::eval(self, b, at_ms),
            Expr::Aggregate(a) => aggregate::eval(self, a, at_ms),
            Expr::Call(c) => functions::eval(self, c, at_ms),
            Expr::Subquery(_) => Err(EvalError::Unsupported("subquery".into())),
        }
    }

    pub(crate) fn vector(&self, expr: &Expr, at_ms: i64) -> Result<Vec<Sample>, EvalError> {
        match self.eval(expr, at_ms)? {
            Value::Vector(v) => Ok(v),
            other => Err(EvalError::Type { expected: "instant vector", got: other.kind() }),
        }
    }

    pub(crate) fn scalar(&self, expr: &Expr, at_ms: i64) -> Result<f64, EvalError> {
        match self.eval(expr, at_ms)? {
            Value::Scalar(v) => Ok(v),
            other => Err(EvalError::Type { expected: "scalar", got: other.kind() }),
        }
    }

    fn select(&self, vs: &Selector, at_ms: i64) -> Vec<Sample> {
        let at = at_ms - support::offset_of(vs).as_millis() as i64;
        let name = selector_name(vs);
        self.store
            .instant(name, |k| matches(&vs.matchers, k), at, self.lookback)
            .into_iter()
            .map(|(k, value)| Sample { labels: labels_of(k), value })
            .collect()
    }

    pub(crate) fn select_range(&self, vs: &Selector, range: Duration, at_ms: i64) -> Vec<RangeSeries> {
        let to = at_ms - support::offset_of(vs).as_millis() as i64;
        let from = to - range.as_millis() as i64;
        let name = selector_name(vs);
        self.store
            .range(name, |k| matches(&vs.matchers, k), from, to)
            .into_iter()
            .map(|(k, points)| RangeSeries { labels: labels_of(k), points })
            .collect()
    }
}

/// The metric name to look up directly, when the selector fixes one.
fn selector_name(vs: &Selector) -> Option<&str> {
    vs.name.as_deref().or_else(|| {
        vs.matchers.iter().find(|m| m.name == METRIC_NAME && m.op == MatchOp::Equal).map(|m| m.value.as_str())
    })
}

/// Every matcher accepts the series (a missing label reads as "").
fn matches(matchers: &[Matcher], key: &SeriesKey) -> bool {
    matchers.iter().all(|m| {
        let value = key.iter().find(|(k, _)| **k == m.name).map(|(_, v)| &**v).unwrap_or("");
        m.is_match(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{store, Query};

    #[test]
    fn a_live_store_reads_a_long_window_over_what_it_has() {
        // A counter rising 10/s, scraped three times 2 s apart since the run began.
        let mut s = SeriesStore::new(Duration::from_secs(600), Duration::from_secs(2), 10);
        for i in 0..3i64 {
            s.ingest_samples(1_000_000 + i * 2_000, [(store::key("c", []), 500.0 + 20.0 * i as f64)]);
        }
        let q = Query::parse("rate(c[5m])").unwrap();
        let value = |ev: &Evaluator| match ev.eval(&q.expr, 1_004_000).unwrap() {
            Value::Vector(v) => v[0].value,
            other => panic!("{other:?}"),
        };
        assert!((value(&Evaluator::live(&s)) - 10.0).abs() < 1e-9, "the rate over the 4 s it has");
        // Prometheus's own reading of the same three samples: 4 s of change over a 300 s window.
        assert!(value(&Evaluator::new(&s)) < 1.0);
    }
}
