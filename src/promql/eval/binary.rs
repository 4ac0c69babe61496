//! Binary operators: arithmetic, comparison (filter or `bool`), and set operators, with
//! Prometheus's vector matching (`on`/`ignoring`, `group_left`/`group_right`).

use std::collections::{HashMap, HashSet};

use super::{EvalError, Evaluator};
use crate::promql::store::METRIC_NAME;
use crate::promql::syntax::{Binary, Cardinality, LabelModifier};
use crate::promql::value::{drop_name, Labels, Sample, Value};

pub fn eval(ev: &Evaluator, b: &Binary, at_ms: i64) -> Result<Value, EvalError> {
    let op = b.op;
    let return_bool = b.return_bool;
    let lhs = ev.eval(&b.lhs, at_ms)?;
    let rhs = ev.eval(&b.rhs, at_ms)?;
    match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => {
            let (value, keep) = apply(op, l, r).ok_or_else(|| unsupported(op))?;
            // The parser demands `bool` for a comparison between scalars.
            Ok(Value::Scalar(if is_comparison(op) { f64::from(u8::from(keep)) } else { value }))
        }
        (Value::Vector(v), Value::Scalar(s)) => with_scalar(op, v, s, false, return_bool),
        (Value::Scalar(s), Value::Vector(v)) => with_scalar(op, v, s, true, return_bool),
        (Value::Vector(l), Value::Vector(r)) => match op {
            "and" | "or" | "unless" => Ok(Value::Vector(set_op(op, l, r, b.matching.as_ref()))),
            _ => vectors(op, l, r, b),
        },
        (l, r) => Err(EvalError::Type {
            expected: "scalars or instant vectors",
            got: if matches!(l, Value::Scalar(_) | Value::Vector(_)) { r.kind() } else { l.kind() },
        }),
    }
}

fn unsupported(op: &str) -> EvalError {
    EvalError::Unsupported(format!("operator {op}"))
}

fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=")
}

/// The operator's value and, for comparisons, whether the pair passes.
fn apply(op: &str, l: f64, r: f64) -> Option<(f64, bool)> {
    Some(match op {
        "+" => (l + r, true),
        "-" => (l - r, true),
        "*" => (l * r, true),
        "/" => (l / r, true),
        "%" => (l % r, true),
        "^" => (l.powf(r), true),
        "==" => (l, l == r),
        "!=" => (l, l != r),
        ">" => (l, l > r),
        "<" => (l, l < r),
        ">=" => (l, l >= r),
        "<=" => (l, l <= r),
        _ => return None,
    })
}

fn with_scalar(op: &str, v: Vec<Sample>, s: f64, scalar_left: bool, return_bool: bool) -> Result<Value, EvalError> {
    let mut out = Vec::with_capacity(v.len());
    for sample in v {
        let (l, r) = if scalar_left { (s, sample.value) } else { (sample.value, s) };
        let (value, keep) = apply(op, l, r).ok_or_else(|| unsupported(op))?;
        if is_comparison(op) {
            if return_bool {
                out.push(Sample { labels: drop_name(sample.labels), value: f64::from(u8::from(keep)) });
            } else if keep {
                // A comparison keeps the vector's own value, whichever side it is on.
                out.push(Sample { labels: sample.labels, value: sample.value });
            }
        } else {
            out.push(Sample { labels: drop_name(sample.labels), value });
        }
    }
    super::functions::unique(out)
}

