//! Resource use: the target process (from its metrics) and proofdeck itself (from /proc), so
//! a saturated load generator is not mistaken for a slow target.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub const TARGET_TITLE: &str = "Target process";
pub const OWN_TITLE: &str = "proofdeck";

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let [target_area, own_area] = common::halves(area, 3);
    let reading = common::reading(data);
    let target_values = reading.map(|r| (r.cpu_pct_of_core, r.rss_bytes));
    let lag = reading.and_then(|r| r.event_loop_lag_ms);
    let missing = common::no_target_data(data);
    numbers(
        frame,
        target_area,
        common::block(TARGET_TITLE, Source::Target, data, theme),
        target_values,
        lag,
        missing,
        theme,
    );
    let own = Some((data.snapshot.own_cpu_pct, data.snapshot.own_rss_bytes.map(|b| b as f64)));
    numbers(frame, own_area, common::block(OWN_TITLE, Source::Client, data, theme), own, None, "no data", theme);
}

/// "cpu 12.3% of a core", "rss 81.2 MiB" and, where the target reports it, "lag 3.1 ms",
/// a line each when there is room.
fn numbers(
    frame: &mut Frame,
    area: Rect,
    block: Block<'static>,
    values: Option<(Option<f64>, Option<f64>)>,
    lag_ms: Option<f64>,
    missing: &str,
    theme: &Theme,
) {
    let inner = common::framed(frame, area, block);
    let Some((cpu, rss)) = values else {
        common::message(frame, inner, missing, theme);
        return;
    };
    let label = |t: &str| Span::styled(t.to_string(), theme.style(Slot::Muted));
    let value = |v: Option<String>| match v {
        Some(v) => Span::styled(v, theme.style(Slot::Text)),
        None => Span::styled("no data", theme.style(Slot::Muted)),
    };
    let cpu = vec![label("cpu "), value(cpu.map(format::pct))];
    let rss = vec![label("rss "), value(rss.map(format::bytes))];
    let lag = lag_ms.map(|ms| vec![label("lag "), value(Some(format!("{ms:.1} ms")))]);
    let parts: Vec<Vec<Span>> = [Some(cpu), Some(rss), lag].into_iter().flatten().collect();
    let lines = if usize::from(inner.height) >= parts.len() {
        parts.into_iter().map(Line::from).collect()
    } else {
        let mut one = Vec::new();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                one.push(label("  "));
            }
            one.extend(part);
        }
        vec![Line::from(one)]
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn target_and_own_resources() {
        let text = fixture::render_panel(super::render, 40, 8, false);
        assert!(text.contains("Target process · target"), "{text}");
        assert!(text.contains("proofdeck · client"), "{text}");
        assert!(text.contains("cpu 35.0%"), "{text}");
        assert!(text.contains("rss 81.2 MiB"), "{text}");
        assert!(text.contains("lag 3.2 ms"), "the target's event-loop lag: {text}");
        assert!(text.contains("cpu 12.5%"), "{text}");
        let text = fixture::render_panel(super::render, 80, 3, false);
        assert!(text.contains("cpu 35.0%  rss 81.2 MiB  lag 3.2 ms"), "one line when short:\n{text}");
    }
}
