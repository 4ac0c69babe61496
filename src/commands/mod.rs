//! One file per subcommand; `cli` parses the flags and dispatches here.

pub mod attach;
pub mod chaos;
pub mod compare;
pub mod coordinate;
pub mod deploy;
pub mod gateway;
pub mod import;
pub mod merge;
pub mod probe;
pub mod probe_dashboard;
pub mod report;
pub mod run;
pub mod validate;
