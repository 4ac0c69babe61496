//! Two helpers every layer needs.

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
