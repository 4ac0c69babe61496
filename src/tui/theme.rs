//! Themes: semantic style slots loaded from TOML. Built-in themes come from `themes/` via
//! `include_str!`; user themes in the config dir override or extend them. Panels ask for a
//! slot (`ok`, `warn`, `muted`…), never for a colour.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Built-in themes, the first one being the default.
const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

pub const DEFAULT_THEME: &str = "dark";
pub const MONOCHROME_THEME: &str = "monochrome";

/// A semantic style slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Text,
    Muted,
    Accent,
    Ok,
    Warn,
    Bad,
    Border,
    Title,
    /// The selected item (tool, tab, dialog choice).
    Highlight,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    /// `Color::Reset` keeps the terminal's own background.
    pub background: Color,
    pub text: Color,
    pub muted: Color,
    pub accent: Color,
    pub ok: Color,
    pub warn: Color,
    pub bad: Color,
    pub border: Color,
    pub title: Color,
    pub highlight_bg: Color,
    pub series: Vec<Color>,
    /// No colours at all: slots are told apart by bold / underline / reversed, and chart
    /// series by their marker.
    pub monochrome: bool,
}

/// A theme file as written: every slot optional, the rest comes from `extends`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: Option<String>,
    extends: Option<String>,
    background: Option<String>,
    text: Option<String>,
    muted: Option<String>,
    accent: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    bad: Option<String>,
    border: Option<String>,
    title: Option<String>,
    highlight_bg: Option<String>,
    series: Option<Vec<String>>,
}

/// Markers that tell series apart without colour.
const MONO_MARKERS: [Marker; 6] =
    [Marker::Braille, Marker::Dot, Marker::Custom('+'), Marker::Custom('x'), Marker::Custom('o'), Marker::Custom('*')];
const MONO_GLYPHS: [&str; 6] = ["⣿", "•", "+", "x", "o", "*"];

impl Theme {
    /// The cockpit under `NO_COLOR`: readable through modifiers alone.
    pub fn monochrome() -> Self {
        Self {
            name: MONOCHROME_THEME.into(),
            background: Color::Reset,
            text: Color::Reset,
            muted: Color::Reset,
            accent: Color::Reset,
            ok: Color::Reset,
            warn: Color::Reset,
            bad: Color::Reset,
            border: Color::Reset,
            title: Color::Reset,
            highlight_bg: Color::Reset,
            series: vec![Color::Reset],
            monochrome: true,
        }
    }

    /// Named colours only; used if a built-in file were ever broken (a test guards that).
    fn fallback() -> Self {
        Self {
            name: DEFAULT_THEME.into(),
            background: Color::Reset,
            text: Color::Gray,
            muted: Color::DarkGray,
            accent: Color::Cyan,
            ok: Color::Green,
            warn: Color::Yellow,
            bad: Color::Red,
            border: Color::DarkGray,
            title: Color::White,
            highlight_bg: Color::DarkGray,
            series: vec![Color::Cyan, Color::Magenta, Color::Green, Color::Yellow],
            monochrome: false,
        }
    }

