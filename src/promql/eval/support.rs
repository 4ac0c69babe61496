//! What the evaluator supports, checked on the syntax tree before any data is read.

use std::time::Duration;

use crate::promql::syntax::{Expr, Offset, Selector};

/// Functions the evaluator implements.
pub const FUNCTIONS: &[&str] = &[
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "last_over_time",
    "histogram_quantile",
    "abs",
    "ceil",
    "floor",
    "round",
    "sqrt",
    "exp",
    "ln",
    "log2",
    "log10",
    "clamp",
    "clamp_min",
    "clamp_max",
    "scalar",
    "vector",
    "time",
];

/// Aggregations the evaluator implements.
pub const AGGREGATIONS: &[&str] = &["sum", "avg", "min", "max", "count", "group", "topk", "bottomk"];

/// Binary operators the evaluator implements (all but `atan2`).
const OPERATORS: &[&str] = &["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"];

pub fn check(expr: &Expr) -> Result<(), String> {
    match expr {
        Expr::Aggregate(a) => {
            if !AGGREGATIONS.contains(&a.op.as_str()) {
                return Err(format!("aggregation {}", a.op));
            }
            if let Some(p) = &a.param {
                check(p)?;
            }
            check(&a.expr)
        }
        Expr::Neg(e) | Expr::Paren(e) => check(e),
        Expr::Binary(b) => {
            if !OPERATORS.contains(&b.op) {
                return Err(format!("operator {}", b.op));
            }
            check(&b.lhs)?;
            check(&b.rhs)
        }
        Expr::Subquery(_) => Err("subquery".into()),
        Expr::Number(_) | Expr::String(_) => Ok(()),
        Expr::Selector(s) | Expr::Matrix(s, _) => selector(s),
        Expr::Call(c) => {
            if !FUNCTIONS.contains(&c.func.as_str()) {
                return Err(format!("function {}", c.func));
            }
            c.args.iter().try_for_each(check)
        }
    }
}

fn selector(s: &Selector) -> Result<(), String> {
    if s.at {
        return Err("the @ modifier".into());
    }
    if matches!(s.offset, Some(Offset::Ahead(_))) {
        return Err("a negative offset".into());
    }
    if s.alternatives {
        return Err("`or` inside a selector".into());
    }
    Ok(())
}

pub fn offset_of(s: &Selector) -> Duration {
    Offset::back(s.offset)
}

/// The longest stretch of past samples the expression reads.
pub fn reach(expr: &Expr) -> Duration {
    match expr {
        Expr::Aggregate(a) => reach(&a.expr).max(a.param.as_ref().map(reach).unwrap_or_default()),
        Expr::Neg(e) | Expr::Paren(e) => reach(e),
        Expr::Binary(b) => reach(&b.lhs).max(reach(&b.rhs)),
        Expr::Subquery(s) => reach(&s.expr).saturating_add(s.range).saturating_add(Offset::back(s.offset)),
        Expr::Selector(s) => offset_of(s),
        Expr::Matrix(s, range) => range.saturating_add(offset_of(s)),
        Expr::Call(c) => c.args.iter().map(reach).max().unwrap_or_default(),
        Expr::Number(_) | Expr::String(_) => Duration::ZERO,
    }
}

/// How deep the syntax tree is.
pub fn depth(expr: &Expr) -> usize {
    1 + match expr {
        Expr::Aggregate(a) => depth(&a.expr).max(a.param.as_ref().map(depth).unwrap_or(0)),
        Expr::Neg(e) | Expr::Paren(e) => depth(e),
        Expr::Binary(b) => depth(&b.lhs).max(depth(&b.rhs)),
        Expr::Subquery(s) => depth(&s.expr),
        Expr::Call(c) => c.args.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
