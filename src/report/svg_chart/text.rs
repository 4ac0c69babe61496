//! Text helpers: escaping, truncation, width estimates and fixed-precision numbers.

/// Text escaped for XML (one rule for every XML file proofdeck writes).
pub(super) fn esc(s: &str) -> String {
    crate::util::xml_escape(s, false)
}

/// At most `max` characters, with an ellipsis when shortened.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Rough advance width of `s` in a sans-serif font (layout only).
pub(super) fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.85,
            c if c.is_ascii_uppercase() => 0.68,
            _ => 0.56,
        })
        .sum::<f64>()
        * size
}

pub(super) fn round1(v: f64) -> f64 {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Fixed one-decimal formatting without trailing `.0` and without `-0`.
pub(super) fn f1(v: f64) -> String {
    let r = round1(v);
    let s = format!("{r:.1}");
    match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    }
}
