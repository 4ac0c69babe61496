//! Test data: a fixed run (3 tools and the tool-less "-", 90 seconds over three phases,
//! flows of every kind, a full target reading, one active chaos with its effect check, a few
//! events) and helpers that render it into a `TestBackend`.

use super::app::App;
use super::panels::PanelFn;
use super::theme::ThemeSet;
use super::view::{self, ViewData};
use crate::live::{ActiveChaos, ChaosView, EffectCheck, EffectVerdict, Event, LogEvent, TargetView};
use crate::metrics::{
    ErrorCounts, FailureSample, FlowView, PhaseView, Quantiles, RunStatus, SecondPoint, Snapshot, ToolView,
};
use crate::scenario::FlowKind;
use crate::scrape::profile::{Breakdown, CounterReading, LatencyReading, TargetReading};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::sync::Arc;

fn q(count: u64, p50: f64, p95: f64, p99: f64, max: f64) -> Quantiles {
    Quantiles {
        count,
        p50_ms: p50,
        p90_ms: (p50 + p95) / 2.0,
        p95_ms: p95,
        p99_ms: p99,
        max_ms: max,
        mean_ms: p50 * 1.2,
    }
}

fn tool(name: &str, requests: u64, upstream: u64, p99: f64) -> ToolView {
    let mut errors = ErrorCounts::default();
    errors.0[3] = upstream;
    ToolView {
        name: name.into(),
        by_flow: false,
        requests,
        ok: requests - upstream,
        errors,
        rps: if requests > 0 { 13.0 } else { 0.0 },
        latency: q(requests, 12.5, 40.0, p99, p99 * 5.0),
        service: q(requests, 11.0, 35.0, p99 * 0.8, p99 * 4.0),
        codes: vec![(200, requests - upstream), (500, upstream)],
    }
}

fn flow(name: &str, kind: FlowKind, denied: u64, breaches: u64) -> FlowView {
    FlowView {
        name: name.into(),
        kind,
        weight: 1.0,
        iterations: 100 + denied + breaches,
        ok: 100,
        failed: 0,
        correct_denials: denied,
        breaches,
    }
}

pub fn snapshot() -> Snapshot {
    let series: Vec<SecondPoint> = (0..90u32)
        .map(|t| {
            let base = 10 + u64::from(t % 7);
            let mut errors = [0u64; crate::metrics::shard::ERROR_CLASSES];
            if (45..55).contains(&t) {
                errors[3] = 4; // upstream errors while chaos is on
            }
            SecondPoint {
                t,
                phase: (t / 30) as usize,
                scheduled: 40,
                started: 40,
                completed: 3 * base,
                dropped: u64::from(t == 70) * 3,
                p50_ms: 12.0 + f64::from(t % 5),
                p95_ms: 30.0 + f64::from(t % 9),
                p99_ms: 55.0 + f64::from(t % 13) * 5.0,
                errors,
                tool_completed: vec![base, base, base, 0].into(),
                tool_errors: vec![errors[3], 0, 0, 0].into(),
                tool_p99_ms: vec![40.0, 12.0, 90.0, 0.0].into(),
            }
        })
        .collect();
    Snapshot {
        elapsed_s: 90.4,
        status: RunStatus::Running,
        phase: Some(PhaseView {
            index: 2,
            count: 4,
            name: "soak".into(),
            elapsed_s: 25.0,
            duration_s: 60.0,
            next: Some("cooldown".into()),
        }),
        rate_multiplier: 1.0,
        scheduled_rate: 40.0,
        achieved_rps: 38.5,
        arrivals: 3600,
        started: 3597,
        dropped: 3,
        inflight: 12,
        completed: 4000,
        tools: vec![
            tool("serpapi", 1500, 40, 180.0),
            tool("http_fetch", 1300, 0, 60.0),
            tool("openai", 1200, 0, 90.0),
            ToolView { by_flow: true, ..tool("health", 0, 0, 0.0) },
        ],
        flows: vec![
            flow("search", FlowKind::Happy, 0, 0),
            flow("forbidden-send", FlowKind::Denial, 50, 1),
            flow("bad-proof", FlowKind::Security, 20, 0),
        ],
        kpi_latency: q(3000, 12.0, 38.0, 120.0, 900.0),
        kpi_ok: 980,
        kpi_total: 1000,
        fast_fail: q(12, 1.2, 3.0, 4.5, 6.0),
        dispatch_lag: Quantiles::default(),
        cache_hit: Quantiles::default(),
        cache_miss: Quantiles::default(),
        series: series.into(),
        own_cpu_pct: Some(12.5),
        own_cpu_seconds: Some(12.0),
        failures: Arc::new(vec![FailureSample {
            tool: "serpapi".into(),
            class: crate::metrics::ErrorClass::Upstream,
            detail: "HTTP 500 {\"error\":\"Injected failure (chaos)\"}".into(),
            count: 40,
        }]),
        own_rss_bytes: Some(50 * 1024 * 1024),
        distribution: None,
    }
}

