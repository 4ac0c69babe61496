//! Policy denials by reason (or by tool, for gateways whose counter has no reason label), as
//! horizontal bars of the target's cumulative counts.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::widgets::{Bar, BarChart};
use ratatui::Frame;

pub const TITLE: &str = "Policy denials";

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let breakdown = common::reading(data).and_then(|r| r.policy_denials.as_ref());
    let title = match breakdown {
        Some(b) => format!("{TITLE} by {}", b.label),
        None => TITLE.to_string(),
    };
    let block = common::block(&title, Source::Target, data, theme);
    let Some(breakdown) = breakdown else {
        let inner = common::framed(frame, area, block);
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    if breakdown.totals.is_empty() || breakdown.totals.values().all(|v| *v <= 0.0) {
        let inner = common::framed(frame, area, block);
        common::message(frame, inner, "no denials", theme);
        return;
    }
    // One bar per row: show the largest that fit.
    let rows = usize::from(block.inner(area).height);
    let label_w = usize::from(area.width / 3).clamp(4, 20);
    let bars: Vec<Bar> = common::sorted_totals(&breakdown.totals)
        .into_iter()
        .take(rows)
        .map(|(name, v)| {
            let n = v.max(0.0).round() as u64;
            Bar::default().label(format::truncate(name, label_w)).value(n).text_value(format::count(n))
        })
        .collect();
    let chart = BarChart::horizontal(bars)
        .block(block)
        .bar_width(1)
        .bar_gap(0)
        .bar_style(theme.series_style(0))
        .value_style(theme.style(Slot::Highlight))
        .label_style(theme.style(Slot::Text));
    frame.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn bars_by_reason_largest_first() {
        let text = fixture::render_panel(super::render, 50, 6, false);
        assert!(text.contains("Policy denials by reason · target"), "{text}");
        let scope = text.find("scope_denied").expect(&text);
        let time = text.find("time_window").expect(&text);
        assert!(scope < time, "largest first:\n{text}");
        assert!(text.contains("120"), "{text}");
    }

    #[test]
    fn tiny_and_missing() {
        let text = fixture::render_panel(super::render, 12, 3, false);
        assert!(text.contains("Poli"), "{text}");
        let text = fixture::render_panel_with(super::render, 40, 5, |d| d.target.reading = None);
        assert!(text.contains("no data"), "{text}");
    }
}
