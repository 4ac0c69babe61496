//! `proofdeck import`: converts another tool's script into a proofdeck scenario.

use crate::outcome::exit;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// An Artillery script (YAML)
    Artillery {
        file: PathBuf,
        /// Write the scenario here (default: stdout)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Target profile whose `[import]` roles turn token helpers into setup: `4runr`,
        /// `generic` (none) or a profile file
        #[arg(long, default_value = "4runr", env = "PROOFDECK_PROFILE")]
        profile: String,
    },
}

/// Converts, writes the scenario, and lists on stderr what needs a human, with YAML lines.
pub fn import(cmd: ImportCommand) -> i32 {
    let ImportCommand::Artillery { file, output, profile } = cmd;
    let profile = match crate::scrape::profile_file::resolve(&profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let yaml = match std::fs::read_to_string(&file) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return exit::USAGE;
        }
    };
    let conversion = match crate::scenario::artillery::convert(&file, &yaml, profile.import.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return exit::USAGE;
        }
    };
    match &output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &conversion.toml) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::ABORTED;
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{}", conversion.toml),
    }
    if !conversion.todos.is_empty() {
        eprintln!("{} parts need a human (kept as # TODO comments in the scenario):", conversion.todos.len());
        for t in &conversion.todos {
            eprintln!("  {}:{}: {}", file.display(), t.line, t.what);
        }
    }
    exit::OK
}
