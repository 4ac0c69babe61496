//! Key bindings as data: one table that the key handler, the help overlay (`?`) and the key
//! bar all read, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    TogglePause,
    RateUp,
    RateDown,
    NextPhase,
    NextPage,
    PrevPage,
    /// Page by index (0 = Overview … 5 = Log).
    GoToPage(usize),
    PrevTool,
    NextTool,
    InjectChaos,
    ClearChaos,
    ClearAllChaos,
    ExportReport,
    Screenshot,
    CycleTheme,
    ToggleLog,
    CycleWindow,
    Help,
    CloseOverlay,
}

#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    /// How the key is written in the help overlay; empty for an alias listed elsewhere.
    pub label: &'static str,
    pub action: Action,
    pub description: &'static str,
    /// Key text and short description in the key bar, for the bindings that have a place there.
    pub bar: Option<(&'static str, &'static str)>,
}

impl Binding {
    const fn key(code: KeyCode, label: &'static str, action: Action, description: &'static str) -> Self {
        Self { code, modifiers: KeyModifiers::NONE, label, action, description, bar: None }
    }

    /// A second key for an action already described: matched, but not listed.
    const fn alias(code: KeyCode, action: Action) -> Self {
        Self::key(code, "", action, "")
    }

    const fn ctrl(mut self) -> Self {
        self.modifiers = KeyModifiers::CONTROL;
        self
    }

    const fn in_bar(mut self, key: &'static str, text: &'static str) -> Self {
        self.bar = Some((key, text));
        self
    }
}

use Action as A;
use KeyCode::{BackTab, Char, Esc, Left, Right, Tab};

/// Every key the cockpit knows, in the order the help overlay and the key bar list them (the
/// bar keeps what fits from the left, so the most used keys come first).
pub static BINDINGS: &[Binding] = &[
    Binding::key(Char('q'), "q", A::Quit, "quit: stop the load, write the report").in_bar("q", "quit"),
    Binding::key(Char('c'), "Ctrl-C", A::Quit, "quit").ctrl(),
    Binding::key(Char(' '), "space", A::TogglePause, "pause / resume the load").in_bar("space", "pause"),
    Binding::key(Char('+'), "+", A::RateUp, "rate ×1.1").in_bar("+/-", "rate"),
    Binding::alias(Char('='), A::RateUp),
    Binding::key(Char('-'), "-", A::RateDown, "rate ÷1.1"),
    Binding::key(Left, "←/h", A::PrevTool, "select the previous tool").in_bar("←→", "tool"),
    Binding::alias(Char('h'), A::PrevTool),
    Binding::key(Right, "→/l", A::NextTool, "select the next tool"),
    Binding::alias(Char('l'), A::NextTool),
    Binding::key(Char('c'), "c", A::InjectChaos, "inject chaos on the selected tool…").in_bar("c", "chaos"),
    Binding::key(Char('x'), "x", A::ClearChaos, "clear chaos on the selected tool").in_bar("x", "clear"),
    Binding::key(Char('X'), "X", A::ClearAllChaos, "clear chaos on every tool"),
    Binding::key(Char('n'), "n", A::NextPhase, "skip to the next phase").in_bar("n", "next phase"),
    Binding::key(Tab, "Tab", A::NextPage, "next page").in_bar("Tab", "page"),
    Binding::key(BackTab, "Shift-Tab", A::PrevPage, "previous page"),
    Binding::key(Char('1'), "1…7", A::GoToPage(0), "page: Overview Latency Errors Resilience Security Log Dashboard"),
    Binding::alias(Char('2'), A::GoToPage(1)),
    Binding::alias(Char('3'), A::GoToPage(2)),
    Binding::alias(Char('4'), A::GoToPage(3)),
    Binding::alias(Char('5'), A::GoToPage(4)),
    Binding::alias(Char('6'), A::GoToPage(5)),
    Binding::alias(Char('7'), A::GoToPage(6)),
    Binding::key(Char('e'), "e", A::ExportReport, "export the report now").in_bar("e", "export"),
    Binding::key(Char('s'), "s", A::Screenshot, "save a screenshot (SVG + text)").in_bar("s", "shot"),
    Binding::key(Char('t'), "t", A::CycleTheme, "next theme").in_bar("t", "theme"),
    Binding::key(Char('L'), "L", A::ToggleLog, "show / hide the event log").in_bar("L", "log"),
    Binding::key(Char('w'), "w", A::CycleWindow, "chart window: 1m / 5m / whole run").in_bar("w", "window"),
    Binding::key(Char('?'), "?", A::Help, "this help").in_bar("?", "help"),
    Binding::key(Esc, "Esc", A::CloseOverlay, "close help / dialog"),
];

