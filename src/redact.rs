//! Keeps secrets out of every output: response bodies quoted in errors, and the scenario
//! copied into the run directory, have values under secret-looking keys replaced.

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

/// A URL without credentials: user info and secret-looking query values are masked.
pub fn url(text: &str) -> String {
    let Ok(mut u) = reqwest::Url::parse(text) else {
        return text.to_string();
    };
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username(MASK);
        let _ = u.set_password(None);
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) { MASK.to_string() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string().trim_end_matches('/').to_string()
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
}
