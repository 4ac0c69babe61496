//! `proofdeck merge`: shard run directories into one report. Counts add; every run-wide
//! histogram adds exactly (one HDR configuration everywhere), so the merged percentiles are
//! those of all samples; the KPIs are judged again on the merged figures against the targets
//! the shards were judged by. Per-second percentiles cannot be added: a merged second shows
//! the highest shard's.

use crate::metrics::aggregate::{FinalHistograms, RunHistograms};
use crate::metrics::codec::add_encoded;
use crate::metrics::{
    new_histogram, Distribution, FailureSample, LaneState, Quantiles, RunStatus, SecondPoint, ShardLane, Snapshot,
};
use crate::report::kpi;
use crate::report::RunReport;
use crate::scenario::Phase;
use std::path::PathBuf;
use std::sync::Arc;

/// Merges `runs` (each with the directory it came from); an error says which one does not fit.
pub fn merge(runs: &[(PathBuf, RunReport)]) -> Result<RunReport, String> {
    let Some((first_dir, first)) = runs.first() else { return Err("nothing to merge".into()) };
    for (dir, r) in runs {
        if r.scenario.hash != first.scenario.hash {
            return Err(format!(
                "{} ran scenario {} (hash {}), {} ran {} (hash {}): only shards of one scenario merge",
                dir.display(),
                r.scenario.name,
                r.scenario.hash,
                first_dir.display(),
                first.scenario.name,
                first.scenario.hash
            ));
        }
        let names = |r: &RunReport| r.tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        if names(r) != names(first) || r.flows.len() != first.flows.len() {
            return Err(format!("{} has other tools or flows than {}", dir.display(), first_dir.display()));
        }
        if r.plan_id != first.plan_id {
            return Err(format!(
                "{} ran another plan than {} (scenario and rate flags differ: plan {} vs {})",
                dir.display(),
                first_dir.display(),
                r.plan_id.as_deref().unwrap_or("none"),
                first.plan_id.as_deref().unwrap_or("none")
            ));
        }
        if r.histograms.len() != r.tools.len() {
            return Err(format!("{} has no histogram for every tool", dir.display()));
        }
    }
    let lanes = lanes(runs)?;
    let (snapshot, histograms) = merged_snapshot(runs, &lanes)?;

    let phases: Vec<Phase> = first
        .scenario
        .phases
        .iter()
        .map(|p| Phase {
            name: p.name.clone(),
            duration: std::time::Duration::from_secs_f64(p.duration_s),
            rate: p.rate,
            ramp_to: p.ramp_to,
            kpi: p.kpi,
            kind: p.kind,
        })
        .collect();
    let targets = first
        .kpi_targets
        .clone()
        .ok_or_else(|| format!("{} was written by an older proofdeck without its KPI targets", first_dir.display()))?;
    let kpis = kpi::evaluate(&targets, &phases, &snapshot, &first.evidence);
    let mut verdict = kpi::judge_run(&snapshot, &kpis);
    let missing: Vec<String> =
        lanes.lanes.iter().filter(|l| l.state == LaneState::Lost).map(|l| l.index.to_string()).collect();
    let mut abort = None;
    if !missing.is_empty() {
        let why = format!(
            "shard(s) {} missing from the merge; the figures cover {:.1} % of the schedule",
            missing.join(", "),
            lanes.coverage * 100.0
        );
        verdict.fail_for(why.clone());
        abort = Some(why);
    }
    for (dir, r) in runs.iter().filter(|(_, r)| r.partial) {
        let why = format!("{} covers part of its plan: {}", dir.display(), r.abort.as_deref().unwrap_or("interrupted"));
        verdict.fail_for(why.clone());
        abort.get_or_insert(why);
    }

    let mut out = first.clone();
    let series = snapshot.series.to_vec();
    out.duration_s = snapshot.elapsed_s;
    out.partial = abort.is_some();
    out.abort = abort;
    out.totals.arrivals = snapshot.arrivals;
    out.totals.started = snapshot.started;
    out.totals.dropped = snapshot.dropped;
    out.totals.requests = snapshot.requests();
    out.totals.errors = snapshot.errors().total();
    out.totals.kpi_total = snapshot.kpi_total;
    out.totals.kpi_ok = snapshot.kpi_ok;
    out.dispatch_lag = snapshot.dispatch_lag;
    out.kpis = kpis;
    out.verdict = verdict;
    out.tools = snapshot.tools.clone();
    out.failures = snapshot.failures.as_ref().clone();
    out.flows = snapshot.flows.clone();
    out.phases = crate::report::phase_summaries(&phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>(), &series);
    out.series = series;
    (out.histograms, out.run_histograms) = crate::report::encode_histograms(&histograms);
    out.chaos = runs.iter().flat_map(|(_, r)| r.chaos.clone()).collect();
    out.chaos_left = runs.iter().flat_map(|(_, r)| r.chaos_left.clone()).collect();
    out.events = runs.iter().flat_map(|(_, r)| r.events.clone()).collect();
    out.events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    out.reconciliation = crate::scrape::reconcile::Reconciliation {
        skipped: Some("a merge of shard runs: each shard sent part of what the target counted".into()),
        ..Default::default()
    };
    out.resources.proofdeck_cpu_pct = None;
    out.resources.proofdeck_rss_bytes = None;
    out.shard = None;
    out.shard_share = None;
    out.plan_id = None;
    out.distribution = Some(lanes);
    Ok(out)
}

