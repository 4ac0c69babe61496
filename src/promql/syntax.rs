//! The syntax tree of a PromQL expression, as `parse` builds it and the evaluator reads it.
//! It holds every construct PromQL has, supported or not, so `eval::support` can refuse the
//! unsupported ones by name.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    String(String),
    Paren(Box<Expr>),
    /// `-expr`; a `+` sign is dropped, a negated number literal folded into it.
    Neg(Box<Expr>),
    Selector(Selector),
    /// `selector[range]`.
    Matrix(Selector, Duration),
    Subquery(Box<Subquery>),
    Binary(Box<Binary>),
    Aggregate(Box<Aggregate>),
    Call(Call),
}

/// An instant vector selector: `name{label="value", …} offset 5m`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector {
    pub name: Option<String>,
    pub matchers: Vec<Matcher>,
    /// `{a="1" or b="2"}`: alternatives of matchers.
    pub alternatives: bool,
    pub offset: Option<Offset>,
    /// An `@` modifier was given.
    pub at: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Offset {
    Back(Duration),
    /// A negative offset: samples from after the evaluation instant.
    Ahead(Duration),
}

impl Offset {
    pub fn back(offset: Option<Offset>) -> Duration {
        match offset {
            Some(Offset::Back(d)) => d,
            _ => Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// For `=~` and `!~`: the value, anchored at both ends as Prometheus anchors it.
    pub regex: Option<regex_lite::Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&other.name, other.op, &other.value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Re,
    NotRe,
}

impl Matcher {
    pub fn is_match(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Re, Some(re)) => re.is_match(value),
            (MatchOp::NotRe, Some(re)) => !re.is_match(value),
            (MatchOp::Re | MatchOp::NotRe, None) => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subquery {
    pub expr: Expr,
    pub range: Duration,
    pub step: Option<Duration>,
    pub offset: Option<Offset>,
    pub at: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binary {
    /// As written, lower case: `+`, `>=`, `and`, `atan2`.
    pub op: &'static str,
    pub lhs: Expr,
    pub rhs: Expr,
    /// `bool`: a comparison returns 0 or 1 instead of filtering.
    pub return_bool: bool,
    /// `on(…)` or `ignoring(…)`.
    pub matching: Option<LabelModifier>,
    pub card: Cardinality,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cardinality {
    OneToOne,
    /// `group_left(labels)`.
    ManyToOne(Vec<String>),
    /// `group_right(labels)`.
    OneToMany(Vec<String>),
    /// The set operators `and`, `or`, `unless`.
    ManyToMany,
}

/// `by (…)`/`on (…)` keep the labels listed; `without (…)`/`ignoring (…)` drop them.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelModifier {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Lower case: `sum`, `topk`.
    pub op: String,
    pub expr: Expr,
    /// `topk`'s k, `quantile`'s φ, `count_values`' label.
    pub param: Option<Expr>,
    pub modifier: Option<LabelModifier>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub func: String,
    pub args: Vec<Expr>,
}
