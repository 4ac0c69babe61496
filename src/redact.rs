//! Keeps secrets out of every output: response bodies quoted in errors, and the scenario
//! copied into the run directory, have values under secret-looking keys replaced.

use crate::uri::Uri;
use serde_json::Value;

const MASK: &str = "***";

/// Keys whose values are credentials: tokens, keys, passwords, cookies, Authorization.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    ["authorization", "token", "secret", "password", "passwd", "apikey", "privatekey", "cookie", "proof"]
        .iter()
        .any(|s| k.contains(s))
}

/// A response body fit for an error message: JSON with secret values masked, at most
/// `max` characters; a non-JSON body is not quoted at all, since it cannot be checked.
pub fn body(bytes: &[u8], max: usize) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            mask_json(&mut v);
            let text = v.to_string();
            match text.char_indices().nth(max) {
                Some((i, _)) => format!("{}…", &text[..i]),
                None => text,
            }
        }
        Err(_) if bytes.is_empty() => String::new(),
        Err(_) => format!("({} bytes, not JSON)", bytes.len()),
    }
}

fn mask_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                // Everything under a secret key goes, nested or not.
                if is_secret_key(k) && !v.is_null() {
                    *v = Value::String(MASK.into());
                } else {
                    mask_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// The scenario as run, with literal secrets masked; `{{ … }}` references stay, since they
/// name a value rather than hold it.
pub fn scenario(source: &str) -> String {
    match source.parse::<toml::Table>() {
        Ok(mut table) => {
            mask_toml(&mut table);
            toml::to_string_pretty(&table).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

fn mask_toml(table: &mut toml::Table) {
    for (k, v) in table.iter_mut() {
        match v {
            toml::Value::String(s) if is_secret_key(k) && !is_template(s) => *s = MASK.into(),
            toml::Value::Table(t) => mask_toml(t),
            toml::Value::Array(items) => {
                for item in items {
                    match item {
                        toml::Value::Table(t) => mask_toml(t),
                        toml::Value::String(s) if is_secret_key(k) && !is_template(s) => *s = MASK.into(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// A value that only names another, like `{{ pool.token }}`: safe to show.
fn is_template(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1
}

/// Literal secret values a run was given (header credentials, URL user info, credential-like
/// query parameters and keys in the scenario, the target's user info), masked *by value* in
/// every file the run writes, wherever they end up (a flow named after its path, a URL).
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: Vec<String>,
}

/// Values shorter than this are not masked by value: "1" or "ab" would mangle every number.
const MIN_SECRET_LEN: usize = 6;

impl Secrets {
    /// The secrets in a scenario's source and in the target URL it runs against.
    pub fn from_run(scenario_source: &str, target: &str) -> Self {
        let mut s = Self::default();
        s.add_url(target);
        if let Ok(table) = scenario_source.parse::<toml::Table>() {
            s.walk_table(&table, false);
        }
        s.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        s.values.dedup();
        s
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every secret value replaced by `***` (also in its JSON-escaped form).
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
            let escaped = serde_json::to_string(v).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            if escaped != v && out.contains(escaped) {
                out = out.replace(escaped, MASK);
            }
        }
        out
    }

    fn add(&mut self, value: &str) {
        let v = value.trim();
        if v.len() >= MIN_SECRET_LEN && !is_template(v) && !v.contains("{{") {
            self.values.push(v.to_string());
        }
        // "Bearer xyz": the credential alone may be printed elsewhere.
        if let Some((scheme, rest)) = v.split_once(' ') {
            if ["bearer", "basic", "token", "digest"].contains(&scheme.to_ascii_lowercase().as_str()) {
                self.add(rest);
            }
        }
    }

    /// User info and credential-like query values of a URL or a path with a query.
    fn add_url(&mut self, text: &str) {
        let prefixed = format!("http://x{text}");
        let Ok(u) = Uri::parse(text).or_else(|_| Uri::parse(&prefixed)) else { return };
        match u.credentials() {
            Some((user, Some(pw))) => {
                self.add(&pw);
                self.add(&format!("{user}:{pw}"));
            }
            Some((user, None)) if !user.is_empty() => self.add(&user),
            _ => {}
        }
        for (k, v) in u.query_pairs() {
            if is_secret_key(&k) {
                self.add(&v);
            }
        }
    }

    fn walk_table(&mut self, table: &toml::Table, in_headers: bool) {
        for (k, v) in table {
            let headers = k.eq_ignore_ascii_case("headers");
            match v {
                toml::Value::String(s) => self.consider(k, s, in_headers),
                toml::Value::Table(t) => self.walk_table(t, headers),
                toml::Value::Array(items) => {
                    for item in items {
                        match item {
                            toml::Value::Table(t) => self.walk_table(t, false),
                            toml::Value::String(s) => self.consider(k, s, false),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn consider(&mut self, key: &str, value: &str, is_header: bool) {
        let k = key.to_ascii_lowercase();
        let credential_header = is_header
            && (k.contains("auth") || k.contains("key") || k.contains("session") || looks_like_credential(value));
        if is_secret_key(key) || credential_header {
            self.add(value);
        }
        if value.contains('?') || value.contains('@') {
            self.add_url(value);
        }
    }
}

/// `Bearer …`, `Basic …` or a JWT (three base64url parts, the first `eyJ`).
fn looks_like_credential(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    ["bearer ", "basic ", "token "].iter().any(|p| lower.starts_with(p))
        || (v.starts_with("eyJ") && v.matches('.').count() == 2)
}

/// A URL without credentials: user info and secret-looking query values are masked.
pub fn url(text: &str) -> String {
    let Ok(u) = Uri::parse(text) else {
        return text.to_string();
    };
    let mut out = format!("{}://", u.scheme);
    if u.userinfo.is_some() {
        out.push_str(MASK);
        out.push('@');
    }
    // The authority as written, past its user info.
    let authority_start = text.find("://").map_or(0, |i| i + 3);
    let authority = &text[authority_start..];
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    out.push_str(authority.rsplit_once('@').map_or(authority, |(_, hostport)| hostport));
    out.push_str(u.path);
    if let Some(query) = u.query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_key(&crate::uri::decode(k, true)) => format!("{k}={MASK}"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    if let Some(fragment) = u.fragment {
        out.push('#');
        out.push_str(fragment);
    }
    if u.query.is_none() && u.fragment.is_none() {
        out.truncate(out.trim_end_matches('/').len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_scenarios_lose_their_secrets() {
        let b = body(br#"{"agent_token":"eyJabc.123","nested":{"private_key":"k","ok":1},"list":[{"Authorization":"Bearer x"}]}"#, 500);
        assert!(!b.contains("eyJabc") && !b.contains("\"k\"") && !b.contains("Bearer"), "{b}");
        assert!(b.contains("\"ok\":1"));
        assert_eq!(body(b"<html>secret</html>", 50), "(19 bytes, not JSON)");
        let s = scenario("[defaults]\nheaders = { Authorization = \"Bearer abc\" }\n[[flow.step]]\nbody = { agent_token = \"{{ pool.token }}\", api_key = \"literal\" }\n");
        assert!(!s.contains("Bearer abc") && !s.contains("literal"), "{s}");
        assert!(s.contains("{{ pool.token }}"), "{s}");
        let s = scenario("[vars]\napi_keys = [\"k1\", \"k2\"]\n[x]\ntoken = \"{{ a }}literal\"\n");
        assert!(!s.contains("k1") && !s.contains("literal"), "{s}");
        let b = body(br#"{"token":{"value":"deep"},"tokens":["t1"]}"#, 500);
        assert!(!b.contains("deep") && !b.contains("t1"), "{b}");
        assert_eq!(url("http://user:pw@h.example:8080/p?api_key=s&x=1"), "http://***@h.example:8080/p?api_key=***&x=1");
        assert_eq!(url("http://h/p@x"), "http://h/p@x");
        assert_eq!(url("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }

    #[test]
    fn secrets_are_masked_by_value_wherever_they_went() {
        let source = r#"
target = "http://admin:hunter2pw@127.0.0.1:3000"
[defaults]
headers = { "X-Auth" = "Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl", Accept = "application/json" }
[[flow]]
name = "f"
[[flow.step]]
path = "/x?access_token=eyJtoken123&page=2"
headers = { "X-Trace" = "Token abcdef123456" }
"#;
        let s = Secrets::from_run(source, "http://ops:s3cretpass@gw:1");
        let leaked = "GET /x?access_token=eyJtoken123 with Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl from http://admin:hunter2pw@h and ops:s3cretpass and abcdef123456";
        let masked = s.mask(leaked);
        for secret in ["eyJtoken123", "eyJhbGciOi", "hunter2pw", "s3cretpass", "abcdef123456"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(masked.contains("GET /x?access_token=*** with"), "the rest of the text stays: {masked}");
        assert_eq!(s.mask("application/json page=2"), "application/json page=2", "plain values stay");
        assert!(Secrets::from_run("[[phase]]\nname = \"p\"\n", "http://127.0.0.1:1").is_empty());
    }
}
