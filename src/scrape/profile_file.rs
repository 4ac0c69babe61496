//! Target profiles as files: which metric names feed each panel input, and where the chaos
//! admin API lives, so proofdeck can read a gateway other than 4Runr.
//!
//! ```toml
//! extends = "4runr"                 # optional: start from the built-in profile
//! name = "my-gateway"
//! code_label = "status"
//! [inputs]
//! requests = [{ metric = "http_requests_total", group_by = "route" }]
//! latency = [{ metric = "http_request_duration_seconds", scale = 1000, group_by = "route" }]
//! [chaos]
//! inject = "POST /admin/faults"
//! clear = "DELETE /admin/faults/{tool}"
//! status = "GET /admin/faults"
//! ```

use super::profile::{Candidate, Input, TargetProfile};
use crate::chaos::client::ChaosRoutes;
use crate::metrics::classify::{AnswerMatch, AnswerRules, CacheMarker};
use crate::metrics::ErrorClass;
use crate::scenario::artillery::ImportRecipe;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in profiles, data files like the themes.
const BUILTIN: [(&str, &str); 2] =
    [("4runr", include_str!("../../profiles/4runr.toml")), ("generic", include_str!("../../profiles/generic.toml"))];

/// Why a profile could not be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {}: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    /// A TOML mistake, located (a rendered diagnostic).
    #[error("{0}")]
    Syntax(String),
    #[error("{}: {what}", path.display())]
    Invalid { path: std::path::PathBuf, what: String },
}

