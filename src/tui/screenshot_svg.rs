//! Terminal frame → SVG screenshot and plain text (SPEC §6, "save screenshot").
//!
//! The frame is a grid of [`Cell`]s (one per terminal column, row by row), e.g. copied from a
//! ratatui `Buffer`. [`frame_to_svg`] draws it on a monospace grid of
//! [`CELL_W`] × [`CELL_H`] pixels:
//!
//! * backgrounds are merged into one `<rect>` per run of equal colour in a row;
//! * text is merged into one `<text>` per run of equal style, placed at the run's column
//!   and stretched with `textLength` so that any monospace font lines up with the grid;
//! * box-drawing (`─│┌┐└┘├┤┬┴┼`, heavy, double, rounded, dashed), block elements
//!   (`▀▁▂▃▄▅▆▇█▉…▏▐░▒▓▔▕` and quadrants) and braille (`⠀`–`⣿`) are drawn as geometry, one
//!   `<path>` per colour, so borders join seamlessly and charts look the same whatever fonts
//!   the viewer has;
//! * `reversed` swaps foreground and background, `dim` blends the foreground towards the
//!   background.
//!
//! Output is deterministic (same frame → same bytes) and XML-escaped. Wide characters are
//! not laid out specially: a cell with an empty symbol (the continuation of a wide glyph) only
//! widens the preceding text run.

use std::fmt::Write as _;

/// One terminal cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// The grapheme shown in the cell; `" "` for blank, `""` for the continuation of a wide
    /// character.
    pub symbol: String,
    pub fg: Option<(u8, u8, u8)>,
    pub bg: Option<(u8, u8, u8)>,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub dim: bool,
    pub reversed: bool,
}

type Rgb = (u8, u8, u8);

/// Width of one terminal cell in SVG pixels.
pub const CELL_W: f64 = 8.4;
/// Height of one terminal cell in SVG pixels.
pub const CELL_H: f64 = 17.0;
const PAD: f64 = 12.0;
const FONT_SIZE: f64 = 14.0;
const BASELINE: f64 = 13.0;
const FONT: &str = "'DejaVu Sans Mono', 'SF Mono', Menlo, Consolas, 'Cascadia Mono', 'Liberation Mono', monospace";
const LIGHT: f64 = 1.0;
const HEAVY: f64 = 2.0;
const DOUBLE_OFFSET: f64 = 1.5;
const DOUBLE_T: f64 = 1.0;
const DOT: f64 = 2.0;

macro_rules! out {
    ($dst:expr, $($arg:tt)*) => {
        let _ = write!($dst, $($arg)*);
    };
}

