//! The one rule for a target base URL, shared by `--target`, a scenario's `target` and every
//! subcommand: `http(s)://host[:port][/prefix]`, userinfo allowed (and never shown).

/// A target URL that cannot be one: the value (credentials masked) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid target {shown:?}: {why}")]
pub struct InvalidTarget {
    pub shown: String,
    pub why: String,
}

/// Why `url` cannot be a target, naming the value with any credentials masked.
pub fn check(url: &str) -> Result<(), InvalidTarget> {
    let invalid = |why: String| InvalidTarget { shown: masked(url), why };
    let parsed = crate::uri::Uri::parse(url).map_err(invalid)?;
    if !matches!(parsed.scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        let why = format!("scheme {:?} is not supported; expected http:// or https://", parsed.scheme);
        return Err(invalid(why));
    }
    if parsed.query.is_some() || parsed.fragment.is_some() {
        let why = "a target is a base URL without ?query or #fragment; put those in the step's path";
        return Err(invalid(why.into()));
    }
    Ok(())
}

/// `url` with a `user:password@` part replaced, even when the rest does not parse.
pub fn masked(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
            format!("{prefix}***{}", &rest[at..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_only_and_credentials_never_shown() {
        for ok in ["http://127.0.0.1:3000", "https://gw.example.com", "http://u:p@127.0.0.1:1/api", "http://[::1]:8080"]
        {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("ftp://127.0.0.1", "scheme \"ftp\""),
            ("127.0.0.1:3000", "relative URL"),
            ("localhost:3000", "scheme \"localhost\""),
            ("localhost", "relative URL"),
            ("http://", "empty host"),
            ("http://127.0.0.1/?a=1", "?query"),
            ("http://127.0.0.1/#x", "#fragment"),
        ] {
            let e = check(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = check("ftp://admin:hunter2pw@127.0.0.1").unwrap_err().to_string();
        assert!(!e.contains("hunter2pw") && e.contains("***@127.0.0.1"), "{e}");
        assert_eq!(masked("http://a:b@h:1/x@y"), "http://***@h:1/x@y");
        assert_eq!(masked("nothing-here"), "nothing-here");
    }
}
