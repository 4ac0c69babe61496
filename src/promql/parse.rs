//! PromQL text to a syntax tree: a lexer and a precedence-climbing parser following
//! Prometheus's grammar (operator precedence and associativity, unary minus binding like
//! `*`, modifiers before or after an aggregation's arguments, durations such as `1h30m` or
//! a bare number of seconds). Ours rather than `promql-parser`'s: that crate generates its
//! grammar at build time through `lrpar`, about a sixth of a clean build's CPU (README,
//! Build); `tests` check both trees alike over a corpus.

use std::time::Duration;

/// Longer expressions are refused before parsing.
pub const MAX_EXPRESSION_CHARS: usize = 16_384;
/// Deeper nesting (brackets, or operations in a chain) is refused: the evaluator recurses.
pub const MAX_NESTING: usize = 64;
/// Longer ranges and offsets are refused: a year of samples is more than any store holds.
pub const MAX_RANGE: Duration = Duration::from_secs(366 * 24 * 3600);

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
    #[error("the duration {0:?} is negative, not a number, or longer than a year")]
    Duration(String),
}

use super::syntax::{
    Aggregate, Binary, Call, Cardinality, Expr, LabelModifier, MatchOp, Matcher, Offset, Selector, Subquery,
};

/// Aggregation operators, with or without a parameter before the expression.
const AGGREGATIONS: &[&str] = &[
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
];
const WITH_PARAMETER: &[&str] = &["topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio"];
/// Words that cannot name a metric where an expression starts (`by`, `offset`, `and` …
/// can, as in Prometheus).
const KEYWORDS: &[&str] = &["on", "ignoring", "group_left", "group_right", "bool", "atan2"];

pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, pos: 0, depth: 0 };
    let expr = p.expr(0)?;
    match p.peek() {
        Tok::Eof => Ok(expr),
        other => Err(syntax(format!("unexpected {other} after the expression"))),
    }
}

fn syntax(message: String) -> QueryError {
    QueryError::Syntax(message)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// A number and its text (a bare number where a duration goes is read as seconds).
    Number(f64, String),
    Duration(Duration),
    Str(String),
    Sym(&'static str),
    Eof,
}

impl std::fmt::Display for Tok {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "identifier {s:?}"),
            Tok::Number(_, text) => write!(f, "number {text}"),
            Tok::Duration(d) => write!(f, "duration {d:?}"),
            Tok::Str(s) => write!(f, "string {s:?}"),
            Tok::Sym(s) => write!(f, "{s:?}"),
            Tok::Eof => f.write_str("end of input"),
        }
    }
}

const SYMBOLS: &[&str] = &[
    "=~", "!~", "!=", "==", "<=", ">=", "(", ")", "{", "}", "[", "]", ",", ":", "=", "+", "-", "*", "/", "%", "^", "<",
    ">", "@",
];

fn lex(text: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Inside `[…]` a colon separates a subquery's range from its step.
    let mut in_brackets = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let (tok, end) = number_or_duration(&chars, i)?;
            out.push(tok);
            i = end;
        } else if c.is_ascii_alphabetic() || c == '_' || (c == ':' && !in_brackets) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.to_ascii_lowercase().as_str() {
                "inf" | "nan" => out.push(Tok::Number(word.parse().expect("inf and nan parse"), word)),
                _ => out.push(Tok::Ident(word)),
            }
        } else if matches!(c, '"' | '\'' | '`') {
            let (s, end) = string(&chars, i)?;
            out.push(Tok::Str(s));
            i = end;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(syntax(format!("unexpected character {c:?}")));
            };
            match *sym {
                "[" => in_brackets = true,
                "]" => in_brackets = false,
                _ => {}
            }
            out.push(Tok::Sym(sym));
            i += sym.chars().count();
        }
    }
    out.push(Tok::Eof);
    Ok(out)
}

