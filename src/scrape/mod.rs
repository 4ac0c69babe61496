//! Target-side metrics: a tolerant Prometheus text parser, derived series, target profiles.

pub mod derive;
pub mod evidence;
pub mod parser;
pub mod profile;
pub mod profile_file;
pub mod reconcile;
