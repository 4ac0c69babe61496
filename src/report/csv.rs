//! `timeseries.csv`: one row per second — scheduled and achieved rate, latency percentiles,
//! errors by class, completions per tool.

use super::RunReport;
use crate::metrics::ErrorClass;
use std::fmt::Write;

pub fn render(r: &RunReport) -> String {
    let mut o = String::from("t_s,phase,scheduled,started,completed,dropped,p50_ms,p95_ms,p99_ms");
    for c in ErrorClass::ALL {
        let _ = write!(o, ",errors_{}", c.name());
    }
    for t in &r.tools {
        let _ = write!(o, ",{}", field(&format!("rps_{}", t.name)));
    }
    o.push('\n');
    for p in &r.series {
        let phase = r.scenario.phases.get(p.phase).map_or("", |ph| ph.name.as_str());
        let _ = write!(
            o,
            "{},{},{},{},{},{},{:.3},{:.3},{:.3}",
            p.t,
            field(phase),
            p.scheduled,
            p.started,
            p.completed,
            p.dropped,
            p.p50_ms,
            p.p95_ms,
            p.p99_ms
        );
        for e in p.errors {
            let _ = write!(o, ",{e}");
        }
        for n in p.tool_completed.iter() {
            let _ = write!(o, ",{n}");
        }
        o.push('\n');
    }
    o
}

/// Quotes a CSV field when it needs it.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
