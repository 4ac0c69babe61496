//! `proofdeck probe`: a doctor for a target — health, chaos admin reachability, which panel
//! inputs the profile finds in its /metrics and under which names, and parse warnings.

use crate::cli::exit;
use crate::scrape::{parser, profile};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Target base URL
    #[arg(long, env = "PROOFDECK_TARGET", required_unless_present = "metrics_file")]
    pub target: Option<String>,
    /// Read an exposition from a file instead of a target
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = crate::run::Format::Human)]
    pub format: crate::run::Format,
    /// Target profile: `4runr` or a profile file
    #[arg(long, default_value = "4runr", env = "PROOFDECK_PROFILE")]
    pub profile: String,
}

pub async fn run(args: ProbeArgs) -> i32 {
    let profile = match crate::scrape::profile_file::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let mut checks = Vec::new();
    let text = match (&args.metrics_file, &args.target) {
        (Some(file), _) => match std::fs::read_to_string(file) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", file.display());
                return exit::USAGE;
            }
        },
        (None, Some(target)) => {
            let http = crate::tls::admin_client(crate::session::TARGET_TIMEOUT);
            let health = http.get(format!("{}/health", target.trim_end_matches('/'))).send().await;
            checks.push((
                "health",
                health
                    .as_ref()
                    .map_or_else(|e| format!("unreachable: {e}"), |r| format!("HTTP {}", r.status().as_u16())),
            ));
            let chaos =
                crate::chaos::ChaosClient::with_routes(target, crate::session::TARGET_TIMEOUT, profile.chaos.clone())
                    .status()
                    .await;
            checks.push((
                "chaos admin",
                chaos.map_or_else(|e| e.to_string(), |a| format!("reachable, {} tools under chaos", a.len())),
            ));
            crate::session::fetch_metrics(&http, target).await
        }
        (None, None) => unreachable!("clap requires one of them"),
    };
    let Some(text) = text else {
        checks.push(("metrics", "unreachable".into()));
        print_report(&args, &profile.metrics, &checks, None);
        return exit::ABORTED;
    };
    let expo = parser::parse(&text);
    print_report(&args, &profile.metrics, &checks, Some(&expo));
    exit::OK
}

fn print_report(
    args: &ProbeArgs,
    profile: &profile::TargetProfile,
    checks: &[(&str, String)],
    expo: Option<&parser::Exposition>,
) {
    let inputs = expo.map(|e| profile.resolve(e)).unwrap_or_default();
    if args.format == crate::run::Format::Json {
        let v = json!({
            "checks": checks.iter().map(|(k, v)| json!({"check": k, "result": v})).collect::<Vec<_>>(),
            "inputs": inputs.iter().map(|r| json!({"input": r.input.name(), "found": r.found, "series": r.series, "tried": r.tried})).collect::<Vec<_>>(),
            "samples": expo.map(|e| e.samples_parsed),
            "repairs": expo.map(|e| e.repairs.len()),
            "warnings": expo.map(|e| e.warnings.iter().map(|w| json!({"line": w.line, "reason": w.reason, "text": w.text})).collect::<Vec<_>>()),
        });
        println!("{v:#}");
        return;
    }
    for (k, v) in checks {
        println!("{k:<12} {v}");
    }
    let Some(expo) = expo else { return };
    println!(
        "metrics      {} lines, {} samples, {} repaired lines, {} unreadable",
        expo.lines,
        expo.samples_parsed,
        expo.repairs.len(),
        expo.warnings.len()
    );
    println!("\npanel input      found as");
    for r in &inputs {
        match &r.found {
            Some(name) => println!("  ✔ {:<14} {name} ({} series)", r.input.name(), r.series),
            None => println!("  ✘ {:<14} missing (tried {})", r.input.name(), r.tried.join(", ")),
        }
    }
    for w in expo.warnings.iter().take(20) {
        println!("warning: line {}: {} — {}", w.line, w.reason, w.text);
    }
}
