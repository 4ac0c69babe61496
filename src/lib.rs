//! proofdeck: a terminal cockpit for proof-and-benchmark campaigns against API gateways.

pub mod capacity;
pub mod chaos;
pub mod cli;
pub mod cockpit;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod distributed;
pub mod engine;
pub mod gateway;
pub mod headless;
pub mod live;
pub mod metrics;
pub mod monitor;
pub mod outcome;
pub mod procstat;
pub mod promql;
pub mod redact;
pub mod report;
pub mod scenario;
pub mod scrape;
pub mod session;
pub mod stop;
pub mod tls;
pub mod tui;
pub mod util;
