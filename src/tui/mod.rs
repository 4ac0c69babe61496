//! The terminal cockpit: live panels over the run's snapshots, chaos and run control from the
//! keyboard, themes, screenshots.
//!
//! Data flows one way: the session publishes snapshots, the target view, the chaos view and
//! the event log on watch channels ([`Feeds`]); [`run_cockpit`] draws them and turns keys
//! into [`Effect`]s that it sends back for the session to perform. Everything but `run` and
//! `terminal` is pure and tested against ratatui's `TestBackend`.

pub mod app;
pub mod capacity;
pub mod chaos_strip;
pub mod dashboard;
pub mod format;
pub mod header;
pub mod keybar;
pub mod keymap;
pub mod overlay;
pub mod panels;
pub mod run;
pub mod screenshot;
pub mod screenshot_svg;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod view_data;

#[cfg(test)]
mod fixture;

pub use app::{action_of, App, Effect};
pub use run::{run_cockpit, CockpitExit, Feeds};
pub use terminal::restore as restore_terminal;
pub use theme::{Theme, ThemeSet};
pub use view::{render, ViewData};