/// One lane per shard index (missing ones lost); runs that are not shards are lanes in order.
fn lanes(runs: &[(PathBuf, RunReport)]) -> Result<Distribution, String> {
    let stripes: Vec<Option<crate::engine::stripe::Stripe>> = runs
        .iter()
        .map(|(dir, r)| {
            r.shard
                .as_deref()
                .map(|s| crate::engine::stripe::Stripe::parse(s).map_err(|e| format!("{}: {e}", dir.display())))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let lane = |index: usize, (dir, r): &(PathBuf, RunReport)| ShardLane {
        index,
        state: if r.partial { LaneState::Lost } else { LaneState::Done },
        share: r.shard_share.unwrap_or(0.0),
        peer: dir.display().to_string(),
        arrivals: r.totals.arrivals,
        dropped: r.totals.dropped,
        completed: r.totals.requests,
        late_p99_ms: r.dispatch_lag.p99_ms,
        lost_why: r.partial.then(|| r.abort.clone().unwrap_or_else(|| "interrupted".into())),
        ..ShardLane::default()
    };
    let lanes: Vec<ShardLane> = if stripes.iter().all(Option::is_none) {
        runs.iter().enumerate().map(|(i, run)| lane(i, run)).collect()
    } else {
        let count = stripes.iter().flatten().map(|s| s.count).max().unwrap_or(0);
        let mut lanes: Vec<Option<ShardLane>> = vec![None; count];
        for (stripe, run) in stripes.iter().zip(runs) {
            let Some(stripe) = stripe else {
                return Err(format!("{} is not a shard run, the others are", run.0.display()));
            };
            if stripe.count != count {
                return Err(format!("{} is shard {stripe}, the others are of {count}", run.0.display()));
            }
            if lanes[stripe.index].is_some() {
                return Err(format!("shard {stripe} is given twice ({})", run.0.display()));
            }
            lanes[stripe.index] = Some(lane(stripe.index, run));
        }
        lanes
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                l.unwrap_or(ShardLane {
                    index: i,
                    state: LaneState::Lost,
                    peer: "(no run directory)".into(),
                    lost_why: Some("not given to the merge".into()),
                    ..ShardLane::default()
                })
            })
            .collect()
    };
    let coverage = super::coordinator::coverage(&lanes);
    Ok(Distribution { shards: lanes.len(), lanes, coverage, ..Distribution::default() })
}

