//! The header: what is being tested (target, scenario), where the run is (phase, progress,
//! next phase, elapsed / remaining) and how the load is going (scheduled vs achieved RPS,
//! in-flight, dropped, paused / multiplier).

use super::app::App;
use super::format;
use super::theme::{Slot, Theme};
use super::view_data::ViewData;
use crate::metrics::RunStatus;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub const HEIGHT: u16 = 3;

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(area);
    let status = status_span(data, app, theme);
    let status_w = (status.width() as u16).min(area.width / 2);
    let [ident, badge] = Layout::horizontal([Constraint::Min(0), Constraint::Length(status_w)]).areas(rows[0]);
    frame.render_widget(Paragraph::new(identity(data, theme)), ident);
    frame.render_widget(Paragraph::new(Line::from(status).right_aligned()), badge);
    if let Some(r) = rows.get(1) {
        frame.render_widget(Paragraph::new(phase_line(data, theme, r.width)), *r);
    }
    if let Some(r) = rows.get(2) {
        frame.render_widget(Paragraph::new(load_line(data, theme)), *r);
    }
}

fn identity<'a>(data: &ViewData, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled("proofdeck ", theme.style(Slot::Title)),
        Span::styled(data.scenario.to_string(), theme.style(Slot::Accent)),
        Span::styled(" → ", theme.style(Slot::Muted)),
        Span::styled(data.target_url.to_string(), theme.style(Slot::Text)),
    ])
}

/// The run state as a short badge, with the live rate multiplier when it is not 1.
fn status_span<'a>(data: &ViewData, app: &App, theme: &Theme) -> Span<'a> {
    let s = data.snapshot;
    let (text, slot) = match &s.status {
        RunStatus::Starting => ("starting".to_string(), Slot::Muted),
        RunStatus::Setup { done, total } => (format!("setup {done}/{total}"), Slot::Accent),
        RunStatus::Running => ("● running".to_string(), Slot::Ok),
        RunStatus::Paused => ("❚❚ PAUSED".to_string(), Slot::Warn),
        RunStatus::Draining => ("draining".to_string(), Slot::Accent),
        RunStatus::Finished => ("■ finished".to_string(), Slot::Ok),
        RunStatus::Interrupted => ("■ interrupted".to_string(), Slot::Warn),
        RunStatus::Aborted { reason } => (format!("aborted: {reason}"), Slot::Bad),
    };
    let mult =
        if (s.rate_multiplier - 1.0).abs() > 1e-9 { format!("  ×{:.2}", s.rate_multiplier) } else { String::new() };
    let window = format!("  window {}", app.window.label());
    Span::styled(format!("{text}{mult}{window} "), theme.style(slot))
}

fn phase_line<'a>(data: &ViewData, theme: &Theme, width: u16) -> Line<'a> {
    let s = data.snapshot;
    let muted = theme.style(Slot::Muted);
    let text = theme.style(Slot::Text);
    let Some(p) = &s.phase else {
        return Line::from(vec![
            Span::styled("phase ", muted),
            Span::styled("–", text),
            Span::styled(format!("   elapsed {}", format::duration(s.elapsed_s)), muted),
        ]);
    };
    let ratio = if p.duration_s > 0.0 { (p.elapsed_s / p.duration_s).clamp(0.0, 1.0) } else { 0.0 };
    let head = vec![
        Span::styled(format!("phase {}/{} ", p.index + 1, p.count), muted),
        Span::styled(format!("{} ", p.name), theme.style(Slot::Accent)),
    ];
    let times = format!(" {}/{} ", format::duration(p.elapsed_s), format::duration(p.duration_s));
    let mut tail = vec![Span::styled(times, text)];
    if let Some(next) = &p.next {
        tail.push(Span::styled("→ next ", muted));
        tail.push(Span::styled(next.clone(), text));
    } else {
        tail.push(Span::styled("last phase", muted));
    }
    tail.push(Span::styled(
        format!(
            "   elapsed {} · phase left {}",
            format::duration(s.elapsed_s),
            format::duration(p.duration_s - p.elapsed_s)
        ),
        muted,
    ));
    // The progress bar takes what is left, between 0 and 24 cells.
    let used: usize = head.iter().chain(tail.iter()).map(Span::width).sum();
    let bar_w = usize::from(width).saturating_sub(used).min(24);
    let filled = ((bar_w as f64) * ratio).round() as usize;
    let mut spans = head;
    spans.push(Span::styled("━".repeat(filled), theme.style(Slot::Accent)));
    spans.push(Span::styled("─".repeat(bar_w - filled.min(bar_w)), muted));
    spans.extend(tail);
    Line::from(spans)
}

fn load_line<'a>(data: &ViewData, theme: &Theme) -> Line<'a> {
    let s = data.snapshot;
    let muted = theme.style(Slot::Muted);
    let text = theme.style(Slot::Text);
    // Achieved well below scheduled means the target (or proofdeck) cannot keep up.
    let achieved_slot =
        if s.scheduled_rate > 0.0 && s.achieved_rps < 0.9 * s.scheduled_rate { Slot::Warn } else { Slot::Ok };
    let dropped_slot = if s.dropped > 0 { Slot::Bad } else { Slot::Text };
    let errors = s.errors().total();
    let requests = s.requests();
    let err_pct = if requests > 0 { 100.0 * errors as f64 / requests as f64 } else { 0.0 };
    let err_slot = if errors > 0 { Slot::Warn } else { Slot::Text };
    Line::from(vec![
        Span::styled("rps ", muted),
        Span::styled(format::rate(s.scheduled_rate), text),
        Span::styled(" scheduled / ", muted),
        Span::styled(format::rate(s.achieved_rps), theme.style(achieved_slot)),
        Span::styled(" achieved", muted),
        Span::styled("   in-flight ", muted),
        Span::styled(format::count(s.inflight), text),
        Span::styled("   dropped ", muted),
        Span::styled(format::count(s.dropped), theme.style(dropped_slot)),
        Span::styled("   requests ", muted),
        Span::styled(format::count(requests), text),
        Span::styled("   errors ", muted),
        Span::styled(format::pct(err_pct), theme.style(err_slot)),
    ])
}
