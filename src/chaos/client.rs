//! The chaos admin client for the 4Runr routes; every call has a timeout and every failure is
//! a value the caller shows (403 of a production gateway, 400, connection refused).

use crate::live::ActiveChaos;
use crate::side_client::{CallError, SideClient};
use serde_json::{json, Value};
use std::time::Duration;

/// An admin answer is a short JSON document; a longer one is not the admin API's.
const ADMIN_MAX_BYTES: usize = 1 << 20;

/// Where a gateway's chaos admin API lives; `{tool}` in a path is replaced by the tool.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosRoutes {
    pub inject: (http::Method, String),
    pub clear: (http::Method, String),
    pub status: (http::Method, String),
}

impl ChaosRoutes {
    pub fn four_runr() -> Self {
        Self {
            inject: (http::Method::POST, "/api/admin/chaos/tool".into()),
            clear: (http::Method::DELETE, "/api/admin/chaos/tool/{tool}".into()),
            status: (http::Method::GET, "/api/admin/chaos".into()),
        }
    }

    /// Reads routes written as `"METHOD /path"`.
    pub fn parse(inject: &str, clear: &str, status: &str) -> Result<Self, RouteError> {
        let one = |s: &str| -> Result<(http::Method, String), RouteError> {
            let (m, p) = s.trim().split_once(' ').ok_or_else(|| RouteError::Shape(s.to_string()))?;
            let method = match m {
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" => {
                    http::Method::from_bytes(m.as_bytes()).expect("a standard method")
                }
                other => return Err(RouteError::Method { route: s.to_string(), method: other.to_string() }),
            };
            Ok((method, p.trim().to_string()))
        };
        Ok(Self { inject: one(inject)?, clear: one(clear)?, status: one(status)? })
    }

    pub fn clear_path(&self, tool: &str) -> String {
        self.clear.1.replace("{tool}", tool)
    }
}

/// A chaos route in a profile that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RouteError {
    #[error("route {0:?}: expected \"METHOD /path\"")]
    Shape(String),
    #[error("route {route:?}: unknown method {method}")]
    Method { route: String, method: String },
}

#[derive(Clone)]
pub struct ChaosClient {
    base: String,
    http: SideClient,
    routes: ChaosRoutes,
}

/// Why a chaos call failed: the target's status when it answered, and the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaosError {
    /// `None` when the target did not answer at all.
    pub status: Option<u16>,
    pub message: String,
}

impl ChaosError {
    fn unanswered(message: String) -> Self {
        Self { status: None, message }
    }

    /// The route does not exist: this target has no chaos admin API (as opposed to one that
    /// refused or failed).
    pub fn no_chaos_api(&self) -> bool {
        matches!(self.status, Some(404 | 405 | 501))
    }
}

impl std::fmt::Display for ChaosError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ChaosClient {
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self::with_routes(base, timeout, ChaosRoutes::four_runr())
    }

    pub fn with_routes(base: &str, timeout: Duration, routes: ChaosRoutes) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), http: SideClient::new(timeout, false), routes }
    }

    /// Accepts any server certificate of the target (`--insecure`).
    pub fn insecure(mut self, timeout: Duration, insecure: bool) -> Self {
        if insecure {
            self.http = SideClient::new(timeout, true);
        }
        self
    }

    pub async fn inject(&self, tool: &str, mode: &str, pct: f64) -> Result<Vec<ActiveChaos>, ChaosError> {
        let body = json!({"tool": tool, "mode": mode, "pct": pct}).to_string();
        active(self.call(&self.routes.inject, &self.routes.inject.1, Some(body)).await?)
    }

    pub async fn clear(&self, tool: &str) -> Result<Vec<ActiveChaos>, ChaosError> {
        active(self.call(&self.routes.clear, &self.routes.clear_path(tool), None).await?)
    }

    /// Clears every tool the target reports as under chaos.
    pub async fn clear_all(&self) -> Result<Vec<ActiveChaos>, ChaosError> {
        let mut state = self.status().await?;
        for c in state.clone() {
            state = self.clear(&c.tool).await?;
        }
        Ok(state)
    }

    pub async fn status(&self) -> Result<Vec<ActiveChaos>, ChaosError> {
        active(self.call(&self.routes.status, &self.routes.status.1, None).await?)
    }

    async fn call(
        &self,
        route: &(http::Method, String),
        path: &str,
        body: Option<String>,
    ) -> Result<Value, ChaosError> {
        let url = format!("{}{path}", self.base);
        let answer = self.http.call(route.0.clone(), &url, body, ADMIN_MAX_BYTES).await.map_err(|e| {
            let what = match e {
                CallError::Unreachable(_) => "unreachable",
                CallError::TimedOut(_) => "silent",
                CallError::TooLarge { .. } => "answer unreadable",
            };
            ChaosError::unanswered(format!("chaos admin {what}: {e}"))
        })?;
        let status = answer.status;
        let text = String::from_utf8_lossy(&answer.body);
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            // The gateway's own error text, or its body with anything secret masked.
            let msg = body
                .get("error")
                .and_then(Value::as_str)
                .map(|e| e.chars().take(200).collect())
                .unwrap_or_else(|| crate::redact::body(text.as_bytes(), 200));

            let hint =
                if status.as_u16() == 403 { " (the gateway refuses chaos, e.g. in production mode)" } else { "" };
            return Err(ChaosError {
                status: Some(status.as_u16()),
                message: format!("HTTP {}: {msg}{hint}", status.as_u16()),
            });
        }
        Ok(body)
    }
}

/// Reads `activeChaos: [[tool, {mode, pct}], …]`.
fn active(body: Value) -> Result<Vec<ActiveChaos>, ChaosError> {
    let list = body.get("activeChaos").and_then(Value::as_array).ok_or_else(|| ChaosError {
        status: Some(200),
        message: format!("unexpected answer: {}", crate::redact::body(body.to_string().as_bytes(), 200)),
    })?;
    Ok(list
        .iter()
        .filter_map(|pair| {
            let tool = pair.get(0)?.as_str()?.to_string();
            let setting = pair.get(1)?;
            let mode = match setting.get("mode")? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(ActiveChaos { tool, mode, pct: setting.get("pct").and_then(Value::as_f64).unwrap_or(0.0) })
        })
        .collect())
}