/// The merged run as a snapshot, for the KPIs to judge, and its histograms, added once.
fn merged_snapshot(runs: &[(PathBuf, RunReport)], lanes: &Distribution) -> Result<(Snapshot, FinalHistograms), String> {
    let first = &runs[0].1;
    let names: Vec<String> = first.tools.iter().map(|t| t.name.clone()).collect();
    let mut s = Snapshot::empty(&names, &first.flows);
    for f in &mut s.flows {
        (f.iterations, f.ok, f.failed, f.correct_denials, f.breaches) = (0, 0, 0, 0, 0);
    }
    let mut latency: Vec<_> = names.iter().map(|_| (new_histogram(), new_histogram())).collect();
    let mut run = RunHistograms::default();
    let mut failures: Vec<FailureSample> = Vec::new();
    for (dir, r) in runs {
        s.elapsed_s = s.elapsed_s.max(r.duration_s);
        s.arrivals += r.totals.arrivals;
        s.started += r.totals.started;
        s.dropped += r.totals.dropped;
        s.completed += r.totals.requests;
        s.kpi_total += r.totals.kpi_total;
        s.kpi_ok += r.totals.kpi_ok;
        for (view, t) in s.tools.iter_mut().zip(&r.tools) {
            view.by_flow = t.by_flow;
            view.requests += t.requests;
            view.ok += t.ok;
            view.errors.add(&t.errors.0);
            crate::metrics::add_codes(&mut view.codes, &t.codes);
        }
        // Same tools in the same order in every run (checked by `merge`).
        for ((l, sv), h) in latency.iter_mut().zip(&r.histograms) {
            if !add_encoded(l, &h.latency_us) || !add_encoded(sv, &h.service_us) {
                return Err(format!("{}: the {} histograms cannot be read", dir.display(), h.tool));
            }
        }
        for (view, f) in s.flows.iter_mut().zip(&r.flows) {
            view.iterations += f.iterations;
            view.ok += f.ok;
            view.failed += f.failed;
            view.correct_denials += f.correct_denials;
            view.breaches += f.breaches;
        }
        for (name, into) in run.named_mut() {
            if let Some(h) = r.run_histograms.iter().find(|h| h.name == name) {
                if !add_encoded(into, &h.us) {
                    return Err(format!("{}: the {name} histogram cannot be read", dir.display()));
                }
            }
        }
        for f in &r.failures {
            match failures.iter_mut().find(|m| m.tool == f.tool && m.class == f.class && m.detail == f.detail) {
                Some(m) => m.count += f.count,
                None => failures.push(f.clone()),
            }
        }
    }
    for (view, (l, sv)) in s.tools.iter_mut().zip(&latency) {
        view.latency = Quantiles::of(l);
        view.service = Quantiles::of(sv);
    }
    s.kpi_latency = Quantiles::of(&run.kpi_latency);
    s.fast_fail = Quantiles::of(&run.fast_fail);
    s.dispatch_lag = Quantiles::of(&run.dispatch);
    s.cache_hit = Quantiles::of(&run.cache_hit);
    s.cache_miss = Quantiles::of(&run.cache_miss);
    s.failures = Arc::new(failures);
    s.status = RunStatus::Finished;
    let mut builder = crate::metrics::series::SeriesBuilder::default();
    for p in merged_series(runs, names.len()) {
        builder.push(p);
    }
    s.series = builder.series();
    s.distribution = Some(Arc::new(lanes.clone()));
    let tools = names.into_iter().zip(latency).map(|(n, (l, sv))| (n, l, sv)).collect();
    Ok((s, FinalHistograms { tools, run }))
}

/// Each run's seconds from its first arrival, added second by second.
fn merged_series(runs: &[(PathBuf, RunReport)], tools: usize) -> Vec<SecondPoint> {
    let mut out: Vec<SecondPoint> = Vec::new();
    for (_, r) in runs {
        let offset = r.series.iter().find(|p| p.scheduled > 0).map_or(0, |p| p.t);
        for p in r.series.iter().filter(|p| p.t >= offset) {
            let t = (p.t - offset) as usize;
            while out.len() <= t {
                out.push(SecondPoint::empty(out.len() as u32, p.phase, tools));
            }
            let m = &mut out[t];
            m.phase = p.phase;
            m.scheduled += p.scheduled;
            m.started += p.started;
            m.completed += p.completed;
            m.dropped += p.dropped;
            m.p50_ms = m.p50_ms.max(p.p50_ms);
            m.p95_ms = m.p95_ms.max(p.p95_ms);
            m.p99_ms = m.p99_ms.max(p.p99_ms);
            for (a, b) in m.errors.iter_mut().zip(&p.errors) {
                *a += b;
            }
            let add = |a: &[u64], b: &[u64]| -> Arc<[u64]> { a.iter().zip(b).map(|(x, y)| x + y).collect() };
            m.tool_completed = add(&m.tool_completed, &p.tool_completed);
            m.tool_errors = add(&m.tool_errors, &p.tool_errors);
            m.tool_p99_ms = m.tool_p99_ms.iter().zip(p.tool_p99_ms.iter()).map(|(x, y)| x.max(*y)).collect();
        }
    }
    out
}
