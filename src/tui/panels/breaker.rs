//! Circuit breaker state per tool, as the target reports it, with the time in that state as
//! far as the cockpit has watched it.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

pub const TITLE: &str = "Circuit breakers";

/// The gauge's value as a name and the slot it is drawn in.
pub fn state(value: u8) -> (&'static str, Slot) {
    match value {
        0 => ("closed", Slot::Ok),
        1 => ("half-open", Slot::Warn),
        _ => ("open", Slot::Bad),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let inner = common::framed(frame, area, common::block(TITLE, Source::Target, data, theme));
    let Some(states) = common::reading(data).and_then(|r| r.breaker_by_tool.as_ref()) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    if states.is_empty() {
        common::message(frame, inner, "no breakers reported", theme);
        return;
    }
    let now = data.snapshot.elapsed_s;
    let header = Row::new(["tool", "state", "for"]).style(theme.style(Slot::Muted));
    let rows = states.iter().map(|(tool, &value)| {
        let (name, slot) = state(value);
        // Time in state is only known from the first change the cockpit saw; before that it
        // is a lower bound.
        let since = app.breakers.get(tool).filter(|b| b.state == value).map(|b| {
            let prefix = if b.seen_change { "" } else { "≥" };
            format!("{prefix}{}", format::duration(now - b.since_s))
        });
        let tool_style = if app.selected_tool() == Some(tool.as_str()) {
            theme.style(Slot::Highlight)
        } else {
            theme.style(Slot::Text)
        };
        Row::new([
            Cell::from(Span::styled(format::truncate(tool, 14), tool_style)),
            Cell::from(Span::styled(format!("● {name}"), theme.style(slot))),
            Cell::from(Span::styled(since.unwrap_or_else(|| "–".into()), theme.style(Slot::Muted))),
        ])
    });
    let widths = [Constraint::Min(8), Constraint::Length(11), Constraint::Length(8)];
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn shows_states_and_time_in_state() {
        let text = fixture::render_panel(super::render, 40, 8, false);
        assert!(text.contains("Circuit breakers · target"), "{text}");
        assert!(text.contains("open"), "{text}");
        assert!(text.contains("half-open"), "{text}");
        assert!(text.contains("closed"), "{text}");
        assert!(text.contains("≥"), "first state seen is a lower bound:\n{text}");
    }

    #[test]
    fn no_data_without_a_reading() {
        let text = fixture::render_panel_with(super::render, 40, 8, |d| d.target.reading = None);
        assert!(text.contains("no data"), "{text}");
    }
}
