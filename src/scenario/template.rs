//! `{{ name }}` templates, compiled once at load time into literal and variable parts, and
//! JSON body templates whose constant subtrees are pre-serialized.

use serde_json::Value;
use std::fmt::Write;
use std::time::Duration;

/// Where a template variable's value comes from; resolved to indices at load time.
#[derive(Clone, Debug, PartialEq)]
pub enum VarRef {
    /// A value captured by an earlier step of the same flow (slot index in the flow).
    Capture(usize),
    /// A random pick from a `[vars]` list (index into the scenario's lists).
    List(usize),
    /// A field of the pool entry this iteration drew (pool index, field index).
    Pool(usize, usize),
    Uuid,
    /// Now plus an offset, as ISO-8601 UTC.
    Now(Duration),
    /// A counter that increases per use across the run.
    Seq,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Var(VarRef),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// A `{{ … }}` occurrence, before its name is resolved.
#[derive(Debug, PartialEq)]
pub struct RawVar<'a> {
    pub name: &'a str,
    /// Byte offset of the `{{` within the template text.
    pub offset: usize,
}

#[derive(Debug, PartialEq)]
pub enum TemplateSyntaxError {
    Unclosed(usize),
    Empty(usize),
}

/// Splits text into literals and variable names.
pub fn tokenize(text: &str) -> Result<Vec<Result<&str, RawVar<'_>>>, TemplateSyntaxError> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Ok(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(TemplateSyntaxError::Unclosed(base + open))?;
        let name = after[..close].trim();
        if name.is_empty() {
            return Err(TemplateSyntaxError::Empty(base + open));
        }
        out.push(Err(RawVar { name, offset: base + open }));
        let consumed = open + 2 + close + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        out.push(Ok(rest));
    }
    Ok(out)
}

impl Template {
    pub fn literal(text: &str) -> Self {
        Self { parts: vec![Part::Lit(text.to_string())] }
    }

    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The single variable this template consists of, if it is exactly `{{ x }}`.
    pub fn sole_var(&self) -> Option<&VarRef> {
        match self.parts.as_slice() {
            [Part::Var(v)] => Some(v),
            _ => None,
        }
    }

    pub fn render(&self, ctx: &mut dyn Resolve, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => ctx.write_text(v, out),
            }
        }
    }

    pub fn render_string(&self, ctx: &mut dyn Resolve) -> String {
        let mut s = String::new();
        self.render(ctx, &mut s);
        s
    }
}

/// What a template needs from the running flow iteration.
pub trait Resolve {
    /// The variable's value as JSON (strings stay strings).
    fn value(&mut self, var: &VarRef) -> Value;
    fn write_text(&mut self, var: &VarRef, out: &mut String) {
        match self.value(var) {
            Value::String(s) => out.push_str(&s),
            Value::Null => {}
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

/// A JSON body template: constant subtrees are kept serialized.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Raw(String),
    Str(Template),
    Object(Vec<(String, Body)>),
    Array(Vec<Body>),
}

impl Body {
    pub fn render(&self, ctx: &mut dyn Resolve, out: &mut String) {
        match self {
            Body::Raw(json) => out.push_str(json),
            Body::Str(t) => match t.sole_var() {
                // A whole-string variable keeps its JSON type (a captured number stays a number).
                Some(v) => out.push_str(&ctx.value(v).to_string()),
                None => {
                    let text = t.render_string(ctx);
                    out.push_str(&Value::String(text).to_string());
                }
            },
            Body::Object(fields) => {
                out.push('{');
                for (i, (key_json, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(key_json);
                    out.push(':');
                    value.render(ctx, out);
                }
                out.push('}');
            }
            Body::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.render(ctx, out);
                }
                out.push(']');
            }
        }
    }

    pub fn is_constant(&self) -> bool {
        matches!(self, Body::Raw(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_literals_and_vars() {
        let t = tokenize("a {{ x }}b{{y}}").unwrap();
        assert_eq!(
            t,
            vec![Ok("a "), Err(RawVar { name: "x", offset: 2 }), Ok("b"), Err(RawVar { name: "y", offset: 10 })]
        );
        assert_eq!(tokenize("{{ x"), Err(TemplateSyntaxError::Unclosed(0)));
        assert_eq!(tokenize("ab{{ }}"), Err(TemplateSyntaxError::Empty(2)));
        assert_eq!(tokenize("").unwrap(), vec![]);
    }

    struct Fixed;
    impl Resolve for Fixed {
        fn value(&mut self, var: &VarRef) -> Value {
            match var {
                VarRef::Capture(0) => Value::from(42),
                _ => Value::String("q\"uote".into()),
            }
        }
    }

    #[test]
    fn body_keeps_types_and_escapes() {
        let body = Body::Object(vec![
            ("\"n\"".into(), Body::Str(Template { parts: vec![Part::Var(VarRef::Capture(0))] })),
            ("\"s\"".into(), Body::Str(Template { parts: vec![Part::Lit("x ".into()), Part::Var(VarRef::Uuid)] })),
            ("\"c\"".into(), Body::Raw("[1,2]".into())),
        ]);
        let mut out = String::new();
        body.render(&mut Fixed, &mut out);
        assert_eq!(out, r#"{"n":42,"s":"x q\"uote","c":[1,2]}"#);
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["s"], "x q\"uote");
    }
}
