//! A target profile's name mapping applied to scrapes: when a target exposes a metric under
//! one of a profile input's fallback names (`gateway_requests_total_total`) and not under
//! the first, dashboard name (`gateway_requests_total`), its samples are also stored under
//! the dashboard name, rescaled to its unit (a `_ms` histogram's `le` and `_sum` become
//! seconds). The exposed names stay, so a dashboard written for them works too.

use crate::promql::store::{self, SeriesKey};
use crate::scrape::parser::Exposition;
use crate::scrape::profile::TargetProfile;

const SUFFIXES: [&str; 4] = ["", "_bucket", "_sum", "_count"];

#[derive(Clone, Debug, PartialEq)]
struct Alias {
    from: String,
    to: String,
    /// Multiplies values measured in `from`'s unit into `to`'s.
    factor: f64,
}

/// The renames a profile allows.
#[derive(Clone, Debug, Default)]
pub struct NameMap {
    candidates: Vec<Vec<Alias>>,
}

impl NameMap {
    pub fn from_profile(profile: &TargetProfile) -> Self {
        let candidates = profile
            .inputs
            .values()
            .filter_map(|cands| {
                let (first, rest) = cands.split_first()?;
                let aliases: Vec<Alias> = rest
                    .iter()
                    .map(|c| Alias { from: c.metric.clone(), to: first.metric.clone(), factor: c.scale / first.scale })
                    .collect();
                (!aliases.is_empty()).then_some(aliases)
            })
            .collect();
        Self { candidates }
    }

    /// The exposition's samples as series keys, plus a renamed copy where the dashboard name
    /// is missing.
    pub fn samples(&self, expo: &Exposition) -> Vec<(SeriesKey, f64)> {
        let names: std::collections::HashSet<&str> =
            expo.families.values().flat_map(|f| f.samples.iter().map(|x| x.name.as_str())).collect();
        let exposes = |base: &str| SUFFIXES.iter().any(|s| names.contains(format!("{base}{s}").as_str()));
        // For each input whose dashboard name is absent, the first fallback present.
        let active: Vec<&Alias> = self
            .candidates
            .iter()
            .filter(|aliases| !exposes(&aliases[0].to))
            .filter_map(|aliases| aliases.iter().find(|a| exposes(&a.from)))
            .collect();
        let mut out = Vec::new();
        for s in expo.families.values().flat_map(|f| &f.samples) {
            let labels = s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let renamed = active.iter().find_map(|a| {
                SUFFIXES
                    .iter()
                    .find(|suffix| s.name.strip_suffix(*suffix) == Some(a.from.as_str()))
                    .map(|suffix| (a, *suffix))
            });
            out.push((store::key(&s.name, labels), s.value));
            if let Some((a, suffix)) = renamed {
                {
                    let name = format!("{}{suffix}", a.to);
                    let scaled_le: Vec<(&str, String)> = s
                        .labels
                        .iter()
                        .map(|(k, v)| {
                            let v = if k == "le" { rescale_bound(v, a.factor) } else { v.clone() };
                            (k.as_str(), v)
                        })
                        .collect();
                    let value = if matches!(suffix, "" | "_sum") { s.value * a.factor } else { s.value };
                    out.push((store::key(&name, scaled_le.iter().map(|(k, v)| (*k, v.as_str()))), value));
                }
            }
        }
        out
    }
}

fn rescale_bound(le: &str, factor: f64) -> String {
    match le.trim().parse::<f64>() {
        Ok(b) if b.is_finite() => format!("{}", b * factor),
        _ => le.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::parser;
    use crate::scrape::profile_file::four_runr;

    #[test]
    fn the_real_gateways_names_are_stored_under_the_dashboards() {
        let expo = parser::parse(crate::scrape::fixtures::LIVE);
        let map = NameMap::from_profile(&four_runr());
        let samples = map.samples(&expo);
        let name = |k: &SeriesKey| k[0].1.to_string();
        assert!(samples.iter().any(|(k, _)| name(k) == "gateway_requests_total"));
        let bucket = samples
            .iter()
            .find(|(k, _)| {
                name(k) == "gateway_request_duration_seconds_bucket"
                    && k.iter().any(|(l, v)| &**l == "le" && &**v == "0.025")
            })
            .expect("25 ms bucket in seconds");
        assert_eq!(bucket.1, 6.0);
        // The exposed names stay too.
        assert!(samples.iter().any(|(k, _)| name(k) == "gateway_agent_creations_total_total"));
        assert!(samples.iter().any(|(k, _)| name(k) == "gateway_requests_total_total"));
    }
}
