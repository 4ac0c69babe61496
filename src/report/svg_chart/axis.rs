//! Axes and ticks: nice steps, linear and log y axes, number and time labels.

use super::*;

/// Smallest 1-2-5 step ≥ `raw`, returned with its decimal exponent
/// (`step = mantissa × 10^exp`, mantissa ∈ {1, 2, 5}).
pub(super) fn nice_step(raw: f64) -> (f64, i32) {
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

pub(super) fn pow10(e: i32) -> f64 {
    10f64.powi(e)
}

/// Ticks at every multiple of a 1-2-5 step covering `[lo, hi]`, extended outwards to whole
/// steps. Returns `(axis_lo, axis_hi, ticks, exp)`.
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, Vec<f64>, i32) {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let target = target.max(1) as f64;
    let (step, exp) = nice_step((hi - lo) / target);
    let k0 = (lo / step + 1e-9).floor() as i64;
    let k1 = (hi / step - 1e-9).ceil() as i64;
    let k1 = k1.max(k0 + 1);
    let ticks: Vec<f64> = (k0..=k1).map(|k| k as f64 * step).collect();
    (k0 as f64 * step, k1 as f64 * step, ticks, exp)
}

pub(super) enum Scale {
    Linear { lo: f64, hi: f64 },
    Log { elo: f64, ehi: f64 },
}

pub(super) struct YAxis {
    pub(super) scale: Scale,
    pub(super) ticks: Vec<(f64, String)>,
}

impl YAxis {
    pub(super) fn new(ys: &[f64], labels: Option<&[(f64, String)]>, log_y: bool, target: usize) -> YAxis {
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
    pub(super) fn frac(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear { lo, hi } => (v - lo) / (hi - lo),
            Scale::Log { elo, ehi } => (v.max(1e-300).log10() - elo) / (ehi - elo),
        }
    }
}

pub(super) fn min_max<'a>(vals: impl Iterator<Item = &'a f64>) -> (f64, f64) {
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
pub(super) struct NumFmt {
    pub(super) div_exp: i32,
    pub(super) suffix: &'static str,
    pub(super) decimals: usize,
    pub(super) sci: Option<usize>,
}

impl NumFmt {
    pub(super) fn new(max_abs: f64, step_exp: i32) -> NumFmt {
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

    pub(super) fn format(&self, v: f64) -> String {
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
pub(super) fn fmt_log(e: i32, m: u8) -> String {
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
pub(super) fn time_step(raw: f64) -> (f64, usize) {
    if !(raw.is_finite() && raw > 0.0) {
        return (1.0, 0);
    }
    if raw < 1.0 {
        let (s, e) = nice_step(raw);
        return (s, (-e).max(0) as usize);
    }
    pub(super) const STEPS: [f64; 19] = [
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

pub(super) fn x_ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    if k1 < k0 || k1 - k0 > 1000 {
        return Vec::new();
    }
    (k0..=k1).map(|k| k as f64 * step).collect()
}

/// `mm:ss`, or `h:mm:ss` when `hours`; `decimals` digits of sub-second precision.
pub(super) fn fmt_time(t: f64, hours: bool, decimals: usize) -> String {
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
