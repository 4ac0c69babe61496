//! The simulated upstream tools: which actions exist, which params they need, how long they
//! take (log-normal, per tool) and what they answer.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use serde_json::{json, Value};
use std::time::Duration;

pub const TOOLS: [&str; 4] = ["serpapi", "http_fetch", "openai", "gmail_send"];

pub struct ActionSpec {
    pub tool: &'static str,
    pub action: &'static str,
    /// Params the real gateway's mocks require; a missing one fails upstream (502).
    pub required: &'static [&'static str],
    /// Safe to retry and to serve from cache.
    pub idempotent: bool,
}

pub const ACTIONS: [ActionSpec; 7] = [
    ActionSpec { tool: "serpapi", action: "search", required: &["q"], idempotent: true },
    ActionSpec { tool: "http_fetch", action: "get", required: &["url"], idempotent: true },
    ActionSpec { tool: "http_fetch", action: "head", required: &["url"], idempotent: true },
    ActionSpec { tool: "openai", action: "chat", required: &["model"], idempotent: false },
    ActionSpec { tool: "openai", action: "complete", required: &["model"], idempotent: false },
    ActionSpec { tool: "gmail_send", action: "send", required: &["to", "subject"], idempotent: false },
    ActionSpec { tool: "gmail_send", action: "profile", required: &[], idempotent: true },
];

pub fn action_spec(tool: &str, action: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.tool == tool && a.action == action)
}

/// Median upstream latency per tool in milliseconds; openai is the slow one.
pub fn median_ms(tool: &str) -> f64 {
    match tool {
        "serpapi" => 8.0,
        "http_fetch" => 5.0,
        "openai" => 18.0,
        "gmail_send" => 10.0,
        _ => 10.0,
    }
}

/// Spread of the log-normal distribution (sigma of the underlying normal).
pub const SIGMA: f64 = 0.4;

pub fn sample_latency(tool: &str, scale: f64, rng: &mut impl Rng) -> Duration {
    if scale <= 0.0 {
        return Duration::ZERO;
    }
    let dist = LogNormal::new(median_ms(tool).ln(), SIGMA).expect("valid log-normal");
    Duration::from_secs_f64(dist.sample(rng) * scale / 1000.0)
}

/// Names the first required param missing from `params`, the way the mocks fail on it.
pub fn missing_param(spec: &ActionSpec, params: &Value) -> Option<&'static str> {
    spec.required.iter().copied().find(|p| params.get(p).is_none_or(Value::is_null))
}

pub fn response(tool: &str, action: &str, params: &Value) -> Value {
    match (tool, action) {
        ("serpapi", _) => json!({
            "query": params.get("q").or(params.get("query")),
            "results": [{"title": "Result 1", "link": "https://example.com/1"}, {"title": "Result 2", "link": "https://example.com/2"}],
        }),
        ("http_fetch", "head") => {
            json!({"url": params.get("url"), "status": 200, "headers": {"content-type": "text/html"}})
        }
        ("http_fetch", _) => {
            json!({"url": params.get("url"), "status": 200, "body": "<html><body>mock page</body></html>"})
        }
        ("openai", _) => {
            json!({"model": params.get("model"), "output": "A short mock summary.", "usage": {"tokens": 42}})
        }
        ("gmail_send", "profile") => json!({"email": "agent@example.com"}),
        ("gmail_send", _) => {
            json!({"message_id": crate::util::uuid_v4(&mut rand::rng()), "to": params.get("to")})
        }
        _ => json!({}),
    }
}
