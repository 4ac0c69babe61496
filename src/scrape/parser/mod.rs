//! Tolerant Prometheus text-format parser, and a strict 0.0.4 checker.
//!
//! Real gateways emit text that strict parsers reject: `_total_total` counters, HELP/TYPE
//! repeated before every series, interleaved families, `name_bucket{…}le="25" 6` with `le`
//! outside the braces, histograms without a `+Inf` bucket, no trailing newline. [`parse`]
//! repairs what it can, records each repair, and turns every line it cannot read into a
//! warning, so `samples_parsed + warnings.len() + comment_lines == lines` always holds: a
//! scrape never loses data silently. [`strict_check`] reports every deviation from the 0.0.4
//! format, to prove that an exposition (e.g. the bundled gateway's) is well-formed.

mod group;
mod lex;
mod strict;

use group::*;
use lex::*;
pub use strict::strict_check;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::scrape::derive::add_buckets;

/// Metric type from a `# TYPE` line, or inferred (see [`parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl MetricType {
    /// The five type words of the 0.0.4 format.
    fn strict(word: &str) -> Option<Self> {
        match word {
            "counter" => Some(Self::Counter),
            "gauge" => Some(Self::Gauge),
            "histogram" => Some(Self::Histogram),
            "summary" => Some(Self::Summary),
            "untyped" => Some(Self::Untyped),
            _ => None,
        }
    }

    /// Also accepts the OpenMetrics-only types; their samples are read as untyped values.
    fn tolerant(word: &str) -> Option<Self> {
        Self::strict(word).or(match word {
            "unknown" | "info" | "stateset" | "gaugehistogram" => Some(Self::Untyped),
            _ => None,
        })
    }
}

/// One sample line: `name{labels} value [timestamp]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    /// Sorted by key; keys are unique.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

impl Sample {
    /// Value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|i| self.labels[i].1.as_str())
    }

    /// Whether every `(key, value)` of `filter` matches; as in PromQL, a missing label
    /// matches the empty value.
    pub fn matches(&self, filter: &[(&str, &str)]) -> bool {
        filter.iter().all(|(k, v)| self.label(k).unwrap_or("") == *v)
    }
}

/// A metric family: the samples of one metric, e.g. a histogram's `_bucket`, `_sum` and
/// `_count` series.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub name: String,
    pub kind: MetricType,
    pub help: Option<String>,
    pub samples: Vec<Sample>,
}

/// A series' label set without `le`: what identifies one histogram series.
pub type SeriesLabels = Vec<(String, String)>;

/// Cumulative `(le, count)` buckets sorted by `le`.
pub type Buckets = Vec<(f64, f64)>;

/// A line the parser could not read, repaired, or (in strict mode) found non-conforming.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseWarning {
    /// 1-based line number.
    pub line: usize,
    /// The line, truncated to 120 characters.
    pub text: String,
    pub reason: String,
}

/// The result of [`parse`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposition {
    pub families: BTreeMap<String, Family>,
    /// One per line that could not be read; such lines contribute no sample.
    pub warnings: Vec<ParseWarning>,
    pub lines: usize,
    /// Lines that produced a sample.
    pub samples_parsed: usize,
    /// Comment, HELP, TYPE, `# EOF` and blank lines.
    pub comment_lines: usize,
    /// Lines whose sample was read after a repair (e.g. `le` outside the braces), and
    /// histogram series given the `+Inf` bucket they lacked (at the `_count` line).
    pub repairs: Vec<ParseWarning>,
}

/// Sample-name suffixes and the family types they belong to.
const SUFFIXES: [(&str, &[MetricType]); 5] = [
    ("_bucket", &[MetricType::Histogram]),
    ("_count", &[MetricType::Histogram, MetricType::Summary]),
    ("_sum", &[MetricType::Histogram, MetricType::Summary]),
    ("_created", &[MetricType::Counter, MetricType::Histogram, MetricType::Summary]),
    ("_total", &[MetricType::Counter]),
];

