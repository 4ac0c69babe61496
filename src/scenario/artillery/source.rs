use super::*;

pub(super) fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A simple JSONPath (`$.a.b`, `$.items[0].id`, `$['a b']`) as a JSON pointer (`/a/b`);
/// `None` for wildcards, filters, slices and recursive descent.
pub(super) fn json_pointer(path: &str) -> Option<String> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut pointer = String::new();
    while !rest.is_empty() {
        let segment = if rest.starts_with("..") {
            return None;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            rest = &r[end..];
            &r[..end]
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            rest = &r[end + 1..];
            if let Some(quoted) = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
            {
                quoted
            } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                inner
            } else {
                return None;
            }
        } else {
            return None;
        };
        if segment.is_empty() || segment == "*" {
            return None;
        }
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    Some(pointer)
}

/// Whether this source line declares `key:` (possibly quoted, possibly after `- `).
pub(super) fn declares_key(line: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = line[from..].find(key) {
        let start = from + i;
        let end = start + key.len();
        let before_ok =
            line[..start].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        let after = line[end..].trim_start_matches(['"', '\'']).trim_start();
        if before_ok && after.starts_with(':') {
            return true;
        }
        from = end;
    }
    false
}

pub(super) fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// Locations and YAML errors.

/// The byte range of a serde-saphyr location in `source`: its byte span when it has one,
/// otherwise the byte offset of its (1-based, character-counted) line and column.
pub(super) fn range_of(source: &str, loc: &Location) -> Option<Range<usize>> {
    let line = usize::try_from(loc.line()).ok()?;
    if line == 0 {
        return None;
    }
    let span = loc.span();
    if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let start = usize::try_from(offset).ok()?;
        let end = start.saturating_add(usize::try_from(len).ok()?);
        if end <= source.len()
            && source.is_char_boundary(start)
            && source.is_char_boundary(end)
            && source[..start].matches('\n').count() + 1 == line
        {
            return Some(start..end);
        }
    }
    let column = usize::try_from(loc.column()).unwrap_or(1);
    let start = byte_offset(source, line, column);
    Some(start..start)
}

/// The byte offset of a 1-based line and character column.
pub(super) fn byte_offset(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, text) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let content = text.trim_end_matches(['\n', '\r']);
            let col = column.saturating_sub(1);
            return offset + content.char_indices().nth(col).map_or(content.len(), |(b, _)| b);
        }
        offset += text.len();
    }
    source.len()
}

/// The key declared on the line holding byte `at`, for messages (`arrivalRate: …`).
pub(super) fn key_on_line(source: &str, at: usize) -> Option<String> {
    let at = at.min(source.len());
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = source[start..].lines().next()?;
    let mut text = line.trim_start();
    while let Some(r) = text.strip_prefix("- ") {
        text = r.trim_start();
    }
    let (key, _) = text.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    is_plain_name(key).then(|| key.to_string())
}

/// serde-saphyr's error as a located `ScenarioError`.
pub(super) fn yaml_error(file: &Path, source: &str, err: &serde_saphyr::Error) -> ScenarioError {
    use serde_saphyr::Error as E;
    use serde_saphyr::MessageFormatter as _;
    let span = err.location().and_then(|loc| range_of(source, &loc));
    let key = span.as_ref().and_then(|s| key_on_line(source, s.start));
    let at = |message: String| ScenarioError::at(file, source, span.clone(), message);
    let with_key = |message: String| match &key {
        Some(k) => format!("{k}: {message}"),
        None => message,
    };
    let mut inner = err;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => at(format!("unknown key `{field}`"))
            .expected(if expected.is_empty() {
                "no keys here".to_string()
            } else {
                format!("one of {}", expected.join(", "))
            })
            .hint("Artillery keys are case-sensitive (arrivalRate, rampTo, statusCode); the importer reads Artillery's HTTP engine"),
        E::SerdeMissingField { field, .. } => at(format!("missing key `{field}`"))
            .hint("every request needs a url; the script needs config"),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => at(with_key(format!("wrong type: {unexpected}"))).expected(expected.clone()),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => at(with_key(format!("invalid value: {unexpected}"))).expected(expected.clone()),
        E::InvalidScalar { ty, .. } => {
            let text = span
                .as_ref()
                .and_then(|s| source.get(s.clone()))
                .filter(|t| !t.is_empty())
                .map_or_else(|| "the value".to_string(), one_line);
            let expected = if ty.contains("float") || ty.contains("int") || ty.starts_with(['u', 'i']) {
                "a number".to_string()
            } else {
                format!("a {ty} value")
            };
            at(with_key(format!("{text} is not a valid {ty}"))).expected(expected)
        }
        other => {
            let message = serde_saphyr::DefaultMessageFormatter.format_message(other);
            at(format!("invalid YAML: {}", one_line(&message)))
                .hint("check the indentation and the quoting around this spot")
        }
    }
}
