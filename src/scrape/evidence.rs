//! What the target's counters say about a run: deltas between the scrape before the load and
//! the scrape after it, and over the phases a KPI is judged on (cache, soak), read through
//! the target profile so either naming scheme works.

use super::derive::counter_delta;
use super::parser::Exposition;
use super::profile::{Input, TargetProfile};
use crate::scenario::PhaseKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Target-side facts the KPIs need; `None` where the target did not expose them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetEvidence {
    pub retries_recovered: Option<f64>,
    pub retries_exhausted: Option<f64>,
    /// Over the cache phases that ran (`cache_phases`), not the whole run.
    pub cache_hits: Option<f64>,
    pub cache_misses: Option<f64>,
    #[serde(default)]
    pub cache_phases: Vec<String>,
    pub provenance_mismatches: Option<f64>,
    /// Over the whole run, for the resources section.
    pub rss_first_bytes: Option<f64>,
    pub rss_last_bytes: Option<f64>,
    pub rss_window_s: Option<f64>,
    /// The longest soak phase that ran, with the target's RSS at its start and end.
    #[serde(default)]
    pub soak: Option<SoakEvidence>,
    /// CPU seconds the target spent during the run.
    pub cpu_seconds: Option<f64>,
    /// Policy denials during the run by the profile's label (`reason`, or `tool` on the real
    /// gateway), with that label's name.
    pub denials: Option<(String, BTreeMap<String, f64>)>,
    /// Security events during the run by type.
    pub security_events: BTreeMap<String, f64>,
    /// Breaker state changes in the steady phases that ran; `None` when the target exposes
    /// no breaker states.
    #[serde(default)]
    pub steady_breakers: Option<SteadyBreakers>,
    /// The highest event-loop lag any scrape of the run showed, in ms.
    #[serde(default)]
    pub event_loop_lag_max_ms: Option<f64>,
}

/// Breaker state changes in steady phases (load or soak, judged by the KPIs): the worst
/// tool in the worst phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SteadyBreakers {
    /// The steady phases that ran.
    pub phases: Vec<String>,
    pub worst_changes: usize,
    /// (tool, phase) of the worst count, when any breaker changed state.
    pub worst: Option<(String, String)>,
}

/// The seconds `[from, to)` of the run clock in which phase `index` sent load.
pub fn phase_window(series: &[crate::metrics::SecondPoint], index: usize) -> Option<(f64, f64)> {
    let mut seconds = series.iter().filter(|p| p.phase == index && p.scheduled > 0).map(|p| f64::from(p.t));
    let first = seconds.next()?;
    let last = seconds.next_back().unwrap_or(first);
    Some((first, last + 1.0))
}

/// Breaker state changes per tool on the timeline within `[from, to)`, in first-seen order.
pub fn breaker_changes(events: &[crate::live::LogEvent], from: f64, to: f64) -> Vec<(String, usize)> {
    let mut changes: Vec<(String, usize)> = Vec::new();
    for e in events.iter().filter(|e| e.t_s >= from && e.t_s < to) {
        if let Some(crate::live::Event::Breaker { tool, .. }) = &e.event {
            match changes.iter_mut().find(|(t, _)| t == tool) {
                Some((_, n)) => *n += 1,
                None => changes.push((tool.clone(), 1)),
            }
        }
    }
    changes
}

/// A steady phase: load or soak judged by the KPIs (ramps and spikes included; chaos and
/// cache phases not).
pub fn is_steady(kind: PhaseKind, judged: bool) -> bool {
    judged && matches!(kind, PhaseKind::Load | PhaseKind::Soak)
}

