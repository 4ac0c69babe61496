//! Every shipped scenario loads; every invalid fixture fails with a located, explained error.

use proofdeck::scenario::{self, FlowKind};
use std::path::Path;

#[test]
fn every_shipped_scenario_loads() {
    let mut count = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = scenario::load_file(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
            assert!(!s.phases.is_empty() && !s.flows.is_empty(), "{}", path.display());
            count += 1;
        }
    }
    assert!(count >= 6, "found {count} scenarios");
}

#[test]
fn proof_scenario_carries_the_seed_mix() {
    let s = scenario::load_file(Path::new("scenarios/proof.toml")).unwrap();
    let total: f64 = s.flows.iter().map(|f| f.weight).sum();
    let share = |name: &str| s.flows.iter().find(|f| f.name == name).unwrap().weight / total;
    assert_eq!(
        (share("scraper"), share("enricher"), share("engager"), share("denial"), share("security")),
        (0.4, 0.3, 0.1, 0.1, 0.1)
    );
    assert_eq!(s.flows.iter().find(|f| f.name == "denial").unwrap().kind, FlowKind::Denial);
    assert_eq!(s.flows.iter().find(|f| f.name == "security").unwrap().kind, FlowKind::Security);
    let names: Vec<_> = s.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["baseline-ramp", "spike-ramp", "spike-hold", "soak", "chaos", "cache"]);
    assert!(s.total_duration().as_secs() <= 240, "time-compressed to a few minutes");
    assert_eq!(s.kpi, scenario::Kpi::default(), "the seed's KPI defaults");
    assert_eq!(s.chaos.len(), 3);
}

fn error_of(name: &str) -> String {
    let path = Path::new("tests/fixtures/invalid").join(name);
    match scenario::load_file(&path) {
        Ok(_) => panic!("{name} should not load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_scenarios_name_file_line_column_and_what_was_expected() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("bad-duration.toml", "bad-duration.toml:4:12", &["invalid duration \"10x\"", "expected a duration like 90s"]),
        ("unknown-field.toml", "unknown-field.toml:6:1", &["unknown field `rmap_to`", "hint: check the spelling"]),
        ("unknown-var.toml", "unknown-var.toml:10:8", &["unknown variable {{ nope }}", "known here: uuid"]),
        ("wrong-type.toml", "wrong-type.toml:5:8", &["invalid type: string \"fast\", expected f64"]),
        ("broken-toml.toml", "broken-toml.toml:2:", &["error:"]),
        ("bad-method.toml", "bad-method.toml:10:10", &["unknown method \"FETCH\"", "expected GET, POST"]),
        ("zero-weight.toml", "zero-weight.toml:8:10", &["has weight 0", "expected a weight above 0"]),
        (
            "bad-chaos-mode.toml",
            "bad-chaos-mode.toml:14:8",
            &["unknown chaos mode \"melt\"", "\"timeout\", \"500\" or \"jitter\""],
        ),
        ("no-phases.toml", "no-phases.toml:", &["the scenario has no phases", "hint: add a [[phase]]"]),
        ("bad-expect.toml", "bad-expect.toml:11:10", &["invalid expect", "status codes from 100 to 599"]),
        (
            "artillery-pointer.toml",
            "artillery-pointer.toml:11:17",
            &["capture t has pointer \"$.token\"", "written \"/x\" here"],
        ),
        ("unclosed-template.toml", "unclosed-template.toml:11:8", &["unclosed {{ in template"]),
    ];
    let mut seen = 0;
    for (file, location, needles) in cases {
        let text = error_of(file);
        assert!(text.contains(location), "{file}: expected location {location} in:\n{text}");
        for n in *needles {
            assert!(text.contains(n), "{file}: expected {n:?} in:\n{text}");
        }
        seen += 1;
    }
    let fixtures = std::fs::read_dir("tests/fixtures/invalid").unwrap().count();
    assert_eq!(seen, fixtures, "every invalid fixture has a case here");
}

/// Every URL a happy flow fetches is allowed by its agent's own policy, matched exactly as
/// the real gateway does (a subdomain needs its own entry): a shipped scenario never fails
/// for a reason that is its own.
#[test]
fn every_shipped_scenario_fetches_only_what_its_policies_allow() {
    use toml::Value;
    let host = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split(['/', '?', '#', ':']).next().unwrap_or("").to_ascii_lowercase()
    };
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let empty = Vec::new();
        let list = |v: &Value, key: &str| v.get(key).and_then(Value::as_array).unwrap_or(&empty).clone();
        let steps = |v: &Value| list(v, "step");
        let setup: Vec<Value> = doc.get("setup").and_then(Value::as_array).cloned().unwrap_or_default();
        // role → allowed domains, from the policies the setup creates
        let mut domains: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        // pool → role, from the agents each pool's group creates
        let mut pool_role: std::collections::BTreeMap<String, String> = Default::default();
        for group in &setup {
            for step in steps(group) {
                let Some(body) = step.get("body") else { continue };
                let role = body.get("role").and_then(Value::as_str).unwrap_or("").to_string();
                if step.get("path").and_then(Value::as_str) == Some("/api/policies") {
                    let guards = body.get("spec").and_then(|s| s.get("guards"));
                    let allowed = guards.map(|g| list(g, "allowedDomains")).unwrap_or_default();
                    domains.insert(role, allowed.iter().filter_map(Value::as_str).map(str::to_string).collect());
                } else if let Some(pool) = group.get("pool").and_then(Value::as_str) {
                    if !role.is_empty() {
                        pool_role.insert(pool.to_string(), role);
                    }
                }
            }
        }
        let vars = doc.get("vars").cloned().unwrap_or(Value::Table(Default::default()));
        for flow in doc.get("flow").and_then(Value::as_array).cloned().unwrap_or_default() {
            if flow.get("kind").and_then(Value::as_str).is_some_and(|k| k != "happy") {
                continue;
            }
            for step in steps(&flow) {
                let Some(body) = step.get("body") else { continue };
                let Some(url) = body.get("params").and_then(|p| p.get("url")).and_then(Value::as_str) else { continue };
                let token = body.get("agent_token").and_then(Value::as_str).unwrap_or("");
                let pool = token.trim_start_matches("{{").trim().split('.').next().unwrap_or("");
                let role =
                    pool_role.get(pool).unwrap_or_else(|| panic!("{}: no agents for pool {pool:?}", path.display()));
                let Some(allowed) = domains.get(role).filter(|d| !d.is_empty()) else { continue };
                // `{{ name }}…` draws from the vars list `name`; anything else is literal.
                let urls: Vec<String> = match url.strip_prefix("{{").and_then(|r| r.split_once("}}")) {
                    Some((name, _)) => {
                        list(&vars, name.trim()).iter().filter_map(Value::as_str).map(str::to_string).collect()
                    }
                    None => vec![url.to_string()],
                };
                for u in urls {
                    assert!(
                        allowed.contains(&host(&u)),
                        "{}: {u} is fetched by a {role} agent whose policy allows only {allowed:?}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "checked {checked} URLs");
}
