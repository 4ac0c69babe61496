//! A dashboard live over a run: scrapes go into the series store, every panel is evaluated
//! at each scrape, and the values are kept per series on the run clock for the charts and
//! the report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::alias::NameMap;
use super::panel::{Compiled, QueryResult};
use super::Panel;
use crate::promql::SeriesStore;
use crate::scrape::parser::Exposition;
use crate::scrape::profile::TargetProfile;

/// Points kept per series; past it every other point is dropped (a 2-hour run at one scrape
/// every 2 s halves once).
pub const MAX_POINTS: usize = 2048;
/// Series kept per panel: a label that churns (an id per agent) cannot grow memory.
pub const MAX_SERIES_PER_PANEL: usize = 64;
/// Series the store holds at most (see [`SeriesStore::bound_bytes`]).
pub const MAX_STORED_SERIES: usize = 100_000;
/// Left-out series keys remembered per panel, to count each once.
const LEFT_OUT_TRACKED: usize = 10_000;

/// Why a panel's window is not fully covered, if it is not.
fn window_note(reach: Duration, covered: Duration, kept: Duration) -> Option<String> {
    let show = crate::scenario::duration::format;
    if reach > kept {
        // Short: it sits in the bottom border of a panel 40 columns wide.
        Some(format!("reads {} back, keeps {}", show(reach), show(kept)))
    } else if covered < reach {
        Some(format!("warming up: {} of {}", show(covered), show(reach)))
    } else {
        None
    }
}

/// One drawn series: its legend and its points on the run clock (seconds, value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesHistory {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct PanelView {
    pub panel: Panel,
    /// The expanded expressions, one per query.
    pub exprs: Vec<String>,
    /// The latest value of each query, or why it has none.
    pub latest: Vec<QueryResult>,
    /// Every series seen, keyed by query and labels, in first-seen order.
    pub history: Vec<SeriesHistory>,
    /// Series left out past [`MAX_SERIES_PER_PANEL`], counted once each.
    pub series_left_out: usize,
    /// Why the values do not yet mean what they would on a Prometheus server with history:
    /// the panel's window reaches back before the run's first scrape, or past what the
    /// store keeps.
    pub note: Option<String>,
}

impl PanelView {
    /// Each query that has no value, as "A: why" (its refId, or "query" without one).
    pub fn query_errors(&self) -> Vec<String> {
        self.panel
            .targets
            .iter()
            .zip(&self.latest)
            .filter_map(|(t, r)| {
                let id = if t.ref_id.is_empty() { "query" } else { &t.ref_id };
                r.as_ref().err().map(|e| format!("{id}: {e}"))
            })
            .collect()
    }
}

#[derive(Clone, Debug, Default)]
pub struct DashboardView {
    pub title: String,
    pub panels: Vec<PanelView>,
    /// Run time of the latest evaluation, seconds.
    pub at_s: Option<f64>,
    pub stored_series: usize,
    pub refused_series: u64,
}

pub struct LiveDashboard {
    compiled: Compiled,
    names: NameMap,
    store: SeriesStore,
    view: DashboardView,
    /// Per panel: history index by series key.
    index: Vec<BTreeMap<String, usize>>,
    /// Per panel: series keys left out (bounded; past it the count is a lower bound).
    left_out: Vec<std::collections::HashSet<String>>,
}

impl LiveDashboard {
    pub fn new(compiled: Compiled, profile: &TargetProfile) -> Self {
        // Keep a little more than the longest range so the range's first scrape is held.
        let retention = compiled.reach() + compiled.timing.scrape_interval * 2;
        let view = DashboardView {
            title: compiled.title.clone(),
            panels: compiled
                .panels
                .iter()
                .map(|p| PanelView {
                    panel: p.panel.clone(),
                    exprs: p.queries.iter().map(|q| q.expanded.clone()).collect(),
                    latest: Vec::new(),
                    history: Vec::new(),
                    series_left_out: 0,
                    note: None,
                })
                .collect(),
            ..DashboardView::default()
        };
        let index = vec![BTreeMap::new(); compiled.panels.len()];
        let left_out = vec![std::collections::HashSet::new(); compiled.panels.len()];
        Self {
            left_out,
            names: NameMap::from_profile(profile),
            store: SeriesStore::new(retention, compiled.timing.scrape_interval, MAX_STORED_SERIES),
            compiled,
            view,
            index,
        }
    }