/// The breaker evidence of the steady phases that ran.
pub fn steady_breakers(
    plan: &[crate::scenario::Phase],
    series: &[crate::metrics::SecondPoint],
    events: &[crate::live::LogEvent],
) -> SteadyBreakers {
    let mut out = SteadyBreakers::default();
    for (index, phase) in plan.iter().enumerate().filter(|(_, p)| is_steady(p.kind, p.kpi)) {
        let Some((from, to)) = phase_window(series, index) else {
            continue;
        };
        out.phases.push(phase.name.clone());
        for (tool, n) in breaker_changes(events, from, to) {
            if n > out.worst_changes {
                out.worst_changes = n;
                out.worst = Some((tool, phase.name.clone()));
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoakEvidence {
    pub phase: String,
    /// Seconds of load the phase ran (pauses excluded).
    pub seconds: f64,
    pub rss_start_bytes: Option<f64>,
    pub rss_end_bytes: Option<f64>,
}

/// A phase that started during the run, with the target's exposition scraped as it began.
#[derive(Clone, Debug)]
pub struct PhaseRun {
    pub index: usize,
    pub name: String,
    pub kind: PhaseKind,
    /// Seconds of load it ran so far (pauses excluded).
    pub load_s: f64,
    pub metrics_at_start: Option<String>,
}

pub fn gather(
    profile: &TargetProfile,
    before: Option<&str>,
    after: Option<&str>,
    window_s: f64,
    phases: &[PhaseRun],
) -> TargetEvidence {
    // Without both scrapes there is no window: lifetime totals would pass for the run's.
    let (Some(before), Some(after)) = (before.map(super::parser::parse), after.map(super::parser::parse)) else {
        return TargetEvidence::default();
    };
    let starts = parse_starts(phases);
    let windows = phase_windows(phases, &starts, &after);
    let before = Some(&before);
    let retries = breakdown(profile, Input::Retries, before, &after).map(|(_, m)| m);
    let retry = |outcome: &str| retries.as_ref().map(|m| m.get(outcome).copied().unwrap_or(0.0));
    let total = |input: Input| breakdown(profile, input, before, &after).map(|(_, m)| m.values().sum::<f64>());
    let gauge = |e: &Exposition| first_sum(profile, Input::RssBytes, e);
    let security = breakdown(profile, Input::SecurityEvents, before, &after).map(|(_, m)| m).unwrap_or_default();
    TargetEvidence {
        retries_recovered: retry("recovered"),
        retries_exhausted: retry("exhausted"),
        cache_hits: window_total(profile, Input::CacheHits, &windows, PhaseKind::Cache),
        cache_misses: window_total(profile, Input::CacheMisses, &windows, PhaseKind::Cache),
        cache_phases: windows.iter().filter(|w| w.run.kind == PhaseKind::Cache).map(|w| w.run.name.clone()).collect(),
        // Only where the profile names the event type, and the target counts security events.
        provenance_mismatches: profile.provenance_event.as_ref().and_then(|event| {
            security
                .get(event)
                .copied()
                .or_else(|| breakdown(profile, Input::SecurityEvents, before, &after).map(|_| 0.0))
        }),
        rss_first_bytes: before.and_then(gauge),
        rss_last_bytes: gauge(&after),
        rss_window_s: Some(window_s),
        soak: soak(profile, &windows),
        cpu_seconds: total(Input::CpuSeconds),
        denials: breakdown(profile, Input::PolicyDenials, before, &after),
        security_events: security,
        steady_breakers: None,
        event_loop_lag_max_ms: None,
    }
}

/// A phase that ran, with the expositions at its start and its end (the next phase's start,
/// or the run's last scrape).
struct Window<'a> {
    run: &'a PhaseRun,
    start: Option<&'a Exposition>,
    end: &'a Exposition,
}

/// Each phase start's exposition parsed once; windows borrow them (an exposition can be
/// megabytes, so no copies).
fn parse_starts(phases: &[PhaseRun]) -> Vec<Option<Exposition>> {
    let judged = |i: usize| phases.get(i).is_some_and(|p| matches!(p.kind, PhaseKind::Cache | PhaseKind::Soak));
    phases
        .iter()
        .enumerate()
        // A start is read when its phase is judged, or when it ends a judged phase.
        .map(|(i, p)| {
            (judged(i) || (i > 0 && judged(i - 1)))
                .then(|| p.metrics_at_start.as_deref().map(super::parser::parse))
                .flatten()
        })
        .collect()
}

fn phase_windows<'a>(
    phases: &'a [PhaseRun],
    starts: &'a [Option<Exposition>],
    after: &'a Exposition,
) -> Vec<Window<'a>> {
    phases
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.kind, PhaseKind::Cache | PhaseKind::Soak))
        .filter_map(|(i, run)| {
            // A phase ends where the next one starts; when that start was not scraped, where
            // it ended is unknown, and running on to the end of the run would mix phases.
            let end = match phases.get(i + 1) {
                Some(_) => starts.get(i + 1)?.as_ref()?,
                None => after,
            };
            Some(Window { run, start: starts[i].as_ref(), end })
        })
        .collect()
}

