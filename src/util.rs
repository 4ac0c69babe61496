//! Small helpers every layer needs.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex; a panic elsewhere must not take the measurements down with it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads an `RwLock`, going on with the data if a writer panicked.
pub fn read<T>(l: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes an `RwLock`, going on with the data if a writer panicked.
pub fn write<T>(l: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// A random UUID (version 4, RFC 9562) drawn from `rng`.
pub fn uuid_v4(rng: &mut impl rand::Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string()
}

/// An error with its whole chain of causes, e.g. "client error: connect: refused".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Text from a target made safe for a terminal: control characters (escape sequences that
/// could retitle or recolour it, carriage returns that hide text) and bidirectional
/// overrides are shown escaped, never sent. Newlines stay when `keep_newlines`.
pub fn printable(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hostile = (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if hostile {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text escaped for XML content and attribute values. Characters XML 1.0 forbids (controls
/// other than tab, newline and CR; U+FFFE, U+FFFF) are dropped; tab, newline and CR are kept
/// when `keep_line_breaks`, else turned into spaces.
pub fn xml_escape(s: &str, keep_line_breaks: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' if keep_line_breaks => o.push(c),
            '\t' | '\n' | '\r' => o.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

/// A strict check of the XML proofdeck writes (SVG charts, screenshots), for tests: one
/// checker for every writer.
#[cfg(test)]
/// Tiny XML well-formedness checker: balanced tags, quoted attributes, valid entity
/// references, no stray `<`/`&`, exactly one root element.
pub(crate) fn check_xml(doc: &str) -> Result<(), String> {
    let b = doc.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut i = 0;
    let check_text = |t: &str| -> Result<(), String> {
        let mut rest = t;
        while let Some(p) = rest.find('&') {
            let after = &rest[p + 1..];
            let end = after.find(';').ok_or("unterminated entity")?;
            let ent = &after[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos") || (ent.starts_with('#') && ent.len() > 1);
            if !ok {
                return Err(format!("bad entity &{ent};"));
            }
            rest = &after[end + 1..];
        }
        if t.contains('>') && t.contains("]]>") {
            return Err("]]> in text".into());
        }
        if t.chars().any(|c| (c as u32) < 0x20 && !"\t\n\r".contains(c)) {
            return Err("control character".into());
        }
        Ok(())
    };
    while i < b.len() {
        if b[i] != b'<' {
            let next = doc[i..].find('<').map_or(b.len(), |p| i + p);
            let text = &doc[i..next];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside root: {text:?}"));
            }
            check_text(text)?;
            i = next;
            continue;
        }
        let rest = &doc[i..];
        if rest.starts_with("<?") {
            if i != 0 {
                return Err("XML declaration not at start".into());
            }
            i += rest.find("?>").ok_or("unterminated <?")? + 2;
            continue;
        }
        if rest.starts_with("<!--") {
            i += rest.find("-->").ok_or("unterminated comment")? + 3;
            continue;
        }
        let end = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("'<' inside tag: {tag}"));
        }
        i += end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("unexpected </{name}>"))?;
            if open != name.trim() {
                return Err(format!("</{name}> closes <{open}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || ":-_".contains(c)) {
            return Err(format!("bad tag name {name:?}"));
        }
        // attributes: name="value" pairs
        let mut a = body[name_end..].trim();
        let mut seen = Vec::new();
        while !a.is_empty() {
            let eq = a.find('=').ok_or(format!("attr without value in <{name}>"))?;
            let an = a[..eq].trim();
            if an.is_empty() || an.contains(char::is_whitespace) {
                return Err(format!("bad attr name {an:?}"));
            }
            if seen.contains(&an) {
                return Err(format!("duplicate attr {an}"));
            }
            seen.push(an);
            let v = a[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing attr value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attr {an}"));
            }
            let close = v[1..].find(q).ok_or("unterminated attr")?;
            check_text(&v[1..1 + close])?;
            a = v[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed: {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

/// Appends `p` to a time series kept at most `max` points long: when full, every other point
/// is dropped first, so a long run's history halves its resolution instead of growing.
pub fn push_thinned(points: &mut Vec<(f64, f64)>, p: (f64, f64), max: usize) {
    if points.len() >= max.max(2) {
        let mut i = 0;
        points.retain(|_| {
            i += 1;
            i % 2 == 0
        });
    }
    points.push(p);
}

/// Text made safe for a Markdown table cell: pipes escaped, line breaks flattened.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_and_printable() {
        assert_eq!(xml_escape("a<b & 'c'\u{1}\n", false), "a&lt;b &amp; &apos;c&apos; ");
        assert_eq!(xml_escape("l1\nl2\u{FFFF}", true), "l1\nl2");
        assert_eq!(printable("a\u{1b}[2Jb\n", true), "a\\u{1b}[2Jb\n");
        assert_eq!(printable("a\nb", false), "a\\nb");
    }

    #[test]
    fn a_uuid_is_version_4_of_the_rfc_variant() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..100 {
            let u = uuid_v4(&mut rng);
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4", "{u}");
            assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        }
    }
}
