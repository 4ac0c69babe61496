//! `proofdeck import artillery`: an Artillery YAML script → a proofdeck scenario (TOML text).
//!
//! The YAML is read with serde-saphyr into typed structs (`deny_unknown_fields` where
//! Artillery's schema is fixed), so malformed YAML, unknown keys and wrong types come back as
//! located `ScenarioError`s. Free-form parts (JSON bodies, expectations, variables, hooks) are
//! read as `Node`s that keep their source location. The scenario is written as TOML by hand,
//! so that what does not convert stays next to where it was as a `# TODO (line N): …` comment;
//! the same TODOs are returned for the command to list on stderr. Nothing is dropped silently.

use super::duration;
use super::error::ScenarioError;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

/// A converted scenario and what could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// A proofdeck scenario that `scenario::parse` accepts.
    pub toml: String,
    /// What did not convert, by YAML line; each is also a `# TODO (line N)` comment in `toml`.
    pub todos: Vec<Todo>,
}

/// A part of the Artillery script that did not convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    /// 1-based line in the YAML file.
    pub line: usize,
    pub what: String,
}

impl fmt::Display for Todo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// Converts the Artillery script `yaml` (read from `file`, which errors name).
pub fn convert(file: &Path, yaml: &str) -> Result<Conversion, ScenarioError> {
    let doc: RawDoc = serde_saphyr::from_str(yaml).map_err(|e| yaml_error(file, yaml, &e))?;
    Converter::new(file, yaml).run(&doc)
}

// ---------------------------------------------------------------------------------------------
// The Artillery schema, as far as the importer reads it.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDoc {
    config: Spanned<RawConfig>,
    scenarios: Option<Spanned<Vec<Spanned<RawScenario>>>>,
    before: Option<Node>,
    after: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConfig {
    target: Option<Spanned<String>>,
    phases: Option<Spanned<Vec<Spanned<RawPhase>>>>,
    defaults: Option<RawDefaults>,
    variables: Option<Node>,
    http: Option<Node>,
    plugins: Option<Node>,
    processor: Option<Node>,
    environments: Option<Node>,
    payload: Option<Node>,
    tls: Option<Node>,
    ensure: Option<Node>,
    engines: Option<Node>,
    include_files: Option<Node>,
    socketio: Option<Node>,
    ws: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    headers: Option<Node>,
    think: Option<Node>,
    cookie: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPhase {
    name: Option<String>,
    duration: Option<Spanned<Secs>>,
    arrival_rate: Option<Spanned<f64>>,
    ramp_to: Option<Spanned<f64>>,
    arrival_count: Option<Spanned<f64>>,
    pause: Option<Spanned<Secs>>,
    max_vusers: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScenario {
    name: Option<String>,
    weight: Option<Spanned<f64>>,
    engine: Option<Spanned<String>>,
    flow: Option<Spanned<Vec<Spanned<RawFlowStep>>>>,
    before_scenario: Option<Node>,
    after_scenario: Option<Node>,
    before_request: Option<Node>,
    after_response: Option<Node>,
}

/// One item of a flow: exactly one action key, plus `count`/`over`/`whileTrue` for `loop`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawFlowStep {
    get: Option<RawRequest>,
    post: Option<RawRequest>,
    put: Option<RawRequest>,
    patch: Option<RawRequest>,
    delete: Option<RawRequest>,
    head: Option<RawRequest>,
    options: Option<RawRequest>,
    function: Option<Spanned<String>>,
    think: Option<Node>,
    #[serde(rename = "loop")]
    loop_steps: Option<Node>,
    count: Option<Node>,
    over: Option<Node>,
    while_true: Option<Node>,
    log: Option<Node>,
    parallel: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequest {
    url: Spanned<String>,
    name: Option<String>,
    json: Option<Node>,
    headers: Option<Node>,
    capture: Option<OneOrMany<RawCapture>>,
    expect: Option<Node>,
    body: Option<Node>,
    form: Option<Node>,
    form_data: Option<Node>,
    qs: Option<Node>,
    cookie: Option<Node>,
    auth: Option<Node>,
    before_request: Option<Node>,
    after_response: Option<Node>,
    if_true: Option<Node>,
    follow_redirect: Option<Node>,
    gzip: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    json: Option<Spanned<String>>,
    #[serde(rename = "as")]
    name: Option<Spanned<String>>,
    header: Option<Spanned<String>>,
    regexp: Option<Spanned<String>>,
    xpath: Option<Spanned<String>>,
    selector: Option<Spanned<String>>,
    group: Option<Node>,
    flags: Option<Node>,
    attr: Option<Node>,
    index: Option<Node>,
    strict: Option<Node>,
    transform: Option<Node>,
}

/// A phase duration: seconds, or text such as `"10m"`; checked after parsing, with its span.
#[derive(Debug)]
enum Secs {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecsVisitor;
        impl Visitor<'_> for SecsVisitor {
            type Value = Secs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds or a duration such as \"10m\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Secs::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(SecsVisitor)
    }
}

/// A mapping, or a list of them (Artillery's `capture` takes either).
struct OneOrMany<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping or a list of mappings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|item| OneOrMany(vec![item]))
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Any YAML value, with the location of every node (via `serde_saphyr::Spanned`).
#[derive(Debug)]
struct Node {
    value: Yaml,
    loc: Location,
}

#[derive(Debug)]
enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Yaml>::deserialize(deserializer)?;
        let loc = if spanned.referenced.line() == 0 { spanned.defined } else { spanned.referenced };
        Ok(Node { value: spanned.value, loc })
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Yaml::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Yaml::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Yaml::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Yaml::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Yaml::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }
}

impl Node {
    fn line(&self) -> usize {
        line_of(&self.loc)
    }

    fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

fn line_of(loc: &Location) -> usize {
    usize::try_from(loc.line()).unwrap_or(usize::MAX).max(1)
}

/// A short rendering of a node for messages.
fn summary(node: &Node) -> String {
    match &node.value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Float(f) => f.to_string(),
        Yaml::Str(s) if s.chars().count() > 60 => {
            format!("{:?}", format!("{}…", s.chars().take(57).collect::<String>()))
        }
        Yaml::Str(s) => format!("{s:?}"),
        Yaml::Seq(items) => format!("[{} item(s)]", items.len()),
        Yaml::Map(entries) => {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            format!("{{ {} }}", keys.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the importer writes.

#[derive(Debug, Clone, PartialEq)]
enum Out {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Out>),
    Table(Vec<(String, Out)>),
}

fn table(entries: Vec<(&str, Out)>) -> Out {
    Out::Table(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn string(s: &str) -> Out {
    Out::Str(s.to_string())
}

fn strings(items: &[&str]) -> Out {
    Out::Array(items.iter().copied().map(string).collect())
}

struct OutVar {
    comments: Vec<String>,
    name: String,
    values: Vec<Out>,
}

struct OutPhase {
    comments: Vec<String>,
    name: String,
    duration: Duration,
    rate: f64,
    ramp_to: Option<f64>,
}

struct OutStep {
    /// Comments about earlier flow items (function, think, …), written before the step.
    before: Vec<String>,
    /// Comments about this request, written inside the step.
    inside: Vec<String>,
    name: Option<String>,
    tool: Option<String>,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Out>,
    expect: Option<Vec<u16>>,
    /// (variable, JSON pointer, secret)
    captures: Vec<(String, String, bool)>,
}

impl OutStep {
    fn new(method: &'static str, path: &str) -> Self {
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

struct OutFlow {
    line: usize,
    name: String,
    weight: f64,
    kind: Option<&'static str>,
    comments: Vec<String>,
    steps: Vec<OutStep>,
    trailing: Vec<String>,
    /// Why the flow is written commented out, as a TODO comment.
    left_out: Option<String>,
}

/// A role of the gateway campaign, as its token helpers (`getTokenScraper`, …) create them.
struct Role {
    name: &'static str,
    helpers: &'static [&'static str],
    tools: &'static [&'static str],
    scopes: &'static [&'static str],
    permissions: &'static [&'static str],
}

const ROLES: [Role; 3] = [
    Role {
        name: "scraper",
        helpers: &["getTokenScraper"],
        tools: &["serpapi", "http_fetch"],
        scopes: &["serpapi:search", "http_fetch:get"],
        permissions: &["read"],
    },
    Role {
        name: "enricher",
        helpers: &["getTokenEnricherHTTP", "getTokenEnricherAI"],
        tools: &["http_fetch", "openai"],
        scopes: &["http_fetch:get", "openai:chat"],
        permissions: &["read", "write"],
    },
    Role {
        name: "engager",
        helpers: &["getTokenEngager"],
        tools: &["gmail_send"],
        scopes: &["gmail_send:send"],
        permissions: &["write"],
    },
];

/// What a `$prevResponse` expression is replaced with.
const PREV_RESPONSE: &str = "previous-response";
/// What another expression proofdeck cannot evaluate is replaced with.
const UNSUPPORTED: &str = "TODO";
const SEQ: &str = "{{ seq }}";

/// The pool field a token helper's variable maps to.
fn token_field(name: &str) -> Option<&'static str> {
    match name {
        "token" | "agent_token" | "agentToken" => Some("token"),
        "token_id" | "tokenId" => Some("token_id"),
        "agent_id" | "agentId" => Some("agent_id"),
        _ => None,
    }
}

/// Template names visible in one flow.
struct Scope {
    /// The role whose token helper ran last in this flow.
    role: Option<usize>,
    captures: Vec<String>,
}

struct Converter<'a> {
    file: &'a Path,
    source: &'a str,
    lines: Vec<&'a str>,
    todos: Vec<Todo>,
    /// Comments collected for the item being converted.
    notes: Vec<String>,
    target: Option<String>,
    var_names: Vec<String>,
    vars: Vec<OutVar>,
    /// `config.defaults.headers` entries holding templates: (name, text, line).
    template_headers: Vec<(String, String, usize)>,
    roles_used: [bool; 3],
}

impl<'a> Converter<'a> {
    fn new(file: &'a Path, source: &'a str) -> Self {
        Converter {
            file,
            source,
            lines: source.lines().collect(),
            todos: Vec::new(),
            notes: Vec::new(),
            target: None,
            var_names: Vec::new(),
            vars: Vec::new(),
            template_headers: Vec::new(),
            roles_used: [false; 3],
        }
    }

