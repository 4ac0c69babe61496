//! Durations as people write them in scenarios: `90s`, `10m`, `2h`, `1m30s`, `250ms`.

use std::time::Duration;

/// The longest duration accepted anywhere (a phase, a run, their sum): a year of load is
/// already far beyond any campaign, and it keeps every clock sum far from overflow.
pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// `None` for text that is not a duration, is negative or not finite, or exceeds `MAX`.
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok().filter(|d| *d <= MAX)
}

/// The sum of `durations`, or `None` when it exceeds `MAX`.
pub fn checked_sum(durations: impl IntoIterator<Item = Duration>) -> Option<Duration> {
    durations.into_iter().try_fold(Duration::ZERO, |a, d| a.checked_add(d)).filter(|d| *d <= MAX)
}

/// `1m30s`-style text for a duration, for summaries and generated scenarios.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let mut s = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Some(Duration::from_millis(1500)));
        for bad in ["", "10", "10x", "m", "1m30", "-5s", "99999999999999999999h", "366d", "8761h", "1e400s"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(format(Duration::from_secs(5430)), "1h30m30s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::ZERO), "0s");
        assert_eq!(parse("8760h"), Some(MAX));
        assert_eq!(checked_sum([MAX, Duration::from_secs(1)]), None);
        assert_eq!(checked_sum([Duration::from_secs(1), Duration::from_secs(2)]), Some(Duration::from_secs(3)));
    }
}
