//! Overlays drawn over the cockpit: the help (generated from the keymap table) and the chaos
//! dialog (mode picker + percentage input).

use super::app::{App, ChaosDialog, DialogField, Overlay, CHAOS_MODES};
use super::keymap;
use super::theme::{Slot, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};
use ratatui::Frame;

pub const HELP_TITLE: &str = "Keys";

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => render_help(frame, area, theme),
        Overlay::Chaos(d) => render_dialog(frame, area, d, theme),
    }
}

/// A `w`×`h` rectangle centred in `area`, shrunk to fit.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

fn overlay_block(title: &str, theme: &Theme) -> Block<'static> {
    Block::bordered()
        .border_style(theme.style(Slot::Accent))
        .style(theme.base())
        .title(Span::styled(format!(" {title} "), theme.style(Slot::Title)))
}

fn render_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let entries: Vec<(&str, &str)> = keymap::help_entries().collect();
    let key_w = entries.iter().map(|(k, _)| Span::raw(*k).width()).max().unwrap_or(1) as u16;
    let desc_w = entries.iter().map(|(_, d)| Span::raw(*d).width()).max().unwrap_or(1) as u16;
    // Two columns when one would not fit in height but two fit in width.
    let one_col_w = key_w + 2 + desc_w + 2;
    let two_cols = entries.len() as u16 + 2 > area.height && one_col_w * 2 + 3 <= area.width;
    let per_col = if two_cols { entries.len().div_ceil(2) } else { entries.len() };
    let w = if two_cols { one_col_w * 2 + 3 } else { one_col_w };
    let rect = centered(area, w, per_col as u16 + 2);
    if rect.is_empty() {
        return;
    }
    frame.render_widget(Clear, rect);
    let block = overlay_block(&format!("{HELP_TITLE} · Esc closes"), theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let key_style = theme.style(Slot::Accent);
    let desc_style = theme.style(Slot::Text);
    let cells = |e: Option<&(&str, &str)>| match e {
        Some((k, d)) => {
            [Cell::from(Span::styled(k.to_string(), key_style)), Cell::from(Span::styled(d.to_string(), desc_style))]
        }
        None => [Cell::from(""), Cell::from("")],
    };
    let rows = (0..per_col).map(|i| {
        let mut row: Vec<Cell> = cells(entries.get(i)).into();
        if two_cols {
            row.extend(cells(entries.get(i + per_col)));
        }
        Row::new(row)
    });
    let mut widths = vec![Constraint::Length(key_w), Constraint::Length(desc_w)];
    if two_cols {
        widths.extend([Constraint::Length(key_w), Constraint::Length(desc_w)]);
    }
    frame.render_widget(Table::new(rows, widths).column_spacing(2), inner);
}

fn render_dialog(frame: &mut Frame, area: Rect, d: &ChaosDialog, theme: &Theme) {
    let rect = centered(area, 60, 8);
    if rect.is_empty() {
        return;
    }
    frame.render_widget(Clear, rect);
    let block = overlay_block(&format!("Inject chaos on {}", d.tool), theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [mode_row, pct_row, error_row, _, hint_row] = Layout::vertical([Constraint::Length(1); 5]).areas(inner);

    let focus = |f: DialogField| if d.field == f { "▸ " } else { "  " };
    let mut mode = vec![Span::styled(format!("{}mode  ", focus(DialogField::Mode)), theme.style(Slot::Muted))];
    for (i, m) in CHAOS_MODES.iter().enumerate() {
        let style = if i == d.mode { theme.style(Slot::Highlight) } else { theme.style(Slot::Text) };
        mode.push(Span::styled(format!(" {} {m} ", i + 1), style));
        mode.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(mode)), mode_row);

    let label = format!("{}pct   ", focus(DialogField::Pct));
    let label_w = Span::raw(label.as_str()).width() as u16;
    let field_w = 8u16.min(pct_row.width.saturating_sub(label_w));
    // Scroll the value so the cursor stays visible in a narrow field.
    let scroll = d.pct.visual_scroll(usize::from(field_w.max(1)));
    let visible: String = d.pct.value().chars().skip(scroll).collect();
    let field_style = if d.field == DialogField::Pct { theme.style(Slot::Highlight) } else { theme.style(Slot::Text) };
    let pct_line = Line::from(vec![
        Span::styled(label, theme.style(Slot::Muted)),
        Span::styled(format!("{visible:<width$}", width = usize::from(field_w)), field_style),
        Span::styled(" % (0–100)", theme.style(Slot::Muted)),
    ]);
    frame.render_widget(Paragraph::new(pct_line), pct_row);
    if d.field == DialogField::Pct && !pct_row.is_empty() {
        let col = (d.pct.visual_cursor().saturating_sub(scroll) as u16).min(field_w);
        let x = pct_row.x.saturating_add(label_w).saturating_add(col);
        if x < pct_row.right() {
            frame.set_cursor_position((x, pct_row.y));
        }
    }

    if let Some(e) = &d.error {
        frame.render_widget(Paragraph::new(Span::styled(format!("! {e}"), theme.style(Slot::Bad))), error_row);
    }
    let mut hint = Vec::new();
    for (k, t) in keymap::DIALOG_HINTS {
        hint.push(Span::styled(k.to_string(), theme.style(Slot::Accent)));
        hint.push(Span::styled(format!(" {t}  "), theme.style(Slot::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(hint)), hint_row);
}