    fn err(&self, loc: &Location, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.source, range_of(self.source, loc), message)
    }

    fn err_at_end(&self, message: impl Into<String>) -> ScenarioError {
        let end = self.source.len();
        ScenarioError::at(self.file, self.source, Some(end..end), message)
    }

    /// Records a TODO and returns its comment line.
    fn todo(&mut self, line: usize, what: impl Into<String>) -> String {
        let what = one_line(&what.into());
        let comment = format!("# TODO (line {line}): {what}");
        self.todos.push(Todo { line, what });
        comment
    }

    /// Records a TODO and keeps its comment for the item being converted.
    fn note(&mut self, line: usize, what: impl Into<String>) {
        let comment = self.todo(line, what);
        self.notes.push(comment);
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The line of `key:` whose value is `node` (a block value starts below its key).
    fn key_line(&self, node: &Node, key: &str) -> usize {
        let start = node.line();
        let mut line = start.min(self.lines.len());
        while line >= 1 && start - line <= 20 {
            if declares_key(self.lines[line - 1], key) {
                return line;
            }
            line -= 1;
        }
        start
    }

    /// Notes each present key as not converted, with the reason.
    fn unconverted(&mut self, what: &str, entries: &[(&str, &Option<Node>, &str)]) {
        let present = entries.iter().filter_map(|&(key, node, why)| node.as_ref().map(|n| (key, n, why)));
        for (key, node, why) in present {
            let line = self.key_line(node, key);
            self.note(line, format!("{what}{key}: {} {why}", summary(node)));
        }
    }

    fn run(mut self, doc: &RawDoc) -> Result<Conversion, ScenarioError> {
        let config = &doc.config.value;
        if let Some(t) = &config.target {
            let url = t.value.trim();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(self
                    .err(&t.referenced, format!("invalid target {url:?}"))
                    .expected("an http:// or https:// URL")
                    .hint("the importer reads Artillery's HTTP engine"));
            }
            self.target = Some(url.trim_end_matches('/').to_string());
        }
        self.unconverted(
            "config.",
            &[
                ("plugins", &config.plugins, "is not converted: proofdeck checks status codes and KPIs itself, without plugins"),
                ("processor", &config.processor, "is not converted: its JavaScript does not run in proofdeck (the gateway campaign's token helpers become [[setup]])"),
                ("environments", &config.environments, "is not converted: make one scenario per environment, or pass --target"),
                ("payload", &config.payload, "is not converted: put the CSV's values in [vars] lists"),
                ("tls", &config.tls, "is not converted"),
                ("ensure", &config.ensure, "is not converted: set the thresholds in [kpi]"),
                ("engines", &config.engines, "is not converted: proofdeck speaks HTTP"),
                ("includeFiles", &config.include_files, "is not converted"),
                ("socketio", &config.socketio, "is not converted: proofdeck speaks HTTP"),
                ("ws", &config.ws, "is not converted: proofdeck speaks HTTP"),
            ],
        );
        self.unconverted(
            "",
            &[
                (
                    "before",
                    &doc.before,
                    "(a flow run once before the load) is not converted: put its requests in [[setup]]",
                ),
                ("after", &doc.after, "(a flow run once after the load) is not converted"),
            ],
        );

        let mut default_headers: Vec<(String, String)> = Vec::new();
        if let Some(defaults) = &config.defaults {
            if let Some(headers) = &defaults.headers {
                let Yaml::Map(entries) = &headers.value else {
                    return Err(self
                        .err(&headers.loc, "config.defaults.headers is not a mapping")
                        .expected("header names with their values"));
                };
                for (name, value) in entries {
                    match value.scalar_text() {
                        Some(text) if text.contains("{{") => {
                            self.template_headers.push((name.clone(), text, value.line()));
                        }
                        Some(text) => default_headers.push((name.clone(), text)),
                        None => self.note(
                            value.line(),
                            format!("default header {name}: {} is not a plain value; left out", summary(value)),
                        ),
                    }
                }
            }
            self.unconverted(
                "config.defaults.",
                &[
                    ("think", &defaults.think, "is not converted: proofdeck flows send their steps back to back"),
                    ("cookie", &defaults.cookie, "is not converted: set a Cookie header"),
                ],
            );
        }
        let mut timeout = None;
        if let Some(http) = &config.http {
            match &http.value {
                Yaml::Map(entries) => {
                    for (key, value) in entries {
                        let secs = match &value.value {
                            Yaml::Int(i) => Some(*i as f64),
                            Yaml::Float(f) => Some(*f),
                            _ => None,
                        };
                        match secs {
                            Some(s) if key == "timeout" && s.is_finite() && s >= 0.001 => {
                                timeout = Some(duration::format(Duration::from_secs_f64(s)));
                            }
                            _ => {
                                let line = self.key_line(value, key);
                                self.note(line, format!("config.http.{key}: {} is not converted", summary(value)));
                            }
                        }
                    }
                }
                _ => {
                    let line = self.key_line(http, "http");
                    self.note(line, format!("config.http: {} is not converted", summary(http)));
                }
            }
        }
        let head = self.take_notes();

        if let Some(variables) = &config.variables {
            self.variables(variables)?;
        }

        let phases = self.phases(&doc.config)?;

        let Some(scenarios) = &doc.scenarios else {
            return Err(self
                .err_at_end("the script has no scenarios")
                .expected("scenarios: a list of flows, each with a weight and flow steps"));
        };
        if scenarios.value.is_empty() {
            return Err(self
                .err(&scenarios.referenced, "scenarios is empty")
                .expected("at least one scenario with flow steps"));
        }
        let mut flows = Vec::new();
        for (i, scenario) in scenarios.value.iter().enumerate() {
            flows.push(self.flow(i, scenario)?);
        }
        if flows.iter().all(|f| f.left_out.is_some()) {
            return Err(self
                .err(&scenarios.referenced, "no scenario has a request that converts to a proofdeck flow")
                .hint("proofdeck flows are HTTP requests: get, post, put, patch, delete"));
        }

        let mut todos = std::mem::take(&mut self.todos);
        todos.sort_by_key(|t| t.line);
        let toml = self.render(&head, &default_headers, timeout.as_deref(), &phases, &flows, todos.len());
        Ok(Conversion { toml, todos })
    }

