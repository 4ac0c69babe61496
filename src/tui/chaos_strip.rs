//! The chaos strip: per tool, the chaos the target reports (mode, pct) and the verdict of
//! the effect check, so an injection without observable effect is never mistaken for proof.

use super::app::App;
use super::format;
use super::theme::{Slot, Theme};
use super::view_data::ViewData;
use crate::live::{EffectCheck, EffectVerdict};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Rows the strip wants at `width`, at most `max`.
pub fn height(app: &App, data: &ViewData, theme: &Theme, width: u16, max: u16) -> u16 {
    if width == 0 {
        return 0;
    }
    let w = line(app, data, theme).width() as u32;
    let rows = w.div_ceil(u32::from(width)).max(1);
    rows.min(u32::from(max)) as u16
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let p = Paragraph::new(line(app, data, theme)).wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}

pub fn verdict(v: &EffectVerdict) -> (&'static str, Slot) {
    match v {
        EffectVerdict::Pending => ("checking effect…", Slot::Muted),
        EffectVerdict::Observed => ("effect observed", Slot::Ok),
        EffectVerdict::Absorbed => ("absorbed by the target", Slot::Ok),
        EffectVerdict::NoObservedEffect => ("injected, no observed effect", Slot::Bad),
        EffectVerdict::NotEnoughTraffic => ("too little traffic to check", Slot::Warn),
    }
}

/// The latest effect check for `tool`.
fn latest_check<'a>(checks: &'a [EffectCheck], tool: &str) -> Option<&'a EffectCheck> {
    checks.iter().filter(|c| c.tool == tool).max_by(|a, b| a.injected_at_s.total_cmp(&b.injected_at_s))
}

fn line<'a>(app: &App, data: &ViewData, theme: &Theme) -> Line<'a> {
    let chaos = data.chaos;
    let mut spans = vec![Span::styled("chaos ", theme.style(Slot::Muted))];
    if let Some(why) = &chaos.unavailable {
        spans.push(Span::styled(why.clone(), theme.style(Slot::Muted)));
        return Line::from(spans);
    }
    // Selectable tools first, then any tool the target reports chaos on that we do not call.
    let mut tools: Vec<&str> = app.tools.iter().map(String::as_str).collect();
    for a in &chaos.active {
        if !tools.contains(&a.tool.as_str()) {
            tools.push(&a.tool);
        }
    }
    if tools.is_empty() {
        spans.push(Span::styled("no tools yet", theme.style(Slot::Muted)));
    }
    for (i, tool) in tools.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.style(Slot::Border)));
        }
        let name_style =
            if app.selected_tool() == Some(*tool) { theme.style(Slot::Highlight) } else { theme.style(Slot::Text) };
        spans.push(Span::styled(format::truncate(tool, 16), name_style));
        match chaos.active.iter().find(|a| a.tool == *tool) {
            Some(a) => {
                spans.push(Span::styled(format!(" {} {}%", a.mode, trim_pct(a.pct)), theme.style(Slot::Warn)));
                if let Some(check) = latest_check(&chaos.checks, tool) {
                    let (text, slot) = verdict(&check.verdict);
                    spans.push(Span::styled(format!(" {text}"), theme.style(slot)));
                }
            }
            None => spans.push(Span::styled(" off", theme.style(Slot::Muted))),
        }
    }
    if let Some(e) = &chaos.last_error {
        spans.push(Span::styled(format!("  ! chaos API: {e}"), theme.style(Slot::Bad)));
    }
    Line::from(spans)
}

/// "25" rather than "25.0", "2.5" kept.
fn trim_pct(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}
