//! The whole screen, drawn from read-only data: header, chaos strip, body, status, key bar.
//! Below 120×40 the body is one page at a time under a tab bar; from 120×40 up it is a grid
//! with every panel. Every area is guarded, so no terminal size makes it panic.

use super::app::{App, Page};
use super::panels::{self, PanelFn};
use super::theme::Theme;
use super::{chaos_strip, header, keybar, overlay};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Block;
use ratatui::Frame;

pub use super::view_data::ViewData;

/// Sizes from which the grid layout is used.
pub const GRID_MIN_WIDTH: u16 = 120;
pub const GRID_MIN_HEIGHT: u16 = 40;
/// Below this height only the header and the key bar are left.
const MIN_BODY_SCREEN: u16 = 8;

pub fn is_compact(area: Rect) -> bool {
    area.width < GRID_MIN_WIDTH || area.height < GRID_MIN_HEIGHT
}

pub fn render(frame: &mut Frame, app: &App, data: &ViewData) {
    let area = frame.area();
    if area.is_empty() {
        return;
    }
    let theme = app.theme();
    frame.render_widget(Block::new().style(theme.base()), area);

    if area.height < MIN_BODY_SCREEN {
        // Too short for panels: what the run is doing, and how to get out.
        let [head, keys] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
        header::render(frame, head, app, data, theme);
        keybar::render_keybar(frame, keys, theme);
        overlay::render(frame, app, theme);
        return;
    }

    let compact = is_compact(area);
    let chaos_max = if compact { 2 } else { 3 };
    let chaos_h = chaos_strip::height(app, data, theme, area.width, chaos_max);
    let status_h = u16::from(keybar::status_text(app).is_some());
    let tabs_h = u16::from(compact);
    let [head, chaos, tabs, body, status, keys] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Length(chaos_h),
        Constraint::Length(tabs_h),
        Constraint::Min(0),
        Constraint::Length(status_h),
        Constraint::Length(1),
    ])
    .areas(area);

    header::render(frame, head, app, data, theme);
    chaos_strip::render(frame, chaos, app, data, theme);
    if compact {
        keybar::render_tabs(frame, tabs, app, theme);
        render_page(frame, body, app, data, theme);
    } else if app.page == Page::Dashboard {
        super::dashboard::render(frame, body, app, data, theme, false);
    } else {
        render_grid(frame, body, app, data, theme);
    }
    keybar::render_status(frame, status, app, theme);
    keybar::render_keybar(frame, keys, theme);
    overlay::render(frame, app, theme);
}

/// Draws `panel` if the area has room for at least a border.
fn draw(frame: &mut Frame, area: Rect, panel: PanelFn, app: &App, data: &ViewData, theme: &Theme) {
    if area.width >= 2 && area.height >= 2 {
        panel(frame, area, app, data, theme);
    }
}

/// One page of the small layout, with a few lines of the log under it when there is room.
fn render_page(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    let tail_h = if app.log_visible && app.page != Page::Log && area.height >= 16 { 5 } else { 0 };
    let [page, tail] = Layout::vertical([Constraint::Min(0), Constraint::Length(tail_h)]).areas(area);
    match app.page {
        Page::Overview => {
            // A coordinated run's shard lane sits under the rate chart.
            let lane_h = data.snapshot.distribution.as_deref().map_or(0, panels::shards::height);
            let [chart, lane, success] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(lane_h), Constraint::Length(3)]).areas(page);
            draw(frame, chart, panels::rate::render, app, data, theme);
            draw(frame, lane, panels::shards::render, app, data, theme);
            draw(frame, success, panels::success::render, app, data, theme);
        }
        Page::Latency => draw(frame, page, panels::latency::render, app, data, theme),
        Page::Errors => draw(frame, page, panels::errors::render, app, data, theme),
        Page::Resilience => {
            let [left, right] = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(page);
            draw(frame, left, panels::breaker::render, app, data, theme);
            let [cache, tokens, resources] =
                Layout::vertical([Constraint::Length(3), Constraint::Length(3), Constraint::Min(0)]).areas(right);
            draw(frame, cache, panels::cache::render, app, data, theme);
            draw(frame, tokens, panels::tokens::render, app, data, theme);
            draw(frame, resources, panels::resources::render, app, data, theme);
        }
        Page::Security => {
            let [left, right] = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(page);
            draw(frame, left, panels::denials::render, app, data, theme);
            draw(frame, right, panels::security::render, app, data, theme);
        }
        Page::Log => draw(frame, page, panels::log::render, app, data, theme),
        Page::Dashboard => super::dashboard::render(frame, page, app, data, theme, true),
    }
    draw(frame, tail, panels::log::render, app, data, theme);
}