    fn variables(&mut self, node: &Node) -> Result<(), ScenarioError> {
        let Yaml::Map(entries) = &node.value else {
            return Err(self
                .err(&node.loc, "config.variables is not a mapping")
                .expected("variable names with a value or a list of values"));
        };
        for (name, value) in entries {
            let line = self.key_line(value, name);
            let items: Vec<&Node> = match &value.value {
                Yaml::Seq(items) => items.iter().collect(),
                _ => vec![value],
            };
            let mut values = Vec::new();
            for item in items {
                match scalar_out(item) {
                    Some(Out::Str(s)) if s.contains("{{") => {
                        self.note(
                            item.line(),
                            format!(
                                "variable {name}: {s:?} holds a template; proofdeck uses variable values as they are"
                            ),
                        );
                        values.push(Out::Str(s));
                    }
                    Some(v) => values.push(v),
                    None => self.note(
                        item.line(),
                        format!("variable {name}: {} is not a plain value; left out", summary(item)),
                    ),
                }
            }
            if values.is_empty() {
                self.note(line, format!("variable {name} has no plain values; a placeholder stands in"));
                values.push(Out::Str(format!("todo-{name}")));
            }
            let comments = self.take_notes();
            self.var_names.push(name.clone());
            self.vars.push(OutVar { comments, name: name.clone(), values });
        }
        Ok(())
    }

    fn phases(&mut self, config: &Spanned<RawConfig>) -> Result<Vec<OutPhase>, ScenarioError> {
        let Some(phases) = &config.value.phases else {
            return Err(self
                .err(&config.referenced, "config has no phases")
                .expected("phases: a list such as - { duration: 60, arrivalRate: 5 }"));
        };
        if phases.value.is_empty() {
            return Err(self
                .err(&phases.referenced, "config.phases is empty")
                .expected("at least one phase with duration and arrivalRate"));
        }
        let mut out = Vec::new();
        for (i, phase) in phases.value.iter().enumerate() {
            out.push(self.phase(i, phase)?);
        }
        Ok(out)
    }

    fn phase(&mut self, index: usize, phase: &Spanned<RawPhase>) -> Result<OutPhase, ScenarioError> {
        let raw = &phase.value;
        let name = raw.name.clone().unwrap_or_else(|| format!("phase-{}", index + 1));
        let line = line_of(&phase.referenced);
        if let Some(max) = &raw.max_vusers {
            let l = self.key_line(max, "maxVusers");
            self.note(
                l,
                format!(
                    "maxVusers: {} is not converted per phase; [defaults] max_inflight caps the whole run",
                    summary(max)
                ),
            );
        }
        if let Some(pause) = &raw.pause {
            let duration = self.seconds(pause, &name, "pause")?;
            if raw.duration.is_some() || raw.arrival_rate.is_some() || raw.arrival_count.is_some() {
                self.note(line, format!("phase {name:?} has pause with other settings; converted as a pause (rate 0)"));
            }
            return Ok(OutPhase { comments: self.take_notes(), name, duration, rate: 0.0, ramp_to: None });
        }
        let Some(d) = &raw.duration else {
            return Err(self
                .err(&phase.referenced, format!("phase {name:?} has no duration"))
                .expected("duration: seconds, or pause: seconds"));
        };
        let duration = self.seconds(d, &name, "duration")?;
        let rate = match (&raw.arrival_rate, &raw.arrival_count) {
            (Some(rate), count) => {
                if let Some(count) = count {
                    self.note(
                        line_of(&count.referenced),
                        format!("phase {name:?}: arrivalCount {} is ignored next to arrivalRate", count.value),
                    );
                }
                self.rate(rate, &name, "arrivalRate")?
            }
            (None, Some(count)) => {
                let total = self.rate(count, &name, "arrivalCount")?;
                let rate = total / duration.as_secs_f64();
                if rate > 1_000_000.0 {
                    return Err(self
                        .err(
                            &count.referenced,
                            format!("phase {name:?} has arrivalCount {total} in {}", duration::format(duration)),
                        )
                        .expected("at most 1000000 arrivals per second"));
                }
                self.notes.push(format!(
                    "# line {}: arrivalCount {total} over {} is a rate of {rate}/s",
                    line_of(&count.referenced),
                    duration::format(duration)
                ));
                rate
            }
            (None, None) => {
                return Err(self
                    .err(&phase.referenced, format!("phase {name:?} has no arrivalRate"))
                    .expected("arrivalRate: arrivals per second"))
            }
        };
        let ramp_to = raw.ramp_to.as_ref().map(|r| self.rate(r, &name, "rampTo")).transpose()?;
        Ok(OutPhase { comments: self.take_notes(), name, duration, rate, ramp_to })
    }

