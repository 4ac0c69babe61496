//! Target-side metrics: a tolerant Prometheus text parser, derived series, target profiles.

pub mod derive;
pub mod evidence;
pub mod fetch;
pub mod parser;
pub mod profile;
pub mod profile_file;
pub mod reconcile;

/// The real gateway's expositions, shared by the parser's and the profile's tests.
#[cfg(test)]
pub(crate) mod fixtures {
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prometheus/", $name))
        };
    }
    pub const LIVE: &str = fixture!("4runr-live-sample.prom");
    pub const CHAOS: &str = fixture!("4runr-chaos-after.prom");
    pub const BIG: &str = fixture!("4runr-big-after.prom");
    pub const DURING: &str = fixture!("4runr-run-during.prom");
}
