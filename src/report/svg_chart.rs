//! Deterministic, dependency-free SVG time-series charts for the proof report (SPEC §8).
//!
//! [`render`] turns a [`Chart`] into a standalone SVG 1.1 document. The output is a pure
//! function of the input: no hash maps, no clocks, and every number is written with a fixed
//! precision, so the same chart always produces the same bytes (report files are compared
//! byte for byte).
//!
//! Robustness rules:
//! * non-finite points (NaN, ±inf) and absurd magnitudes (|v| > 1e200) are skipped;
//! * on a log axis non-positive values are skipped as well;
//! * series are sorted by x and downsampled by min/max to at most two points per pixel
//!   column, so a two-hour run at 10 Hz still yields a small file;
//! * an empty chart renders the axes and a "no data" note.

use std::fmt::Write as _;

/// One line on the chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: String,
    /// `(seconds since run start, value)`.
    pub points: Vec<(f64, f64)>,
    /// Any CSS colour; an empty string picks one from a built-in palette.
    pub color: String,
}

/// What a vertical marker stands for; decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// Scenario phase boundary (grey).
    Phase,
    /// Chaos injected (red).
    Chaos,
    /// Chaos cleared (green).
    ChaosClear,
}

/// A vertical dashed line at `x` seconds with a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    pub kind: MarkerKind,
}

/// A time-series chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    pub title: String,
    /// Unit of the y axis, e.g. `"req/s"`, `"ms"`, `"%"`.
    pub y_unit: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Draw step lines (the value holds until the next point), e.g. breaker state 0/1/2.
    pub step: bool,
    /// Categorical y labels, e.g. `[(0,"closed"),(1,"half-open"),(2,"open")]`; replace the
    /// numeric ticks when present.
    pub y_labels: Option<Vec<(f64, String)>>,
    /// Logarithmic y axis (non-positive values are skipped).
    pub log_y: bool,
}

const MAX_ABS: f64 = 1e200;
const FONT: &str = "Helvetica, Arial, sans-serif";
const C_TITLE: &str = "#111827";
const C_TEXT: &str = "#4b5563";
const C_MUTED: &str = "#9ca3af";
const C_GRID: &str = "#e5e7eb";
const C_AXIS: &str = "#9ca3af";
const PALETTE: [&str; 8] = ["#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#0ea5e9", "#ec4899", "#84cc16"];
const TITLE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 11.0;
const MARKER_SIZE: f64 = 10.0;

macro_rules! out {
    ($dst:expr, $($arg:tt)*) => {
        let _ = write!($dst, $($arg)*);
    };
}

impl MarkerKind {
    fn color(self) -> &'static str {
        match self {
            MarkerKind::Phase => "#6b7280",
            MarkerKind::Chaos => "#dc2626",
            MarkerKind::ChaosClear => "#16a34a",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            MarkerKind::Phase => "phase",
            MarkerKind::Chaos => "chaos injected",
            MarkerKind::ChaosClear => "chaos cleared",
        }
    }
}

