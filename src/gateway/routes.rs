//! The HTTP routes of the 4Runr-compatible contract.

use super::reply::Response;
use super::reply::{object, required_str, string_list, Reply};
use super::state::{Agent, ChaosMode, ChaosSetting, GatewayState, Policy, TokenRecord};
use super::tokens::{self, Claims};
use crate::util::lock;
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Value};
use std::sync::Arc;

/// Largest request body accepted; bigger ones get a JSON 413.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Bodies up to this size are read in full before the 413, so the client gets the answer
/// instead of a broken pipe; beyond it the connection is cut.
const READ_LIMIT: usize = 16 * 1024 * 1024;

type Body = Result<Bytes, Reply>;

/// Answers one request: the route by method and path, its body read within the limits.
pub async fn handle(state: Arc<GatewayState>, request: http::Request<hyper::body::Incoming>) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
    let (allowed, route) = match segments.as_slice() {
        ["api", "policies"] => (Method::POST, Route::CreatePolicy),
        ["api", "create-agent"] => (Method::POST, Route::CreateAgent),
        ["api", "generate-token"] => (Method::POST, Route::GenerateToken),
        ["api", "proxy-request"] => (Method::POST, Route::ProxyRequest),
        ["api", "admin", "tokens", id, "revoke"] if !id.is_empty() => (Method::POST, Route::RevokeToken(id)),
        ["api", "admin", "chaos", "tool"] => (Method::POST, Route::InjectChaos),
        ["api", "admin", "chaos", "tool", tool] if !tool.is_empty() => (Method::DELETE, Route::ClearChaos(tool)),
        ["api", "admin", "chaos"] => (Method::GET, Route::ChaosState),
        ["health"] => (Method::GET, Route::Health),
        ["ready"] => (Method::GET, Route::Ready),
        ["metrics"] => (Method::GET, Route::Metrics),
        _ => return Reply::error(StatusCode::NOT_FOUND, "Not found").into_response(),
    };
    // GET routes answer HEAD too, as HTTP servers do.
    if parts.method != allowed && !(allowed == Method::GET && parts.method == Method::HEAD) {
        let mut response = Reply::error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed").into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_str(allowed.as_str()).expect("a method is a header value"));
        return response;
    }
    let param = |raw: &str| -> Result<String, Reply> {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| Reply::bad_request("Invalid path parameter"))
    };
    let reply = match route {
        Route::CreatePolicy => create_policy(&state, read(body).await),
        Route::CreateAgent => create_agent(&state, read(body).await),
        Route::GenerateToken => generate_token(&state, read(body).await),
        Route::ProxyRequest => match read(body).await {
            Ok(bytes) => super::proxy::handle(state, &bytes).await,
            Err(reply) => reply,
        },
        Route::RevokeToken(id) => param(id).map_or_else(|e| e, |id| revoke_token(&state, id)),
        Route::InjectChaos => inject_chaos(&state, read(body).await),
        Route::ClearChaos(tool) => param(tool).map_or_else(|e| e, |tool| clear_chaos(&state, tool)),
        Route::ChaosState => chaos_state(&state),
        Route::Health => health(&state),
        Route::Ready => ready(&state),
        Route::Metrics => return metrics(&state),
    };
    reply.into_response()
}

enum Route<'a> {
    CreatePolicy,
    CreateAgent,
    GenerateToken,
    ProxyRequest,
    RevokeToken(&'a str),
    InjectChaos,
    ClearChaos(&'a str),
    ChaosState,
    Health,
    Ready,
    Metrics,
}

/// The body, or the JSON error for one that could not be read (too large, cut off).
async fn read(body: hyper::body::Incoming) -> Body {
    let too_large = || Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    match Limited::new(body, READ_LIMIT).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            if bytes.len() > BODY_LIMIT {
                return Err(too_large());
            }
            Ok(bytes)
        }
        // Left unread past the read limit: hyper closes the connection after the answer.
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(Reply::bad_request("Could not read request body")),
    }
}

