//! `POST /api/proxy-request`: token checks, policy, validation, rate limit, breaker, cache,
//! chaos and the upstream call with retries — in the order the real gateway applies them.

use super::breaker::Admission;
use super::reply::{object, optional_str, required_str, Reply};
use super::state::{ChaosMode, GatewayState};
use super::tokens::{self, Claims, TokenError};
use super::tools::{self, ActionSpec};
use crate::util::lock;
use http::{HeaderName, HeaderValue, StatusCode};
use rand::Rng;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Retries after the first attempt for idempotent actions.
const MAX_RETRIES: u32 = 2;
/// Answers within this much of expiry recommend a rotation.
const ROTATION_WINDOW_MS: i64 = 5 * 60 * 1000;

pub async fn handle(state: Arc<GatewayState>, body: &[u8]) -> Reply {
    let started = Instant::now();
    let (tool, action, mut reply) = match evaluate(&state, body).await {
        Ok((labels, reply)) => (labels.0, labels.1, reply),
        Err((labels, reply)) => (labels.0, labels.1, reply),
    };
    let m = &state.metrics;
    let code = reply.status.as_u16().to_string();
    m.requests.inc(&[&tool, &action, &code]);
    m.duration.observe(&[&tool, &action], started.elapsed().as_secs_f64());
    if let Some(kind) = error_type(&reply) {
        m.errors.inc(&[kind]);
    }
    let correlation = crate::util::uuid_v4(&mut rand::rng());
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        reply.headers.push((HeaderName::from_static("x-correlation-id"), v));
    }
    reply
}

type Labels = (String, String);

fn error_type(reply: &Reply) -> Option<&'static str> {
    let error = reply.body.get("error").and_then(Value::as_str).unwrap_or("");
    match reply.status.as_u16() {
        200..=399 => None,
        429 => Some("rate_limited"),
        403 if error == "Policy denied" => Some("policy"),
        401 | 403 => Some("auth"),
        504 => Some("network"),
        500..=599 => Some("upstream"),
        _ => Some("validation"),
    }
}

async fn evaluate(state: &Arc<GatewayState>, body: &[u8]) -> Result<(Labels, Reply), (Labels, Reply)> {
    let unknown = || ("unknown".to_string(), "unknown".to_string());
    let req = object(body).map_err(|r| (unknown(), r))?;
    let labels = (
        label_of(req.get("tool"), tools::TOOLS.as_slice()),
        label_of(req.get("action"), &["search", "get", "head", "chat", "complete", "send", "profile"]),
    );
    let fail = |r: Reply| (labels.clone(), r);
    let token = required_str(&req, "agent_token").map_err(fail)?;
    let tool = required_str(&req, "tool").map_err(fail)?;
    let action = required_str(&req, "action").map_err(fail)?;
    let params = match req.get("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => return Err(fail(Reply::bad_request("Field params must be an object"))),
    };
    let claims = authenticate(state, &req, token).map_err(fail)?;
    let spec = tools::action_spec(tool, action).ok_or_else(|| {
        fail(Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "Parameter validation failed", "details": [format!("tool/action: unknown {tool}:{action}")]}),
        ))
    })?;
    authorize(state, &claims, spec, &params).map_err(fail)?;
    validate(spec, &params).map_err(fail)?;
    if let Err(retry_after) = state.rate_limit(&claims.agent_id) {
        state.metrics.rate_limited.inc(&[]);
        return Err(fail(Reply::json(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "Rate limit exceeded", "retry_after": retry_after}),
        )));
    }
    let call_started = Instant::now();
    let (data, cached) = call(state, spec, &params).await.map_err(fail)?;
    let mut metadata = json!({
        "agent_id": claims.agent_id,
        "agent_name": claims.agent_name,
        "tool": tool,
        "action": action,
        "response_time_ms": call_started.elapsed().as_millis() as u64,
    });
    // Beyond the real gateway's contract: whether a cacheable answer came from the cache, so
    // the cache latency KPI can compare hits with misses.
    if let Some(cached) = cached {
        metadata["cached"] = json!(cached);
    }
    let mut reply = Reply::json(StatusCode::OK, json!({"success": true, "data": data, "metadata": metadata}));
    if claims.exp_ms - GatewayState::now_ms() <= ROTATION_WINDOW_MS {
        reply.headers.push((HeaderName::from_static("x-token-rotation-recommended"), HeaderValue::from_static("true")));
    }
    Ok((labels, reply))
}

/// Metric label for a request field: known values as they are, anything else `unknown`, so
/// hostile input cannot grow the label space.
fn label_of(value: Option<&Value>, known: &[&str]) -> String {
    match value.and_then(Value::as_str) {
        Some(v) if known.contains(&v) => v.to_string(),
        _ => "unknown".to_string(),
    }
}

