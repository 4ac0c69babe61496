//! `junit.xml`: one test case per KPI, so CI systems show the proof as tests.

use super::kpi::Verdict;
use super::RunReport;
use std::fmt::Write;

pub fn render(r: &RunReport) -> String {
    let failures = r.kpis.iter().filter(|k| k.verdict == Verdict::Fail).count();
    let skipped = r.kpis.iter().filter(|k| k.verdict == Verdict::NotMeasured).count();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let suite = xml(&format!("proofdeck.{}", r.scenario.name));
    let _ = writeln!(
        o,
        "<testsuites name=\"proofdeck\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        r.kpis.len(),
        r.duration_s
    );
    let _ = writeln!(o, "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" time=\"{:.3}\" timestamp=\"{}\">", r.kpis.len(), r.duration_s, xml(&r.started_at));
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

pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