fn counter(total: f64, rate: f64) -> CounterReading {
    CounterReading { total, rate_per_sec: Some(rate) }
}

fn map<V>(items: Vec<(&str, V)>) -> BTreeMap<String, V> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

pub fn target(stale: bool) -> TargetView {
    let reading = TargetReading {
        window_secs: Some(2.0),
        requests: Some(counter(4100.0, 39.0)),
        requests_by_tool: Some(map(vec![
            ("serpapi", counter(1550.0, 14.5)),
            ("http_fetch", counter(1320.0, 12.0)),
            ("openai", counter(1230.0, 12.5)),
        ])),
        success_pct: Some(99.2),
        latency: Some(LatencyReading { p50_ms: Some(11.0), p95_ms: Some(35.0), p99_ms: Some(170.0), count: 78.0 }),
        errors_by_type: Some(map(vec![("upstream_5xx", counter(40.0, 1.5)), ("timeout", counter(3.0, 0.0))])),
        breaker_by_tool: Some(map(vec![("serpapi", 2), ("http_fetch", 0), ("openai", 1)])),
        cache_hits: Some(counter(400.0, 1.2)),
        cache_misses: Some(counter(300.0, 0.9)),
        cache_hit_pct: Some(57.14),
        token_rotations: Some(counter(42.0, 0.5)),
        policy_denials: Some(Breakdown {
            label: "reason".into(),
            totals: map(vec![("scope_denied", 120.0), ("time_window", 30.0), ("budget_exceeded", 5.0)]),
        }),
        security_events: Some(Breakdown {
            label: "event_type".into(),
            totals: map(vec![("provenance_mismatch", 3.0), ("revocation", 2.0)]),
        }),
        cpu_pct_of_core: Some(35.0),
        rss_bytes: Some(85_144_371.0),
        event_loop_lag_ms: Some(3.2),
        ..Default::default()
    };
    TargetView {
        reading: Some(reading),
        stale,
        last_error: stale.then(|| "timed out after 3s".to_string()),
        scrapes_ok: 40,
        scrapes_failed: u64::from(stale),
        unreadable_lines: 0,
        event_loop_lag_max_ms: Some(3.2),
        // Every scrape (2 s): the target's own p99 sits a few ms under the client's.
        target_p99_ms: (1..45u32).map(|i| (f64::from(2 * i) + 0.3, 40.0 + f64::from(i % 6) * 4.0)).collect(),
    }
}

pub fn chaos() -> ChaosView {
    ChaosView {
        active: vec![ActiveChaos { tool: "serpapi".into(), mode: "500".into(), pct: 25.0 }],
        checks: vec![EffectCheck {
            id: 1,
            by: "by key".into(),
            tool: "serpapi".into(),
            mode: "500".into(),
            pct: 25.0,
            injected_at_s: 45.0,
            verdict: EffectVerdict::Observed,
            detail: "error rate 0.1% before, 24% after".into(),
        }],
        last_error: None,
        unavailable: None,
    }
}

pub fn events() -> Vec<LogEvent> {
    vec![
        LogEvent::new(30.0, Event::PhaseStarted { index: 1, name: "spike".into() }),
        LogEvent::new(
            45.0,
            Event::ChaosInjected { id: 1, tool: "serpapi".into(), mode: "500".into(), pct: 25.0, by: "by key".into() },
        ),
        LogEvent::new(50.0, Event::Breaker { tool: "serpapi".into(), from: 0, to: 2 }),
        LogEvent::new(60.0, Event::PhaseStarted { index: 2, name: "soak".into() }),
        LogEvent::new(75.0, Event::ScrapeFailed { error: "scrape timed out after 3s".into() }),
    ]
}

