//! `report.md`: the proof report people read. A pure function of the report model, so
//! `proofdeck report` reproduces it byte for byte.

use super::kpi::Verdict;
use super::RunReport;
use crate::metrics::ErrorClass;
use crate::util::md_cell as cell;
use std::fmt::Write;

pub fn render(r: &RunReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Proof report — {}", r.scenario.name);
    let _ = writeln!(o);
    if r.partial {
        let why = r.abort.as_deref().unwrap_or("the run was interrupted before its plan finished");
        let _ = writeln!(o, "> **PARTIAL REPORT** — {why}. The figures cover only what ran.");
        let _ = writeln!(o);
    }
    let target = if r.target.embedded { format!("{} (bundled gateway)", r.target.url) } else { r.target.url.clone() };
    let _ = writeln!(
        o,
        "Target `{target}` · started {} · ran {:.1} s · proofdeck {}",
        r.started_at, r.duration_s, r.proofdeck_version
    );
    let _ = writeln!(o);
    executive_summary(r, &mut o);
    latency(r, &mut o);
    throughput(r, &mut o);
    reliability(r, &mut o);
    cache(r, &mut o);
    security(r, &mut o);
    chaos(r, &mut o);
    reconciliation(r, &mut o);
    resources(r, &mut o);
    shards(r, &mut o);
    super::dashboard::markdown(r, &mut o);
    super::capacity::render(r, &mut o);
    environment(r, &mut o);
    o
}

fn executive_summary(r: &RunReport, o: &mut String) {
    let failed = r.kpis.iter().filter(|k| k.verdict == Verdict::Fail).count();
    let unmeasured = r.kpis.iter().filter(|k| k.verdict == Verdict::NotMeasured).count();
    let _ = writeln!(o, "## Executive summary");
    let _ = writeln!(o);
    let verdict = if r.verdict.passed { "PASS — every measured KPI held" } else { "FAIL" };
    let _ = writeln!(
        o,
        "**{verdict}**: {} passed, {failed} failed, {unmeasured} not measured.",
        r.kpis.len() - failed - unmeasured
    );
    let _ = writeln!(o);
    for reason in r.verdict.reasons() {
        let _ = writeln!(o, "- {}", cell(reason));
    }
    if !r.verdict.passed {
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "| KPI | value | target | verdict | source | evidence |");
    let _ = writeln!(o, "|---|---:|---|---|---|---|");
    for k in &r.kpis {
        let value = k.value.map_or("—".to_string(), |v| format!("{v:.2}{}", unit(&k.unit)));
        let verdict = match k.verdict {
            Verdict::Pass => "✅ pass",
            Verdict::Fail => "❌ **fail**",
            Verdict::NotMeasured => "⚪ not measured",
        };
        let _ = writeln!(
            o,
            "| {} | {value} | {} | {verdict} | {} | {} |",
            k.name,
            k.target,
            k.source.label(),
            cell(&k.evidence)
        );
    }
    let _ = writeln!(o);
}

fn latency(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Latency per tool");
    let _ = writeln!(o);
    let _ = writeln!(o, "Client-measured, from each request's intended start (coordinated-omission free); service time is from the actual send.");
    let _ = writeln!(o);
    let _ = writeln!(o, "| tool | requests | p50 ms | p95 ms | p99 ms | max ms | service p99 ms |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|");
    for t in &r.tools {
        let l = &t.latency;
        let _ = writeln!(
            o,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            t.name, t.requests, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, t.service.p99_ms
        );
    }
    let _ = writeln!(o);
    let d = &r.dispatch_lag;
    if d.count > 0 {
        let _ = writeln!(
            o,
            "Dispatch lateness of the judged calls (happy flows in KPI phases), from each one's intended start (a \
             flow's later steps: the previous answer) to its send, what proofdeck itself adds to their latency: \
             p50 {:.3} ms · p99 {:.3} ms · max {:.3} ms over {} calls.",
            d.p50_ms, d.p99_ms, d.max_ms, d.count
        );
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "![latency](latency.svg)");
    let _ = writeln!(o);
}