/// Renders `chart` as a standalone SVG 1.1 document of `width` × `height` pixels
/// (clamped to at least 240 × 160).
pub fn render(chart: &Chart, width: u32, height: u32) -> String {
    let wu = width.max(240);
    let hu = height.max(160);
    let (w, h) = (f64::from(wu), f64::from(hu));

    // ---- data preparation -------------------------------------------------------------
    let series: Vec<Series> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let color = if s.color.trim().is_empty() {
                PALETTE[i % PALETTE.len()].to_string()
            } else {
                s.color.trim().to_string()
            };
            Series { name: s.name.clone(), color, points: clean_points(&s.points, chart.log_y) }
        })
        .collect();
    let mut markers: Vec<&Marker> = chart.markers.iter().filter(|m| m.x.is_finite() && m.x.abs() <= MAX_ABS).collect();
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    let total_points: usize = series.iter().map(|s| s.points.len()).sum();

    // ---- legend -----------------------------------------------------------------------
    let mut legend: Vec<(String, String, bool)> =
        series.iter().map(|s| (s.name.clone(), s.color.clone(), false)).collect();
    for kind in [MarkerKind::Phase, MarkerKind::Chaos, MarkerKind::ChaosClear] {
        if markers.iter().any(|m| m.kind == kind) {
            legend.push((kind.legend().to_string(), kind.color().to_string(), true));
        }
    }
    let legend_left = 16.0;
    let mut legend_pos: Vec<(f64, usize, String)> = Vec::new();
    let (mut lx, mut row) = (legend_left, 0usize);
    for (name, _, _) in &legend {
        let name = truncate(name, 48);
        let item_w = 24.0 + text_width(&name, LABEL_SIZE) + 18.0;
        if lx > legend_left && lx + item_w > w - 16.0 {
            lx = legend_left;
            row += 1;
        }
        legend_pos.push((lx, row, name));
        lx += item_w;
    }
    let legend_rows = if legend.is_empty() { 0 } else { row + 1 };

    // ---- vertical layout --------------------------------------------------------------
    let has_title = !chart.title.trim().is_empty();
    let title_h = if has_title { 30.0 } else { 6.0 };
    let legend_top = title_h;
    let mut plot_top = title_h + legend_rows as f64 * 18.0 + if legend_rows > 0 { 12.0 } else { 10.0 };
    let plot_bottom = (h - 30.0).round();
    plot_top = plot_top.min(plot_bottom - 40.0).round();
    let plot_h = plot_bottom - plot_top;

    // ---- y axis -----------------------------------------------------------------------
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let target_y = ((plot_h / 45.0).floor() as usize).clamp(3, 8);
    let yaxis = YAxis::new(&ys, chart.y_labels.as_deref(), chart.log_y, target_y);

    // ---- horizontal layout ------------------------------------------------------------
    let has_unit = !chart.y_unit.trim().is_empty();
    let max_label_w = yaxis.ticks.iter().map(|t| text_width(&t.1, LABEL_SIZE)).fold(0.0, f64::max);
    let plot_left = (12.0 + if has_unit { 20.0 } else { 0.0 } + max_label_w + 8.0).min(w * 0.4).ceil();
    let plot_right = (w - 24.0).floor();
    let plot_w = (plot_right - plot_left).max(20.0);

    // ---- x axis -----------------------------------------------------------------------
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(markers.iter().map(|m| m.x));
    let (mut xlo, mut xhi) = x_range(xs);
    let target_x = ((plot_w / 90.0).floor() as usize).max(2);
    let (xstep, xdec) = time_step((xhi - xlo) / target_x as f64);
    // Snap the ends to a tick when that costs little room (e.g. a 7199.9 s run ends at 2:00:00).
    let slack = 0.03 * (xhi - xlo);
    let snap_lo = (xlo / xstep).floor() * xstep;
    let snap_hi = (xhi / xstep).ceil() * xstep;
    if xlo - snap_lo <= slack {
        xlo = snap_lo;
    }
    if snap_hi - xhi <= slack {
        xhi = snap_hi;
    }
    let hours = xlo.abs().max(xhi.abs()) >= 3600.0;
    let map_x = |x: f64| plot_left + (x - xlo) / (xhi - xlo) * plot_w;
    let map_y = |v: f64| plot_bottom - yaxis.frac(v) * plot_h;

    // ---- document ---------------------------------------------------------------------
    let mut s = String::with_capacity(16 * 1024);
    out!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{wu}\" height=\"{hu}\" viewBox=\"0 0 {wu} {hu}\" font-family=\"{FONT}\">\n"
    );
    out!(s, "<title>{}</title>\n", esc(&chart.title));
    out!(
        s,
        "<defs><clipPath id=\"plot-area\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>\n",
        f1(plot_left - 2.0),
        f1(plot_top - 2.0),
        f1(plot_w + 4.0),
        f1(plot_h + 4.0)
    );
    out!(s, "<rect x=\"0\" y=\"0\" width=\"{wu}\" height=\"{hu}\" fill=\"#ffffff\"/>\n");
    if has_title {
        out!(
            s,
            "<text x=\"16\" y=\"21\" font-size=\"{}\" font-weight=\"bold\" fill=\"{C_TITLE}\">{}</text>\n",
            f1(TITLE_SIZE),
            esc(&truncate(&chart.title, 120))
        );
    }

    // legend
    if !legend.is_empty() {
        out!(s, "<g font-size=\"{}\" fill=\"{C_TEXT}\">\n", f1(LABEL_SIZE));
        for ((_, color, dashed), (x, row, name)) in legend.iter().zip(&legend_pos) {
            let y = legend_top + 13.0 + *row as f64 * 18.0;
            let dash = if *dashed { " stroke-dasharray=\"4 3\"" } else { "" };
            out!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{dash}/>",
                f1(*x),
                f1(y - 4.0),
                f1(*x + 18.0),
                f1(y - 4.0),
                esc(color),
                if *dashed { "1.5" } else { "2.5" }
            );
            out!(s, "<text x=\"{}\" y=\"{}\">{}</text>\n", f1(*x + 24.0), f1(y), esc(name));
        }
        out!(s, "</g>\n");
    }

    // grid
    out!(s, "<g stroke=\"{C_GRID}\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n");
    for (v, _) in &yaxis.ticks {
        let y = map_y(*v);
        out!(
            s,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
            f1(plot_left),
            f1(y),
            f1(plot_left + plot_w),
            f1(y)
        );
    }
    let xticks = x_ticks(xlo, xhi, xstep);
    for t in &xticks {
        let x = map_x(*t);
        out!(
            s,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke-opacity=\"0.6\"/>\n",
            f1(x),
            f1(plot_top),
            f1(x),
            f1(plot_bottom)
        );
    }
    out!(s, "</g>\n");

    // axes
    out!(
        s,
        "<g stroke=\"{C_AXIS}\" stroke-width=\"1\" shape-rendering=\"crispEdges\"><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/><line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
        l = f1(plot_left),
        t = f1(plot_top),
        b = f1(plot_bottom),
        r = f1(plot_left + plot_w)
    );
    for t in &xticks {
        let x = f1(map_x(*t));
        out!(s, "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>", f1(plot_bottom), f1(plot_bottom + 4.0));
    }
    out!(s, "</g>\n");

    // tick labels
    out!(s, "<g font-size=\"{}\" fill=\"{C_TEXT}\">\n", f1(LABEL_SIZE));
    for (v, label) in &yaxis.ticks {
        out!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            f1(plot_left - 7.0),
            f1(map_y(*v) + 3.8),
            esc(label)
        );
    }
    for t in &xticks {
        out!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            f1(map_x(*t)),
            f1(plot_bottom + 17.0),
            esc(&fmt_time(*t, hours, xdec))
        );
    }
    if has_unit {
        let cy = plot_top + plot_h / 2.0;
        out!(
            s,
            "<text x=\"0\" y=\"0\" transform=\"translate(20,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
            f1(cy),
            esc(&truncate(chart.y_unit.trim(), 40))
        );
    }
    out!(s, "</g>\n");

    // marker lines (under the data)
    if !markers.is_empty() {
        out!(s, "<g stroke-width=\"1.2\" stroke-dasharray=\"4 3\">\n");
        for m in &markers {
            let x = f1(map_x(m.x));
            out!(
                s,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{}\"><title>{}</title></line>\n",
                f1(plot_top),
                f1(plot_bottom),
                m.kind.color(),
                esc(&m.label)
            );
        }
        out!(s, "</g>\n");
    }

    // series
    out!(s, "<g clip-path=\"url(#plot-area)\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
    for Series { name, points: pts, color } in &series {
        if pts.is_empty() {
            continue;
        }
        let px: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (map_x(x), map_y(y))).collect();
        let path = simplify(&downsample(&px), chart.step);
        if path.len() == 1 {
            out!(
                s,
                "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\" stroke=\"none\"><title>{}</title></circle>\n",
                f1(path[0].0),
                f1(path[0].1),
                esc(color),
                esc(name)
            );
            continue;
        }
        out!(s, "<polyline stroke=\"{}\" points=\"", esc(color));
        for (i, (x, y)) in path.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            out!(s, "{},{}", f1(*x), f1(*y));
        }
        out!(s, "\"><title>{}</title></polyline>\n", esc(name));
    }
    out!(s, "</g>\n");

    if total_points == 0 {
        out!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-style=\"italic\" fill=\"{C_MUTED}\" text-anchor=\"middle\">no data</text>\n",
            f1(plot_left + plot_w / 2.0),
            f1(plot_top + plot_h / 2.0 + 4.0)
        );
    }

    // marker labels (over the data, with a white halo)
    let labels = place_marker_labels(&markers, &map_x, plot_left, plot_left + plot_w, plot_top, plot_bottom);
    if !labels.is_empty() {
        out!(s, "<g font-size=\"{}\" text-anchor=\"end\">\n", f1(MARKER_SIZE));
        for (bx, by, text, color) in &labels {
            let tr = format!("translate({},{}) rotate(-90)", f1(*bx), f1(*by));
            let text = esc(text);
            out!(
                s,
                "<text x=\"0\" y=\"0\" transform=\"{tr}\" fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\">{text}</text>"
            );
            out!(s, "<text x=\"0\" y=\"0\" transform=\"{tr}\" fill=\"{color}\">{text}</text>\n");
        }
        out!(s, "</g>\n");
    }

    out!(s, "</svg>\n");
    s
}