    /// Parses a theme file. Missing slots come from the theme named by `extends` (looked up
    /// with `lookup`), else from `base`. `default_name` names a file without `name`.
    pub fn from_toml(
        text: &str,
        default_name: &str,
        base: &Theme,
        lookup: impl Fn(&str) -> Option<Theme>,
    ) -> Result<Theme, ThemeError> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| ThemeError::Toml(e.to_string()))?;
        let base = match &raw.extends {
            Some(name) => lookup(name).ok_or_else(|| ThemeError::UnknownBase(name.clone()))?,
            None => base.clone(),
        };
        let in_slot = |slot: &'static str| move |e: NotAColour| ThemeError::Colour { slot, error: e };
        let pick = |value: &Option<String>, slot: &'static str, fallback: Color| -> Result<Color, ThemeError> {
            value.as_deref().map_or(Ok(fallback), |s| parse_color(s).map_err(in_slot(slot)))
        };
        let series = match &raw.series {
            Some(list) if !list.is_empty() => {
                list.iter().map(|s| parse_color(s).map_err(in_slot("series"))).collect::<Result<Vec<_>, _>>()?
            }
            Some(_) => return Err(ThemeError::NoSeries),
            None => base.series.clone(),
        };
        Ok(Theme {
            name: raw.name.clone().unwrap_or_else(|| default_name.to_string()),
            background: pick(&raw.background, "background", base.background)?,
            text: pick(&raw.text, "text", base.text)?,
            muted: pick(&raw.muted, "muted", base.muted)?,
            accent: pick(&raw.accent, "accent", base.accent)?,
            ok: pick(&raw.ok, "ok", base.ok)?,
            warn: pick(&raw.warn, "warn", base.warn)?,
            bad: pick(&raw.bad, "bad", base.bad)?,
            border: pick(&raw.border, "border", base.border)?,
            title: pick(&raw.title, "title", base.title)?,
            highlight_bg: pick(&raw.highlight_bg, "highlight_bg", base.highlight_bg)?,
            series,
            monochrome: false,
        })
    }

    pub fn style(&self, slot: Slot) -> Style {
        let s = Style::new();
        if self.monochrome {
            return match slot {
                Slot::Text | Slot::Muted | Slot::Border | Slot::Ok => s,
                Slot::Accent | Slot::Title => s.add_modifier(Modifier::BOLD),
                Slot::Warn => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Slot::Bad => s.add_modifier(Modifier::BOLD | Modifier::REVERSED),
                Slot::Highlight => s.add_modifier(Modifier::REVERSED),
            };
        }
        match slot {
            Slot::Text => s.fg(self.text),
            Slot::Muted => s.fg(self.muted),
            Slot::Accent => s.fg(self.accent),
            Slot::Ok => s.fg(self.ok),
            Slot::Warn => s.fg(self.warn),
            Slot::Bad => s.fg(self.bad).add_modifier(Modifier::BOLD),
            Slot::Border => s.fg(self.border),
            Slot::Title => s.fg(self.title).add_modifier(Modifier::BOLD),
            Slot::Highlight => s.fg(self.text).bg(self.highlight_bg).add_modifier(Modifier::BOLD),
        }
    }

    /// The whole screen's style: text on the theme's background.
    pub fn base(&self) -> Style {
        if self.monochrome {
            Style::new()
        } else {
            Style::new().fg(self.text).bg(self.background)
        }
    }

    pub fn series_style(&self, i: usize) -> Style {
        if self.monochrome || self.series.is_empty() {
            return Style::new();
        }
        Style::new().fg(self.series[i % self.series.len()])
    }

    /// Chart marker for series `i`: braille in colour; distinct markers in monochrome.
    pub fn series_marker(&self, i: usize) -> Marker {
        if self.monochrome {
            MONO_MARKERS[i % MONO_MARKERS.len()]
        } else {
            Marker::Braille
        }
    }

    /// Legend glyph matching `series_marker`.
    pub fn series_glyph(&self, i: usize) -> &'static str {
        if self.monochrome {
            MONO_GLYPHS[i % MONO_GLYPHS.len()]
        } else {
            "━"
        }
    }

    /// Default foreground and background for SVG screenshots.
    pub fn svg_colors(&self) -> ((u8, u8, u8), (u8, u8, u8)) {
        let fg = super::screenshot::color_to_rgb(self.text).unwrap_or((220, 220, 220));
        let bg = super::screenshot::color_to_rgb(self.background).unwrap_or((16, 16, 24));
        (fg, bg)
    }
}

/// Why a theme file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThemeError {
    #[error("{0}")]
    Toml(String),
    #[error("extends unknown theme {0:?}")]
    UnknownBase(String),
    #[error("{slot}: {error}")]
    Colour { slot: &'static str, error: NotAColour },
    #[error("series: needs at least one colour")]
    NoSeries,
}

/// A value that names no colour.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not a colour (use \"#rrggbb\", a name like \"red\", or 0-255)")]
pub struct NotAColour(pub String);

/// "#rrggbb", a colour name ("light-blue", "reset"…) or an xterm index ("244").
pub fn parse_color(s: &str) -> Result<Color, NotAColour> {
    s.trim().parse::<Color>().map_err(|_| NotAColour(s.to_string()))
}

/// `NO_COLOR` set to anything non-empty (https://no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Where user themes live: `<config dir>/themes/*.toml`.
pub fn user_theme_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "proofdeck", "proofdeck").map(|d| d.config_dir().join("themes"))
}

