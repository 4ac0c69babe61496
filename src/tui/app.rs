//! The cockpit's own state and its pure logic: keys in, state changes and `Effect`s out.
//! No terminal here, so every binding and the chaos dialog are tested without one.

use super::keymap::{self, Action};
use super::theme::{Theme, ThemeSet};
use crate::engine::EngineCommand;
use crate::live::{ChaosView, TargetView};
use crate::metrics::Snapshot;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::BTreeMap;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

/// Chaos modes the target's admin API accepts.
pub const CHAOS_MODES: [&str; 3] = ["timeout", "500", "jitter"];
/// What one `+` or `-` does to the rate multiplier.
pub const RATE_STEP: f64 = 1.1;

/// What the session must do because of a key. The cockpit performs `Screenshot` itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Engine(EngineCommand),
    InjectChaos { tool: String, mode: String, pct: f64 },
    ClearChaos { tool: String },
    ClearAllChaos,
    ExportReport,
    Screenshot,
    Quit,
}

/// What the session does for an effect (`Screenshot` is the cockpit's own; `Quit` stops).
pub fn action_of(effect: Effect) -> Option<crate::actions::Action> {
    use crate::actions::Action;
    Some(match effect {
        Effect::Engine(command) => Action::Engine { command },
        Effect::InjectChaos { tool, mode, pct } => Action::InjectChaos { tool, mode, pct },
        Effect::ClearChaos { tool } => Action::ClearChaos { tool },
        Effect::ClearAllChaos => Action::ClearAllChaos,
        Effect::ExportReport => Action::ExportReport,
        Effect::Quit => Action::Stop,
        Effect::Screenshot => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Overview,
    Latency,
    Errors,
    Resilience,
    Security,
    Log,
    /// `--dashboard`: the Grafana dashboard's panels, over one or more pages of their own.
    Dashboard,
}

impl Page {
    pub const ALL: [Page; 7] =
        [Page::Overview, Page::Latency, Page::Errors, Page::Resilience, Page::Security, Page::Log, Page::Dashboard];

    pub fn title(self) -> &'static str {
        match self {
            Page::Overview => "Overview",
            Page::Latency => "Latency",
            Page::Errors => "Errors",
            Page::Resilience => "Resilience",
            Page::Security => "Security",
            Page::Log => "Log",
            Page::Dashboard => "Dashboard",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    fn nth(i: usize) -> Page {
        Page::ALL[i % Page::ALL.len()]
    }
}

/// How much history the charts show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeWindow {
    OneMinute,
    FiveMinutes,
    WholeRun,
}

impl TimeWindow {
    pub fn seconds(self) -> Option<u32> {
        match self {
            TimeWindow::OneMinute => Some(60),
            TimeWindow::FiveMinutes => Some(300),
            TimeWindow::WholeRun => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::OneMinute => "1m",
            TimeWindow::FiveMinutes => "5m",
            TimeWindow::WholeRun => "run",
        }
    }

    fn next(self) -> Self {
        match self {
            TimeWindow::OneMinute => TimeWindow::FiveMinutes,
            TimeWindow::FiveMinutes => TimeWindow::WholeRun,
            TimeWindow::WholeRun => TimeWindow::OneMinute,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogField {
    Mode,
    Pct,
}

/// The chaos dialog: a mode picker and a percentage typed with tui-input.
#[derive(Clone, Debug)]
pub struct ChaosDialog {
    pub tool: String,
    /// Index into `CHAOS_MODES`.
    pub mode: usize,
    pub field: DialogField,
    pub pct: Input,
    pub error: Option<String>,
}

impl ChaosDialog {
    fn new(tool: String) -> Self {
        Self { tool, mode: 0, field: DialogField::Mode, pct: Input::default(), error: None }
    }

    pub fn mode_name(&self) -> &'static str {
        CHAOS_MODES[self.mode % CHAOS_MODES.len()]
    }
}

#[derive(Clone, Debug)]
pub enum Overlay {
    None,
    Help,
    Chaos(ChaosDialog),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusLevel {
    Info,
    Ok,
    Warn,
    Bad,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub level: StatusLevel,
}

/// Since when a tool's breaker has been in its state, as far as the cockpit has seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerSince {
    pub state: u8,
    pub since_s: f64,
    /// False while the state is the first one seen: its start is not known, only a bound.
    pub seen_change: bool,
}

pub const FINISHED_TEXT: &str = "run finished — q to quit";

pub struct App {
    pub page: Page,
    /// Tools that can be selected (the snapshot's, without the rows of tool-less steps).
    pub tools: Vec<String>,
    pub selected: usize,
    pub window: TimeWindow,
    pub themes: ThemeSet,
    pub overlay: Overlay,
    pub log_visible: bool,
    pub status: Option<Status>,
    /// The engine is done; the frame stays until `q`.
    pub finished: bool,
    /// Phase names by index, learnt from snapshots, for chart markers.
    pub phase_names: BTreeMap<usize, String>,
    pub breakers: BTreeMap<String, BreakerSince>,
    /// Why chaos keys do nothing on this target (it has no chaos admin API), if so.
    pub chaos_unavailable: Option<String>,
    /// Pages the dashboard takes in the compact and in the grid layout (0: no dashboard).
    pub dashboard_pages: (usize, usize),
    /// The dashboard page shown, while `page` is `Page::Dashboard`.
    pub dashboard_page: usize,
    /// The terminal is below the grid size; set by the cockpit before each key and draw.
    pub compact: bool,
}

impl App {
    pub fn new(themes: ThemeSet) -> Self {
        Self {
            page: Page::Overview,
            tools: Vec::new(),
            selected: 0,
            window: TimeWindow::FiveMinutes,
            themes,
            overlay: Overlay::None,
            log_visible: true,
            status: None,
            finished: false,
            phase_names: BTreeMap::new(),
            breakers: BTreeMap::new(),
            chaos_unavailable: None,
            dashboard_pages: (0, 0),
            dashboard_page: 0,
            compact: true,
        }
    }

    /// Pages of the dashboard in the current layout; 0 without one.
    pub fn dashboard_page_count(&self) -> usize {
        if self.compact {
            self.dashboard_pages.0
        } else {
            self.dashboard_pages.1
        }
    }

    /// The pages Tab visits: the dashboard's only when there is one.
    fn pages(&self) -> usize {
        if self.dashboard_pages.0 > 0 {
            Page::ALL.len()
        } else {
            Page::ALL.len() - 1
        }
    }

    /// Moves one page on (`forward`) or back; the dashboard's pages are visited one by one.
    fn step_page(&mut self, forward: bool) {
        let dash = self.dashboard_page_count();
        if self.page == Page::Dashboard {
            if forward && self.dashboard_page + 1 < dash {
                self.dashboard_page += 1;
                return;
            }
            if !forward && self.dashboard_page > 0 {
                self.dashboard_page -= 1;
                return;
            }
        }
        // The grid shows every built-in panel at once: Tab goes between it and the dashboard.
        if !self.compact && dash > 0 {
            let to_dashboard = self.page != Page::Dashboard;
            self.page = if to_dashboard { Page::Dashboard } else { Page::Overview };
            self.dashboard_page = if forward { 0 } else { dash - 1 };
            return;
        }
        let n = self.pages();
        let next = if forward { self.page.index() + 1 } else { self.page.index() + n - 1 } % n;
        self.page = Page::nth(next);
        self.dashboard_page = if forward { 0 } else { dash.saturating_sub(1) };
    }

    /// Learns how many pages the dashboard takes, once it has been evaluated.
    pub fn observe_dashboard(&mut self, view: &crate::dashboard::DashboardView) {
        let panels: Vec<_> = view.panels.iter().map(|p| &p.panel).collect();
        self.dashboard_pages = (
            super::dashboard::layout::pages(&panels, true).len(),
            super::dashboard::layout::pages(&panels, false).len(),
        );
    }

    /// Learns whether the target has a chaos API at all.
    pub fn observe_chaos(&mut self, chaos: &ChaosView) {
        self.chaos_unavailable = chaos.unavailable.clone();
    }

    pub fn theme(&self) -> &Theme {
        self.themes.current()
    }

    pub fn selected_tool(&self) -> Option<&str> {
        self.tools.get(self.selected).map(String::as_str)
    }

    pub fn set_status(&mut self, level: StatusLevel, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), level });
    }

    pub fn mark_finished(&mut self) {
        if !self.finished {
            self.finished = true;
            self.set_status(StatusLevel::Ok, FINISHED_TEXT);
        }
    }

    /// Learns tool and phase names from a new snapshot; keeps the selection on the same tool.
    pub fn observe_snapshot(&mut self, snapshot: &Snapshot) {
        if let Some(p) = &snapshot.phase {
            if self.phase_names.get(&p.index) != Some(&p.name) {
                self.phase_names.insert(p.index, p.name.clone());
            }
        }
        let names = snapshot.tools.iter().filter(|t| !t.by_flow).map(|t| t.name.as_str());
        if !names.clone().eq(self.tools.iter().map(String::as_str)) {
            let keep = self.selected_tool().map(str::to_string);
            self.tools = names.map(str::to_string).collect();
            self.selected = keep.and_then(|k| self.tools.iter().position(|t| *t == k)).unwrap_or(0);
        }
    }

    /// Notes breaker state changes, to show how long each tool has been in its state.
    pub fn observe_target(&mut self, target: &TargetView, now_s: f64) {
        let Some(states) = target.reading.as_ref().and_then(|r| r.breaker_by_tool.as_ref()) else {
            return;
        };
        for (tool, &state) in states {
            match self.breakers.get_mut(tool) {
                Some(b) if b.state == state => {}
                Some(b) => *b = BreakerSince { state, since_s: now_s, seen_change: true },
                None => {
                    self.breakers.insert(tool.clone(), BreakerSince { state, since_s: now_s, seen_change: false });
                }
            }
        }
    }

    /// One key press: updates the state, returns what the session must do.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // Windows reports releases too; act on presses (and auto-repeat) only.
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        // Ctrl-C quits from anywhere, the dialog included.
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        if control && keymap::action_for(&key) == Some(Action::Quit) {
            return vec![Effect::Quit];
        }
        if let Overlay::Chaos(dialog) = &mut self.overlay {
            return match dialog_key(dialog, key) {
                DialogOutcome::Stay => Vec::new(),
                DialogOutcome::Cancel => {
                    self.overlay = Overlay::None;
                    self.set_status(StatusLevel::Info, "chaos injection cancelled");
                    Vec::new()
                }
                DialogOutcome::Confirm { tool, mode, pct } => {
                    self.overlay = Overlay::None;
                    self.set_status(StatusLevel::Info, format!("injecting {mode} at {pct}% on {tool}…"));
                    vec![Effect::InjectChaos { tool, mode, pct }]
                }
            };
        }
        match keymap::action_for(&key) {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        let engine = |c| vec![Effect::Engine(c)];
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::TogglePause => engine(EngineCommand::TogglePause),
            Action::RateUp => engine(EngineCommand::ScaleMultiplier(RATE_STEP)),
            Action::RateDown => engine(EngineCommand::ScaleMultiplier(1.0 / RATE_STEP)),
            Action::NextPhase => engine(EngineCommand::NextPhase),
            Action::NextPage => {
                self.step_page(true);
                Vec::new()
            }
            Action::PrevPage => {
                self.step_page(false);
                Vec::new()
            }
            Action::GoToPage(i) if Page::nth(i) == Page::Dashboard => {
                if self.dashboard_pages.0 == 0 {
                    self.set_status(StatusLevel::Info, "no dashboard: run with --dashboard FILE.json");
                } else if self.page == Page::Dashboard {
                    // Again on the dashboard: its next page.
                    self.dashboard_page = (self.dashboard_page + 1) % self.dashboard_page_count().max(1);
                } else {
                    self.page = Page::Dashboard;
                    self.dashboard_page = 0;
                }
                Vec::new()
            }
            Action::GoToPage(i) => {
                self.page = Page::nth(i);
                Vec::new()
            }
            Action::PrevTool => {
                if !self.tools.is_empty() {
                    self.selected = (self.selected + self.tools.len() - 1) % self.tools.len();
                }
                Vec::new()
            }
            Action::NextTool => {
                if !self.tools.is_empty() {
                    self.selected = (self.selected + 1) % self.tools.len();
                }
                Vec::new()
            }
            Action::InjectChaos | Action::ClearChaos | Action::ClearAllChaos if self.chaos_unavailable.is_some() => {
                let why = self.chaos_unavailable.clone().unwrap_or_default();
                self.set_status(StatusLevel::Info, why);
                Vec::new()
            }
            Action::InjectChaos => {
                match self.selected_tool() {
                    Some(tool) => self.overlay = Overlay::Chaos(ChaosDialog::new(tool.to_string())),
                    None => self.set_status(StatusLevel::Warn, "no tool to inject chaos on"),
                }
                Vec::new()
            }
            Action::ClearChaos => match self.selected_tool() {
                Some(tool) => {
                    let tool = tool.to_string();
                    self.set_status(StatusLevel::Info, format!("clearing chaos on {tool}…"));
                    vec![Effect::ClearChaos { tool }]
                }
                None => {
                    self.set_status(StatusLevel::Warn, "no tool selected");
                    Vec::new()
                }
            },
            Action::ClearAllChaos => {
                self.set_status(StatusLevel::Info, "clearing chaos on every tool…");
                vec![Effect::ClearAllChaos]
            }
            Action::ExportReport => {
                self.set_status(StatusLevel::Info, "exporting the report…");
                vec![Effect::ExportReport]
            }
            Action::Screenshot => vec![Effect::Screenshot],
            Action::CycleTheme => {
                let name = self.themes.cycle().name.clone();
                self.set_status(StatusLevel::Info, format!("theme: {name}"));
                Vec::new()
            }
            Action::ToggleLog => {
                self.log_visible = !self.log_visible;
                Vec::new()
            }
            Action::CycleWindow => {
                self.window = self.window.next();
                Vec::new()
            }
            Action::Help => {
                self.overlay = match self.overlay {
                    Overlay::Help => Overlay::None,
                    _ => Overlay::Help,
                };
                Vec::new()
            }
            Action::CloseOverlay => {
                self.overlay = Overlay::None;
                Vec::new()
            }
        }
    }
}

