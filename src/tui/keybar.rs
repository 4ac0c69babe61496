//! The bottom rows: the key bar generated from the keymap table, the status line, and the
//! page tabs of the small layout.

use super::app::{App, Page, StatusLevel};
use super::keymap;
use super::theme::{Slot, Theme};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};
use ratatui::Frame;

/// The key bar's items that fit in `width`, in table order; "? help" is always kept, since
/// it leads to everything the bar had to leave out.
pub fn keybar_line<'a>(width: u16, theme: &Theme) -> Line<'a> {
    let help = keymap::bar_entries().find(|(k, _)| *k == "?");
    let rest = keymap::bar_entries().filter(|(k, _)| *k != "?");
    let item_w = |(k, d): (&str, &str)| Span::raw(k).width() + 1 + Span::raw(d).width() + 2;
    let mut budget = usize::from(width).saturating_sub(help.map_or(0, item_w));
    let mut chosen: Vec<(&str, &str)> = Vec::new();
    for item in rest {
        let w = item_w(item);
        if w > budget {
            break;
        }
        budget -= w;
        chosen.push(item);
    }
    chosen.extend(help);
    let mut spans = Vec::new();
    for (k, d) in chosen {
        spans.push(Span::styled(k.to_string(), theme.style(Slot::Accent)));
        spans.push(Span::styled(format!(" {d}  "), theme.style(Slot::Muted)));
    }
    Line::from(spans)
}

pub fn render_keybar(frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    frame.render_widget(Paragraph::new(keybar_line(area.width, theme)), area);
}

/// The status message (or the "run finished" notice), if there is one to show.
pub fn status_text(app: &App) -> Option<(String, StatusLevel)> {
    app.status.as_ref().map(|s| (s.text.clone(), s.level))
}

pub fn render_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some((text, level)) = status_text(app) else {
        return;
    };
    if area.is_empty() {
        return;
    }
    let slot = match level {
        StatusLevel::Info => Slot::Text,
        StatusLevel::Ok => Slot::Ok,
        StatusLevel::Warn => Slot::Warn,
        StatusLevel::Bad => Slot::Bad,
    };
    frame.render_widget(Paragraph::new(Span::styled(text, theme.style(slot))), area);
}

pub fn render_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let dash = app.dashboard_page_count();
    let titles: Vec<String> = Page::ALL
        .iter()
        .enumerate()
        .filter(|(_, p)| **p != Page::Dashboard || dash > 0)
        .map(|(i, p)| match p {
            Page::Dashboard if dash > 1 => format!("{} Dash {}/{dash}", i + 1, app.dashboard_page % dash + 1),
            Page::Dashboard => format!("{} Dash", i + 1),
            _ => format!("{} {}", i + 1, p.title()),
        })
        .collect();
    // Without room for the padding, titles are set closer together.
    let width: usize = titles.iter().map(|t| t.chars().count() + 3).sum();
    let padding = if width > usize::from(area.width) { "" } else { " " };
    let tabs = Tabs::new(titles.into_iter().map(Line::from))
        .padding(padding, padding)
        .select(app.page.index())
        .style(theme.style(Slot::Muted))
        .highlight_style(theme.style(Slot::Highlight))
        .divider(Span::styled("│", theme.style(Slot::Border)));
    frame.render_widget(tabs, area);
}
