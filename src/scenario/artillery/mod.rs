//! `proofdeck import artillery`: an Artillery YAML script → a proofdeck scenario (TOML text).
//!
//! The YAML is read with serde-saphyr into typed structs (`deny_unknown_fields` where
//! Artillery's schema is fixed), so malformed YAML, unknown keys and wrong types come back as
//! located `ScenarioError`s. Free-form parts (JSON bodies, expectations, variables, hooks) are
//! read as `Node`s that keep their source location. The scenario is written as TOML by hand,
//! so that what does not convert stays next to where it was as a `# TODO (line N): …` comment;
//! the same TODOs are returned for the command to list on stderr. Nothing is dropped silently.

mod convert;
mod flow;
mod out;
mod render;
mod roles;
mod source;
mod yaml;

use super::duration;
use super::error::ScenarioError;
use convert::*;
use out::*;
use render::*;
pub use roles::{ImportRecipe, Role};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use source::*;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use yaml::*;

/// A converted scenario and what could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// A proofdeck scenario that `scenario::parse` accepts.
    pub toml: String,
    /// What did not convert, by YAML line; each is also a `# TODO (line N)` comment in `toml`.
    pub todos: Vec<Todo>,
}

/// A part of the Artillery script that did not convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    /// 1-based line in the YAML file.
    pub line: usize,
    pub what: String,
}

impl fmt::Display for Todo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// Converts the Artillery script `yaml` (read from `file`, which errors name).
/// Token helpers become setup through `recipe` (a target profile's `[import]` section).
pub fn convert(file: &Path, yaml: &str, recipe: Option<&ImportRecipe>) -> Result<Conversion, ScenarioError> {
    let doc: RawDoc = serde_saphyr::from_str(yaml).map_err(|e| yaml_error(file, yaml, &e))?;
    Converter::new(file, yaml, recipe).run(&doc)
}

#[cfg(test)]
mod tests {
    use super::source::*;
    use super::*;
    use crate::scenario::template::Template;
    use crate::scenario::FlowKind;
    use std::path::PathBuf;

