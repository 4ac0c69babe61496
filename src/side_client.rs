//! The HTTP client beside the load: scrapes of `/metrics` and the chaos admin calls. hyper's
//! pooled client over the same rustls setup as the load path, every call bounded in time and
//! in the size of what it reads (a second HTTP stack, such as reqwest's, would cost a clean
//! build about ten seconds of CPU for the same few requests).

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

#[derive(Clone)]
pub struct SideClient {
    client: Client<Https, Full<Bytes>>,
    timeout: Duration,
}

/// A call that got no usable answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No connection, a broken one, or a URL that cannot be requested; the reason in words.
    Unreachable(String),
    /// The answer's body is longer than the call's limit.
    TooLarge {
        limit: usize,
    },
    TimedOut(Duration),
}

/// An answer: its status and its whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl SideClient {
    /// Every call (connecting, sending, reading the body) ends within `timeout`. `insecure`
    /// accepts any server certificate (`--insecure`), with the load path's signature checks.
    pub fn new(timeout: Duration, insecure: bool) -> Self {
        crate::tls::install_crypto_provider();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let config = if insecure { crate::tls::insecure_client_config() } else { crate::tls::verified_client_config() };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        Self { client, timeout }
    }

    /// GETs `url`, reading at most `max_bytes` of its body.
    pub async fn get(&self, url: &str, max_bytes: usize) -> Result<Answer, CallError> {
        self.call(Method::GET, url, None, max_bytes).await
    }

    /// Sends `method` to `url`, with a JSON body when given, reading at most `max_bytes`.
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        json: Option<String>,
        max_bytes: usize,
    ) -> Result<Answer, CallError> {
        let mut request = http::Request::builder().method(method).uri(url);
        if json.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(json.map(Bytes::from).unwrap_or_default()))
            .map_err(|e| CallError::Unreachable(format!("cannot request {}: {e}", crate::redact::url(url))))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| unreachable(&e))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), max_bytes).collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    CallError::TooLarge { limit: max_bytes }
                } else {
                    CallError::Unreachable(crate::util::error_chain(&*e))
                }
            })?;
            Ok(Answer { status, body: body.to_bytes() })
        };
        tokio::time::timeout(self.timeout, exchange).await.unwrap_or(Err(CallError::TimedOut(self.timeout)))
    }
}

/// The client's error with its causes ("client error (Connect): tcp connect error: …").
fn unreachable(e: &hyper_util::client::legacy::Error) -> CallError {
    CallError::Unreachable(crate::util::error_chain(e))
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(why) => f.write_str(why),
            CallError::TooLarge { limit } => write!(f, "the answer is over {limit} bytes"),
            CallError::TimedOut(t) => write!(f, "no answer within {} ms", t.as_millis()),
        }
    }
}
