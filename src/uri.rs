//! Just enough URL reading for targets and for masking credentials:
//! `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`. Hosts are ASCII (a
//! non-ASCII name is refused with its punycode form asked for), which spares the build the
//! Unicode IDNA tables a general URL crate carries.

/// A URL in its parts, borrowed from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Uri<'a> {
    pub scheme: &'a str,
    pub userinfo: Option<&'a str>,
    /// Without an IPv6 address's brackets.
    pub host: &'a str,
    pub port: Option<u16>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

impl<'a> Uri<'a> {
    pub fn parse(text: &'a str) -> Result<Self, String> {
        let colon = text.find(':').filter(|&i| is_scheme(&text[..i]));
        let Some(colon) = colon else {
            return Err("relative URL without a scheme; expected http(s)://host[:port]".into());
        };
        let scheme = &text[..colon];
        let Some(rest) = text[colon + 1..].strip_prefix("//") else {
            return Err(format!("scheme {scheme:?} without //host"));
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(authority_end);
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (host, port) = split_port(hostport)?;
        if host.is_empty() {
            return Err("empty host".into());
        }
        if !host.is_ascii() {
            return Err(format!("non-ASCII host {host:?}; write it in its punycode (xn--) form"));
        }
        if host.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))) {
            return Err(format!("invalid host {host:?}"));
        }
        let (before_fragment, fragment) = match after.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (after, None),
        };
        let (path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        Ok(Self { scheme, userinfo, host, port, path, query, fragment })
    }

    /// Whether the host is this machine: `localhost`, 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The port given, or the scheme's own (80, 443).
    pub fn port_or_default(&self) -> Option<u16> {
        self.port.or(match self.scheme.to_ascii_lowercase().as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        })
    }

    /// The user name and the password, percent-decoded.
    pub fn credentials(&self) -> Option<(String, Option<String>)> {
        let info = self.userinfo?;
        let (user, password) = match info.split_once(':') {
            Some((u, p)) => (u, Some(decode(p, false))),
            None => (info, None),
        };
        Some((decode(user, false), password))
    }

    /// The query's `key=value` pairs, decoded as a form is (`+` is a space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k, true), decode(v, true))
            })
            .collect()
    }
}

fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `host[:port]`, `[v6]` or `[v6]:port`.
fn split_port(hostport: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, rest) = v6.split_once(']').ok_or_else(|| format!("unclosed [ in host {hostport:?}"))?;
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':').ok_or_else(|| format!("invalid host {hostport:?}"))?)),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| format!("invalid port {p:?}"))?),
    };
    Ok((host, port))
}

/// Percent-decoding (and `+` as a space in a form), lossy on invalid UTF-8.
pub fn decode(text: &str, form: bool) -> String {
    let spaced;
    let text = if form && text.contains('+') {
        spaced = text.replace('+', " ");
        &spaced
    } else {
        text
    };
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_this_machine_only() {
        for local in ["http://localhost:80", "http://LOCALHOST", "http://127.255.0.9", "http://[::1]:8080"] {
            assert!(Uri::parse(local).unwrap().is_loopback(), "{local}");
        }
        for remote in ["http://127.example.com", "http://10.0.0.1", "http://[::2]", "http://localhost.example.com"] {
            assert!(!Uri::parse(remote).unwrap().is_loopback(), "{remote}");
        }
    }

    #[test]
    fn a_full_url_splits_into_its_parts() {
        let u = Uri::parse("https://us%40er:p%3Ass@Gw.example:8443/api/x?a=1&tok=b%2Bc+d#frag").unwrap();
        assert_eq!((u.scheme, u.host, u.port, u.path), ("https", "Gw.example", Some(8443), "/api/x"));
        assert_eq!(u.credentials(), Some(("us@er".into(), Some("p:ss".into()))));
        assert_eq!(u.query_pairs(), vec![("a".into(), "1".into()), ("tok".into(), "b+c d".into())]);
        assert_eq!(u.fragment, Some("frag"));
        let v6 = Uri::parse("http://[::1]:8080").unwrap();
        assert_eq!((v6.host, v6.port, v6.path), ("::1", Some(8080), ""));
        assert_eq!(Uri::parse("http://[::1]").unwrap().port_or_default(), Some(80));
        assert_eq!(Uri::parse("https://h/p@x").unwrap().userinfo, None);
    }

    #[test]
    fn what_is_not_a_url_says_why() {
        for (bad, says) in [
            ("127.0.0.1:3000", "relative URL"),
            ("localhost", "relative URL"),
            ("http://", "empty host"),
            ("http://h:99999", "invalid port"),
            ("http://a b", "invalid host"),
            ("http://bücher.example", "punycode"),
            ("http://[::1", "unclosed"),
            ("mailto:x@y", "without //host"),
        ] {
            let e = Uri::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
