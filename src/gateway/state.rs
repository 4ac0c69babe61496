//! The gateway's stores: policies, agents, the token registry, chaos, breakers, cache and
//! rate-limit windows. Each is behind its own lock so a slow path never blocks the others.

use crate::util::lock;

use super::breaker::{Breaker, BreakerConfig, BreakerState};
use super::metrics::Registry;
use super::GatewayConfig;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub allowed_domains: Vec<String>,
    pub intent: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Agent {
    pub name: String,
    pub role: String,
    pub private_key: String,
}

#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub agent_id: String,
    pub revoked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ChaosMode {
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "500")]
    Error500,
    #[serde(rename = "jitter")]
    Jitter,
}

impl ChaosMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "timeout" => Some(Self::Timeout),
            "500" => Some(Self::Error500),
            "jitter" => Some(Self::Jitter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Error500 => "500",
            Self::Jitter => "jitter",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct ChaosSetting {
    pub mode: ChaosMode,
    pub pct: f64,
}

pub struct CacheEntry {
    pub stored: Instant,
    pub data: Value,
}

pub struct RateWindow {
    pub started: Instant,
    pub count: u32,
}

pub struct GatewayState {
    pub config: GatewayConfig,
    pub secret: Vec<u8>,
    pub metrics: Registry,
    pub started: Instant,
    pub start_unix: f64,
    pub policies: Mutex<Vec<Policy>>,
    pub agents: Mutex<HashMap<String, Agent>>,
    pub tokens: Mutex<HashMap<String, TokenRecord>>,
    /// Agents holding at least one token, so a second issue counts as a rotation.
    pub token_holders: Mutex<HashMap<String, u32>>,
    pub chaos: Mutex<BTreeMap<String, ChaosSetting>>,
    pub breakers: Mutex<HashMap<String, Breaker>>,
    pub cache: Mutex<HashMap<String, CacheEntry>>,
    pub rate_windows: Mutex<HashMap<String, RateWindow>>,
}

/// Bounds the response cache; past it, expired entries are swept and then new ones refused.
const CACHE_CAPACITY: usize = 50_000;

impl GatewayState {
    pub fn new(config: GatewayConfig) -> Self {
        let secret: [u8; 32] = rand::random();
        let start_unix =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let metrics = Registry::default();
        // Every series exists from the start at zero, so dashboards and rates see a counter
        // before its first event instead of "no data".
        for tool in super::tools::TOOLS {
            metrics.breaker_state.set(&[tool], 0.0);
            metrics.breaker_fastfail.add(&[tool], 0.0);
        }
        for a in super::tools::ACTIONS.iter().filter(|a| a.idempotent) {
            metrics.cache_hits.add(&[a.tool, a.action], 0.0);
            metrics.cache_misses.add(&[a.tool, a.action], 0.0);
            metrics.retries.add(&[a.tool, a.action, "recovered"], 0.0);
            metrics.retries.add(&[a.tool, a.action, "exhausted"], 0.0);
        }
        for kind in ["policy", "auth", "rate_limited", "upstream", "network", "validation"] {
            metrics.errors.add(&[kind], 0.0);
        }
        for reason in ["scope", "domain", "intent", "no_policy", "tool_not_in_token"] {
            metrics.policy_denials.add(&[reason], 0.0);
        }
        for event in
            ["provenance_mismatch", "token_revocation", "revoked_token_use", "invalid_signature", "expired_token"]
        {
            metrics.security_events.add(&[event], 0.0);
        }
        for counter in [
            &metrics.token_generations,
            &metrics.token_rotations,
            &metrics.agent_creations,
            &metrics.chaos_clearings,
            &metrics.rate_limited,
        ] {
            counter.add(&[], 0.0);
        }
        Self {
            config,
            secret: secret.to_vec(),
            metrics,
            started: Instant::now(),
            start_unix,
            policies: Mutex::default(),
            agents: Mutex::default(),
            tokens: Mutex::default(),
            token_holders: Mutex::default(),
            chaos: Mutex::default(),
            breakers: Mutex::default(),
            cache: Mutex::default(),
            rate_windows: Mutex::default(),
        }
    }

    pub fn breaker_config(&self) -> BreakerConfig {
        BreakerConfig {
            threshold: self.config.breaker_threshold,
            window: self.config.breaker_window,
            open_for: self.config.breaker_open_for,
        }
    }

    /// Runs `f` on the tool's breaker and mirrors its state into the gauge.
    pub fn with_breaker<R>(&self, tool: &str, f: impl FnOnce(&mut Breaker) -> R) -> R {
        let mut breakers = lock(&self.breakers);
        let breaker = breakers.entry(tool.to_string()).or_insert_with(|| Breaker::new(self.breaker_config()));
        let result = f(breaker);
        self.metrics.breaker_state.set(&[tool], breaker.state().gauge());
        result
    }

    pub fn any_breaker_open(&self) -> bool {
        lock(&self.breakers).values().any(|b| b.state() != BreakerState::Closed)
    }

    pub fn chaos_for(&self, tool: &str) -> Option<ChaosSetting> {
        lock(&self.chaos).get(tool).copied()
    }

    pub fn active_chaos_json(&self) -> Value {
        let chaos = lock(&self.chaos);
        Value::Array(
            chaos.iter().map(|(tool, s)| serde_json::json!([tool, {"mode": s.mode.as_str(), "pct": s.pct}])).collect(),
        )
    }

    pub fn cache_get(&self, key: &str) -> Option<Value> {
        let cache = lock(&self.cache);
        let entry = cache.get(key)?;
        (entry.stored.elapsed() <= self.config.cache_ttl).then(|| entry.data.clone())
    }

    pub fn cache_put(&self, key: String, data: Value) {
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_CAPACITY {
            let ttl = self.config.cache_ttl;
            cache.retain(|_, e| e.stored.elapsed() <= ttl);
        }
        if cache.len() < CACHE_CAPACITY {
            cache.insert(key, CacheEntry { stored: Instant::now(), data });
        }
    }

    /// Counts one call against the agent's window; `Err(seconds)` when over the limit.
    pub fn rate_limit(&self, agent_id: &str) -> Result<(), u64> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(());
        };
        let now = Instant::now();
        let mut windows = lock(&self.rate_windows);
        let w = windows.entry(agent_id.to_string()).or_insert(RateWindow { started: now, count: 0 });
        if now.duration_since(w.started) >= limit.window {
            *w = RateWindow { started: now, count: 0 };
        }
        if w.count >= limit.calls {
            let left = limit.window.saturating_sub(now.duration_since(w.started));
            return Err(left.as_secs().max(1));
        }
        w.count += 1;
        Ok(())
    }

    pub fn now_ms() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