fn authenticate(state: &GatewayState, req: &Map<String, Value>, token: &str) -> Result<Claims, Reply> {
    let m = &state.metrics;
    let forbidden = |msg: &str| Reply::error(StatusCode::FORBIDDEN, msg);
    let claims = match tokens::verify(&state.secret, token) {
        Ok(c) => c,
        Err(TokenError::Malformed) => return Err(Reply::bad_request("Invalid token format")),
        Err(TokenError::BadSignature) => {
            m.token_validations.inc(&["false"]);
            m.security_events.inc(&["invalid_signature"]);
            return Err(forbidden("Invalid token signature"));
        }
    };
    if claims.exp_ms <= GatewayState::now_ms() {
        m.token_validations.inc(&["false"]);
        m.security_events.inc(&["expired_token"]);
        return Err(forbidden("Token expired"));
    }
    let token_id = optional_str(req, "token_id")?;
    let proof = match req.get("proof_payload") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    if token_id.is_some() && proof.is_none() {
        return Err(Reply::bad_request("proof_payload is required with token_id"));
    }
    let registry_id = token_id.unwrap_or(&claims.token_id);
    let record = lock(&state.tokens).get(registry_id).cloned();
    let Some(record) = record else {
        m.token_validations.inc(&["false"]);
        return Err(forbidden("Token not found in registry"));
    };
    if record.revoked {
        m.token_validations.inc(&["false"]);
        m.security_events.inc(&["revoked_token_use"]);
        return Err(forbidden("Token has been revoked"));
    }
    if let Some(proof) = proof {
        let key = lock(&state.agents).get(&claims.agent_id).map(|a| a.private_key.clone());
        let expected = key.map(|k| tokens::proof(&k, registry_id, &claims.agent_id));
        let matches = registry_id == claims.token_id
            && record.agent_id == claims.agent_id
            && expected.is_some_and(|e| e == proof);
        if !matches {
            m.token_validations.inc(&["false"]);
            m.security_events.inc(&["provenance_mismatch"]);
            return Err(forbidden("Token proof verification failed"));
        }
    }
    m.token_validations.inc(&["true"]);
    Ok(claims)
}

fn authorize(state: &GatewayState, claims: &Claims, spec: &ActionSpec, params: &Value) -> Result<(), Reply> {
    let deny = |reason_label: &str, reason: String| {
        state.metrics.policy_denials.inc(&[reason_label]);
        Reply::json(StatusCode::FORBIDDEN, json!({"error": "Policy denied", "reason": reason}))
    };
    let scope = format!("{}:{}", spec.tool, spec.action);
    if !claims.tools.iter().any(|t| t == spec.tool) {
        return Err(deny("tool_not_in_token", format!("Tool '{}' not in token claims", spec.tool)));
    }
    let role = lock(&state.agents).get(&claims.agent_id).map(|a| a.role.clone());
    let Some(role) = role else {
        return Err(deny("no_policy", "Agent not found".to_string()));
    };
    let policies: Vec<_> = lock(&state.policies).iter().filter(|p| p.role == role).cloned().collect();
    if policies.is_empty() {
        return Err(deny("no_policy", format!("No policy for role '{role}'")));
    }
    let Some(policy) = policies.iter().find(|p| p.scopes.contains(&scope)) else {
        return Err(deny(
            "scope",
            format!(
                "Scope '{scope}' not allowed by policy '{}'. Allowed: {}",
                policies[0].name,
                policies[0].scopes.join(", ")
            ),
        ));
    };
    if let Some(url) = params.get("url").and_then(Value::as_str) {
        if !policy.allowed_domains.is_empty() {
            let host = host_of(url);
            // Exact host match, as the real gateway does: a subdomain needs its own entry.
            let allowed = policy.allowed_domains.iter().any(|d| host == d.to_ascii_lowercase());
            if !allowed {
                return Err(deny("domain", format!("Domain '{host}' not in allowed list")));
            }
        }
    }
    if let (Some(intent), Some(asked)) = (&policy.intent, params.get("intent").and_then(Value::as_str)) {
        if intent != asked {
            return Err(deny("intent", format!("Intent '{asked}' does not match policy intent '{intent}'")));
        }
    }
    Ok(())
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host.split(':').next().unwrap_or("").to_ascii_lowercase()
}

fn validate(spec: &ActionSpec, params: &Value) -> Result<(), Reply> {
    // serpapi accepts either spelling of the query; the others are checked upstream.
    if spec.tool == "serpapi" && params.get("q").is_none() && params.get("query").is_none() {
        return Err(Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "Parameter validation failed", "details": ["query: Required"]}),
        ));
    }
    Ok(())
}

