//! Loading a scenario file: TOML → raw structs (serde, with spans) → validated `Scenario`.
//! Every mistake becomes a `ScenarioError` pointing at its line and column.

use super::duration;
use super::error::ScenarioError;
use super::model::*;
use super::template::{tokenize, Body, Part, Template, TemplateSyntaxError, VarRef};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// The effect check needs a few seconds of traffic on each side; ten minutes is a soak's worth.
const MIN_EFFECT_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);
const MAX_EFFECT_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    target: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<Vec<toml::Value>>>,
    #[serde(default)]
    setup: Vec<RawSetup>,
    #[serde(default, rename = "phase")]
    phases: Vec<RawPhase>,
    #[serde(default, rename = "flow")]
    flows: Vec<RawFlow>,
    #[serde(default)]
    chaos: Vec<RawChaos>,
    #[serde(default)]
    kpi: RawKpi,
    #[serde(default)]
    gateway: RawGateway,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout: Option<Spanned<String>>,
    max_inflight: Option<usize>,
    effect_window: Option<Spanned<String>>,
    http2: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    name: String,
    duration: Spanned<String>,
    rate: Spanned<f64>,
    ramp_to: Option<Spanned<f64>>,
    kpi: Option<bool>,
    kind: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRepeat {
    Count(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetup {
    name: String,
    repeat: Option<Spanned<RawRepeat>>,
    pool: Option<Spanned<String>>,
    /// For `repeat = "auto"`: the target's per-agent limit.
    rate_limit_calls: Option<u32>,
    rate_limit_window: Option<Spanned<String>>,
    #[serde(rename = "step")]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: String,
    weight: Spanned<f64>,
    kind: Option<FlowKind>,
    #[serde(rename = "step")]
    steps: Spanned<Vec<RawStep>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawExpect {
    One(i64),
    Many(Vec<i64>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCapture {
    Pointer(String),
    Detailed {
        pointer: String,
        #[serde(default)]
        secret: bool,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    method: Option<Spanned<String>>,
    path: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    body: Option<Spanned<toml::Value>>,
    tool: Option<String>,
    expect: Option<Spanned<RawExpect>>,
    #[serde(default)]
    capture: BTreeMap<String, Spanned<RawCapture>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChaos {
    at: Spanned<String>,
    tool: String,
    mode: Spanned<String>,
    pct: Spanned<f64>,
    #[serde(rename = "for")]
    duration: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKpi {
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    success_pct: Option<f64>,
    fast_fail_ms: Option<f64>,
    retry_resolve_pct: Option<f64>,
    denied_pct: Option<f64>,
    provenance_mismatches: Option<f64>,
    cache_hit_pct: Option<f64>,
    memory_growth_pct: Option<f64>,
    soak_min: Option<Spanned<String>>,
    breaker_changes: Option<f64>,
    event_loop_lag_ms: Option<f64>,
    cache_speedup_pct: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    rate_limit: Option<bool>,
    latency_scale: Option<Spanned<f64>>,
    chaos_scale: Option<Spanned<f64>>,
    breaker_open: Option<Spanned<String>>,
}

pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::whole_file(path, format!("cannot read scenario: {e}")))?;
    parse(path, &source)
}

pub fn parse(file: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(source).map_err(|e| {
        let message = e.message().trim().to_string();
        let hint = hint_for_serde(&message);
        let err = ScenarioError::at(file, source, e.span(), message);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    })?;
    Loader { file, source }.validate(raw)
}

fn hint_for_serde(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("check the spelling; the scenario format is described in the README".into())
    } else if message.contains("missing field") {
        Some("add the field; every phase needs name, duration and rate, every step a path".into())
    } else if message.contains("did not match any variant of untagged enum RawExpect") {
        Some("expect takes a status code or a list of them, e.g. expect = [200, 201]".into())
    } else {
        None
    }
}

struct Loader<'a> {
    file: &'a Path,
    source: &'a str,
}

/// Names a template may use, and where each resolves.
struct Scope<'a> {
    lists: &'a [String],
    pools: &'a [Pool],
    /// Capture names visible so far in this flow or setup group, by slot.
    captures: Vec<String>,
}

impl<'a> Loader<'a> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.source, Some(span), message)
    }

    fn duration(&self, text: &Spanned<String>, what: &str) -> Result<std::time::Duration, ScenarioError> {
        duration::parse(text.get_ref()).ok_or_else(|| {
            self.err(text.span(), format!("invalid {what} {:?}", text.get_ref()))
                .expected("a duration like 90s, 10m, 1h30m or 250ms, at most 8760h")
        })
    }

    fn validate(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let name = raw
            .name
            .unwrap_or_else(|| self.file.file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned()));
        if let Some(t) = &raw.target {
            if let Err(e) = super::target::check(t.get_ref()) {
                return Err(self.err(t.span(), e.to_string()).expected("an http:// or https:// base URL"));
            }
        }
        let profile = match &raw.profile {
            Some(p) if !["4runr", "generic"].contains(&p.get_ref().as_str()) && !p.get_ref().ends_with(".toml") => {
                return Err(self
                    .err(p.span(), format!("unknown profile {:?}", p.get_ref()))
                    .expected("\"4runr\", \"generic\" or a path to a profile .toml file"))
            }
            Some(p) => p.get_ref().clone(),
            None => "4runr".into(),
        };
        let timeout = match &raw.defaults.timeout {
            Some(t) => self.duration(t, "timeout")?,
            None => std::time::Duration::from_secs(30),
        };
        let effect_window = match &raw.defaults.effect_window {
            Some(w) => {
                let window = self.duration(w, "effect_window")?;
                if !(MIN_EFFECT_WINDOW..=MAX_EFFECT_WINDOW).contains(&window) {
                    return Err(self.err(w.span(), "effect_window is out of range").expected("between 1s and 10m"));
                }
                window
            }
            None => std::time::Duration::from_secs(10),
        };
        let defaults = Defaults {
            headers: raw.defaults.headers.into_iter().collect(),
            timeout,
            max_inflight: raw.defaults.max_inflight.unwrap_or(10_000).max(1),
            effect_window,
            http2: raw.defaults.http2.unwrap_or(false),
        };
        let list_names: Vec<String> = raw.vars.keys().cloned().collect();
        let mut lists = Vec::new();
        for (name, values) in &raw.vars {
            if values.get_ref().is_empty() {
                return Err(self.err(values.span(), format!("vars.{name} is empty")).expected("a non-empty list"));
            }
            lists.push(values.get_ref().iter().map(toml_to_json).collect());
        }

        // Pools are declared by setup groups; their fields are the groups' captures, in the
        // order the group's capture slots take them (first capture of a name wins).
        let mut pools: Vec<Pool> = Vec::new();
        for group in &raw.setup {
            if let Some(pool) = &group.pool {
                if pools.iter().any(|p| &p.name == pool.get_ref()) {
                    return Err(self
                        .err(pool.span(), format!("pool {:?} is filled by two setup groups", pool.get_ref()))
                        .hint("give each group its own pool name"));
                }
                let mut fields: Vec<String> = Vec::new();
                for var in group.steps.iter().flat_map(|s| s.capture.keys()) {
                    if !fields.contains(var) {
                        fields.push(var.clone());
                    }
                }
                pools.push(Pool { name: pool.get_ref().clone(), fields });
            }
        }

        let phases = raw.phases.iter().map(|p| self.phase(p)).collect::<Result<Vec<_>, _>>()?;
        if phases.is_empty() {
            return Err(ScenarioError::at(
                self.file,
                self.source,
                Some(self.source.len()..self.source.len()),
                "the scenario has no phases",
            )
            .hint("add a [[phase]] with name, duration and rate"));
        }

        let mut setup = Vec::new();
        for group in &raw.setup {
            let mut scope = Scope { lists: &list_names, pools: &[], captures: Vec::new() };
            let steps = group.steps.iter().map(|s| self.step(s, &mut scope)).collect::<Result<Vec<_>, _>>()?;
            let repeat = self.repeat(group)?;
            let pool = group.pool.as_ref().and_then(|p| pools.iter().position(|x| &x.name == p.get_ref()));
            setup.push(SetupGroup { name: group.name.clone(), repeat, pool, steps, slots: scope.captures.len() });
        }

        let mut flows = Vec::new();
        let mut weight_sum = 0.0f64;
        for flow in &raw.flows {
            if !(flow.weight.get_ref().is_finite() && *flow.weight.get_ref() > 0.0) {
                return Err(self
                    .err(flow.weight.span(), format!("flow {:?} has weight {}", flow.name, flow.weight.get_ref()))
                    .expected("a weight above 0"));
            }
            weight_sum += *flow.weight.get_ref();
            if !weight_sum.is_finite() {
                return Err(self
                    .err(flow.weight.span(), format!("flow weights sum to {weight_sum} at flow {:?}", flow.name))
                    .expected("weights whose sum is a finite number, e.g. percentages"));
            }
            if flow.steps.get_ref().is_empty() {
                return Err(self
                    .err(flow.steps.span(), format!("flow {:?} has no steps", flow.name))
                    .hint("add [[flow.step]] entries"));
            }
            let mut scope = Scope { lists: &list_names, pools: &pools, captures: Vec::new() };
            let steps = flow.steps.get_ref().iter().map(|s| self.step(s, &mut scope)).collect::<Result<Vec<_>, _>>()?;
            let kind = flow.kind.unwrap_or_else(|| infer_kind(&steps));
            flows.push(Flow {
                name: flow.name.clone(),
                weight: *flow.weight.get_ref(),
                kind,
                steps,
                slots: scope.captures.len(),
            });
        }
        if flows.is_empty() {
            return Err(ScenarioError::at(
                self.file,
                self.source,
                Some(self.source.len()..self.source.len()),
                "the scenario has no flows",
            )
            .hint("add a [[flow]] with a weight and [[flow.step]] entries"));
        }

        let Some(total) = duration::checked_sum(phases.iter().map(|p| p.duration)) else {
            let last = raw.phases.last().map_or(0..0, |p| p.duration.span());
            return Err(self
                .err(last, "the phases together last longer than a year")
                .expected("phases summing to at most 8760h"));
        };
        let chaos = raw.chaos.iter().map(|c| self.chaos(c, total)).collect::<Result<Vec<_>, _>>()?;
        let k = raw.kpi;
        let d = Kpi::default();
        let kpi = Kpi {
            p50_ms: k.p50_ms.unwrap_or(d.p50_ms),
            p95_ms: k.p95_ms.unwrap_or(d.p95_ms),
            p99_ms: k.p99_ms.unwrap_or(d.p99_ms),
            success_pct: k.success_pct.unwrap_or(d.success_pct),
            fast_fail_ms: k.fast_fail_ms.or(d.fast_fail_ms),
            retry_resolve_pct: k.retry_resolve_pct.or(d.retry_resolve_pct),
            denied_pct: k.denied_pct.or(d.denied_pct),
            provenance_mismatches: k.provenance_mismatches.or(d.provenance_mismatches),
            cache_hit_pct: k.cache_hit_pct.or(d.cache_hit_pct),
            memory_growth_pct: k.memory_growth_pct.or(d.memory_growth_pct),
            breaker_changes: k.breaker_changes.or(d.breaker_changes),
            event_loop_lag_ms: k.event_loop_lag_ms.or(d.event_loop_lag_ms),
            cache_speedup_pct: k.cache_speedup_pct.or(d.cache_speedup_pct),
            soak_min: match &k.soak_min {
                Some(t) => self.duration(t, "kpi.soak_min")?,
                None => d.soak_min,
            },
        };
        let gd = EmbeddedGateway::default();
        let gateway = EmbeddedGateway {
            rate_limit: raw.gateway.rate_limit.unwrap_or(gd.rate_limit),
            latency_scale: self.scale(&raw.gateway.latency_scale, "latency_scale")?.unwrap_or(gd.latency_scale),
            chaos_scale: self.scale(&raw.gateway.chaos_scale, "chaos_scale")?.unwrap_or(gd.chaos_scale),
            breaker_open: match &raw.gateway.breaker_open {
                Some(d) => self.duration(d, "breaker_open")?,
                None => gd.breaker_open,
            },
        };
        Ok(Scenario {
            name,
            description: raw.description.unwrap_or_default(),
            target: raw.target.map(Spanned::into_inner),
            profile,
            source: self.source.to_string(),
            defaults,
            list_names,
            lists,
            pools,
            setup,
            phases,
            flows,
            chaos,
            kpi,
            gateway,
        })
    }

    fn scale(&self, v: &Option<Spanned<f64>>, what: &str) -> Result<Option<f64>, ScenarioError> {
        match v {
            Some(x) if !(0.0..=1e6).contains(x.get_ref()) => Err(self
                .err(x.span(), format!("gateway.{what} is {}", x.get_ref()))
                .expected("a number from 0 to 1000000")),
            Some(x) => Ok(Some(*x.get_ref())),
            None => Ok(None),
        }
    }

    fn phase(&self, p: &RawPhase) -> Result<Phase, ScenarioError> {
        let duration = self.duration(&p.duration, "duration")?;
        if duration.is_zero() {
            return Err(self
                .err(p.duration.span(), format!("phase {:?} lasts no time", p.name))
                .expected("a duration above 0"));
        }
        let check_rate = |r: &Spanned<f64>, what: &str| {
            let v = *r.get_ref();
            if (0.0..=1_000_000.0).contains(&v) {
                Ok(v)
            } else {
                Err(self
                    .err(r.span(), format!("phase {:?} has {what} {v}", p.name))
                    .expected("arrivals per second between 0 and 1000000"))
            }
        };
        let rate = check_rate(&p.rate, "rate")?;
        let ramp_to = p.ramp_to.as_ref().map(|r| check_rate(r, "ramp_to")).transpose()?;
        let kind = match &p.kind {
            Some(k) => PhaseKind::parse(k.get_ref()).ok_or_else(|| {
                self.err(k.span(), format!("phase {:?} has kind {:?}", p.name, k.get_ref())).expected(PhaseKind::NAMES)
            })?,
            None => PhaseKind::Load,
        };
        // A chaos window's errors are its point: out of latency and success unless asked.
        let kpi = p.kpi.unwrap_or(kind != PhaseKind::Chaos);
        Ok(Phase { name: p.name.clone(), duration, rate, ramp_to, kpi, kind })
    }

    fn repeat(&self, group: &RawSetup) -> Result<Repeat, ScenarioError> {
        let Some(r) = &group.repeat else {
            return Ok(Repeat::Count(1));
        };
        match r.get_ref() {
            RawRepeat::Count(n) if *n >= 1 && *n <= 1_000_000 => Ok(Repeat::Count(*n as usize)),
            RawRepeat::Word(w) if w == "auto" => {
                let window = match &group.rate_limit_window {
                    Some(w) => self.duration(w, "rate_limit_window")?,
                    None => std::time::Duration::from_secs(60),
                };
                Ok(Repeat::Auto { calls: group.rate_limit_calls.unwrap_or(5).max(1), window })
            }
            _ => Err(self
                .err(r.span(), format!("setup {:?} has an invalid repeat", group.name))
                .expected("a count from 1 to 1000000, or \"auto\"")),
        }
    }

    fn chaos(&self, c: &RawChaos, total: std::time::Duration) -> Result<ChaosEntry, ScenarioError> {
        let at = self.duration(&c.at, "chaos time")?;
        if at > total {
            return Err(self.err(
                c.at.span(),
                format!("chaos at {} is after the run ends ({})", c.at.get_ref(), duration::format(total)),
            ));
        }
        let mode = c.mode.get_ref();
        if !["timeout", "500", "jitter"].contains(&mode.as_str()) {
            return Err(self
                .err(c.mode.span(), format!("unknown chaos mode {mode:?}"))
                .expected("\"timeout\", \"500\" or \"jitter\""));
        }
        let pct = *c.pct.get_ref();
        if !(0.0..=100.0).contains(&pct) {
            return Err(self.err(c.pct.span(), format!("chaos pct {pct}")).expected("a percentage from 0 to 100"));
        }
        let duration = c.duration.as_ref().map(|d| self.duration(d, "chaos duration")).transpose()?;
        Ok(ChaosEntry { at, tool: c.tool.clone(), mode: mode.clone(), pct, duration })
    }

    fn step(&self, s: &RawStep, scope: &mut Scope) -> Result<Step, ScenarioError> {
        let method = match &s.method {
            Some(m) => http::Method::from_bytes(m.get_ref().to_ascii_uppercase().as_bytes())
                .ok()
                .filter(|m| ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(&m.as_str()))
                .ok_or_else(|| {
                    self.err(m.span(), format!("unknown method {:?}", m.get_ref()))
                        .expected("GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS")
                })?,
            None if s.body.is_some() => http::Method::POST,
            None => http::Method::GET,
        };
        if !s.path.get_ref().starts_with('/') {
            return Err(self
                .err(s.path.span(), format!("path {:?} does not start with /", s.path.get_ref()))
                .hint("paths are relative to the target, e.g. \"/api/proxy-request\""));
        }
        let mut pools = Vec::new();
        let path = self.template(&s.path, scope, &mut pools)?;
        let headers = s
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.template(v, scope, &mut pools)?)))
            .collect::<Result<Vec<_>, ScenarioError>>()?;
        let body = match &s.body {
            Some(b) => Some(self.body(b.get_ref(), b.span(), scope, &mut pools)?),
            None => None,
        };
        let expect = match &s.expect {
            None => vec![200, 201],
            Some(e) => {
                let codes = match e.get_ref() {
                    RawExpect::One(c) => vec![*c],
                    RawExpect::Many(cs) => cs.clone(),
                };
                if codes.is_empty() || codes.iter().any(|c| !(100..=599).contains(c)) {
                    return Err(self.err(e.span(), "invalid expect").expected("HTTP status codes from 100 to 599"));
                }
                codes.into_iter().map(|c| c as u16).collect()
            }
        };
        let mut captures = Vec::new();
        for (var, cap) in &s.capture {
            let (pointer, secret) = match cap.get_ref() {
                RawCapture::Pointer(p) => (p.clone(), false),
                RawCapture::Detailed { pointer, secret } => (pointer.clone(), *secret),
            };
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                return Err(self
                    .err(cap.span(), format!("capture {var} has pointer {pointer:?}"))
                    .expected("a JSON pointer such as \"/agent_token\"")
                    .hint("Artillery's \"$.x\" is written \"/x\" here"));
            }
            let slot = match scope.captures.iter().position(|c| c == var) {
                Some(i) => i,
                None => {
                    scope.captures.push(var.clone());
                    scope.captures.len() - 1
                }
            };
            captures.push(Capture { slot, pointer, secret });
        }
        let name = s.name.clone().unwrap_or_else(|| format!("{} {}", method, s.path.get_ref()));
        Ok(Step { name, method, path, headers, body, tool: s.tool.clone(), expect, captures, pools })
    }

    fn template(
        &self,
        text: &Spanned<String>,
        scope: &Scope,
        pools: &mut Vec<usize>,
    ) -> Result<Template, ScenarioError> {
        self.compile(text.get_ref(), text.span(), scope, pools)
    }

    fn compile(
        &self,
        text: &str,
        span: Range<usize>,
        scope: &Scope,
        pools: &mut Vec<usize>,
    ) -> Result<Template, ScenarioError> {
        let tokens = tokenize(text).map_err(|e| match e {
            TemplateSyntaxError::Unclosed(_) => {
                self.err(span.clone(), "unclosed {{ in template").expected("}} after the variable name")
            }
            TemplateSyntaxError::Empty(_) => {
                self.err(span.clone(), "empty {{ }} in template").expected("a variable name")
            }
        })?;
        let mut parts = Vec::new();
        for token in tokens {
            match token {
                Ok(lit) => parts.push(Part::Lit(lit.to_string())),
                Err(var) => parts.push(Part::Var(self.resolve(var.name, span.clone(), scope, pools)?)),
            }
        }
        Ok(Template { parts })
    }

    fn resolve(
        &self,
        name: &str,
        span: Range<usize>,
        scope: &Scope,
        pools: &mut Vec<usize>,
    ) -> Result<VarRef, ScenarioError> {
        if let Some(slot) = scope.captures.iter().position(|c| c == name) {
            return Ok(VarRef::Capture(slot));
        }
        if let Some(i) = scope.lists.iter().position(|l| l == name) {
            return Ok(VarRef::List(i));
        }
        match name {
            "uuid" => return Ok(VarRef::Uuid),
            "seq" => return Ok(VarRef::Seq),
            "now" => return Ok(VarRef::Now(std::time::Duration::ZERO)),
            _ => {}
        }
        if let Some(offset) = name.strip_prefix("now+") {
            return duration::parse(offset).map(VarRef::Now).ok_or_else(|| {
                self.err(span, format!("invalid time offset in {{{{ {name} }}}}")).expected("now+15m, now+1h, …")
            });
        }
        if let Some((pool, field)) = name.split_once('.') {
            if let Some(p) = scope.pools.iter().position(|x| x.name == pool) {
                if let Some(f) = scope.pools[p].fields.iter().position(|x| x == field) {
                    if !pools.contains(&p) {
                        pools.push(p);
                    }
                    return Ok(VarRef::Pool(p, f));
                }
                return Err(self
                    .err(span, format!("pool {pool:?} has no field {field:?}"))
                    .hint(format!("its setup captures: {}", scope.pools[p].fields.join(", "))));
            }
        }
        let mut known: Vec<String> = scope.captures.clone();
        known.extend(scope.lists.iter().cloned());
        for p in scope.pools {
            known.extend(p.fields.iter().map(|f| format!("{}.{f}", p.name)));
        }
        known.extend(["uuid", "seq", "now", "now+15m"].map(String::from));
        Err(self
            .err(span, format!("unknown variable {{{{ {name} }}}}"))
            .hint(format!("known here: {}", known.join(", "))))
    }

    fn body(
        &self,
        v: &toml::Value,
        span: Range<usize>,
        scope: &Scope,
        pools: &mut Vec<usize>,
    ) -> Result<Body, ScenarioError> {
        let compiled = match v {
            toml::Value::String(s) => {
                let t = self.compile(s, span, scope, pools)?;
                if t.is_constant() {
                    Body::Raw(serde_json::Value::String(s.clone()).to_string())
                } else {
                    Body::Str(t)
                }
            }
            toml::Value::Table(t) => Body::Object(
                t.iter()
                    .map(|(k, v)| {
                        Ok((
                            serde_json::Value::String(k.clone()).to_string(),
                            self.body(v, span.clone(), scope, pools)?,
                        ))
                    })
                    .collect::<Result<_, ScenarioError>>()?,
            ),
            toml::Value::Array(a) => {
                Body::Array(a.iter().map(|v| self.body(v, span.clone(), scope, pools)).collect::<Result<_, _>>()?)
            }
            other => Body::Raw(toml_to_json(other).to_string()),
        };
        Ok(fold_constants(compiled))
    }
}

/// Pre-serializes subtrees that hold no variables.
fn fold_constants(body: Body) -> Body {
    let mut out = String::new();
    match &body {
        Body::Object(fields) if fields.iter().all(|(_, b)| b.is_constant()) => {
            body.render(&mut NoVars, &mut out);
            Body::Raw(out)
        }
        Body::Array(items) if items.iter().all(Body::is_constant) => {
            body.render(&mut NoVars, &mut out);
            Body::Raw(out)
        }
        _ => body,
    }
}

struct NoVars;
impl super::template::Resolve for NoVars {
    fn value(&mut self, _: &VarRef) -> serde_json::Value {
        serde_json::Value::Null
    }
}

fn infer_kind(steps: &[Step]) -> FlowKind {
    if steps.iter().any(|s| s.tool.is_some() && s.expects_denial()) {
        FlowKind::Denial
    } else {
        FlowKind::Happy
    }
}

pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}
