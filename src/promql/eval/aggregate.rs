//! Aggregations with `by`/`without`: sum, avg, min, max, count, group, topk, bottomk.

use std::collections::BTreeMap;

use super::{EvalError, Evaluator};
use crate::promql::store::METRIC_NAME;
use crate::promql::syntax::{Aggregate, LabelModifier};
use crate::promql::value::{Labels, Sample, Value};

pub fn eval(ev: &Evaluator, a: &Aggregate, at_ms: i64) -> Result<Value, EvalError> {
    let op = a.op.as_str();
    let input = ev.vector(&a.expr, at_ms)?;
    let mut groups: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
    for s in input {
        groups.entry(group_labels(&s.labels, a.modifier.as_ref())).or_default().push(s);
    }
    if matches!(op, "topk" | "bottomk") {
        let param = a.param.as_ref().ok_or(EvalError::Type { expected: "a parameter", got: "none" })?;
        let k = ev.scalar(param, at_ms)?;
        let k = if k.is_finite() && k >= 1.0 { k as usize } else { 0 };
        let mut out = Vec::new();
        for (_, mut members) in groups {
            // NaN sorts last either way, as in Prometheus.
            members.sort_by(|x, y| match (x.value.is_nan(), y.value.is_nan()) {
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ if op == "topk" => y.value.total_cmp(&x.value),
                _ => x.value.total_cmp(&y.value),
            });
            out.extend(members.into_iter().take(k));
        }
        return Ok(Value::Vector(out));
    }
    let out = groups
        .into_iter()
        .map(|(labels, members)| {
            let values = members.iter().map(|s| s.value);
            let n = members.len() as f64;
            let value = match op {
                "sum" => values.sum(),
                "avg" => values.sum::<f64>() / n,
                "count" => n,
                "group" => 1.0,
                "min" => values.fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
                "max" => values.fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
                other => return Err(EvalError::Unsupported(format!("aggregation {other}"))),
            };
            Ok(Sample { labels, value })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Vector(out))
}

fn group_labels(labels: &Labels, modifier: Option<&LabelModifier>) -> Labels {
    match modifier {
        Some(LabelModifier::Include(by)) => {
            labels.iter().filter(|(k, _)| by.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        Some(LabelModifier::Exclude(without)) => labels
            .iter()
            .filter(|(k, _)| k.as_str() != METRIC_NAME && !without.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => Labels::new(),
    }
}