/// Renders the frame as a standalone SVG 1.1 document.
pub fn frame_to_svg(cells: &[Vec<Cell>], default_fg: (u8, u8, u8), default_bg: (u8, u8, u8)) -> String {
    let rows = cells.len();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let w = num(2.0 * PAD + cols as f64 * CELL_W);
    let h = num(2.0 * PAD + rows as f64 * CELL_H);

    let mut bgs = String::new();
    let mut texts = String::new();
    let mut shapes: Vec<(Rgb, u8, String)> = Vec::new();
    let mut scratch = String::new();

    for (r, row) in cells.iter().enumerate() {
        let y0 = PAD + r as f64 * CELL_H;
        let styles: Vec<Style> = row.iter().map(|c| Style::resolve(c, default_fg, default_bg)).collect();

        // Backgrounds: one rect per run of equal colour (the default is the canvas).
        let mut c = 0;
        while c < row.len() {
            let bg = styles[c].bg;
            let mut e = c + 1;
            while e < row.len() && styles[e].bg == bg {
                e += 1;
            }
            if bg != default_bg {
                out!(
                    bgs,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
                    num(col_x(c)),
                    num(y0),
                    num(col_x(e) - col_x(c)),
                    num(CELL_H),
                    hex(bg)
                );
            }
            c = e;
        }

        // Text runs and geometry.
        let mut run: Option<Run> = None;
        for (c, cell) in row.iter().enumerate() {
            let st = &styles[c];
            match classify(&cell.symbol) {
                Kind::Geometry(ch) => {
                    flush(&mut run, y0, default_fg, &mut texts);
                    scratch.clear();
                    if let Some(level) = geometry(ch, col_x(c), y0, &mut scratch) {
                        match shapes.iter_mut().find(|s| s.0 == st.fg && s.1 == level) {
                            Some(s) => s.2.push_str(&scratch),
                            None => shapes.push((st.fg, level, scratch.clone())),
                        }
                    }
                }
                Kind::Continuation => {
                    if let Some(run) = run.as_mut() {
                        run.cells += 1;
                        run.trailing_cells = 0;
                        run.trailing_bytes = 0;
                    }
                }
                Kind::Blank if !st.underline => {
                    // Invisible: joins any open run that does not draw an underline.
                    match run.as_mut() {
                        Some(open) if !open.style.underline => {
                            open.text.push(' ');
                            open.cells += 1;
                            open.trailing_cells += 1;
                            open.trailing_bytes += 1;
                        }
                        _ => flush(&mut run, y0, default_fg, &mut texts),
                    }
                }
                Kind::Blank | Kind::Text => {
                    let symbol = if cell.symbol.is_empty() { " " } else { cell.symbol.as_str() };
                    let key = st.text_key();
                    if run.as_ref().is_some_and(|open| open.style != key) {
                        flush(&mut run, y0, default_fg, &mut texts);
                    }
                    let open = run.get_or_insert_with(|| Run {
                        col: c,
                        cells: 0,
                        text: String::new(),
                        style: key,
                        trailing_cells: 0,
                        trailing_bytes: 0,
                    });
                    open.text.push_str(symbol);
                    open.cells += 1;
                    open.trailing_cells = 0;
                    open.trailing_bytes = 0;
                }
            }
        }
        flush(&mut run, y0, default_fg, &mut texts);
    }

    let mut s = String::with_capacity(bgs.len() + texts.len() + 1024);
    out!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n"
    );
    out!(s, "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" rx=\"6\" ry=\"6\" fill=\"{}\"/>\n", hex(default_bg));
    if !bgs.is_empty() {
        out!(s, "<g shape-rendering=\"crispEdges\">\n{bgs}</g>\n");
    }
    if !shapes.is_empty() {
        out!(s, "<g stroke=\"none\">\n");
        for (color, level, d) in &shapes {
            let opacity = match level {
                1 => " fill-opacity=\"0.25\"",
                2 => " fill-opacity=\"0.5\"",
                3 => " fill-opacity=\"0.75\"",
                _ => "",
            };
            out!(s, "<path fill=\"{}\"{opacity} d=\"{d}\"/>\n", hex(*color));
        }
        out!(s, "</g>\n");
    }
    if !texts.is_empty() {
        out!(
            s,
            "<g font-family=\"{FONT}\" font-size=\"{}\" fill=\"{}\" xml:space=\"preserve\">\n{texts}</g>\n",
            num(FONT_SIZE),
            hex(default_fg)
        );
    }
    out!(s, "</svg>\n");
    s
}

/// The frame as plain text: one line per row, trailing spaces trimmed, control characters
/// replaced by spaces.
pub fn frame_to_text(cells: &[Vec<Cell>]) -> String {
    let mut s = String::new();
    for row in cells {
        let start = s.len();
        for cell in row {
            for ch in cell.symbol.chars() {
                s.push(if ch.is_control() { ' ' } else { ch });
            }
        }
        let trimmed = s[start..].trim_end_matches(' ').len();
        s.truncate(start + trimmed);
        s.push('\n');
    }
    s
}