/// Built-in themes, then user themes from `user_dir` (a user theme with a built-in's name
/// replaces it). With `no_color` only the monochrome theme exists. Returns the themes and
/// the problems met (unreadable or invalid user files), which never stop the cockpit.
pub fn load_all(user_dir: Option<&Path>, no_color: bool) -> (Vec<Theme>, Vec<String>) {
    if no_color {
        return (vec![Theme::monochrome()], Vec::new());
    }
    let mut themes: Vec<Theme> = Vec::new();
    let mut problems = Vec::new();
    let fallback = Theme::fallback();
    for (name, text) in BUILTIN {
        let found = themes.clone();
        match Theme::from_toml(text, name, &fallback, |n| find(&found, n)) {
            Ok(t) => themes.push(t),
            Err(e) => problems.push(format!("built-in theme {name}: {e}")),
        }
    }
    if themes.is_empty() {
        themes.push(fallback);
    }
    if let Some(dir) = user_dir {
        for path in toml_files(dir) {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let loaded = std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|text| {
                // A file named like a theme layers over it; others layer over the default.
                let base = find(&themes, &stem).unwrap_or_else(|| themes[0].clone());
                Theme::from_toml(&text, &stem, &base, |n| find(&themes, n)).map_err(|e| e.to_string())
            });
            match loaded {
                Ok(t) => match themes.iter_mut().find(|x| x.name == t.name) {
                    Some(slot) => *slot = t,
                    None => themes.push(t),
                },
                Err(e) => problems.push(format!("theme {}: {e}", path.display())),
            }
        }
    }
    (themes, problems)
}

fn find(themes: &[Theme], name: &str) -> Option<Theme> {
    themes.iter().find(|t| t.name == name).cloned()
}

/// `*.toml` files of `dir`, sorted so loading is deterministic; none if it does not exist.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Every theme available here (built-in, user, or monochrome under `NO_COLOR`).
pub fn available() -> (Vec<Theme>, Vec<String>) {
    load_all(user_theme_dir().as_deref(), no_color_requested())
}

pub fn by_name(name: &str) -> Option<Theme> {
    find(&available().0, name)
}

pub fn names() -> Vec<String> {
    available().0.into_iter().map(|t| t.name).collect()
}

/// The themes the cockpit cycles through, and the current one.
#[derive(Clone, Debug)]
pub struct ThemeSet {
    themes: Vec<Theme>,
    current: usize,
}

impl ThemeSet {
    /// `themes` must not be empty; an empty list gets the default theme.
    pub fn new(themes: Vec<Theme>) -> Self {
        let themes = if themes.is_empty() { vec![Theme::fallback()] } else { themes };
        Self { themes, current: 0 }
    }

    /// Available themes with `preferred` selected; the messages tell what went wrong (an
    /// unknown name, a broken user file).
    pub fn load(preferred: Option<&str>) -> (Self, Vec<String>) {
        let (themes, mut problems) = available();
        let mut set = Self::new(themes);
        if let Some(name) = preferred {
            if !set.select(name) && set.current().name != MONOCHROME_THEME {
                problems.push(format!("unknown theme {name:?}; available: {}", set.names().join(", ")));
            }
        }
        (set, problems)
    }

    pub fn current(&self) -> &Theme {
        &self.themes[self.current.min(self.themes.len() - 1)]
    }

    pub fn index(&self) -> usize {
        self.current
    }

    pub fn names(&self) -> Vec<String> {
        self.themes.iter().map(|t| t.name.clone()).collect()
    }

