//! `proofdeck probe`: a doctor for a target — health, chaos admin reachability, which panel
//! inputs the profile finds in its /metrics and under which names, and parse warnings.

use crate::outcome::exit;
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
    #[arg(long, value_enum, default_value_t = crate::config::Format::Human)]
    pub format: crate::config::Format,
    /// Target profile: `4runr` or a profile file
    #[arg(long, default_value = "4runr", env = "PROOFDECK_PROFILE")]
    pub profile: String,
    /// Evaluate every panel of a Grafana dashboard (JSON) on two scrapes `--interval` apart
    #[arg(long, value_name = "FILE.json")]
    pub dashboard: Option<PathBuf>,
    /// With --dashboard: the time between the two scrapes
    #[arg(long, default_value = "2s", value_parser = crate::config::parse_duration)]
    pub interval: std::time::Duration,
}

pub async fn run(args: ProbeArgs) -> i32 {
    let profile = match crate::scrape::profile_file::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", crate::outcome::error_text(&e));
            return exit::USAGE;
        }
    };
    if let Some(file) = &args.dashboard {
        let source = super::probe_dashboard::DashboardProbe {
            target: args.target.as_deref(),
            metrics_file: args.metrics_file.as_deref(),
            interval: args.interval,
            format: args.format,
        };
        return super::probe_dashboard::run(&source, file, &profile.metrics).await;
    }
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
            let http = crate::side_client::SideClient::new(crate::scrape::fetch::DEFAULT_TIMEOUT, false);
            let health = http.get(&format!("{}/health", target.trim_end_matches('/')), 64 * 1024).await;
            checks.push((
                "health",
                health.as_ref().map_or_else(|e| format!("unreachable: {e}"), |r| format!("HTTP {}", r.status.as_u16())),
            ));
            let chaos = match profile.chaos.clone() {
                Some(routes) => {
                    crate::chaos::ChaosClient::with_routes(target, crate::scrape::fetch::DEFAULT_TIMEOUT, routes)
                        .status()
                        .await
                        .map_or_else(|e| e.to_string(), |a| format!("reachable, {} tools under chaos", a.len()))
                }
                None => "none in this profile".to_string(),
            };
            checks.push(("chaos admin", chaos));
            crate::scrape::fetch::fetch_metrics(&http, target).await
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
    let doubts = expo.map(series_doubts).unwrap_or_default();
    let fresh = expo.is_some_and(|e| e.samples_parsed == 0 || inputs.iter().all(|r| r.found.is_none()));
    if args.format == crate::config::Format::Json {
        let v = json!({
            "checks": checks.iter().map(|(k, v)| json!({"check": k, "result": v})).collect::<Vec<_>>(),
            "inputs": inputs.iter().map(|r| json!({"input": r.input.name(), "found": r.found, "series": r.series, "tried": r.tried})).collect::<Vec<_>>(),
            "lines": expo.map(|e| e.lines),
            "samples": expo.map(|e| e.samples_parsed),
            "repairs": expo.map(|e| e.repairs.len()),
            "unreadable": expo.map(|e| e.warnings.len()),
            "duplicate_series": doubts.duplicates,
            "non_cumulative_buckets": doubts.non_cumulative,
            "no_series_yet": fresh,
            "warnings": expo.map(|e| e.warnings.iter().map(|w| json!({"line": w.line, "reason": w.reason, "text": w.text})).collect::<Vec<_>>()),
        });
        // serde escapes C0 controls; DEL and C1 controls (which some terminals obey) too.
        let text: String = format!("{v:#}")
            .chars()
            .map(|c| if c.is_control() && c != '\n' { format!("\\u{:04x}", c as u32) } else { c.to_string() })
            .collect();
        println!("{text}");
        return;
    }
    for (k, v) in checks {
        println!("{k:<12} {}", printable(v));
    }
    let Some(expo) = expo else { return };
    println!(
        "metrics      {} lines, {} samples, {} repaired lines, {} unreadable",
        expo.lines,
        expo.samples_parsed,
        expo.repairs.len(),
        expo.warnings.len()
    );
    if fresh {
        println!("\nno series yet — has the target served traffic? (no panel input is exposed so far)");
    }
    println!("\npanel input      found as");
    for r in &inputs {
        match &r.found {
            Some(name) => println!("  ✔ {:<14} {} ({} series)", r.input.name(), printable(name), r.series),
            None => println!("  ✘ {:<14} missing (tried {})", r.input.name(), r.tried.join(", ")),
        }
    }
    for d in doubts.duplicates.iter().take(20) {
        println!("warning: duplicate series {} (each copy is counted; the target exposes it twice)", printable(d));
    }
    for d in doubts.non_cumulative.iter().take(20) {
        println!("warning: buckets of {} are not cumulative (a count falls as le grows)", printable(d));
    }
    for w in expo.warnings.iter().take(20) {
        println!("warning: line {}: {} — {}", w.line, printable(&w.reason), printable(&w.text));
    }
}

/// What a target's exposition says that is probably wrong, beyond lines it cannot read.
#[derive(Default)]
struct Doubts {
    /// `name{labels}` exposed more than once.
    duplicates: Vec<String>,
    /// Histogram series (`name{labels}` without `le`) whose buckets are not cumulative.
    non_cumulative: Vec<String>,
}

fn series_doubts(expo: &parser::Exposition) -> Doubts {
    use std::collections::{BTreeMap, BTreeSet};
    let mut d = Doubts::default();
    let show = |name: &str, labels: &[(String, String)]| {
        let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        format!("{name}{{{}}}", l.join(","))
    };
    for family in expo.families.values() {
        let mut seen = BTreeSet::new();
        let mut buckets: BTreeMap<(String, parser::SeriesLabels), parser::Buckets> = BTreeMap::new();
        for s in &family.samples {
            if !seen.insert((s.name.as_str(), &s.labels)) {
                d.duplicates.push(show(&s.name, &s.labels));
            }
            if let (true, Some(le)) = (s.name.ends_with("_bucket"), s.label("le")) {
                let le = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::NAN) };
                let rest: Vec<(String, String)> = s.labels.iter().filter(|(k, _)| k != "le").cloned().collect();
                buckets.entry((s.name.clone(), rest)).or_default().push((le, s.value));
            }
        }
        for ((name, labels), mut b) in buckets {
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            if b.windows(2).any(|w| w[1].1 < w[0].1) {
                d.non_cumulative.push(show(&name, &labels));
            }
        }
    }
    d
}

/// Text from a target, made safe for a terminal.
fn printable(text: &str) -> String {
    crate::util::printable(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let hostile = "a\u{1b}]0;pwned\u{7}b\rc\u{202e}d";
        let shown = printable(hostile);
        assert!(!shown.chars().any(|c| c.is_control() || c == '\u{202e}'), "{shown:?}");
        assert_eq!(shown, "a\\u{1b}]0;pwned\\u{7}b\\rc\\u{202e}d");
    }

    #[test]
    fn duplicates_and_non_cumulative_buckets_are_found() {
        let text = "x_total{a=\"1\"} 1\nx_total{a=\"1\"} 2\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"+Inf\"} 6\nh_count 6\n";
        let d = series_doubts(&parser::parse(text));
        assert_eq!(d.duplicates, vec!["x_total{a=\"1\"}".to_string()]);
        assert_eq!(d.non_cumulative, vec!["h_bucket{}".to_string()]);
    }
}
