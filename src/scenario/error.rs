//! Scenario errors located in their file: line, column, what was expected, and a hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub expected: Option<String>,
    pub hint: Option<String>,
    /// The offending source line, for the caret display.
    pub source_line: String,
    pub span_len: usize,
}

impl ScenarioError {
    pub fn at(file: &Path, source: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let span = span.unwrap_or(0..0);
        let start = span.start.min(source.len());
        let before = &source[..floor_char_boundary(source, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let source_line = source[line_start..].lines().next().unwrap_or("").to_string();
        let span_len = source
            [floor_char_boundary(source, start)..floor_char_boundary(source, span.end.min(source.len()))]
            .lines()
            .next()
            .map_or(1, |s| s.chars().count().max(1));
        Self {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            expected: None,
            hint: None,
            source_line,
            span_len,
        }
    }

    pub fn expected(mut self, what: impl Into<String>) -> Self {
        self.expected = Some(what.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// An error about the file as a whole (unreadable, empty).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Self::at(file, "", None, message)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "  --> {}:{}:{}", self.file.display(), self.line, self.column)?;
        if !self.source_line.is_empty() {
            let gutter = self.line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", self.line, self.source_line)?;
            let pad = " ".repeat(self.column - 1);
            let carets = "^".repeat(self.span_len);
            match &self.expected {
                Some(e) => writeln!(f, "{:gutter$} | {pad}{carets} expected {e}", "")?,
                None => writeln!(f, "{:gutter$} | {pad}{carets}", "")?,
            }
        } else if let Some(e) = &self.expected {
            writeln!(f, "  expected {e}")?;
        }
        if let Some(h) = &self.hint {
            writeln!(f, "  = hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
