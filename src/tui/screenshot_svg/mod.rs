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

macro_rules! out {
    ($dst:expr, $($arg:tt)*) => {
        let _ = write!($dst, $($arg)*);
    };
}

mod geometry;

use geometry::*;

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
