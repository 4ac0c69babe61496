//! The capacity search on screen: the steps so far on a rate → p99 chart and in a table with
//! their verdicts, the current step's progress, and the capacity so far. `q` or Ctrl-C stops
//! the search (the current step drains); once it is over, `q` closes the screen.

use super::run::{InputThread, MIN_FRAME};
use super::terminal::TerminalGuard;
use super::theme::{Slot, Theme, ThemeSet};
use crate::capacity::model::StepVerdict;
use crate::capacity::SearchView;
use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, Gauge, GraphType, Paragraph, Row, Table};
use ratatui::Frame;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Starts the screen as a task (a `capacity::Screen`); a screen that cannot start says so,
/// and the search goes on without it.
pub fn spawn(
    view: watch::Receiver<SearchView>,
    theme: Option<String>,
    stop: Arc<watch::Sender<bool>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let quit = move || {
            let _ = stop.send(true);
        };
        if let Err(e) = run(view, theme.as_deref(), quit).await {
            crate::stop::say(&format!("the search screen failed ({e}); the search goes on"));
        }
    })
}

/// Shows the search until it is over and the user closes the screen (or the terminal goes
/// away). `stop` is called on `q` or Ctrl-C while the search runs.
pub async fn run(mut view: watch::Receiver<SearchView>, theme: Option<&str>, stop: impl Fn()) -> std::io::Result<()> {
    let (themes, _) = ThemeSet::load(theme);
    let theme = themes.current().clone();
    let mut guard = TerminalGuard::new()?;
    let (key_tx, mut keys) = mpsc::unbounded_channel();
    let _input = InputThread::spawn(key_tx);
    let mut tick = tokio::time::interval(MIN_FRAME * 5);
    let mut open = true;
    loop {
        let current = view.borrow_and_update().clone();
        guard.terminal().draw(|f| render(f, &current, &theme))?;
        tokio::select! {
            ev = keys.recv() => {
                let Some(ev) = ev else { return Ok(()) };
                if let Event::Key(k) = ev {
                    let quit = k.kind == KeyEventKind::Press
                        && (matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
                            || (k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL)));
                    if quit {
                        if current.finished.is_some() {
                            return Ok(());
                        }
                        stop();
                    }
                }
            }
            changed = view.changed(), if open => open = changed.is_ok(),
            _ = tick.tick() => {}
        }
    }
}

pub fn render(f: &mut Frame, v: &SearchView, theme: &Theme) {
    let area = f.area();
    f.render_widget(Block::default().style(theme.style(Slot::Text)), area);
    let [head, progress, body, foot] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Min(6), Constraint::Length(1)])
            .areas(area);
    let title = Line::from(vec![
        Span::styled("capacity search ", theme.style(Slot::Title)),
        Span::styled(v.title.clone(), theme.style(Slot::Text)),
    ]);
    let kpis = Line::from(Span::styled(v.kpis.clone(), theme.style(Slot::Muted)));
    f.render_widget(Paragraph::new(vec![title, kpis]), head);
    render_progress(f, progress, v, theme);
    let [chart, table] = if body.width >= 100 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
    };
    render_chart(f, chart, v, theme);
    render_steps(f, table, v, theme);
    let so_far = crate::capacity::model::fmt_rate(v.capacity);
    let foot_text = match (&v.finished, v.stopping) {
        (Some(finding), _) => format!("q closes · {finding}"),
        (None, true) => "stopping: the current step drains, then the search ends".to_string(),
        (None, false) => format!("capacity so far {so_far} · q stops the search"),
    };
    f.render_widget(Paragraph::new(Span::styled(foot_text, theme.style(Slot::Accent))), foot);
}

fn render_progress(f: &mut Frame, area: Rect, v: &SearchView, theme: &Theme) {
    match v.current {
        Some((n, rate, seconds, started)) if v.finished.is_none() => {
            let done = started.elapsed().as_secs_f64();
            let ratio = (done / seconds.max(1e-3)).clamp(0.0, 1.0);
            let label = format!("step {n} at {rate:.1} arrivals/s · {done:.0} / {seconds:.0} s");
            let gauge = Gauge::default().gauge_style(theme.style(Slot::Accent)).ratio(ratio).label(label);
            f.render_widget(gauge, area);
        }
        _ => f.render_widget(
            Paragraph::new(Span::styled(
                if v.finished.is_some() { "search over" } else { "starting…" },
                theme.style(Slot::Muted),
            )),
            area,
        ),
    }
}

