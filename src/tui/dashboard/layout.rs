//! A dashboard's panels on the terminal: grouped into pages, and placed on each page in
//! proportion to Grafana's 24-column grid.

use ratatui::layout::Rect;

use crate::dashboard::Panel;

/// Grid height units a page holds in the grid layout (Grafana's unit is ~30 px; a terminal
/// from 120×40 shows about this many rows of them legibly).
const GRID_PAGE_UNITS: u32 = 32;

/// Panels that share vertical space: each band is a horizontal strip of the grid.
fn bands(panels: &[&Panel]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..panels.len()).collect();
    order.sort_by_key(|&i| (panels[i].grid.1, panels[i].grid.0));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut band_end = 0;
    for i in order {
        let (_, y, _, h) = panels[i].grid;
        match out.last_mut() {
            // A panel starting above the band's bottom, under the same Grafana row, joins it.
            Some(band) if y < band_end && panels[band[0]].row == panels[i].row => band.push(i),
            _ => {
                out.push(vec![i]);
                band_end = 0;
            }
        }
        band_end = band_end.max(y + h);
    }
    out
}

/// Pages of panel indexes. Compact (below 120×40): one band per page. Grid: bands fill a
/// page up to [`GRID_PAGE_UNITS`], and a Grafana row always starts a page.
pub fn pages(panels: &[&Panel], compact: bool) -> Vec<Vec<usize>> {
    let bands = bands(panels);
    if compact {
        return bands;
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut units = 0;
    for band in bands {
        let height = span(panels, &band).1;
        let new_row = out.last().and_then(|p| p.first()).is_some_and(|&first| panels[first].row != panels[band[0]].row);
        match out.last_mut() {
            Some(page) if units + height <= GRID_PAGE_UNITS && !new_row => page.extend(band),
            _ => {
                out.push(band);
                units = 0;
            }
        }
        units += height;
    }
    out
}

/// The first grid row of the panels and how many rows they span.
fn span(panels: &[&Panel], members: &[usize]) -> (u32, u32) {
    let top = members.iter().map(|&i| panels[i].grid.1).min().unwrap_or(0);
    let bottom = members.iter().map(|&i| panels[i].grid.1 + panels[i].grid.3).max().unwrap_or(top + 1);
    (top, bottom.saturating_sub(top).max(1))
}

/// Where each panel of a page goes inside `area`, in the page's order.
pub fn place(panels: &[&Panel], page: &[usize], area: Rect) -> Vec<Rect> {
    let (top, height) = span(panels, page);
    let (w, h) = (u32::from(area.width), u32::from(area.height));
    page.iter()
        .map(|&i| {
            let (x, y, pw, ph) = panels[i].grid;
            let x0 = x.min(24) * w / 24;
            let x1 = (x + pw).min(24) * w / 24;
            let y0 = (y - top) * h / height;
            let y1 = (y - top + ph) * h / height;
            Rect::new(area.x + x0 as u16, area.y + y0 as u16, (x1 - x0) as u16, (y1 - y0) as u16).intersection(area)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::model;

    fn seed() -> Vec<Panel> {
        model::parse("seed", include_str!("../../../tests/fixtures/grafana/gateway.json")).unwrap().panels
    }

    fn refs(panels: &[Panel]) -> Vec<&Panel> {
        panels.iter().collect()
    }

    #[test]
    fn the_seed_dashboard_is_four_pages_compact_and_one_in_the_grid() {
        let seed = seed();
        let panels = refs(&seed);
        let compact = pages(&panels, true);
        assert_eq!(compact.iter().map(Vec::len).collect::<Vec<_>>(), [2, 3, 3, 2]);
        assert_eq!(pages(&panels, false).len(), 1);
        let all: usize = compact.iter().map(Vec::len).sum();
        assert_eq!(all, panels.len(), "every panel on a page");
    }

    #[test]
    fn panels_are_placed_side_by_side_inside_the_area_without_overlap() {
        let seed = seed();
        let panels = refs(&seed);
        let area = Rect::new(0, 3, 80, 14);
        for page in pages(&panels, true) {
            let rects = place(&panels, &page, area);
            for (i, a) in rects.iter().enumerate() {
                assert!(area.contains(a.as_position()) && a.right() <= area.right() && a.bottom() <= area.bottom());
                for b in &rects[i + 1..] {
                    assert!(!a.intersects(*b), "{a:?} overlaps {b:?}");
                }
            }
        }
    }
}
