//! What the evaluator supports, checked on the syntax tree before any data is read.

use std::time::Duration;

use promql_parser::parser::{token, Expr, Offset};

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

/// The operator or aggregation as written (`sum`, `+`, `>=`).
pub fn op_name(op: token::TokenType) -> String {
    op.to_string()
}

pub fn check(expr: &Expr) -> Result<(), String> {
    match expr {
        Expr::Aggregate(a) => {
            let name = op_name(a.op);
            if !AGGREGATIONS.contains(&name.as_str()) {
                return Err(format!("aggregation {name}"));
            }
            if let Some(p) = &a.param {
                check(p)?;
            }
            check(&a.expr)
        }
        Expr::Unary(u) => check(&u.expr),
        Expr::Binary(b) => {
            let name = op_name(b.op);
            if !OPERATORS.contains(&name.as_str()) {
                return Err(format!("operator {name}"));
            }
            if let Some(m) = &b.modifier {
                if m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some() {
                    return Err("fill modifiers".into());
                }
            }
            check(&b.lhs)?;
            check(&b.rhs)
        }
        Expr::Paren(p) => check(&p.expr),
        Expr::Subquery(_) => Err("subquery".into()),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Ok(()),
        Expr::VectorSelector(vs) => selector(vs),
        Expr::MatrixSelector(ms) => selector(&ms.vs),
        Expr::Call(c) => {
            if !FUNCTIONS.contains(&c.func.name) {
                return Err(format!("function {}", c.func.name));
            }
            c.args.args.iter().try_for_each(|a| check(a))
        }
        Expr::Extension(_) => Err("extension expression".into()),
    }
}

fn selector(vs: &promql_parser::parser::VectorSelector) -> Result<(), String> {
    if vs.at.is_some() {
        return Err("the @ modifier".into());
    }
    if matches!(vs.offset, Some(Offset::Neg(_))) {
        return Err("a negative offset".into());
    }
    if !vs.matchers.or_matchers.is_empty() {
        return Err("`or` inside a selector".into());
    }
    Ok(())
}

pub fn offset_of(vs: &promql_parser::parser::VectorSelector) -> Duration {
    match vs.offset {
        Some(Offset::Pos(d)) => d,
        _ => Duration::ZERO,
    }
}

/// The longest stretch of past samples the expression reads.
pub fn reach(expr: &Expr) -> Duration {
    match expr {
        Expr::Aggregate(a) => reach(&a.expr).max(a.param.as_deref().map(reach).unwrap_or_default()),
        Expr::Unary(u) => reach(&u.expr),
        Expr::Binary(b) => reach(&b.lhs).max(reach(&b.rhs)),
        Expr::Paren(p) => reach(&p.expr),
        Expr::Subquery(s) => reach(&s.expr).saturating_add(s.range),
        Expr::VectorSelector(vs) => offset_of(vs),
        Expr::MatrixSelector(ms) => ms.range.saturating_add(offset_of(&ms.vs)),
        Expr::Call(c) => c.args.args.iter().map(|a| reach(a)).max().unwrap_or_default(),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Duration::ZERO,
    }
}

/// How deep the syntax tree is.
pub fn depth(expr: &Expr) -> usize {
    1 + match expr {
        Expr::Aggregate(a) => depth(&a.expr).max(a.param.as_deref().map(depth).unwrap_or(0)),
        Expr::Unary(u) => depth(&u.expr),
        Expr::Binary(b) => depth(&b.lhs).max(depth(&b.rhs)),
        Expr::Paren(p) => depth(&p.expr),
        Expr::Subquery(s) => depth(&s.expr),
        Expr::Call(c) => c.args.args.iter().map(|a| depth(a)).max().unwrap_or(0),
        _ => 0,
    }
}
