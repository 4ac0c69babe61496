//! Function calls: range functions over matrix selectors and elementwise math.

use crate::promql::syntax::{Call, Expr};

use super::{histogram, EvalError, Evaluator};
use crate::promql::value::{drop_name, RangeSeries, Sample, Value};

pub fn eval(ev: &Evaluator, call: &Call, at_ms: i64) -> Result<Value, EvalError> {
    let name = call.func.as_str();
    let args = &call.args;
    let arg = |i: usize| -> Result<&Expr, EvalError> {
        args.get(i).ok_or(EvalError::Type { expected: "an argument", got: "none" })
    };
    match name {
        "rate" | "increase" | "delta" | "irate" | "idelta" => {
            let (series, window) = matrix_arg(ev, arg(0)?, at_ms)?;
            let window = ev.clip(window);
            unique(
                series
                    .into_iter()
                    .filter_map(|s| {
                        let value = match name {
                            "rate" => extrapolated(&s.points, window, true, true),
                            "increase" => extrapolated(&s.points, window, true, false),
                            "delta" => extrapolated(&s.points, window, false, false),
                            "irate" => instant_change(&s.points, true),
                            _ => instant_change(&s.points, false),
                        }?;
                        Some(Sample { labels: drop_name(s.labels), value })
                    })
                    .collect(),
            )
        }
        "avg_over_time" | "min_over_time" | "max_over_time" | "sum_over_time" | "count_over_time"
        | "last_over_time" => {
            let (series, _) = matrix_arg(ev, arg(0)?, at_ms)?;
            unique(
                series
                    .into_iter()
                    .map(|s| {
                        let values = s.points.iter().map(|p| p.1);
                        let n = s.points.len() as f64;
                        let value = match name {
                            "avg_over_time" => values.sum::<f64>() / n,
                            "min_over_time" => values.fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
                            "max_over_time" => values.fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
                            "sum_over_time" => values.sum(),
                            "count_over_time" => n,
                            _ => s.points.last().map(|p| p.1).unwrap_or(f64::NAN),
                        };
                        // last_over_time keeps the metric name, as in Prometheus.
                        let labels = if name == "last_over_time" { s.labels } else { drop_name(s.labels) };
                        Sample { labels, value }
                    })
                    .collect(),
            )
        }
        "histogram_quantile" => {
            let q = ev.scalar(arg(0)?, at_ms)?;
            Ok(Value::Vector(histogram::quantile(q, ev.vector(arg(1)?, at_ms)?)))
        }
        "abs" | "ceil" | "floor" | "round" | "sqrt" | "exp" | "ln" | "log2" | "log10" => {
            if name == "round" && args.len() > 1 {
                // Prometheus's formula, to the last bit: through the inverse of `to`.
                let inverse = 1.0 / ev.scalar(arg(1)?, at_ms)?;
                return map(ev.vector(arg(0)?, at_ms)?, |v| (v * inverse + 0.5).floor() / inverse);
            }
            let f: fn(f64) -> f64 = match name {
                "abs" => f64::abs,
                "ceil" => f64::ceil,
                "floor" => f64::floor,
                // Prometheus rounds half up, towards +Inf.
                "round" => |v| (v + 0.5).floor(),
                "sqrt" => f64::sqrt,
                "exp" => f64::exp,
                "ln" => f64::ln,
                "log2" => f64::log2,
                _ => f64::log10,
            };
            map(ev.vector(arg(0)?, at_ms)?, f)
        }
        "clamp" | "clamp_min" | "clamp_max" => {
            let v = ev.vector(arg(0)?, at_ms)?;
            let (lo, hi) = match name {
                "clamp" => (ev.scalar(arg(1)?, at_ms)?, ev.scalar(arg(2)?, at_ms)?),
                "clamp_min" => (ev.scalar(arg(1)?, at_ms)?, f64::INFINITY),
                _ => (f64::NEG_INFINITY, ev.scalar(arg(1)?, at_ms)?),
            };
            if lo > hi {
                return Ok(Value::Vector(Vec::new()));
            }
            // Go's math.Max/Min keep a NaN where Rust's drop it.
            map(v, move |x| if x.is_nan() || lo.is_nan() || hi.is_nan() { f64::NAN } else { x.max(lo).min(hi) })
        }
        "scalar" => {
            let v = ev.vector(arg(0)?, at_ms)?;
            Ok(Value::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN }))
        }
        "vector" => Ok(Value::Vector(vec![Sample { labels: Default::default(), value: ev.scalar(arg(0)?, at_ms)? }])),
        "time" => Ok(Value::Scalar(at_ms as f64 / 1000.0)),
        other => Err(EvalError::Unsupported(format!("function {other}"))),
    }
}

fn map(v: Vec<Sample>, f: impl Fn(f64) -> f64) -> Result<Value, EvalError> {
    unique(v.into_iter().map(|s| Sample { labels: drop_name(s.labels), value: f(s.value) }).collect())
}