// ---------------------------------------------------------------------------------------
// Styles and runs
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Style {
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextKey {
    fg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
}

impl Style {
    fn resolve(c: &Cell, default_fg: Rgb, default_bg: Rgb) -> Style {
        let (mut fg, mut bg) = (c.fg.unwrap_or(default_fg), c.bg.unwrap_or(default_bg));
        if c.reversed {
            std::mem::swap(&mut fg, &mut bg);
        }
        if c.dim {
            fg = blend(fg, bg);
        }
        Style { fg, bg, bold: c.bold, italic: c.italic, underline: c.underline }
    }

    fn text_key(&self) -> TextKey {
        TextKey { fg: self.fg, bold: self.bold, italic: self.italic, underline: self.underline }
    }
}

/// 60 % foreground, 40 % background (integer arithmetic: deterministic).
fn blend(fg: Rgb, bg: Rgb) -> Rgb {
    let mix = |a: u8, b: u8| ((u16::from(a) * 3 + u16::from(b) * 2 + 2) / 5) as u8;
    (mix(fg.0, bg.0), mix(fg.1, bg.1), mix(fg.2, bg.2))
}

struct Run {
    col: usize,
    cells: usize,
    text: String,
    style: TextKey,
    trailing_cells: usize,
    trailing_bytes: usize,
}

fn flush(run: &mut Option<Run>, y0: f64, default_fg: Rgb, out: &mut String) {
    let Some(mut r) = run.take() else {
        return;
    };
    r.cells -= r.trailing_cells;
    r.text.truncate(r.text.len() - r.trailing_bytes);
    if r.cells == 0 || r.text.is_empty() {
        return;
    }
    out!(out, "<text x=\"{}\" y=\"{}\"", num(col_x(r.col)), num(y0 + BASELINE));
    if r.cells > 1 {
        out!(out, " textLength=\"{}\" lengthAdjust=\"spacing\"", num(r.cells as f64 * CELL_W));
    }
    if r.style.fg != default_fg {
        out!(out, " fill=\"{}\"", hex(r.style.fg));
    }
    if r.style.bold {
        out!(out, " font-weight=\"bold\"");
    }
    if r.style.italic {
        out!(out, " font-style=\"italic\"");
    }
    if r.style.underline {
        out!(out, " text-decoration=\"underline\"");
    }
    out!(out, ">{}</text>\n", esc(&r.text));
}

enum Kind {
    Blank,
    Continuation,
    Text,
    Geometry(char),
}

fn classify(symbol: &str) -> Kind {
    let mut it = symbol.chars();
    match (it.next(), it.next()) {
        (None, _) => Kind::Continuation,
        (Some(' ' | '\u{2800}'), None) => Kind::Blank,
        (Some(c), None) if c.is_control() => Kind::Blank,
        (Some(c), None) if is_geometry(c) => Kind::Geometry(c),
        _ => Kind::Text,
    }
}

fn is_geometry(c: char) -> bool {
    box_arms(c).is_some()
        || matches!(c, '╭' | '╮' | '╯' | '╰')
        || dashed(c).is_some()
        || ('\u{2580}'..='\u{259F}').contains(&c)
        || ('\u{2801}'..='\u{28FF}').contains(&c)
}

fn col_x(col: usize) -> f64 {
    PAD + col as f64 * CELL_W
}

// ---------------------------------------------------------------------------------------
// Geometry: box drawing, blocks, braille
// ---------------------------------------------------------------------------------------

/// Appends the path data for `c` drawn in the cell at `(x0, y0)`; returns the shade level
/// (0 = opaque, 1..=3 = 25/50/75 %) or `None` if `c` is not drawn as geometry.
fn geometry(c: char, x0: f64, y0: f64, d: &mut String) -> Option<u8> {
    let (x1, y1) = (x0 + CELL_W, y0 + CELL_H);
    if let Some(arms) = box_arms(c) {
        if arms.contains(&3) {
            double_lines(arms, x0, y0, d);
        } else {
            single_lines(arms, x0, y0, d);
        }
        return Some(0);
    }
    if let Some((sx, sy)) = match c {
        '╭' => Some((1.0, 1.0)),
        '╮' => Some((-1.0, 1.0)),
        '╰' => Some((1.0, -1.0)),
        '╯' => Some((-1.0, -1.0)),
        _ => None,
    } {
        rounded_corner(sx, sy, x0, y0, d);
        return Some(0);
    }
    if let Some((vertical, heavy, n)) = dashed(c) {
        let t = if heavy { HEAVY } else { LIGHT };
        let cx = snap(x0 + CELL_W / 2.0, t);
        let cy = snap(y0 + CELL_H / 2.0, t);
        let len = if vertical { CELL_H } else { CELL_W };
        let slot = len / f64::from(n);
        for i in 0..n {
            let a = f64::from(i) * slot + slot * 0.2;
            let b = a + slot * 0.6;
            if vertical {
                rect(d, cx - t / 2.0, y0 + a, cx + t / 2.0, y0 + b);
            } else {
                rect(d, x0 + a, cy - t / 2.0, x0 + b, cy + t / 2.0);
            }
        }
        return Some(0);
    }
    let u = c as u32;
    if (0x2580..=0x259F).contains(&u) {
        // (left, top, right, bottom) as fractions of the cell
        let frac = |d: &mut String, l: f64, t: f64, r: f64, b: f64| {
            rect(d, x0 + l * CELL_W, y0 + t * CELL_H, x0 + r * CELL_W, y0 + b * CELL_H);
        };
        let quads = |d: &mut String, ul: bool, ur: bool, ll: bool, lr: bool| {
            for (on, l, t) in [(ul, 0.0, 0.0), (ur, 0.5, 0.0), (ll, 0.0, 0.5), (lr, 0.5, 0.5)] {
                if on {
                    frac(d, l, t, l + 0.5, t + 0.5);
                }
            }
        };
        let mut level = 0;
        match u {
            0x2580 => frac(d, 0.0, 0.0, 1.0, 0.5),
            0x2581..=0x2588 => frac(d, 0.0, 1.0 - f64::from(u - 0x2580) / 8.0, 1.0, 1.0),
            0x2589..=0x258F => frac(d, 0.0, 0.0, f64::from(0x2590 - u) / 8.0, 1.0),
            0x2590 => frac(d, 0.5, 0.0, 1.0, 1.0),
            0x2591..=0x2593 => {
                level = (u - 0x2590) as u8;
                rect(d, x0, y0, x1, y1);
            }
            0x2594 => frac(d, 0.0, 0.0, 1.0, 0.125),
            0x2595 => frac(d, 0.875, 0.0, 1.0, 1.0),
            0x2596 => quads(d, false, false, true, false),
            0x2597 => quads(d, false, false, false, true),
            0x2598 => quads(d, true, false, false, false),
            0x2599 => quads(d, true, false, true, true),
            0x259A => quads(d, true, false, false, true),
            0x259B => quads(d, true, true, true, false),
            0x259C => quads(d, true, true, false, true),
            0x259D => quads(d, false, true, false, false),
            0x259E => quads(d, false, true, true, false),
            _ => quads(d, false, true, true, true), // 0x259F
        }
        return Some(level);
    }
    if (0x2801..=0x28FF).contains(&u) {
        let bits = u - 0x2800;
        // dot n (1-based) → (column, row)
        const DOTS: [(u32, u32); 8] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)];
        for (i, (col, row)) in DOTS.iter().enumerate() {
            if bits & (1 << i) != 0 {
                let cx = x0 + CELL_W * (0.25 + 0.5 * f64::from(*col));
                let cy = y0 + CELL_H * (0.125 + 0.25 * f64::from(*row));
                rect(d, cx - DOT / 2.0, cy - DOT / 2.0, cx + DOT / 2.0, cy + DOT / 2.0);
            }
        }
        return Some(0);
    }
    None
}

