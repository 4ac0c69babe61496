//! `proofdeck validate`: parses and checks a scenario without sending load.

use crate::outcome::exit;
use std::path::Path;

pub fn validate(path: &Path) -> i32 {
    match crate::scenario::load_file(path) {
        Ok(s) => {
            println!(
                "{}: ok — {} phases ({}), {} flows, {} setup groups, {} chaos entries, peak {:.1} arrivals/s",
                path.display(),
                s.phases.len(),
                crate::scenario::duration::format(s.total_duration()),
                s.flows.len(),
                s.setup.len(),
                s.chaos.len(),
                s.peak_rate()
            );
            exit::OK
        }
        Err(e) => {
            eprint!("{e}");
            exit::USAGE
        }
    }
}
