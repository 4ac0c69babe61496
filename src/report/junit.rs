//! `junit.xml`: one test case per KPI, so CI systems show the proof as tests.

use super::kpi::Verdict;
use super::RunReport;
use std::fmt::Write;

pub fn render(r: &RunReport) -> String {
    // Beyond the KPIs, one case for the run itself: nothing sent, every request failed or
    // nothing measured fails it, so CI never sees an all-green suite for a run that proved nothing.
    let run_reasons = &r.verdict.run;
    let failures = r.kpis.iter().filter(|k| k.verdict == Verdict::Fail).count() + usize::from(!run_reasons.is_empty());
    let skipped = r.kpis.iter().filter(|k| k.verdict == Verdict::NotMeasured).count();
    let tests = r.kpis.len() + 1;
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let suite = xml(&format!("proofdeck.{}", r.scenario.name));
    let _ = writeln!(
        o,
        "<testsuites name=\"proofdeck\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        r.duration_s
    );
    let _ = writeln!(o, "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" time=\"{:.3}\" timestamp=\"{}\">", r.duration_s, xml(&r.started_at));
    let _ = writeln!(
        o,
        "    <testcase classname=\"{suite}.run\" name=\"the run holds evidence\" time=\"{:.3}\">",
        r.duration_s
    );
    if !run_reasons.is_empty() {
        let reasons: Vec<&str> = run_reasons.iter().map(|s| s.as_str()).collect();
        let _ = writeln!(
            o,
            "      <failure message=\"{}\" type=\"run\">{}</failure>",
            xml(reasons[0]),
            xml(&reasons.join("\n"))
        );
    }
    let _ = writeln!(
        o,
        "      <system-out>{} requests, {} errors, {} arrivals dropped</system-out>",
        r.totals.requests, r.totals.errors, r.totals.dropped
    );
    let _ = writeln!(o, "    </testcase>");
    for k in &r.kpis {
        let value = k.value.map_or("not measured".to_string(), |v| format!("{v:.3} {}", k.unit));
        let _ = writeln!(o, "    <testcase classname=\"{suite}.kpi\" name=\"{}\" time=\"0\">", xml(&k.name));
        match k.verdict {
            Verdict::Pass => {}
            Verdict::Fail => {
                let _ = writeln!(
                    o,
                    "      <failure message=\"{} is {}, target {}\" type=\"kpi\">{}</failure>",
                    xml(&k.name),
                    xml(&value),
                    xml(&k.target),
                    xml(&k.evidence)
                );
            }
            Verdict::NotMeasured => {
                let _ = writeln!(o, "      <skipped message=\"not measured: {}\"/>", xml(&k.evidence));
            }
        }
        let _ = writeln!(
            o,
            "      <system-out>{} = {} (target {}, {}): {}</system-out>",
            xml(&k.id),
            xml(&value),
            xml(&k.target),
            k.source.label(),
            xml(&k.evidence)
        );
        let _ = writeln!(o, "    </testcase>");
    }
    let _ = writeln!(o, "  </testsuite>");
    let _ = writeln!(o, "</testsuites>");
    o
}

/// Text escaped for XML; a failure's details keep their line breaks.
pub fn xml(s: &str) -> String {
    crate::util::xml_escape(s, true)
}