    fn seconds(&self, value: &Spanned<Secs>, phase: &str, key: &str) -> Result<Duration, ScenarioError> {
        let (secs, shown) = match &value.value {
            Secs::Number(n) => (Some(*n), n.to_string()),
            Secs::Text(t) => {
                (t.trim().parse::<f64>().ok().or_else(|| duration::parse(t).map(|d| d.as_secs_f64())), format!("{t:?}"))
            }
        };
        match secs {
            Some(s) if s.is_finite() && (0.001..=31_536_000.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
            _ => Err(self
                .err(&value.referenced, format!("phase {phase:?} has {key} {shown}"))
                .expected("seconds above 0, or a duration such as 90s, 10m or 2h")),
        }
    }

    fn rate(&self, value: &Spanned<f64>, phase: &str, key: &str) -> Result<f64, ScenarioError> {
        let v = value.value;
        if v.is_finite() && (0.0..=1_000_000.0).contains(&v) {
            Ok(v)
        } else {
            Err(self
                .err(&value.referenced, format!("phase {phase:?} has {key} {v}"))
                .expected("arrivals per second between 0 and 1000000"))
        }
    }

    fn flow(&mut self, index: usize, scenario: &Spanned<RawScenario>) -> Result<OutFlow, ScenarioError> {
        let raw = &scenario.value;
        let name = raw.name.clone().unwrap_or_else(|| format!("scenario-{}", index + 1));
        if let Some(engine) = &raw.engine {
            if engine.value != "http" {
                return Err(self
                    .err(&engine.referenced, format!("scenario {name:?} uses the {:?} engine", engine.value))
                    .expected("the http engine")
                    .hint("proofdeck imports HTTP scenarios only"));
            }
        }
        let weight = match &raw.weight {
            Some(w) if w.value.is_finite() && w.value >= 0.0 => w.value,
            Some(w) => {
                return Err(self
                    .err(&w.referenced, format!("scenario {name:?} has weight {}", w.value))
                    .expected("a weight of 0 or more"))
            }
            None => 1.0,
        };
        let hook = "is not converted: JavaScript hooks do not run in proofdeck";
        self.unconverted(
            "",
            &[
                ("beforeScenario", &raw.before_scenario, hook),
                ("afterScenario", &raw.after_scenario, hook),
                ("beforeRequest", &raw.before_request, hook),
                ("afterResponse", &raw.after_response, hook),
            ],
        );
        let comments = self.take_notes();
        let Some(steps) = &raw.flow else {
            return Err(self
                .err(&scenario.referenced, format!("scenario {name:?} has no flow"))
                .expected("flow: a list of steps such as - get: { url: \"/\" }"));
        };
        let mut flow = OutFlow {
            line: line_of(&scenario.referenced),
            name,
            weight,
            kind: None,
            comments,
            steps: Vec::new(),
            trailing: Vec::new(),
            left_out: None,
        };
        let mut scope = Scope { role: None, captures: Vec::new() };
        for step in &steps.value {
            if let Some(out) = self.step(step, &mut scope)? {
                flow.steps.push(out);
            }
        }
        flow.trailing = self.take_notes();

        if flow.steps.is_empty() {
            let reason = format!("scenario {:?} has no request that converts; left out", flow.name);
            flow.left_out = Some(self.todo(flow.line, reason));
        } else if weight <= 0.0 {
            let reason = format!("scenario {:?} has weight 0 and never runs; left out", flow.name);
            flow.left_out = Some(self.todo(line_of(&scenario.referenced), reason));
        } else if flow.steps.iter().all(|s| matches!(s.expect.as_deref(), Some([403]))) {
            let proof = flow.steps.iter().any(|s| match &s.body {
                Some(Out::Table(entries)) => entries.iter().any(|(k, _)| k == "proof_payload"),
                _ => false,
            });
            flow.kind = Some(if proof { "security" } else { "denial" });
        }
        Ok(flow)
    }

    /// One flow item; `Some` for a request, `None` for what only leaves a comment.
    fn step(&mut self, step: &Spanned<RawFlowStep>, scope: &mut Scope) -> Result<Option<OutStep>, ScenarioError> {
        let s = &step.value;
        let line = line_of(&step.referenced);
        let requests: [(&str, &'static str, &Option<RawRequest>); 7] = [
            ("get", "GET", &s.get),
            ("post", "POST", &s.post),
            ("put", "PUT", &s.put),
            ("patch", "PATCH", &s.patch),
            ("delete", "DELETE", &s.delete),
            ("head", "HEAD", &s.head),
            ("options", "OPTIONS", &s.options),
        ];
        let others: [(&str, bool); 5] = [
            ("function", s.function.is_some()),
            ("think", s.think.is_some()),
            ("loop", s.loop_steps.is_some()),
            ("log", s.log.is_some()),
            ("parallel", s.parallel.is_some()),
        ];
        let actions: Vec<&str> = requests
            .iter()
            .filter(|(_, _, r)| r.is_some())
            .map(|(k, _, _)| *k)
            .chain(others.iter().filter(|(_, present)| *present).map(|(k, _)| *k))
            .collect();
        if actions.len() != 1 {
            let message = if actions.is_empty() {
                "this flow step has no action".to_string()
            } else {
                format!("this flow step has several actions: {}", actions.join(", "))
            };
            return Err(self
                .err(&step.referenced, message)
                .expected("one of get, post, put, patch, delete, head, options, function, think, loop, log, parallel")
                .hint("start each step with its own - in the flow list"));
        }
        let stray = [("count", &s.count), ("over", &s.over), ("whileTrue", &s.while_true)]
            .into_iter()
            .find_map(|(key, node)| node.as_ref().map(|n| (key, n)));
        if let (None, Some((key, node))) = (&s.loop_steps, stray) {
            return Err(self
                .err(&node.loc, format!("{key} outside a loop step"))
                .expected(format!("{key} next to loop: in the same step")));
        }
        let request = requests.iter().find_map(|&(_, method, r)| r.as_ref().map(|r| (method, r)));
        if let Some((method, request)) = request {
            return self.request(method, request, scope).map(Some);
        }
        if let Some(function) = &s.function {
            let name = function.value.trim();
            let at = line_of(&function.referenced);
            match ROLES.iter().position(|r| r.helpers.contains(&name)) {
                Some(role) => {
                    scope.role = Some(role);
                    self.roles_used[role] = true;
                    self.notes.push(format!(
                        "# line {at}: function {name} -> {{{{ {0}.token }}}} from the {0:?} pool (see [[setup]])",
                        ROLES[role].name
                    ));
                }
                None => self.note(
                    at,
                    format!("function {name:?} is not converted: processor JavaScript does not run in proofdeck"),
                ),
            }
        } else if let Some(think) = &s.think {
            self.note(
                line,
                format!("think {} is not converted: proofdeck flows send their steps back to back", summary(think)),
            );
        } else if let Some(body) = &s.loop_steps {
            let count = s.count.as_ref().map(|c| format!(", count {}", summary(c))).unwrap_or_default();
            self.note(
                line,
                format!(
                    "loop over {}{count} is not converted: repeat its steps in the flow or raise the flow's weight",
                    summary(body)
                ),
            );
        } else if let Some(log) = &s.log {
            self.note(line, format!("log {} is not converted", summary(log)));
        } else if let Some(parallel) = &s.parallel {
            self.note(
                line,
                format!("parallel {} is not converted: proofdeck sends a flow's steps in order", summary(parallel)),
            );
        }
        Ok(None)
    }

    fn request(&mut self, method: &'static str, req: &RawRequest, scope: &mut Scope) -> Result<OutStep, ScenarioError> {
        let before = self.take_notes();
        let path = self.path(&req.url, scope);
        let mut step = OutStep::new(method, &path);
        step.before = before;

        if let Some(headers) = &req.headers {
            let Yaml::Map(entries) = &headers.value else {
                return Err(self
                    .err(&headers.loc, "headers is not a mapping")
                    .expected("header names with their values"));
            };
            for (name, value) in entries {
                match value.scalar_text() {
                    Some(text) => {
                        let text = self.template(&text, value.line(), scope);
                        step.headers.push((name.clone(), text));
                    }
                    None => self.note(
                        value.line(),
                        format!("header {name}: {} is not a plain value; left out", summary(value)),
                    ),
                }
            }
        }
        for (name, text, line) in self.template_headers.clone() {
            if !step.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&name)) {
                let text = self.template(&text, line, scope);
                step.headers.push((name, text));
            }
        }
        if let Some(json) = &req.json {
            step.body = self.body(json, scope);
        }
        let tool = literal_field(step.body.as_ref(), "tool");
        let action = literal_field(step.body.as_ref(), "action");
        step.name = match (&req.name, &tool, &action) {
            (Some(name), _, _) => Some(name.clone()),
            (None, Some(tool), Some(action)) => Some(format!("{tool} {action}")),
            _ => None,
        };
        step.tool = tool;
        if let Some(expect) = &req.expect {
            step.expect = self.expect(expect)?;
        }
        let hook = "is not converted: JavaScript hooks do not run in proofdeck";
        self.unconverted(
            "",
            &[
                ("body", &req.body, "is not converted: proofdeck sends JSON bodies (json:)"),
                ("form", &req.form, "is not converted: proofdeck sends JSON bodies"),
                ("formData", &req.form_data, "is not converted: proofdeck sends JSON bodies"),
                ("qs", &req.qs, "is not converted: add the query string to the url"),
                ("cookie", &req.cookie, "is not converted: set a Cookie header"),
                ("auth", &req.auth, "is not converted: set an Authorization header"),
                ("beforeRequest", &req.before_request, hook),
                ("afterResponse", &req.after_response, hook),
                ("ifTrue", &req.if_true, "is not converted: the step always runs"),
                ("followRedirect", &req.follow_redirect, "is not converted"),
                ("gzip", &req.gzip, "is not converted"),
            ],
        );
        // Captures last: they are visible to later steps, not to this one.
        if let Some(captures) = &req.capture {
            for capture in &captures.0 {
                self.capture(capture, &req.url.referenced, scope, &mut step)?;
            }
        }
        step.inside = self.take_notes();
        Ok(step)
    }

    fn path(&mut self, url: &Spanned<String>, scope: &Scope) -> String {
        let line = line_of(&url.referenced);
        let raw = url.value.trim();
        let mut rest = raw;
        if let Some(target) = &self.target {
            if let Some(r) = raw.strip_prefix(target.as_str()) {
                if r.is_empty() || r.starts_with('/') || r.starts_with('?') {
                    rest = r;
                }
            }
        }
        let path = if let Some(after) = rest.strip_prefix("http://").or_else(|| rest.strip_prefix("https://")) {
            let path = after.find('/').map_or("/", |i| &after[i..]);
            self.note(
                line,
                format!("url {raw:?} is not under the target; proofdeck sends every step to the target, so only the path {path:?} is kept"),
            );
            path.to_string()
        } else if rest.is_empty() {
            "/".to_string()
        } else if rest.starts_with('/') {
            rest.to_string()
        } else if rest.starts_with('?') {
            format!("/{rest}")
        } else {
            self.note(line, format!("url {raw:?} does not start with /; a / is put in front"));
            format!("/{rest}")
        };
        self.template(&path, line, scope)
    }

    fn body(&mut self, node: &Node, scope: &Scope) -> Option<Out> {
        match &node.value {
            Yaml::Null => {
                self.note(node.line(), "null in a json body is left out: TOML has no null");
                None
            }
            Yaml::Bool(b) => Some(Out::Bool(*b)),
            Yaml::Int(i) => Some(Out::Int(*i)),
            Yaml::Float(f) => Some(Out::Float(*f)),
            Yaml::Str(s) => Some(Out::Str(self.template(s, node.line(), scope))),
            Yaml::Seq(items) => Some(Out::Array(items.iter().filter_map(|n| self.body(n, scope)).collect())),
            Yaml::Map(entries) => Some(Out::Table(
                entries.iter().filter_map(|(k, v)| self.body(v, scope).map(|b| (k.clone(), b))).collect(),
            )),
        }
    }

