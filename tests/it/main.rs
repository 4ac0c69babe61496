//! The integration tests, one binary: one link instead of ten, and the tests of every file
//! share the test threads, so one file's waits overlap another's.

mod common;

mod capacity;
mod chaos;
mod dashboard;
mod engine;
mod faults;
mod gateway;
mod import;
mod profiles;
mod promql;
mod report;
mod scenarios;
mod scrape;
mod shards;
mod tls;
mod verdicts;
