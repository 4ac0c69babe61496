//! `histogram_quantile` over classic `le` buckets, as Prometheus's `bucketQuantile`.

use std::collections::BTreeMap;

use crate::promql::store::METRIC_NAME;
use crate::promql::value::{Labels, Sample};

pub fn quantile(q: f64, samples: Vec<Sample>) -> Vec<Sample> {
    let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples {
        let Some(le) = s.labels.get("le").and_then(|le| le.trim().parse::<f64>().ok()) else { continue };
        let mut labels = s.labels;
        labels.remove("le");
        labels.remove(METRIC_NAME);
        groups.entry(labels).or_default().push((le, s.value));
    }
    groups.into_iter().map(|(labels, buckets)| Sample { labels, value: bucket_quantile(q, buckets) }).collect()
}

/// `buckets` are `(upper bound, cumulative count)` in any order.
pub fn bucket_quantile(q: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !buckets.last().is_some_and(|b| b.0 == f64::INFINITY) {
        return f64::NAN;
    }
    // The same bound twice (`le="1"` and `le="1.0"`) is one bucket.
    buckets.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    // Counts must not fall as bounds rise (scrapes of a histogram are not atomic).
    let mut max = f64::NEG_INFINITY;
    for b in &mut buckets {
        if b.1 > max {
            max = b.1;
        } else if b.1 < max {
            b.1 = max;
        }
    }
    let n = buckets.len();
    if n < 2 {
        return f64::NAN;
    }
    let observations = buckets[n - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..n - 1].partition_point(|bucket| bucket.1 < rank);
    if b == n - 1 {
        return buckets[n - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_inside_the_bucket_that_holds_the_rank() {
        let b = vec![(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (f64::INFINITY, 100.0)];
        assert!((bucket_quantile(0.5, b.clone()) - 0.1).abs() < 1e-12);
        // rank 70 falls in (0.1, 0.5]: 20 of its 40 → halfway.
        assert!((bucket_quantile(0.7, b.clone()) - 0.3).abs() < 1e-12);
        // Past the last finite bucket: its bound.
        let over = vec![(0.1, 0.0), (f64::INFINITY, 10.0)];
        assert_eq!(bucket_quantile(0.99, over), 0.1);
        assert!(bucket_quantile(0.5, vec![(0.1, 1.0)]).is_nan(), "no +Inf bucket");
        assert!(bucket_quantile(0.5, vec![(0.1, 0.0), (f64::INFINITY, 0.0)]).is_nan(), "no observations");
    }

    #[test]
    fn groups_by_every_label_but_le_and_the_name() {
        let s = |tool: &str, le: &str, v: f64| Sample {
            labels: [("__name__", "h_bucket"), ("tool", tool), ("le", le)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value: v,
        };
        let out = quantile(0.5, vec![s("a", "1", 10.0), s("a", "+Inf", 10.0), s("b", "2", 4.0), s("b", "+Inf", 4.0)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].labels.get("tool").map(String::as_str), Some("a"));
        assert!(!out[0].labels.contains_key("__name__"));
        assert_eq!(out[1].value, 1.0);
    }
}
