//! Grafana's query variables: `$__rate_interval`, `$__interval`, `$__range` and the
//! dashboard's template variables at their saved values.

use std::time::Duration;

use super::model::Variable;

/// The clock a dashboard is evaluated on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// How often the target is scraped: one point per scrape, so also `$__interval`.
    pub scrape_interval: Duration,
    /// The dashboard's time range (`$__range`).
    pub range: Duration,
}

impl Timing {
    /// Grafana's rule: max($__interval + scrape interval, 4 × scrape interval).
    pub fn rate_interval(&self) -> Duration {
        (self.scrape_interval * 2).max(self.scrape_interval * 4)
    }
}

/// A duration as PromQL writes it, in whole milliseconds or seconds.
fn promql_duration(d: Duration) -> String {
    let ms = d.as_millis().max(1);
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

pub fn expand(expr: &str, variables: &[Variable], timing: &Timing) -> String {
    let interval = timing.scrape_interval;
    let builtin = |name: &str| -> Option<String> {
        Some(match name {
            "__rate_interval" => promql_duration(timing.rate_interval()),
            "__interval_ms" => interval.as_millis().to_string(),
            "__interval" => promql_duration(interval),
            "__range_ms" => timing.range.as_millis().to_string(),
            "__range_s" => timing.range.as_secs().to_string(),
            "__range" => promql_duration(timing.range),
            _ => return None,
        })
    };
    let value =
        |name: &str| builtin(name).or_else(|| variables.iter().find(|v| v.name == name).map(|v| v.value.clone()));
    // One left-to-right pass over the expression as written: a value is copied in verbatim
    // and never read again, so no value can expand another (or itself).
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(i) = rest.find(['$', '[']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (name, used) = if let Some(braced) = tail.strip_prefix("${") {
            // ${name} or ${name:format}
            match braced.find('}') {
                Some(end) => (braced[..end].split(':').next().unwrap_or(""), 2 + end + 1),
                None => ("", 0),
            }
        } else if let Some(bracketed) = tail.strip_prefix("[[") {
            match bracketed.find("]]") {
                Some(end) => (&bracketed[..end], 2 + end + 2),
                None => ("", 0),
            }
        } else if let Some(plain) = tail.strip_prefix('$') {
            let end = plain.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(plain.len());
            (&plain[..end], 1 + end)
        } else {
            ("", 0)
        };
        match value(name).filter(|_| used > 0 && !name.is_empty()) {
            Some(v) => {
                out.push_str(&v);
                rest = &tail[used..];
            }
            None => {
                // Not a variable: the character stays, and the scan goes on after it.
                let c = tail.chars().next().map_or(1, char::len_utf8);
                out.push_str(&tail[..c]);
                rest = &tail[c..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing { scrape_interval: Duration::from_secs(2), range: Duration::from_secs(3600) }
    }

    #[test]
    fn builtins_follow_grafanas_rules() {
        let t = timing();
        assert_eq!(expand("rate(x[$__rate_interval])", &[], &t), "rate(x[8s])");
        assert_eq!(expand("rate(x[${__interval}]) $__interval_ms", &[], &t), "rate(x[2s]) 2000");
        assert_eq!(expand("increase(x[$__range])", &[], &t), "increase(x[3600s])");
    }

    #[test]
    fn variables_take_their_saved_values_in_every_syntax() {
        let vars = [
            Variable { name: "tool".into(), value: "serpapi".into() },
            Variable { name: "tool_set".into(), value: "(a|b)".into() },
        ];
        let e = expand(
            r#"x{tool="$tool", t2=~"$tool_set", t3="${tool}", t4="[[tool]]", t5="${tool:raw}"}"#,
            &vars,
            &timing(),
        );
        assert_eq!(e, r#"x{tool="serpapi", t2=~"(a|b)", t3="serpapi", t4="serpapi", t5="serpapi"}"#);
        assert_eq!(expand("$unknown", &vars, &timing()), "$unknown");
        // A value holding its own reference is put in once, not expanded again.
        let tricky = [Variable { name: "x".into(), value: "${x:raw}${x:raw}".into() }];
        assert_eq!(expand("up{a=\"${x:raw}\"}", &tricky, &timing()), "up{a=\"${x:raw}${x:raw}\"}");
        // Twenty variables each naming the next ten times: one pass, no blow-up.
        let chain: Vec<Variable> =
            (1..=20).map(|i| Variable { name: format!("v{i}"), value: format!("$v{} ", i + 1).repeat(10) }).collect();
        assert_eq!(expand("$v1", &chain, &timing()), "$v2 ".repeat(10));
        // Range brackets are not variables.
        assert_eq!(expand("rate(x[5m])", &[], &timing()), "rate(x[5m])");
    }
}
