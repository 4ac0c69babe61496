//! The load path's HTTP client: hyper with a keep-alive pool (reqwest costs ~40 % of the
//! throughput on loopback), plain HTTP or HTTPS through rustls with the ring provider.

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

#[derive(Clone)]
pub struct LoadClient {
    inner: Client<HttpsConnector, Full<Bytes>>,
}

/// What came back, or why nothing did.
pub enum Answer {
    Response {
        status: u16,
        body: Bytes,
    },
    Timeout,
    /// Refused, reset or otherwise broken before an answer.
    Connect(String),
    /// The request could not be built (a rendered header or path is not valid HTTP).
    Invalid(String),
}

impl LoadClient {
    pub fn new(max_idle_per_host: usize) -> Self {
        crate::tls::install_crypto_provider();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Self { inner }
    }

    pub async fn send(&self, request: Request<Full<Bytes>>, timeout: Duration) -> Answer {
        let exchange = async {
            let response = self.inner.request(request).await.map_err(|e| crate::util::error_chain(&e))?;
            let status = response.status().as_u16();
            // Bounded: at 10k in flight, an unbounded body per request could exhaust memory.
            let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();

            Ok::<_, String>((status, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Answer::Timeout,
            Ok(Err(e)) => Answer::Connect(e),
            Ok(Ok((status, body))) => Answer::Response { status, body },
        }
    }
}
