//! The converted scenario before it is written, and the TOML writing of its values
//! (escaping by `toml_writer`, the writer the `toml` crate uses).

use super::*;
use toml_writer::{ToTomlKey, ToTomlValue};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Out {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Out>),
    Table(Vec<(String, Out)>),
}

pub(super) struct OutVar {
    pub(super) comments: Vec<String>,
    pub(super) name: String,
    pub(super) values: Vec<Out>,
}

pub(super) struct OutPhase {
    pub(super) comments: Vec<String>,
    pub(super) name: String,
    pub(super) duration: Duration,
    pub(super) rate: f64,
    pub(super) ramp_to: Option<f64>,
}

pub(super) struct OutStep {
    /// Comments about earlier flow items (function, think, …), written before the step.
    pub(super) before: Vec<String>,
    /// Comments about this request, written inside the step.
    pub(super) inside: Vec<String>,
    pub(super) name: Option<String>,
    pub(super) tool: Option<String>,
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<Out>,
    pub(super) expect: Option<Vec<u16>>,
    /// (variable, JSON pointer, secret)
    pub(super) captures: Vec<(String, String, bool)>,
}

impl OutStep {
    pub(super) fn new(method: &'static str, path: &str) -> Self {
        OutStep {
            before: Vec::new(),
            inside: Vec::new(),
            name: None,
            tool: None,
            method,
            path: path.to_string(),
            headers: Vec::new(),
            body: None,
            expect: None,
            captures: Vec::new(),
        }
    }
}

pub(super) struct OutFlow {
    pub(super) line: usize,
    pub(super) name: String,
    pub(super) weight: f64,
    pub(super) kind: Option<&'static str>,
    pub(super) comments: Vec<String>,
    pub(super) steps: Vec<OutStep>,
    pub(super) trailing: Vec<String>,
    /// Why the flow is written commented out, as a TODO comment.
    pub(super) left_out: Option<String>,
}

pub(super) fn emit(out: &mut String, text: impl AsRef<str>) {
    out.push_str(text.as_ref());
    out.push('\n');
}

/// A TOML basic string: one line, whatever it holds.
pub(super) fn toml_string(s: &str) -> String {
    toml_writer::TomlStringBuilder::new(s).as_basic().to_toml_value()
}

/// A TOML key: bare when it can be, quoted otherwise.
pub(super) fn toml_key(k: &str) -> String {
    toml_writer::TomlKeyBuilder::new(k).as_default().to_toml_key()
}

/// An array of strings, on one line.
pub(super) fn toml_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| toml_string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// A rate or weight: integers without a fraction.
pub(super) fn number(v: f64) -> String {
    format!("{v}")
}

/// A TOML inline value (inline tables stay on one line).
pub(super) fn inline(v: &Out) -> String {
    match v {
        Out::Str(s) => toml_string(s),
        Out::Int(i) => i.to_toml_value(),
        Out::Float(f) => f.to_toml_value(),
        Out::Bool(b) => b.to_toml_value(),
        Out::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Out::Table(entries) if entries.is_empty() => "{}".to_string(),
        Out::Table(entries) => {
            let pairs: Vec<String> = entries.iter().map(|(k, v)| format!("{} = {}", toml_key(k), inline(v))).collect();
            format!("{{ {} }}", pairs.join(", "))
        }
    }
}