fn create_policy(state: &GatewayState, body: Body) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body?)?;
        let name = required_str(&req, "name")?;
        let role = required_str(&req, "role")?;
        let spec = match req.get("spec") {
            Some(Value::Object(spec)) => spec.clone(),
            // Accept the spec as a JSON string too, the way the gateway hands it back.
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m,
                _ => return Err(Reply::bad_request("Field spec must be an object")),
            },
            _ => return Err(Reply::bad_request("Missing required field: spec")),
        };
        let scopes = string_list(&spec, "scopes")?;
        if scopes.is_empty() {
            return Err(Reply::bad_request("spec.scopes must not be empty"));
        }
        let guards = spec.get("guards").and_then(Value::as_object).cloned().unwrap_or_default();
        let allowed_domains = string_list(&guards, "allowedDomains")?;
        let intent = spec.get("intent").and_then(Value::as_str).map(str::to_string);
        let id = crate::util::uuid_v4(&mut rand::rng());
        lock(&state.policies).push(Policy {
            name: name.to_string(),
            role: role.to_string(),
            scopes,
            allowed_domains,
            intent,
        });
        // The real gateway hands `spec` back as a JSON string; clients depend on that.
        Ok(Reply::json(
            StatusCode::CREATED,
            json!({"id": id, "name": name, "role": role, "spec": Value::Object(spec).to_string()}),
        ))
    };
    run().unwrap_or_else(|e| e)
}

fn create_agent(state: &GatewayState, body: Body) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body?)?;
        let name = required_str(&req, "name")?;
        let _created_by = required_str(&req, "created_by")?;
        let role = required_str(&req, "role")?;
        let agent_id = crate::util::uuid_v4(&mut rand::rng());
        let private_key = hex::encode(rand::random::<[u8; 32]>());
        lock(&state.agents).insert(
            agent_id.clone(),
            Agent { name: name.to_string(), role: role.to_string(), private_key: private_key.clone() },
        );
        state.metrics.agent_creations.inc(&[]);
        Ok(Reply::json(StatusCode::CREATED, json!({"agent_id": agent_id, "private_key": private_key})))
    };
    run().unwrap_or_else(|e| e)
}

fn generate_token(state: &GatewayState, body: Body) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body?)?;
        let agent_id = required_str(&req, "agent_id")?;
        let tools = string_list(&req, "tools")?;
        let permissions = string_list(&req, "permissions")?;
        let expires_at = required_str(&req, "expires_at")?;
        let expiry = chrono::DateTime::parse_from_rfc3339(expires_at)
            .map_err(|_| Reply::bad_request("expires_at must be an ISO-8601 timestamp"))?;
        let exp_ms = expiry.timestamp_millis();
        if exp_ms <= GatewayState::now_ms() {
            return Err(Reply::bad_request("expires_at must be in the future"));
        }
        if tools.is_empty() {
            return Err(Reply::bad_request("tools must not be empty"));
        }
        let agent = lock(&state.agents).get(agent_id).cloned();
        let Some(agent) = agent else {
            return Err(Reply::error(StatusCode::NOT_FOUND, "Agent not found"));
        };
        let token_id = crate::util::uuid_v4(&mut rand::rng());
        let claims = Claims {
            agent_id: agent_id.to_string(),
            agent_name: agent.name.clone(),
            tools,
            permissions,
            token_id: token_id.clone(),
            exp_ms,
        };
        let token = tokens::sign(&state.secret, &claims);
        lock(&state.tokens).insert(token_id.clone(), TokenRecord { agent_id: agent_id.to_string(), revoked: false });
        let issued_before = {
            let mut holders = lock(&state.token_holders);
            let n = holders.entry(agent_id.to_string()).or_insert(0);
            *n += 1;
            *n > 1
        };
        state.metrics.token_generations.inc(&[]);
        if issued_before {
            state.metrics.token_rotations.inc(&[]);
        }
        Ok(Reply::json(
            StatusCode::CREATED,
            json!({"agent_token": token, "token_id": token_id, "expires_at": expiry.to_rfc3339(), "agent_name": agent.name}),
        ))
    };
    run().unwrap_or_else(|e| e)
}