// ---------------------------------------------------------------------------------------
// Data helpers
// ---------------------------------------------------------------------------------------

/// Finite points only (and positive y on a log axis), sorted by x (stable).
fn clean_points(points: &[(f64, f64)], log_y: bool) -> Vec<(f64, f64)> {
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
fn downsample(px: &[(f64, f64)]) -> Vec<(f64, f64)> {
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
fn simplify(px: &[(f64, f64)], step: bool) -> Vec<(f64, f64)> {
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

fn x_range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
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

// ---------------------------------------------------------------------------------------
// Axes and ticks
// ---------------------------------------------------------------------------------------

/// Smallest 1-2-5 step ≥ `raw`, returned with its decimal exponent
/// (`step = mantissa × 10^exp`, mantissa ∈ {1, 2, 5}).
fn nice_step(raw: f64) -> (f64, i32) {
    if !(raw.is_finite() && raw > 0.0) {
        return (1.0, 0);
    }
    let mut exp = raw.log10().floor() as i32;
    // Guard against log10 rounding at exact powers of ten.
    if pow10(exp) > raw {
        exp -= 1;
    }
    if pow10(exp + 1) <= raw {
        exp += 1;
    }
    for m in [1.0, 2.0, 5.0] {
        let s = m * pow10(exp);
        if s >= raw * (1.0 - 1e-12) {
            return (s, exp);
        }
    }
    (pow10(exp + 1), exp + 1)
}

fn pow10(e: i32) -> f64 {
    10f64.powi(e)
}

/// Ticks at every multiple of a 1-2-5 step covering `[lo, hi]`, extended outwards to whole
/// steps. Returns `(axis_lo, axis_hi, ticks, exp)`.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, Vec<f64>, i32) {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let target = target.max(1) as f64;
    let (step, exp) = nice_step((hi - lo) / target);
    let k0 = (lo / step + 1e-9).floor() as i64;
    let k1 = (hi / step - 1e-9).ceil() as i64;
    let k1 = k1.max(k0 + 1);
    let ticks: Vec<f64> = (k0..=k1).map(|k| k as f64 * step).collect();
    (k0 as f64 * step, k1 as f64 * step, ticks, exp)
}

enum Scale {
    Linear { lo: f64, hi: f64 },
    Log { elo: f64, ehi: f64 },
}

struct YAxis {
    scale: Scale,
    ticks: Vec<(f64, String)>,
}

impl YAxis {
    fn new(ys: &[f64], labels: Option<&[(f64, String)]>, log_y: bool, target: usize) -> YAxis {
        if let Some(labels) = labels {
            let labels: Vec<(f64, String)> = labels
                .iter()
                .filter(|(v, _)| v.is_finite() && v.abs() <= MAX_ABS)
                .map(|(v, t)| (*v, truncate(t, 24)))
                .collect();
            if !labels.is_empty() {
                let vals = ys.iter().chain(labels.iter().map(|l| &l.0));
                let (lo, hi) = min_max(vals);
                let pad = if hi > lo { (hi - lo) * 0.08 } else { 0.5 };
                return YAxis { scale: Scale::Linear { lo: lo - pad, hi: hi + pad }, ticks: labels };
            }
        }
        if log_y {
            let pos: Vec<f64> = ys.iter().copied().filter(|v| *v > 0.0).collect();
            let (elo, ehi) = if pos.is_empty() {
                (0i32, 1i32)
            } else {
                let (lo, hi) = min_max(pos.iter());
                let mut elo = lo.log10().floor() as i32;
                if pow10(elo) > lo {
                    elo -= 1;
                }
                let mut ehi = hi.log10().ceil() as i32;
                if pow10(ehi) < hi {
                    ehi += 1;
                }
                if ehi <= elo {
                    ehi = elo + 1;
                }
                (elo, ehi)
            };
            // Decades are compact: allow twice the linear tick density, and extend the top
            // so that it lands on a labelled decade.
            let stride = ((ehi - elo) as usize).div_ceil(target.max(2) * 2).max(1);
            let ehi = elo + (((ehi - elo) as usize).div_ceil(stride) * stride) as i32;
            let decades = (ehi - elo) as usize;
            let mut ticks = Vec::new();
            for e in elo..=ehi {
                if ((e - elo) as usize).is_multiple_of(stride) {
                    ticks.push((pow10(e), fmt_log(e, 1)));
                }
                if decades <= 2 && e < ehi {
                    for m in [2u8, 5] {
                        ticks.push((f64::from(m) * pow10(e), fmt_log(e, m)));
                    }
                }
            }
            ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
            return YAxis { scale: Scale::Log { elo: f64::from(elo), ehi: f64::from(ehi) }, ticks };
        }
        let (mut lo, mut hi) = if ys.is_empty() { (0.0, 1.0) } else { min_max(ys.iter()) };
        // Rates, latencies and percentages read honestly from zero.
        lo = lo.min(0.0);
        hi = hi.max(0.0);
        if hi <= lo {
            hi = lo + 1.0;
        }
        let (alo, ahi, ticks, exp) = linear_ticks(lo, hi, target);
        let fmt = NumFmt::new(alo.abs().max(ahi.abs()), exp);
        YAxis {
            scale: Scale::Linear { lo: alo, hi: ahi },
            ticks: ticks.into_iter().map(|t| (t, fmt.format(t))).collect(),
        }
    }

    /// Position of `v` along the axis, 0 = bottom, 1 = top.
    fn frac(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear { lo, hi } => (v - lo) / (hi - lo),
            Scale::Log { elo, ehi } => (v.max(1e-300).log10() - elo) / (ehi - elo),
        }
    }
}

fn min_max<'a>(vals: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// Fixed-precision number formatting for linear tick labels, with SI suffixes for large
/// magnitudes and scientific notation for extreme ones.
struct NumFmt {
    div_exp: i32,
    suffix: &'static str,
    decimals: usize,
    sci: Option<usize>,
}

impl NumFmt {
    fn new(max_abs: f64, step_exp: i32) -> NumFmt {
        let mag = if max_abs > 0.0 { max_abs.log10().floor() as i32 } else { 0 };
        if mag >= 15 || step_exp < -6 {
            let digits = (mag - step_exp).clamp(0, 4) as usize;
            return NumFmt { div_exp: 0, suffix: "", decimals: 0, sci: Some(digits) };
        }
        let (div_exp, suffix) = if max_abs >= 1e12 {
            (12, "T")
        } else if max_abs >= 1e9 {
            (9, "G")
        } else if max_abs >= 1e6 {
            (6, "M")
        } else if max_abs >= 1e4 {
            (3, "k")
        } else {
            (0, "")
        };
        NumFmt { div_exp, suffix, decimals: (div_exp - step_exp).max(0) as usize, sci: None }
    }

    fn format(&self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_string();
        }
        if let Some(d) = self.sci {
            return format!("{:.*e}", d, v);
        }
        let x = v / pow10(self.div_exp);
        let mut t = format!("{:.*}", self.decimals, x);
        if t.starts_with('-') && t[1..].chars().all(|c| c == '0' || c == '.') {
            t.remove(0);
        }
        t.push_str(self.suffix);
        t
    }
}

