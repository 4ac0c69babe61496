//! The shard lane of a coordinated run: per shard, its part of the schedule against what it
//! completed, how late its arrivals went out, its start error and its last heartbeat; a lost
//! shard in red with when and why.

use super::common::{self, Source};
use crate::metrics::{Distribution, LaneState};
use crate::tui::app::App;
use crate::tui::theme::{Slot, Theme};
use crate::tui::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Rows the overview gives the lane: every shard up to this many, then a count of the rest.
pub const MAX_ROWS: u16 = 4;

/// The lane's height for `d`, borders included.
pub fn height(d: &Distribution) -> u16 {
    (d.lanes.len() as u16).min(MAX_ROWS) + 2
}

pub fn render(frame: &mut Frame, area: Rect, _app: &App, data: &ViewData, theme: &Theme) {
    let Some(d) = data.snapshot.distribution.as_deref() else { return };
    if area.is_empty() {
        return;
    }
    let skew = d.start_skew_ms.map_or("skew —".into(), |s| format!("skew {s:.2} ms"));
    let title = format!("Shards {} · {skew}", d.shards);
    let inner = common::framed(frame, area, common::block(&title, Source::Client, data, theme));
    let rows = inner.height as usize;
    let mut lines: Vec<Line> = Vec::new();
    // Lost shards first: they are what the engineer must see.
    let mut lanes: Vec<_> = d.lanes.iter().collect();
    lanes.sort_by_key(|l| (l.state != LaneState::Lost, l.index));
    for (i, l) in lanes.iter().enumerate() {
        if lines.len() + 1 == rows && i + 1 < lanes.len() {
            let more = lanes.len() - i;
            lines.push(Line::styled(format!("… {more} more (report: Shards)"), theme.style(Slot::Muted)));
            break;
        }
        let line = if l.state == LaneState::Lost {
            let at = l.lost_at_s.map_or(String::new(), |t| format!(" at {t:.1} s"));
            Line::styled(
                format!("#{} LOST{at}: {}", l.index, l.lost_why.as_deref().unwrap_or("unknown")),
                theme.style(Slot::Bad),
            )
        } else {
            let start = l.start_error_ms.map_or("—".into(), |e| format!("{e:+.2}"));
            Line::from(vec![
                Span::styled(format!("#{:<2} {:<7} ", l.index, l.state.name()), theme.style(Slot::Text)),
                Span::styled(
                    format!("{:>6.1}/s → {:>5.0}/s ", l.scheduled_rate, l.achieved_rps),
                    theme.style(Slot::Text),
                ),
                Span::styled(
                    format!(
                        "drop {} late p99 {:.2} ms start {start} ms hb {:.1} s",
                        l.dropped, l.late_p99_ms, l.heartbeat_age_s
                    ),
                    theme.style(if l.dropped > 0 { Slot::Warn } else { Slot::Muted }),
                ),
            ])
        };
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
