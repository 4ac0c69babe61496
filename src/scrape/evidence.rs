//! What the target's counters say about a run: deltas between the scrape before the load and
//! the scrape after it, read through the target profile so either naming scheme works.

use super::derive::counter_delta;
use super::parser::Exposition;
use super::profile::{Input, TargetProfile};
use crate::report::kpi::TargetEvidence;
use std::collections::BTreeMap;

pub fn gather(profile: &TargetProfile, before: Option<&str>, after: Option<&str>, window_s: f64) -> TargetEvidence {
    // Without both scrapes there is no window: lifetime totals would pass for the run's.
    let (Some(before), Some(after)) = (before.map(super::parser::parse), after.map(super::parser::parse)) else {
        return TargetEvidence::default();
    };
    let before = Some(&before);
    // Retries and chaos are not panel inputs; both naming schemes are tried literally.
    let literal = |names: &[&str], filter: &[(&str, &str)]| -> Option<f64> {
        names.iter().find_map(|name| {
            let now = after.sum(name, filter)?;
            Some(counter_delta(before.and_then(|b| b.sum(name, filter)).unwrap_or(0.0), now))
        })
    };
    let total = |input: Input| breakdown(profile, input, before, &after).map(|(_, m)| m.values().sum::<f64>());
    let gauge = |e: &Exposition| first_sum(profile, Input::RssBytes, e);
    let security = breakdown(profile, Input::SecurityEvents, before, &after).map(|(_, m)| m).unwrap_or_default();
    TargetEvidence {
        retries_recovered: literal(
            &["gateway_retries_total", "gateway_retries_total_total"],
            &[("outcome", "recovered")],
        ),
        retries_exhausted: literal(
            &["gateway_retries_total", "gateway_retries_total_total"],
            &[("outcome", "exhausted")],
        ),
        cache_hits: total(Input::CacheHits),
        cache_misses: total(Input::CacheMisses),
        provenance_mismatches: security
            .get("provenance_mismatch")
            .copied()
            .or_else(|| breakdown(profile, Input::SecurityEvents, before, &after).map(|_| 0.0)),
        rss_first_bytes: before.and_then(gauge),
        rss_last_bytes: gauge(&after),
        rss_window_s: Some(window_s),
        cpu_seconds: total(Input::CpuSeconds),
        denials: breakdown(profile, Input::PolicyDenials, before, &after),
        security_events: security,
    }
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
    use crate::scrape::profile::four_runr;

    #[test]
    fn deltas_by_label_from_either_naming_scheme() {
        let before = "gateway_policy_denials_total{reason=\"scope\"} 2\ngateway_cache_hits_total{tool=\"a\"} 10\ngateway_cache_misses_total{tool=\"a\"} 5\nprocess_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 100\n";
        let after = "gateway_policy_denials_total{reason=\"scope\"} 7\ngateway_policy_denials_total{reason=\"domain\"} 1\ngateway_cache_hits_total{tool=\"a\"} 40\ngateway_cache_misses_total{tool=\"a\"} 15\nprocess_cpu_seconds_total 3.5\nprocess_resident_memory_bytes 150\ngateway_security_events_total{event_type=\"provenance_mismatch\"} 4\n";
        let e = gather(&four_runr(), Some(before), Some(after), 60.0);
        assert_eq!(e.cache_hits, Some(30.0));
        assert_eq!(e.cache_misses, Some(10.0));
        assert_eq!(e.cpu_seconds, Some(2.0));
        assert_eq!((e.rss_first_bytes, e.rss_last_bytes), (Some(100.0), Some(150.0)));
        let (label, denials) = e.denials.unwrap();
        assert_eq!(label, "reason");
        assert_eq!(denials["scope"], 5.0);
        assert_eq!(denials["domain"], 1.0);
        assert_eq!(e.provenance_mismatches, Some(4.0));
        assert_eq!(e.retries_recovered, None, "not measured, not zero");

        let real = "gateway_policy_denials_total_total{action=\"send\",agent_id=\"x\",tool=\"gmail_send\"} 3\n";
        let e = gather(&four_runr(), Some(""), Some(real), 60.0);
        assert_eq!(e.denials.unwrap(), ("tool".to_string(), BTreeMap::from([("gmail_send".to_string(), 3.0)])));
        assert_eq!(e.provenance_mismatches, None);
        assert_eq!(gather(&four_runr(), None, Some(real), 60.0), TargetEvidence::default(), "no baseline, no evidence");
    }
}