/// Label for `m × 10^e` on a log axis.
fn fmt_log(e: i32, m: u8) -> String {
    if !(-4..=15).contains(&e) {
        return format!("{m}e{e}");
    }
    let (div, suffix) = match e {
        12.. => (12, "T"),
        9..=11 => (9, "G"),
        6..=8 => (6, "M"),
        3..=5 => (3, "k"),
        _ => (0, ""),
    };
    let e2 = e - div;
    if e2 >= 0 {
        let mut s = m.to_string();
        for _ in 0..e2 {
            s.push('0');
        }
        s.push_str(suffix);
        s
    } else {
        format!("{:.*}", (-e2) as usize, f64::from(m) * pow10(e2))
    }
}

/// A time step for the x axis: 1-2-5 below a second, then clock-friendly steps.
fn time_step(raw: f64) -> (f64, usize) {
    if !(raw.is_finite() && raw > 0.0) {
        return (1.0, 0);
    }
    if raw < 1.0 {
        let (s, e) = nice_step(raw);
        return (s, (-e).max(0) as usize);
    }
    const STEPS: [f64; 19] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0, 10800.0,
        21600.0, 43200.0, 86400.0,
    ];
    for s in STEPS {
        if s >= raw {
            return (s, 0);
        }
    }
    (nice_step(raw / 86400.0).0.max(1.0) * 86400.0, 0)
}