/// A number (decimal, exponent, hex) or a duration (`5m`, `1h30m`, `250ms`).
fn number_or_duration(chars: &[char], start: usize) -> Result<(Tok, usize), QueryError> {
    let word_end = |mut i: usize| {
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_')) {
            i += 1;
        }
        i
    };
    let mut i = start;
    if chars[i] == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
        let end = word_end(i + 2);
        let text: String = chars[start..end].iter().collect();
        let value = u64::from_str_radix(&text[2..], 16).map_err(|_| syntax(format!("bad number {text:?}")))?;
        return Ok((Tok::Number(value as f64, text), end));
    }
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if i < chars.len() && duration_unit(chars, i).is_some() {
        return duration(chars, start);
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
            i = j;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    let text: String = chars[start..i].iter().collect();
    if chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.') {
        let bad: String = chars[start..word_end(i)].iter().collect();
        return Err(syntax(format!("bad number or duration {bad:?}")));
    }
    let value = text.parse::<f64>().map_err(|_| syntax(format!("bad number {text:?}")))?;
    Ok((Tok::Number(value, text), i))
}

/// The unit at `i` and its length: `ms`, `s`, `m`, `h`, `d`, `w`, `y`.
fn duration_unit(chars: &[char], i: usize) -> Option<(u64, usize)> {
    let after = |n: usize| chars.get(i + n).is_none_or(|c| !c.is_ascii_alphabetic());
    let ms = match chars[i] {
        'm' if chars.get(i + 1) == Some(&'s') && after(2) => return Some((1, 2)),
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        'y' => 365 * 86_400_000,
        _ => return None,
    };
    after(1).then_some((ms, 1))
}

fn duration(chars: &[char], start: usize) -> Result<(Tok, usize), QueryError> {
    let mut i = start;
    let mut total_ms: u64 = 0;
    while i < chars.len() && chars[i].is_ascii_digit() {
        let digits_start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[digits_start..i].iter().collect();
        let Some((unit_ms, len)) = (i < chars.len()).then(|| duration_unit(chars, i)).flatten() else {
            let bad: String = chars[start..i.min(chars.len())].iter().collect();
            return Err(syntax(format!("bad duration {bad:?}: a number needs a unit")));
        };
        let n: u64 = digits.parse().map_err(|_| QueryError::Duration(digits.clone()))?;
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(|| QueryError::Duration(chars[start..i + len].iter().collect()))?;
        i += len;
    }
    if chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.') {
        let bad: String = chars[start..=i].iter().collect();
        return Err(syntax(format!("bad duration {bad:?}")));
    }
    Ok((Tok::Duration(Duration::from_millis(total_ms)), i))
}

