//! The strict 0.0.4 checker.

use super::*;

/// Every violation of the Prometheus 0.0.4 text format, one warning per violation (a line
/// can have several): unreadable lines, labels outside the braces, bad escapes, invalid
/// names or types, duplicate HELP/TYPE, TYPE after its family's samples, interleaved
/// families, duplicate series, histogram buckets out of order or not monotone, no `+Inf`
/// bucket, `_count` different from the `+Inf` bucket, CR line endings, and a missing
/// trailing newline.
pub fn strict_check(text: &str) -> Vec<ParseWarning> {
    let mut strict = Strict::default();
    let mut last = (0, "");
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        match line.strip_suffix('\r') {
            Some(stripped) => {
                strict.flag(i + 1, line, "CR before the line feed");
                strict.line(i + 1, stripped);
            }
            None => strict.line(i + 1, line),
        }
        last = (i + 1, line);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        strict.flag(last.0, last.1, "missing newline at the end of the text");
    }
    strict.finish()
}

/// One histogram series as seen so far in strict mode.
pub(super) struct HistSeries<'t> {
    pub(super) buckets: Vec<(f64, f64)>,
    pub(super) count: Option<f64>,
    pub(super) line: usize,
    pub(super) text: &'t str,
}

#[derive(Default)]
pub(super) struct Strict<'t> {
    pub(super) out: Vec<ParseWarning>,
    pub(super) types: HashMap<String, MetricType>,
    pub(super) helps: HashSet<String>,
    /// Strict mode groups by declared types only; this stays empty.
    pub(super) no_inferred: HashSet<String>,
    pub(super) sample_names: HashSet<String>,
    pub(super) current: Option<String>,
    pub(super) finished: HashSet<String>,
    /// Sample name and labels of every series seen.
    pub(super) series: HashSet<(String, SeriesLabels)>,
    /// Histogram series by family name and labels without `le`.
    pub(super) histograms: BTreeMap<(String, SeriesLabels), HistSeries<'t>>,
}

impl<'t> Strict<'t> {
    pub(super) fn flag(&mut self, n: usize, line: &str, reason: &str) {
        self.out.push(note(n, line, reason));
    }

    pub(super) fn line(&mut self, n: usize, line: &'t str) {
        match lex_line(line) {
            Ok(Line::Blank | Line::Comment | Line::Eof) => {}
            Ok(Line::Help { name, text }) => self.help(n, line, name, text),
            Ok(Line::Type { name, kind }) => self.declare(n, line, name, kind),
            Ok(Line::Sample(lx)) => self.sample(n, line, lx),
            Err(reason) => self.flag(n, line, reason),
        }
    }

    pub(super) fn help(&mut self, n: usize, line: &str, name: &str, text: &str) {
        if !self.helps.insert(name.to_string()) {
            self.flag(n, line, "duplicate HELP for this metric");
        }
        if !help_escapes_ok(text) {
            self.flag(n, line, "invalid escape in HELP text (only \\\\ and \\n are allowed)");
        }
    }

    pub(super) fn declare(&mut self, n: usize, line: &str, name: &str, word: &str) {
        let Some(kind) = MetricType::strict(word) else {
            return self.flag(n, line, "invalid metric type");
        };
        if self.types.contains_key(name) {
            return self.flag(n, line, "duplicate TYPE for this metric");
        }
        self.types.insert(name.to_string(), kind);
        let seen = |suffix: &str| self.sample_names.contains(&format!("{name}{suffix}"));
        let late = seen("") || SUFFIXES.iter().any(|(suffix, kinds)| kinds.contains(&kind) && seen(suffix));
        if late {
            self.flag(n, line, "TYPE after samples of its metric");
        }
    }

    pub(super) fn sample(&mut self, n: usize, line: &'t str, lx: Lexed) {
        for (bit, _, violation) in QUIRKS {
            if lx.quirks & bit != 0 {
                self.flag(n, line, violation);
            }
        }
        let kinds = Kinds { declared: &self.types, inferred: &self.no_inferred };
        let family = lx.name.get(..kinds.family_len(&lx.name)).unwrap_or(&lx.name);
        let histogram = kinds.get(family) == Some(MetricType::Histogram);
        let family = family.to_string();
        self.group(n, line, &family);
        if !self.series.insert((lx.name.clone(), lx.labels.clone())) {
            self.flag(n, line, "duplicate series");
        }
        if histogram {
            self.histogram_sample(n, line, &family, &lx);
        }
        self.sample_names.insert(lx.name);
    }

    /// Tracks which family is being emitted; a family that resumes after another one
    /// started is interleaved.
    pub(super) fn group(&mut self, n: usize, line: &str, family: &str) {
        if self.current.as_deref() == Some(family) {
            return;
        }
        if self.finished.contains(family) {
            self.flag(n, line, "interleaved metric family: its samples are not one group");
        }
        if let Some(previous) = self.current.replace(family.to_string()) {
            self.finished.insert(previous);
        }
    }

    pub(super) fn histogram_sample(&mut self, n: usize, line: &'t str, family: &str, lx: &Lexed) {
        let suffix = lx.name.get(family.len()..).unwrap_or("");
        if suffix != "_bucket" && suffix != "_count" {
            return;
        }
        let le = lx.labels.iter().find(|(k, _)| k == "le").map(|(_, v)| v.as_str());
        let key = (family.to_string(), lx.labels.iter().filter(|(k, _)| k != "le").cloned().collect());
        let series =
            self.histograms.entry(key).or_insert(HistSeries { buckets: Vec::new(), count: None, line: n, text: line });
        series.line = n;
        series.text = line;
        let problem = match (suffix, le) {
            ("_count", _) => {
                series.count = Some(lx.value);
                None
            }
            (_, None) => Some("histogram bucket without an `le` label"),
            (_, Some(le)) => match parse_le(le) {
                None => Some("histogram bucket with an invalid `le`"),
                Some(le) => {
                    let in_order = series.buckets.last().is_none_or(|b| b.0 < le);
                    series.buckets.push((le, lx.value));
                    (!in_order).then_some("histogram buckets not in increasing `le` order")
                }
            },
        };
        if let Some(reason) = problem {
            self.flag(n, line, reason);
        }
    }

    /// Whole-series histogram checks, reported at the series' last bucket or `_count` line.
    pub(super) fn finish(mut self) -> Vec<ParseWarning> {
        for series in self.histograms.values_mut() {
            for reason in histogram_problems(&mut series.buckets, series.count) {
                self.out.push(note(series.line, series.text, reason));
            }
        }
        self.out.sort_by_key(|w| w.line);
        self.out
    }
}

/// Cumulative counts must not decrease with `le`, a `+Inf` bucket must exist and equal
/// `_count`.
pub(super) fn histogram_problems(buckets: &mut [(f64, f64)], count: Option<f64>) -> Vec<&'static str> {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut problems = Vec::new();
    if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
        problems.push("histogram bucket counts decrease as `le` grows");
    }
    let inf = buckets.last().filter(|b| b.0 == f64::INFINITY).map(|b| b.1);
    match (inf, count) {
        (None, _) => problems.push("histogram series without a +Inf bucket"),
        (Some(inf), Some(count)) if inf != count => problems.push("histogram _count differs from its +Inf bucket"),
        _ => {}
    }
    problems
}
