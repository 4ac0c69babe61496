//! Security events: what the target counted (provenance mismatches, revocations, …) and what
//! the client saw (forbidden calls correctly denied, and breaches: forbidden calls that
//! succeeded).

use super::common::{self, Source};
use crate::scenario::FlowKind;
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub const TARGET_TITLE: &str = "Security events";
pub const CLIENT_TITLE: &str = "Denials & breaches";

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let [target_area, client_area] = common::halves(area, 5);
    render_target(frame, target_area, data, theme);
    render_client(frame, client_area, data, theme);
}

/// Event types that are bad news whenever they appear.
fn slot_for(event: &str) -> Slot {
    if event.contains("breach") || event.contains("mismatch") {
        Slot::Warn
    } else {
        Slot::Text
    }
}

fn render_target(frame: &mut Frame, area: Rect, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(TARGET_TITLE, Source::Target, data, theme));
    let Some(events) = common::reading(data).and_then(|r| r.security_events.as_ref()) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    if events.totals.is_empty() {
        common::message(frame, inner, "no security events", theme);
        return;
    }
    let lines: Vec<Line> = common::sorted_totals(&events.totals)
        .into_iter()
        .map(|(name, v)| {
            Line::from(vec![
                Span::styled(format!("{:>8} ", format::count(v.max(0.0) as u64)), theme.style(slot_for(name))),
                Span::styled(name.replace('_', " "), theme.style(Slot::Text)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_client(frame: &mut Frame, area: Rect, data: &ViewData, theme: &Theme) {
    let inner = common::framed(frame, area, common::block(CLIENT_TITLE, Source::Client, data, theme));
    let flows: Vec<_> = data.snapshot.flows.iter().filter(|f| f.kind != FlowKind::Happy).collect();
    if flows.is_empty() {
        common::message(frame, inner, "no denial or security flows in this scenario", theme);
        return;
    }
    let denied: u64 = flows.iter().map(|f| f.correct_denials).sum();
    let breaches: u64 = flows.iter().map(|f| f.breaches).sum();
    let breach_slot = if breaches > 0 { Slot::Bad } else { Slot::Ok };
    let mut lines = vec![Line::from(vec![
        Span::styled(format::count(denied), theme.style(Slot::Ok)),
        Span::styled(" correctly denied  ", theme.style(Slot::Text)),
        Span::styled(format::count(breaches), theme.style(breach_slot)),
        Span::styled(" breaches", theme.style(breach_slot)),
    ])];
    for f in flows {
        let kind = match f.kind {
            FlowKind::Denial => "denial",
            FlowKind::Security => "security",
            FlowKind::Happy => "happy",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", format::truncate(&f.name, 20)), theme.style(Slot::Text)),
            Span::styled(format!("{kind}: {} denied", format::count(f.correct_denials)), theme.style(Slot::Muted)),
            Span::styled(
                if f.breaches > 0 { format!(", {} breached", format::count(f.breaches)) } else { String::new() },
                theme.style(Slot::Bad),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn target_events_and_client_verdicts() {
        let text = fixture::render_panel(super::render, 60, 14, false);
        assert!(text.contains("Security events · target"), "{text}");
        assert!(text.contains("Denials & breaches · client"), "{text}");
        assert!(text.contains("provenance mismatch"), "{text}");
        assert!(text.contains("revocation"), "{text}");
        assert!(text.contains("correctly denied"), "{text}");
        assert!(text.contains("1 breaches"), "{text}");
    }
}
