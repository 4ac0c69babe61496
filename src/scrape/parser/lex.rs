//! Lexing one line: byte scanning; slicing happens only at ASCII delimiters, so always on a
//! char boundary, and the only allocations are names and label pairs.

/// What one line is.
pub(super) enum Line<'t> {
    Blank,
    Comment,
    Eof,
    Help { name: &'t str, text: &'t str },
    Type { name: &'t str, kind: &'t str },
    Sample(Lexed),
}

/// A sample line as read, plus the irregularities it was read despite.
pub(super) struct Lexed {
    pub(super) name: String,
    pub(super) labels: Vec<(String, String)>,
    pub(super) value: f64,
    pub(super) timestamp_ms: Option<i64>,
    pub(super) quirks: u8,
}

pub(super) const Q_LABEL_OUTSIDE: u8 = 1;
pub(super) const Q_BAD_ESCAPE: u8 = 2;
pub(super) const Q_NO_BLANK: u8 = 4;
pub(super) const Q_EXEMPLAR: u8 = 8;

/// Each quirk: what the tolerant parser records as a repair (exemplars are valid
/// OpenMetrics, so dropping one is no repair), and what strict mode reports.
pub(super) const QUIRKS: [(u8, Option<&str>, &str); 4] = [
    (
        Q_LABEL_OUTSIDE,
        Some("label written after `}` read as part of the label set"),
        "label outside the braces (like `}le=\"25\"`)",
    ),
    (
        Q_BAD_ESCAPE,
        Some("unknown escape in a label value kept literally"),
        "invalid escape in a label value (only \\\\, \\\" and \\n are allowed)",
    ),
    (Q_NO_BLANK, Some("no blank between the label set and the value"), "no blank between the label set and the value"),
    (Q_EXEMPLAR, None, "text after the value (exemplars are not part of the 0.0.4 format)"),
];

pub(super) const BLANKS: [char; 2] = [' ', '\t'];

pub(super) fn lex_line(line: &str) -> Result<Line<'_>, &'static str> {
    let t = line.trim_start_matches(BLANKS);
    if t.trim_end_matches(BLANKS).is_empty() {
        return Ok(Line::Blank);
    }
    match t.strip_prefix('#') {
        Some(comment) => lex_comment(comment),
        None => lex_sample(t).map(Line::Sample),
    }
}

pub(super) fn lex_comment(comment: &str) -> Result<Line<'_>, &'static str> {
    let (word, tail) = split_blank(comment.trim_start_matches(BLANKS));
    match word {
        "HELP" => {
            let (name, text) = split_blank(tail);
            check_metric_name(name)?;
            Ok(Line::Help { name, text })
        }
        "TYPE" => {
            let (name, tail) = split_blank(tail);
            check_metric_name(name)?;
            match split_blank(tail) {
                ("", _) => Err("TYPE line without a type"),
                (kind, "") => Ok(Line::Type { name, kind }),
                _ => Err("unexpected text after the type"),
            }
        }
        "EOF" if tail.is_empty() => Ok(Line::Eof),
        _ => Ok(Line::Comment),
    }
}

/// Splits off the first blank-delimited token; the rest loses its leading blanks.
pub(super) fn split_blank(s: &str) -> (&str, &str) {
    match s.find(BLANKS) {
        Some(i) => (&s[..i], s[i..].trim_start_matches(BLANKS)),
        None => (s, ""),
    }
}

pub(super) fn check_metric_name(name: &str) -> Result<(), &'static str> {
    match name {
        "" => Err("HELP/TYPE line without a metric name"),
        _ if is_name(name, true) => Ok(()),
        _ => Err("invalid metric name"),
    }
}

/// Metric names may contain colons (recording rules), label names may not.
pub(super) fn is_name(s: &str, colon: bool) -> bool {
    !s.is_empty() && s.bytes().enumerate().all(|(i, b)| is_name_byte(b, i == 0, colon))
}

pub(super) fn is_name_byte(b: u8, first: bool, colon: bool) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':') || (!first && b.is_ascii_digit())
}

pub(super) fn lex_sample(line: &str) -> Result<Lexed, &'static str> {
    let mut c = Cursor { s: line, i: 0 };
    let name = c.name(true).ok_or("line does not start with a metric name")?;
    let mut lx = Lexed { name: name.to_string(), labels: Vec::new(), value: 0.0, timestamp_ms: None, quirks: 0 };
    let braces = c.eat(b'{');
    if braces {
        lex_label_set(&mut c, &mut lx)?;
    }
    lex_loose_labels(&mut c, &mut lx)?;
    if !c.skip_blanks() && !c.at_end() {
        if !braces && lx.quirks & Q_LABEL_OUTSIDE == 0 {
            return Err("invalid character in metric name");
        }
        lx.quirks |= Q_NO_BLANK;
    }
    lx.value = match c.token() {
        "" => return Err("missing value"),
        v => v.parse().map_err(|_| "invalid value")?,
    };
    c.skip_blanks();
    if !c.at_end() && c.peek() != Some(b'#') {
        lx.timestamp_ms = Some(c.token().parse().map_err(|_| "invalid timestamp")?);
        c.skip_blanks();
    }
    match c.peek() {
        None => {}
        Some(b'#') => lx.quirks |= Q_EXEMPLAR,
        Some(_) => return Err("unexpected text after the timestamp"),
    }
    lx.labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(lx)
}