    fn expect(&mut self, node: &Node) -> Result<Option<Vec<u16>>, ScenarioError> {
        let entries: Vec<&Node> = match &node.value {
            Yaml::Seq(items) => items.iter().collect(),
            Yaml::Map(_) => vec![node],
            _ => {
                return Err(self
                    .err(&node.loc, format!("invalid expect {}", summary(node)))
                    .expected("a list of expectations such as - statusCode: 200"))
            }
        };
        let mut codes: Vec<u16> = Vec::new();
        for entry in entries {
            let Yaml::Map(pairs) = &entry.value else {
                return Err(self
                    .err(&entry.loc, format!("invalid expectation {}", summary(entry)))
                    .expected("a mapping such as statusCode: 200"));
            };
            for (key, value) in pairs {
                if key != "statusCode" {
                    let line = self.key_line(value, key);
                    self.note(
                        line,
                        format!(
                            "expect {key}: {} is not converted: proofdeck checks status codes only",
                            summary(value)
                        ),
                    );
                    continue;
                }
                let values: Vec<&Node> = match &value.value {
                    Yaml::Seq(items) => items.iter().collect(),
                    _ => vec![value],
                };
                for v in values {
                    let code = match &v.value {
                        Yaml::Int(i) => u16::try_from(*i).ok(),
                        Yaml::Str(s) => s.trim().parse::<u16>().ok(),
                        _ => None,
                    };
                    match code {
                        Some(c) if (100..=599).contains(&c) => {
                            if !codes.contains(&c) {
                                codes.push(c);
                            }
                        }
                        _ => {
                            return Err(self
                                .err(&v.loc, format!("invalid statusCode {}", summary(v)))
                                .expected("an HTTP status code from 100 to 599"))
                        }
                    }
                }
            }
        }
        Ok(if codes.is_empty() { None } else { Some(codes) })
    }

    fn capture(
        &mut self,
        capture: &RawCapture,
        fallback: &Location,
        scope: &mut Scope,
        step: &mut OutStep,
    ) -> Result<(), ScenarioError> {
        let sources: Vec<(&str, &Spanned<String>)> = [
            ("json", &capture.json),
            ("header", &capture.header),
            ("regexp", &capture.regexp),
            ("xpath", &capture.xpath),
            ("selector", &capture.selector),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|s| (k, s)))
        .collect();
        let loc = capture
            .name
            .as_ref()
            .map(|n| n.referenced)
            .or_else(|| sources.first().map(|(_, s)| s.referenced))
            .unwrap_or(*fallback);
        let Some(name) = &capture.name else {
            return Err(self.err(&loc, "capture has no `as`").expected("as: the variable to capture into"));
        };
        let var = name.value.trim().to_string();
        if var.is_empty() || !is_plain_name(&var) {
            return Err(self
                .err(&name.referenced, format!("capture into {:?}", name.value))
                .expected("a variable name of letters, digits, _ or -"));
        }
        match sources.as_slice() {
            [("json", path)] => match json_pointer(&path.value) {
                Some(pointer) => {
                    let secret = crate::redact::is_secret_key(&var);
                    match step.captures.iter_mut().find(|(v, _, _)| *v == var) {
                        Some(existing) => *existing = (var.clone(), pointer, secret),
                        None => step.captures.push((var.clone(), pointer, secret)),
                    }
                    if !scope.captures.contains(&var) {
                        scope.captures.push(var.clone());
                    }
                }
                None => self.note(
                    line_of(&path.referenced),
                    format!(
                        "capture {var:?} uses the JSONPath {:?}, which has no JSON pointer equivalent; not captured",
                        path.value
                    ),
                ),
            },
            [(kind, source)] => self.note(
                line_of(&source.referenced),
                format!(
                    "capture {var:?} by {kind} {:?} is not converted: proofdeck captures from JSON bodies",
                    source.value
                ),
            ),
            [] => {
                return Err(self
                    .err(&loc, format!("capture {var:?} names nothing to capture"))
                    .expected("json: \"$.path\" next to as:"))
            }
            several => {
                let kinds: Vec<&str> = several.iter().map(|(k, _)| *k).collect();
                return Err(self
                    .err(&loc, format!("capture {var:?} has several sources: {}", kinds.join(", ")))
                    .expected("one of json, header, regexp, xpath, selector"));
            }
        }
        let why = "is not converted";
        self.unconverted(
            &format!("capture {var}: "),
            &[
                ("transform", &capture.transform, why),
                ("strict", &capture.strict, why),
                ("group", &capture.group, why),
                ("flags", &capture.flags, why),
                ("attr", &capture.attr, why),
                ("index", &capture.index, why),
            ],
        );
        Ok(())
    }

    /// Rewrites `{{ … }}` expressions for proofdeck; what it cannot evaluate becomes a TODO.
    fn template(&mut self, text: &str, line: usize, scope: &Scope) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                self.note(line, format!("unclosed {{{{ in {text:?}; the braces are left out"));
                out.push_str(after);
                return out;
            };
            let expr = after[..close].trim();
            let replaced = self.expression(expr, line, scope);
            out.push_str(&replaced);
            rest = &after[close + 2..];
        }
        out.push_str(rest);
        out
    }

    fn expression(&mut self, expr: &str, line: usize, scope: &Scope) -> String {
        if matches!(expr, "$uuid" | "uuid" | "$uuid()" | "$randomUUID()") {
            return "{{ uuid }}".to_string();
        }
        if expr.contains("$prevResponse") {
            self.note(
                line,
                format!("{{{{ {expr} }}}} uses $prevResponse, which proofdeck does not have; replaced by the text {PREV_RESPONSE:?}: capture the value in the earlier step and use {{{{ name }}}}"),
            );
            return PREV_RESPONSE.to_string();
        }
        if !is_plain_name(expr) {
            self.note(
                line,
                format!(
                    "{{{{ {expr} }}}} is an expression proofdeck cannot evaluate; replaced by the text {UNSUPPORTED:?}"
                ),
            );
            return UNSUPPORTED.to_string();
        }
        if scope.captures.iter().any(|c| c == expr) {
            return format!("{{{{ {expr} }}}}");
        }
        if let (Some(role), Some(field)) = (scope.role, token_field(expr)) {
            return format!("{{{{ {}.{field} }}}}", ROLES[role].name);
        }
        if !self.var_names.iter().any(|v| v == expr) {
            let comment = self.todo(
                line,
                format!("{{{{ {expr} }}}} is not defined in config.variables (in Artillery a processor function or payload file sets it); a placeholder list stands in [vars]: put real values there"),
            );
            self.var_names.push(expr.to_string());
            self.vars.push(OutVar {
                comments: vec![comment],
                name: expr.to_string(),
                values: vec![Out::Str(format!("todo-{expr}"))],
            });
        }
        format!("{{{{ {expr} }}}}")
    }

    // -----------------------------------------------------------------------------------------
    // TOML output.

    fn render(
        &self,
        head: &[String],
        default_headers: &[(String, String)],
        timeout: Option<&str>,
        phases: &[OutPhase],
        flows: &[OutFlow],
        todo_count: usize,
    ) -> String {
        let mut out = String::new();
        let file_name =
            self.file.file_name().map_or_else(|| self.file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let stem = self.file.file_stem().map_or("artillery".into(), |s| s.to_string_lossy().into_owned());
        emit(&mut out, format!("# Imported from the Artillery script {file_name} by `proofdeck import artillery`."));
        if todo_count > 0 {
            emit(
                &mut out,
                format!("# {todo_count} part(s) did not convert: see the \"# TODO (line N)\" comments, N being the YAML line."),
            );
        }
        emit(&mut out, format!("name = {}", toml_string(&stem)));
        emit(
            &mut out,
            format!("description = {}", toml_string(&format!("Imported from the Artillery script {file_name}"))),
        );
        if let Some(target) = &self.target {
            emit(&mut out, format!("target = {}", toml_string(target)));
        }
        for c in head {
            emit(&mut out, c);
        }

        if !default_headers.is_empty() || timeout.is_some() {
            emit(&mut out, "");
            emit(&mut out, "[defaults]");
            if !default_headers.is_empty() {
                let pairs: Vec<String> =
                    default_headers.iter().map(|(k, v)| format!("{} = {}", toml_key(k), toml_string(v))).collect();
                emit(&mut out, format!("headers = {{ {} }}", pairs.join(", ")));
            }
            if let Some(t) = timeout {
                emit(&mut out, format!("timeout = {}", toml_string(t)));
            }
        }

        if !self.vars.is_empty() {
            emit(&mut out, "");
            emit(&mut out, "[vars]");
            for var in &self.vars {
                for c in &var.comments {
                    emit(&mut out, c);
                }
                emit(&mut out, format!("{} = {}", toml_key(&var.name), inline(&Out::Array(var.values.clone()))));
            }
        }

        for phase in phases {
            emit(&mut out, "");
            emit(&mut out, "[[phase]]");
            for c in &phase.comments {
                emit(&mut out, c);
            }
            emit(&mut out, format!("name = {}", toml_string(&phase.name)));
            emit(&mut out, format!("duration = {}", toml_string(&duration::format(phase.duration))));
            emit(&mut out, format!("rate = {}", number(phase.rate)));
            if let Some(r) = phase.ramp_to {
                emit(&mut out, format!("ramp_to = {}", number(r)));
            }
        }

        let roles: Vec<usize> = (0..ROLES.len()).filter(|&r| self.roles_used[r]).collect();
        if !roles.is_empty() {
            render_setup(&mut out, &roles);
        }

        for flow in flows {
            emit(&mut out, "");
            match &flow.left_out {
                Some(reason) => {
                    emit(&mut out, reason);
                    let mut inner = String::new();
                    render_flow(&mut inner, flow);
                    for l in inner.lines() {
                        if l.starts_with('#') {
                            emit(&mut out, l);
                        } else {
                            emit(&mut out, format!("# {l}"));
                        }
                    }
                }
                None => render_flow(&mut out, flow),
            }
        }
        out
    }
}