    /// Selects the theme called `name`; false (and no change) if there is none.
    pub fn select(&mut self, name: &str) -> bool {
        match self.themes.iter().position(|t| t.name == name) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// Moves to the next theme, wrapping; returns the new one.
    pub fn cycle(&mut self) -> &Theme {
        self.current = (self.current + 1) % self.themes.len();
        self.current()
    }
}

impl Default for ThemeSet {
    fn default() -> Self {
        Self::new(load_all(None, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "proofdeck-theme-{tag}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_theme_file_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
        let files = toml_files(&dir);
        assert!(files.len() >= 3, "themes/ holds the built-in themes");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let theme = Theme::from_toml(&text, &stem, &Theme::fallback(), |_| None)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(theme.name, stem, "{}: name matches the file", path.display());
            assert!(!theme.series.is_empty());
        }
    }

    #[test]
    fn builtins_load_without_problems() {
        let (themes, problems) = load_all(None, false);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<_> = themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dark", "light", "high-contrast"]);
        assert_eq!(themes[0].name, DEFAULT_THEME);
        assert_eq!(themes[1].background, Color::Rgb(0xfa, 0xfa, 0xfa));
        assert!(themes.iter().all(|t| !t.monochrome));
    }

    #[test]
    fn no_color_gives_only_monochrome() {
        let (themes, _) = load_all(None, true);
        assert_eq!(themes.len(), 1);
        let t = &themes[0];
        assert!(t.monochrome);
        for slot in [
            Slot::Text,
            Slot::Muted,
            Slot::Accent,
            Slot::Ok,
            Slot::Warn,
            Slot::Bad,
            Slot::Border,
            Slot::Title,
            Slot::Highlight,
        ] {
            let s = t.style(slot);
            assert_eq!(s.fg, None, "{slot:?}");
            assert_eq!(s.bg, None, "{slot:?}");
        }
        assert_eq!(t.base(), Style::new());
        assert_eq!(t.series_style(3), Style::new());
        // still readable: warnings and errors stand out without colour
        assert!(t.style(Slot::Bad).add_modifier.contains(Modifier::REVERSED));
        assert!(t.style(Slot::Warn).add_modifier.contains(Modifier::BOLD));
        assert!(t.style(Slot::Highlight).add_modifier.contains(Modifier::REVERSED));
        assert_ne!(t.series_marker(0), t.series_marker(1));
    }

    #[test]
    fn colours_parse_in_every_spelling() {
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("light-blue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
        assert_eq!(parse_color("244"), Ok(Color::Indexed(244)));
        assert!(parse_color("#ff80").is_err());
        assert!(parse_color("blurple").is_err());
    }

    #[test]
    fn invalid_theme_text_is_an_error_not_a_panic() {
        let base = Theme::fallback();
        let none = |_: &str| None;
        assert!(Theme::from_toml("text = 3", "x", &base, none).is_err());
        assert!(Theme::from_toml("colour = \"#000000\"", "x", &base, none).is_err());
        let e = Theme::from_toml("ok = \"grassy\"", "x", &base, none).unwrap_err();
        assert!(matches!(e, ThemeError::Colour { slot: "ok", .. }), "{e}");
        assert!(e.to_string().starts_with("ok:"), "{e}");
        assert!(Theme::from_toml("series = []", "x", &base, none).is_err());
        assert!(Theme::from_toml("extends = \"nope\"", "x", &base, none).is_err());
        assert!(Theme::from_toml("[[[", "x", &base, none).is_err());
    }

    #[test]
    fn user_themes_override_and_extend() {
        let dir = temp_dir("user");
        std::fs::write(dir.join("dark.toml"), "accent = \"#ff0000\"\n").unwrap();
        std::fs::write(dir.join("mine.toml"), "extends = \"light\"\nbad = \"magenta\"\n").unwrap();
        std::fs::write(dir.join("broken.toml"), "ok = 12\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a theme").unwrap();
        let (themes, problems) = load_all(Some(&dir), false);
        let _ = std::fs::remove_dir_all(&dir);

        let builtin = load_all(None, false).0;
        let dark = find(&themes, "dark").unwrap();
        assert_eq!(dark.accent, Color::Rgb(255, 0, 0));
        assert_eq!(dark.ok, builtin[0].ok, "unset slots keep the built-in value");
        let mine = find(&themes, "mine").unwrap();
        assert_eq!(mine.bad, Color::Magenta);
        assert_eq!(mine.background, builtin[1].background, "extends light");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("broken.toml"));
        assert!(find(&themes, "broken").is_none());
    }

    #[test]
    fn theme_set_cycles_and_selects() {
        let mut set = ThemeSet::new(load_all(None, false).0);
        assert_eq!(set.current().name, "dark");
        assert_eq!(set.cycle().name, "light");
        assert_eq!(set.cycle().name, "high-contrast");
        assert_eq!(set.cycle().name, "dark", "wraps");
        assert!(set.select("light"));
        assert_eq!(set.index(), 1);
        assert!(!set.select("nope"));
        assert_eq!(set.current().name, "light");
        let mut mono = ThemeSet::new(vec![Theme::monochrome()]);
        assert_eq!(mono.cycle().name, MONOCHROME_THEME);
        assert_eq!(ThemeSet::new(Vec::new()).current().name, DEFAULT_THEME);
    }
}
