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
    /// Patterns that hold across tools, named: a status class the target does not count, a
    /// constant ratio (double counting), requests the target counted that were never sent.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Why there was nothing to reconcile, when there was not.
    #[serde(default)]
    pub skipped: Option<String>,
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

const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

/// "2xx" for "200"; codes that are not numbers stay as they are.
fn class_of(code: &str) -> String {
    match code.parse::<u16>() {
        Ok(c) if (100..600).contains(&c) => format!("{}xx", c / 100),
        _ => code.to_string(),
    }
}

/// Ratios within this relative spread of each other count as one pattern.
const SAME_RATIO: f64 = 0.02;

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
        let skipped = Some("the target exposes no request counter the profile knows".to_string());
        return Reconciliation { metric: None, tolerance_pct, skipped, ..Default::default() };
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
    // The target's growth per tool and code over the run.
    let mut target: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for ((tool, code), v) in &now {
        let delta = super::derive::counter_delta(then.get(&(tool.clone(), code.clone())).copied().unwrap_or(0.0), *v);
        if delta > 0.0 {
            target.entry(tool.clone()).or_default().insert(code.clone(), delta);
        }
    }
    let sent: Vec<&ClientCounts<'_>> = client.iter().filter(|c| c.requests > 0).collect();
    let client_codes = |c: &ClientCounts<'_>| -> BTreeMap<String, u64> {
        c.codes.iter().filter(|(code, _)| *code != 0).map(|(code, n)| (code.to_string(), *n)).collect()
    };
    let by_class = |codes: &BTreeMap<String, f64>| -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for (code, n) in codes {
            *m.entry(class_of(code)).or_insert(0.0) += n;
        }
        m
    };

    let mut findings = Vec::new();
    // Without a status label on the counter only totals can be compared, never classes.
    let codes_known = target.values().flat_map(|m| m.keys()).any(|code| code.parse::<u16>().is_ok());
    if !codes_known && !target.is_empty() {
        findings.push(format!(
            "the target's {} has no `{}` label: totals compared, not status classes",
            candidate.metric, profile.code_label
        ));
    }
    // Classes the client saw answers in but the target never counted, on any tool.
    let mut uncounted: Vec<&str> = Vec::new();
    for class in CLASSES.iter().copied().filter(|_| codes_known) {
        let mut seen = 0u64;
        let mut codes: Vec<String> = Vec::new();
        let mut tools = 0;
        for c in &sent {
            let n: u64 = client_codes(c).iter().filter(|(code, _)| class_of(code) == class).map(|(_, n)| n).sum();
            if n > 0 {
                seen += n;
                tools += 1;
                for code in client_codes(c).keys().filter(|code| class_of(code) == class) {
                    if !codes.contains(code) {
                        codes.push(code.clone());
                    }
                }
            }
        }
        let counted: f64 =
            target.values().flat_map(|m| m.iter()).filter(|(code, _)| class_of(code) == class).map(|(_, n)| n).sum();
        if seen > 0 && counted == 0.0 {
            uncounted.push(class);
            findings.push(format!(
                "the target does not count {class} answers ({}: {seen} answered across {tools} tool{})",
                codes.join(", "),
                if tools == 1 { "" } else { "s" }
            ));
        }
    }
    // A constant ratio per class across tools: the target counts each answer k times.
    for class in CLASSES.iter().filter(|c| codes_known && !uncounted.contains(c)) {
        let ratios: Vec<(&str, f64)> = sent
            .iter()
            .filter_map(|c| {
                let n: u64 = client_codes(c).iter().filter(|(code, _)| class_of(code) == *class).map(|(_, n)| n).sum();
                let t = target.get(c.tool).map(by_class).and_then(|m| m.get(*class).copied()).unwrap_or(0.0);
                (n > 0 && t > 0.0).then(|| (c.tool, t / n as f64))
            })
            .collect();
        let Some(first) = ratios.first().map(|r| r.1) else { continue };
        let same = ratios.iter().all(|(_, r)| (r - first).abs() <= first * SAME_RATIO);
        let off = (first - 1.0).abs() > (tolerance_pct / 100.0).max(SAME_RATIO);
        if same && off {
            let times = match first.round() as i64 {
                k if (first - k as f64).abs() > SAME_RATIO || k < 2 => format!("{first:.2} times"),
                2 => "twice".into(),
                k => format!("{k} times"),
            };
            let on = if ratios.len() == 1 {
                format!("on {}", ratios[0].0)
            } else {
                format!("on every tool, {} tools", ratios.len())
            };
            findings.push(format!("the target counts each {class} {times} (ratio {first:.2} {on})"));
        }
    }
    // Tools the target counted that this run never sent to.
    let unsent: Vec<(String, f64)> = target
        .iter()
        .filter(|(tool, _)| !sent.iter().any(|c| c.tool == tool.as_str()))
        .map(|(tool, codes)| (tool.clone(), codes.values().sum()))
        .collect();
    if !unsent.is_empty() {
        let total: f64 = unsent.iter().map(|(_, n)| n).sum();
        let list: Vec<String> =
            unsent.iter().map(|(t, n)| format!("{} {n}", if t.is_empty() { "(no tool)" } else { t })).collect();
        findings.push(format!("the target counted {total} requests proofdeck never sent ({})", list.join(", ")));
    }

    let mut tools = Vec::new();
    for c in &sent {
        let client_by_code = client_codes(c);
        let target_by_code = target.get(c.tool).cloned().unwrap_or_default();
        // Like with like: only the classes the target counts at all.
        let counted = |code: &String| !uncounted.contains(&class_of(code).as_str());
        let unanswered = c.codes.iter().filter(|(code, _)| *code == 0).map(|(_, n)| n).sum::<u64>();
        let answered: u64 = client_by_code.iter().filter(|(code, _)| counted(code)).map(|(_, n)| n).sum();
        let comparable = answered + unanswered;
        let target_total = (!target_by_code.is_empty()).then(|| target_by_code.values().sum::<f64>());
        let allowed = answered as f64 * tolerance_pct / 100.0;
        let (mismatch, note) = match target_total {
            None => {
                (true, format!("client sent {} requests, target counted none under {}", c.requests, candidate.metric))
            }
            Some(t) => {
                let (low, high) = (answered as f64 - allowed, comparable as f64 + allowed);
                let mut parts = vec![format!("client {answered} vs target {t}")];
                let client_classes = by_class(&client_by_code.iter().map(|(k, v)| (k.clone(), *v as f64)).collect());
                let target_classes = by_class(&target_by_code);
                // Per class only when there is more than the total to say.
                let classes_seen = CLASSES
                    .iter()
                    .filter(|c| client_classes.contains_key(**c) || target_classes.contains_key(**c))
                    .count();
                for class in CLASSES.iter().copied().filter(|_| codes_known) {
                    let (cn, tn) = (
                        client_classes.get(class).copied().unwrap_or(0.0),
                        target_classes.get(class).copied().unwrap_or(0.0),
                    );
                    if (cn == 0.0 && tn == 0.0) || (classes_seen == 1 && !uncounted.contains(&class)) {
                        continue;
                    }
                    if uncounted.contains(&class) {
                        parts.push(format!("{class} {cn} not counted by the target"));
                    } else if (tn - cn).abs() > allowed.max(unanswered as f64) {
                        parts.push(format!("{class} client {cn} vs target {tn}"));
                    }
                }
                if unanswered > 0 {
                    parts.push(format!("{unanswered} unanswered"));
                }
                (t < low || t > high, parts.join("; "))
            }
        };
        tools.push(ToolCheck {
            tool: c.tool.to_string(),
            client: c.requests,
            target: target_total,
            client_by_code,
            target_by_code,
            mismatch,
            note,
        });
    }
    Reconciliation { metric: Some(candidate.metric.clone()), tolerance_pct, tools, findings, skipped: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::{parser::parse, profile_file::four_runr};

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
        assert!(m[0].note.contains("client 55 vs target 110"), "{}", m[0].note);
        assert!(
            double.findings.iter().any(|f| f.contains("counts each 2xx twice (ratio 2.00 on serpapi)")),
            "{:?}",
            double.findings
        );
    }

    #[test]
    fn a_counter_without_status_codes_compares_totals_only() {
        let after = parse("gateway_requests_total{tool=\"serpapi\"} 55\n");
        let codes = [(200u16, 50u64), (403, 5)];
        let client = [ClientCounts { tool: "serpapi", requests: 55, codes: &codes }];
        let r = reconcile(&four_runr(), Some(&parse("")), &after, &client, 0.5);
        assert!(!r.tools[0].mismatch, "{:?}", r.tools[0]);
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        assert!(r.findings[0].contains("no `code` label: totals compared"), "{:?}", r.findings);
    }

    /// The real gateway: every 2xx counted twice on every tool, no 4xx counted at all, and a
    /// tool nobody in this run called.
    #[test]
    fn patterns_across_tools_are_named_and_totals_compare_like_with_like() {
        let counter =
            |tool: &str, code: u16, n: u64| format!("gateway_requests_total{{tool=\"{tool}\",code=\"{code}\"}} {n}\n");
        let before = parse(&(counter("serpapi", 200, 0) + &counter("openai", 200, 0)));
        let after =
            parse(&(counter("serpapi", 200, 318) + &counter("openai", 200, 100) + &counter("gmail_send", 200, 7)));
        let serp = [(200u16, 159u64), (403, 20), (429, 4)];
        let openai = [(200u16, 50u64)];
        let client = [
            ClientCounts { tool: "serpapi", requests: 183, codes: &serp },
            ClientCounts { tool: "openai", requests: 50, codes: &openai },
        ];
        let r = reconcile(&four_runr(), Some(&before), &after, &client, 0.5);
        assert_eq!(
            r.findings,
            vec![
                "the target does not count 4xx answers (403, 429: 24 answered across 1 tool)".to_string(),
                "the target counts each 2xx twice (ratio 2.00 on every tool, 2 tools)".to_string(),
                "the target counted 7 requests proofdeck never sent (gmail_send 7)".to_string(),
            ]
        );
        let serpapi = &r.tools[0];
        assert!(serpapi.mismatch, "the per-tool verdict stays");
        assert!(serpapi.note.starts_with("client 159 vs target 318"), "4xx left out of the total: {}", serpapi.note);
        assert!(serpapi.note.contains("4xx 24 not counted by the target"), "{}", serpapi.note);
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