/// Dropping the metric name can leave two samples with one label set, which Prometheus
/// refuses rather than draw two lines as one.
pub(super) fn unique(v: Vec<Sample>) -> Result<Value, EvalError> {
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    if v.iter().any(|s| !seen.insert(&s.labels)) {
        return Err(EvalError::Matching("vector cannot contain metrics with the same labelset".into()));
    }
    Ok(Value::Vector(v))
}

/// A matrix argument and the window its selector read: `(start, end)` in ms, offset applied.
fn matrix_arg(ev: &Evaluator, expr: &Expr, at_ms: i64) -> Result<(Vec<RangeSeries>, (i64, i64)), EvalError> {
    match expr {
        Expr::Matrix(s, range) => {
            let end = at_ms - super::support::offset_of(s).as_millis() as i64;
            Ok((ev.select_range(s, *range, at_ms), (end - range.as_millis() as i64, end)))
        }
        Expr::Paren(e) => matrix_arg(ev, e, at_ms),
        other => Err(EvalError::Type { expected: "range vector", got: ev.eval(other, at_ms)?.kind() }),
    }
}

/// Prometheus 2.42's `extrapolatedRate`: the change over the samples, counter resets
/// added back, extrapolated towards the window's edges when the samples reach close to them
/// (never below zero for a counter), per second of the window when `per_second`.
pub fn extrapolated(points: &[(i64, f64)], window: (i64, i64), counter: bool, per_second: bool) -> Option<f64> {
    let (range_start, range_end) = window;
    let range_ms = (range_end - range_start).max(1);
    let (first, last) = (points.first()?, points.last()?);
    if points.len() < 2 {
        return None;
    }
    let mut result = last.1 - first.1;
    if counter {
        let mut previous = 0.0;
        for &(_, v) in points {
            if v < previous {
                result += previous;
            }
            previous = v;
        }
    }
    let mut to_start = (first.0 - range_start) as f64 / 1000.0;
    let to_end = (range_end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let average_gap = sampled / (points.len() - 1) as f64;
    if counter && result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average_gap * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { average_gap / 2.0 };
    interval += if to_end < threshold { to_end } else { average_gap / 2.0 };
    result *= interval / sampled;
    if per_second {
        result /= range_ms as f64 / 1000.0;
    }
    Some(result)
}

/// `irate` (per second, counter resets read as a restart from zero) and `idelta`: the last
/// two samples only.
fn instant_change(points: &[(i64, f64)], per_second: bool) -> Option<f64> {
    let [.., (t0, v0), (t1, v1)] = points else { return None };
    if !per_second {
        return Some(v1 - v0);
    }
    let change = if v1 < v0 { *v1 } else { v1 - v0 };
    let seconds = (t1 - t0) as f64 / 1000.0;
    (seconds > 0.0).then_some(change / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_extrapolates_to_the_range_edges_and_adds_back_resets() {
        // Samples every 10 s from t=5 s to t=55 s in a 60 s range ending at 60 s: each edge
        // is 5 s away, under 1.1 × the 10 s gap: the 50 s of samples stretch to 60 s, 1/s.
        let points: Vec<(i64, f64)> = (0..6).map(|i| (5_000 + i * 10_000, 100.0 + 10.0 * i as f64)).collect();
        let r = extrapolated(&points, (0, 60_000), true, true).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        // A reset: 100, 110, 5 (restarted) → increase 10 + 5 over 20 s of samples.
        let reset = [(10_000, 100.0), (20_000, 110.0), (30_000, 5.0)];
        let inc = extrapolated(&reset, (0, 40_000), true, false).unwrap();
        // 15 over 20 s, to_zero = 20·100/15 > 10 so the start edge stays 10 s away (< 11):
        // 40 s / 20 s × 15 = 30.
        assert!((inc - 30.0).abs() < 1e-12, "{inc}");
    }

    #[test]
    fn a_counter_is_not_extrapolated_below_zero() {
        // A counter born at 2 within the range: it cannot have been below 0 before.
        let points = [(50_000, 2.0), (60_000, 12.0)];
        let inc = extrapolated(&points, (0, 60_000), true, false).unwrap();
        // to_zero = 10 × 2/10 = 2 s: the interval is 10 + 2 = 12 s → 10 × 1.2 = 12.
        assert!((inc - 12.0).abs() < 1e-12, "{inc}");
    }

    #[test]
    fn an_edge_past_1_1_gaps_extrapolates_half_a_gap_only() {
        // A gauge sampled every 10 s; the range starts 10.5 s (under 11) or 11.5 s before the
        // first sample, and ends on the last.
        let points = [(20_000, 0.0), (30_000, 10.0)];
        let near = extrapolated(&points, (9_500, 30_000), false, false).unwrap();
        assert!((near - 20.5).abs() < 1e-12, "{near}");
        let far = extrapolated(&points, (8_500, 30_000), false, false).unwrap();
        assert!((far - 15.0).abs() < 1e-12, "{far}");
    }

    #[test]
    fn irate_reads_a_reset_as_a_restart() {
        assert_eq!(instant_change(&[(0, 10.0), (2_000, 14.0)], true), Some(2.0));
        assert_eq!(instant_change(&[(0, 10.0), (2_000, 4.0)], true), Some(2.0));
        assert_eq!(instant_change(&[(0, 10.0)], true), None);
    }
}
