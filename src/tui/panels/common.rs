//! What every panel shares: a titled block that names its source (client or target) and marks
//! stale target data, "no data" messages, and splitting a panel in two.

use crate::scrape::profile::TargetReading;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Where a panel's numbers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Measured by proofdeck itself.
    Client,
    /// Scraped from the target's `/metrics`.
    Target,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Client => "client",
            Source::Target => "target",
        }
    }
}

/// A bordered block titled "<title> · client|target"; target blocks carry a "stale" tag
/// (bottom right) when the last scrape failed.
pub fn block(title: &str, source: Source, data: &ViewData, theme: &Theme) -> Block<'static> {
    let mut block = Block::bordered().border_style(theme.style(Slot::Border)).title(Line::from(vec![
        Span::styled(format!(" {title} "), theme.style(Slot::Title)),
        Span::styled(format!("· {} ", source.label()), theme.style(Slot::Muted)),
    ]));
    if source == Source::Target && data.target.stale {
        // In the bottom border, so it never hides the title's source on a narrow panel.
        block = block.title_bottom(Line::from(Span::styled(" stale ", theme.style(Slot::Warn))).right_aligned());
    }
    block
}

/// Draws `block` and returns the area inside it.
pub fn framed(frame: &mut Frame, area: Rect, block: Block<'static>) -> Rect {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// The target's latest reading, if any scrape succeeded.
pub fn reading<'a>(data: &'a ViewData) -> Option<&'a TargetReading> {
    data.target.reading.as_ref()
}

/// Why a target value is missing, in a few words.
pub fn no_target_data(data: &ViewData) -> &'static str {
    if data.target.reading.is_none() && data.target.scrapes_failed > 0 {
        "no data (scrape failing)"
    } else {
        "no data"
    }
}

/// A one-line muted message at the top of `area`.
pub fn message(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    frame.render_widget(Paragraph::new(Span::styled(text.to_string(), theme.style(Slot::Muted))), area);
}

/// Two halves, stacked when there is height for `min_each` rows each, side by side otherwise.
pub fn halves(area: Rect, min_each: u16) -> [Rect; 2] {
    let constraints = [Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)];
    if area.height >= min_each.saturating_mul(2) {
        Layout::vertical(constraints).areas(area)
    } else {
        Layout::horizontal(constraints).areas(area)
    }
}

/// Style for a success percentage: ok at the KPI's 99.5 %, warn above 95 %, bad below.
pub fn success_slot(pct: f64) -> Slot {
    if pct >= 99.5 {
        Slot::Ok
    } else if pct >= 95.0 {
        Slot::Warn
    } else {
        Slot::Bad
    }
}

/// A ratio the gauge widgets accept: finite and within 0..=1 (they panic otherwise).
pub fn gauge_ratio(pct: f64) -> f64 {
    if pct.is_finite() {
        (pct / 100.0).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Breakdown totals sorted largest first.
pub fn sorted_totals(totals: &std::collections::BTreeMap<String, f64>) -> Vec<(&str, f64)> {
    let mut v: Vec<(&str, f64)> = totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v
}