/// The action bound to `key`, if any. Shift is ignored on characters (it is already in the
/// character: `X`, `+`, `?`) and on Shift-Tab, which terminals report either way.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    let (code, modifiers) = normalize(key);
    BINDINGS.iter().find(|b| b.code == code && b.modifiers == modifiers).map(|b| b.action)
}

fn normalize(key: &KeyEvent) -> (KeyCode, KeyModifiers) {
    match key.code {
        Char(c) => {
            let shifted = key.modifiers.contains(KeyModifiers::SHIFT);
            // Some keyboard protocols report Shift+x as 'x' with SHIFT rather than 'X'.
            let c = if shifted && c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c };
            (Char(c), key.modifiers.difference(KeyModifiers::SHIFT))
        }
        BackTab => (BackTab, key.modifiers.difference(KeyModifiers::SHIFT)),
        code => (code, key.modifiers),
    }
}

/// (key, description) lines of the help overlay, aliases left out.
pub fn help_entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS.iter().filter(|b| !b.label.is_empty()).map(|b| (b.label, b.description))
}

/// (key, short text) items of the key bar, in table order; the help item comes last.
pub fn bar_entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS.iter().filter_map(|b| b.bar)
}

/// Keys inside the chaos dialog (handled by the dialog itself, listed here for its hint line).
pub const DIALOG_HINTS: &[(&str, &str)] =
    &[("←→ 1 2 3", "mode"), ("Tab", "field"), ("Enter", "inject"), ("Esc", "cancel")];

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_action_is_reachable_and_keys_are_unique() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(!(a.code == b.code && a.modifiers == b.modifiers), "{:?} bound twice", a.code);
            }
            let key = KeyEvent::new(a.code, a.modifiers);
            assert_eq!(action_for(&key), Some(a.action), "{:?}", a.code);
        }
    }

    #[test]
    fn shift_and_control_are_handled() {
        let ctrl_c = KeyEvent::new(Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
        assert_eq!(action_for(&press(Char('c'))), Some(Action::InjectChaos));
        let big_x = KeyEvent::new(Char('X'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&big_x), Some(Action::ClearAllChaos));
        let shift_x = KeyEvent::new(Char('x'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&shift_x), Some(Action::ClearAllChaos));
        let plus = KeyEvent::new(Char('+'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&plus), Some(Action::RateUp));
        let back = KeyEvent::new(BackTab, KeyModifiers::SHIFT);
        assert_eq!(action_for(&back), Some(Action::PrevPage));
        let alt_q = KeyEvent::new(Char('q'), KeyModifiers::ALT);
        assert_eq!(action_for(&alt_q), None);
        assert_eq!(action_for(&press(Char('z'))), None);
    }

    #[test]
    fn help_and_bar_come_from_the_table() {
        let help: Vec<_> = help_entries().collect();
        assert!(help.contains(&("q", "quit: stop the load, write the report")));
        assert!(help.contains(&("Ctrl-C", "quit")));
        assert!(help.iter().all(|(k, d)| !k.is_empty() && !d.is_empty()));
        assert!(!help.iter().any(|(k, _)| *k == "h"), "aliases are not listed");
        let bar: Vec<_> = bar_entries().collect();
        assert_eq!(bar.first(), Some(&("q", "quit")));
        assert_eq!(bar.last(), Some(&("?", "help")));
    }
}