    /// The 4runr profile's roles, as `proofdeck import artillery` uses by default.
    fn recipe() -> Option<&'static ImportRecipe> {
        static RECIPE: std::sync::OnceLock<Option<ImportRecipe>> = std::sync::OnceLock::new();
        RECIPE.get_or_init(|| crate::scrape::profile_file::builtin("4runr").unwrap().import).as_ref()
    }

    fn fixture(name: &str) -> (PathBuf, String) {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/artillery")).join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (path, text)
    }

    fn gateway() -> (PathBuf, Conversion) {
        let (path, yaml) = fixture("gateway-artillery.yml");
        let conversion = convert(&path, &yaml, recipe()).unwrap_or_else(|e| panic!("{e}"));
        (path, conversion)
    }

    fn todo_line(conversion: &Conversion, needle: &str) -> usize {
        conversion
            .todos
            .iter()
            .find(|t| t.what.contains(needle))
            .unwrap_or_else(|| panic!("no TODO about {needle:?} in {:#?}", conversion.todos))
            .line
    }

    fn inline_error(yaml: &str) -> ScenarioError {
        match convert(Path::new("inline.yml"), yaml, recipe()) {
            Ok(c) => panic!("should not convert:\n{}", c.toml),
            Err(e) => e,
        }
    }

    #[test]
    fn the_gateway_fixture_converts_to_a_scenario_that_validates() {
        let (path, conversion) = gateway();
        let toml_path = path.with_extension("toml");
        let s =
            crate::scenario::parse(&toml_path, &conversion.toml).unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));

        assert_eq!(s.target.as_deref(), Some("http://localhost:3000"));
        assert_eq!(s.defaults.headers, [("Content-Type".to_string(), "application/json".to_string())]);

        let phases: Vec<(&str, u64, f64, Option<f64>)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate, p.ramp_to)).collect();
        assert_eq!(
            phases,
            [("baseline-ramp", 600, 1.0, Some(50.0)), ("spike", 120, 150.0, None), ("soak", 7200, 15.0, None),]
        );

        let flows: Vec<(&str, f64)> = s.flows.iter().map(|f| (f.name.as_str(), f.weight)).collect();
        assert_eq!(
            flows,
            [
                ("scraper-serpapi", 4.0),
                ("enricher-http-openai", 3.0),
                ("engager-gmail", 1.0),
                ("denial-tests", 1.0),
                ("chaos-retryable", 1.0),
                ("cache-test", 2.0),
                ("security-test", 1.0),
            ]
        );
        let tools: Vec<Vec<&str>> =
            s.flows.iter().map(|f| f.steps.iter().map(|st| st.tool.as_deref().unwrap_or("-")).collect()).collect();
        assert_eq!(
            tools,
            [
                vec!["serpapi"],
                vec!["http_fetch", "openai"],
                vec!["gmail_send"],
                vec!["gmail_send"],
                vec!["http_fetch"],
                vec!["serpapi"],
                vec!["serpapi"],
            ]
        );
        for flow in &s.flows {
            for step in &flow.steps {
                assert_eq!(step.method, http::Method::POST, "{}", flow.name);
                assert_eq!(step.path, Template::literal("/api/proxy-request"));
            }
        }
        let kind = |name: &str| s.flows.iter().find(|f| f.name == name).unwrap().kind;
        assert_eq!(kind("denial-tests"), FlowKind::Denial);
        assert_eq!(kind("security-test"), FlowKind::Security);
        assert_eq!(kind("scraper-serpapi"), FlowKind::Happy);
        assert_eq!(kind("chaos-retryable"), FlowKind::Happy);
        let expects = |name: &str| s.flows.iter().find(|f| f.name == name).unwrap().steps[0].expect.clone();
        assert_eq!(expects("denial-tests"), [403]);
        assert_eq!(expects("chaos-retryable"), [200]);

        // The token helpers became setup: a policy per role and an agent pool per role.
        let pools: Vec<(&str, Vec<&str>)> =
            s.pools.iter().map(|p| (p.name.as_str(), p.fields.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            pools,
            [
                ("scraper", vec!["agent_id", "token", "token_id"]),
                ("enricher", vec!["agent_id", "token", "token_id"]),
                ("engager", vec!["agent_id", "token", "token_id"]),
            ]
        );
        let token_captures =
            s.setup.iter().flat_map(|g| &g.steps).flat_map(|st| &st.captures).filter(|c| c.pointer == "/agent_token");
        assert!(
            token_captures.clone().count() == 3 && token_captures.clone().all(|c| c.secret),
            "tokens are captured as secrets"
        );

        let setup: Vec<&str> = s.setup.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(setup, ["policies", "scraper agents", "enricher agents", "engager agents"]);
        assert_eq!(s.setup[0].steps.len(), 3);
        assert!(matches!(s.setup[1].repeat, crate::scenario::Repeat::Auto { calls: 5, .. }));
        let pool_of = |flow: &str, step: usize| {
            let f = s.flows.iter().find(|f| f.name == flow).unwrap();
            f.steps[step].pools.iter().map(|&p| s.pools[p].name.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(pool_of("scraper-serpapi", 0), ["scraper"]);
        assert_eq!(pool_of("enricher-http-openai", 1), ["enricher"]);
        assert_eq!(pool_of("engager-gmail", 0), ["engager"]);
        assert_eq!(pool_of("denial-tests", 0), ["scraper"]);
        assert!(conversion.toml.contains("agent_token = \"{{ scraper.token }}\""));
        assert!(!conversion.toml.contains("{{ token }}"));
        assert!(conversion.toml.contains("subject = \"Hello {{ uuid }}\""));
    }

    #[test]
    fn what_does_not_convert_is_listed_with_its_yaml_line() {
        let (_, conversion) = gateway();
        assert_eq!(todo_line(&conversion, "$prevResponse"), 60);
        assert_eq!(todo_line(&conversion, "hasProperty"), 106);
        assert_eq!(todo_line(&conversion, "config.plugins"), 17);
        assert_eq!(todo_line(&conversion, "config.processor"), 19);
        // Variables the processor set in Artillery get a placeholder, at their first use.
        assert_eq!(todo_line(&conversion, "{{ keyword }}"), 33);
        assert_eq!(todo_line(&conversion, "{{ cacheKeyword }}"), 119);
        for todo in &conversion.todos {
            let comment = format!("# TODO (line {}): {}", todo.line, todo.what);
            assert!(conversion.toml.contains(&comment), "missing {comment:?}");
        }
        assert!(conversion.todos.windows(2).all(|w| w[0].line <= w[1].line));
        // The expression is replaced by plain text, so the body still loads.
        assert!(conversion.toml.contains("input = \"Summarize the following: previous-response\""));
        // The known helpers are not TODOs.
        assert!(!conversion.todos.iter().any(|t| t.what.contains("getToken")));
    }

    #[test]
    fn conversion_is_deterministic() {
        assert_eq!(gateway().1, gateway().1);
    }

    #[test]
    fn steps_and_hooks_that_do_not_convert_become_todos() {
        let yaml = "\
config:
  target: \"http://localhost:3000/\"
  phases:
    - pause: 5
    - duration: \"30s\"
      arrivalCount: 60
  variables:
    user: [\"ann\", \"bob\"]
scenarios:
  - flow:
      - function: \"signUp\"
      - think: 2
      - get:
          url: \"/users/{{ user }}\"
          capture:
            - json: \"$.items[0].id\"
              as: \"itemId\"
            - header: \"x-trace\"
              as: \"trace\"
          beforeRequest: \"sign\"
      - loop:
          - get:
              url: \"/items/{{ itemId }}\"
        count: 3
      - get:
          url: \"http://localhost:3000/items/{{ itemId }}?n={{ $randomNumber(1, 9) }}\"
";
        let conversion = convert(Path::new("steps.yml"), yaml, recipe()).unwrap_or_else(|e| panic!("{e}"));
        let s = crate::scenario::parse(Path::new("steps.toml"), &conversion.toml)
            .unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));
        assert_eq!(todo_line(&conversion, "signUp"), 11);
        assert_eq!(todo_line(&conversion, "think"), 12);
        assert_eq!(todo_line(&conversion, "by header"), 18);
        assert_eq!(todo_line(&conversion, "beforeRequest"), 20);
        assert_eq!(todo_line(&conversion, "loop"), 21);
        assert_eq!(todo_line(&conversion, "$randomNumber"), 26);

        let phases: Vec<(&str, u64, f64)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate)).collect();
        assert_eq!(phases, [("phase-1", 5, 0.0), ("phase-2", 30, 2.0)]);
        assert_eq!(s.list_names, ["user"]);
        assert_eq!(s.flows.len(), 1);
        assert_eq!(s.flows[0].name, "scenario-1");
        assert_eq!(s.flows[0].steps.len(), 2);
        assert_eq!(s.flows[0].steps[0].captures[0].pointer, "/items/0/id");
        assert!(conversion.toml.contains("path = \"/items/{{ itemId }}?n=TODO\""));
    }

    #[test]
    fn a_merge_key_works() {
        let yaml = "\
config:
  target: \"http://localhost:3000\"
  phases:
    - &warm
      name: warm
      duration: 60
      arrivalRate: 5
    - <<: *warm
      name: hot
      arrivalRate: 20
scenarios:
  - name: search
    flow:
      - post:
          url: \"/api/proxy-request\"
          json: &search
            tool: serpapi
            action: search
            params: { q: rust }
      - post:
          url: \"/api/proxy-request\"
          json:
            <<: *search
            action: lookup
";
        let conversion = convert(Path::new("merge.yml"), yaml, recipe()).unwrap_or_else(|e| panic!("{e}"));
        let s = crate::scenario::parse(Path::new("merge.toml"), &conversion.toml)
            .unwrap_or_else(|e| panic!("{e}\n{}", conversion.toml));
        let phases: Vec<(&str, u64, f64)> =
            s.phases.iter().map(|p| (p.name.as_str(), p.duration.as_secs(), p.rate)).collect();
        assert_eq!(phases, [("warm", 60, 5.0), ("hot", 60, 20.0)]);
        let steps: Vec<(&str, Option<&str>)> =
            s.flows[0].steps.iter().map(|st| (st.name.as_str(), st.tool.as_deref())).collect();
        assert_eq!(steps, [("serpapi search", Some("serpapi")), ("serpapi lookup", Some("serpapi"))]);
        assert!(conversion.toml.contains("params = { q = \"rust\" }"), "{}", conversion.toml);
        assert!(conversion.todos.is_empty(), "{:#?}", conversion.todos);
    }

    #[test]
    fn malformed_yaml_is_located() {
        let e = inline_error(
            "config:\n  target: \"http://localhost:3000\"\n  phases:\n    - duration: 60\n      name: warm: up\n",
        );
        assert_eq!((e.line, e.column), (5, 17), "{e}");
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }

    #[test]
    fn an_unknown_key_under_a_step_is_located() {
        let e = inline_error(
            "config:\n  phases:\n    - { duration: 60, arrivalRate: 5 }\nscenarios:\n  - flow:\n      - post:\n          url: \"/x\"\n          jsno: { a: 1 }\n",
        );
        assert_eq!((e.line, e.column), (8, 11), "{e}");
        assert!(e.message.contains("unknown key `jsno`"), "{e}");
        assert!(e.expected.as_deref().is_some_and(|x| x.contains("json")), "{e}");
    }

    #[test]
    fn a_wrong_type_is_located() {
        let e = inline_error(
            "config:\n  phases:\n    - duration: 60\n      arrivalRate: \"fast\"\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n",
        );
        assert_eq!(e.line, 4, "{e}");
        assert!((20..=21).contains(&e.column), "{e}");
        assert!(e.message.contains("arrivalRate"), "{e}");
        assert_eq!(e.expected.as_deref(), Some("a number"), "{e}");
    }

    #[test]
    fn invalid_fixtures_fail_with_located_errors() {
        let cases: &[(&str, usize, &str)] = &[
            ("bad-yaml.yml", 6, "invalid YAML"),
            ("unknown-key.yml", 11, "unknown key `jsno`"),
            ("wrong-type.yml", 5, "arrivalRate"),
        ];
        for (name, line, needle) in cases {
            let (path, yaml) = fixture(name);
            let e = match convert(&path, &yaml, recipe()) {
                Ok(c) => panic!("{name} should not convert:\n{}", c.toml),
                Err(e) => e,
            };
            assert_eq!(e.line, *line, "{name}: {e}");
            assert!(e.column > 1, "{name}: {e}");
            assert!(e.message.contains(needle), "{name}: {e}");
            assert!(e.to_string().contains(&format!("{}:{line}:", path.display())), "{name}: {e}");
        }
    }

    #[test]
    fn semantic_mistakes_are_located_too() {
        let e = inline_error("config:\n  phases:\n    - duration: \"ten\"\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n");
        assert_eq!(e.line, 3, "{e}");
        let e = inline_error("config:\n  phases:\n    - duration: 60\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get: { url: \"/\" }\n        think: 1\n");
        assert!(e.message.contains("several actions"), "{e}");
        assert_eq!(e.line, 7, "{e}");
        let e = inline_error("config:\n  phases:\n    - duration: 60\n      arrivalRate: 5\nscenarios:\n  - flow:\n      - get:\n          url: \"/\"\n          expect:\n            - statusCode: 999\n");
        assert_eq!(e.line, 10, "{e}");
    }

    #[test]
    fn json_paths_become_pointers() {
        assert_eq!(json_pointer("$.agent_token").as_deref(), Some("/agent_token"));
        assert_eq!(json_pointer("$.data.items[2].id").as_deref(), Some("/data/items/2/id"));
        assert_eq!(json_pointer("$['a/b'].c").as_deref(), Some("/a~1b/c"));
        assert_eq!(json_pointer("$").as_deref(), Some(""));
        assert_eq!(json_pointer("$..id"), None);
        assert_eq!(json_pointer("$.items[*].id"), None);
        assert_eq!(json_pointer("id"), None);
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(toml_key("Content-Type"), "Content-Type");
        assert_eq!(toml_key("a b"), "\"a b\"");
        assert_eq!(inline(&Out::Float(1.0)), "1.0");
        assert_eq!(number(50.0), "50");
        let parsed: toml::Table = toml::from_str(&format!("s = {}", toml_string("q\"\\\t\u{7f}é"))).unwrap();
        assert_eq!(parsed["s"].as_str(), Some("q\"\\\t\u{7f}é"));
    }

    #[test]
    fn roles_come_from_the_profile_and_without_them_helpers_stay_todos() {
        let (path, yaml) = fixture("gateway-artillery.yml");
        let bare = convert(&path, &yaml, None).unwrap();
        assert!(!bare.toml.contains("\n[[setup]]"), "no roles, no setup");
        assert!(todo_line(&bare, "function \"getTokenScraper\" is not converted") > 0);

        let profile = "name = \"other\"\n[import]\npool_fields = { key = [\"token\"] }\nsetup_head = \"# keys\\n\"\nsetup_each_role_first = \"\"\nsetup_each_role = \"[[setup]]\\nname = \\\"{role} keys\\\"\\npool = \\\"{role}\\\"\\nrepeat = 2\\n[[setup.step]]\\npath = \\\"/keys\\\"\\nmethod = \\\"POST\\\"\\nbody = { grants = {grants} }\\ncapture = { key = \\\"/key\\\" }\\n\"\n[[import.role]]\nname = \"reader\"\nhelpers = [\"getTokenScraper\"]\ngrants = [\"a:b\", \"c\\\"d\"]\n";
        let other = crate::scrape::profile_file::parse(Path::new("other.toml"), profile).unwrap();
        let c = convert(&path, &yaml, other.import.as_ref()).unwrap();
        assert!(c.toml.contains("name = \"reader keys\""), "{}", c.toml);
        assert!(c.toml.contains("body = { grants = [\"a:b\", \"c\\\"d\"] }"), "{}", c.toml);
        assert!(c.toml.contains("{{ reader.key }}"), "the helper's token variable maps to the pool field");
        assert!(todo_line(&c, "function \"getTokenEnricherHTTP\" is not converted") > 0, "a helper without a role");
        crate::scenario::parse(Path::new("other.toml"), &c.toml).unwrap_or_else(|e| panic!("{e}\n{}", c.toml));
    }
}
