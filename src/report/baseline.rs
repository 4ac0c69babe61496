//! `--baseline RUN_DIR`: a finished run's per-second series drawn under the live ones, on
//! the phase clock: a baseline second `s` into phase `p` is drawn `s` into the live run's
//! phase `p`, so a phase skipped or stretched in either run still lines up.

use std::path::Path;

use super::{ReportError, RunReport};
use crate::metrics::SecondPoint;

/// What the cockpit draws of a finished run.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// The run directory's name, for the legend.
    pub name: String,
    pub series: Vec<SecondPoint>,
    /// Each phase's first second in the baseline run, by phase index.
    pub phase_starts: Vec<u32>,
}

impl Baseline {
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let report = crate::report::read(dir)?;
        Ok(Self::from_report(dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), &report))
    }

    pub fn from_report(name: String, r: &RunReport) -> Self {
        // A point naming a phase the run never had (a hand-edited report.json) is left out.
        let phases = r.scenario.phases.len().max(r.phases.len());
        let series: Vec<SecondPoint> = r.series.iter().filter(|p| p.phase < phases).cloned().collect();
        Self { name, phase_starts: phase_starts(&series), series }
    }

    /// `(x on the live clock, value)` for each baseline second, placed by phase. Phases the
    /// live run has not reached keep the offset of the last one it has.
    pub fn aligned(&self, live: &[&SecondPoint], value: impl Fn(&SecondPoint) -> Option<f64>) -> Vec<(f64, f64)> {
        let mut live_starts: Vec<Option<u32>> = vec![None; self.phase_starts.len()];
        for p in live {
            if let Some(slot) = live_starts.get_mut(p.phase) {
                if slot.is_none_or(|t| p.t < t) {
                    *slot = Some(p.t);
                }
            }
        }
        let mut shift = 0.0;
        let shifts: Vec<f64> = self
            .phase_starts
            .iter()
            .zip(&live_starts)
            .map(|(&base, live)| {
                if let Some(live) = live {
                    shift = f64::from(*live) - f64::from(base);
                }
                shift
            })
            .collect();
        self.series
            .iter()
            .filter_map(|p| Some((f64::from(p.t) + shifts.get(p.phase).copied().unwrap_or(shift), value(p)?)))
            .collect()
    }
}

/// The first second of each phase index (the phase before it, where a phase never ran).
fn phase_starts(series: &[SecondPoint]) -> Vec<u32> {
    let phases = series.iter().map(|p| p.phase.saturating_add(1)).max().unwrap_or(0);
    let mut starts = vec![None; phases];
    for p in series {
        if starts[p.phase].is_none() {
            starts[p.phase] = Some(p.t);
        }
    }
    let mut last = 0;
    starts
        .into_iter()
        .map(|s| {
            last = s.unwrap_or(last);
            last
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: u32, phase: usize, completed: u64) -> SecondPoint {
        SecondPoint { completed, ..SecondPoint::empty(t, phase, 0) }
    }

    #[test]
    fn a_baseline_is_placed_on_the_live_runs_phase_clock() {
        // Baseline: phase 0 for 10 s, phase 1 from 10 s. Live: phase 1 began at 14 s.
        let base = Baseline {
            name: "b".into(),
            series: (0..20).map(|t| point(t, usize::from(t >= 10), 5)).collect(),
            phase_starts: vec![0, 10],
        };
        let live: Vec<SecondPoint> = (0..16).map(|t| point(t, usize::from(t >= 14), 1)).collect();
        let refs: Vec<&SecondPoint> = live.iter().collect();
        let xs: Vec<f64> = base.aligned(&refs, |p| Some(p.completed as f64)).into_iter().map(|p| p.0).collect();
        assert_eq!(&xs[..10], &(0..10).map(f64::from).collect::<Vec<_>>()[..]);
        assert_eq!(xs[10], 14.0, "phase 1's first baseline second meets the live phase 1's");
        assert_eq!(xs[19], 23.0);
    }

    #[test]
    fn phase_starts_come_from_the_series() {
        let series: Vec<SecondPoint> = [(0, 0), (1, 0), (2, 2), (3, 2)].iter().map(|&(t, p)| point(t, p, 1)).collect();
        assert_eq!(phase_starts(&series), vec![0, 0, 2], "a phase that never ran starts where the previous did");
    }
}
