//! Token rotations per second, from the target's rotation counter.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub const TITLE: &str = "Token rotations";

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let inner = common::framed(frame, area, common::block(TITLE, Source::Target, data, theme));
    let Some(rot) = common::reading(data).and_then(|r| r.token_rotations) else {
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    let rate = rot.rate_per_sec.map_or("…".to_string(), format::rate);
    let line = Line::from(vec![
        Span::styled(format!("{rate}/s"), theme.style(Slot::Accent)),
        Span::styled(format!("  total {}", format::count(rot.total.max(0.0) as u64)), theme.style(Slot::Muted)),
    ]);
    frame.render_widget(Paragraph::new(line), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn rate_and_total() {
        let text = fixture::render_panel(super::render, 40, 3, false);
        assert!(text.contains("Token rotations · target"), "{text}");
        assert!(text.contains("0.5/s"), "{text}");
        assert!(text.contains("total 42"), "{text}");
        let text = fixture::render_panel_with(super::render, 40, 3, |d| {
            if let Some(r) = d.target.reading.as_mut() {
                r.token_rotations = None;
            }
        });
        assert!(text.contains("no data"), "{text}");
    }
}