/// Arms of a box-drawing character: `[up, right, down, left]`, each 0 = none, 1 = light,
/// 2 = heavy, 3 = double.
fn box_arms(c: char) -> Option<[u8; 4]> {
    Some(match c {
        '─' => [0, 1, 0, 1],
        '━' => [0, 2, 0, 2],
        '│' => [1, 0, 1, 0],
        '┃' => [2, 0, 2, 0],
        '┌' => [0, 1, 1, 0],
        '┍' => [0, 2, 1, 0],
        '┎' => [0, 1, 2, 0],
        '┏' => [0, 2, 2, 0],
        '┐' => [0, 0, 1, 1],
        '┑' => [0, 0, 1, 2],
        '┒' => [0, 0, 2, 1],
        '┓' => [0, 0, 2, 2],
        '└' => [1, 1, 0, 0],
        '┕' => [1, 2, 0, 0],
        '┖' => [2, 1, 0, 0],
        '┗' => [2, 2, 0, 0],
        '┘' => [1, 0, 0, 1],
        '┙' => [1, 0, 0, 2],
        '┚' => [2, 0, 0, 1],
        '┛' => [2, 0, 0, 2],
        '├' => [1, 1, 1, 0],
        '┝' => [1, 2, 1, 0],
        '┠' => [2, 1, 2, 0],
        '┣' => [2, 2, 2, 0],
        '┤' => [1, 0, 1, 1],
        '┥' => [1, 0, 1, 2],
        '┨' => [2, 0, 2, 1],
        '┫' => [2, 0, 2, 2],
        '┬' => [0, 1, 1, 1],
        '┯' => [0, 2, 1, 2],
        '┰' => [0, 1, 2, 1],
        '┳' => [0, 2, 2, 2],
        '┴' => [1, 1, 0, 1],
        '┷' => [1, 2, 0, 2],
        '┸' => [2, 1, 0, 1],
        '┻' => [2, 2, 0, 2],
        '┼' => [1, 1, 1, 1],
        '┿' => [1, 2, 1, 2],
        '╂' => [2, 1, 2, 1],
        '╋' => [2, 2, 2, 2],
        '╴' => [0, 0, 0, 1],
        '╵' => [1, 0, 0, 0],
        '╶' => [0, 1, 0, 0],
        '╷' => [0, 0, 1, 0],
        '╸' => [0, 0, 0, 2],
        '╹' => [2, 0, 0, 0],
        '╺' => [0, 2, 0, 0],
        '╻' => [0, 0, 2, 0],
        '╼' => [0, 2, 0, 1],
        '╽' => [1, 0, 2, 0],
        '╾' => [0, 1, 0, 2],
        '╿' => [2, 0, 1, 0],
        '═' => [0, 3, 0, 3],
        '║' => [3, 0, 3, 0],
        '╔' => [0, 3, 3, 0],
        '╗' => [0, 0, 3, 3],
        '╚' => [3, 3, 0, 0],
        '╝' => [3, 0, 0, 3],
        '╠' => [3, 3, 3, 0],
        '╣' => [3, 0, 3, 3],
        '╦' => [0, 3, 3, 3],
        '╩' => [3, 3, 0, 3],
        '╬' => [3, 3, 3, 3],
        _ => return None,
    })
}