/// A quoted string: Go escapes within `"…"` and `'…'`, none within `` `…` ``.
fn string(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    let unterminated = || syntax("unterminated string".into());
    loop {
        let c = *chars.get(i).ok_or_else(unterminated)?;
        i += 1;
        if c == quote {
            return Ok((out, i));
        }
        if c != '\\' || quote == '`' {
            if c == '\n' && quote != '`' {
                return Err(unterminated());
            }
            out.push(c);
            continue;
        }
        let e = *chars.get(i).ok_or_else(unterminated)?;
        i += 1;
        let hex = |i: &mut usize, n: usize| -> Result<u32, QueryError> {
            let digits: String = chars.get(*i..*i + n).ok_or_else(unterminated)?.iter().collect();
            *i += n;
            u32::from_str_radix(&digits, 16).map_err(|_| syntax(format!("bad escape \\{e}{digits}")))
        };
        let code = match e {
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0c,
            'n' => 0x0a,
            'r' => 0x0d,
            't' => 0x09,
            'v' => 0x0b,
            '\\' => 0x5c,
            '"' | '\'' if e == quote => e as u32,
            'x' => hex(&mut i, 2)?,
            'u' => hex(&mut i, 4)?,
            'U' => hex(&mut i, 8)?,
            '0'..='7' => {
                let digits: String = chars.get(i - 1..i + 2).ok_or_else(unterminated)?.iter().collect();
                i += 2;
                u32::from_str_radix(&digits, 8).map_err(|_| syntax(format!("bad escape \\{digits}")))?
            }
            other => return Err(syntax(format!("unknown escape \\{other}"))),
        };
        out.push(char::from_u32(code).ok_or_else(|| syntax(format!("escape \\{e} is no character")))?);
    }
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Binding strength of each binary operator; `^` alone is right-associative.
fn precedence(op: &str) -> u8 {
    match op {
        "or" => 1,
        "and" | "unless" => 2,
        "==" | "!=" | "<" | ">" | "<=" | ">=" => 3,
        "+" | "-" => 4,
        "*" | "/" | "%" | "atan2" => 5,
        _ => 6,
    }
}
const POWER: u8 = 6;

fn is_comparison(op: &str) -> bool {
    precedence(op) == 3
}

fn is_set_operator(op: &str) -> bool {
    matches!(op, "and" | "or" | "unless")
}

/// Whether the expression is a scalar, as far as its shape tells.
fn is_scalar(e: &Expr) -> bool {
    match e {
        Expr::Number(_) => true,
        Expr::Paren(e) | Expr::Neg(e) => is_scalar(e),
        Expr::Binary(b) => is_scalar(&b.lhs) && is_scalar(&b.rhs),
        Expr::Call(c) => matches!(c.func.as_str(), "scalar" | "time" | "pi"),
        _ => false,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos]
    }

    fn advance(&mut self) -> Tok {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn at_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn at_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if x.eq_ignore_ascii_case(w))
    }

    fn expect(&mut self, s: &str) -> Result<(), QueryError> {
        if self.at_sym(s) {
            self.advance();
            Ok(())
        } else {
            Err(syntax(format!("expected {s:?}, found {}", self.peek())))
        }
    }

    /// One level deeper: the evaluator and this parser recurse.
    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(QueryError::TooDeep(self.depth));
        }
        Ok(())
    }

    /// The binary operator next, if any.
    fn binary_operator(&self) -> Option<&'static str> {
        match self.peek() {
            Tok::Sym(s) if matches!(*s, "+" | "-" | "*" | "/" | "%" | "^" | "==" | "!=" | "<" | ">" | "<=" | ">=") => {
                Some(s)
            }
            Tok::Ident(w) => ["and", "or", "unless", "atan2"].into_iter().find(|k| w.eq_ignore_ascii_case(k)),
            _ => None,
        }
    }

    fn expr(&mut self, min: u8) -> Result<Expr, QueryError> {
        self.enter()?;
        let mut lhs = self.unary()?;
        while let Some(op) = self.binary_operator() {
            let prec = precedence(op);
            if prec < min {
                break;
            }
            self.advance();
            let return_bool = self.at_word("bool");
            if return_bool {
                self.advance();
                if !is_comparison(op) {
                    return Err(syntax(format!("bool modifier can only be used on comparisons, not {op}")));
                }
            }
            let matching = if self.at_word("on") || self.at_word("ignoring") {
                let include = self.at_word("on");
                self.advance();
                let labels = self.labels()?;
                Some(if include { LabelModifier::Include(labels) } else { LabelModifier::Exclude(labels) })
            } else {
                None
            };
            let mut card = if is_set_operator(op) { Cardinality::ManyToMany } else { Cardinality::OneToOne };
            if self.at_word("group_left") || self.at_word("group_right") {
                if is_set_operator(op) {
                    return Err(syntax(format!("no grouping allowed for {op:?} operation")));
                }
                let left = self.at_word("group_left");
                self.advance();
                let labels = if self.at_sym("(") { self.labels()? } else { Vec::new() };
                card = if left { Cardinality::ManyToOne(labels) } else { Cardinality::OneToMany(labels) };
            }
            let rhs = self.expr(if op == "^" { prec } else { prec + 1 })?;
            if is_comparison(op) && !return_bool && is_scalar(&lhs) && is_scalar(&rhs) {
                return Err(syntax("comparisons between scalars must use the bool modifier".into()));
            }
            if is_set_operator(op) && (is_scalar(&lhs) || is_scalar(&rhs)) {
                return Err(syntax(format!("set operator {op} not allowed with a scalar")));
            }
            lhs = Expr::Binary(Box::new(Binary { op, lhs, rhs, return_bool, matching, card }));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// A sign binds like `*`: `-a * b` is `(-a) * b`, `-a ^ b` is `-(a ^ b)`.
    fn unary(&mut self) -> Result<Expr, QueryError> {
        let negative = self.at_sym("-");
        if !negative && !self.at_sym("+") {
            let primary = self.primary()?;
            return self.postfix(primary);
        }
        self.advance();
        let operand = self.expr(POWER)?;
        if matches!(operand, Expr::String(_)) {
            return Err(syntax("a sign applies to a number or a vector, not a string".into()));
        }
        Ok(match (negative, operand) {
            (false, e) => e,
            (true, Expr::Number(v)) => Expr::Number(-v),
            (true, e) => Expr::Neg(Box::new(e)),
        })
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        match self.advance() {
            Tok::Number(v, _) => Ok(Expr::Number(v)),
            // A duration where a number goes is its seconds (`time() - 1h`), as in Prometheus 3.
            Tok::Duration(d) => Ok(Expr::Number(d.as_secs_f64())),
            Tok::Str(s) => Ok(Expr::String(s)),
            Tok::Sym("(") => {
                let e = self.expr(0)?;
                self.expect(")")?;
                Ok(Expr::Paren(Box::new(e)))
            }
            Tok::Sym("{") => self.selector(None),
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                let next_opens = matches!(self.peek(), Tok::Sym("("));
                if AGGREGATIONS.contains(&lower.as_str())
                    && (next_opens || self.at_word("by") || self.at_word("without"))
                {
                    self.aggregate(lower)
                } else if next_opens {
                    self.call(word)
                } else if KEYWORDS.contains(&lower.as_str()) {
                    Err(syntax(format!("unexpected keyword {word:?}")))
                } else {
                    self.selector(Some(word))
                }
            }
            other => Err(syntax(format!("unexpected {other}"))),
        }
    }

    /// Ranges, subqueries, `offset` and `@` after an expression.
    fn postfix(&mut self, mut e: Expr) -> Result<Expr, QueryError> {
        loop {
            if self.at_sym("[") {
                self.advance();
                let range = self.duration()?;
                if self.at_sym(":") {
                    self.advance();
                    let step = if self.at_sym("]") { None } else { Some(self.duration()?) };
                    self.expect("]")?;
                    e = Expr::Subquery(Box::new(Subquery { expr: e, range, step, offset: None, at: false }));
                } else {
                    self.expect("]")?;
                    e = match e {
                        Expr::Selector(s) if s.offset.is_none() && !s.at => Expr::Matrix(s, range),
                        _ => return Err(syntax("a range applies to a vector selector only".into())),
                    };
                }
            } else if self.at_word("offset") {
                self.advance();
                let negative = self.at_sym("-");
                if negative || self.at_sym("+") {
                    self.advance();
                }
                let d = self.duration()?;
                let offset = if negative { Offset::Ahead(d) } else { Offset::Back(d) };
                let slot = match &mut e {
                    Expr::Selector(s) | Expr::Matrix(s, _) => &mut s.offset,
                    Expr::Subquery(s) => &mut s.offset,
                    _ => return Err(syntax("offset applies to a selector or a subquery".into())),
                };
                if slot.replace(offset).is_some() {
                    return Err(syntax("offset may not be set twice".into()));
                }
            } else if self.at_sym("@") {
                self.advance();
                match self.advance() {
                    Tok::Number(..) => {}
                    Tok::Sym("-" | "+") if matches!(self.peek(), Tok::Number(..)) => {
                        self.advance();
                    }
                    Tok::Ident(w) if matches!(w.as_str(), "start" | "end") => {
                        self.expect("(")?;
                        self.expect(")")?;
                    }
                    other => return Err(syntax(format!("unexpected {other} after @"))),
                }
                match &mut e {
                    Expr::Selector(s) | Expr::Matrix(s, _) => s.at = true,
                    Expr::Subquery(s) => s.at = true,
                    _ => return Err(syntax("@ applies to a selector or a subquery".into())),
                }
            } else {
                return Ok(e);
            }
        }
    }

    /// A duration with units, or a bare number of seconds from 0 to a year.
    fn duration(&mut self) -> Result<Duration, QueryError> {
        match self.advance() {
            Tok::Duration(d) => Ok(d),
            Tok::Number(v, text) => {
                if v.is_finite() && (0.0..=MAX_RANGE.as_secs_f64()).contains(&v) {
                    Ok(Duration::from_secs_f64(v))
                } else {
                    Err(QueryError::Duration(text))
                }
            }
            other => Err(syntax(format!("expected a duration, found {other}"))),
        }
    }

    /// `(label, …)`, a trailing comma allowed.
    fn labels(&mut self) -> Result<Vec<String>, QueryError> {
        self.expect("(")?;
        let mut out = Vec::new();
        while !self.at_sym(")") {
            match self.advance() {
                Tok::Ident(w) => out.push(w),
                other => return Err(syntax(format!("expected a label name, found {other}"))),
            }
            if !self.at_sym(",") {
                break;
            }
            self.advance();
        }
        self.expect(")")?;
        Ok(out)
    }

    fn selector(&mut self, name: Option<String>) -> Result<Expr, QueryError> {
        let mut s = Selector { name, ..Selector::default() };
        if s.name.is_none() || self.at_sym("{") {
            if s.name.is_some() {
                self.advance();
            }
            while !self.at_sym("}") {
                s.matchers.push(self.matcher()?);
                if self.at_word("or") {
                    s.alternatives = true;
                } else if !self.at_sym(",") {
                    break;
                }
                self.advance();
            }
            self.expect("}")?;
        }
        if s.name.is_none() && s.matchers.iter().all(|m| m.is_match("")) {
            return Err(syntax("a vector selector needs at least one matcher that does not match \"\"".into()));
        }
        if s.name.is_some() && s.matchers.iter().any(|m| m.name == super::store::METRIC_NAME) {
            return Err(syntax("the metric name is set twice".into()));
        }
        Ok(Expr::Selector(s))
    }

    fn matcher(&mut self) -> Result<Matcher, QueryError> {
        let name = match self.advance() {
            Tok::Ident(w) => w,
            // `inf` and `nan` read as numbers elsewhere, but name labels here.
            Tok::Number(_, w) if w.chars().all(|c| c.is_ascii_alphabetic()) => w,
            other => return Err(syntax(format!("expected a label name, found {other}"))),
        };
        let op = match self.advance() {
            Tok::Sym("=") => MatchOp::Equal,
            Tok::Sym("!=") => MatchOp::NotEqual,
            Tok::Sym("=~") => MatchOp::Re,
            Tok::Sym("!~") => MatchOp::NotRe,
            other => return Err(syntax(format!("expected a match operator after {name:?}, found {other}"))),
        };
        let value = match self.advance() {
            Tok::Str(s) => s,
            other => return Err(syntax(format!("expected a string after {name:?}, found {other}"))),
        };
        let regex = match op {
            MatchOp::Re | MatchOp::NotRe => Some(
                regex_lite::Regex::new(&format!("^(?s:{value})$"))
                    .map_err(|e| syntax(format!("bad regular expression {value:?}: {e}")))?,
            ),
            _ => None,
        };
        Ok(Matcher { name, op, value, regex })
    }

    fn aggregate(&mut self, op: String) -> Result<Expr, QueryError> {
        let mut modifier = self.grouping()?;
        self.expect("(")?;
        let param = if WITH_PARAMETER.contains(&op.as_str()) {
            let p = self.expr(0)?;
            self.expect(",")?;
            Some(p)
        } else {
            None
        };
        let expr = self.expr(0)?;
        self.expect(")")?;
        if modifier.is_none() {
            modifier = self.grouping()?;
        }
        Ok(Expr::Aggregate(Box::new(Aggregate { op, expr, param, modifier })))
    }

    /// `by (…)` or `without (…)`, if next.
    fn grouping(&mut self) -> Result<Option<LabelModifier>, QueryError> {
        if self.at_word("by") || self.at_word("without") {
            let by = self.at_word("by");
            self.advance();
            let labels = self.labels()?;
            return Ok(Some(if by { LabelModifier::Include(labels) } else { LabelModifier::Exclude(labels) }));
        }
        Ok(None)
    }

    fn call(&mut self, func: String) -> Result<Expr, QueryError> {
        self.expect("(")?;
        let mut args = Vec::new();
        while !self.at_sym(")") {
            args.push(self.expr(0)?);
            if !self.at_sym(",") {
                break;
            }
            self.advance();
        }
        self.expect(")")?;
        Ok(Expr::Call(Call { func, args }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promql_parser::label::MatchOp as RefOp;
    use promql_parser::parser::{self as reference, Expr as R};

    /// `promql-parser`'s tree in our shape, for the comparison.
    fn ours(e: &R) -> Expr {
        match e {
            R::NumberLiteral(n) => Expr::Number(n.val),
            R::StringLiteral(s) => Expr::String(s.val.clone()),
            R::Paren(p) => Expr::Paren(Box::new(ours(&p.expr))),
            R::Unary(u) => Expr::Neg(Box::new(ours(&u.expr))),
            R::VectorSelector(vs) => Expr::Selector(selector(vs)),
            R::MatrixSelector(ms) => Expr::Matrix(selector(&ms.vs), ms.range),
            R::Subquery(s) => Expr::Subquery(Box::new(Subquery {
                expr: ours(&s.expr),
                range: s.range,
                step: s.step,
                offset: s.offset.as_ref().map(offset),
                at: s.at.is_some(),
            })),
            R::Binary(b) => {
                let m = b.modifier.clone().unwrap_or_default();
                let op: &'static str = Box::leak(b.op.to_string().to_lowercase().into_boxed_str());
                Expr::Binary(Box::new(Binary {
                    op,
                    lhs: ours(&b.lhs),
                    rhs: ours(&b.rhs),
                    return_bool: m.return_bool,
                    matching: m.matching.as_ref().map(modifier),
                    card: match &m.card {
                        reference::VectorMatchCardinality::OneToOne => Cardinality::OneToOne,
                        reference::VectorMatchCardinality::ManyToOne(l) => Cardinality::ManyToOne(l.labels.clone()),
                        reference::VectorMatchCardinality::OneToMany(l) => Cardinality::OneToMany(l.labels.clone()),
                        reference::VectorMatchCardinality::ManyToMany => Cardinality::ManyToMany,
                    },
                }))
            }
            R::Aggregate(a) => Expr::Aggregate(Box::new(Aggregate {
                op: a.op.to_string().to_lowercase(),
                expr: ours(&a.expr),
                param: a.param.as_deref().map(ours),
                modifier: a.modifier.as_ref().map(modifier),
            })),
            R::Call(c) => {
                Expr::Call(Call { func: c.func.name.to_string(), args: c.args.args.iter().map(|a| ours(a)).collect() })
            }
            R::Extension(_) => unreachable!("no extensions are parsed"),
        }
    }

    fn selector(vs: &reference::VectorSelector) -> Selector {
        let matcher = |m: &promql_parser::label::Matcher| Matcher {
            name: m.name.clone(),
            op: match m.op {
                RefOp::Equal => MatchOp::Equal,
                RefOp::NotEqual => MatchOp::NotEqual,
                RefOp::Re(_) => MatchOp::Re,
                RefOp::NotRe(_) => MatchOp::NotRe,
            },
            value: m.value.clone(),
            regex: None,
        };
        let mut matchers: Vec<Matcher> = vs.matchers.matchers.iter().map(matcher).collect();
        matchers.extend(vs.matchers.or_matchers.iter().flatten().map(matcher));
        Selector {
            name: vs.name.clone(),
            matchers,
            alternatives: !vs.matchers.or_matchers.is_empty(),
            offset: vs.offset.as_ref().map(offset),
            at: vs.at.is_some(),
        }
    }

    fn offset(o: &reference::Offset) -> Offset {
        match o {
            reference::Offset::Pos(d) => Offset::Back(*d),
            reference::Offset::Neg(d) => Offset::Ahead(*d),
        }
    }

    fn modifier(m: &reference::LabelModifier) -> LabelModifier {
        match m {
            reference::LabelModifier::Include(l) => LabelModifier::Include(l.labels.clone()),
            reference::LabelModifier::Exclude(l) => LabelModifier::Exclude(l.labels.clone()),
        }
    }

    /// Expressions of the seed dashboard's kind and PromQL's corners: both parsers must
    /// build the same tree.
    const CORPUS: &[&str] = &[
        "up",
        "up{job=\"gw\"}",
        "{__name__=\"up\", job!=\"x\"}",
        "http_requests_total{tool=~\"a|b\", code!~\"5..\",}",
        "job:rate5m:sum",
        "rate(x[5m])",
        "rate(x[1h30m] offset 10m)",
        "x offset 5m",
        "x[90]",
        "x[1.5]",
        "x[250ms]",
        "sum(rate(gateway_requests_total[1m])) by (tool)",
        "sum by (tool, status) (rate(gateway_requests_total{status=~\"2..\"}[5m]))",
        "sum without (instance) (x)",
        "topk(3, sum by (tool) (rate(x[5m])))",
        "bottomk(2, x)",
        "count_values(\"v\", x)",
        "quantile(0.9, x)",
        "histogram_quantile(0.99, sum by (le, tool) (rate(gateway_request_duration_seconds_bucket[5m])))",
        "1 + 2 * 3",
        "2 ^ 3 ^ 2",
        "-2 ^ 2",
        "-x * y",
        "- - x",
        "+x",
        "-1",
        "a + b * c - d / e % f",
        "a == bool b",
        "a > 0",
        "1 < bool 2",
        "a and b or c unless d",
        "a or b and c",
        "a * on (job) group_left (instance) b",
        "a / ignoring (code) group_right b",
        "a + on () b",
        "a and on (x) b",
        "a atan2 b",
        "(a + b) * c",
        "((x))",
        "sum(x) / count(x)",
        "clamp(x, 0, 1)",
        "round(x, 0.5)",
        "time() - x",
        "time() - 1h30m",
        "5m",
        "vector(1)",
        "scalar(x) * 2",
        "abs(-x)",
        "0x1F + 1e3 + .5 + 5. + Inf - 2.5e-3",
        "x # a comment\n + y",
        "x{a='single', b=`raw\\n`, c=\"esc\\\"aped\\u00e9\"}",
        "rate(x[5m:1m])",
        "max_over_time(rate(x[1m])[10m:])",
        "x @ 100",
        "x offset -5m",
        "SUM(x) BY (y)",
        "x{a=\"1\" or b=\"2\"}",
        "increase(x[1d]) > 100 and on (tool) y",
        "by + offset + sum + and",
        "x{inf=\"1\", on=\"2\"}",
        "sum by (on, bool) (x)",
    ];

    #[test]
    fn every_expression_of_the_corpus_parses_to_the_reference_tree() {
        for text in CORPUS {
            let expected = reference::parse(text).unwrap_or_else(|e| panic!("the reference refuses {text:?}: {e}"));
            let got = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, ours(&expected), "{text:?}");
        }
    }

    #[test]
    fn what_the_reference_refuses_is_refused() {
        for text in [
            "",
            "rate(x[5m]",
            "x[5m] offset",
            "sum by (a (x)",
            "{}",
            "{a=\"\"}",
            "x{__name__=\"y\"}",
            "1 > 2",
            "1 and x",
            "x + bool y",
            "x and on (a) group_left b",
            "x[5m][5m]",
            "(x)[5m]",
            "x offset 5m offset 1m",
            "x[-1]",
            "\"unterminated",
            "x{a=~\"(\"}",
            "-\"s\"",
            "x y",
            "on",
            "bool{a=\"1\"}",
            "sum by (inf) (x)",
            "x{a=1}",
            "sum(x,)",
        ] {
            assert!(reference::parse(text).is_err(), "the reference takes {text:?}");
            assert!(parse(text).is_err(), "{text:?} was taken");
        }
    }

    #[test]
    fn nan_is_a_number() {
        assert!(matches!(parse("NaN").unwrap(), Expr::Number(v) if v.is_nan()));
        assert!(matches!(parse("-nan").unwrap(), Expr::Number(v) if v.is_nan()));
    }

    #[test]
    fn regular_expressions_are_anchored_at_both_ends() {
        let Expr::Selector(s) = parse("x{a=~\"b.\", c!~\"d\"}").unwrap() else { panic!() };
        assert!(s.matchers[0].is_match("bc"));
        assert!(!s.matchers[0].is_match("abc") && !s.matchers[0].is_match("bcd"));
        assert!(s.matchers[1].is_match("dd") && !s.matchers[1].is_match("d"));
    }
}
