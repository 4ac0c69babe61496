//! Chaos control: the admin client, the scenario's schedule, and the effect check.

pub mod client;
pub mod effect;
pub mod schedule;

pub use client::{ChaosClient, ChaosError};