    /// The exposition's samples as the store takes them (the profile's names mapped).
    pub fn samples(&self, expo: &Exposition) -> Vec<(crate::promql::store::SeriesKey, f64)> {
        self.names.samples(expo)
    }

    /// Takes one scrape (at `at_ms` wall clock, `t_s` on the run clock) and re-evaluates.
    pub fn observe(&mut self, at_ms: i64, t_s: f64, expo: &Exposition) -> &DashboardView {
        let samples = self.samples(expo);
        self.observe_samples(at_ms, t_s, samples)
    }

    /// [`observe`](Self::observe) with the samples already mapped: the part that may run
    /// off the async runtime.
    pub fn observe_samples(
        &mut self,
        at_ms: i64,
        t_s: f64,
        samples: Vec<(crate::promql::store::SeriesKey, f64)>,
    ) -> &DashboardView {
        self.store.ingest_samples(at_ms, samples);
        let mut results = self.compiled.evaluate(&self.store, at_ms, true);
        // Whole seconds: the note reads "1m12s", not milliseconds.
        let covered = Duration::from_secs(self.store.oldest_ms().map_or(0, |o| (at_ms - o).max(0) / 1000) as u64);
        let kept = self.store.kept(self.compiled.timing.scrape_interval);
        for (panel, view) in self.compiled.panels.iter().zip(&mut self.view.panels) {
            // A panel that is not evaluated reads nothing.
            view.note = panel.panel.skip.is_none().then(|| window_note(panel.reach(), covered, kept)).flatten();
        }
        for (((view, index), left_out), results) in
            self.view.panels.iter_mut().zip(&mut self.index).zip(&mut self.left_out).zip(&mut results)
        {
            for (qi, result) in results.iter_mut().enumerate() {
                for s in result.iter().flatten() {
                    let key = format!("{qi}\u{1f}{}", s.key);
                    let slot = match index.get(&key) {
                        Some(&i) => i,
                        None if view.history.len() < MAX_SERIES_PER_PANEL => {
                            index.insert(key, view.history.len());
                            view.history.push(SeriesHistory { name: s.name.clone(), points: Vec::new() });
                            view.history.len() - 1
                        }
                        None => {
                            if left_out.len() < LEFT_OUT_TRACKED && left_out.insert(key) {
                                view.series_left_out += 1;
                            }
                            continue;
                        }
                    };
                    crate::util::push_thinned(&mut view.history[slot].points, (t_s, s.value), MAX_POINTS);
                }
                // The latest values are bounded like the history (after counting what is left out).
                if let Ok(series) = result {
                    series.truncate(MAX_SERIES_PER_PANEL);
                }
            }
        }
        for (view, results) in self.view.panels.iter_mut().zip(results) {
            view.latest = results;
        }
        self.view.at_s = Some(t_s);
        self.view.stored_series = self.store.series_count();
        self.view.refused_series = self.store.refused_series();
        &self.view
    }

    pub fn view(&self) -> &DashboardView {
        &self.view
    }

    pub fn shared_view(&self) -> Arc<DashboardView> {
        Arc::new(self.view.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_history_thins_instead_of_growing() {
        let mut points = Vec::new();
        for i in 0..10_000 {
            crate::util::push_thinned(&mut points, (i as f64, 0.0), MAX_POINTS);
        }
        assert!(points.len() <= MAX_POINTS);
        assert_eq!(points.last().unwrap().0, 9_999.0);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
