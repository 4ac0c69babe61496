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
