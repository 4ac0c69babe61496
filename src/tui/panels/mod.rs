//! One file per panel; each has `render(frame, area, app, data, theme)` and draws only from
//! the snapshot, the target view, the chaos view and the event log it is given.

pub mod breaker;
pub mod cache;
pub mod common;
pub mod denials;
pub mod errors;
pub mod latency;
pub mod log;
pub mod rate;
pub mod resources;
pub mod security;
pub mod shards;
pub mod success;
pub mod timechart;
pub mod tokens;

use super::app::App;
use super::theme::Theme;
use super::view_data::ViewData;
use ratatui::layout::Rect;
use ratatui::Frame;

/// The signature every panel shares, so layouts can treat them alike.
pub type PanelFn = fn(&mut Frame, Rect, &App, &ViewData, &Theme);
