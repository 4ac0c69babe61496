//! Geometry: box drawing, blocks and braille drawn as paths, so they join across cells.

use super::*;

/// Appends the path data for `c` drawn in the cell at `(x0, y0)`; returns the shade level
/// (0 = opaque, 1..=3 = 25/50/75 %) or `None` if `c` is not drawn as geometry.
pub(super) fn geometry(c: char, x0: f64, y0: f64, d: &mut String) -> Option<u8> {
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
pub(super) fn box_arms(c: char) -> Option<[u8; 4]> {
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
pub(super) fn dashed(c: char) -> Option<(bool, bool, u8)> {
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
pub(super) fn snap(c: f64, t: f64) -> f64 {
    (c - t / 2.0).round() + t / 2.0
}

pub(super) fn thickness(weight: u8) -> f64 {
    match weight {
        1 => LIGHT,
        2 => HEAVY,
        _ => 0.0,
    }
}

pub(super) fn single_lines(arms: [u8; 4], x0: f64, y0: f64, d: &mut String) {
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

pub(super) fn double_lines(arms: [u8; 4], x0: f64, y0: f64, d: &mut String) {
    let (x1, y1) = (x0 + CELL_W, y0 + CELL_H);
    let cx = (x0 + CELL_W / 2.0).round();
    let cy = (y0 + CELL_H / 2.0).round();
    let (g, t) = (DOUBLE_OFFSET, DOUBLE_T);
    pub(super) const DIRS: [(f64, f64); 4] = [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)];
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
pub(super) fn rounded_corner(sx: f64, sy: f64, x0: f64, y0: f64, d: &mut String) {
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

pub(super) fn rect(d: &mut String, x0: f64, y0: f64, x1: f64, y1: f64) {
    let (a, b, c, e) = (num(x0), num(y0), num(x1), num(y1));
    out!(d, "M{a} {b}H{c}V{e}H{a}z");
}
