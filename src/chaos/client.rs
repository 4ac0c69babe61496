//! The chaos admin client for the 4Runr routes; every call has a timeout and every failure is
//! a value the caller shows (403 of a production gateway, 400, connection refused).

use crate::live::ActiveChaos;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone)]
pub struct ChaosClient {
    base: String,
    http: reqwest::Client,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChaosError(pub String);

impl std::fmt::Display for ChaosError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ChaosClient {
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http: crate::tls::admin_client(timeout),
        }
    }

    pub async fn inject(
        &self,
        tool: &str,
        mode: &str,
        pct: f64,
    ) -> Result<Vec<ActiveChaos>, ChaosError> {
        let req = self
            .http
            .post(format!("{}/api/admin/chaos/tool", self.base))
            .header("content-type", "application/json")
            .body(json!({"tool": tool, "mode": mode, "pct": pct}).to_string());
        active(self.call(req).await?)
    }

    pub async fn clear(&self, tool: &str) -> Result<Vec<ActiveChaos>, ChaosError> {
        let req = self
            .http
            .delete(format!("{}/api/admin/chaos/tool/{tool}", self.base));
        active(self.call(req).await?)
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
        active(
            self.call(self.http.get(format!("{}/api/admin/chaos", self.base)))
                .await?,
        )
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Value, ChaosError> {
        let resp = req
            .send()
            .await
            .map_err(|e| ChaosError(format!("chaos admin unreachable: {}", root_cause(&e))))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let msg = body
                .get("error")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| body.to_string());
            let hint = if status.as_u16() == 403 {
                " (the gateway refuses chaos, e.g. in production mode)"
            } else {
                ""
            };
            return Err(ChaosError(format!("HTTP {}: {msg}{hint}", status.as_u16())));
        }
        Ok(body)
    }
}

fn root_cause(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Reads `activeChaos: [[tool, {mode, pct}], …]`.
fn active(body: Value) -> Result<Vec<ActiveChaos>, ChaosError> {
    let list = body
        .get("activeChaos")
        .and_then(Value::as_array)
        .ok_or_else(|| ChaosError(format!("unexpected answer: {body}")))?;
    Ok(list
        .iter()
        .filter_map(|pair| {
            let tool = pair.get(0)?.as_str()?.to_string();
            let setting = pair.get(1)?;
            let mode = match setting.get("mode")? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(ActiveChaos {
                tool,
                mode,
                pct: setting.get("pct").and_then(Value::as_f64).unwrap_or(0.0),
            })
        })
        .collect())
}