/// The sum of `input`'s deltas over the windows of phases of `kind`; `None` when the target
/// exposes no such input or no window has a start scrape.
fn window_total(profile: &TargetProfile, input: Input, windows: &[Window<'_>], kind: PhaseKind) -> Option<f64> {
    let deltas: Vec<f64> = windows
        .iter()
        .filter(|w| w.run.kind == kind)
        .filter_map(|w| {
            let start = w.start?;
            let (_, m) = breakdown(profile, input, Some(start), w.end)?;
            Some(m.values().sum::<f64>())
        })
        .collect();
    (!deltas.is_empty()).then(|| deltas.iter().sum())
}

fn soak(profile: &TargetProfile, windows: &[Window<'_>]) -> Option<SoakEvidence> {
    let longest = windows
        .iter()
        .filter(|w| w.run.kind == PhaseKind::Soak)
        .max_by(|a, b| a.run.load_s.total_cmp(&b.run.load_s))?;
    Some(SoakEvidence {
        phase: longest.run.name.clone(),
        seconds: longest.run.load_s,
        rss_start_bytes: longest.start.and_then(|e| first_sum(profile, Input::RssBytes, e)),
        rss_end_bytes: first_sum(profile, Input::RssBytes, longest.end),
    })
}

/// The first candidate of `input` present in `after`, as deltas per value of its group label.
fn breakdown(
    profile: &TargetProfile,
    input: Input,
    before: Option<&Exposition>,
    after: &Exposition,
) -> Option<(String, BTreeMap<String, f64>)> {
    let candidate = profile.inputs.get(&input)?.iter().find(|c| after.samples(&c.metric).next().is_some())?;
    let label = candidate.group_by.clone().unwrap_or_default();
    let group = |e: &Exposition| {
        let mut m: BTreeMap<String, f64> = BTreeMap::new();
        for s in e.samples(&candidate.metric) {
            *m.entry(s.label(&label).unwrap_or("").to_string()).or_insert(0.0) += s.value * candidate.scale;
        }
        m
    };
    let now = group(after);
    let then = before.map(group).unwrap_or_default();
    let deltas = now.into_iter().map(|(k, v)| {
        let d = counter_delta(then.get(&k).copied().unwrap_or(0.0), v);
        (k, d)
    });
    Some((label, deltas.collect()))
}

fn first_sum(profile: &TargetProfile, input: Input, e: &Exposition) -> Option<f64> {
    profile.inputs.get(&input)?.iter().find_map(|c| e.sum(&c.metric, &[]).map(|v| v * c.scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_breakers_count_per_tool_within_steady_phases_only() {
        use crate::live::{Event, LogEvent};
        use crate::metrics::SecondPoint;
        use crate::scenario::Phase;
        let phase = |name: &str, kind: PhaseKind| Phase {
            name: name.into(),
            duration: std::time::Duration::from_secs(10),
            rate: 1.0,
            ramp_to: None,
            kpi: kind != PhaseKind::Chaos,
            kind,
        };
        let plan = [phase("hold", PhaseKind::Load), phase("chaos", PhaseKind::Chaos)];
        let second = |t: u32, phase: usize| SecondPoint { scheduled: 1, ..SecondPoint::empty(t, phase, 1) };
        let series: Vec<SecondPoint> = (0..10).map(|t| second(t, 0)).chain((10..20).map(|t| second(t, 1))).collect();
        let flip = |t_s: f64, tool: &str| LogEvent::new(t_s, Event::Breaker { tool: tool.into(), from: 0, to: 2 });
        let events =
            [flip(2.0, "a"), flip(4.0, "a"), flip(5.0, "b"), flip(12.0, "a"), flip(13.0, "a"), flip(14.0, "a")];
        let b = steady_breakers(&plan, &series, &events);
        assert_eq!(b.phases, vec!["hold".to_string()]);
        assert_eq!(b.worst_changes, 2, "the chaos phase's flips do not count");
        assert_eq!(b.worst, Some(("a".into(), "hold".into())));
    }
    use crate::scrape::profile_file::four_runr;

    #[test]
    fn deltas_by_label_from_either_naming_scheme() {
        let before = "gateway_policy_denials_total{reason=\"scope\"} 2\ngateway_cache_hits_total{tool=\"a\"} 10\ngateway_cache_misses_total{tool=\"a\"} 5\nprocess_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 100\n";
        let after = "gateway_policy_denials_total{reason=\"scope\"} 7\ngateway_policy_denials_total{reason=\"domain\"} 1\ngateway_cache_hits_total{tool=\"a\"} 40\ngateway_cache_misses_total{tool=\"a\"} 15\nprocess_cpu_seconds_total 3.5\nprocess_resident_memory_bytes 150\ngateway_security_events_total{event_type=\"provenance_mismatch\"} 4\n";
        let e = gather(&four_runr(), Some(before), Some(after), 60.0, &[]);
        assert_eq!(e.cache_hits, None, "no cache phase ran");
        assert_eq!(e.cache_misses, None);
        assert_eq!(e.cpu_seconds, Some(2.0));
        assert_eq!((e.rss_first_bytes, e.rss_last_bytes), (Some(100.0), Some(150.0)));
        let (label, denials) = e.denials.unwrap();
        assert_eq!(label, "reason");
        assert_eq!(denials["scope"], 5.0);
        assert_eq!(denials["domain"], 1.0);
        assert_eq!(e.provenance_mismatches, Some(4.0));
        assert_eq!(e.retries_recovered, None, "not measured, not zero");

        let real = "gateway_policy_denials_total_total{action=\"send\",agent_id=\"x\",tool=\"gmail_send\"} 3\n";
        let e = gather(&four_runr(), Some(""), Some(real), 60.0, &[]);
        assert_eq!(e.denials.unwrap(), ("tool".to_string(), BTreeMap::from([("gmail_send".to_string(), 3.0)])));
        assert_eq!(e.provenance_mismatches, None);
        assert_eq!(
            gather(&four_runr(), None, Some(real), 60.0, &[]),
            TargetEvidence::default(),
            "no baseline, no evidence"
        );
    }

    #[test]
    fn cache_and_soak_are_measured_over_their_phases_only() {
        let expo = |hits: u64, misses: u64, rss: u64| {
            format!("gateway_cache_hits_total{{tool=\"a\"}} {hits}\ngateway_cache_misses_total{{tool=\"a\"}} {misses}\nprocess_resident_memory_bytes {rss}\n")
        };
        let run = |index: usize, name: &str, kind: PhaseKind, load_s: f64, at_start: String| PhaseRun {
            index,
            name: name.into(),
            kind,
            load_s,
            metrics_at_start: Some(at_start),
        };
        // Misses pile up in the load phase; the cache phase alone has 30 hits and 10 misses.
        let phases = [
            run(0, "ramp", PhaseKind::Load, 30.0, expo(0, 0, 100)),
            run(1, "soak", PhaseKind::Soak, 700.0, expo(0, 500, 100)),
            run(2, "cache", PhaseKind::Cache, 20.0, expo(5, 600, 120)),
        ];
        let e = gather(&four_runr(), Some(&expo(0, 0, 90)), Some(&expo(35, 610, 130)), 800.0, &phases);
        assert_eq!((e.cache_hits, e.cache_misses), (Some(30.0), Some(10.0)));
        assert_eq!(e.cache_phases, vec!["cache".to_string()]);
        let soak = e.soak.unwrap();
        assert_eq!((soak.phase.as_str(), soak.seconds), ("soak", 700.0));
        assert_eq!((soak.rss_start_bytes, soak.rss_end_bytes), (Some(100.0), Some(120.0)), "ends where cache begins");
        // A window whose end was not scraped is no evidence: it would run into the next phases.
        let mut unknown_end = phases.clone();
        unknown_end[2].metrics_at_start = None;
        let e = gather(&four_runr(), Some(&expo(0, 0, 90)), Some(&expo(35, 610, 130)), 800.0, &unknown_end);
        assert_eq!(e.soak, None, "the soak's end (the cache phase's start) is unknown");
        // A cache phase that never started is no evidence at all.
        let e = gather(&four_runr(), Some(&expo(0, 0, 90)), Some(&expo(35, 610, 130)), 800.0, &phases[..2]);
        assert_eq!((e.cache_hits, e.cache_phases.len()), (None, 0));
    }
}
