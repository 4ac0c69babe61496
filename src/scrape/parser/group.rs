//! Grouping samples into families: declared or inferred types, repaired histograms.

use super::*;

/// Family types known so far: declared by `# TYPE`, or inferred histograms.
pub(super) struct Kinds<'a> {
    pub(super) declared: &'a HashMap<String, MetricType>,
    pub(super) inferred: &'a HashSet<String>,
}

impl Kinds<'_> {
    pub(super) fn get(&self, name: &str) -> Option<MetricType> {
        self.declared.get(name).copied().or_else(|| self.inferred.contains(name).then_some(MetricType::Histogram))
    }

    /// Length of the family name, a prefix of the sample name.
    pub(super) fn family_len(&self, sample: &str) -> usize {
        if self.get(sample).is_some() {
            return sample.len();
        }
        SUFFIXES
            .iter()
            .find_map(|(suffix, kinds)| {
                let base = sample.strip_suffix(suffix)?;
                kinds.contains(&self.get(base)?).then_some(base.len())
            })
            .unwrap_or(sample.len())
    }

    pub(super) fn of_family(&self, family: &str) -> MetricType {
        self.get(family).unwrap_or(if family.ends_with("_total") { MetricType::Counter } else { MetricType::Untyped })
    }
}

/// A sample read from line `line`, waiting for the whole text to be seen before it can be
/// assigned to its family (TYPE lines may come late).
pub(super) struct Pending<'t> {
    pub(super) sample: Sample,
    pub(super) fam_len: usize,
    pub(super) line: usize,
    pub(super) text: &'t str,
}

impl Pending<'_> {
    pub(super) fn family(&self) -> &str {
        self.sample.name.get(..self.fam_len).unwrap_or("")
    }

    /// The part of the sample name after the family name (`_bucket`, `_count`, …).
    pub(super) fn suffix(&self) -> &str {
        self.sample.name.get(self.fam_len..).unwrap_or("")
    }
}

#[derive(Default)]
pub(super) struct Builder<'t> {
    pub(super) expo: Exposition,
    pub(super) types: HashMap<String, MetricType>,
    pub(super) helps: HashMap<String, String>,
    pub(super) pending: Vec<Pending<'t>>,
    pub(super) eof: bool,
}

impl<'t> Builder<'t> {
    pub(super) fn line(&mut self, n: usize, line: &'t str) {
        self.expo.lines += 1;
        let lexed = lex_line(line);
        if self.eof && !matches!(lexed, Ok(Line::Blank)) {
            return self.warn(n, line, "text after `# EOF` ignored");
        }
        match lexed {
            Ok(Line::Blank | Line::Comment) => self.expo.comment_lines += 1,
            Ok(Line::Eof) => {
                self.eof = true;
                self.expo.comment_lines += 1;
            }
            Ok(Line::Help { name, text }) => {
                if !self.helps.contains_key(name) {
                    self.helps.insert(name.to_string(), unescape_help(text));
                }
                self.expo.comment_lines += 1;
            }
            Ok(Line::Type { name, kind }) => self.declare(n, line, name, kind),
            Ok(Line::Sample(lx)) => self.sample(n, line, lx),
            Err(reason) => self.warn(n, line, reason),
        }
    }

    pub(super) fn warn(&mut self, n: usize, line: &str, reason: &str) {
        self.expo.warnings.push(note(n, line, reason));
    }

    pub(super) fn declare(&mut self, n: usize, line: &str, name: &str, word: &str) {
        let Some(kind) = MetricType::tolerant(word) else {
            return self.warn(n, line, "unknown metric type");
        };
        match self.types.get(name) {
            Some(&known) if known != kind => self.warn(n, line, "conflicting TYPE; the first is kept"),
            Some(_) => self.expo.comment_lines += 1,
            None => {
                self.types.insert(name.to_string(), kind);
                self.expo.comment_lines += 1;
            }
        }
    }

    pub(super) fn sample(&mut self, n: usize, line: &'t str, lx: Lexed) {
        for (bit, repair, _) in QUIRKS {
            if let (true, Some(reason)) = (lx.quirks & bit != 0, repair) {
                self.expo.repairs.push(note(n, line, reason));
            }
        }
        self.pending.push(Pending {
            sample: Sample { name: lx.name, labels: lx.labels, value: lx.value, timestamp_ms: lx.timestamp_ms },
            fam_len: 0,
            line: n,
            text: line,
        });
        self.expo.samples_parsed += 1;
    }

