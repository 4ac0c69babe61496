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
    // Longest names first, so `$__interval` does not eat the start of `$__interval_ms`.
    let builtins = [
        ("$__rate_interval", promql_duration(timing.rate_interval())),
        ("$__interval_ms", interval.as_millis().to_string()),
        ("$__interval", promql_duration(interval)),
        ("$__range_ms", timing.range.as_millis().to_string()),
        ("$__range_s", timing.range.as_secs().to_string()),
        ("$__range", promql_duration(timing.range)),
    ];
    let mut out = expr.to_string();
    for (name, value) in &builtins {
        out = out.replace(&format!("${{{}}}", &name[1..]), value).replace(name, value);
    }
    let mut by_length: Vec<&Variable> = variables.iter().collect();
    by_length.sort_by_key(|v| std::cmp::Reverse(v.name.len()));
    for v in by_length {
        out = replace_variable(&out, &v.name, &v.value);
    }
    out
}

/// `${name}`, `${name:format}`, `[[name]]` and `$name` not followed by a word character.
fn replace_variable(text: &str, name: &str, value: &str) -> String {
    let out = text.replace(&format!("[[{name}]]"), value).replace(&format!("${{{name}}}"), value);
    // One pass, never reading what was put in: a value may itself contain `${name:…}`.
    let formatted = format!("${{{name}:");
    let mut once = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find(&formatted) {
        let Some(end) = rest[start..].find('}') else { break };
        once.push_str(&rest[..start]);
        once.push_str(value);
        rest = &rest[start + end + 1..];
    }
    once.push_str(rest);
    let out = once;
    let plain = format!("${name}");
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find(&plain) {
        let after = &rest[i + plain.len()..];
        result.push_str(&rest[..i]);
        if after.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            result.push_str(&plain);
        } else {
            result.push_str(value);
        }
        rest = after;
    }
    result.push_str(rest);
    result
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
    }
}
