//! Cache hit ratio over the last scrape window, from the target's hit and miss counters.

use super::common::{self, Source};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Gauge;
use ratatui::Frame;

pub const TITLE: &str = "Cache hit ratio";
/// The spec's cache KPI: more than 40 % hits on cacheable queries.
const KPI_PCT: f64 = 40.0;

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let block = common::block(TITLE, Source::Target, data, theme);
    let Some(reading) = common::reading(data) else {
        let inner = common::framed(frame, area, block);
        common::message(frame, inner, common::no_target_data(data), theme);
        return;
    };
    let Some(pct) = reading.cache_hit_pct else {
        let inner = common::framed(frame, area, block);
        let why = if reading.cache_hits.is_some() && reading.cache_misses.is_some() {
            "no cacheable requests in the window"
        } else {
            "no data"
        };
        common::message(frame, inner, why, theme);
        return;
    };
    let per_s = |c: Option<crate::scrape::profile::CounterReading>| {
        c.and_then(|c| c.rate_per_sec).map_or("…".to_string(), format::rate)
    };
    let label = format!(
        "{} · {} hits/s · {} misses/s",
        format::pct(pct),
        per_s(reading.cache_hits),
        per_s(reading.cache_misses)
    );
    let slot = if pct > KPI_PCT { Slot::Ok } else { Slot::Warn };
    let gauge = Gauge::default()
        .block(block)
        .gauge_style(theme.style(slot))
        .ratio(common::gauge_ratio(pct))
        .label(Span::styled(label, theme.style(Slot::Text)));
    frame.render_widget(gauge, area);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture;

    #[test]
    fn gauge_with_rates() {
        let text = fixture::render_panel(super::render, 50, 3, false);
        assert!(text.contains("Cache hit ratio · target"), "{text}");
        assert!(text.contains("57.1%"), "{text}");
        let text = fixture::render_panel(super::render, 50, 3, true);
        assert!(text.contains("stale"), "{text}");
    }

    #[test]
    fn no_data_when_not_exported() {
        let text = fixture::render_panel_with(super::render, 50, 3, |d| {
            if let Some(r) = d.target.reading.as_mut() {
                r.cache_hit_pct = None;
                r.cache_hits = None;
            }
        });
        assert!(text.contains("no data"), "{text}");
        let text = fixture::render_panel_with(super::render, 50, 3, |d| d.target.reading = None);
        assert!(text.contains("no data"), "{text}");
    }
}