    pub(super) fn finish(self) -> Exposition {
        let Builder { mut expo, types, helps, mut pending, .. } = self;
        let inferred = inferred_histograms(&pending, &types);
        let kinds = Kinds { declared: &types, inferred: &inferred };
        for p in &mut pending {
            p.fam_len = kinds.family_len(&p.sample.name);
        }
        let repaired = missing_inf_buckets(&pending, &kinds, &mut expo.repairs);
        pending.extend(repaired);
        expo.families = families(pending, &kinds, &helps);
        expo
    }
}

/// Bases `x` of untyped `x_bucket` samples carrying an `le` label.
pub(super) fn inferred_histograms(pending: &[Pending], types: &HashMap<String, MetricType>) -> HashSet<String> {
    let mut bases = HashSet::new();
    for p in pending {
        let name = p.sample.name.as_str();
        let Some(base) = name.strip_suffix("_bucket") else {
            continue;
        };
        let untyped = !types.contains_key(name) && !types.contains_key(base);
        if untyped && p.sample.label("le").is_some() && !bases.contains(base) {
            bases.insert(base.to_string());
        }
    }
    bases
}

/// `+Inf` buckets for histogram series that lack one but have a `_count` (which is, by
/// definition, the `+Inf` bucket's value). Each one is recorded as a repair.
pub(super) fn missing_inf_buckets<'t>(
    pending: &[Pending<'t>],
    kinds: &Kinds,
    repairs: &mut Vec<ParseWarning>,
) -> Vec<Pending<'t>> {
    let is_histogram = |p: &Pending| kinds.get(p.family()) == Some(MetricType::Histogram);
    let mut has_inf: HashMap<SeriesKey, bool> = HashMap::new();
    for p in pending.iter().filter(|p| is_histogram(p) && p.suffix() == "_bucket") {
        let inf = p.sample.label("le").and_then(parse_le) == Some(f64::INFINITY);
        *has_inf.entry((p.family(), without_le(&p.sample.labels))).or_default() |= inf;
    }
    let mut added = Vec::new();
    for p in pending.iter().filter(|p| is_histogram(p) && p.suffix() == "_count") {
        let family = p.family();
        if has_inf.get(&(family, without_le(&p.sample.labels))) != Some(&false) {
            continue;
        }
        let mut labels = p.sample.labels.clone();
        labels.push(("le".to_string(), "+Inf".to_string()));
        labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        added.push(Pending {
            sample: Sample {
                name: format!("{family}_bucket"),
                labels,
                value: p.sample.value,
                timestamp_ms: p.sample.timestamp_ms,
            },
            fam_len: p.fam_len,
            line: p.line,
            text: p.text,
        });
        repairs.push(note(p.line, p.text, "histogram series without a +Inf bucket: added one from its _count"));
    }
    added
}

/// A histogram series: family name and labels without `le`.
pub(super) type SeriesKey<'a> = (&'a str, Vec<&'a (String, String)>);

pub(super) fn without_le(labels: &[(String, String)]) -> Vec<&(String, String)> {
    labels.iter().filter(|(k, _)| k != "le").collect()
}

/// Families in name order: every declared one (even before its first sample, which real
/// gateways emit only after the first event) and every one that has samples.
pub(super) fn families(
    pending: Vec<Pending>,
    kinds: &Kinds,
    helps: &HashMap<String, String>,
) -> BTreeMap<String, Family> {
    let new_family = |name: &str| Family {
        name: name.to_string(),
        kind: kinds.of_family(name),
        help: helps.get(name).cloned(),
        samples: Vec::new(),
    };
    let mut families: BTreeMap<String, Family> =
        kinds.declared.keys().chain(helps.keys()).map(|name| (name.clone(), new_family(name))).collect();
    for p in pending {
        if let Some(family) = families.get_mut(p.family()) {
            family.samples.push(p.sample);
            continue;
        }
        let mut family = new_family(p.family());
        family.samples.push(p.sample);
        families.insert(family.name.clone(), family);
    }
    families
}