fn revoke_token(state: &GatewayState, token_id: String) -> Reply {
    let mut tokens = lock(&state.tokens);
    match tokens.get_mut(&token_id) {
        Some(record) => {
            record.revoked = true;
            state.metrics.security_events.inc(&["token_revocation"]);
            Reply::json(StatusCode::OK, json!({"message": "Token revoked", "token_id": token_id}))
        }
        None => Reply::error(StatusCode::NOT_FOUND, "Token not found in registry"),
    }
}

fn inject_chaos(state: &GatewayState, body: Body) -> Reply {
    let run = || -> Result<Reply, Reply> {
        if state.config.production {
            return Err(Reply::error(StatusCode::FORBIDDEN, "Chaos injection is disabled in production"));
        }
        let req = object(&body?)?;
        let tool = required_str(&req, "tool")?;
        if !super::tools::TOOLS.contains(&tool) {
            return Err(Reply::bad_request(&format!("Unknown tool: {tool}")));
        }
        let mode = match req.get("mode") {
            Some(Value::String(s)) => ChaosMode::parse(s),
            Some(Value::Number(n)) if n.as_u64() == Some(500) => Some(ChaosMode::Error500),
            _ => None,
        }
        .ok_or_else(|| Reply::bad_request("mode must be one of timeout, 500, jitter"))?;
        let pct = req
            .get("pct")
            .and_then(Value::as_f64)
            .filter(|p| (0.0..=100.0).contains(p))
            .ok_or_else(|| Reply::bad_request("pct must be a number between 0 and 100"))?;
        lock(&state.chaos).insert(tool.to_string(), ChaosSetting { mode, pct });
        Ok(Reply::json(
            StatusCode::OK,
            json!({"message": format!("Chaos injected for {tool}"), "tool": tool, "mode": mode.as_str(), "pct": pct, "activeChaos": state.active_chaos_json()}),
        ))
    };
    run().unwrap_or_else(|e| e)
}

fn clear_chaos(state: &GatewayState, tool: String) -> Reply {
    if state.config.production {
        return Reply::error(StatusCode::FORBIDDEN, "Chaos injection is disabled in production");
    }
    let removed = lock(&state.chaos).remove(&tool).is_some();
    if removed {
        state.metrics.chaos_clearings.inc(&[]);
    }
    Reply::json(
        StatusCode::OK,
        json!({"message": format!("Chaos cleared for {tool}"), "tool": tool, "activeChaos": state.active_chaos_json()}),
    )
}

fn chaos_state(state: &GatewayState) -> Reply {
    Reply::json(StatusCode::OK, json!({"activeChaos": state.active_chaos_json()}))
}

fn health(state: &GatewayState) -> Reply {
    let process = crate::procstat::read_self();
    Reply::json(
        StatusCode::OK,
        json!({
            "ok": true,
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "uptime": state.uptime().as_secs_f64(),
            "memory": {"rss": process.rss_bytes},
            "process": {"pid": std::process::id(), "cpu_seconds": process.cpu_seconds},
        }),
    )
}

fn ready(state: &GatewayState) -> Reply {
    if state.any_breaker_open() {
        Reply::json(StatusCode::SERVICE_UNAVAILABLE, json!({"ready": false, "reason": "circuit breaker open"}))
    } else {
        Reply::json(StatusCode::OK, json!({"ready": true}))
    }
}

fn metrics(state: &GatewayState) -> Response {
    let text = state.metrics.render(state.start_unix);
    let mut response = http::Response::new(Full::new(Bytes::from(text)));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
