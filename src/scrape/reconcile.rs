//! Reconciliation: per tool, what the client sent and the statuses it saw, against what the
//! target's request counter grew by over the same window. A mismatch beyond the tolerance is
//! flagged with both numbers: either side may be miscounting, and the proof needs to know.

use super::parser::Exposition;
use super::profile::{Input, TargetProfile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCheck {
    pub tool: String,
    pub client: u64,
    /// `None` when the target exposes no request counter for this tool.
    pub target: Option<f64>,
    pub client_by_code: BTreeMap<String, u64>,
    pub target_by_code: BTreeMap<String, f64>,
    pub mismatch: bool,
    /// What disagrees, in words, with both numbers.
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// The target counter used, if the profile found one.
    pub metric: Option<String>,
    pub tolerance_pct: f64,
    pub tools: Vec<ToolCheck>,
}

impl Reconciliation {
    pub fn mismatches(&self) -> impl Iterator<Item = &ToolCheck> {
        self.tools.iter().filter(|t| t.mismatch)
    }
}

/// What the client saw for one tool: requests, and answers per status code (0 = no answer).
pub struct ClientCounts<'a> {
    pub tool: &'a str,
    pub requests: u64,
    pub codes: &'a [(u16, u64)],
}

pub fn reconcile(
    profile: &TargetProfile,
    before: Option<&Exposition>,
    after: &Exposition,
    client: &[ClientCounts<'_>],
    tolerance_pct: f64,
) -> Reconciliation {
    let found =
        profile.inputs.get(&Input::Requests).into_iter().flatten().find(|c| after.samples(&c.metric).next().is_some());
    let Some(candidate) = found else {
        return Reconciliation { metric: None, tolerance_pct, tools: Vec::new() };
    };
    let by_tool_code = |e: &Exposition| -> BTreeMap<(String, String), f64> {
        let mut m = BTreeMap::new();
        for s in e.samples(&candidate.metric) {
            let tool = s.label(candidate.group_by.as_deref().unwrap_or("tool")).unwrap_or("").to_string();
            let code = s.label(&profile.code_label).unwrap_or("").to_string();
            *m.entry((tool, code)).or_insert(0.0) += s.value;
        }
        m
    };
    let now = by_tool_code(after);
    let then = before.map(by_tool_code).unwrap_or_default();
    let mut tools = Vec::new();
    for c in client.iter().filter(|c| c.requests > 0) {
        let mut target_by_code = BTreeMap::new();
        for ((tool, code), v) in &now {
            if tool == c.tool {
                let prev = then.get(&(tool.clone(), code.clone())).copied().unwrap_or(0.0);
                let delta = super::derive::counter_delta(prev, *v);
                if delta > 0.0 {
                    target_by_code.insert(code.clone(), delta);
                }
            }
        }
        // Requests that never got an answer (timeouts, refused) may or may not reach the target.
        let client_by_code: BTreeMap<String, u64> =
            c.codes.iter().filter(|(code, _)| *code != 0).map(|(code, n)| (code.to_string(), *n)).collect();
        let unanswered = c.codes.iter().filter(|(code, _)| *code == 0).map(|(_, n)| n).sum::<u64>();
        let target = (!target_by_code.is_empty()).then(|| target_by_code.values().sum::<f64>());
        let answered = c.requests - unanswered;
        let allowed = (answered as f64 * tolerance_pct / 100.0).max(0.0);
        let (mismatch, note) = match target {
            None => {
                (true, format!("client sent {} requests, target counted none under {}", c.requests, candidate.metric))
            }
            Some(t) => {
                let low = answered as f64 - allowed;
                let high = c.requests as f64 + allowed;
                let mut diffs: Vec<String> = Vec::new();
                if t < low || t > high {
                    diffs.push(format!("client {} (answered {answered}) vs target {t}", c.requests));
                }
                for (code, n) in &client_by_code {
                    let tv = target_by_code.get(code).copied().unwrap_or(0.0);
                    if (tv - *n as f64).abs() > allowed.max(unanswered as f64) {
                        diffs.push(format!("code {code}: client {n} vs target {tv}"));
                    }
                }
                (
                    !diffs.is_empty(),
                    if diffs.is_empty() { format!("client {} = target {t}", c.requests) } else { diffs.join("; ") },
                )
            }
        };
        tools.push(ToolCheck {
            tool: c.tool.to_string(),
            client: c.requests,
            target,
            client_by_code,
            target_by_code,
            mismatch,
            note,
        });
    }
    Reconciliation { metric: Some(candidate.metric.clone()), tolerance_pct, tools }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::{parser::parse, profile::four_runr};

    fn expo(serp_200: u64, serp_403: u64) -> Exposition {
        parse(&format!(
            "gateway_requests_total{{tool=\"serpapi\",action=\"search\",code=\"200\"}} {serp_200}\ngateway_requests_total{{tool=\"serpapi\",action=\"search\",code=\"403\"}} {serp_403}\n"
        ))
    }

    #[test]
    fn equal_counts_reconcile_and_double_counting_is_flagged() {
        let before = expo(100, 10);
        let codes = [(200u16, 50u64), (403, 5)];
        let client = [ClientCounts { tool: "serpapi", requests: 55, codes: &codes }];
        let ok = reconcile(&four_runr(), Some(&before), &expo(150, 15), &client, 0.0);
        assert_eq!(ok.mismatches().count(), 0, "{:?}", ok.tools);
        let double = reconcile(&four_runr(), Some(&before), &expo(200, 20), &client, 1.0);
        let m: Vec<_> = double.mismatches().collect();
        assert_eq!(m.len(), 1);
        assert!(m[0].note.contains("client 55 (answered 55) vs target 110"), "{}", m[0].note);
    }

    #[test]
    fn a_target_without_the_tool_is_flagged_and_no_counter_means_not_reconciled() {
        let codes = [(200u16, 5u64)];
        let client = [ClientCounts { tool: "openai", requests: 5, codes: &codes }];
        let r = reconcile(&four_runr(), None, &expo(1, 1), &client, 0.0);
        assert!(r.tools[0].mismatch);
        let none = reconcile(&four_runr(), None, &parse("other_metric 1\n"), &client, 0.0);
        assert_eq!(none.metric, None);
        assert!(none.tools.is_empty());
    }
}
