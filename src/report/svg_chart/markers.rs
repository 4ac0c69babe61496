//! Marker labels: rotated labels placed where they do not overlap.

use super::*;

/// Greedy placement of rotated marker labels: right of the line at the top if free, else
/// left of it, else further down; labels that do not fit are dropped (the line keeps a
/// `<title>` tooltip). Returns `(anchor_x, anchor_y, text, colour)`; the text ends at the
/// anchor and runs downwards (read bottom to top).
pub(super) fn place_marker_labels(
    markers: &[&Marker],
    map_x: &dyn Fn(f64) -> f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
) -> Vec<(f64, f64, String, &'static str)> {
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new(); // x0, x1, y0, y1
    let mut out = Vec::new();
    let max_len = (bottom - top - 8.0).max(0.0);
    let lines: Vec<f64> = markers.iter().map(|m| map_x(m.x)).collect();
    for m in markers {
        let label = m.label.trim();
        if label.is_empty() {
            continue;
        }
        let mut text = label.to_string();
        let mut n = text.chars().count();
        while n > 1 && text_width(&text, MARKER_SIZE) > max_len {
            n -= 1;
            text = truncate(label, n);
        }
        if text_width(&text, MARKER_SIZE) > max_len {
            continue;
        }
        let len = text_width(&text, MARKER_SIZE);
        let px = map_x(m.x);
        // First try to keep labels clear of other marker lines; if that is impossible,
        // accept crossing a line (the label has a white halo).
        let mut best: Option<(f64, f64, f64, f64)> = None; // y, band x0, band x1, baseline x
        for avoid_lines in [true, false] {
            for (x0, x1, bx) in [(px + 1.0, px + 13.0, px + 10.5), (px - 13.0, px - 1.0, px - 3.0)] {
                if x0 < left - 1.0 || x1 > right + 20.0 {
                    continue;
                }
                if avoid_lines && lines.iter().any(|&l| l > x0 && l < x1) {
                    continue;
                }
                if let Some(y) = free_slot(&placed, x0, x1, top + 4.0, bottom - 4.0, len) {
                    if best.is_none_or(|b| y < b.0) {
                        best = Some((y, x0, x1, bx));
                    }
                }
            }
            if best.is_some() {
                break;
            }
        }
        if let Some((y, x0, x1, bx)) = best {
            placed.push((x0, x1, y, y + len));
            out.push((bx, y, text, m.kind.color()));
        }
    }
    out
}

/// Topmost `y ≥ y_min` where a label of length `len` fits in the band `[x0, x1]` without
/// touching an already placed label and without passing `y_max`.
pub(super) fn free_slot(
    placed: &[(f64, f64, f64, f64)],
    x0: f64,
    x1: f64,
    y_min: f64,
    y_max: f64,
    len: f64,
) -> Option<f64> {
    let mut y = y_min;
    for _ in 0..64 {
        if y + len > y_max {
            return None;
        }
        let clash = placed
            .iter()
            .filter(|p| p.0 < x1 && x0 < p.1 && p.2 < y + len && y < p.3)
            .map(|p| p.3)
            .fold(f64::NEG_INFINITY, f64::max);
        if clash == f64::NEG_INFINITY {
            return Some(y);
        }
        y = clash + 6.0;
    }
    None
}
