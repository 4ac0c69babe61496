//! "Capacity & recommendations": what the plan's own phases say about headroom, from the
//! run's evidence only. Per phase: the peak arrival rate, the p99 of a typical second at that
//! peak (the median second's, so one outlier second does not decide) and of the worst one,
//! and its margin to the p99 target; breaker state changes in steady phases (flapping); and
//! recommendations, each tied to its number. A search for the capacity itself is
//! `run --find-capacity` (see `crate::capacity`).

use super::kpi::trim;
use super::RunReport;
use crate::scenario::PhaseKind;
use std::fmt::Write;

/// Seconds within this share of a phase's peak rate are "at its peak".
const AT_PEAK: f64 = 0.9;
/// Breaker state changes per tool in one steady phase from which it is called flapping,
/// when the run has no flapping KPI to say (its default target is at most 2).
const FLAPPING: usize = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct PhaseAtPeak {
    pub name: String,
    pub kind: PhaseKind,
    pub kpi: bool,
    pub peak_rate: f64,
    /// p99 of the median second at the peak, and of the worst second (ms).
    pub typical_p99_ms: Option<f64>,
    pub worst_p99_ms: Option<f64>,
    pub dropped: u64,
    /// Breaker state changes the target's scrapes showed during the phase, by tool.
    pub breaker_changes: Vec<(String, usize)>,
}

impl PhaseAtPeak {
    pub fn breaker_change_count(&self) -> usize {
        self.breaker_changes.iter().map(|(_, n)| n).sum()
    }

    /// A steady phase (load or soak, judged by the KPIs) where one breaker changed state
    /// `flapping` times or more.
    pub fn flapping(&self, flapping: usize) -> bool {
        crate::scrape::evidence::is_steady(self.kind, self.kpi)
            && self.breaker_changes.iter().any(|(_, n)| *n >= flapping)
    }
}

/// The phases that ran, each at its peak.
pub fn phases_at_peak(r: &RunReport) -> Vec<PhaseAtPeak> {
    let mut out = Vec::new();
    for (index, planned) in r.scenario.phases.iter().enumerate() {
        let points: Vec<_> = r.series.iter().filter(|p| p.phase == index && p.scheduled > 0).collect();
        let Some((from, to)) = crate::scrape::evidence::phase_window(&r.series, index) else {
            continue;
        };
        let peak = points.iter().map(|p| p.scheduled).max().unwrap_or(0) as f64;
        let mut p99s: Vec<f64> = points
            .iter()
            .filter(|p| p.scheduled as f64 >= AT_PEAK * peak && p.completed > 0)
            .map(|p| p.p99_ms)
            .collect();
        p99s.sort_by(f64::total_cmp);
        let changes = crate::scrape::evidence::breaker_changes(&r.events, from, to);
        out.push(PhaseAtPeak {
            name: planned.name.clone(),
            kind: planned.kind,
            kpi: planned.kpi,
            peak_rate: peak,
            typical_p99_ms: p99s.get(p99s.len() / 2).copied(),
            worst_p99_ms: p99s.last().copied(),
            dropped: points.iter().map(|p| p.dropped).sum(),
            breaker_changes: changes,
        });
    }
    out
}

fn p99_target(r: &RunReport) -> Option<f64> {
    r.kpis.iter().find(|k| k.id == "p99").and_then(|k| k.limit)
}

/// Changes that make a breaker flap: one more than the flapping KPI allows.
fn flapping_from(r: &RunReport) -> usize {
    r.kpis.iter().find(|k| k.id == "breaker_flapping").and_then(|k| k.limit).map_or(FLAPPING, |l| l as usize + 1)
}

pub fn render(r: &RunReport, o: &mut String) {
    let phases = phases_at_peak(r);
    let _ = writeln!(o, "## Capacity & recommendations");
    let _ = writeln!(o);
    if phases.is_empty() {
        let _ = writeln!(o, "No phase sent load: nothing to say about capacity.");
        let _ = writeln!(o);
        return;
    }
    let target = p99_target(r);
    let _ = writeln!(
        o,
        "Each phase at its peak (seconds within {:.0} % of its highest scheduled rate): the p99 of the median \
         second, of the worst second, and the margin of the median second to the p99 target{}.",
        AT_PEAK * 100.0,
        target.map_or(String::new(), |t| format!(" ({} ms)", trim(t)))
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| phase | kind | peak arrivals/s | p99 median second | p99 worst second | margin | breaker changes | dropped |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|");
    for p in &phases {
        let ms = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} ms"));
        let margin = margin(p, target).map_or("—".to_string(), |m| format!("{:+.0} %", m * 100.0));
        let _ = writeln!(
            o,
            "| {}{} | {} | {:.0} | {} | {} | {margin} | {} | {} |",
            p.name,
            if p.kpi { "" } else { " (not judged)" },
            p.kind.name(),
            p.peak_rate,
            ms(p.typical_p99_ms),
            ms(p.worst_p99_ms),
            p.breaker_change_count(),
            p.dropped
        );
    }
    let _ = writeln!(o);
    for line in recommendations(&phases, target, flapping_from(r)) {
        let _ = writeln!(o, "- {line}");
    }
    let _ = writeln!(o);
}

