//! Data helpers: clean, sort, downsample and simplify the points of a series.

use super::*;

/// Finite points only (and positive y on a log axis), sorted by x (stable).
pub(super) fn clean_points(points: &[(f64, f64)], log_y: bool) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(x, y)| {
            x.is_finite() && y.is_finite() && x.abs() <= MAX_ABS && y.abs() <= MAX_ABS && (!log_y || y >= 1e-200)
        })
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// Min/max downsampling in pixel space: per pixel column keep at most two points
/// (the minimum and the maximum, in their original order). Input must be sorted by x.
pub(super) fn downsample(px: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(px.len().min(4096));
    let mut i = 0;
    while i < px.len() {
        let col = px[i].0.floor();
        let (mut imin, mut imax) = (i, i);
        let mut j = i + 1;
        while j < px.len() && px[j].0.floor() == col {
            if px[j].1 < px[imin].1 {
                imin = j;
            }
            if px[j].1 > px[imax].1 {
                imax = j;
            }
            j += 1;
        }
        if imin == imax {
            out.push(px[imin]);
        } else {
            out.push(px[imin.min(imax)]);
            out.push(px[imin.max(imax)]);
        }
        i = j;
    }
    out
}

/// Rounds to the output precision, drops duplicates and the interior of horizontal runs,
/// then expands to a staircase when `step` is set.
pub(super) fn simplify(px: &[(f64, f64)], step: bool) -> Vec<(f64, f64)> {
    let mut r: Vec<(f64, f64)> = Vec::with_capacity(px.len());
    for &(x, y) in px {
        let p = (round1(x), round1(y));
        if r.last() != Some(&p) {
            r.push(p);
        }
    }
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(r.len());
    for i in 0..r.len() {
        // A point is redundant when the line through it is horizontal on both sides; for a
        // staircase it is redundant as soon as it repeats the previous value.
        let interior = i > 0 && i + 1 < r.len() && r[i - 1].1 == r[i].1 && (step || r[i + 1].1 == r[i].1);
        if !interior {
            kept.push(r[i]);
        }
    }
    if !step {
        return kept;
    }
    let mut out = Vec::with_capacity(kept.len() * 2);
    for (i, &p) in kept.iter().enumerate() {
        if i > 0 {
            let prev = kept[i - 1];
            if prev.1 != p.1 && prev.0 != p.0 {
                out.push((p.0, prev.1));
            }
        }
        out.push(p);
    }
    out
}

pub(super) fn x_range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in xs {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if lo > hi {
        return (0.0, 60.0);
    }
    // A run starts at zero: anchor the axis there unless the data is a late window.
    if lo > 0.0 && lo <= 0.1 * hi {
        lo = 0.0;
    }
    if hi - lo <= 0.0 || !(hi - lo).is_finite() {
        if lo > 0.0 {
            lo = 0.0;
        } else {
            hi = lo + 60.0;
        }
    }
    if !(hi - lo).is_finite() {
        return (0.0, 60.0);
    }
    (lo, hi)
}