/// Parses Prometheus text (0.0.4, plus the OpenMetrics `# EOF`, type words and exemplars),
/// tolerating what real gateways emit. Never panics.
///
/// Samples are grouped into families using `# TYPE` wherever it appears (`x_bucket` belongs
/// to `x` when `x` is a histogram, `x_total` to `x` when `x` is a counter). Without a TYPE, a
/// `x_bucket` sample with an `le` label makes `x` an inferred histogram (its `_sum`, `_count`
/// and `_created` join it), and an undeclared `…_total` family is taken to be a counter.
/// Repeated HELP/TYPE lines are accepted; for conflicting ones the first wins and the later
/// line becomes a warning. Text after `# EOF` is reported, not read.
pub fn parse(text: &str) -> Exposition {
    let mut builder = Builder::default();
    for (i, line) in text.lines().enumerate() {
        builder.line(i + 1, line);
    }
    builder.finish()
}

impl Exposition {
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.get(name)
    }

    /// Samples named exactly `sample_name`, whichever family they were grouped into. The
    /// samples outlive the name, which the iterator only borrows while it runs.
    pub fn samples<'a, 'n>(&'a self, sample_name: &'n str) -> impl Iterator<Item = &'a Sample> + use<'a, 'n> {
        // A sample lives in the family of its own name or of its name minus a suffix.
        let bases = SUFFIXES.iter().filter_map(move |(suffix, _)| sample_name.strip_suffix(suffix));
        std::iter::once(sample_name)
            .chain(bases)
            .filter_map(move |family| self.families.get(family))
            .flat_map(|family| family.samples.iter())
            .filter(move |s| s.name == sample_name)
    }

    /// Sum of the samples named `name` whose labels match `filter`; `None` when none do.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> Option<f64> {
        let mut matching = self.samples(name).filter(|s| s.matches(filter));
        let first = matching.next()?.value;
        Some(matching.fold(first, |acc, s| acc + s.value))
    }

    /// Cumulative `(le, count)` buckets of each series of histogram `base` (samples
    /// `base_bucket`) matching `filter`, keyed by the series' labels minus `le`, sorted by
    /// `le`, one value per bound (first wins). A series without `+Inf` (and no `_count` for
    /// the parser to repair it from) gets `+Inf` = its largest count, a lower bound.
    pub fn histogram_series(&self, base: &str, filter: &[(&str, &str)]) -> BTreeMap<SeriesLabels, Buckets> {
        let bucket = format!("{base}_bucket");
        let mut series: BTreeMap<SeriesLabels, Buckets> = BTreeMap::new();
        for s in self.samples(&bucket).filter(|s| s.matches(filter)) {
            let Some(le) = s.label("le").and_then(parse_le) else {
                continue;
            };
            let key = s.labels.iter().filter(|(k, _)| k != "le").cloned().collect();
            series.entry(key).or_default().push((le, s.value));
        }
        for buckets in series.values_mut() {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            buckets.dedup_by(|next, kept| next.0 == kept.0);
            if buckets.last().is_some_and(|b| b.0 != f64::INFINITY) {
                let largest = buckets.iter().fold(0.0, |m: f64, b| m.max(b.1));
                buckets.push((f64::INFINITY, largest));
            }
        }
        series
    }

    /// Buckets of histogram `base` summed over the series matching `filter`, grouped by the
    /// value of label `by` (a series without it goes to `""`); with `by: None` everything is
    /// summed into one group keyed `""`. `+Inf` is always present.
    pub fn histogram(&self, base: &str, filter: &[(&str, &str)], by: Option<&str>) -> BTreeMap<String, Buckets> {
        let mut groups: BTreeMap<String, Buckets> = BTreeMap::new();
        for (labels, buckets) in self.histogram_series(base, filter) {
            let key =
                by.and_then(|by| labels.iter().find(|(k, _)| k == by)).map_or_else(String::new, |(_, v)| v.clone());
            add_buckets(groups.entry(key).or_default(), &buckets);
        }
        groups
    }
}

fn parse_le(le: &str) -> Option<f64> {
    le.trim().parse::<f64>().ok().filter(|v| !v.is_nan())
}