/// Rate → p99 of the judged steps (held and broken apart), with the p99 target as a line;
/// values far above the target are drawn at the chart's top.
fn render_chart(f: &mut Frame, area: Rect, v: &SearchView, theme: &Theme) {
    let judged = |held: bool| -> Vec<(f64, f64)> {
        v.steps
            .iter()
            .filter(|s| match s.verdict {
                StepVerdict::Held => held,
                StepVerdict::Broke { .. } => !held,
                _ => false,
            })
            .map(|s| (s.measure.rate, s.measure.p99_ms))
            .collect()
    };
    let (mut held, mut broke) = (judged(true), judged(false));
    let x_max = held.iter().chain(&broke).map(|p| p.0).fold(1.0, f64::max) * 1.05;
    let y_top = (v.p99_target_ms * 3.0).max(held.iter().map(|p| p.1).fold(1.0, f64::max) * 1.2);
    for point in held.iter_mut().chain(broke.iter_mut()) {
        point.1 = point.1.min(y_top);
    }
    let target = [(0.0, v.p99_target_ms), (x_max, v.p99_target_ms)];
    let datasets = vec![
        dataset("p99 target", GraphType::Line, Slot::Muted, &target, theme),
        dataset("held", GraphType::Scatter, Slot::Ok, &held, theme),
        dataset("broke", GraphType::Scatter, Slot::Bad, &broke, theme),
    ];
    let axis_style = theme.style(Slot::Muted);
    let chart = Chart::new(datasets)
        .block(block("p99 by arrival rate · client", theme))
        .x_axis(
            Axis::default()
                .bounds([0.0, x_max])
                .style(axis_style)
                .labels(vec![Span::raw("0"), Span::raw(format!("{x_max:.0}/s"))]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_top])
                .style(axis_style)
                .labels(vec![Span::raw("0"), Span::raw(format!("{y_top:.0} ms"))]),
        );
    f.render_widget(chart, area);
}

/// A line in braille, or points as dots.
fn dataset<'a>(name: &'a str, kind: GraphType, slot: Slot, data: &'a [(f64, f64)], theme: &Theme) -> Dataset<'a> {
    let marker = if kind == GraphType::Line { Marker::Braille } else { Marker::Dot };
    Dataset::default().name(name).marker(marker).graph_type(kind).style(theme.style(slot)).data(data)
}

fn render_steps(f: &mut Frame, area: Rect, v: &SearchView, theme: &Theme) {
    let rows: Vec<Row> = v
        .steps
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| {
            let (word, slot) = match &s.verdict {
                StepVerdict::Held => ("held".to_string(), Slot::Ok),
                StepVerdict::Broke { kpi, .. } => (format!("broke: {kpi}"), Slot::Bad),
                StepVerdict::ClientLimited { .. } => ("client limit".to_string(), Slot::Warn),
                StepVerdict::TooFewSamples { .. } => ("too few samples".to_string(), Slot::Warn),
                StepVerdict::Aborted { .. } => ("aborted".to_string(), Slot::Bad),
            };
            Row::new(vec![
                format!("{}", i + 1),
                format!("{:.1}", s.measure.rate),
                format!("{:.1}", s.measure.p99_ms),
                s.measure.success_pct().map_or("—".into(), |p| format!("{p:.2}%")),
                word,
            ])
            .style(theme.style(slot))
        })
        .collect();
    let header = Row::new(vec!["#", "rate/s", "p99 ms", "success", "verdict"]).style(theme.style(Slot::Muted));
    let widths = [
        Constraint::Length(3),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Min(8),
    ];
    f.render_widget(Table::new(rows, widths).header(header).block(block("steps", theme)), area);
}

fn block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Border))
        .title(Span::styled(title, theme.style(Slot::Title)))
        .style(Style::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::model::{Step, StepMeasure};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use std::time::Instant;

    fn step(rate: f64, p99: f64, verdict: StepVerdict) -> Step {
        Step { measure: StepMeasure { rate, p99_ms: p99, samples: 500, ok: 500, ..StepMeasure::default() }, verdict }
    }

    fn text(v: &SearchView, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let theme = ThemeSet::load(None).0.current().clone();
        t.draw(|f| render(f, v, &theme)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>() + "\n").collect()
    }

    #[test]
    fn steps_verdicts_and_the_current_step_fit_80_by_24() {
        let v = SearchView {
            title: "quick → http://127.0.0.1:8080".into(),
            kpis: "p99 ≤ 60 ms · success ≥ 99.5%".into(),
            p99_target_ms: 60.0,
            steps: vec![
                step(50.0, 12.0, StepVerdict::Held),
                step(100.0, 900.0, StepVerdict::Broke { kpi: "p99".into(), detail: "p99 900 ms > 60 ms".into() }),
            ],
            current: Some((3, 75.0, 10.0, Instant::now())),
            capacity: Some(50.0),
            ..SearchView::default()
        };
        let screen = text(&v, 80, 24);
        assert!(screen.contains("capacity search quick"), "{screen}");
        assert!(screen.contains("step 3 at 75.0 arrivals/s"), "{screen}");
        assert!(screen.contains("broke: p99"), "{screen}");
        assert!(screen.contains("held"), "{screen}");
        assert!(screen.contains("capacity so far 50.0 arrivals/s"), "{screen}");
        let done = SearchView { finished: Some("capacity 75.0 arrivals/s".into()), ..v };
        assert!(text(&done, 80, 24).contains("q closes · capacity 75.0 arrivals/s"));
    }
}
