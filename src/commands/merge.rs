//! `proofdeck merge RUN_DIR... -o OUT`: shard run directories into one report, exactly.

use crate::outcome::exit;
use crate::report;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shards' run directories (each with its report.json)
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// Where to write the merged run directory
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn merge(args: &MergeArgs) -> i32 {
    let mut runs = Vec::new();
    for dir in &args.runs {
        match report::read(dir) {
            Ok(r) => runs.push((dir.clone(), r)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let merged = match crate::distributed::merge::merge(&runs) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let scenario = std::fs::read_to_string(args.runs[0].join("scenario.toml")).unwrap_or_default();
    let secrets = crate::redact::Secrets::default();
    if let Err(e) = std::fs::create_dir_all(&args.output)
        .and_then(|()| report::write_all(&merged, &args.output, &scenario, None, None, &secrets))
    {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return exit::ABORTED;
    }
    let kpis: Vec<String> = merged
        .kpis
        .iter()
        .map(|k| format!("{} {} ({})", k.name, k.verdict.label(), k.value.map_or("—".into(), |v| format!("{v:.3}"))))
        .collect();
    println!("merged {} run(s): {} requests, {}", runs.len(), merged.totals.requests, kpis.join(", "));
    for reason in merged.verdict.reasons() {
        println!("  ✗ {reason}");
    }
    println!("report: {}", args.output.display());
    if merged.verdict.passed {
        exit::OK
    } else {
        exit::KPI_FAILED
    }
}
