//! `proofdeck report`: re-renders every report file of a run directory from its report.json.

use crate::outcome::exit;
use crate::report;
use std::path::Path;

pub fn rerender(dir: &Path) -> i32 {
    let run = match report::read(dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    match report::render_files(&run, dir) {
        Ok(()) => {
            println!("re-rendered report.md, junit.xml, timeseries.csv and charts in {}", dir.display());
            exit::OK
        }
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", dir.display());
            exit::ABORTED
        }
    }
}
