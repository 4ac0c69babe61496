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
