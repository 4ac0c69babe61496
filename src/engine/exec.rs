//! Running one flow iteration: render each step, send it, classify the answer, capture
//! values for later steps, and record the outcome.

use super::client::{Answer, LoadClient, OwnConnection};
use crate::metrics::classify::AnswerRules;
use crate::metrics::shard::FlowOutcome;
use crate::metrics::{ErrorClass, Recorder, StepRecord};
use crate::scenario::template::{Resolve, VarRef};
use crate::scenario::{FlowKind, Scenario, Step};
use bytes::Bytes;
use http_body_util::Full;
use rand::rngs::SmallRng;
use rand::Rng;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use tokio::time::Instant;

/// Shared, read-mostly state every iteration needs.
pub struct Context {
    pub scenario: Arc<Scenario>,
    pub client: LoadClient,
    /// The target's base URL, e.g. `http://127.0.0.1:3000`.
    pub base: Base,
    pub recorder: Arc<Recorder>,
    /// Index into the recorder's tools for each flow's steps.
    pub step_tools: Vec<Vec<usize>>,
    /// Filled by setup: pools[p][entry][field].
    pub pools: RwLock<Vec<Vec<Vec<Value>>>>,
    pub pool_cursor: Vec<AtomicUsize>,
    pub seq: AtomicU64,
    /// The target profile's rules for classing answers.
    pub answers: AnswerRules,

    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// Variables of one iteration: captures, the pool entry drawn, a seeded RNG.
pub struct Vars<'a> {
    pub ctx: &'a Context,
    pub captures: Vec<Value>,
    pub pool_entry: Vec<Option<usize>>,
    pub rng: SmallRng,
}