/// Dashed lines: `(vertical, heavy, dashes)`.
fn dashed(c: char) -> Option<(bool, bool, u8)> {
    Some(match c {
        '┄' => (false, false, 3),
        '┅' => (false, true, 3),
        '┆' => (true, false, 3),
        '┇' => (true, true, 3),
        '┈' => (false, false, 4),
        '┉' => (false, true, 4),
        '┊' => (true, false, 4),
        '┋' => (true, true, 4),
        '╌' => (false, false, 2),
        '╍' => (false, true, 2),
        '╎' => (true, false, 2),
        '╏' => (true, true, 2),
        _ => return None,
    })
}

/// Centre of a line of thickness `t` near `c`, snapped so its edges fall on whole pixels.
fn snap(c: f64, t: f64) -> f64 {
    (c - t / 2.0).round() + t / 2.0
}

fn thickness(weight: u8) -> f64 {
    match weight {
        1 => LIGHT,
        2 => HEAVY,
        _ => 0.0,
    }
}

fn single_lines(arms: [u8; 4], x0: f64, y0: f64, d: &mut String) {
    let (x1, y1) = (x0 + CELL_W, y0 + CELL_H);
    let [up, right, down, left] = arms.map(thickness);
    let vt = up.max(down);
    let ht = left.max(right);
    let cx = snap(x0 + CELL_W / 2.0, if vt > 0.0 { vt } else { LIGHT });
    let cy = snap(y0 + CELL_H / 2.0, if ht > 0.0 { ht } else { LIGHT });
    // Straight lines are one rectangle from edge to edge.
    if vt == 0.0 && left == right {
        rect(d, x0, cy - left / 2.0, x1, cy + left / 2.0);
        return;
    }
    if ht == 0.0 && up == down {
        rect(d, cx - up / 2.0, y0, cx + up / 2.0, y1);
        return;
    }
    // Each arm runs from the cell edge to just past the centre, far enough to cover the
    // perpendicular arms, so corners and junctions are solid.
    let ext = |own: f64, across: f64| {
        if across > 0.0 {
            across / 2.0
        } else {
            own / 2.0
        }
    };
    if up > 0.0 {
        rect(d, cx - up / 2.0, y0, cx + up / 2.0, cy + ext(up, ht));
    }
    if down > 0.0 {
        rect(d, cx - down / 2.0, cy - ext(down, ht), cx + down / 2.0, y1);
    }
    if left > 0.0 {
        rect(d, x0, cy - left / 2.0, cx + ext(left, vt), cy + left / 2.0);
    }
    if right > 0.0 {
        rect(d, cx - ext(right, vt), cy - right / 2.0, x1, cy + right / 2.0);
    }
}

