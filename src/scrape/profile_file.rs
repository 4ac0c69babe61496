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

use super::profile::{four_runr, Candidate, Input, TargetProfile};
use crate::chaos::client::ChaosRoutes;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Everything proofdeck needs to know about a kind of target.
#[derive(Clone, Debug)]
pub struct Profile {
    pub metrics: TargetProfile,
    pub chaos: ChaosRoutes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    extends: Option<String>,
    name: Option<String>,
    code_label: Option<String>,
    #[serde(default)]
    inputs: BTreeMap<String, Vec<RawCandidate>>,
    chaos: Option<RawChaos>,
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
struct RawChaos {
    inject: String,
    clear: String,
    status: String,
}

pub fn builtin(name: &str) -> Option<Profile> {
    (name == "4runr").then(|| Profile { metrics: four_runr(), chaos: ChaosRoutes::four_runr() })
}

/// `4runr`, or a path to a profile file.
pub fn resolve(name_or_path: &str) -> Result<Profile, String> {
    match builtin(name_or_path) {
        Some(p) => Ok(p),
        None => load(Path::new(name_or_path)),
    }
}

pub fn load(path: &Path) -> Result<Profile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read profile {}: {e}", path.display()))?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<Profile, String> {
    let raw: RawProfile = toml::from_str(text)
        .map_err(|e| crate::scenario::ScenarioError::at(path, text, e.span(), e.message().trim()).to_string())?;
    let mut profile = match raw.extends.as_deref() {
        None => Profile {
            metrics: TargetProfile { name: String::new(), code_label: "code".into(), inputs: BTreeMap::new() },
            chaos: ChaosRoutes::four_runr(),
        },
        Some(base) => builtin(base)
            .ok_or_else(|| format!("{}: unknown profile to extend {base:?}; built in: 4runr", path.display()))?,
    };
    profile.metrics.name =
        raw.name.unwrap_or_else(|| path.file_stem().map_or("profile".into(), |s| s.to_string_lossy().into_owned()));
    if let Some(code) = raw.code_label {
        profile.metrics.code_label = code;
    }
    for (key, list) in raw.inputs {
        let input = Input::ALL.into_iter().find(|i| i.name() == key).ok_or_else(|| {
            format!("{}: unknown input {key:?}; inputs are {}", path.display(), Input::ALL.map(|i| i.name()).join(", "))
        })?;
        let candidates =
            list.into_iter().map(|c| Candidate { metric: c.metric, scale: c.scale, group_by: c.group_by }).collect();
        profile.metrics.inputs.insert(input, candidates);
    }
    if let Some(c) = raw.chaos {
        profile.chaos =
            ChaosRoutes::parse(&c.inject, &c.clear, &c.status).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(profile)
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
        assert_eq!(p.chaos.clear_path("serpapi"), "/admin/faults/serpapi");
    }

    #[test]
    fn mistakes_are_located() {
        let e = parse(Path::new("gw.toml"), "[inputs]\nlatncy = []\n").unwrap_err();
        assert!(e.contains("unknown input \"latncy\""), "{e}");
        let e = parse(Path::new("gw.toml"), "name = \"x\"\nbogus = 1\n").unwrap_err();
        assert!(e.contains("gw.toml:2:1") && e.contains("unknown field `bogus`"), "{e}");
        let e = parse(
            Path::new("gw.toml"),
            "[chaos]\ninject = \"FLY /x\"\nclear = \"DELETE /y/{tool}\"\nstatus = \"GET /z\"\n",
        )
        .unwrap_err();
        assert!(e.contains("FLY"), "{e}");
    }
}
