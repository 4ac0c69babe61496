//! Roles: what a script's token helpers (processor functions such as `getTokenScraper`) stand
//! for, and the setup that creates their tokens. Target-specific, so it comes from the target
//! profile's `[import]` section (see `profiles/4runr.toml`), never from this code.

use serde::Deserialize;
use std::collections::BTreeMap;

/// How a target's token helpers become setup: read from a profile's `[import]` section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImportRecipe {
    /// Pool field ← the helper variables that name it (`token = ["token", "agent_token"]`).
    pub pool_fields: BTreeMap<String, Vec<String>>,
    /// TOML written once when any role is used (comments and a group header).
    pub setup_head: String,
    /// TOML written for each role used, after `setup_head` (e.g. one policy step per role).
    pub setup_each_role_first: String,
    /// TOML written for each role used, after every `setup_each_role_first` (e.g. its pool).
    pub setup_each_role: String,
    #[serde(rename = "role")]
    pub roles: Vec<Role>,
}

/// A role name the templates cannot hold.
#[derive(Debug, thiserror::Error)]
#[error("import role name {0:?} must be letters, digits, _ or -")]
pub struct BadRoleName(pub String);

/// One role: its helpers, and lists the setup templates use as `{key}`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Role {
    pub name: String,
    pub helpers: Vec<String>,
    /// Every other key of the role, e.g. `tools`, `scopes`: written as TOML arrays.
    #[serde(flatten)]
    pub lists: BTreeMap<String, Vec<String>>,
}

impl ImportRecipe {
    /// Checks what the templates rely on: role names go into TOML strings and template names.
    pub fn check(&self) -> Result<(), BadRoleName> {
        match self.roles.iter().find(|r| !super::source::is_plain_name(&r.name)) {
            Some(role) => Err(BadRoleName(role.name.clone())),
            None => Ok(()),
        }
    }

    pub(super) fn role_of_helper(&self, helper: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.helpers.iter().any(|h| h == helper))
    }

    /// The pool field a helper's variable names, if any.
    pub(super) fn pool_field(&self, variable: &str) -> Option<&str> {
        self.pool_fields.iter().find(|(_, names)| names.iter().any(|n| n == variable)).map(|(field, _)| field.as_str())
    }

    /// The setup for the roles used, in the templates' order.
    pub(super) fn render_setup(&self, used: &[usize]) -> String {
        let mut out = String::new();
        if used.is_empty() {
            return out;
        }
        out.push('\n');
        out.push_str(&self.setup_head);
        for &r in used {
            out.push_str(&self.fill(&self.setup_each_role_first, &self.roles[r]));
        }
        for &r in used {
            out.push('\n');
            out.push_str(&self.fill(&self.setup_each_role, &self.roles[r]));
        }
        out
    }

    /// `{role}` → the role's name, `{key}` → its list `key` as a TOML array.
    fn fill(&self, template: &str, role: &Role) -> String {
        let mut text = template.replace("{role}", &role.name);
        for (key, values) in &role.lists {
            text = text.replace(&format!("{{{key}}}"), &super::out::toml_array(values));
        }
        text
    }
}
