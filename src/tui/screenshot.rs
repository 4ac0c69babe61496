//! The current frame → `screenshot_svg` cells → `proofdeck-<timestamp>.svg` and `.txt`.

use super::screenshot_svg::{self, Cell};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;
use std::path::{Path, PathBuf};

/// Named colours as xterm draws them by default.
const NAMED: [(u8, u8, u8); 16] = [
    (0, 0, 0),       // black
    (205, 0, 0),     // red
    (0, 205, 0),     // green
    (205, 205, 0),   // yellow
    (0, 0, 238),     // blue
    (205, 0, 205),   // magenta
    (0, 205, 205),   // cyan
    (229, 229, 229), // gray (white)
    (127, 127, 127), // dark gray (bright black)
    (255, 0, 0),     // light red
    (0, 255, 0),     // light green
    (255, 255, 0),   // light yellow
    (92, 92, 255),   // light blue
    (255, 0, 255),   // light magenta
    (0, 255, 255),   // light cyan
    (255, 255, 255), // white
];

/// RGB of a terminal colour; `None` for `Reset` (the terminal's default).
pub fn color_to_rgb(color: Color) -> Option<(u8, u8, u8)> {
    let named = |i: usize| Some(NAMED[i]);
    match color {
        Color::Reset => None,
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => Some(xterm_256(i)),
    }
}

/// The xterm 256-colour palette: 16 system colours, a 6×6×6 cube, 24 greys.
fn xterm_256(i: u8) -> (u8, u8, u8) {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match i {
        0..=15 => NAMED[i as usize],
        16..=231 => {
            let n = i - 16;
            (LEVELS[(n / 36) as usize], LEVELS[((n / 6) % 6) as usize], LEVELS[(n % 6) as usize])
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The buffer as rows of cells. The cells hidden behind a wide character become
/// continuations (empty symbol), as `screenshot_svg` expects.
pub fn buffer_to_cells(buffer: &Buffer) -> Vec<Vec<Cell>> {
    let area = buffer.area;
    let mut rows = Vec::with_capacity(area.height as usize);
    for y in area.top()..area.bottom() {
        let mut row = Vec::with_capacity(area.width as usize);
        let mut hidden = 0usize;
        for x in area.left()..area.right() {
            let Some(c) = buffer.cell((x, y)) else {
                continue;
            };
            let symbol = if hidden > 0 {
                hidden -= 1;
                String::new()
            } else {
                let s = c.symbol();
                hidden = Span::raw(s).width().saturating_sub(1);
                s.to_string()
            };
            let m = c.modifier;
            row.push(Cell {
                symbol,
                fg: color_to_rgb(c.fg),
                bg: color_to_rgb(c.bg),
                bold: m.contains(Modifier::BOLD),
                italic: m.contains(Modifier::ITALIC),
                underline: m.contains(Modifier::UNDERLINED),
                dim: m.contains(Modifier::DIM),
                reversed: m.contains(Modifier::REVERSED),
            });
        }
        rows.push(row);
    }
    rows
}

/// Writes `<dir>/proofdeck-<timestamp>.svg` and `.txt` (creating `dir`); returns both paths.
pub fn save(
    buffer: &Buffer,
    dir: &Path,
    default_fg: (u8, u8, u8),
    default_bg: (u8, u8, u8),
) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let cells = buffer_to_cells(buffer);
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S-%3f").to_string();
    // Two shots in the same millisecond must not overwrite each other.
    let mut stem = format!("proofdeck-{stamp}");
    let mut n = 1;
    while dir.join(format!("{stem}.svg")).exists() || dir.join(format!("{stem}.txt")).exists() {
        n += 1;
        stem = format!("proofdeck-{stamp}-{n}");
    }
    let svg = dir.join(format!("{stem}.svg"));
    let txt = dir.join(format!("{stem}.txt"));
    std::fs::write(&svg, screenshot_svg::frame_to_svg(&cells, default_fg, default_bg))?;
    std::fs::write(&txt, screenshot_svg::frame_to_text(&cells))?;
    Ok((svg, txt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn colours_map_to_rgb() {
        assert_eq!(color_to_rgb(Color::Reset), None);
        assert_eq!(color_to_rgb(Color::Red), Some((205, 0, 0)));
        assert_eq!(color_to_rgb(Color::White), Some((255, 255, 255)));
        assert_eq!(color_to_rgb(Color::Rgb(1, 2, 3)), Some((1, 2, 3)));
        assert_eq!(color_to_rgb(Color::Indexed(1)), color_to_rgb(Color::Red));
        assert_eq!(color_to_rgb(Color::Indexed(16)), Some((0, 0, 0)));
        assert_eq!(color_to_rgb(Color::Indexed(196)), Some((255, 0, 0)));
        assert_eq!(color_to_rgb(Color::Indexed(231)), Some((255, 255, 255)));
        assert_eq!(color_to_rgb(Color::Indexed(232)), Some((8, 8, 8)));
        assert_eq!(color_to_rgb(Color::Indexed(255)), Some((238, 238, 238)));
    }

    #[test]
    fn cells_keep_symbols_styles_and_wide_characters() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        buf.set_string(
            0,
            0,
            "表x",
            Style::new().fg(Color::Rgb(255, 0, 0)).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        );
        buf.set_string(0, 1, "ok", Style::new().bg(Color::Indexed(21)));
        let cells = buffer_to_cells(&buf);
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[0].len(), 6);
        assert_eq!(cells[0][0].symbol, "表");
        assert_eq!(cells[0][1].symbol, "", "continuation of the wide glyph");
        assert_eq!(cells[0][2].symbol, "x");
        assert_eq!(cells[0][2].fg, Some((255, 0, 0)));
        assert!(cells[0][2].bold && cells[0][2].underline && !cells[0][2].italic);
        assert_eq!(cells[0][3].symbol, " ");
        assert_eq!(cells[0][3].fg, None);
        assert_eq!(cells[1][0].bg, Some((0, 0, 255)));
        assert_eq!(screenshot_svg::frame_to_text(&cells), "表x\nok\n");
    }

    #[test]
    fn save_writes_svg_and_text() {
        let dir = std::env::temp_dir().join(format!(
            "proofdeck-shot-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        buf.set_string(0, 0, "serpapi p99", Style::new().fg(Color::Green));
        let (svg, txt) = save(&buf, &dir, (220, 220, 220), (16, 16, 24)).unwrap();
        let (svg2, _) = save(&buf, &dir, (220, 220, 220), (16, 16, 24)).unwrap();
        assert_ne!(svg, svg2, "a second shot gets its own name");
        let name = svg.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("proofdeck-") && name.ends_with(".svg"), "{name}");
        assert_eq!(txt.extension().unwrap(), "txt");
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(svg_text.contains("<svg") && svg_text.contains("serpapi p99"));
        assert!(svg_text.contains("#00cd00"), "colours are kept");
        assert_eq!(std::fs::read_to_string(&txt).unwrap(), "serpapi p99\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