/// The token helpers' setup: a policy per role, then an agent pool with tokens per role.
fn render_setup(out: &mut String, roles: &[usize]) {
    emit(out, "");
    emit(out, "# The gateway campaign's token helpers (getTokenScraper and friends) become setup: a policy");
    emit(out, "# per role, then a pool of agents with tokens per role; each flow iteration draws an entry.");
    emit(out, "[[setup]]");
    emit(out, "name = \"policies\"");
    for &r in roles {
        let role = &ROLES[r];
        let mut step = OutStep::new("POST", "/api/policies");
        step.name = Some(format!("{} policy", role.name));
        step.body = Some(table(vec![
            ("name", Out::Str(format!("proofdeck-{}", role.name))),
            ("role", string(role.name)),
            ("spec", table(vec![("scopes", strings(role.scopes))])),
        ]));
        step.expect = Some(vec![201]);
        render_step(out, "setup.step", &step);
    }
    for &r in roles {
        let role = &ROLES[r];
        emit(out, "");
        emit(out, "[[setup]]");
        emit(out, format!("name = \"{} agents\"", role.name));
        emit(out, format!("pool = \"{}\"", role.name));
        emit(out, "# \"auto\" sizes the pool from the phases' peak rate for the gateway's limit of 5 proxy");
        emit(out, "# calls per 60 s per agent; against a gateway without that limit, a count will do.");
        emit(out, "repeat = \"auto\"");
        emit(out, "rate_limit_calls = 5");
        emit(out, "rate_limit_window = \"60s\"");

        let mut create = OutStep::new("POST", "/api/create-agent");
        create.name = Some(format!("create {}", role.name));
        create.body = Some(table(vec![
            ("name", Out::Str(format!("proofdeck-{}-{SEQ}", role.name))),
            ("created_by", string("proofdeck")),
            ("role", string(role.name)),
        ]));
        create.expect = Some(vec![201]);
        create.captures = vec![("agent_id".into(), "/agent_id".into(), false)];
        render_step(out, "setup.step", &create);

        let mut token = OutStep::new("POST", "/api/generate-token");
        token.name = Some(format!("{} token", role.name));
        token.body = Some(table(vec![
            ("agent_id", string("{{ agent_id }}")),
            ("tools", strings(role.tools)),
            ("permissions", strings(role.permissions)),
            ("expires_at", string("{{ now+2h }}")),
        ]));
        token.expect = Some(vec![201]);
        token.captures =
            vec![("token".into(), "/agent_token".into(), true), ("token_id".into(), "/token_id".into(), false)];
        render_step(out, "setup.step", &token);
    }
}

fn render_flow(out: &mut String, flow: &OutFlow) {
    emit(out, format!("# Artillery scenario at line {}", flow.line));
    emit(out, "[[flow]]");
    emit(out, format!("name = {}", toml_string(&flow.name)));
    emit(out, format!("weight = {}", number(flow.weight)));
    if let Some(kind) = flow.kind {
        emit(out, format!("kind = \"{kind}\""));
    }
    for c in &flow.comments {
        emit(out, c);
    }
    for step in &flow.steps {
        render_step(out, "flow.step", step);
    }
    for c in &flow.trailing {
        emit(out, c);
    }
}

fn render_step(out: &mut String, header: &str, step: &OutStep) {
    for c in &step.before {
        emit(out, c);
    }
    emit(out, format!("[[{header}]]"));
    for c in &step.inside {
        emit(out, c);
    }
    if let Some(name) = &step.name {
        emit(out, format!("name = {}", toml_string(name)));
    }
    if let Some(tool) = &step.tool {
        emit(out, format!("tool = {}", toml_string(tool)));
    }
    emit(out, format!("method = {}", toml_string(step.method)));
    emit(out, format!("path = {}", toml_string(&step.path)));
    if !step.headers.is_empty() {
        let pairs: Vec<String> =
            step.headers.iter().map(|(k, v)| format!("{} = {}", toml_key(k), toml_string(v))).collect();
        emit(out, format!("headers = {{ {} }}", pairs.join(", ")));
    }
    if let Some(body) = &step.body {
        emit(out, format!("body = {}", inline(body)));
    }
    if let Some(codes) = &step.expect {
        let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
        emit(out, format!("expect = [{}]", codes.join(", ")));
    }
    if !step.captures.is_empty() {
        let pairs: Vec<String> = step
            .captures
            .iter()
            .map(|(var, pointer, secret)| {
                if *secret {
                    format!("{} = {{ pointer = {}, secret = true }}", toml_key(var), toml_string(pointer))
                } else {
                    format!("{} = {}", toml_key(var), toml_string(pointer))
                }
            })
            .collect();
        emit(out, format!("capture = {{ {} }}", pairs.join(", ")));
    }
}

fn emit(out: &mut String, text: impl AsRef<str>) {
    out.push_str(text.as_ref());
    out.push('\n');
}

/// A TOML basic string, escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        toml_string(k)
    }
}

/// A rate or weight: integers without a fraction.
fn number(v: f64) -> String {
    format!("{v}")
}

fn toml_float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        let text = if v > 0.0 { "inf" } else { "-inf" };
        text.to_string()
    } else {
        // Debug keeps a fraction or exponent (`1.0`, `1e21`), so the value stays a float.
        format!("{v:?}")
    }
}

/// A TOML inline value (inline tables stay on one line).
fn inline(v: &Out) -> String {
    match v {
        Out::Str(s) => toml_string(s),
        Out::Int(i) => i.to_string(),
        Out::Float(f) => toml_float(*f),
        Out::Bool(b) => b.to_string(),
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

fn scalar_out(node: &Node) -> Option<Out> {
    match &node.value {
        Yaml::Str(s) => Some(Out::Str(s.clone())),
        Yaml::Int(i) => Some(Out::Int(*i)),
        Yaml::Float(f) => Some(Out::Float(*f)),
        Yaml::Bool(b) => Some(Out::Bool(*b)),
        _ => None,
    }
}

/// A body field's literal string value (no template), e.g. the `tool` label.
fn literal_field(body: Option<&Out>, key: &str) -> Option<String> {
    let Some(Out::Table(entries)) = body else {
        return None;
    };
    entries.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
        Out::Str(s) if !s.is_empty() && !s.contains("{{") => Some(s.clone()),
        _ => None,
    })
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A simple JSONPath (`$.a.b`, `$.items[0].id`, `$['a b']`) as a JSON pointer (`/a/b`);
/// `None` for wildcards, filters, slices and recursive descent.
fn json_pointer(path: &str) -> Option<String> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut pointer = String::new();
    while !rest.is_empty() {
        let segment = if rest.starts_with("..") {
            return None;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            rest = &r[end..];
            &r[..end]
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            rest = &r[end + 1..];
            if let Some(quoted) = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
            {
                quoted
            } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                inner
            } else {
                return None;
            }
        } else {
            return None;
        };
        if segment.is_empty() || segment == "*" {
            return None;
        }
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    Some(pointer)
}

/// Whether this source line declares `key:` (possibly quoted, possibly after `- `).
fn declares_key(line: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = line[from..].find(key) {
        let start = from + i;
        let end = start + key.len();
        let before_ok =
            line[..start].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        let after = line[end..].trim_start_matches(['"', '\'']).trim_start();
        if before_ok && after.starts_with(':') {
            return true;
        }
        from = end;
    }
    false
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// Locations and YAML errors.

/// The byte range of a serde-saphyr location in `source`: its byte span when it has one,
/// otherwise the byte offset of its (1-based, character-counted) line and column.
fn range_of(source: &str, loc: &Location) -> Option<Range<usize>> {
    let line = usize::try_from(loc.line()).ok()?;
    if line == 0 {
        return None;
    }
    let span = loc.span();
    if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let start = usize::try_from(offset).ok()?;
        let end = start.saturating_add(usize::try_from(len).ok()?);
        if end <= source.len()
            && source.is_char_boundary(start)
            && source.is_char_boundary(end)
            && source[..start].matches('\n').count() + 1 == line
        {
            return Some(start..end);
        }
    }
    let column = usize::try_from(loc.column()).unwrap_or(1);
    let start = byte_offset(source, line, column);
    Some(start..start)
}