fn x_ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    if k1 < k0 || k1 - k0 > 1000 {
        return Vec::new();
    }
    (k0..=k1).map(|k| k as f64 * step).collect()
}

/// `mm:ss`, or `h:mm:ss` when `hours`; `decimals` digits of sub-second precision.
fn fmt_time(t: f64, hours: bool, decimals: usize) -> String {
    let decimals = decimals.min(6);
    let scale = 10u64.pow(decimals as u32);
    let total = (t.abs() * scale as f64).round();
    let total = if total >= 1e18 { 1e18 as u64 } else { total as u64 };
    let neg = t < 0.0 && total > 0;
    let (frac, secs) = (total % scale, total / scale);
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if hours {
        out!(s, "{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
    } else {
        out!(s, "{:02}:{:02}", secs / 60, secs % 60);
    }
    if decimals > 0 {
        out!(s, ".{:0width$}", frac, width = decimals);
    }
    s
}

// ---------------------------------------------------------------------------------------
// Marker labels
// ---------------------------------------------------------------------------------------

/// Greedy placement of rotated marker labels: right of the line at the top if free, else
/// left of it, else further down; labels that do not fit are dropped (the line keeps a
/// `<title>` tooltip). Returns `(anchor_x, anchor_y, text, colour)`; the text ends at the
/// anchor and runs downwards (read bottom to top).
fn place_marker_labels(
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
fn free_slot(placed: &[(f64, f64, f64, f64)], x0: f64, x1: f64, y_min: f64, y_max: f64, len: f64) -> Option<f64> {
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

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/// Text escaped for XML (one rule for every XML file proofdeck writes).
fn esc(s: &str) -> String {
    crate::util::xml_escape(s, false)
}

/// At most `max` characters, with an ellipsis when shortened.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Rough advance width of `s` in a sans-serif font (layout only).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.85,
            c if c.is_ascii_uppercase() => 0.68,
            _ => 0.56,
        })
        .sum::<f64>()
        * size
}

