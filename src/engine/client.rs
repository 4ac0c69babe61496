//! The load path's HTTP client: hyper with a keep-alive pool (reqwest costs ~40 % of the
//! throughput on loopback), plain HTTP or HTTPS through rustls with the ring provider; HTTP/1.1,
//! or HTTP/2 (prior knowledge on `http://`, ALPN `h2` over TLS) with many streams multiplexed
//! on each connection.

use crate::metrics::ErrorClass;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

pub type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Largest answer body read; bigger ones fail the request (captures need the body, nothing else).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Over HTTP/2, requests take these clients in turn: each keeps its own connection, so
/// `streams` in flight share one connection at most (about; the pick is round-robin).
pub struct LoadClient {
    inner: Vec<Client<HttpsConnector, Full<Bytes>>>,
    next: std::sync::atomic::AtomicUsize,
}

/// How the load path speaks HTTP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Protocol {
    /// Every request over HTTP/2 (h2c with prior knowledge on `http://`, ALPN `h2` on `https://`).
    pub http2: bool,
    /// HTTP/2: requests in flight per connection, at most (`None`: one connection).
    pub streams: Option<usize>,
    /// Any server certificate is accepted (self-signed bench targets).
    pub insecure: bool,
}

/// What came back, or why nothing did.
pub enum Answer {
    Response {
        status: u16,
        body: Bytes,
    },
    Timeout,
    /// No usable answer, with the class of the cause and the reason in words.
    Failed {
        class: ErrorClass,
        reason: String,
    },
}

impl LoadClient {
    /// HTTP/1.1 keeps a connection per request in flight (up to `max_inflight` idle ones);
    /// HTTP/2 multiplexes, on one connection or on `max_inflight / streams` of them.
    pub fn new(max_inflight: usize, protocol: Protocol) -> Self {
        let Protocol { http2, streams, insecure } = protocol;
        let connections = match (http2, streams) {
            (true, Some(streams)) => max_inflight.div_ceil(streams.max(1)).clamp(1, 1024),
            _ => 1,
        };
        let inner = (0..connections).map(|_| Self::client(max_inflight.min(4096), http2, insecure)).collect();
        Self { inner, next: std::sync::atomic::AtomicUsize::new(0) }
    }

    fn client(max_idle_per_host: usize, http2: bool, insecure: bool) -> Client<HttpsConnector, Full<Bytes>> {
        crate::tls::install_crypto_provider();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let builder = if insecure {
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(crate::tls::insecure_client_config())
        } else {
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots()
        }
        .https_or_http();
        let https = if http2 {
            builder.enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(30))
            .http2_only(http2)
            .build(https)
    }

    /// How many clients (so HTTP/2 connections, at most) requests are spread over.
    pub fn connections(&self) -> usize {
        self.inner.len()
    }

    pub async fn send(&self, request: Request<Full<Bytes>>, timeout: Duration) -> Answer {
        let exchange = async {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.inner.len();
            let response = self.inner[i].request(request).await.map_err(|e| request_failure(&e))?;
            let status = response.status().as_u16();
            // Bounded: at 10k in flight, an unbounded body per request could exhaust memory.
            let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| body_failure(status, &*e))?
                .to_bytes();
            Ok::<_, Answer>((status, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Answer::Timeout,
            Ok(Err(failed)) => failed,
            Ok(Ok((status, body))) => Answer::Response { status, body },
        }
    }
}

/// Why a request got no answer, classified from the error's causes rather than its text.
fn request_failure(e: &hyper_util::client::legacy::Error) -> Answer {
    let reason = crate::util::error_chain(e);
    let class = if caused_by::<rustls::Error>(e) {
        ErrorClass::Tls
    } else if is_user_error(e) || (e.is_connect() && reason.contains("scheme")) {
        // hyper refuses a request it cannot send as written; the connector refuses a scheme.
        ErrorClass::InvalidRequest
    } else {
        ErrorClass::Connect
    };
    Answer::Failed { class, reason }
}

fn body_failure(status: u16, e: &(dyn std::error::Error + 'static)) -> Answer {
    if e.is::<http_body_util::LengthLimitError>() {
        let reason = format!("HTTP {status} answer body over the {} MiB read limit", MAX_BODY / 1024 / 1024);
        return Answer::Failed { class: ErrorClass::BodyTooLarge, reason };
    }
    Answer::Failed {
        class: ErrorClass::Connect,
        reason: format!("reading the HTTP {status} answer: {}", crate::util::error_chain(e)),
    }
}

/// Whether an error of type `T` is among `e`'s causes, also inside (nested) `io::Error`s,
/// whose `source()` skips the error they wrap (hyper-rustls wraps rustls's error twice).
fn caused_by<T: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        let mut wrapped: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(w) = wrapped {
            if w.is::<T>() {
                return true;
            }
            wrapped = w.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|i| i as _);
        }
        cause = err.source();
    }
    false
}

fn is_user_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if err.downcast_ref::<hyper::Error>().is_some_and(|h| h.is_user()) {
            return true;
        }
        cause = err.source();
    }
    false
}
