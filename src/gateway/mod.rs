//! The bundled 4Runr-compatible gateway: the default target, the integration tests' server,
//! and a fair target for comparing load tools.

mod breaker;
pub mod metrics;
mod proxy;
mod reply;
mod routes;
mod state;
pub mod tokens;
pub mod tools;

pub use breaker::{Breaker, BreakerConfig, BreakerState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub calls: u32,
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Multiplies the simulated upstream latency; 0 answers at once.
    pub latency_scale: f64,
    /// Multiplies chaos delays (10 s timeout, 1–6 s jitter) and retry backoff.
    pub chaos_scale: f64,
    pub breaker_threshold: usize,
    pub breaker_window: Duration,
    pub breaker_open_for: Duration,
    pub cache_ttl: Duration,
    /// `None` switches the per-agent rate limit off.
    pub rate_limit: Option<RateLimit>,
    /// Refuses chaos admin calls with 403, like a production gateway.
    pub production: bool,
}

impl Default for GatewayConfig {
    /// The contract's behaviour, as observed on a real gateway.
    fn default() -> Self {
        Self {
            latency_scale: 1.0,
            chaos_scale: 1.0,
            breaker_threshold: 5,
            breaker_window: Duration::from_secs(10),
            breaker_open_for: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(60),
            rate_limit: Some(RateLimit { calls: 5, window: Duration::from_secs(60) }),
            production: false,
        }
    }
}

/// A running gateway; dropping it (or calling `shutdown`) stops the server.
pub struct GatewayHandle {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl GatewayHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for GatewayHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the gateway on the current Tokio runtime; `listen` may use port 0.
pub async fn start(listen: SocketAddr, config: GatewayConfig) -> std::io::Result<GatewayHandle> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = routes::router(Arc::new(state::GatewayState::new(config)));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(GatewayHandle { addr, shutdown: Some(tx) })
}

/// Starts the gateway in-process on an ephemeral loopback port, for runs without a target.
pub async fn start_embedded(config: GatewayConfig) -> std::io::Result<GatewayHandle> {
    start(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}