fn double_lines(arms: [u8; 4], x0: f64, y0: f64, d: &mut String) {
    let (x1, y1) = (x0 + CELL_W, y0 + CELL_H);
    let cx = (x0 + CELL_W / 2.0).round();
    let cy = (y0 + CELL_H / 2.0).round();
    let (g, t) = (DOUBLE_OFFSET, DOUBLE_T);
    const DIRS: [(f64, f64); 4] = [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)];
    for i in 0..4 {
        if arms[i] != 3 {
            continue;
        }
        let (ax, ay) = DIRS[i];
        for side in [(i + 1) % 4, (i + 3) % 4] {
            let (sx, sy) = DIRS[side];
            // Stop before the line of a perpendicular arm on this side, go past the centre
            // to meet the opposite arm's outer line, or stop at the centre.
            let stop = if arms[side] == 3 {
                g
            } else if arms[(side + 2) % 4] == 3 {
                -g
            } else {
                0.0
            };
            if ax == 0.0 {
                let x = cx + sx * g;
                let edge = if ay < 0.0 { y0 } else { y1 };
                let end = cy + ay * stop - ay * t / 2.0;
                rect(d, x - t / 2.0, edge.min(end), x + t / 2.0, edge.max(end));
            } else {
                let y = cy + sy * g;
                let edge = if ax < 0.0 { x0 } else { x1 };
                let end = cx + ax * stop - ax * t / 2.0;
                rect(d, edge.min(end), y - t / 2.0, edge.max(end), y + t / 2.0);
            }
        }
    }
}

/// Light rounded corner; `(sx, sy)` point along the arms (`╭` = right and down).
fn rounded_corner(sx: f64, sy: f64, x0: f64, y0: f64, d: &mut String) {
    let cx = snap(x0 + CELL_W / 2.0, LIGHT);
    let cy = snap(y0 + CELL_H / 2.0, LIGHT);
    let ex = if sx > 0.0 { x0 + CELL_W } else { x0 };
    let ey = if sy > 0.0 { y0 + CELL_H } else { y0 };
    let h = LIGHT / 2.0;
    let r = (ex - cx).abs().min((ey - cy).abs()).min(5.0);
    let (outer, inner) = if sx * sy > 0.0 { (1, 0) } else { (0, 1) };
    let p = |u: f64, v: f64| format!("{} {}", num(cx + sx * u), num(cy + sy * v));
    let ly = (ey - cy).abs();
    let lx = (ex - cx).abs();
    out!(
        d,
        "M{}L{}A{} {} 0 0 {outer} {}L{}L{}L{}A{} {} 0 0 {inner} {}L{}z",
        p(-h, ly),
        p(-h, r),
        num(r + h),
        num(r + h),
        p(r, -h),
        p(lx, -h),
        p(lx, h),
        p(r, h),
        num(r - h),
        num(r - h),
        p(h, r),
        p(h, ly)
    );
}