/// The labels two samples are matched on.
fn signature(labels: &Labels, matching: Option<&LabelModifier>) -> Vec<(String, String)> {
    match matching {
        Some(LabelModifier::Include(on)) => {
            on.iter().map(|k| (k.clone(), labels.get(k).cloned().unwrap_or_default())).collect()
        }
        Some(LabelModifier::Exclude(ignoring)) => labels
            .iter()
            .filter(|(k, _)| k.as_str() != METRIC_NAME && !ignoring.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => labels.iter().filter(|(k, _)| k.as_str() != METRIC_NAME).map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

fn set_op(op: &str, l: Vec<Sample>, r: Vec<Sample>, matching: Option<&LabelModifier>) -> Vec<Sample> {
    let right: HashSet<_> = r.iter().map(|s| signature(&s.labels, matching)).collect();
    match op {
        "and" => l.into_iter().filter(|s| right.contains(&signature(&s.labels, matching))).collect(),
        "unless" => l.into_iter().filter(|s| !right.contains(&signature(&s.labels, matching))).collect(),
        _ => {
            let left: HashSet<_> = l.iter().map(|s| signature(&s.labels, matching)).collect();
            let mut out = l;
            out.extend(r.into_iter().filter(|s| !left.contains(&signature(&s.labels, matching))));
            out
        }
    }
}

fn vectors(op: &str, l: Vec<Sample>, r: Vec<Sample>, m: &Binary) -> Result<Value, EvalError> {
    // Nothing can match: no result, and no complaint about either side (as in Prometheus).
    if l.is_empty() || r.is_empty() {
        return Ok(Value::Vector(Vec::new()));
    }
    let matching = m.matching.as_ref();
    // group_right is group_left with the sides swapped; the operands keep their order.
    let (many, one, swapped, include) = match &m.card {
        Cardinality::OneToMany(include) => (r, l, true, Some(include)),
        Cardinality::ManyToOne(include) => (l, r, false, Some(include)),
        _ => (l, r, false, None),
    };
    let one_to_one = include.is_none();
    let mut one_side: HashMap<Vec<(String, String)>, Sample> = HashMap::new();
    for s in one {
        let sig = signature(&s.labels, matching);
        if one_side.insert(sig, s).is_some() {
            return Err(EvalError::Matching(format!(
                "found duplicate series for the match group on the {} side of `{op}`; many-to-many matching not allowed",
                if swapped { "left" } else { "right" }
            )));
        }
    }
    // Per matching signature: nothing yet (one-to-one), or the result label sets made
    // (many-to-one), to refuse duplicates as Prometheus does, after the comparison filter.
    let mut matched: HashMap<Vec<(String, String)>, HashSet<Labels>> = HashMap::new();
    let mut out = Vec::new();
    for s in many {
        let sig = signature(&s.labels, matching);
        let Some(o) = one_side.get(&sig) else { continue };
        let (lv, rv) = if swapped { (o.value, s.value) } else { (s.value, o.value) };
        let (value, keep) = apply(op, lv, rv).ok_or_else(|| unsupported(op))?;
        if is_comparison(op) && !keep && !m.return_bool {
            continue;
        }
        let mut labels = s.labels.clone();
        if m.return_bool || !is_comparison(op) {
            labels.remove(METRIC_NAME);
        }
        if one_to_one {
            match matching {
                Some(LabelModifier::Include(on)) => labels.retain(|k, _| on.contains(k)),
                Some(LabelModifier::Exclude(ignoring)) => labels.retain(|k, _| !ignoring.contains(k)),
                None => {}
            }
        }
        if let Some(include) = include {
            for k in include {
                match o.labels.get(k) {
                    Some(v) if !v.is_empty() => {
                        labels.insert(k.clone(), v.clone());
                    }
                    _ => {
                        labels.remove(k);
                    }
                }
            }
        }
        match matched.get_mut(&sig) {
            Some(_) if one_to_one => {
                return Err(EvalError::Matching(format!(
                    "multiple matches for labels on the left of `{op}`: many-to-one matching must be explicit (group_left/group_right)"
                )));
            }
            Some(made) => {
                if !made.insert(labels.clone()) {
                    return Err(EvalError::Matching(format!(
                        "multiple matches for labels of `{op}`: grouping labels must ensure unique matches"
                    )));
                }
            }
            None => {
                let made = if one_to_one { HashSet::new() } else { HashSet::from([labels.clone()]) };
                matched.insert(sig, made);
            }
        }
        let value = if m.return_bool { f64::from(u8::from(keep)) } else { value };
        out.push(Sample { labels, value });
    }
    super::functions::unique(out)
}
