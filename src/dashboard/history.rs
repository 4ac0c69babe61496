//! A dashboard live over a run: scrapes go into the series store, every panel is evaluated
//! at each scrape, and the values are kept per series on the run clock for the charts and
//! the report.

use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// Series left out past [`MAX_SERIES_PER_PANEL`].
    pub series_left_out: usize,
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
                })
                .collect(),
            ..DashboardView::default()
        };
        let index = vec![BTreeMap::new(); compiled.panels.len()];
        Self {
            names: NameMap::from_profile(profile),
            store: SeriesStore::new(retention, compiled.timing.scrape_interval, MAX_STORED_SERIES),
            compiled,
            view,
            index,
        }
    }

    /// Takes one scrape (at `at_ms` wall clock, `t_s` on the run clock) and re-evaluates.
    pub fn observe(&mut self, at_ms: i64, t_s: f64, expo: &Exposition) -> &DashboardView {
        self.store.ingest_samples(at_ms, self.names.samples(expo));
        let results = self.compiled.evaluate(&self.store, at_ms);
        for ((view, index), results) in self.view.panels.iter_mut().zip(&mut self.index).zip(results) {
            for (qi, result) in results.iter().enumerate() {
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
                            view.series_left_out += 1;
                            continue;
                        }
                    };
                    crate::util::push_thinned(&mut view.history[slot].points, (t_s, s.value), MAX_POINTS);
                }
            }
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
