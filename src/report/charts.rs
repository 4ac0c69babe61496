//! The report's SVG charts, with phase markers.

use super::svg_chart::{render, Chart, Marker, MarkerKind, Series};
use super::RunReport;
use crate::live::Event;
use crate::metrics::ErrorClass;

const PALETTE: [&str; 8] = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

fn markers(r: &RunReport) -> Vec<Marker> {
    let phases =
        r.phases.iter().map(|p| Marker { x: f64::from(p.start_s), label: p.name.clone(), kind: MarkerKind::Phase });
    let chaos = r.events.iter().filter_map(|e| {
        let (kind, label) = match e.event.as_ref()? {
            Event::ChaosInjected { tool, mode, pct, .. } => (MarkerKind::Chaos, format!("inject {tool} {mode} {pct}%")),
            Event::ChaosCleared { tool, .. } => (MarkerKind::ChaosClear, format!("clear {tool}")),
            Event::Breaker { tool, to, .. } => {
                (MarkerKind::Breaker, format!("{tool} breaker {}", crate::live::breaker_state_name(*to)))
            }
            _ => return None,
        };
        Some(Marker { x: e.t_s, label, kind })
    });
    phases.chain(chaos).collect()
}

fn series(name: &str, color: usize, r: &RunReport, f: impl Fn(&crate::metrics::SecondPoint) -> f64) -> Series {
    Series {
        name: name.into(),
        points: r.series.iter().map(|p| (f64::from(p.t), f(p))).collect(),
        color: PALETTE[color % PALETTE.len()].into(),
    }
}

pub fn render_all(r: &RunReport) -> Vec<(String, String)> {
    let mut rate = vec![
        series("scheduled arrivals", 0, r, |p| p.scheduled as f64),
        series("completed requests", 1, r, |p| p.completed as f64),
    ];
    for (i, t) in r.tools.iter().enumerate() {
        rate.push(series(&t.name, i + 2, r, move |p| p.tool_completed.get(i).copied().unwrap_or(0) as f64));
    }
    let rate = Chart {
        title: "Request rate".into(),
        y_unit: "req/s".into(),
        series: rate,
        markers: markers(r),
        ..Default::default()
    };
    let mut latency_series =
        vec![series("p50", 1, r, |p| p.p50_ms), series("p95", 4, r, |p| p.p95_ms), series("p99", 2, r, |p| p.p99_ms)];
    if !r.target_p99_ms.is_empty() {
        latency_series.push(Series {
            name: "target p99 (its own histogram, per scrape)".into(),
            points: r.target_p99_ms.clone(),
            color: PALETTE[3].into(),
        });
    }
    let latency = Chart {
        title: "Latency percentiles (from intended start)".into(),
        y_unit: "ms".into(),
        series: latency_series,
        markers: markers(r),
        log_y: true,
        ..Default::default()
    };
    let errors = Chart {
        title: "Errors by class".into(),
        y_unit: "errors/s".into(),
        series: ErrorClass::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| series(c.name(), i, r, move |p| p.errors[c.index()] as f64))
            .collect(),
        markers: markers(r),
        ..Default::default()
    };
    let breakers = Chart {
        title: "Circuit breaker state (target-scraped)".into(),
        y_unit: String::new(),
        series: r
            .breakers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                // A step line from closed at the start through every transition to the end.
                let mut points = vec![(0.0, 0.0)];
                points.extend(b.transitions.iter().map(|(t, s)| (*t, f64::from(*s))));
                let last = points.last().map_or(0.0, |p| p.1);
                points.push((r.duration_s, last));
                Series { name: b.tool.clone(), points, color: PALETTE[i % PALETTE.len()].into() }
            })
            .collect(),
        markers: markers(r),
        step: true,
        y_labels: Some(vec![(0.0, "closed".into()), (1.0, "half-open".into()), (2.0, "open".into())]),
        ..Default::default()
    };
    let mut all = vec![
        ("rate.svg".to_string(), render(&rate, 960, 360)),
        ("latency.svg".to_string(), render(&latency, 960, 360)),
        ("errors.svg".to_string(), render(&errors, 960, 360)),
        ("breakers.svg".to_string(), render(&breakers, 960, 300)),
    ];
    all.extend(super::dashboard::charts(r, &PALETTE, &markers(r)));
    all
}