fn rect(d: &mut String, x0: f64, y0: f64, x1: f64, y1: f64) {
    let (a, b, c, e) = (num(x0), num(y0), num(x1), num(y1));
    out!(d, "M{a} {b}H{c}V{e}H{a}z");
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

/// Two decimals at most, no trailing zeros, no `-0`.
fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Text escaped for XML (one rule for every XML file proofdeck writes).
fn esc(s: &str) -> String {
    crate::util::xml_escape(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::check_xml;

    const FG: Rgb = (220, 220, 220);
    const BG: Rgb = (16, 16, 24);

    fn cell(s: &str) -> Cell {
        Cell { symbol: s.to_string(), ..Cell::default() }
    }

    fn line(s: &str) -> Vec<Cell> {
        s.chars().map(|c| cell(&c.to_string())).collect()
    }

    fn styled(s: &str, f: impl Fn(&mut Cell)) -> Vec<Cell> {
        let mut v = line(s);
        v.iter_mut().for_each(f);
        v
    }

    fn svg_of(frame: &[Vec<Cell>]) -> String {
        let svg = frame_to_svg(frame, FG, BG);
        if let Err(e) = check_xml(&svg) {
            panic!("invalid SVG: {e}\n{svg}");
        }
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        svg
    }

    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text ").skip(1).map(|t| &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()]).collect()
    }

    fn attr<'a>(elem: &'a str, name: &str) -> Option<&'a str> {
        let k = format!(" {name}=\"");
        let start = elem.find(&k)? + k.len();
        Some(&elem[start..start + elem[start..].find('"')?])
    }

    #[test]
    fn checker_rejects_broken_xml() {
        assert!(check_xml("<a><b></a>").is_err());
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a>\u{1}</a>").is_err());
        assert!(check_xml("<a t=\"<\"/>").is_err());
        assert!(check_xml("<a/><b/>").is_err());
        assert!(check_xml("<a b=\"1\" b=\"2\"/>").is_err());
        assert!(check_xml("<?xml version=\"1.0\"?>\n<a b=\"&amp;\"><c/>t&lt;</a>\n").is_ok());
    }

    #[test]
    fn empty_frame() {
        let svg = svg_of(&[]);
        assert!(svg.contains("width=\"24\" height=\"24\""));
        assert!(!svg.contains("<text"));
        assert_eq!(frame_to_text(&[]), "");
        let svg = svg_of(&[vec![], line("   ")]);
        assert!(!svg.contains("<text"));
        assert_eq!(frame_to_text(&[vec![], line("   ")]), "\n\n");
    }

    #[test]
    fn text_runs_merge_and_split_on_style() {
        let mut row = line("Hello world  ");
        row.extend(styled("ERR", |c| {
            c.fg = Some((255, 0, 0));
            c.bold = true;
        }));
        row.extend(line(" ok   "));
        let svg = svg_of(&[row]);
        assert_eq!(texts(&svg), vec!["Hello world", "ERR", "ok"]);
        let elems: Vec<&str> = svg.split("<text").skip(1).collect();
        // run positions follow the grid; trailing blanks are trimmed
        assert_eq!(attr(elems[0], "x"), Some("12"));
        assert_eq!(attr(elems[0], "textLength"), Some("92.4")); // 11 cells
        assert_eq!(attr(elems[1], "x"), Some(num(col_x(13)).as_str()));
        assert_eq!(attr(elems[1], "fill"), Some("#ff0000"));
        assert_eq!(attr(elems[1], "font-weight"), Some("bold"));
        assert_eq!(attr(elems[2], "x"), Some(num(col_x(17)).as_str()));
        assert_eq!(attr(elems[2], "textLength"), Some("16.8"));
        assert_eq!(attr(elems[0], "fill"), None, "default colour comes from the group");
        assert!(svg.contains("xml:space=\"preserve\""));
    }

    #[test]
    fn underline_italic_and_spaces_inside_runs() {
        let row = styled("a  b", |c| {
            c.underline = true;
            c.italic = true;
        });
        let svg = svg_of(&[row]);
        assert_eq!(texts(&svg), vec!["a  b"]);
        assert!(svg.contains("text-decoration=\"underline\""));
        assert!(svg.contains("font-style=\"italic\""));
        // an underlined run is not extended by plain blanks
        let mut row = styled("ab", |c| c.underline = true);
        row.extend(line(" c"));
        assert_eq!(texts(&svg_of(&[row])), vec!["ab", "c"]);
    }

    #[test]
    fn background_runs_merge() {
        let mut row = styled("          ", |c| c.bg = Some((200, 0, 0)));
        row.extend(styled("xxxxx", |c| c.bg = Some((0, 0, 200))));
        row.extend(line("   "));
        row.extend(styled("  ", |c| c.bg = Some((200, 0, 0))));
        let svg = svg_of(&[row.clone(), row]);
        // canvas + 3 runs per row
        assert_eq!(svg.matches("<rect").count(), 1 + 3 * 2);
        assert_eq!(svg.matches("fill=\"#c80000\"").count(), 4);
        assert!(svg.contains("<rect x=\"12\" y=\"12\" width=\"84\" height=\"17\" fill=\"#c80000\"/>"));
        assert!(svg.contains("<rect x=\"96\" y=\"12\" width=\"42\" height=\"17\" fill=\"#0000c8\"/>"));
        // default background is not repeated per cell
        assert!(!svg.contains("fill=\"#101018\"/>\n<rect x=\"138\""));
    }

    #[test]
    fn reversed_swaps_and_dim_blends() {
        let row = styled("R", |c| {
            c.fg = Some((255, 0, 0));
            c.reversed = true;
        });
        let svg = svg_of(&[row]);
        assert!(svg.contains("width=\"8.4\" height=\"17\" fill=\"#ff0000\""));
        assert!(svg.contains(&format!("fill=\"{}\">R</text>", hex(BG))));

        let row = styled("d", |c| {
            c.fg = Some((255, 255, 255));
            c.bg = Some((0, 0, 0));
            c.dim = true;
        });
        let svg = svg_of(&[row]);
        assert!(svg.contains("fill=\"#999999\">d</text>"), "{svg}");
    }

    #[test]
    fn box_drawing_and_blocks_are_geometry() {
        let frame =
            vec![line("┌──┬─┐╭─╮╔═╗┏━┓"), line("│ab│ │╰─╯╚═╝┗━┛"), line("├──┼─┤▁▂▃▄▅▆▇█░"), line("└──┴─┘▀▐▌▖▗▘▙▚┄")];
        let svg = svg_of(&frame);
        assert_eq!(texts(&svg), vec!["ab"]);
        assert!(svg.contains("<path fill=\"#dcdcdc\" d=\"M"));
        assert!(svg.contains("fill-opacity=\"0.25\""));
        // the full block is exactly its cell
        let x = col_x(13);
        let y = PAD + 2.0 * CELL_H;
        let full = format!("M{} {}H{}V{}H{}z", num(x), num(y), num(x + CELL_W), num(y + CELL_H), num(x));
        assert!(svg.contains(&full), "{full}");
        // horizontal lines span their cells edge to edge, so they join the neighbours
        let mut d = String::new();
        geometry('─', 12.0, 12.0, &mut d);
        assert_eq!(d, "M12 20H20.4V21H12z");
        let mut d = String::new();
        geometry('│', 12.0, 12.0, &mut d);
        assert_eq!(d, "M16 12H17V29H16z");
        for c in "─│┌┐└┘├┤┬┴┼━┃╭╮╯╰═║╔╗╚╝╬▁▂▃▄▅▆▇█▉▊▋▌▍▎▏▐░▒▓▔▕▖▗▘▙▚▛▜▝▞▟⠁⣿".chars()
        {
            let mut d = String::new();
            assert!(geometry(c, 0.0, 0.0, &mut d).is_some(), "{c}");
            assert!(!d.is_empty(), "{c}");
        }
        let mut d = String::new();
        assert!(geometry('a', 0.0, 0.0, &mut d).is_none());
    }

    #[test]
    fn braille_dots() {
        let mut d = String::new();
        geometry('⣿', 0.0, 0.0, &mut d);
        assert_eq!(d.matches('M').count(), 8);
        let mut d = String::new();
        geometry('⠁', 0.0, 0.0, &mut d); // dot 1: top-left
        assert_eq!(d, "M1.1 1.13H3.1V3.13H1.1z");
        let mut d = String::new();
        geometry('⢀', 0.0, 0.0, &mut d); // dot 8: bottom-right
        assert_eq!(d, "M5.3 13.88H7.3V15.88H5.3z");
        // blank braille is just background
        let svg = svg_of(&[line("⠀⠀⠀")]);
        assert!(!svg.contains("<path") && !svg.contains("<text"));
        // one path per colour, not per cell
        let mut row = line("⣀⣤⣶⣿");
        row.extend(styled("⣿⣿", |c| c.fg = Some((0, 255, 0))));
        let svg = svg_of(&[row]);
        assert_eq!(svg.matches("<path").count(), 2);
    }

    #[test]
    fn escaping() {
        let frame = vec![line("<b>&\"'</b>"), line("a\u{1}b\u{1b}[31m")];
        let svg = svg_of(&frame);
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;&amp;&quot;&apos;&lt;/b&gt;"));
        assert!(!svg.contains('\u{1b}'));
        assert_eq!(frame_to_text(&frame), "<b>&\"'</b>\na b [31m\n");
    }

    #[test]
    fn text_output_trims_and_handles_wide_continuations() {
        let mut row = line("表");
        row.push(cell(""));
        row.extend(line("x   "));
        let frame = vec![line("  a b   "), row, line("┌─┐  ")];
        assert_eq!(frame_to_text(&frame), "  a b\n表x\n┌─┐\n");
        let svg = svg_of(&frame);
        assert_eq!(texts(&svg), vec!["a b", "表x"]);
        let elem = svg.split("<text").nth(2).unwrap();
        assert_eq!(attr(elem, "textLength"), Some("25.2")); // 3 cells
    }

    #[test]
    fn deterministic() {
        let frame: Vec<Vec<Cell>> = (0..24)
            .map(|r| {
                (0..80)
                    .map(|c| Cell {
                        symbol: ["a", "─", "⣿", " ", "█", "é"][(r * 7 + c) % 6].to_string(),
                        fg: Some(((r * 10) as u8, (c * 3) as u8, 100)),
                        bg: if c % 9 == 0 { Some((30, 30, 30)) } else { None },
                        bold: c % 5 == 0,
                        ..Cell::default()
                    })
                    .collect()
            })
            .collect();
        let a = svg_of(&frame);
        assert_eq!(a, frame_to_svg(&frame, FG, BG));
        assert!(a.contains("width=\"696\" height=\"432\""));
    }
}