/// The byte offset of a 1-based line and character column.
fn byte_offset(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, text) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let content = text.trim_end_matches(['\n', '\r']);
            let col = column.saturating_sub(1);
            return offset + content.char_indices().nth(col).map_or(content.len(), |(b, _)| b);
        }
        offset += text.len();
    }
    source.len()
}

/// The key declared on the line holding byte `at`, for messages (`arrivalRate: …`).
fn key_on_line(source: &str, at: usize) -> Option<String> {
    let at = at.min(source.len());
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = source[start..].lines().next()?;
    let mut text = line.trim_start();
    while let Some(r) = text.strip_prefix("- ") {
        text = r.trim_start();
    }
    let (key, _) = text.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    is_plain_name(key).then(|| key.to_string())
}

/// serde-saphyr's error as a located `ScenarioError`.
fn yaml_error(file: &Path, source: &str, err: &serde_saphyr::Error) -> ScenarioError {
    use serde_saphyr::Error as E;
    use serde_saphyr::MessageFormatter as _;
    let span = err.location().and_then(|loc| range_of(source, &loc));
    let key = span.as_ref().and_then(|s| key_on_line(source, s.start));
    let at = |message: String| ScenarioError::at(file, source, span.clone(), message);
    let with_key = |message: String| match &key {
        Some(k) => format!("{k}: {message}"),
        None => message,
    };
    let mut inner = err;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => at(format!("unknown key `{field}`"))
            .expected(if expected.is_empty() {
                "no keys here".to_string()
            } else {
                format!("one of {}", expected.join(", "))
            })
            .hint("Artillery keys are case-sensitive (arrivalRate, rampTo, statusCode); the importer reads Artillery's HTTP engine"),
        E::SerdeMissingField { field, .. } => at(format!("missing key `{field}`"))
            .hint("every request needs a url; the script needs config"),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => at(with_key(format!("wrong type: {unexpected}"))).expected(expected.clone()),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => at(with_key(format!("invalid value: {unexpected}"))).expected(expected.clone()),
        E::InvalidScalar { ty, .. } => {
            let text = span
                .as_ref()
                .and_then(|s| source.get(s.clone()))
                .filter(|t| !t.is_empty())
                .map_or_else(|| "the value".to_string(), one_line);
            let expected = if ty.contains("float") || ty.contains("int") || ty.starts_with(['u', 'i']) {
                "a number".to_string()
            } else {
                format!("a {ty} value")
            };
            at(with_key(format!("{text} is not a valid {ty}"))).expected(expected)
        }
        other => {
            let message = serde_saphyr::DefaultMessageFormatter.format_message(other);
            at(format!("invalid YAML: {}", one_line(&message)))
                .hint("check the indentation and the quoting around this spot")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::template::Template;
    use crate::scenario::FlowKind;
    use std::path::PathBuf;

    fn fixture(name: &str) -> (PathBuf, String) {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/artillery")).join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (path, text)
    }

    fn gateway() -> (PathBuf, Conversion) {
        let (path, yaml) = fixture("gateway-artillery.yml");
        let conversion = convert(&path, &yaml).unwrap_or_else(|e| panic!("{e}"));
        (path, conversion)
    }

    fn todo_line(conversion: &Conversion, needle: &str) -> usize {
        conversion
            .todos
            .iter()
            .find(|t| t.what.contains(needle))
            .unwrap_or_else(|| panic!("no TODO about {needle:?} in {:#?}", conversion.todos))
            .line
    }

    fn inline_error(yaml: &str) -> ScenarioError {
        match convert(Path::new("inline.yml"), yaml) {
            Ok(c) => panic!("should not convert:\n{}", c.toml),
            Err(e) => e,
        }
    }

    #[test]
    fn the_gateway_fixture_converts_to_a_scenario_that_validates() {
        let (path, conversion) = gateway();
        let toml_path = path.with_extension("toml");
        let s =
            crate::scenario::parse(&toml_path, &conversion.toml).unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));

        assert_eq!(s.target.as_deref(), Some("http://localhost:3000"));
        assert_eq!(s.defaults.headers, [("Content-Type".to_string(), "application/json".to_string())]);

        let phases: Vec<(&str, u64, f64, Option<f64>)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate, p.ramp_to)).collect();
        assert_eq!(
            phases,
            [("baseline-ramp", 600, 1.0, Some(50.0)), ("spike", 120, 150.0, None), ("soak", 7200, 15.0, None),]
        );

        let flows: Vec<(&str, f64)> = s.flows.iter().map(|f| (f.name.as_str(), f.weight)).collect();
        assert_eq!(
            flows,
            [
                ("scraper-serpapi", 4.0),
                ("enricher-http-openai", 3.0),
                ("engager-gmail", 1.0),
                ("denial-tests", 1.0),
                ("chaos-retryable", 1.0),
                ("cache-test", 2.0),
                ("security-test", 1.0),
            ]
        );
        let tools: Vec<Vec<&str>> =
            s.flows.iter().map(|f| f.steps.iter().map(|st| st.tool.as_deref().unwrap_or("-")).collect()).collect();
        assert_eq!(
            tools,
            [
                vec!["serpapi"],
                vec!["http_fetch", "openai"],
                vec!["gmail_send"],
                vec!["gmail_send"],
                vec!["http_fetch"],
                vec!["serpapi"],
                vec!["serpapi"],
            ]
        );
        for flow in &s.flows {
            for step in &flow.steps {
                assert_eq!(step.method, http::Method::POST, "{}", flow.name);
                assert_eq!(step.path, Template::literal("/api/proxy-request"));
            }
        }
        let kind = |name: &str| s.flows.iter().find(|f| f.name == name).unwrap().kind;
        assert_eq!(kind("denial-tests"), FlowKind::Denial);
        assert_eq!(kind("security-test"), FlowKind::Security);
        assert_eq!(kind("scraper-serpapi"), FlowKind::Happy);
        assert_eq!(kind("chaos-retryable"), FlowKind::Happy);
        let expects = |name: &str| s.flows.iter().find(|f| f.name == name).unwrap().steps[0].expect.clone();
        assert_eq!(expects("denial-tests"), [403]);
        assert_eq!(expects("chaos-retryable"), [200]);

        // The token helpers became setup: a policy per role and an agent pool per role.
        let pools: Vec<(&str, Vec<&str>)> =
            s.pools.iter().map(|p| (p.name.as_str(), p.fields.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            pools,
            [
                ("scraper", vec!["agent_id", "token", "token_id"]),
                ("enricher", vec!["agent_id", "token", "token_id"]),
                ("engager", vec!["agent_id", "token", "token_id"]),
            ]
        );
        let token_captures =
            s.setup.iter().flat_map(|g| &g.steps).flat_map(|st| &st.captures).filter(|c| c.pointer == "/agent_token");
        assert!(
            token_captures.clone().count() == 3 && token_captures.clone().all(|c| c.secret),
            "tokens are captured as secrets"
        );

        let setup: Vec<&str> = s.setup.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(setup, ["policies", "scraper agents", "enricher agents", "engager agents"]);
        assert_eq!(s.setup[0].steps.len(), 3);
        assert!(matches!(s.setup[1].repeat, crate::scenario::Repeat::Auto { calls: 5, .. }));
        let pool_of = |flow: &str, step: usize| {
            let f = s.flows.iter().find(|f| f.name == flow).unwrap();
            f.steps[step].pools.iter().map(|&p| s.pools[p].name.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(pool_of("scraper-serpapi", 0), ["scraper"]);
        assert_eq!(pool_of("enricher-http-openai", 1), ["enricher"]);
        assert_eq!(pool_of("engager-gmail", 0), ["engager"]);
        assert_eq!(pool_of("denial-tests", 0), ["scraper"]);
        assert!(conversion.toml.contains("agent_token = \"{{ scraper.token }}\""));
        assert!(!conversion.toml.contains("{{ token }}"));
        assert!(conversion.toml.contains("subject = \"Hello {{ uuid }}\""));
    }

    #[test]
    fn what_does_not_convert_is_listed_with_its_yaml_line() {
        let (_, conversion) = gateway();
        assert_eq!(todo_line(&conversion, "$prevResponse"), 60);
        assert_eq!(todo_line(&conversion, "hasProperty"), 106);
        assert_eq!(todo_line(&conversion, "config.plugins"), 17);
        assert_eq!(todo_line(&conversion, "config.processor"), 19);
        // Variables the processor set in Artillery get a placeholder, at their first use.
        assert_eq!(todo_line(&conversion, "{{ keyword }}"), 33);
        assert_eq!(todo_line(&conversion, "{{ cacheKeyword }}"), 119);
        for todo in &conversion.todos {
            let comment = format!("# TODO (line {}): {}", todo.line, todo.what);
            assert!(conversion.toml.contains(&comment), "missing {comment:?}");
        }
        assert!(conversion.todos.windows(2).all(|w| w[0].line <= w[1].line));
        // The expression is replaced by plain text, so the body still loads.
        assert!(conversion.toml.contains("input = \"Summarize the following: previous-response\""));
        // The known helpers are not TODOs.
        assert!(!conversion.todos.iter().any(|t| t.what.contains("getToken")));
    }

    #[test]
    fn conversion_is_deterministic() {
        assert_eq!(gateway().1, gateway().1);
    }

    #[test]
    fn steps_and_hooks_that_do_not_convert_become_todos() {
        let yaml = "\
config:
  target: \"http://localhost:3000/\"
  phases:
    - pause: 5
    - duration: \"30s\"
      arrivalCount: 60
  variables:
    user: [\"ann\", \"bob\"]
scenarios:
  - flow:
      - function: \"signUp\"
      - think: 2
      - get:
          url: \"/users/{{ user }}\"
          capture:
            - json: \"$.items[0].id\"
              as: \"itemId\"
            - header: \"x-trace\"
              as: \"trace\"
          beforeRequest: \"sign\"
      - loop:
          - get:
              url: \"/items/{{ itemId }}\"
        count: 3
      - get:
          url: \"http://localhost:3000/items/{{ itemId }}?n={{ $randomNumber(1, 9) }}\"
";
        let conversion = convert(Path::new("steps.yml"), yaml).unwrap_or_else(|e| panic!("{e}"));
        let s = crate::scenario::parse(Path::new("steps.toml"), &conversion.toml)
            .unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));
        assert_eq!(todo_line(&conversion, "signUp"), 11);
        assert_eq!(todo_line(&conversion, "think"), 12);
        assert_eq!(todo_line(&conversion, "by header"), 18);
        assert_eq!(todo_line(&conversion, "beforeRequest"), 20);
        assert_eq!(todo_line(&conversion, "loop"), 21);
        assert_eq!(todo_line(&conversion, "$randomNumber"), 26);

        let phases: Vec<(&str, u64, f64)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate)).collect();
        assert_eq!(phases, [("phase-1", 5, 0.0), ("phase-2", 30, 2.0)]);
        assert_eq!(s.list_names, ["user"]);
        assert_eq!(s.flows.len(), 1);
        assert_eq!(s.flows[0].name, "scenario-1");
        assert_eq!(s.flows[0].steps.len(), 2);
        assert_eq!(s.flows[0].steps[0].captures[0].pointer, "/items/0/id");
        assert!(conversion.toml.contains("path = \"/items/{{ itemId }}?n=TODO\""));
    }

    #[test]
    fn a_merge_key_works() {
        let yaml = "\
config:
  target: \"http://localhost:3000\"
  phases:
    - &warm
      name: warm
      duration: 60
      arrivalRate: 5
    - <<: *warm
      name: hot
      arrivalRate: 20
scenarios:
  - name: search
    flow:
      - post:
          url: \"/api/proxy-request\"
          json: &search
            tool: serpapi
            action: search
            params: { q: rust }
      - post:
          url: \"/api/proxy-request\"
          json:
            <<: *search
            action: lookup
";
        let conversion = convert(Path::new("merge.yml"), yaml).unwrap_or_else(|e| panic!("{e}"));
        let s = crate::scenario::parse(Path::new("merge.toml"), &conversion.toml)
            .unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));
        let phases: Vec<(&str, u64, f64)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate)).collect();
        assert_eq!(phases, [("warm", 60, 5.0), ("hot", 60, 20.0)]);
        let steps: Vec<(&str, Option<&str>)> =
            s.flows[0].steps.iter().map(|st| (st.name.as_str(), st.tool.as_deref())).collect();
        assert_eq!(steps, [("serpapi search", Some("serpapi")), ("serpapi lookup", Some("serpapi"))]);
        assert!(conversion.toml.contains("params = { q = \"rust\" }"), "{}", conversion.toml);
        assert!(conversion.todos.is_empty(), "{:#?}", conversion.todos);
    }

    #[test]
    fn malformed_yaml_is_located() {
        let e = inline_error(
            "config:\n  target: \"http://localhost:3000\"\n  phases:\n    - duration: 60\n      name: warm: up\n",
        );
        assert_eq!((e.line, e.column), (5, 17), "{e}");
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }

    #[test]
    fn an_unknown_key_under_a_step_is_located() {
        let e = inline_error(
            "config:\n  phases:\n    - { duration: 60, arrivalRate: 5 }\nscenarios:\n  - flow:\n      - post:\n          url: \"/x\"\n          jsno: { a: 1 }\n",
        );
        assert_eq!((e.line, e.column), (8, 11), "{e}");
        assert!(e.message.contains("unknown key `jsno`"), "{e}");
        assert!(e.expected.as_deref().is_some_and(|x| x.contains("json")), "{e}");
    }

    #[test]
    fn a_wrong_type_is_located() {
        let e = inline_error(
            "config:\n  phases:\n    - duration: 60\n      arrivalRate: \"fast\"\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n",
        );
        assert_eq!(e.line, 4, "{e}");
        assert!((20..=21).contains(&e.column), "{e}");
        assert!(e.message.contains("arrivalRate"), "{e}");
        assert_eq!(e.expected.as_deref(), Some("a number"), "{e}");
    }

    #[test]
    fn invalid_fixtures_fail_with_located_errors() {
        let cases: &[(&str, usize, &str)] = &[
            ("bad-yaml.yml", 6, "invalid YAML"),
            ("unknown-key.yml", 11, "unknown key `jsno`"),
            ("wrong-type.yml", 5, "arrivalRate"),
        ];
        for (name, line, needle) in cases {
            let (path, yaml) = fixture(name);
            let e = match convert(&path, &yaml) {
                Ok(c) => panic!("{name} should not convert:\n{}", c.toml),
                Err(e) => e,
            };
            assert_eq!(e.line, *line, "{name}: {e}");
            assert!(e.column > 1, "{name}: {e}");
            assert!(e.message.contains(needle), "{name}: {e}");
            assert!(e.to_string().contains(&format!("{}:{line}:", path.display())), "{name}: {e}");
        }
    }

    #[test]
    fn semantic_mistakes_are_located_too() {
        let e = inline_error("config:\n  phases:\n    - duration: \"ten\"\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n");
        assert_eq!(e.line, 3, "{e}");
        let e = inline_error("config:\n  phases:\n    - duration: 60\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n        think: 1\n");
        assert!(e.message.contains("several actions"), "{e}");
        assert_eq!(e.line, 7, "{e}");
        let e = inline_error("config:\n  phases:\n    - duration: 60\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get:\n          url: \"/\"\n          expect:\n            - statusCode: 999\n");
        assert_eq!(e.line, 10, "{e}");
    }

    #[test]
    fn json_paths_become_pointers() {
        assert_eq!(json_pointer("$.agent_token").as_deref(), Some("/agent_token"));
        assert_eq!(json_pointer("$.data.items[2].id").as_deref(), Some("/data/items/2/id"));
        assert_eq!(json_pointer("$['a/b'].c").as_deref(), Some("/a~1b/c"));
        assert_eq!(json_pointer("$").as_deref(), Some(""));
        assert_eq!(json_pointer("$..id"), None);
        assert_eq!(json_pointer("$.items[*].id"), None);
        assert_eq!(json_pointer("id"), None);
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(toml_key("Content-Type"), "Content-Type");
        assert_eq!(toml_key("a b"), "\"a b\"");
        assert_eq!(toml_float(1.0), "1.0");
        assert_eq!(number(50.0), "50");
        let parsed: toml::Table = toml::from_str(&format!("s = {}", toml_string("q\"\\\t\u{7f}é"))).unwrap();
        assert_eq!(parsed["s"].as_str(), Some("q\"\\\t\u{7f}é"));
    }
}
