//! rustls with the `ring` provider, installed once for every HTTPS client in the process.

use std::sync::Once;

pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The reqwest client for scrapes and admin calls (the load path uses hyper directly).
pub fn admin_client(timeout: std::time::Duration) -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .expect("a reqwest client with the ring provider builds")
}
