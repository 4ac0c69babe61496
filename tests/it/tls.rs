//! HTTPS on the load path against a real TLS server with a self-signed certificate
//! (`tests/fixtures/tls`, made for these tests only): refused and classed `tls` by default,
//! accepted with `--insecure`, over HTTP/1.1 and over HTTP/2 negotiated by ALPN.

use proofdeck::engine::{self, EngineOptions};
use proofdeck::metrics::ErrorClass;
use proofdeck::scenario;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A TLS server offering h2 and http/1.1 by ALPN; counts requests per HTTP version.
async fn tls_server() -> (String, Arc<[AtomicU64; 2]>) {
    let certs: Vec<CertificateDer> =
        CertificateDer::pem_file_iter("tests/fixtures/tls/cert.pem").unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file("tests/fixtures/tls/key.pem").unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let counts: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let seen = counts.clone();
    let app = axum::Router::new().route("/metrics", axum::routing::get(|| async { "up 1\n" })).route(
        "/",
        axum::routing::get(move |req: axum::extract::Request| {
            let seen = seen.clone();
            async move {
                seen[usize::from(req.version() == http::Version::HTTP_2)].fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://{addr}"), counts)
}

fn quick(requests_per_s: u32) -> scenario::Scenario {
    let text = format!(
        "[defaults]\ntimeout = \"10s\"\n[[phase]]\nname = \"p\"\nduration = \"2s\"\nrate = {requests_per_s}\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/\"\ntool = \"t\"\nexpect = [200]\n"
    );
    scenario::parse(Path::new("tls-test.toml"), &text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_target_is_refused_as_tls_unless_insecure() {
    let (base, _) = tls_server().await;
    let r = engine::start(Arc::new(quick(20)), &base, EngineOptions::default()).join.await.unwrap();
    let t = r.snapshot.tool("t").unwrap();
    assert_eq!(t.errors.get(ErrorClass::Tls), t.requests, "every request refused as tls");
    let detail = r.snapshot.failures.iter().find(|f| f.class == ErrorClass::Tls).map(|f| f.detail.clone());
    assert!(detail.as_deref().is_some_and(|d| d.to_lowercase().contains("certificate")), "{detail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_accepts_it_over_http1_and_over_http2_by_alpn() {
    for http2 in [false, true] {
        let (base, counts) = tls_server().await;
        let opts = EngineOptions { insecure: true, http2, ..EngineOptions::default() };
        let r = engine::start(Arc::new(quick(50)), &base, opts).join.await.unwrap();
        let t = r.snapshot.tool("t").unwrap();
        assert_eq!((t.requests, t.ok), (100, 100), "http2 = {http2}: {:?}", r.snapshot.failures);
        let (h1, h2) = (counts[0].load(Ordering::Relaxed), counts[1].load(Ordering::Relaxed));
        assert_eq!((h1, h2), if http2 { (0, 100) } else { (100, 0) }, "http2 = {http2}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_scrapes_a_self_signed_target_too() {
    use proofdeck::scrape::fetch::{MetricsSource, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT};
    let (base, _) = tls_server().await;
    let strict = MetricsSource::new(&base, DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES);
    assert!(strict.fetch().await.is_err(), "a self-signed target is refused by default");
    let insecure = MetricsSource::new(&base, DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES).insecure(true);
    assert_eq!(insecure.fetch().await.unwrap(), "up 1\n");
}