fn throughput(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Throughput per phase");
    let _ = writeln!(o);
    let _ = writeln!(o, "Arrivals are flow iterations (the open model's unit); a flow may send several requests.");
    let _ = writeln!(o);
    let _ = writeln!(o, "| phase | start | seconds | scheduled arrivals/s | started arrivals/s | requests/s | requests | errors | error % | dropped |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in &r.phases {
        let pct = if p.requests > 0 { p.errors as f64 * 100.0 / p.requests as f64 } else { 0.0 };
        let _ = writeln!(
            o,
            "| {} | {} s | {} | {:.2} | {:.2} | {:.2} | {} | {} | {pct:.2} | {} |",
            p.name,
            p.start_s,
            p.seconds,
            p.scheduled_rps,
            p.started_rps,
            p.requests_rps,
            p.requests,
            p.errors,
            p.dropped
        );
    }
    let t = &r.totals;
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Arrivals {} · started {} · dropped (in-flight cap) {} · requests {} · errors {}.",
        t.arrivals, t.started, t.dropped, t.requests, t.errors
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "![rate](rate.svg)");
    let _ = writeln!(o);
    let _ = writeln!(o, "### Errors by class");
    let _ = writeln!(o);
    let _ = writeln!(o, "| tool | {} |", ErrorClass::ALL.map(|c| c.name()).join(" | "));
    let _ = writeln!(o, "|---|{}", "---:|".repeat(ErrorClass::ALL.len()));
    for tool in &r.tools {
        let counts: Vec<String> = tool.errors.iter().map(|(_, n)| n.to_string()).collect();
        let _ = writeln!(o, "| {} | {} |", tool.name, counts.join(" | "));
    }
    let _ = writeln!(o);
    failure_details(r, o);
    let _ = writeln!(o, "![errors](errors.svg)");
    let _ = writeln!(o);
}

/// Why requests failed, in the target's or the client's own words (masked).
fn failure_details(r: &RunReport, o: &mut String) {
    if r.failures.is_empty() {
        return;
    }
    let _ = writeln!(o, "### Why requests failed");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "The first {} distinct details per tool and class, with how many requests each covers.",
        crate::metrics::shard::FAILURE_DETAILS_PER_CLASS
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| tool | class | count | detail |");
    let _ = writeln!(o, "|---|---|---:|---|");
    for f in &r.failures {
        let _ =
            writeln!(o, "| {} | {} | {} | `{}` |", f.tool, f.class.name(), f.count, cell(&f.detail).replace('`', "'"));
    }
    let _ = writeln!(o);
}

