//! The HTTP routes of the 4Runr-compatible contract.

use super::reply::{object, required_str, string_list, Reply};
use super::state::{Agent, ChaosMode, ChaosSetting, GatewayState, Policy, TokenRecord};
use super::tokens::{self, Claims};
use crate::util::lock;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<GatewayState>>;

/// Largest request body accepted; bigger ones get a JSON 413.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Bodies up to this size are read in full before the 413, so the client gets the answer
/// instead of a broken pipe; beyond it the connection is cut.
const READ_LIMIT: usize = 16 * 1024 * 1024;

pub fn router(state: Arc<GatewayState>) -> Router {
    Router::new()
        .route("/api/policies", post(create_policy))
        .route("/api/create-agent", post(create_agent))
        .route("/api/generate-token", post(generate_token))
        .route("/api/proxy-request", post(proxy_request))
        .route("/api/admin/tokens/{token_id}/revoke", post(revoke_token))
        .route("/api/admin/chaos/tool", post(inject_chaos))
        .route("/api/admin/chaos/tool/{tool}", delete(clear_chaos))
        .route("/api/admin/chaos", get(chaos_state))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { Reply::error(StatusCode::NOT_FOUND, "Not found") })
        .layer(DefaultBodyLimit::max(READ_LIMIT))
        .with_state(state)
}

/// The body, or the JSON error for one that could not be read (too large, cut off).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Reply> {
    if body.as_ref().is_ok_and(|b| b.len() > BODY_LIMIT) {
        return Err(Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"));
    }
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "Request body too large"
        } else {
            "Could not read request body"
        };
        Reply::error(status, message)
    })
}

async fn create_policy(State(state): Shared, body: Result<Bytes, BytesRejection>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body_bytes(body)?)?;
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
        let id = uuid::Uuid::new_v4().to_string();
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

async fn create_agent(State(state): Shared, body: Result<Bytes, BytesRejection>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body_bytes(body)?)?;
        let name = required_str(&req, "name")?;
        let _created_by = required_str(&req, "created_by")?;
        let role = required_str(&req, "role")?;
        let agent_id = uuid::Uuid::new_v4().to_string();
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

async fn generate_token(State(state): Shared, body: Result<Bytes, BytesRejection>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let req = object(&body_bytes(body)?)?;
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
        let token_id = uuid::Uuid::new_v4().to_string();
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

async fn proxy_request(State(state): Shared, body: Result<Bytes, BytesRejection>) -> Reply {
    match body_bytes(body) {
        Ok(bytes) => super::proxy::handle(state, &bytes).await,
        Err(reply) => reply,
    }
}

async fn revoke_token(State(state): Shared, Path(token_id): Path<String>) -> Reply {
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

async fn inject_chaos(State(state): Shared, body: Result<Bytes, BytesRejection>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        if state.config.production {
            return Err(Reply::error(StatusCode::FORBIDDEN, "Chaos injection is disabled in production"));
        }
        let req = object(&body_bytes(body)?)?;
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

async fn clear_chaos(State(state): Shared, Path(tool): Path<String>) -> Reply {
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

async fn chaos_state(State(state): Shared) -> Reply {
    Reply::json(StatusCode::OK, json!({"activeChaos": state.active_chaos_json()}))
}

async fn health(State(state): Shared) -> Reply {
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

async fn ready(State(state): Shared) -> Reply {
    if state.any_breaker_open() {
        Reply::json(StatusCode::SERVICE_UNAVAILABLE, json!({"ready": false, "reason": "circuit breaker open"}))
    } else {
        Reply::json(StatusCode::OK, json!({"ready": true}))
    }
}

async fn metrics(State(state): Shared) -> Response {
    let text = state.metrics.render(state.start_unix);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
