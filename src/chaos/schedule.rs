//! The scenario's chaos schedule as timed actions on the run's clock (seconds since the first
//! phase started): each entry injects at `at` and, with `for`, clears at `at + for`.

use crate::scenario::ChaosEntry;

#[derive(Clone, Debug, PartialEq)]
pub enum ChaosAction {
    Inject { tool: String, mode: String, pct: f64 },
    Clear { tool: String },
}

/// Actions sorted by time.
pub fn plan(entries: &[ChaosEntry]) -> Vec<(f64, ChaosAction)> {
    let mut out = Vec::new();
    for e in entries {
        let at = e.at.as_secs_f64();
        out.push((at, ChaosAction::Inject { tool: e.tool.clone(), mode: e.mode.clone(), pct: e.pct }));
        if let Some(d) = e.duration {
            out.push((at + d.as_secs_f64(), ChaosAction::Clear { tool: e.tool.clone() }));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn injections_and_clearings_in_time_order() {
        let e = |at: u64, tool: &str, d: Option<u64>| ChaosEntry {
            at: Duration::from_secs(at),
            tool: tool.into(),
            mode: "500".into(),
            pct: 10.0,
            duration: d.map(Duration::from_secs),
        };
        let p = plan(&[e(60, "a", Some(30)), e(70, "b", None)]);
        let times: Vec<f64> = p.iter().map(|x| x.0).collect();
        assert_eq!(times, vec![60.0, 70.0, 90.0]);
        assert_eq!(p[2].1, ChaosAction::Clear { tool: "a".into() });
    }
}
