//! Shared helpers: a bundled gateway on 127.0.0.1:0 and a small JSON client for it.

use proofdeck::gateway::{self, GatewayConfig, GatewayHandle};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::watch;

/// The longest any test waits for an event; a regression fails here instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waits (at most [`PATIENCE`]) until `cond` holds for the watched value.
pub async fn wait_for<T>(rx: &mut watch::Receiver<T>, what: &str, cond: impl FnMut(&T) -> bool) {
    match tokio::time::timeout(PATIENCE, rx.wait_for(cond)).await {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => panic!("the sender closed before {what}"),
        Err(_) => panic!("no {what} within {PATIENCE:?}"),
    }
}

/// Waits (at most [`PATIENCE`]) for the next change of the watched value.
pub async fn next_change<T>(rx: &mut watch::Receiver<T>) {
    match tokio::time::timeout(PATIENCE, rx.changed()).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the sender closed"),
        Err(_) => panic!("no change within {PATIENCE:?}"),
    }
}

/// A gateway tuned for tests: no upstream latency, chaos delays scaled down 100×.
/// Serves `app` on 127.0.0.1:0 for the rest of the test; its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

pub fn fast_config() -> GatewayConfig {
    GatewayConfig { latency_scale: 0.0, chaos_scale: 0.01, rate_limit: None, ..GatewayConfig::default() }
}

pub async fn start(config: GatewayConfig) -> (GatewayHandle, Client) {
    let handle = gateway::start("127.0.0.1:0".parse().unwrap(), config).await.expect("gateway starts");
    let client = Client { base: handle.url(), http: crate::common::http_client(Duration::from_secs(30)) };
    (handle, client)
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Client {
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request completes");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body, headers }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(serde_json::to_vec(&body).unwrap())).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn metrics_text(&self) -> String {
        self.http.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap()
    }

    pub async fn policy(&self, role: &str, scopes: &[&str], domains: &[&str]) {
        let a = self
            .post("/api/policies", json!({"name": format!("{role}-policy"), "role": role, "spec": {"scopes": scopes, "guards": {"allowedDomains": domains}}}))
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
    }

    /// Creates an agent of `role` and a token for `tools`; returns (agent_id, private_key, token, token_id).
    pub async fn agent_with_token(&self, role: &str, tools: &[&str]) -> (String, String, String, String) {
        let a = self
            .post("/api/create-agent", json!({"name": format!("{role}-agent"), "created_by": "tests", "role": role}))
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        let agent_id = a.body["agent_id"].as_str().unwrap().to_string();
        let key = a.body["private_key"].as_str().unwrap().to_string();
        let expires = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        let t = self
            .post(
                "/api/generate-token",
                json!({"agent_id": agent_id, "tools": tools, "permissions": ["read"], "expires_at": expires}),
            )
            .await;
        assert_eq!(t.status, 201, "{:?}", t.body);
        (
            agent_id,
            key,
            t.body["agent_token"].as_str().unwrap().to_string(),
            t.body["token_id"].as_str().unwrap().to_string(),
        )
    }

    pub async fn call(&self, token: &str, tool: &str, action: &str, params: Value) -> Answer {
        self.post("/api/proxy-request", json!({"agent_token": token, "tool": tool, "action": action, "params": params}))
            .await
    }

    /// A scraper allowed serpapi search and http_fetch on example.com, with a token for both.
    pub async fn scraper(&self) -> String {
        self.policy("scraper", &["serpapi:search", "http_fetch:get"], &["example.com"]).await;
        self.agent_with_token("scraper", &["serpapi", "http_fetch"]).await.2
    }
}

/// Sum of a well-formed exposition's samples named `name` whose labels contain every `filter` pair.
pub fn metric_sum(text: &str, name: &str, filter: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, labels) = series.split_once('{').unwrap_or((series, ""));
            (n == name && filter.iter().all(|(k, v)| labels.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// A reqwest client for the tests' own calls to the bundled gateway (proofdeck's own calls go
/// through `proofdeck::side_client`).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    proofdeck::tls::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .tls_backend_preconfigured(proofdeck::tls::verified_client_config())
        .build()
        .expect("a reqwest client with a preconfigured rustls config builds")
}