/// Reads `name="value", …}` after the opening brace (a trailing comma is accepted).
pub(super) fn lex_label_set(c: &mut Cursor, lx: &mut Lexed) -> Result<(), &'static str> {
    loop {
        c.skip_blanks();
        if c.eat(b'}') {
            return Ok(());
        }
        if c.at_end() {
            return Err("unterminated label set");
        }
        lex_label_pair(c, lx)?;
        c.skip_blanks();
        if !c.eat(b',') && c.peek() != Some(b'}') {
            return Err("expected `,` or `}` after a label");
        }
    }
}

/// Reads labels written after the label set (`}le="25"`, as one real gateway emits its
/// histogram buckets) or instead of it (`name le="25" 6`).
pub(super) fn lex_loose_labels(c: &mut Cursor, lx: &mut Lexed) -> Result<(), &'static str> {
    let start = c.i;
    c.skip_blanks();
    if !c.at_label_pair() {
        c.i = start;
        return Ok(());
    }
    lx.quirks |= Q_LABEL_OUTSIDE;
    loop {
        lex_label_pair(c, lx)?;
        c.eat(b',');
        if !c.at_label_pair() {
            return Ok(());
        }
    }
}

pub(super) fn lex_label_pair(c: &mut Cursor, lx: &mut Lexed) -> Result<(), &'static str> {
    let name = c.name(false).ok_or("invalid label name")?;
    c.skip_blanks();
    if !c.eat(b'=') {
        return Err("expected `=` after a label name");
    }
    c.skip_blanks();
    if !c.eat(b'"') {
        return Err("label value is not quoted");
    }
    let value = c.quoted(&mut lx.quirks)?;
    if lx.labels.iter().any(|(k, _)| k == name) {
        return Err("duplicate label name");
    }
    lx.labels.push((name.to_string(), value));
    Ok(())
}

pub(super) struct Cursor<'t> {
    pub(super) s: &'t str,
    pub(super) i: usize,
}

impl<'t> Cursor<'t> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    pub(super) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    /// Skips spaces and tabs; whether there were any.
    pub(super) fn skip_blanks(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }

    pub(super) fn name(&mut self, colon: bool) -> Option<&'t str> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if !is_name_byte(b, self.i == start, colon) {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }

    /// Whether a `name=` label pair starts here.
    pub(super) fn at_label_pair(&self) -> bool {
        let mut probe = Cursor { s: self.s, i: self.i };
        probe.name(false).is_some() && {
            probe.skip_blanks();
            probe.peek() == Some(b'=')
        }
    }

    /// Everything up to the next blank or the end.
    pub(super) fn token(&mut self) -> &'t str {
        let start = self.i;
        while !matches!(self.peek(), None | Some(b' ' | b'\t')) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// Reads a label value after its opening quote, through the closing quote, unescaping
    /// `\\`, `\"` and `\n`. Unknown escapes are kept literally and flagged.
    pub(super) fn quoted(&mut self, quirks: &mut u8) -> Result<String, &'static str> {
        let bytes = self.s.as_bytes();
        let mut out = String::new();
        let mut start = self.i;
        while let Some(&b) = bytes.get(self.i) {
            match b {
                b'"' => {
                    out.push_str(&self.s[start..self.i]);
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.s[start..self.i]);
                    let unescaped = match bytes.get(self.i + 1) {
                        Some(b'\\') => Some('\\'),
                        Some(b'"') => Some('"'),
                        Some(b'n') => Some('\n'),
                        _ => None,
                    };
                    match unescaped {
                        Some(ch) => {
                            out.push(ch);
                            self.i += 2;
                        }
                        None => {
                            *quirks |= Q_BAD_ESCAPE;
                            out.push('\\');
                            self.i += 1;
                        }
                    }
                    start = self.i;
                }
                _ => self.i += 1,
            }
        }
        Err("unterminated label value")
    }
}

/// HELP text escapes: `\\` and `\n`; anything else is kept as written.
pub(super) fn unescape_help(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether HELP text uses only the escapes 0.0.4 allows.
pub(super) fn help_escapes_ok(text: &str) -> bool {
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'\\' && !matches!(bytes.next(), Some(b'\\' | b'n')) {
            return false;
        }
    }
    true
}