fn round1(v: f64) -> f64 {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Fixed one-decimal formatting without trailing `.0` and without `-0`.
fn f1(v: f64) -> String {
    let r = round1(v);
    let s = format!("{r:.1}");
    match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::check_xml;

    fn assert_valid(svg: &str) {
        if let Err(e) = check_xml(svg) {
            panic!("invalid SVG: {e}\n{svg}");
        }
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("version=\"1.1\""));
        for bad in ["NaN", "inf", "-0 ", "-0,", "-0\""] {
            assert!(!svg.contains(bad), "found {bad:?}");
        }
    }

    fn sample() -> Chart {
        let pts = |f: fn(f64) -> f64| (0..600).map(|i| (i as f64, f(i as f64))).collect();
        Chart {
            title: "Request rate".into(),
            y_unit: "req/s".into(),
            series: vec![
                Series {
                    name: "target".into(),
                    points: pts(|t| if t < 120.0 { t * 2.0 } else { 240.0 }),
                    color: "#9ca3af".into(),
                },
                Series {
                    name: "achieved".into(),
                    points: pts(|t| (if t < 120.0 { t * 2.0 } else { 240.0 }) - ((t * 0.7).sin() * 6.0).abs()),
                    color: "#2563eb".into(),
                },
            ],
            markers: vec![
                Marker { x: 120.0, label: "steady".into(), kind: MarkerKind::Phase },
                Marker { x: 300.0, label: "chaos: search 500 50%".into(), kind: MarkerKind::Chaos },
                Marker { x: 420.0, label: "chaos cleared".into(), kind: MarkerKind::ChaosClear },
            ],
            ..Chart::default()
        }
    }

    fn polyline_point_counts(svg: &str) -> Vec<usize> {
        svg.split("<polyline")
            .skip(1)
            .map(|p| {
                let start = p.find("points=\"").unwrap() + 8;
                let end = start + p[start..].find('"').unwrap();
                p[start..end].split(' ').count()
            })
            .collect()
    }

    #[test]
    fn checker_rejects_broken_xml() {
        assert!(check_xml("<a><b></a>").is_err());
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a t=\"<\"/>").is_err());
        assert!(check_xml("<a t=x/>").is_err());
        assert!(check_xml("<a></a><b/>").is_err());
        assert!(check_xml("<a>").is_err());
        assert!(check_xml("<?xml version=\"1.0\"?>\n<a b=\"&amp;\"><c/>t&lt;</a>\n").is_ok());
    }

    #[test]
    fn sample_is_well_formed_and_has_parts() {
        let svg = render(&sample(), 900, 320);
        assert_valid(&svg);
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("fill=\"#ffffff\""));
        assert!(svg.contains(">Request rate</text>"));
        assert!(svg.contains(">req/s</text>"));
        assert!(svg.contains(">target</text>") && svg.contains(">achieved</text>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        // x axis in mm:ss
        assert!(svg.contains(">00:00</text>"));
        assert!(svg.contains(">02:00</text>"));
        assert!(svg.contains(">08:00</text>"));
    }

    #[test]
    fn markers_are_drawn_with_kind_colours_and_labels() {
        let svg = render(&sample(), 900, 320);
        assert_eq!(svg.matches("<title>steady</title>").count(), 1);
        assert_eq!(svg.matches("<title>chaos cleared</title>").count(), 1);
        // label text (halo + fill) and legend entries
        assert!(svg.matches(">steady</text>").count() >= 2);
        assert!(svg.matches(">chaos: search 500 50%</text>").count() >= 2);
        assert!(svg.contains(">phase</text>"));
        assert!(svg.contains(">chaos injected</text>"));
        assert!(svg.contains(">chaos cleared</text>"));
        assert!(svg.contains("stroke=\"#6b7280\"><title>steady"));
        assert!(svg.contains("stroke=\"#dc2626\"><title>chaos: search"));
        assert!(svg.contains("stroke=\"#16a34a\"><title>chaos cleared"));
        assert!(svg.contains("rotate(-90)"));
    }

    #[test]
    fn crowded_markers_do_not_overlap() {
        let markers: Vec<&Marker> = Vec::new();
        let map = |x: f64| x;
        assert!(place_marker_labels(&markers, &map, 0.0, 500.0, 0.0, 300.0).is_empty());
        let ms: Vec<Marker> = (0..12)
            .map(|i| Marker { x: 100.0 + i as f64 * 3.0, label: format!("marker number {i}"), kind: MarkerKind::Chaos })
            .collect();
        let refs: Vec<&Marker> = ms.iter().collect();
        let placed = place_marker_labels(&refs, &map, 0.0, 500.0, 0.0, 300.0);
        assert!(placed.len() >= 4, "{placed:?}");
        let boxes: Vec<(f64, f64, f64, f64)> =
            placed.iter().map(|(bx, by, t, _)| (bx - 9.0, bx + 1.0, *by, by + text_width(t, MARKER_SIZE))).collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let overlap = a.0 < b.1 && b.0 < a.1 && a.2 < b.3 && b.2 < a.3;
                assert!(!overlap, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn escaping_everywhere() {
        let mut c = sample();
        c.title = "<script>alert(\"x\") & 'y'</script>".into();
        c.y_unit = "a<b".into();
        c.series[0].name = "p99 > 5 & <10".into();
        c.series[0].color = "red\"/><evil".into();
        c.markers[0].label = "phase \"<ramp>\" & 'go'\u{1}".into();
        c.y_labels = None;
        let svg = render(&c, 800, 300);
        assert_valid(&svg);
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<evil"));
        assert!(!svg.contains('\u{1}'));
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;) &amp; &apos;y&apos;&lt;/script&gt;"));
        assert!(svg.contains("p99 &gt; 5 &amp; &lt;10"));
        assert!(svg.contains("a&lt;b"));
        assert_eq!(esc("&<>\"'"), "&amp;&lt;&gt;&quot;&apos;");
    }

    #[test]
    fn nice_steps_are_1_2_5() {
        assert_eq!(nice_step(0.7), (1.0, 0));
        assert_eq!(nice_step(1.0), (1.0, 0));
        assert_eq!(nice_step(1.3), (2.0, 0));
        assert_eq!(nice_step(3.0), (5.0, 0));
        assert_eq!(nice_step(7.0), (10.0, 1));
        assert_eq!(nice_step(1000.0), (1000.0, 3));
        assert_eq!(nice_step(0.013).0, 0.02);
        assert_eq!(nice_step(0.013).1, -2);
        for raw in [0.00031, 0.9, 4.2, 17.0, 333.0, 9.9e9, 1e-7] {
            let (s, e) = nice_step(raw);
            assert!(s >= raw * (1.0 - 1e-12), "{raw} -> {s}");
            let m = s / pow10(e);
            assert!([1.0, 2.0, 5.0, 10.0].iter().any(|x| (m - x).abs() < 1e-9), "{raw} -> {s} (mantissa {m})");
            assert!(s < raw * 5.0 + 1e-300);
        }
    }

    #[test]
    fn linear_ticks_cover_range() {
        let (lo, hi, t, _) = linear_ticks(0.0, 97.0, 5);
        assert_eq!((lo, hi), (0.0, 100.0));
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (lo, hi, t, _) = linear_ticks(-13.0, 42.0, 5);
        assert!(lo <= -13.0 && hi >= 42.0);
        assert_eq!(t, vec![-20.0, 0.0, 20.0, 40.0, 60.0]);
        let (_, _, t, exp) = linear_ticks(0.0, 0.7, 7);
        let f = NumFmt::new(0.7, exp);
        let labels: Vec<String> = t.iter().map(|v| f.format(*v)).collect();
        assert_eq!(labels, ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);
    }

    #[test]
    fn number_formats() {
        let f = NumFmt::new(250_000.0, 4);
        assert_eq!(f.format(50_000.0), "50k");
        let f = NumFmt::new(2_500_000.0, 5);
        assert_eq!(f.format(500_000.0), "0.5M");
        assert_eq!(f.format(2_500_000.0), "2.5M");
        let f = NumFmt::new(1e18, 17);
        assert_eq!(f.format(5e17), "5.0e17");
        assert_eq!(fmt_log(0, 1), "1");
        assert_eq!(fmt_log(2, 5), "500");
        assert_eq!(fmt_log(4, 1), "10k");
        assert_eq!(fmt_log(-2, 2), "0.02");
        assert_eq!(fmt_log(-9, 1), "1e-9");
    }

    #[test]
    fn time_labels() {
        assert_eq!(fmt_time(0.0, false, 0), "00:00");
        assert_eq!(fmt_time(65.0, false, 0), "01:05");
        assert_eq!(fmt_time(3599.0, false, 0), "59:59");
        assert_eq!(fmt_time(3725.0, true, 0), "1:02:05");
        assert_eq!(fmt_time(7200.0, true, 0), "2:00:00");
        assert_eq!(fmt_time(0.5, false, 1), "00:00.5");
        assert_eq!(fmt_time(-30.0, false, 0), "-00:30");
        assert_eq!(time_step(7.0), (10.0, 0));
        assert_eq!(time_step(40.0), (60.0, 0));
        assert_eq!(time_step(700.0), (900.0, 0));
        assert_eq!(time_step(0.3), (0.5, 1));
        // two-hour run: h:mm:ss labels
        let mut c = sample();
        c.series[0].points = vec![(0.0, 1.0), (7200.0, 2.0)];
        let svg = render(&c, 900, 300);
        assert!(svg.contains(">2:00:00</text>"), "{svg}");
        assert!(svg.contains(">0:00:00</text>"));
    }

    #[test]
    fn downsampling_bounds_points_per_column() {
        // two hours at 10 Hz, noisy
        let mut seed = 12345u64;
        let pts: Vec<(f64, f64)> = (0..72_000)
            .map(|i| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (i as f64 / 10.0, (seed >> 33) as f64 / 1e6)
            })
            .collect();
        let width = 800;
        let c = Chart {
            title: "noise".into(),
            series: vec![Series { name: "n".into(), points: pts, color: "#000".into() }],
            ..Chart::default()
        };
        let svg = render(&c, width, 300);
        assert_valid(&svg);
        let n = polyline_point_counts(&svg)[0];
        assert!(n <= 2 * (width as usize + 1), "{n} points");
        assert!(n > width as usize / 2, "{n} points: too aggressive");
        assert!(svg.len() < 40_000, "{} bytes", svg.len());

        // unit-level: every column keeps at most two points, and the extremes survive
        let px: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64 / 10.0, (i % 17) as f64)).collect();
        let d = downsample(&px);
        let mut per_col = std::collections::BTreeMap::new();
        for p in &d {
            *per_col.entry(p.0.floor() as i64).or_insert(0) += 1;
        }
        assert!(per_col.values().all(|&n| n <= 2));
        assert_eq!(per_col.len(), 100);
        let ymin = d.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let ymax = d.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((ymin, ymax), (0.0, 16.0));
    }

    #[test]
    fn step_lines_and_categorical_labels() {
        let c = Chart {
            title: "Breaker state".into(),
            step: true,
            y_labels: Some(vec![(0.0, "closed".into()), (1.0, "half-open".into()), (2.0, "open".into())]),
            series: vec![Series {
                name: "search".into(),
                points: vec![(0.0, 0.0), (10.0, 0.0), (20.0, 2.0), (30.0, 1.0), (40.0, 0.0)],
                color: "#ef4444".into(),
            }],
            ..Chart::default()
        };
        let svg = render(&c, 600, 200);
        assert_valid(&svg);
        for l in ["closed", "half-open", "open"] {
            assert!(svg.contains(&format!(">{l}</text>")), "{l}");
        }
        // staircase: every segment is horizontal or vertical
        let start = svg.find("points=\"").unwrap() + 8;
        let end = start + svg[start..].find('"').unwrap();
        let pts: Vec<(f64, f64)> = svg[start..end]
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(pts.len(), 7, "{pts:?}"); // (0,0) (20,0) (20,2) (30,2) (30,1) (40,1) (40,0)
        for w in pts.windows(2) {
            assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "{w:?}");
        }
    }

    #[test]
    fn degenerate_inputs() {
        let empty = Chart::default();
        let svg = render(&empty, 0, 0);
        assert_valid(&svg);
        assert!(svg.contains("no data"));
        assert!(svg.contains("width=\"240\""));

        let mut c = Chart {
            title: "t".into(),
            series: vec![Series { name: "s".into(), points: vec![], color: String::new() }],
            ..Chart::default()
        };
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(svg.contains("no data"));
        assert!(!svg.contains("<polyline"));

        c.series[0].points = vec![(5.0, 42.0)];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(svg.contains("<circle"));
        assert!(!svg.contains("no data"));

        c.series[0].points = vec![(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(svg.contains(">0</text>") && svg.contains(">1.0</text>"));

        c.series[0].points = vec![
            (f64::NAN, 1.0),
            (1.0, f64::NAN),
            (2.0, f64::INFINITY),
            (f64::NEG_INFINITY, 3.0),
            (3.0, 5.0),
            (4.0, 6.0),
            (5.0, f64::MAX),
        ];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert_eq!(polyline_point_counts(&svg), vec![2]);

        c.series[0].points = vec![(0.0, -1e12), (1.0, 3e14), (2.0, 1e-9)];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(svg.contains("T</text>"));

        c.series[0].points = vec![(0.0, 1e-30), (1.0, 3e-30)];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(svg.contains("e-30</text>"), "{svg}");

        c.series[0].points = vec![(0.0, 5.0), (1.0, 5.0)];
        c.markers = vec![Marker { x: f64::NAN, label: "nan".into(), kind: MarkerKind::Phase }];
        let svg = render(&c, 500, 200);
        assert_valid(&svg);
        assert!(!svg.contains("<title>nan</title>"));
    }

    #[test]
    fn log_axis() {
        let c = Chart {
            title: "Latency".into(),
            y_unit: "ms".into(),
            log_y: true,
            series: vec![Series {
                name: "p99".into(),
                points: vec![(0.0, 0.0), (1.0, 0.8), (2.0, 35.0), (3.0, 4200.0), (4.0, -3.0)],
                color: "#000".into(),
            }],
            ..Chart::default()
        };
        let svg = render(&c, 600, 300);
        assert_valid(&svg);
        for l in [">0.1</text>", ">1</text>", ">10</text>", ">100</text>", ">1k</text>", ">10k</text>"] {
            assert!(svg.contains(l), "{l}");
        }
        assert_eq!(polyline_point_counts(&svg), vec![3]);
        // hundreds of decades stay readable
        let c2 = Chart {
            log_y: true,
            series: vec![Series { name: "x".into(), points: vec![(0.0, 1e-150), (1.0, 1e150)], color: "#000".into() }],
            ..Chart::default()
        };
        let svg = render(&c2, 600, 300);
        assert_valid(&svg);
        assert!(svg.matches("text-anchor=\"end\">").count() <= 12);
    }

    #[test]
    fn deterministic_output() {
        let a = render(&sample(), 900, 320);
        let b = render(&sample(), 900, 320);
        assert_eq!(a, b);
        let mut shuffled = sample();
        shuffled.series[1].points.reverse();
        assert_eq!(render(&shuffled, 900, 320), a);
        assert_ne!(render(&sample(), 901, 320), a);
    }

    #[test]
    fn legend_wraps_on_narrow_charts() {
        let mut c = sample();
        for i in 0..8 {
            c.series.push(Series {
                name: format!("tool-number-{i}"),
                points: vec![(0.0, i as f64), (10.0, i as f64 + 1.0)],
                color: String::new(),
            });
        }
        let svg = render(&c, 400, 300);
        assert_valid(&svg);
        // every legend label lies within the canvas width
        for part in svg.split("<text x=\"").skip(1) {
            let x: f64 = part[..part.find('"').unwrap()].parse().unwrap();
            assert!(x < 400.0, "text at x={x}");
        }
        assert!(svg.contains(PALETTE[3]));
    }
}
