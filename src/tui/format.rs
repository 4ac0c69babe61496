//! Short, fixed-width-friendly number formats shared by the header and the panels.

/// "42s", "3m07s", "2h05m".
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs <= 0.0 {
        return "0s".into();
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Chart clock: "1:05", "1:02:05".
pub fn clock(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 { secs.round() as u64 } else { 0 };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Per-second rates: "0.5", "48.2", "312", "1.2k".
pub fn rate(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Milliseconds: "0.42", "12.3", "180", "12.5s".
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v >= 10_000.0 {
        format!("{:.1}s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// "512 B", "81.2 MiB".
pub fn bytes(b: f64) -> String {
    if !b.is_finite() || b < 0.0 {
        return "–".into();
    }
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024.0 {
        return format!("{b:.0} B");
    }
    let mut v = b / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Percentages keep the digits that matter near 100: "97.3%", "99.62%".
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if (99.0..100.0).contains(&v) {
        format!("{v:.2}%")
    } else {
        format!("{v:.1}%")
    }
}

/// "12,345".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cuts `s` to `max` characters, marking the cut with "…".
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(0.0), "0s");
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(187.0), "3m07s");
        assert_eq!(duration(7500.0), "2h05m");
        assert_eq!(duration(f64::NAN), "0s");
        assert_eq!(clock(65.0), "1:05");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(rate(0.54), "0.5");
        assert_eq!(rate(312.4), "312");
        assert_eq!(rate(1234.0), "1.2k");
        assert_eq!(ms(0.424), "0.42");
        assert_eq!(ms(12.34), "12.3");
        assert_eq!(ms(12_500.0), "12.5s");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(85_144_371.0), "81.2 MiB");
        assert_eq!(pct(99.624), "99.62%");
        assert_eq!(pct(100.0), "100.0%");
        assert_eq!(pct(57.14), "57.1%");
        assert_eq!(count(0), "0");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(truncate("serpapi", 10), "serpapi");
        assert_eq!(truncate("gmail_send", 6), "gmail…");
        assert_eq!(truncate("abc", 0), "");
    }
}
