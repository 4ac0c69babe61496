//! Values written the way Grafana's common units write them, and a panel's threshold and
//! value-mapping rules.

use super::model::Panel;

/// `value` in the panel's unit: "97.3%", "12.5 ms", "81.2 MiB", "1.2k req/s".
pub fn format(value: f64, unit: Option<&str>, decimals: Option<u32>) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let fixed = |v: f64, default: usize| format!("{v:.*}", decimals.map(|d| d as usize).unwrap_or(default));
    match unit.unwrap_or("") {
        "percent" => format!("{}%", fixed(value, 1)),
        "percentunit" => format!("{}%", fixed(value * 100.0, 1)),
        "s" => seconds(value, &fixed),
        "ms" => seconds(value / 1000.0, &fixed),
        "µs" | "us" => seconds(value / 1e6, &fixed),
        "bytes" | "decbytes" => bytes(value),
        "reqps" => format!("{} req/s", short(value, decimals)),
        "ops" => format!("{} ops/s", short(value, decimals)),
        "bool" => (if value != 0.0 { "true" } else { "false" }).into(),
        "none" | "short" | "" => short(value, decimals),
        // Grafana's custom units are "suffix:X" and "prefix:X".
        other => match (other.strip_prefix("suffix:"), other.strip_prefix("prefix:")) {
            (Some(s), _) => format!("{}{s}", short(value, decimals)),
            (_, Some(p)) => format!("{p}{}", short(value, decimals)),
            _ => format!("{} {other}", short(value, decimals)),
        },
    }
}

fn seconds(s: f64, fixed: &dyn Fn(f64, usize) -> String) -> String {
    let a = s.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-3 {
        format!("{} µs", fixed(s * 1e6, 0))
    } else if a < 1.0 {
        format!("{} ms", fixed(s * 1e3, 1))
    } else if a < 120.0 {
        format!("{} s", fixed(s, 2))
    } else {
        format!("{} min", fixed(s / 60.0, 1))
    }
}

fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Grafana's "short": SI suffixes past a thousand, a few significant digits below.
fn short(v: f64, decimals: Option<u32>) -> String {
    let a = v.abs();
    let (scaled, suffix) = match a {
        a if a >= 1e12 => (v / 1e12, " T"),
        a if a >= 1e9 => (v / 1e9, " B"),
        a if a >= 1e6 => (v / 1e6, " M"),
        a if a >= 1e3 => (v / 1e3, " K"),
        _ => (v, ""),
    };
    let digits = decimals.map(|d| d as usize).unwrap_or_else(|| {
        let a = scaled.abs();
        if a == 0.0 || a.fract() == 0.0 && suffix.is_empty() || a >= 100.0 {
            0
        } else if a >= 10.0 {
            1
        } else {
            2
        }
    });
    format!("{scaled:.digits$}{suffix}")
}

/// How a value reads against the panel's thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Bad,
    /// No thresholds, or a colour that says nothing (blue, purple, text).
    Neutral,
}

/// The level of the highest threshold step at or below `value`.
pub fn level(panel: &Panel, value: f64) -> Level {
    let step = panel.thresholds.iter().rfind(|t| t.value.is_none_or(|v| value >= v));
    match step.map(|t| t.color.to_ascii_lowercase()) {
        Some(c) if c.contains("green") => Level::Ok,
        Some(c) if c.contains("yellow") || c.contains("orange") => Level::Warn,
        Some(c) if c.contains("red") => Level::Bad,
        _ => Level::Neutral,
    }
}

/// The value's text: a value mapping's, or the value in the panel's unit.
pub fn display(panel: &Panel, value: f64) -> String {
    panel
        .mappings
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, text)| text.clone())
        .unwrap_or_else(|| format(value, panel.unit.as_deref(), panel.decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_units_read_as_in_grafana() {
        assert_eq!(format(97.26, Some("percent"), None), "97.3%");
        assert_eq!(format(0.9726, Some("percentunit"), None), "97.3%");
        assert_eq!(format(0.0125, Some("s"), None), "12.5 ms");
        assert_eq!(format(85_000_000.0, Some("bytes"), None), "81.1 MiB");
        assert_eq!(format(1234.0, None, None), "1.23 K");
        assert_eq!(format(3.0, None, None), "3");
        assert_eq!(format(0.25, None, None), "0.25");
        assert_eq!(format(12.0, Some("suffix: rps"), None), "12 rps");
        assert_eq!(format(f64::NAN, Some("percent"), None), "NaN");
    }
}