/// Every panel at once.
fn render_grid(frame: &mut Frame, area: Rect, app: &App, data: &ViewData, theme: &Theme) {
    // A coordinated run's shard lane goes across the top.
    let lane_h = data.snapshot.distribution.as_deref().map_or(0, panels::shards::height);
    let [lane, area] = Layout::vertical([Constraint::Length(lane_h), Constraint::Min(0)]).areas(area);
    draw(frame, lane, panels::shards::render, app, data, theme);
    let [top, middle, bottom] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(27), Constraint::Min(0)]).areas(area);
    let thirds = [Constraint::Ratio(1, 3), Constraint::Ratio(1, 3), Constraint::Ratio(1, 3)];
    let [rate, latency, errors] = Layout::horizontal(thirds).areas(top);
    draw(frame, rate, panels::rate::render, app, data, theme);
    draw(frame, latency, panels::latency::render, app, data, theme);
    draw(frame, errors, panels::errors::render, app, data, theme);

    let [breaker, success, small, resources] = Layout::horizontal([Constraint::Ratio(1, 4); 4]).areas(middle);
    draw(frame, breaker, panels::breaker::render, app, data, theme);
    draw(frame, success, panels::success::render, app, data, theme);
    let [cache, tokens] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(small);
    draw(frame, cache, panels::cache::render, app, data, theme);
    draw(frame, tokens, panels::tokens::render, app, data, theme);
    draw(frame, resources, panels::resources::render, app, data, theme);

    if app.log_visible {
        let [denials, security, log] =
            Layout::horizontal([Constraint::Percentage(30), Constraint::Percentage(30), Constraint::Min(0)])
                .areas(bottom);
        draw(frame, denials, panels::denials::render, app, data, theme);
        draw(frame, security, panels::security::render, app, data, theme);
        draw(frame, log, panels::log::render, app, data, theme);
    } else {
        let [denials, security] = Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(bottom);
        draw(frame, denials, panels::denials::render, app, data, theme);
        draw(frame, security, panels::security::render, app, data, theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::{StatusLevel, FINISHED_TEXT};
    use crate::tui::fixture;
    use crate::tui::theme::{Theme, ThemeSet};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;

    fn key(app: &mut App, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn small_screen_shows_one_page_with_header_tabs_and_key_bar() {
        let app = fixture::app();
        let text = fixture::render_screen(&app, &fixture::Owned::new(false), 80, 24);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 24);
        assert!(lines[0].contains("proofdeck") && lines[0].contains("proof-campaign"), "{text}");
        assert!(lines[0].contains("http://127.0.0.1:3000"), "{text}");
        assert!(lines[1].contains("phase 3/4") && lines[1].contains("soak"), "{text}");
        assert!(lines[1].contains("next cooldown"), "{text}");
        assert!(lines[2].contains("scheduled") && lines[2].contains("achieved"), "{text}");
        assert!(lines[2].contains("in-flight") && lines[2].contains("dropped"), "{text}");
        assert!(text.contains("serpapi 500 25%") && text.contains("effect observed"), "{text}");
        assert!(text.contains("1 Overview") && text.contains("6 Log"), "{text}");
        assert!(text.contains("Request rate by tool"), "{text}");
        assert!(text.contains("Success rate · client"), "{text}");
        assert!(!text.contains("Circuit breakers"), "one page at a time:\n{text}");
        let last = lines[23];
        assert!(last.contains("q quit") && last.contains("? help"), "key bar:\n{text}");
        assert!(last.contains("c chaos"), "the most used keys fit:\n{text}");
        assert!(last.chars().count() <= 80);
    }

    #[test]
    fn a_coordinated_run_shows_its_shard_lane_with_the_lost_one_first() {
        use crate::metrics::{Distribution, LaneState, ShardLane};
        let app = fixture::app();
        let mut owned = fixture::Owned::new(false);
        let lane =
            |index, state| ShardLane { index, state, scheduled_rate: 30.0, achieved_rps: 30.0, ..Default::default() };
        let mut lost = lane(2, LaneState::Lost);
        (lost.lost_at_s, lost.lost_why) = (Some(6.7), Some("its connection closed".into()));
        owned.snapshot.distribution = Some(std::sync::Arc::new(Distribution {
            shards: 3,
            lanes: vec![lane(0, LaneState::Running), lane(1, LaneState::Running), lost],
            start_skew_ms: Some(0.13),
            ..Default::default()
        }));
        let text = fixture::render_screen(&app, &owned, 80, 24);
        assert!(text.contains("Shards 3 · skew 0.13 ms"), "{text}");
        let lost_at = text.find("#2 LOST at 6.7 s: its connection closed").expect(&text);
        assert!(lost_at < text.find("#0  running").expect(&text), "the lost shard comes first:\n{text}");
        assert!(text.contains("Request rate by tool"), "the rate chart keeps its place:\n{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80));
        let grid = fixture::render_screen(&app, &owned, 160, 48);
        assert!(grid.contains("#2 LOST at 6.7 s") && grid.contains("Circuit breakers"), "{grid}");
    }

    #[test]
    fn pages_switch_with_keys() {
        let mut app = fixture::app();
        let owned = fixture::Owned::new(false);
        let expect = [
            (Page::Latency, "Latency by tool"),
            (Page::Errors, "Error rate by type"),
            (Page::Resilience, "Circuit breakers"),
            (Page::Security, "Policy denials"),
            (Page::Log, "Event log"),
        ];
        for (page, title) in expect {
            key(&mut app, KeyCode::Tab);
            assert_eq!(app.page, page);
            let text = fixture::render_screen(&app, &owned, 80, 24);
            assert!(text.contains(title), "{page:?}:\n{text}");
            assert!(text.contains("p99") || page != Page::Latency, "{text}");
        }
    }

    #[test]
    fn the_seed_dashboard_is_four_pages_at_80x24_and_one_grid_at_160x48() {
        let mut app = fixture::app();
        let mut owned = fixture::Owned::new(false);
        owned.dashboard = Some(fixture::dashboard_view());
        app.observe_dashboard(owned.dashboard.as_ref().unwrap());
        assert_eq!(app.dashboard_pages, (4, 1));
        key(&mut app, KeyCode::Char('7'));
        assert_eq!(app.page, Page::Dashboard);
        let pages = [
            ["Request Rate by Tool · target", "Latency Distribution (p50/p95/p99)"],
            ["Error Rate by Type · target", "Circuit Breaker S"],
            ["Token Rotations/sec · target", "Success Rate"],
            ["Policy Denials by Reason · target", "Security Events · target"],
        ];
        for (i, titles) in pages.iter().enumerate() {
            let text = fixture::render_screen(&app, &owned, 80, 24);
            assert!(text.contains(&format!("7 Dash {}/4", i + 1)), "{text}");
            for t in titles {
                assert!(text.contains(t), "page {}: {t}\n{text}", i + 1);
            }
            key(&mut app, KeyCode::Tab);
        }
        // The breaker stat reads its value mapping; the rate chart has a legend from {{tool}}.
        app.page = Page::Dashboard;
        app.dashboard_page = 1;
        let text = fixture::render_screen(&app, &owned, 80, 24);
        assert!(text.contains("CLOSED"), "{text}");
        app.compact = false;
        let grid = fixture::render_screen(&app, &owned, 160, 48);
        for t in ["Request Rate by Tool", "Cache Hit Ratio", "Resource Usage", "Security Events"] {
            assert!(grid.contains(&format!("{t} · target")), "{t}\n{grid}");
        }
        assert!(grid.contains("gmail_send - send"), "legend from {{{{tool}}}} - {{{{action}}}}:\n{grid}");
    }

    #[test]
    fn a_baseline_run_is_drawn_under_the_live_rate_and_latency() {
        let with_baseline = |o: &mut fixture::Owned| {
            let series = o.snapshot.series.to_vec();
            o.baseline = Some(crate::report::baseline::Baseline {
                name: "run-0412".into(),
                phase_starts: vec![0, 30, 60],
                series,
            });
        };
        for panel in [panels::rate::render as panels::PanelFn, panels::latency::render] {
            let text = fixture::render_panel_with(panel, 100, 30, with_baseline);
            assert!(text.contains("baseline run-0412"), "{text}");
            assert!(!fixture::render_panel(panel, 100, 30, false).contains("baseline"));
        }
    }

    #[test]
    fn the_latency_chart_sets_the_targets_p99_and_the_gap_beside_the_clients() {
        let text = fixture::render_panel(panels::latency::render, 100, 30, false);
        let legend = text.lines().find(|l| l.contains("━ p50")).unwrap_or_default();
        assert!(legend.contains("target p99") && legend.contains("gap"), "{text}");
        let without = fixture::render_panel_with(panels::latency::render, 100, 30, |o| o.target.target_p99_ms.clear());
        let legend = without.lines().find(|l| l.contains("━ p50")).unwrap_or_default();
        assert!(!legend.contains("target p99"), "{without}");
    }

    #[test]
    fn large_screen_shows_every_panel() {
        let app = fixture::app();
        let text = fixture::render_screen(&app, &fixture::Owned::new(false), 160, 48);
        for title in [
            "Request rate by tool",
            "Latency p50/p95/p99",
            "Latency by tool",
            "Error rate by type",
            "Circuit breakers · target",
            "Success rate · client",
            "Success rate · target",
            "Cache hit ratio · target",
            "Token rotations · target",
            "Target process · target",
            "proofdeck · client",
            "Policy denials by reason · target",
            "Security events · target",
            "Event log · client",
        ] {
            assert!(text.contains(title), "{title}:\n{text}");
        }
        assert!(!text.contains("1 Overview"), "no tabs in the grid:\n{text}");
        assert!(text.contains("serpapi") && text.contains("p99"), "{text}");
        assert!(text.contains("· target"), "{text}");
        assert!(!text.contains("stale"), "{text}");
        assert!(text.lines().last().unwrap().contains("? help"), "{text}");
    }

    #[test]
    fn stale_target_data_is_marked() {
        let app = fixture::app();
        let text = fixture::render_screen(&app, &fixture::Owned::new(true), 160, 48);
        assert!(text.matches("stale").count() >= 5, "every target panel:\n{text}");
        let text = fixture::render_screen(&app, &fixture::Owned::new(true), 80, 24);
        assert!(text.contains("stale"), "{text}");
    }

    #[test]
    fn missing_target_data_says_no_data() {
        let app = fixture::app();
        let mut owned = fixture::Owned::new(false);
        owned.target = Default::default();
        let text = fixture::render_screen(&app, &owned, 160, 48);
        assert!(text.matches("no data").count() >= 5, "{text}");
    }

    #[test]
    fn help_overlay_lists_the_table() {
        let mut app = fixture::app();
        key(&mut app, KeyCode::Char('?'));
        for (w, h) in [(80, 24), (160, 48)] {
            let text = fixture::render_screen(&app, &fixture::Owned::new(false), w, h);
            assert!(text.contains("Keys"), "{text}");
            for (k, d) in crate::tui::keymap::help_entries() {
                assert!(text.contains(k), "{k} at {w}x{h}:\n{text}");
                assert!(text.contains(d), "{d} at {w}x{h}:\n{text}");
            }
        }
    }

    #[test]
    fn chaos_dialog_renders_and_shows_errors() {
        let mut app = fixture::app();
        key(&mut app, KeyCode::Char('c'));
        key(&mut app, KeyCode::Char('2'));
        key(&mut app, KeyCode::Char('9'));
        key(&mut app, KeyCode::Char('9'));
        key(&mut app, KeyCode::Char('9'));
        key(&mut app, KeyCode::Enter);
        let text = fixture::render_screen(&app, &fixture::Owned::new(false), 80, 24);
        assert!(text.contains("Inject chaos on serpapi"), "{text}");
        assert!(text.contains("timeout") && text.contains("jitter"), "{text}");
        assert!(text.contains("999"), "{text}");
        assert!(text.contains("! 999% is out of range"), "{text}");
        assert!(text.contains("Esc cancel"), "{text}");
    }

    /// A plain HTTP server has no chaos admin API: said quietly, the keys say it too, and no
    /// dialog or red banner appears.
    #[test]
    fn a_target_without_chaos_api_is_said_quietly() {
        let mut app = fixture::app();
        let mut owned = fixture::Owned::new(false);
        owned.chaos =
            crate::live::ChaosView { unavailable: Some(crate::live::NO_CHAOS_API.into()), ..Default::default() };
        app.observe_chaos(&owned.chaos);
        key(&mut app, KeyCode::Char('c'));
        let text = fixture::render_screen(&app, &owned, 80, 24);
        assert!(!text.contains("Inject chaos on"), "no dialog:\n{text}");
        assert!(text.lines().any(|l| l.trim_end() == "chaos no chaos API on this target"), "{text}");
        assert!(text.lines().nth(22).unwrap().contains("no chaos API on this target"), "{text}");
        assert!(!text.contains("! chaos API"), "no error banner:\n{text}");
        assert!(app.status.as_ref().is_some_and(|s| s.level == StatusLevel::Info));
    }

    #[test]
    fn status_line_and_finished_notice() {
        let mut app = fixture::app();
        app.set_status(StatusLevel::Ok, "screenshot saved to /tmp/x.svg");
        let text = fixture::render_screen(&app, &fixture::Owned::new(false), 80, 24);
        assert!(text.lines().nth(22).unwrap().contains("screenshot saved"), "{text}");
        app.status = None;
        app.mark_finished();
        let text = fixture::render_screen(&app, &fixture::Owned::new(false), 160, 48);
        assert!(text.contains(FINISHED_TEXT), "{text}");
    }

    #[test]
    fn no_size_panics() {
        let mut app = fixture::app();
        let owned = fixture::Owned::new(true);
        let sizes = [
            (1, 1),
            (10, 3),
            (0, 5),
            (5, 0),
            (0, 0),
            (2, 2),
            (20, 7),
            (20, 8),
            (40, 10),
            (79, 23),
            (119, 39),
            (120, 40),
            (121, 12),
            (12, 60),
            (300, 100),
        ];
        for overlay in [None, Some('?'), Some('c')] {
            if let Some(c) = overlay {
                app.overlay = crate::tui::app::Overlay::None;
                key(&mut app, KeyCode::Char(c));
            }
            for page in 0..6 {
                app.page = Page::ALL[page];
                for (w, h) in sizes {
                    let _ = fixture::render_screen(&app, &owned, w, h);
                }
            }
        }
        // and with nothing to show at all
        let mut empty = fixture::Owned::new(false);
        empty.snapshot = crate::metrics::Snapshot::empty(&[], &[]);
        empty.events.clear();
        empty.chaos = Default::default();
        empty.target = Default::default();
        for (w, h) in sizes {
            let _ = fixture::render_screen(&App::new(ThemeSet::default()), &empty, w, h);
        }
    }

    #[test]
    fn monochrome_has_no_colours() {
        let mut app = fixture::app();
        app.themes = ThemeSet::new(vec![Theme::monochrome()]);
        for (w, h) in [(80, 24), (160, 48)] {
            let buf = fixture::render_buffer(&app, &fixture::Owned::new(true), w, h);
            for cell in buf.content() {
                assert_eq!(cell.fg, Color::Reset, "{:?}", cell.symbol());
                assert_eq!(cell.bg, Color::Reset, "{:?}", cell.symbol());
            }
            let text = fixture::buffer_text(&buf);
            assert!(text.contains("Request rate by tool"), "still readable:\n{text}");
        }
    }

    #[test]
    fn every_theme_renders() {
        let mut app = fixture::app();
        for _ in 0..app.themes.names().len() {
            let buf = fixture::render_buffer(&app, &fixture::Owned::new(false), 160, 48);
            assert!(fixture::buffer_text(&buf).contains("Circuit breakers"));
            app.themes.cycle();
        }
    }
}