fn note(line: usize, text: &str, reason: &str) -> ParseWarning {
    let text = match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    };
    ParseWarning { line, text, reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scrape::fixtures::{BIG, CHAOS, DURING, LIVE};

    const INF: f64 = f64::INFINITY;
    const DURATION: &str = "gateway_request_duration_ms_ms";

    /// A well-formed 0.0.4 exposition, as the bundled gateway should emit it.
    const WELL_FORMED: &str = "\
# HELP gateway_requests_total Requests by tool, action and status code.
# TYPE gateway_requests_total counter
gateway_requests_total{action=\"search\",code=\"200\",tool=\"serpapi\"} 120
gateway_requests_total{action=\"search\",code=\"502\",tool=\"serpapi\"} 3
# HELP gateway_request_duration_seconds Request latency.
# TYPE gateway_request_duration_seconds histogram
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.025\"} 50
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"0.1\"} 110
gateway_request_duration_seconds_bucket{tool=\"serpapi\",le=\"+Inf\"} 123
gateway_request_duration_seconds_sum{tool=\"serpapi\"} 6.2
gateway_request_duration_seconds_count{tool=\"serpapi\"} 123
# HELP gateway_circuit_breaker_state Breaker state (0 closed, 1 half-open, 2 open).
# TYPE gateway_circuit_breaker_state gauge
gateway_circuit_breaker_state{tool=\"serpapi\"} 0
# HELP odd_labels Label values with escapes: \\\\ and \\n.
# TYPE odd_labels untyped
odd_labels{path=\"/a,b=c\",quote=\"say \\\"hi\\\"\"} 1 1700000000000

";

    fn accounted(e: &Exposition) -> bool {
        e.samples_parsed + e.warnings.len() + e.comment_lines == e.lines
    }

    fn reasons<'a>(w: &'a [ParseWarning], part: &str) -> Vec<&'a ParseWarning> {
        w.iter().filter(|w| w.reason.contains(part)).collect()
    }

    #[test]
    fn live_sample_families_and_accounting() {
        let e = parse(LIVE);
        assert_eq!(e.lines, 376);
        assert_eq!(e.samples_parsed, 171);
        assert_eq!(e.comment_lines, 205);
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
        assert!(accounted(&e));

        let requests = e.family("gateway_requests_total_total").unwrap();
        assert_eq!(requests.kind, MetricType::Counter);
        assert_eq!(requests.samples.len(), 9);
        assert_eq!(requests.help.as_deref(), Some("Total number of requests_total"));
        let openai = [("tool", "openai")];
        assert_eq!(e.sum("gateway_requests_total_total", &openai), Some(19.0));
        let failed = [("tool", "gmail_send"), ("code", "502")];
        assert_eq!(e.sum("gateway_requests_total_total", &failed), Some(1.0));
        assert_eq!(e.sum("gateway_requests_total_total", &[("tool", "nope")]), None);
        assert_eq!(e.sum("gateway_token_validations_total_total", &[]), Some(59.0));
        assert_eq!(e.samples("gateway_agent_creations_total_total").count(), 22);

        let start = e.family("gateway_process_start_time_seconds").unwrap();
        assert_eq!(start.kind, MetricType::Gauge);
        assert_eq!(start.samples[0].value, 1795832410.009);

        // The last line has no trailing newline and is still read.
        let breaker = e.family("gateway_breaker_state").unwrap();
        assert_eq!(breaker.samples.len(), 4);
        assert_eq!(breaker.samples[3].label("tool"), Some("gmail_send"));
        assert_eq!(breaker.samples[3].value, 0.0);
    }

    #[test]
    fn live_sample_histogram_le_outside_braces_and_missing_inf() {
        let e = parse(LIVE);
        let family = e.family(DURATION).unwrap();
        assert_eq!(family.kind, MetricType::Histogram);
        // 63 bucket lines + 7 repaired +Inf buckets + 7 _sum + 7 _count.
        assert_eq!(family.samples.len(), 84);
        assert_eq!(reasons(&e.repairs, "after `}`").len(), 63);
        let inf_repairs = reasons(&e.repairs, "+Inf");
        assert_eq!(inf_repairs.len(), 7);
        assert_eq!(inf_repairs[0].line, 285);
        assert!(inf_repairs[0].text.starts_with("gateway_request_duration_ms_ms_count{"));

        let bucket = e.samples("gateway_request_duration_ms_ms_bucket").next().unwrap();
        assert_eq!(
            bucket.labels,
            vec![
                ("action".to_string(), "search".to_string()),
                ("le".to_string(), "25".to_string()),
                ("tool".to_string(), "serpapi".to_string()),
            ]
        );

        let by_tool = e.histogram(DURATION, &[], Some("tool"));
        assert_eq!(by_tool.keys().collect::<Vec<_>>(), ["gmail_send", "http_fetch", "openai", "serpapi"]);
        let http = &by_tool["http_fetch"];
        assert_eq!(http.len(), 10);
        assert_eq!(http[0], (25.0, 21.0));
        assert_eq!(http[8], (6400.0, 21.0));
        assert_eq!(http[9], (INF, 21.0));
        assert_eq!(by_tool["gmail_send"][9], (INF, 9.0));

        let head = e.histogram(DURATION, &[("action", "head")], None);
        assert_eq!(head[""][9], (INF, 16.0));
        let series = e.histogram_series(DURATION, &[("tool", "openai")]);
        assert_eq!(series.len(), 2);
        let all = e.histogram(DURATION, &[], None);
        assert_eq!(all[""].last(), Some(&(INF, 46.0)));
    }

    #[test]
    fn other_fixtures() {
        let chaos = parse(CHAOS);
        assert!(accounted(&chaos) && chaos.warnings.is_empty());
        assert_eq!(chaos.lines, 35);
        assert_eq!(chaos.sum("gateway_policy_denials_total_total", &[]), Some(5699.0));
        let serp = [("tool", "serpapi")];
        assert_eq!(chaos.sum("gateway_policy_denials_total_total", &serp), Some(2771.0));
        let ok = [("success", "true")];
        assert_eq!(chaos.sum("gateway_token_validations_total_total", &ok), Some(5699.0));

        let big = parse(BIG);
        assert!(accounted(&big) && big.warnings.is_empty());
        assert_eq!(big.samples_parsed, 28);
        assert_eq!(big.sum("gateway_token_expirations_total_total", &[]), Some(128011.0));
        let gmail = [("tool", "gmail_send")];
        assert_eq!(big.sum("gateway_policy_denials_total_total", &gmail), Some(5859.0));
        assert_eq!(big.family("gateway_token_generations_total_total").unwrap().samples.len(), 7);

        let during = parse(DURING);
        assert!(accounted(&during) && during.warnings.is_empty());
        assert_eq!(during.sum("gateway_agent_creations_total_total", &[]), Some(3.0));
        assert_eq!(during.families.len(), 2);
    }

    #[test]
    fn strict_flags_fixture_violations() {
        let v = strict_check(LIVE);
        assert_eq!(reasons(&v, "outside the braces").len(), 63);
        assert_eq!(reasons(&v, "without a +Inf").len(), 7);
        assert!(!reasons(&v, "duplicate HELP").is_empty());
        assert!(!reasons(&v, "duplicate TYPE").is_empty());
        assert!(!reasons(&v, "interleaved").is_empty());
        let newline = reasons(&v, "missing newline");
        assert_eq!(newline.len(), 1);
        assert_eq!(newline[0].line, 376);

        for fixture in [CHAOS, BIG, DURING] {
            let v = strict_check(fixture);
            assert!(!reasons(&v, "duplicate TYPE").is_empty());
            assert!(reasons(&v, "missing newline").is_empty());
        }
        assert!(!reasons(&strict_check(CHAOS), "interleaved").is_empty());
    }

    #[test]
    fn strict_accepts_well_formed_text_and_tolerant_reads_it() {
        assert_eq!(strict_check(WELL_FORMED), vec![]);
        let e = parse(WELL_FORMED);
        assert!(e.warnings.is_empty() && e.repairs.is_empty() && accounted(&e));
        let h = e.histogram("gateway_request_duration_seconds", &[], Some("tool"));
        assert_eq!(h["serpapi"], vec![(0.025, 50.0), (0.1, 110.0), (INF, 123.0)]);
        let odd = e.samples("odd_labels").next().unwrap();
        assert_eq!(odd.label("path"), Some("/a,b=c"));
        assert_eq!(odd.label("quote"), Some("say \"hi\""));
        assert_eq!(odd.timestamp_ms, Some(1_700_000_000_000));
        assert_eq!(e.family("odd_labels").unwrap().help.as_deref(), Some("Label values with escapes: \\ and \n."));
    }

    #[test]
    fn strict_reports_each_kind_of_violation() {
        let text = "\
# TYPE h histogram
h_bucket{le=\"1\"} 5
h_bucket{le=\"2\"} 3
h_bucket{le=\"1.5\"} 4
h_bucket{le=\"+Inf\"} 5
h_count 6
# TYPE c counter
c{a=\"x\"} 1
c{a=\"x\"} 2
g{a=\"\\q\"} 1
# TYPE g gauge
h_sum 1
# TYPE bad sometype
# HELP e bad \\t escape
9bad 1
";
        let v = strict_check(text);
        for (line, part) in [
            (4, "increasing `le`"),
            (6, "counts decrease"),
            (6, "_count differs"),
            (9, "duplicate series"),
            (10, "invalid escape in a label"),
            (11, "TYPE after samples"),
            (12, "interleaved"),
            (13, "invalid metric type"),
            (14, "invalid escape in HELP"),
            (15, "metric name"),
        ] {
            assert!(v.iter().any(|w| w.line == line && w.reason.contains(part)), "line {line}: {part} not in {v:#?}");
        }
        assert_eq!(strict_check("a 1\r\n")[0].reason, "CR before the line feed");
    }

    #[test]
    fn escapes_commas_equals_and_colons() {
        let text = r#"job:http_requests:rate5m{path="/x,y=z",q="a \"b\" c",bs="C:\\dir",nl="1\n2",odd="\t"} 3.5"#;
        let e = parse(text);
        assert!(e.warnings.is_empty() && accounted(&e));
        let s = e.samples("job:http_requests:rate5m").next().unwrap();
        assert_eq!(s.label("path"), Some("/x,y=z"));
        assert_eq!(s.label("q"), Some("a \"b\" c"));
        assert_eq!(s.label("bs"), Some("C:\\dir"));
        assert_eq!(s.label("nl"), Some("1\n2"));
        assert_eq!(s.label("odd"), Some("\\t"));
        assert_eq!(s.value, 3.5);
        assert_eq!(e.repairs.len(), 1, "unknown escape is recorded");
        let keys: Vec<&str> = s.labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["bs", "nl", "odd", "path", "q"]);
    }

    #[test]
    fn special_values_timestamps_and_eof() {
        let text = "a NaN\nb +Inf 1000\nc -Inf\nd{x=\"1\",} 2 -5\n# EOF\ne 1\n\n";
        let e = parse(text);
        assert!(e.sum("a", &[]).unwrap().is_nan());
        assert_eq!(e.sum("b", &[]), Some(INF));
        assert_eq!(e.samples("b").next().unwrap().timestamp_ms, Some(1000));
        assert_eq!(e.sum("c", &[]), Some(f64::NEG_INFINITY));
        assert_eq!(e.samples("d").next().unwrap().timestamp_ms, Some(-5));
        assert_eq!(e.warnings.len(), 1);
        assert_eq!(e.warnings[0].line, 6);
        assert!(e.warnings[0].reason.contains("EOF"));
        assert_eq!(e.lines, 7);
        assert!(accounted(&e));
    }

    #[test]
    fn openmetrics_counter_and_exemplar() {
        let text = "# TYPE foo counter\nfoo_total 5 # {trace_id=\"abc\"} 1\nfoo_created 1.7e9\n";
        let e = parse(text);
        let foo = e.family("foo").unwrap();
        assert_eq!(foo.kind, MetricType::Counter);
        assert_eq!(foo.samples.len(), 2);
        assert_eq!(e.sum("foo_total", &[]), Some(5.0));
        assert!(e.repairs.is_empty());
    }

    #[test]
    fn untyped_histogram_is_inferred_and_repaired() {
        let text = "x_sum 10\nx_bucket le=\"1\" 2\nx_bucket{le=\"5\"} 3\nx_count 4\nother_total 7";
        let e = parse(text);
        let x = e.family("x").unwrap();
        assert_eq!(x.kind, MetricType::Histogram);
        assert_eq!(x.samples.len(), 5);
        assert_eq!(e.histogram("x", &[], None)[""], vec![(1.0, 2.0), (5.0, 3.0), (INF, 4.0)]);
        assert_eq!(e.family("other_total").unwrap().kind, MetricType::Counter);
        assert_eq!(e.repairs.len(), 2);

        // No _count to repair from: the largest bucket stands in for +Inf.
        let e = parse("y_bucket{le=\"1\"} 2\ny_bucket{le=\"5\"} 3\n");
        assert_eq!(e.histogram("y", &[], None)[""].last(), Some(&(INF, 3.0)));
    }

    #[test]
    fn type_declared_after_samples_still_groups() {
        let e = parse("z_bucket{le=\"+Inf\"} 1\nz_count 1\n# TYPE z histogram\n");
        assert_eq!(e.family("z").unwrap().samples.len(), 2);
        assert!(e.family("z_bucket").is_none());
    }

    #[test]
    fn unreadable_lines_are_warnings_with_line_numbers() {
        let text = "ok 1\nno_value\nbad{a=\"x} 1\nbad{a=x} 1\nv abc\nw 1 2 3\nx{a=\"1\",a=\"2\"} 1\n\
                    # TYPE t bogus\n# TYPE t counter\n# TYPE t gauge\ny-z 1\n{a=\"b\"} 1\nt 1 1.5\n";
        let e = parse(text);
        let lines: Vec<usize> = e.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]);
        assert_eq!(e.samples_parsed, 1);
        assert!(accounted(&e));
        assert_eq!(e.family("t").unwrap().kind, MetricType::Counter);
        let long = parse(&format!("{} x", "a".repeat(300)));
        assert_eq!(long.warnings[0].text.chars().count(), 121);
    }

    /// xorshift64*: deterministic pseudo-random numbers without a crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn check_no_panic_and_accounting(text: &str) {
        let e = parse(text);
        assert!(accounted(&e), "accounting broken for {text:?}");
        assert_eq!(e.lines, text.lines().count());
        let _ = strict_check(text);
    }

    #[test]
    fn random_bytes_never_panic_and_lines_are_accounted() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"ab_:{}=\",\\\n\t #le+Inf0123456789.eNaTYPEHELP\r\xc3\xa9";
        for _ in 0..3000 {
            let len = rng.below(80);
            let bytes: Vec<u8> = (0..len)
                .map(|_| match rng.below(4) {
                    0 => rng.next() as u8,
                    _ => alphabet[rng.below(alphabet.len())],
                })
                .collect();
            check_no_panic_and_accounting(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn mutated_fixture_lines_never_panic_and_are_accounted() {
        let mut rng = Rng(42);
        let lines: Vec<&str> = LIVE.lines().chain(WELL_FORMED.lines()).collect();
        let inserts = ["\"", "\\", "{", "}", "=", ",", " ", "#", "é", "le=\"1\"", "\n"];
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..1 + rng.below(6) {
                let mut line = lines[rng.below(lines.len())].to_string();
                for _ in 0..rng.below(4) {
                    let at = rng.below(line.len() + 1);
                    let at = (0..=at).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
                    match rng.below(3) {
                        0 => line.insert_str(at, inserts[rng.below(inserts.len())]),
                        1 => line.truncate(at),
                        _ => {
                            let end = (at + 1 + rng.below(8)).min(line.len());
                            if line.is_char_boundary(end) {
                                line.replace_range(at..end, "");
                            }
                        }
                    }
                }
                text.push_str(&line);
                text.push('\n');
            }
            check_no_panic_and_accounting(&text);
        }
    }
}