fn reliability(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Reliability");
    let _ = writeln!(o);
    let ev = &r.evidence;
    let kpi = |id: &str| r.kpis.iter().find(|k| k.id == id);
    if let Some(k) = kpi("fast_fail") {
        let _ = writeln!(o, "- Breaker fast-fail p99: {} ({}).", fmt_opt(k.value, "ms"), k.evidence);
    }
    let _ = writeln!(
        o,
        "- Retries (target-scraped): recovered {}, exhausted {}.",
        count_opt(ev.retries_recovered),
        count_opt(ev.retries_exhausted)
    );
    let _ = writeln!(o);
    let opened: Vec<_> = r.breakers.iter().filter(|b| b.openings > 0).collect();
    if opened.is_empty() {
        let _ = writeln!(o, "No circuit breaker opened during the run (target-scraped every 2 s).");
    } else {
        let _ = writeln!(o, "Circuit breakers (target-scraped every 2 s):");
        let _ = writeln!(o);
        let _ = writeln!(o, "| tool | openings | time open | recovery times |");
        let _ = writeln!(o, "|---|---:|---:|---|");
        for b in opened {
            let rec: Vec<String> = b.recovery_s.iter().map(|s| format!("{s:.1} s")).collect();
            let rec = if rec.is_empty() { "still open".to_string() } else { rec.join(", ") };
            let _ = writeln!(o, "| {} | {} | {:.1} s | {rec} |", b.tool, b.openings, b.time_open_s);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "![breakers](breakers.svg)");
    let _ = writeln!(o);
}

fn resources(r: &RunReport, o: &mut String) {
    let x = &r.resources;
    let mib = |b: f64| format!("{:.1} MiB", b / 1024.0 / 1024.0);
    let _ = writeln!(o, "## Resources");
    let _ = writeln!(o);
    let _ = writeln!(o, "| process | CPU (% of one core) | RSS | source |");
    let _ = writeln!(o, "|---|---:|---:|---|");
    let target_rss = x.target_rss_bytes.map_or("not measured".into(), mib);
    let _ = writeln!(o, "| target | {} | {target_rss} | target-scraped |", fmt_opt(x.target_cpu_pct, "%"));
    let own_rss = x.proofdeck_rss_bytes.map_or("not measured".into(), |b| mib(b as f64));
    let _ = writeln!(o, "| proofdeck | {} | {own_rss} | /proc of this process |", fmt_opt(x.proofdeck_cpu_pct, "%"));
    if r.target.embedded {
        let _ = writeln!(o);
        let _ = writeln!(o, "The bundled gateway ran inside proofdeck's process, so their figures overlap.");
    }
    let _ = writeln!(o);
}

fn cache(r: &RunReport, o: &mut String) {
    let ev = &r.evidence;
    let _ = writeln!(o, "## Cache");
    let _ = writeln!(o);
    let ratio = match (ev.cache_hits, ev.cache_misses) {
        (Some(h), Some(m)) if h + m > 0.0 => Some(h * 100.0 / (h + m)),
        _ => None,
    };
    let _ = writeln!(
        o,
        "Hits {} · misses {} · ratio {} (target-scraped, counter deltas over the run).",
        count_opt(ev.cache_hits),
        count_opt(ev.cache_misses),
        fmt_opt(ratio, "%")
    );
    let _ = writeln!(o);
}

fn security(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Security");
    let _ = writeln!(o);
    let attempts: u64 = r.flows.iter().map(|f| f.correct_denials + f.breaches).sum();
    let blocked: u64 = r.flows.iter().map(|f| f.correct_denials).sum();
    let breaches: u64 = r.flows.iter().map(|f| f.breaches).sum();
    let _ = writeln!(o, "Unauthorized attempts blocked: **{blocked} of {attempts}** · policy breaches: **{breaches}** (client-measured).");
    let _ = writeln!(o);
    let _ = writeln!(o, "| flow | kind | iterations | correct denials | policy breaches |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|");
    for f in &r.flows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            f.name,
            format!("{:?}", f.kind).to_lowercase(),
            f.iterations,
            f.correct_denials,
            f.breaches
        );
    }
    let _ = writeln!(o);
    match &r.evidence.denials {
        Some((label, by)) => {
            let label = if label.is_empty() { "total" } else { label };
            let _ = writeln!(o, "Policy denials by {label} (target-scraped, during the run):");
            let _ = writeln!(o);
            let _ = writeln!(o, "| {label} | denials |");
            let _ = writeln!(o, "|---|---:|");
            for (k, v) in by.iter().filter(|(_, v)| **v > 0.0) {
                let _ = writeln!(o, "| {k} | {} |", count(*v));
            }
        }
        None => {
            let _ = writeln!(o, "Policy denials by reason: not measured (the target exposes no denial counter).");
        }
    }
    let _ = writeln!(o);
    let events = &r.evidence.security_events;
    let get = |k: &str| events.get(k).map_or("not measured".to_string(), |v| count(*v));
    let _ = writeln!(o, "Security events (target-scraped, during the run): provenance mismatches {} · token revocations {} · use of revoked tokens {} · invalid signatures {}.", get("provenance_mismatch"), get("token_revocation"), get("revoked_token_use"), get("invalid_signature"));
    let _ = writeln!(o);
}

fn chaos(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Chaos timeline");
    let _ = writeln!(o);
    if !r.chaos_left.is_empty() {
        let _ = writeln!(o, "> **CHAOS LEFT ON THE TARGET** — this run set it and could not clear it; the target still fails on purpose:");
        for l in &r.chaos_left {
            let _ = writeln!(o, "> - `{}` {} — {}", l.tool, l.state, cell(&l.why));
        }
        let _ = writeln!(o);
    }
    if r.chaos.is_empty() {
        let _ = writeln!(o, "No chaos was injected, by this run or by anyone else.");
        let _ = writeln!(o);
    } else {
        let _ = writeln!(o, "| # | at | tool | mode | pct | by | effect check | numbers |");
        let _ = writeln!(o, "|---:|---:|---|---|---:|---|---|---|");
        for c in &r.chaos {
            let verdict = match c.verdict {
                crate::live::EffectVerdict::Observed => "effect observed",
                crate::live::EffectVerdict::Absorbed => "absorbed by the target",
                crate::live::EffectVerdict::NoObservedEffect => "**injected, no observed effect**",
                crate::live::EffectVerdict::NotEnoughTraffic => "not enough traffic",
                crate::live::EffectVerdict::Pending => "not judged (run ended)",
            };
            let _ = writeln!(
                o,
                "| {} | {:.1} s | {} | {} | {} | {} | {verdict} | {} |",
                c.id,
                c.injected_at_s,
                c.tool,
                c.mode,
                c.pct,
                cell(&c.by),
                cell(&c.detail)
            );
        }
        let _ = writeln!(o);
    }
    let notable: Vec<_> = r.events.iter().filter(|e| e.kind != crate::live::EventKind::Phase).collect();
    if !notable.is_empty() {
        let _ = writeln!(o, "Events:");
        let _ = writeln!(o);
        for e in notable {
            let _ = writeln!(o, "- {:.1} s · {:?} · {}", e.t_s, e.kind, e.text);
        }
        let _ = writeln!(o);
    }
}

