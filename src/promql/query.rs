//! Parsing an expression, with the guards a dashboard file from anywhere needs.

use std::time::Duration;

use promql_parser::parser::{self, Expr};

use super::eval::support;

/// Longer expressions are refused before parsing.
pub const MAX_EXPRESSION_CHARS: usize = 16_384;
/// Deeper nesting (brackets, or operations in a chain) is refused: the evaluator recurses.
pub const MAX_NESTING: usize = 64;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum QueryError {
    #[error("the expression is {0} characters long (at most {MAX_EXPRESSION_CHARS})")]
    TooLong(usize),
    #[error("the expression nests {0} levels deep (at most {MAX_NESTING})")]
    TooDeep(usize),
    #[error("PromQL syntax: {0}")]
    Syntax(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// A parsed expression the evaluator supports.
#[derive(Clone, Debug)]
pub struct Query {
    pub text: String,
    pub expr: Expr,
}

impl Query {
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let chars = text.chars().count();
        if chars > MAX_EXPRESSION_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let depth = nesting(text);
        if depth > MAX_NESTING {
            return Err(QueryError::TooDeep(depth));
        }
        let expr = parser::parse(text).map_err(|e| QueryError::Syntax(one_line(&e)))?;
        // `a + a + … + a` nests one operation per term without a bracket.
        let depth = support::depth(&expr);
        if depth > MAX_NESTING {
            return Err(QueryError::TooDeep(depth));
        }
        support::check(&expr).map_err(QueryError::Unsupported)?;
        Ok(Self { text: text.to_string(), expr })
    }

    /// The longest stretch of past samples the expression reads (ranges plus offsets).
    pub fn reach(&self) -> Duration {
        support::reach(&self.expr)
    }
}

/// The deepest bracket nesting, strings skipped.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut quote, mut escaped) = (0usize, 0usize, None, false);
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '{' | '[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' | '}' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    max
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_expressions_are_refused_with_a_reason() {
        let long = format!("sum({})", vec!["up"; 4000].join(" + "));
        assert!(matches!(Query::parse(&long), Err(QueryError::TooLong(_))));
        let deep = format!("{}up{}", "(".repeat(5000), ")".repeat(5000));
        assert!(matches!(Query::parse(&deep), Err(QueryError::TooDeep(5000))));
        assert!(matches!(Query::parse("rate(x[5m]"), Err(QueryError::Syntax(_))));
        let e = Query::parse("label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")").unwrap_err();
        assert_eq!(e.to_string(), "unsupported: function label_replace");
        let e = Query::parse("rate(x[5m:1m])").unwrap_err();
        assert_eq!(e.to_string(), "unsupported: subquery");
    }

    #[test]
    fn a_long_chain_is_refused_by_depth_and_a_short_one_parses() {
        let chain = vec!["up"; 2500].join(" + ");
        assert!(chain.len() > 10_000);
        assert!(matches!(Query::parse(&chain), Err(QueryError::TooDeep(_))));
        Query::parse(&vec!["up"; 40].join(" + ")).unwrap();
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert_eq!(nesting(r#"up{a="((((("}"#), 1);
    }

    #[test]
    fn reach_is_the_longest_range_plus_offset() {
        let q = Query::parse("rate(a[5m]) + rate(b[1m] offset 10m)").unwrap();
        assert_eq!(q.reach(), Duration::from_secs(660));
    }
}
