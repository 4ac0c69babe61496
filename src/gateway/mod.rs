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

/// Starts the gateway on the current Tokio runtime; `listen` may use port 0. HTTP/1.1 and
/// HTTP/2 (prior knowledge) on one port, as hyper's server serves them.
pub async fn start(listen: SocketAddr, config: GatewayConfig) -> std::io::Result<GatewayHandle> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(state::GatewayState::new(config));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, rx));
    Ok(GatewayHandle { addr, shutdown: Some(tx) })
}

/// Accepts connections until `stop` fires, then lets each finish the request it is on and
/// closes it (a keep-alive connection must not outlive the gateway).
async fn serve(listener: tokio::net::TcpListener, state: Arc<state::GatewayState>, mut stop: oneshot::Receiver<()>) {
    let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors, or a connection reset before it was taken: go on.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let service = hyper::service::service_fn(move |request| {
            let state = state.clone();
            async move { Ok::<_, std::convert::Infallible>(routes::handle(state, request).await) }
        });
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).into_owned();
        tokio::spawn(graceful.watch(connection));
    }
    drop(listener);
    // In-flight answers finish (bounded, as a stuck client must not hold the shutdown).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

/// Starts the gateway in-process on an ephemeral loopback port, for runs without a target.
pub async fn start_embedded(config: GatewayConfig) -> std::io::Result<GatewayHandle> {
    start(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}