fn reconciliation(r: &RunReport, o: &mut String) {
    let rec = &r.reconciliation;
    let _ = writeln!(o, "## Reconciliation");
    let _ = writeln!(o);
    let Some(metric) = &rec.metric else {
        let why = rec.skipped.as_deref().unwrap_or("the target exposes no request counter the profile knows, or it could not be scraped before and after the run");
        let _ = writeln!(o, "Not reconciled: {why}.");
        let _ = writeln!(o);
        return;
    };
    let flagged = rec.tools.iter().filter(|t| t.mismatch).count();
    let _ = writeln!(o, "Client requests per tool against the target's `{metric}` deltas over the run (tolerance {}%): **{flagged} mismatches**.", rec.tolerance_pct);
    let _ = writeln!(o);
    for f in &rec.findings {
        let _ = writeln!(o, "- **Finding:** {}", cell(f));
    }
    if !rec.findings.is_empty() {
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "| tool | client | target | verdict |");
    let _ = writeln!(o, "|---|---:|---:|---|");
    for t in &rec.tools {
        let target = t.target.map_or("—".into(), |v| format!("{v}"));
        let verdict =
            if t.mismatch { format!("❌ {}", cell(&t.note)) } else { format!("✅ agree ({})", cell(&t.note)) };
        let _ = writeln!(o, "| {} | {} | {target} | {verdict} |", t.tool, t.client);
    }
    let _ = writeln!(o);
}

/// A sharded run: one row per shard, the start barrier's skew and the merge's cost.
fn shards(r: &RunReport, o: &mut String) {
    let Some(d) = &r.distribution else { return };
    let _ = writeln!(o, "## Shards");
    let _ = writeln!(o);
    let _ = writeln!(o, "{}.", d.headline());
    let _ = writeln!(o);
    let cols = crate::metrics::distribution::LANE_COLUMNS;
    let _ = writeln!(o, "| {} |", cols.join(" | "));
    let _ = writeln!(o, "|{}", "---|".repeat(cols.len()));
    for row in d.rows() {
        let cells: Vec<String> = row.iter().map(|c| crate::util::md_cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(o);
}

fn environment(r: &RunReport, o: &mut String) {
    let _ = writeln!(o, "## Environment");
    let _ = writeln!(o);
    let e = &r.environment;
    let _ = writeln!(o, "- proofdeck {} on {}/{} with {} CPUs", r.proofdeck_version, e.os, e.arch, e.cpus);
    let _ = writeln!(
        o,
        "- scenario `{}` (sha256 {}), {} phases",
        r.scenario.name,
        r.scenario.hash,
        r.scenario.phases.len()
    );
    let _ = writeln!(o, "- target `{}`", r.target.url);
    let _ = writeln!(o, "- files: `report.json` (schema {}), `junit.xml`, `timeseries.csv`, SVG charts, raw `/metrics` before and after", r.schema);
}

fn unit(u: &str) -> String {
    if u.is_empty() {
        String::new()
    } else {
        format!(" {u}")
    }
}

/// A counter value: counters are whole numbers, so no decimals.
fn count(v: f64) -> String {
    format!("{v:.0}")
}

fn count_opt(v: Option<f64>) -> String {
    v.map_or("not measured".into(), count)
}

fn fmt_opt(v: Option<f64>, u: &str) -> String {
    v.map_or("not measured".into(), |v| format!("{v:.2}{}", unit(u)))
}
