//! Parsing an expression, with the guards a dashboard file from anywhere needs.

use std::time::Duration;

use super::eval::support;
use super::syntax::Expr;

// The limits and the error belong to the parser, which checks most of them; re-exported
// here, where callers meet them.
pub use super::parse::{QueryError, MAX_EXPRESSION_CHARS, MAX_NESTING, MAX_RANGE};

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
        let expr = super::parse::parse(text)?;
        if support::reach(&expr) > MAX_RANGE {
            return Err(QueryError::Duration(format!("{:?}", support::reach(&expr))));
        }
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
    fn numbers_in_a_durations_place_are_checked() {
        for bad in [
            "rate(x[1e30])",
            "up offset 1e30",
            "x[1e400]",
            "rate(x[NaN])",
            "up offset -1e30",
            "x[5m:1e30]",
            "up offset +1e30",
            "up offset +Inf",
            "up offset 1e+30",
            "up offset 1e30-1",
            "up offset # a comment\n1e30",
            "# it's\nrate(x[1e30])",
            "# [\nx[1e30]",
        ] {
            // Refused, as a duration or as syntax: never a panic.
            assert!(matches!(Query::parse(bad), Err(QueryError::Duration(_) | QueryError::Syntax(_))), "{bad}");
        }
        // A sign inside brackets is a syntax error.
        assert!(matches!(Query::parse("x[-1]"), Err(QueryError::Syntax(_))));
        // Durations with units too large for a year are refused after parsing.
        assert!(matches!(Query::parse("rate(x[9999d])"), Err(QueryError::Duration(_))));
        for fine in
            ["rate(x[90])", "rate(x[5m] offset 60)", "x{a=\"[1e30]\"}", "rate(x[5m])", "offsets_total offset 1m"]
        {
            Query::parse(fine).unwrap_or_else(|e| panic!("{fine}: {e}"));
        }
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