impl Resolve for Vars<'_> {
    fn value(&mut self, var: &VarRef) -> Value {
        match var {
            VarRef::Capture(slot) => self.captures.get(*slot).cloned().unwrap_or(Value::Null),
            VarRef::List(i) => {
                let list = &self.ctx.scenario.lists[*i];
                list[self.rng.random_range(0..list.len())].clone()
            }
            VarRef::Pool(p, f) => {
                let pools = self.ctx.pools.read().unwrap_or_else(|e| e.into_inner());
                let entries = &pools[*p];
                if entries.is_empty() {
                    return Value::Null;
                }
                let entry = *self.pool_entry[*p]
                    .get_or_insert_with(|| self.ctx.pool_cursor[*p].fetch_add(1, Ordering::Relaxed) % entries.len());
                entries[entry].get(*f).cloned().unwrap_or(Value::Null)
            }
            VarRef::Uuid => Value::String(crate::util::uuid_v4(&mut self.rng)),
            VarRef::Now(offset) => {
                let t = chrono::Utc::now() + chrono::Duration::from_std(*offset).unwrap_or_default();
                Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            }
            VarRef::Seq => Value::from(self.ctx.seq.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

impl<'a> Vars<'a> {
    pub fn new(ctx: &'a Context, slots: usize, rng: SmallRng) -> Self {
        Self { ctx, captures: vec![Value::Null; slots], pool_entry: vec![None; ctx.scenario.pools.len()], rng }
    }
}

/// The result of one step, before recording.
pub struct StepResult {
    pub status: u16,
    pub error: Option<ErrorClass>,
    pub body: Bytes,
    pub service_us: u64,
    pub latency_us: u64,
    /// Why no answer came (timeout, connection, invalid request); `None` when one did.
    pub failure: Option<String>,
    /// Captures whose JSON pointer found nothing in a successful answer.
    pub missing_captures: Vec<String>,
    /// When the answer (or the failure) came: a flow's next step counts from here.
    pub done: Instant,
}

/// Sends one step (over `own`'s connection when given) and classes its answer.
pub async fn send_step(
    ctx: &Context,
    step: &Step,
    vars: &mut Vars<'_>,
    intended: Instant,
    own: Option<&mut OwnConnection>,
) -> StepResult {
    let request = build_request(ctx, step, vars);
    let sent = Instant::now();
    let timeout = ctx.scenario.defaults.timeout;
    let answer = match (request, own) {
        (Ok(r), Some(own)) => ctx.client.send_own(own, r, timeout).await,
        (Ok(r), None) => ctx.client.send(r, timeout).await,
        (Err(reason), _) => Answer::Failed { class: ErrorClass::InvalidRequest, reason },
    };
    let done = Instant::now();
    let service_us = done.duration_since(sent).as_micros() as u64;
    // From the intended instant, or from the send when the scheduler's wake-up lead sent it
    // a little early (`timer::WakeLead`): never less than the service time.
    let latency_us = done.duration_since(intended.min(sent)).as_micros() as u64;
    let (status, error, body, failure) = match answer {
        Answer::Response { status, body } => (status, classify(&ctx.answers, step, status, &body), body, None),
        Answer::Timeout => {
            let reason =
                format!("no answer within {}", crate::scenario::duration::format(ctx.scenario.defaults.timeout));
            (0, Some(ErrorClass::Timeout), Bytes::new(), Some(reason))
        }
        Answer::Failed { class, reason } => (0, Some(class), Bytes::new(), Some(reason)),
    };
    let missing_captures =
        if error.is_none() && !step.captures.is_empty() { capture(ctx, step, &body, vars) } else { Vec::new() };
    let mut result = StepResult { status, error, body, service_us, latency_us, failure, missing_captures, done };
    // Nothing may be sent with a `null` where a capture should be: the flow stops here.
    if !result.missing_captures.is_empty() {
        result.error = Some(ErrorClass::CaptureMissing);
        result.failure = Some(format!(
            "step {:?}: the HTTP {} answer has nothing at {}",
            step.name,
            result.status,
            result.missing_captures.join(", ")
        ));
    }
    result
}

impl StepResult {
    /// Why the step failed, fit for output: masked JSON body, secrets this run captured removed.
    pub fn detail(&self, ctx: &Context) -> String {
        ctx.recorder.scrub(&self.raw_detail())
    }

    /// Why the step failed, with a masked body but before secrets are scrubbed (the
    /// recorder scrubs the details it keeps).
    pub fn raw_detail(&self) -> String {
        match &self.failure {
            Some(f) => f.clone(),
            None => format!("HTTP {} {}", self.status, crate::redact::body(&self.body, 160)),
        }
    }
}

/// The target's base URL, split once, so that each request parses only its own path.
pub struct Base {
    /// Without a trailing slash.
    text: String,
    /// Scheme, authority and path prefix (without a trailing slash), when the URL has them.
    parts: Option<(http::uri::Scheme, http::uri::Authority, String)>,
}

impl Base {
    pub fn new(url: &str) -> Self {
        let text = url.trim_end_matches('/').to_string();
        let parts = http::Uri::try_from(text.as_str()).ok().and_then(|uri| {
            let uri = uri.into_parts();
            let prefix = uri.path_and_query.as_ref().map_or("", |p| p.as_str()).trim_end_matches('/').to_string();
            // A base with a query string keeps the old way: the path goes after the query.
            (!prefix.contains('?')).then_some(())?;
            Some((uri.scheme?, uri.authority?, prefix))
        });
        Self { text, parts }
    }

    /// The base followed by `path` (rendered by `render`).
    fn join(&self, render: impl FnOnce(&mut String)) -> Result<http::Uri, String> {
        let invalid = |e: &dyn std::fmt::Display| format!("invalid request: {e}");
        let Some((scheme, authority, prefix)) = &self.parts else {
            let mut uri = String::with_capacity(self.text.len() + 32);
            uri.push_str(&self.text);
            render(&mut uri);
            return http::Uri::try_from(uri).map_err(|e| invalid(&e));
        };
        let mut path = String::with_capacity(prefix.len() + 32);
        path.push_str(prefix);
        render(&mut path);
        if !path.starts_with('/') {
            // As the whole URL would read: `http://host` and `?q` or nothing.
            path.insert(0, '/');
        }
        let path = http::uri::PathAndQuery::try_from(path).map_err(|e| invalid(&e))?;
        let mut parts = http::uri::Parts::default();
        (parts.scheme, parts.authority, parts.path_and_query) =
            (Some(scheme.clone()), Some(authority.clone()), Some(path));
        http::Uri::from_parts(parts).map_err(|e| invalid(&e))
    }
}

fn build_request(ctx: &Context, step: &Step, vars: &mut Vars<'_>) -> Result<http::Request<Full<Bytes>>, String> {
    let uri = ctx.base.join(|out| step.path.render(&mut PathVars(vars), out))?;

    let mut builder = http::Request::builder().method(step.method.clone()).uri(uri);
    for (k, v) in &ctx.headers {
        builder = builder.header(k, v);
    }
    for (k, t) in &step.headers {
        builder = builder.header(k.as_str(), t.render_string(vars));
    }
    let body = match &step.body {
        Some(b) => {
            let mut s = String::with_capacity(256);
            b.render(vars, &mut s);
            if !ctx.headers.iter().any(|(k, _)| k == http::header::CONTENT_TYPE)
                && !step.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
            }
            Bytes::from(s)
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).map_err(|e| format!("invalid request: {e}"))
}

/// The error class of an answer, or `None` when the status is one the step expects.
pub fn classify(rules: &AnswerRules, step: &Step, status: u16, body: &[u8]) -> Option<ErrorClass> {
    (!step.expect.contains(&status)).then(|| rules.classify(status, body))
}

/// Stores the step's captures; returns the pointers that found nothing.
fn capture(ctx: &Context, step: &Step, body: &[u8], vars: &mut Vars<'_>) -> Vec<String> {
    let json = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let mut missing = Vec::new();
    for c in &step.captures {
        // A JSON null is nothing to send on either.
        match json.pointer(&c.pointer).filter(|v| !v.is_null()) {
            Some(v) => {
                if let (true, Some(s)) = (c.secret, v.as_str()) {
                    ctx.recorder.remember_secret(s);
                }
                vars.captures[c.slot] = v.clone();
            }
            None => missing.push(c.pointer.clone()),
        }
    }
    missing
}

/// Runs every step of flow `flow` for an arrival scheduled at `intended`, and records it;
/// over `own`'s connection when given (a worker sending one request at a time).
pub async fn run_flow(
    ctx: &Context,
    flow: usize,
    intended: Instant,
    kpi_phase: bool,
    rng: SmallRng,
    mut own: Option<&mut OwnConnection>,
) {
    let spec = &ctx.scenario.flows[flow];
    let mut vars = Vars::new(ctx, spec.slots, rng);
    let mut outcome = FlowOutcome::Ok;
    let mut step_start = intended;
    // The latency and success KPIs' calls: a happy flow in a KPI phase.
    let judged = kpi_phase && spec.kind == FlowKind::Happy;
    for (i, step) in spec.steps.iter().enumerate() {
        let r = send_step(ctx, step, &mut vars, step_start, own.as_deref_mut()).await;
        let fast_fail = ctx.answers.is_fast_fail(r.status, &r.body);
        // Judged calls only: chaos slows misses alone (hits skip the upstream) and would
        // flatter the cache.
        let cache = if judged && r.error.is_none() { ctx.answers.cache_state(r.status, &r.body) } else { None };
        let record = StepRecord {
            tool: ctx.step_tools[flow][i],
            latency_us: r.latency_us,
            service_us: r.service_us,
            status: r.status,
            error: r.error,
            // Tool-less steps count too, under their flow's name: a happy path is judged whole.
            kpi: judged,
            fast_fail,
            cache,
        };
        match r.error {
            Some(_) => ctx.recorder.record_failed_step(record, &r.raw_detail()),
            None => ctx.recorder.record_step(record),
        }
        if step.expects_denial() && step.tool.is_some() {
            outcome = match r.error {
                None => FlowOutcome::CorrectDenial,
                Some(_) if (200..300).contains(&r.status) => FlowOutcome::Breach,
                Some(_) => FlowOutcome::Failed,
            };
        } else if r.error.is_some() {
            outcome = FlowOutcome::Failed;
        }
        if r.error.is_some() {
            break;
        }
        step_start = r.done;
    }
    ctx.recorder.record_flow(flow, outcome);
}

/// Renders variables into a URL path percent-encoded, so a captured value with spaces or
/// `?&=/` stays one value instead of breaking or rewriting the request line.
struct PathVars<'a, 'b>(&'a mut Vars<'b>);

impl Resolve for PathVars<'_, '_> {
    fn value(&mut self, var: &VarRef) -> Value {
        self.0.value(var)
    }

    fn write_text(&mut self, var: &VarRef, out: &mut String) {
        let mut raw = String::new();
        self.0.write_text(var, &mut raw);
        for b in raw.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Base;

    fn join(base: &str, path: &str) -> Result<String, String> {
        Base::new(base).join(|out| out.push_str(path)).map(|u| u.to_string())
    }

    #[test]
    fn a_request_url_is_the_base_and_the_path_as_written_together() {
        assert_eq!(join("http://127.0.0.1:3000", "/a?b=1").unwrap(), "http://127.0.0.1:3000/a?b=1");
        assert_eq!(join("http://127.0.0.1:3000/", "/a").unwrap(), "http://127.0.0.1:3000/a");
        assert_eq!(join("https://gw.local/api/v1/", "/tools").unwrap(), "https://gw.local/api/v1/tools");
        assert_eq!(join("http://[::1]:8080", "").unwrap(), "http://[::1]:8080/");
        assert_eq!(join("http://h", "?q=1").unwrap(), "http://h/?q=1");
        // Not split (a query in the base): joined as text, as before.
        assert_eq!(join("http://h/x?k=v", "&p=1").unwrap(), "http://h/x?k=v&p=1");
        let bad = join("http://h", "/a b").unwrap_err();
        assert!(bad.starts_with("invalid request: "), "{bad}");
    }
}
