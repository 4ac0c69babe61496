//! The event log: phase changes, chaos, breaker transitions, scrape failures and
//! reconciliation flags, newest last.

use super::common::{self, Source};
use crate::live::{EventKind, LogEvent};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub const TITLE: &str = "Event log";

fn kind(kind: EventKind) -> (&'static str, Slot) {
    match kind {
        EventKind::Phase => ("phase", Slot::Accent),
        EventKind::Chaos => ("chaos", Slot::Warn),
        EventKind::Breaker => ("breaker", Slot::Warn),
        EventKind::Scrape => ("scrape", Slot::Bad),
        EventKind::Reconcile => ("reconcile", Slot::Bad),
        EventKind::Control => ("control", Slot::Muted),
        EventKind::Report => ("report", Slot::Ok),
        EventKind::Failure => ("failure", Slot::Bad),
    }
}

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let inner = common::framed(frame, area, common::block(TITLE, Source::Client, data, theme));
    if data.events.is_empty() {
        common::message(frame, inner, "no events yet", theme);
        return;
    }
    // Newest last: the tail that fits.
    let n = usize::from(inner.height);
    let start = data.events.len().saturating_sub(n);
    let lines: Vec<Line> = data.events[start..].iter().map(|e| line(e, theme)).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn line(e: &LogEvent, theme: &Theme) -> Line<'static> {
    let (name, slot) = kind(e.kind);
    Line::from(vec![
        Span::styled(format!("{:>7} ", format::clock(e.t_s)), theme.style(Slot::Muted)),
        Span::styled(format!("{name:<9} "), theme.style(slot)),
        Span::styled(e.text.clone(), theme.style(Slot::Text)),
    ])
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn newest_last_and_tail_only() {
        let text = fixture::render_panel(super::render, 60, 8, false);
        assert!(text.contains("Event log · client"), "{text}");
        let chaos = text.find("#1 inject serpapi 500 25% (by key)").expect(&text);
        let scrape = text.find("scrape timed out").expect(&text);
        assert!(chaos < scrape, "newest last:\n{text}");
        // 3 rows inside: the oldest event is cut
        let text = fixture::render_panel(super::render, 60, 5, false);
        assert!(!text.contains("phase spike"), "{text}");
        assert!(text.contains("scrape timed out"), "{text}");
        let text = fixture::render_panel_with(super::render, 60, 5, |d| d.events.clear());
        assert!(text.contains("no events yet"), "{text}");
    }
}