/// How far the median second's p99 stays under the target, as a share of it (negative: over).
fn margin(p: &PhaseAtPeak, target: Option<f64>) -> Option<f64> {
    let (p99, t) = (p.typical_p99_ms?, target?);
    (t > 0.0).then(|| (t - p99) / t)
}

/// Recommendations, each tied to a number from the table.
pub fn recommendations(phases: &[PhaseAtPeak], target: Option<f64>, flapping: usize) -> Vec<String> {
    let mut out = Vec::new();
    let judged: Vec<&PhaseAtPeak> = phases.iter().filter(|p| p.kpi && margin(p, target).is_some()).collect();
    let held_peak = judged
        .iter()
        .filter(|p| margin(p, target).is_some_and(|m| m >= 0.0))
        .map(|p| p.peak_rate)
        .fold(None, |a: Option<f64>, r| Some(a.map_or(r, |a| a.max(r))));
    let broken: Vec<&&PhaseAtPeak> = judged.iter().filter(|p| margin(p, target).is_some_and(|m| m < 0.0)).collect();
    for p in &broken {
        let (p99, t) = (p.typical_p99_ms.unwrap_or_default(), target.unwrap_or_default());
        out.push(format!(
            "p99 is {p99:.1} ms (target {} ms) at {:.0} arrivals/s in phase {}: the plan's load runs past the latency KPI there{}.",
            trim(t),
            p.peak_rate,
            p.name,
            held_peak.map_or(String::new(), |h| format!("; the highest phase peak that held is {h:.0}/s"))
        ));
    }
    if broken.is_empty() {
        if let Some(tightest) =
            judged.iter().min_by(|a, b| margin(a, target).unwrap_or(0.0).total_cmp(&margin(b, target).unwrap_or(0.0)))
        {
            out.push(format!(
                "Every judged phase held its p99 target at its peak; the tightest margin is {:.0} % in phase {} at {:.0} \
                 arrivals/s. How far beyond that the target holds: `proofdeck run SCENARIO --find-capacity`.",
                margin(tightest, target).unwrap_or_default() * 100.0,
                tightest.name,
                tightest.peak_rate
            ));
        }
    }
    for p in phases.iter().filter(|p| p.flapping(flapping)) {
        let tools: Vec<String> = p.breaker_changes.iter().map(|(t, n)| format!("{t} {n}×")).collect();
        out.push(format!(
            "Breakers changed state {} times in the steady phase {} ({}): flapping under steady load (fewer than {flapping} per tool holds).",
            p.breaker_change_count(),
            p.name,
            tools.join(", ")
        ));
    }
    for p in phases.iter().filter(|p| p.dropped > 0) {
        out.push(format!(
            "{} arrivals were dropped at the in-flight cap in phase {}: the client did not offer that phase's load; \
             raise --max-inflight before reading its numbers as the target's.",
            p.dropped, p.name
        ));
    }
    if target.is_none() {
        out.push("The run has no p99 target to hold the phases to.".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, kind: PhaseKind, peak: f64, p99: f64) -> PhaseAtPeak {
        PhaseAtPeak {
            name: name.into(),
            kind,
            kpi: kind != PhaseKind::Chaos,
            peak_rate: peak,
            typical_p99_ms: Some(p99),
            worst_p99_ms: Some(p99 * 1.5),
            dropped: 0,
            breaker_changes: Vec::new(),
        }
    }

    #[test]
    fn a_phase_past_the_target_is_named_with_its_numbers() {
        let phases = [phase("ramp", PhaseKind::Load, 50.0, 20.0), phase("spike", PhaseKind::Load, 150.0, 78.0)];
        let recs = recommendations(&phases, Some(60.0), 3);
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert!(recs[0].contains("p99 is 78.0 ms (target 60 ms) at 150 arrivals/s in phase spike"), "{recs:?}");
        assert!(recs[0].contains("the highest phase peak that held is 50/s"), "{recs:?}");
    }

    #[test]
    fn all_held_names_the_tightest_margin() {
        let phases = [phase("a", PhaseKind::Load, 50.0, 30.0), phase("b", PhaseKind::Soak, 20.0, 10.0)];
        let recs = recommendations(&phases, Some(60.0), 3);
        assert!(recs[0].contains("tightest margin is 50 % in phase a at 50"), "{recs:?}");
    }

    #[test]
    fn flapping_counts_only_in_steady_judged_phases() {
        let mut soak = phase("soak", PhaseKind::Soak, 10.0, 5.0);
        soak.breaker_changes = vec![("serpapi".into(), 4)];
        let mut chaos = phase("chaos", PhaseKind::Chaos, 10.0, 5.0);
        chaos.breaker_changes = vec![("serpapi".into(), 9)];
        assert!(soak.flapping(3) && !chaos.flapping(3) && !soak.flapping(5));
        let recs = recommendations(&[soak, chaos], Some(60.0), 3);
        assert!(
            recs.iter().any(|r| r.contains("changed state 4 times in the steady phase soak (serpapi 4×)")),
            "{recs:?}"
        );
        assert!(!recs.iter().any(|r| r.contains("phase chaos (")), "{recs:?}");
    }
}