enum DialogOutcome {
    Stay,
    Cancel,
    Confirm { tool: String, mode: String, pct: f64 },
}

fn dialog_key(d: &mut ChaosDialog, key: KeyEvent) -> DialogOutcome {
    let n = CHAOS_MODES.len();
    match key.code {
        KeyCode::Esc => return DialogOutcome::Cancel,
        // ←/→ always pick the mode: the pct is too short to need cursor movement.
        KeyCode::Left | KeyCode::Up => d.mode = (d.mode + n - 1) % n,
        KeyCode::Right | KeyCode::Down => d.mode = (d.mode + 1) % n,
        KeyCode::Tab | KeyCode::BackTab => {
            d.field = match d.field {
                DialogField::Mode => DialogField::Pct,
                DialogField::Pct => DialogField::Mode,
            }
        }
        KeyCode::Enter => match d.field {
            DialogField::Mode => d.field = DialogField::Pct,
            DialogField::Pct => match parse_pct(d.pct.value()) {
                Ok(pct) => {
                    return DialogOutcome::Confirm { tool: d.tool.clone(), mode: d.mode_name().to_string(), pct }
                }
                Err(e) => d.error = Some(e),
            },
        },
        KeyCode::Char(c @ '1'..='3') if d.field == DialogField::Mode => {
            d.mode = (c as usize) - ('1' as usize);
            d.field = DialogField::Pct;
        }
        _ if d.field == DialogField::Pct => {
            let request = to_input_request(&Event::Key(key));
            // Only what can make a number goes in; editing keys pass through.
            let allowed = match request {
                Some(InputRequest::InsertChar(c)) => c.is_ascii_digit() || c == '.',
                Some(_) => true,
                None => false,
            };
            if let (true, Some(request)) = (allowed, request) {
                if d.pct.handle(request).is_some_and(|c| c.value) {
                    d.error = None;
                }
            }
        }
        _ => {}
    }
    DialogOutcome::Stay
}