/// An app that has watched the run: knows its tools, phases and breaker states.
pub fn app() -> App {
    let mut app = App::new(ThemeSet::default());
    app.phase_names.insert(0, "warmup".into());
    app.phase_names.insert(1, "spike".into());
    app.observe_snapshot(&snapshot());
    app.observe_target(&target(false), 60.0);
    app
}

/// The seed Grafana dashboard evaluated over 30 scrapes (2 s apart, ending at the fixture's
/// 90 s) of the real gateway's exposition, its counters and buckets rising at every scrape:
/// the real names reach the dashboard's through the 4runr profile.
pub fn dashboard_view() -> crate::dashboard::DashboardView {
    let board =
        crate::dashboard::model::parse("gateway.json", include_str!("../../tests/fixtures/grafana/gateway.json"))
            .expect("the seed dashboard");
    let timing = crate::dashboard::Timing {
        scrape_interval: std::time::Duration::from_secs(2),
        range: std::time::Duration::from_secs(3600),
    };
    let mut live = crate::dashboard::LiveDashboard::new(
        crate::dashboard::Compiled::new(board, timing),
        &crate::scrape::profile_file::four_runr(),
    );
    let text = include_str!("../../tests/fixtures/prometheus/4runr-live-sample.prom");
    for i in 0..30u32 {
        let bumped: String = text
            .lines()
            .map(|l| match l.rsplit_once(' ') {
                Some((series, v))
                    if !l.starts_with('#') && (series.contains("_total") || series.contains("_bucket")) =>
                {
                    // Uneven steps, so rates move like a real run's.
                    let step = f64::from(i) * (3.0 + f64::from(i % 4));
                    format!("{series} {}\n", v.parse::<f64>().unwrap_or(0.0) + step)
                }
                _ => format!("{l}\n"),
            })
            .collect();
        let t = 32.0 + 2.0 * f64::from(i);
        live.observe(1_800_000_000_000 + (t * 1000.0) as i64, t, &crate::scrape::parser::parse(&bumped));
    }
    live.view().clone()
}

/// Owned data behind a `ViewData`, editable by tests.
pub struct Owned {
    pub snapshot: Snapshot,
    pub target: TargetView,
    pub chaos: ChaosView,
    pub events: Vec<LogEvent>,
    pub baseline: Option<crate::report::baseline::Baseline>,
    pub dashboard: Option<crate::dashboard::DashboardView>,
}

impl Owned {
    pub fn new(stale: bool) -> Self {
        Self {
            snapshot: snapshot(),
            target: target(stale),
            chaos: chaos(),
            events: events(),
            baseline: None,
            dashboard: None,
        }
    }

    pub fn view(&self) -> ViewData<'_> {
        ViewData {
            snapshot: &self.snapshot,
            target: &self.target,
            chaos: &self.chaos,
            events: &self.events,
            scenario: "proof-campaign",
            target_url: "http://127.0.0.1:3000",
            dashboard: self.dashboard.as_ref(),
            baseline: self.baseline.as_ref(),
        }
    }
}

pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let row: String =
                (area.left()..area.right()).map(|x| buf.cell((x, y)).map_or(" ", |c| c.symbol())).collect();
            row.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render_buffer(app: &App, owned: &Owned, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    let data = owned.view();
    terminal.draw(|f| view::render(f, app, &data)).expect("test backend draws");
    terminal.backend().buffer().clone()
}

pub fn render_screen(app: &App, owned: &Owned, w: u16, h: u16) -> String {
    buffer_text(&render_buffer(app, owned, w, h))
}

/// One panel alone, filling a `w`×`h` screen.
pub fn render_panel(panel: PanelFn, w: u16, h: u16, stale: bool) -> String {
    render_owned(panel, w, h, &Owned::new(stale))
}

/// One panel alone, on fixture data changed by `edit`.
pub fn render_panel_with(panel: PanelFn, w: u16, h: u16, edit: impl FnOnce(&mut Owned)) -> String {
    let mut owned = Owned::new(false);
    edit(&mut owned);
    render_owned(panel, w, h, &owned)
}

fn render_owned(panel: PanelFn, w: u16, h: u16, owned: &Owned) -> String {
    let app = app();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    let data = owned.view();
    terminal
        .draw(|f| {
            let area = f.area();
            panel(f, area, &app, &data, app.theme());
        })
        .expect("test backend draws");
    buffer_text(terminal.backend().buffer())
}
