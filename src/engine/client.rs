//! The load path's HTTP client: hyper with keep-alive connections of its own (reqwest costs
//! ~40 % of the throughput on loopback), plain HTTP or HTTPS through rustls with the ring
//! provider; HTTP/1.1, or HTTP/2 (prior knowledge on `http://`, ALPN `h2` over TLS) with many
//! streams multiplexed on each connection.

use crate::metrics::ErrorClass;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Largest answer body read; bigger ones fail the request (captures need the body, nothing else).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

type HyperClient = Client<HttpsConnector, Full<Bytes>>;

/// HTTP/2 streams per connection unless `--streams` says otherwise: below the limits
/// servers announce (nginx 128, hyper 200, Go 250), so no request waits inside the client
/// for a free stream, a wait that would pass for the target's time.
pub const DEFAULT_STREAMS: usize = 100;
/// HTTP/2 connections at most; past them, the least busy connection takes the request.
const MAX_LANES: usize = 1024;

/// HTTP/1.1: a connection per request in flight, idle ones kept for the next requests.
/// HTTP/2: lanes of one connection each, grown on demand, a request taking the first lane
/// with a free stream, so connections follow the load and a light load keeps its one warm
/// connection.
pub struct LoadClient {
    inner: Inner,
}

enum Inner {
    /// The connector, and the connections between two requests.
    Http1 {
        connector: HttpsConnector,
        idle: IdleConnections,
        host: HostHeader,
    },
    Http2 {
        lanes: std::sync::RwLock<Vec<Arc<Lane>>>,
        streams: usize,
        insecure: bool,
    },
}

struct Lane {
    client: HyperClient,
    inflight: AtomicUsize,
}

impl Lane {
    /// Takes a stream of this lane if one is free.
    fn try_take(&self, streams: usize) -> bool {
        let mut n = self.inflight.load(Ordering::Relaxed);
        while n < streams {
            match self.inflight.compare_exchange_weak(n, n + 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => n = now,
            }
        }
        false
    }
}