/// A chaos percentage: a finite number from 0 to 100.
pub fn parse_pct(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter a percentage from 0 to 100".into());
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=100.0).contains(&v) => Ok(v),
        Ok(_) => Err(format!("{text}% is out of range: 0 to 100")),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ch(c: char) -> KeyEvent {
        key(KeyCode::Char(c))
    }

    fn app() -> App {
        let mut app = App::new(ThemeSet::default());
        app.observe_snapshot(&fixture::snapshot());
        app
    }

    fn type_str(app: &mut App, s: &str) -> Vec<Effect> {
        s.chars().flat_map(|c| app.handle_key(ch(c))).collect()
    }

    #[test]
    fn engine_keys() {
        let mut app = app();
        let cmd = |c| vec![Effect::Engine(c)];
        assert_eq!(app.handle_key(ch(' ')), cmd(EngineCommand::TogglePause));
        assert_eq!(app.handle_key(ch('+')), cmd(EngineCommand::ScaleMultiplier(1.1)));
        assert_eq!(app.handle_key(ch('=')), cmd(EngineCommand::ScaleMultiplier(1.1)));
        assert_eq!(app.handle_key(ch('-')), cmd(EngineCommand::ScaleMultiplier(1.0 / 1.1)));
        assert_eq!(app.handle_key(ch('n')), cmd(EngineCommand::NextPhase));
    }

    #[test]
    fn session_keys() {
        let mut app = app();
        assert_eq!(app.handle_key(ch('q')), vec![Effect::Quit]);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(ctrl_c), vec![Effect::Quit]);
        assert_eq!(app.handle_key(ch('e')), vec![Effect::ExportReport]);
        assert_eq!(app.handle_key(ch('s')), vec![Effect::Screenshot]);
        assert_eq!(app.handle_key(ch('x')), vec![Effect::ClearChaos { tool: "serpapi".into() }]);
        assert_eq!(app.handle_key(ch('X')), vec![Effect::ClearAllChaos]);
    }

    #[test]
    fn key_releases_do_nothing() {
        let mut app = app();
        let release = KeyEvent::new_with_kind(KeyCode::Char('q'), KeyModifiers::NONE, KeyEventKind::Release);
        assert!(app.handle_key(release).is_empty());
    }

    #[test]
    fn view_keys_change_state_only() {
        let mut app = app();
        let theme = app.theme().name.clone();
        assert!(app.handle_key(ch('t')).is_empty());
        assert_ne!(app.theme().name, theme);
        assert!(app.status.as_ref().unwrap().text.starts_with("theme: "));
        assert!(app.log_visible);
        assert!(app.handle_key(ch('L')).is_empty());
        assert!(!app.log_visible);
        assert_eq!(app.window, TimeWindow::FiveMinutes);
        app.handle_key(ch('w'));
        assert_eq!(app.window, TimeWindow::WholeRun);
        app.handle_key(ch('w'));
        assert_eq!(app.window, TimeWindow::OneMinute);
        app.handle_key(ch('w'));
        assert_eq!(app.window, TimeWindow::FiveMinutes);
        assert!(app.handle_key(ch('?')).is_empty());
        assert!(matches!(app.overlay, Overlay::Help));
        app.handle_key(ch('?'));
        assert!(matches!(app.overlay, Overlay::None));
        app.handle_key(ch('?'));
        app.handle_key(key(KeyCode::Esc));
        assert!(matches!(app.overlay, Overlay::None));
    }

    #[test]
    fn page_keys() {
        let mut app = app();
        assert_eq!(app.page, Page::Overview);
        app.handle_key(key(KeyCode::Tab));
        assert_eq!(app.page, Page::Latency);
        app.handle_key(key(KeyCode::BackTab));
        app.handle_key(key(KeyCode::BackTab));
        assert_eq!(app.page, Page::Log, "wraps backwards");
        app.handle_key(key(KeyCode::Tab));
        assert_eq!(app.page, Page::Overview, "wraps forwards");
        for (i, page) in Page::ALL.iter().enumerate().filter(|(_, p)| **p != Page::Dashboard) {
            let digit = char::from_digit(i as u32 + 1, 10).unwrap();
            assert!(app.handle_key(ch(digit)).is_empty());
            assert_eq!(app.page, *page);
        }
        app.handle_key(ch('7'));
        assert_eq!(app.page, Page::Log, "no dashboard: 7 stays");
        assert!(app.status.as_ref().unwrap().text.contains("--dashboard"));
    }

    #[test]
    fn a_dashboards_pages_are_visited_one_by_one() {
        let mut app = app();
        app.dashboard_pages = (3, 1);
        app.handle_key(ch('6'));
        app.handle_key(key(KeyCode::Tab));
        assert_eq!((app.page, app.dashboard_page), (Page::Dashboard, 0));
        app.handle_key(key(KeyCode::Tab));
        app.handle_key(key(KeyCode::Tab));
        assert_eq!((app.page, app.dashboard_page), (Page::Dashboard, 2));
        app.handle_key(key(KeyCode::Tab));
        assert_eq!(app.page, Page::Overview, "past its last page");
        app.handle_key(key(KeyCode::BackTab));
        assert_eq!((app.page, app.dashboard_page), (Page::Dashboard, 2), "backwards from its last page");
        app.handle_key(ch('7'));
        assert_eq!(app.dashboard_page, 0, "7 on the dashboard: its next page, wrapping");
        // In the grid every built-in panel shows at once: Tab goes grid ⇄ dashboard.
        app.compact = false;
        app.handle_key(key(KeyCode::Tab));
        assert_eq!(app.page, Page::Overview);
        app.handle_key(key(KeyCode::Tab));
        assert_eq!((app.page, app.dashboard_page), (Page::Dashboard, 0));
    }

    #[test]
    fn tool_selection_wraps_and_survives_new_snapshots() {
        let mut app = app();
        assert_eq!(app.tools, ["serpapi", "http_fetch", "openai"], "'-' is not selectable");
        assert_eq!(app.selected_tool(), Some("serpapi"));
        app.handle_key(key(KeyCode::Left));
        assert_eq!(app.selected_tool(), Some("openai"), "wraps left");
        app.handle_key(key(KeyCode::Right));
        assert_eq!(app.selected_tool(), Some("serpapi"), "wraps right");
        app.handle_key(ch('l'));
        assert_eq!(app.selected_tool(), Some("http_fetch"));
        app.handle_key(ch('h'));
        assert_eq!(app.selected_tool(), Some("serpapi"));
        app.handle_key(ch('l'));
        // a snapshot with the tools in another order keeps the same tool selected
        let mut snap = fixture::snapshot();
        snap.tools.reverse();
        app.observe_snapshot(&snap);
        assert_eq!(app.selected_tool(), Some("http_fetch"));
    }

    #[test]
    fn no_tools_means_no_chaos_dialog() {
        let mut app = App::new(ThemeSet::default());
        app.handle_key(key(KeyCode::Right));
        assert!(app.handle_key(ch('c')).is_empty());
        assert!(matches!(app.overlay, Overlay::None));
        assert_eq!(app.status.as_ref().unwrap().level, StatusLevel::Warn);
        assert!(app.handle_key(ch('x')).is_empty());
    }

    #[test]
    fn chaos_dialog_with_number_keys() {
        let mut app = app();
        app.handle_key(key(KeyCode::Right)); // http_fetch
        assert!(app.handle_key(ch('c')).is_empty());
        let Overlay::Chaos(d) = &app.overlay else { panic!("dialog not open") };
        assert_eq!(d.tool, "http_fetch");
        assert_eq!(d.field, DialogField::Mode);
        // inside the dialog, letters are not cockpit keys
        assert!(app.handle_key(ch('q')).is_empty());
        assert!(app.handle_key(ch('2')).is_empty());
        let Overlay::Chaos(d) = &app.overlay else { panic!() };
        assert_eq!(d.mode_name(), "500");
        assert_eq!(d.field, DialogField::Pct);
        assert!(type_str(&mut app, "2x5").is_empty(), "letters are not typed");
        let Overlay::Chaos(d) = &app.overlay else { panic!() };
        assert_eq!(d.pct.value(), "25");
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            vec![Effect::InjectChaos { tool: "http_fetch".into(), mode: "500".into(), pct: 25.0 }]
        );
        assert!(matches!(app.overlay, Overlay::None));
    }

    #[test]
    fn chaos_dialog_with_arrows_and_editing() {
        let mut app = app();
        app.handle_key(ch('c'));
        app.handle_key(key(KeyCode::Left)); // wraps to jitter
        app.handle_key(key(KeyCode::Enter)); // to the pct field
        type_str(&mut app, "7.55");
        app.handle_key(key(KeyCode::Backspace));
        app.handle_key(key(KeyCode::Right)); // jitter -> timeout
        app.handle_key(key(KeyCode::Right)); // timeout -> 500
        app.handle_key(key(KeyCode::Left)); // back to timeout
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            vec![Effect::InjectChaos { tool: "serpapi".into(), mode: "timeout".into(), pct: 7.5 }]
        );
    }

    #[test]
    fn invalid_pct_shows_an_error_and_emits_nothing() {
        let mut app = app();
        app.handle_key(ch('c'));
        app.handle_key(ch('1'));
        // empty
        assert!(app.handle_key(key(KeyCode::Enter)).is_empty());
        let Overlay::Chaos(d) = &app.overlay else { panic!("dialog stays open") };
        assert!(d.error.is_some());
        // out of range
        type_str(&mut app, "150");
        let Overlay::Chaos(d) = &app.overlay else { panic!() };
        assert!(d.error.is_none(), "typing clears the error");
        assert!(app.handle_key(key(KeyCode::Enter)).is_empty());
        let Overlay::Chaos(d) = &app.overlay else { panic!() };
        assert!(d.error.as_deref().unwrap().contains("0 to 100"));
        // not a number
        app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)); // clear line
        type_str(&mut app, "1.2.3");
        assert!(app.handle_key(key(KeyCode::Enter)).is_empty());
        let Overlay::Chaos(d) = &app.overlay else { panic!() };
        assert!(d.error.as_deref().unwrap().contains("not a number"));
    }

    #[test]
    fn esc_cancels_the_dialog() {
        let mut app = app();
        app.handle_key(ch('c'));
        type_str(&mut app, "3");
        type_str(&mut app, "50");
        assert!(app.handle_key(key(KeyCode::Esc)).is_empty());
        assert!(matches!(app.overlay, Overlay::None));
        assert!(app.status.as_ref().unwrap().text.contains("cancelled"));
        // and the cockpit keys work again
        assert_eq!(app.handle_key(ch('q')), vec![Effect::Quit]);
    }

    #[test]
    fn ctrl_c_quits_even_inside_the_dialog() {
        let mut app = app();
        app.handle_key(ch('c'));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(ctrl_c), vec![Effect::Quit]);
    }

    #[test]
    fn pct_validation() {
        assert_eq!(parse_pct("0"), Ok(0.0));
        assert_eq!(parse_pct(" 100 "), Ok(100.0));
        assert_eq!(parse_pct("12.5"), Ok(12.5));
        assert!(parse_pct("").is_err());
        assert!(parse_pct("100.01").is_err());
        assert!(parse_pct("-1").is_err());
        assert!(parse_pct("NaN").is_err());
        assert!(parse_pct("inf").is_err());
        assert!(parse_pct("abc").is_err());
    }

    #[test]
    fn breaker_clock_and_phase_names() {
        let mut app = app();
        assert_eq!(app.phase_names.get(&2).map(String::as_str), Some("soak"));
        let mut target = fixture::target(false);
        app.observe_target(&target, 10.0);
        let b = app.breakers["serpapi"];
        assert_eq!((b.state, b.since_s, b.seen_change), (2, 10.0, false));
        app.observe_target(&target, 20.0);
        assert_eq!(app.breakers["serpapi"].since_s, 10.0, "same state keeps its start");
        if let Some(r) = target.reading.as_mut() {
            r.breaker_by_tool.as_mut().unwrap().insert("serpapi".into(), 1);
        }
        app.observe_target(&target, 30.0);
        let b = app.breakers["serpapi"];
        assert_eq!((b.state, b.since_s, b.seen_change), (1, 30.0, true));
    }

    #[test]
    fn finishing_sets_the_status_once() {
        let mut app = app();
        app.mark_finished();
        assert!(app.finished);
        assert_eq!(app.status.as_ref().unwrap().text, FINISHED_TEXT);
        app.set_status(StatusLevel::Info, "other");
        app.mark_finished();
        assert_eq!(app.status.as_ref().unwrap().text, "other");
    }
}