/// Everything proofdeck needs to know about a kind of target.
#[derive(Clone, Debug)]
pub struct Profile {
    pub metrics: TargetProfile,
    /// `None`: the target has no chaos admin API.
    pub chaos: Option<ChaosRoutes>,
    /// How its answers are classed, and which one is a breaker's fast failure.
    pub answers: AnswerRules,
    /// How `import artillery` turns the target's token helpers into setup; `None`: they stay TODOs.
    pub import: Option<ImportRecipe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    extends: Option<String>,
    name: Option<String>,
    code_label: Option<String>,
    #[serde(default)]
    inputs: BTreeMap<String, Vec<RawCandidate>>,
    provenance_event: Option<String>,
    #[serde(default)]
    classify: Vec<RawRule>,
    fast_fail: Option<RawMatch>,
    cache_marker: Option<RawCacheMarker>,
    chaos: Option<RawChaos>,
    import: Option<ImportRecipe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCandidate {
    metric: String,
    #[serde(default = "one")]
    scale: f64,
    group_by: Option<String>,
}

fn one() -> f64 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    status: u16,
    body: Option<String>,
    class: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    status: u16,
    body: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCacheMarker {
    status: u16,
    hit: String,
    miss: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChaos {
    inject: String,
    clear: String,
    status: String,
}

pub fn builtin(name: &str) -> Option<Profile> {
    let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    let path = Path::new("profiles").join(format!("{name}.toml"));
    // The files are part of the build and checked by the tests: a mistake is a bug here.
    Some(parse(&path, text).unwrap_or_else(|e| panic!("built-in profile {name}: {e}")))
}

/// The built-in 4Runr profile's metric names.
pub fn four_runr() -> TargetProfile {
    builtin("4runr").map(|p| p.metrics).expect("the 4runr profile is built in")
}

/// `4runr`, `generic`, or a path to a profile file.
pub fn resolve(name_or_path: &str) -> Result<Profile, ProfileError> {
    match builtin(name_or_path) {
        Some(p) => Ok(p),
        None => load(Path::new(name_or_path)),
    }
}

pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read { path: path.into(), source })?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<Profile, ProfileError> {
    let raw: RawProfile = toml::from_str(text).map_err(|e| {
        ProfileError::Syntax(crate::scenario::ScenarioError::at(path, text, e.span(), e.message().trim()).to_string())
    })?;
    let invalid = |what: String| ProfileError::Invalid { path: path.into(), what };
    let mut profile = match raw.extends.as_deref() {
        None => Profile {
            metrics: TargetProfile {
                name: String::new(),
                code_label: "code".into(),
                inputs: BTreeMap::new(),
                provenance_event: None,
            },
            chaos: None,
            answers: AnswerRules::default(),
            import: None,
        },
        Some(base) => builtin(base)
            .ok_or_else(|| invalid(format!("unknown profile to extend {base:?}; built in: {}", builtin_names())))?,
    };
    profile.metrics.name =
        raw.name.unwrap_or_else(|| path.file_stem().map_or("profile".into(), |s| s.to_string_lossy().into_owned()));
    if let Some(code) = raw.code_label {
        profile.metrics.code_label = code;
    }
    if raw.provenance_event.is_some() {
        profile.metrics.provenance_event = raw.provenance_event;
    }
    for (key, list) in raw.inputs {
        let input = Input::ALL.into_iter().find(|i| i.name() == key).ok_or_else(|| {
            invalid(format!("unknown input {key:?}; inputs are {}", Input::ALL.map(|i| i.name()).join(", ")))
        })?;
        let candidates =
            list.into_iter().map(|c| Candidate { metric: c.metric, scale: c.scale, group_by: c.group_by }).collect();
        profile.metrics.inputs.insert(input, candidates);
    }
    if !raw.classify.is_empty() {
        // A file's own rules come first; the base's still apply after them.
        let mut rules = Vec::new();
        for r in raw.classify {
            let class = ErrorClass::from_name(&r.class).ok_or_else(|| {
                let names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
                invalid(format!("unknown class {:?} in [[classify]]; classes are {}", r.class, names.join(", ")))
            })?;
            rules.push((AnswerMatch { status: r.status, body: r.body }, class));
        }
        rules.append(&mut profile.answers.rules);
        profile.answers.rules = rules;
    }
    if let Some(m) = raw.fast_fail {
        profile.answers.fast_fail = Some(AnswerMatch { status: m.status, body: m.body });
    }
    if let Some(c) = raw.cache_marker {
        if c.hit.is_empty() || c.miss.is_empty() || c.hit == c.miss {
            return Err(invalid("[cache_marker] needs two different, non-empty markers: hit and miss".into()));
        }
        profile.answers.cache = Some(CacheMarker { status: c.status, hit: c.hit, miss: c.miss });
    }
    if let Some(c) = raw.chaos {
        profile.chaos = Some(ChaosRoutes::parse(&c.inject, &c.clear, &c.status).map_err(|e| invalid(e.to_string()))?);
    }
    if let Some(recipe) = raw.import {
        recipe.check().map_err(|e| invalid(e.to_string()))?;
        profile.import = Some(recipe);
    }
    Ok(profile)
}

pub fn builtin_names() -> String {
    BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_extends_the_builtin_and_renames_routes() {
        let text = "extends = \"4runr\"\nname = \"gw\"\n[inputs]\nrequests = [{ metric = \"http_requests_total\", group_by = \"route\" }]\n[chaos]\ninject = \"POST /admin/faults\"\nclear = \"DELETE /admin/faults/{tool}\"\nstatus = \"GET /admin/faults\"\n";
        let p = parse(Path::new("gw.toml"), text).unwrap();
        assert_eq!(p.metrics.name, "gw");
        assert_eq!(p.metrics.inputs[&Input::Requests][0].metric, "http_requests_total");
        assert_eq!(
            p.metrics.inputs[&Input::Latency],
            four_runr().inputs[&Input::Latency],
            "unlisted inputs keep the built-in names"
        );
        assert_eq!(p.chaos.unwrap().clear_path("serpapi"), "/admin/faults/serpapi");
        assert!(p.answers.is_fast_fail(502, b"Circuit breaker is OPEN"), "the base's fast-fail marker stays");
    }

    #[test]
    fn builtin_profiles_are_data_files_that_load() {
        let four = builtin("4runr").unwrap();
        assert_eq!(four.metrics.inputs.len(), Input::ALL.len(), "every input has names for 4Runr");
        assert_eq!(four.answers.classify(403, b"{\"error\":\"Policy denied\"}"), ErrorClass::Policy);
        assert!(four.chaos.is_some());
        let generic = builtin("generic").unwrap();
        assert!(generic.chaos.is_none(), "no chaos API");
        assert_eq!(generic.answers.classify(403, b"Policy denied"), ErrorClass::Auth, "no gateway strings");
        assert_eq!(generic.metrics.inputs[&Input::Requests][0].metric, "http_requests_total");
        assert!(!include_str!("../../profiles/generic.toml").contains("gateway"));
    }

    #[test]
    fn mistakes_are_located() {
        let e = parse(Path::new("gw.toml"), "[inputs]\nlatncy = []\n").unwrap_err().to_string();
        assert!(e.contains("unknown input \"latncy\""), "{e}");
        let e = parse(Path::new("gw.toml"), "name = \"x\"\nbogus = 1\n").unwrap_err().to_string();
        assert!(e.contains("gw.toml:2:1") && e.contains("unknown field `bogus`"), "{e}");
        let e = parse(
            Path::new("gw.toml"),
            "[chaos]\ninject = \"FLY /x\"\nclear = \"DELETE /y/{tool}\"\nstatus = \"GET /z\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("FLY"), "{e}");
    }
}