/// Gives the lane's stream back when the exchange ends, however it ends.
struct StreamGuard(Arc<Lane>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How the load path speaks HTTP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Protocol {
    /// Every request over HTTP/2 (h2c with prior knowledge on `http://`, ALPN `h2` on `https://`).
    pub http2: bool,
    /// HTTP/2: requests in flight per connection, at most (`None`: [`DEFAULT_STREAMS`]).
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
    pub fn new(max_inflight: usize, protocol: Protocol) -> Self {
        let Protocol { http2, streams, insecure } = protocol;
        let inner = if http2 {
            let streams = streams.unwrap_or(DEFAULT_STREAMS).max(1);
            Inner::Http2 { lanes: std::sync::RwLock::new(Vec::new()), streams, insecure }
        } else {
            Inner::Http1 {
                connector: Self::connector(false, insecure),
                idle: IdleConnections::new(max_inflight.min(MAX_IDLE_HTTP1)),
                host: HostHeader::default(),
            }
        };
        Self { inner }
    }

    fn connector(http2: bool, insecure: bool) -> HttpsConnector {
        crate::tls::install_crypto_provider();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let builder = if insecure {
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(crate::tls::insecure_client_config())
        } else {
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(crate::tls::verified_client_config())
        }
        .https_or_http();
        if http2 {
            builder.enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        }
    }

    /// An HTTP/2 lane's client: one connection, its streams multiplexed.
    fn http2_client(insecure: bool) -> HyperClient {
        Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(IDLE_TIMEOUT)
            .http2_only(true)
            .build(Self::connector(true, insecure))
    }

    /// The first HTTP/2 lane with a free stream, a new one when all are busy, or at the cap
    /// the least busy; its stream is taken.
    fn lane(lanes: &std::sync::RwLock<Vec<Arc<Lane>>>, streams: usize, insecure: bool) -> StreamGuard {
        if let Some(lane) = crate::util::read(lanes).iter().find(|l| l.try_take(streams)) {
            return StreamGuard(lane.clone());
        }
        let mut all = crate::util::write(lanes);
        if let Some(lane) = all.iter().find(|l| l.try_take(streams)) {
            return StreamGuard(lane.clone());
        }
        let lane = if all.len() < MAX_LANES {
            let lane = Arc::new(Lane { client: Self::http2_client(insecure), inflight: AtomicUsize::new(0) });
            all.push(lane.clone());
            lane
        } else {
            all.iter().min_by_key(|l| l.inflight.load(Ordering::Relaxed)).expect("MAX_LANES > 0").clone()
        };
        lane.inflight.fetch_add(1, Ordering::AcqRel);
        StreamGuard(lane)
    }

    pub async fn send(&self, request: Request<Full<Bytes>>, timeout: Duration) -> Answer {
        match &self.inner {
            Inner::Http1 { connector, idle, host } => {
                // The warmest idle connection, or a new one; kept again after, when still open.
                let mut own = idle.take();
                let answer = Self::exchange_own(connector, host, &mut own, request, timeout).await;
                idle.put(own);
                answer
            }
            Inner::Http2 { lanes, streams, insecure } => {
                let exchange = async {
                    // The stream stays taken until the answer's body is read (or the exchange
                    // dropped).
                    let stream = Self::lane(lanes, *streams, *insecure);
                    let response = stream.0.client.request(request).await.map_err(|e| failure(&e, e.is_connect()))?;
                    read_answer(response).await
                };
                answer_within(timeout, exchange).await
            }
        }
    }

    /// Like [`send`](Self::send), over `own`'s connection when this is HTTP/1.1: for a worker
    /// that sends one request at a time (the closed loop), which then skips the idle
    /// connections' lock. HTTP/2 shares its lanes.
    pub async fn send_own(&self, own: &mut OwnConnection, request: Request<Full<Bytes>>, timeout: Duration) -> Answer {
        match &self.inner {
            Inner::Http1 { connector, host, .. } => Self::exchange_own(connector, host, own, request, timeout).await,
            // Boxed so that the HTTP/1.1 path's future stays small (see `exchange`).
            Inner::Http2 { .. } => Box::pin(self.send(request, timeout)).await,
        }
    }

    async fn exchange_own(
        connector: &HttpsConnector,
        host: &HostHeader,
        own: &mut OwnConnection,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Answer {
        let at = tokio::time::Instant::now() + timeout;
        let deadline = match &mut own.deadline {
            Some(deadline) => {
                deadline.as_mut().reset(at);
                deadline
            }
            none => none.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        let sender = &mut own.sender;
        let exchange = async {
            let response = exchange(sender, connector, host, request).await?;
            read_answer(response).await
        };
        let answer = tokio::select! {
            biased;
            answer = exchange => into_answer(answer),
            _ = deadline.as_mut() => Answer::Timeout,
        };
        if !matches!(answer, Answer::Response { .. }) {
            // An exchange cut short (timeout, unread body) leaves the connection busy or
            // broken: the next request gets a new one.
            own.sender = None;
        }
        answer
    }
}

/// Idle HTTP/1.1 connections kept at most, whatever the in-flight bound.
const MAX_IDLE_HTTP1: usize = 4096;
/// An idle HTTP/1.1 connection unused this long is closed (a spike's connections do not stay
/// open for the rest of the run).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// HTTP/1.1 connections between two requests, the most recently used on top: a request
/// takes the warmest, and the coldest, at the bottom, are closed once unused for
/// [`IDLE_TIMEOUT`]. A lock held for a push or a pop; no hashing, no task per request, as a
/// general-purpose pool needs.
struct IdleConnections {
    stack: std::sync::Mutex<std::collections::VecDeque<(OwnConnection, Instant)>>,
    max: usize,
}

impl IdleConnections {
    fn new(max: usize) -> Self {
        Self { stack: Default::default(), max: max.max(1) }
    }

    /// The warmest idle connection, or an unopened one.
    fn take(&self) -> OwnConnection {
        crate::util::lock(&self.stack).pop_back().map(|(own, _)| own).unwrap_or_default()
    }

    /// Keeps `own`'s connection for a next request, unless it is closed (or none was opened).
    fn put(&self, own: OwnConnection) {
        if own.sender.as_ref().is_none_or(|s| s.is_closed()) {
            return;
        }
        let now = Instant::now();
        let mut stack = crate::util::lock(&self.stack);
        while stack.front().is_some_and(|(_, used)| now.duration_since(*used) >= IDLE_TIMEOUT) {
            stack.pop_front();
        }
        if stack.len() < self.max {
            stack.push_back((own, now));
        }
    }
}

/// An HTTP/1.1 connection one worker keeps to itself, opened on first use and again after
/// the target closes it, with its requests' deadline.
#[derive(Default)]
pub struct OwnConnection {
    sender: Option<http1::SendRequest<Full<Bytes>>>,
    /// Moved for each request: moving a registered timer later is an atomic store, where a
    /// new timer per request would take the timer wheel's lock to register and to cancel it.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// Sends `request` over `slot`'s connection, opening one when there is none (or the target
/// closed it).
async fn exchange(
    slot: &mut Option<http1::SendRequest<Full<Bytes>>>,
    connector: &HttpsConnector,
    host: &HostHeader,
    mut request: Request<Full<Bytes>>,
) -> Result<Response<Incoming>, Answer> {
    let target = request.uri().clone();
    if target.host().is_none() {
        let reason = format!("invalid request: {target} has no host");
        return Err(Answer::Failed { class: ErrorClass::InvalidRequest, reason });
    }
    prepare_for_http1(&mut request, &target, host);
    // A request the connection never took (the target closed it meanwhile, e.g. after its
    // keep-alive limit) goes once more, on a new connection, as a pool does.
    for retry in [false, true] {
        let sender = match &mut *slot {
            Some(open) if !open.is_closed() => open,
            // Boxed: opening is rare, and its large future would otherwise be copied along
            // with every request's.
            empty => empty.insert(Box::pin(open_connection(connector, &target)).await?),
        };
        if sender.ready().await.is_err() {
            *slot = None;
            continue;
        }
        match sender.try_send_request(request).await {
            Ok(response) => return Ok(response),
            Err(mut e) => {
                *slot = None;
                match e.take_message() {
                    Some(unsent) if !retry => request = unsent,
                    _ => {
                        let e = e.into_error();
                        return Err(failure(&e, false));
                    }
                }
            }
        }
    }
    let reason = "the target closed the connection before the request could be sent".to_string();
    Err(Answer::Failed { class: ErrorClass::Connect, reason })
}

/// The `Host` header of the run's target, made once (a run has one target): the port is
/// written unless it is the scheme's default.
#[derive(Default)]
struct HostHeader(std::sync::OnceLock<(http::uri::Authority, http::HeaderValue)>);

impl HostHeader {
    fn of(&self, target: &Uri) -> Option<http::HeaderValue> {
        let authority = target.authority()?;
        if let Some((made_for, value)) = self.0.get() {
            if made_for == authority {
                return Some(value.clone());
            }
        }
        let host = authority.host();
        let default_port = if target.scheme_str() == Some("https") { 443 } else { 80 };
        let value = match authority.port_u16() {
            Some(port) if port != default_port => http::HeaderValue::try_from(format!("{host}:{port}")),
            _ => http::HeaderValue::try_from(host),
        }
        .ok()?;
        let _ = self.0.set((authority.clone(), value.clone()));
        Some(value)
    }
}

/// What hyper's pooled client does to a request before HTTP/1.1: a `Host` header and the
/// target in origin form (`/path?query`).
fn prepare_for_http1(request: &mut Request<Full<Bytes>>, target: &Uri, host: &HostHeader) {
    if let http::header::Entry::Vacant(entry) = request.headers_mut().entry(http::header::HOST) {
        if let Some(value) = host.of(target) {
            entry.insert(value);
        }
    }
    let origin = match target.path_and_query() {
        Some(path) if path.as_str() != "/" => Uri::from(path.clone()),
        _ => Uri::from_static("/"),
    };
    *request.uri_mut() = origin;
}

/// Connects to `target` (TLS when it is `https://`) and starts the connection's task.
async fn open_connection(connector: &HttpsConnector, target: &Uri) -> Result<http1::SendRequest<Full<Bytes>>, Answer> {
    use tower_service::Service;
    let mut connector = connector.clone();
    let io = async {
        std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
        connector.call(target.clone()).await
    }
    .await
    .map_err(|e| failure(&*e, true))?;
    let (sender, connection) = http1::handshake(io).await.map_err(|e| failure(&e, true))?;
    tokio::spawn(async move {
        // Ends when the connection closes; its error, if any, reaches the request.
        let _ = connection.await;
    });
    Ok(sender)
}

/// The answer's status and body, read within the body limit.
async fn read_answer(response: Response<Incoming>) -> Result<(u16, Bytes), Answer> {
    let status = response.status().as_u16();
    // Bounded: at 10k in flight, an unbounded body per request could exhaust memory.
    let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| body_failure(status, &*e))?
        .to_bytes();
    Ok((status, body))
}

async fn answer_within(timeout: Duration, exchange: impl Future<Output = Result<(u16, Bytes), Answer>>) -> Answer {
    tokio::time::timeout(timeout, exchange).await.map_or(Answer::Timeout, into_answer)
}

/// An exchange's status and body, or why it had none.
fn into_answer(exchanged: Result<(u16, Bytes), Answer>) -> Answer {
    exchanged.map_or_else(|failed| failed, |(status, body)| Answer::Response { status, body })
}

/// Why a request got no answer, classified from the error's causes rather than its text;
/// `connecting` when it came from opening the connection.
fn failure(e: &(dyn std::error::Error + 'static), connecting: bool) -> Answer {
    let reason = crate::util::error_chain(e);
    let class = if caused_by::<rustls::Error>(e) {
        ErrorClass::Tls
    } else if is_user_error(e) || (connecting && reason.contains("scheme")) {
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
