//! The one rule for a target base URL, shared by `--target`, a scenario's `target` and every
//! subcommand: `http(s)://host[:port][/prefix]`, userinfo allowed (and never shown).

/// Why `url` cannot be a target, naming the value with any credentials masked.
pub fn check(url: &str) -> Result<(), String> {
    let shown = masked(url);
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid target {shown:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "invalid target {shown:?}: scheme {:?} is not supported; expected http:// or https://",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("invalid target {shown:?}: no host; expected http(s)://host[:port]"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "invalid target {shown:?}: a target is a base URL without ?query or #fragment; put those in the step's path"
        ));
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
            let e = check(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = check("ftp://admin:hunter2pw@127.0.0.1").unwrap_err();
        assert!(!e.contains("hunter2pw") && e.contains("***@127.0.0.1"), "{e}");
        assert_eq!(masked("http://a:b@h:1/x@y"), "http://***@h:1/x@y");
        assert_eq!(masked("nothing-here"), "nothing-here");
    }
}
