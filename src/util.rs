//! Small helpers every layer needs.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex; a panic elsewhere must not take the measurements down with it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
}