#[derive(Debug)]
enum UpstreamError {
    Failed(String),
    TimedOut,
}

/// The action's answer, and for a cacheable action whether it came from the cache.
async fn call(state: &Arc<GatewayState>, spec: &ActionSpec, params: &Value) -> Result<(Value, Option<bool>), Reply> {
    let m = &state.metrics;
    let cache_key = spec.idempotent.then(|| format!("{}|{}|{}", spec.tool, spec.action, params));
    if let Some(key) = &cache_key {
        if let Some(data) = state.cache_get(key) {
            m.cache_hits.inc(&[spec.tool, spec.action]);
            return Ok((data, Some(true)));
        }
        m.cache_misses.inc(&[spec.tool, spec.action]);
    }
    let admission = state.with_breaker(spec.tool, |b| b.admit(Instant::now()));
    if admission == Admission::FastFail {
        m.breaker_fastfail.inc(&[spec.tool]);
        let open_ms = state.with_breaker(spec.tool, |b| b.open_for_ms());
        return Err(Reply::error(StatusCode::BAD_GATEWAY, &format!("Circuit breaker is OPEN for {open_ms}ms")));
    }
    let probe = admission == Admission::Probe;
    let mut attempt = 0;
    let outcome = loop {
        let result = upstream(state, spec, params).await;
        let ok = result.is_ok();
        if !probe {
            state.with_breaker(spec.tool, |b| b.record(Instant::now(), ok, false));
        }
        let retryable = matches!(result, Err(UpstreamError::Failed(_))) && spec.idempotent;
        if ok && attempt > 0 {
            m.retries.inc(&[spec.tool, spec.action, "recovered"]);
        }
        if ok || !retryable || attempt >= MAX_RETRIES {
            if !ok && retryable {
                m.retries.inc(&[spec.tool, spec.action, "exhausted"]);
            }
            break result;
        }
        attempt += 1;
        let backoff = state.config.chaos_scale * 0.005 * f64::from(1u32 << attempt);
        tokio::time::sleep(Duration::from_secs_f64(backoff)).await;
    };
    if probe {
        let ok = outcome.is_ok();
        state.with_breaker(spec.tool, |b| b.record(Instant::now(), ok, true));
    }
    match outcome {
        Ok(data) => {
            let cacheable = cache_key.is_some();
            if let Some(key) = cache_key {
                state.cache_put(key, data.clone());
            }
            Ok((data, cacheable.then_some(false)))
        }
        Err(UpstreamError::TimedOut) => Err(Reply::error(StatusCode::GATEWAY_TIMEOUT, "Upstream request timed out")),
        Err(UpstreamError::Failed(details)) => Err(Reply::json(
            StatusCode::BAD_GATEWAY,
            json!({"error": "External API request failed", "details": details}),
        )),
    }
}

/// One call to the simulated upstream, with the tool's chaos applied.
async fn upstream(state: &GatewayState, spec: &ActionSpec, params: &Value) -> Result<Value, UpstreamError> {
    let config = &state.config;
    let (latency, chaos_hit, jitter) = {
        let mut rng = rand::rng();
        let latency = tools::sample_latency(spec.tool, config.latency_scale, &mut rng);
        let chaos = state.chaos_for(spec.tool).filter(|c| rng.random_range(0.0..100.0) < c.pct);
        let jitter = Duration::from_secs_f64(rng.random_range(1.0..6.0) * config.chaos_scale);
        (latency, chaos, jitter)
    };
    if let Some(chaos) = chaos_hit {
        state.metrics.chaos_injections.inc(&[spec.tool, chaos.mode.as_str()]);
        match chaos.mode {
            ChaosMode::Timeout => {
                tokio::time::sleep(Duration::from_secs_f64(10.0 * config.chaos_scale)).await;
                return Err(UpstreamError::TimedOut);
            }
            ChaosMode::Error500 => return Err(UpstreamError::Failed("Upstream returned 500 (chaos)".into())),
            ChaosMode::Jitter => tokio::time::sleep(jitter).await,
        }
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(missing) = tools::missing_param(spec, params) {
        return Err(UpstreamError::Failed(format!("{missing}: Required by upstream")));
    }
    Ok(tools::response(spec.tool, spec.action, params))
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_extraction() {
        assert_eq!(host_of("https://Example.com:8080/a?b"), "example.com");
        assert_eq!(host_of("http://user@docs.rs/x"), "docs.rs");
        assert_eq!(host_of("plainhost/path"), "plainhost");
    }
}
