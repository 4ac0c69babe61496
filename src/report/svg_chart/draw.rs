//! The chart's layout (legend rows, plot box, axes) and each layer drawn in turn.

use super::*;

/// The series as drawn: a colour each, points cleaned for the axis.
pub(super) fn prepared_series(chart: &Chart) -> Vec<Series> {
    chart
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
        .collect()
}

/// Legend items in rows that fit the width: series first, then the marker kinds present.
pub(super) struct Legend {
    /// (name, colour, dashed)
    items: Vec<(String, String, bool)>,
    /// (x, row, truncated name) per item.
    positions: Vec<(f64, usize, String)>,
    pub(super) rows: usize,
}

const LEGEND_LEFT: f64 = 16.0;

impl Legend {
    pub(super) fn layout(series: &[Series], markers: &[&Marker], w: f64) -> Legend {
        let mut items: Vec<(String, String, bool)> =
            series.iter().map(|s| (s.name.clone(), s.color.clone(), false)).collect();
        for kind in [MarkerKind::Phase, MarkerKind::Chaos, MarkerKind::ChaosClear, MarkerKind::Breaker] {
            if markers.iter().any(|m| m.kind == kind) {
                items.push((kind.legend().to_string(), kind.color().to_string(), true));
            }
        }
        let mut positions = Vec::new();
        let (mut lx, mut row) = (LEGEND_LEFT, 0usize);
        for (name, _, _) in &items {
            let name = truncate(name, 48);
            let item_w = 24.0 + text_width(&name, LABEL_SIZE) + 18.0;
            if lx > LEGEND_LEFT && lx + item_w > w - 16.0 {
                lx = LEGEND_LEFT;
                row += 1;
            }
            positions.push((lx, row, name));
            lx += item_w;
        }
        let rows = if items.is_empty() { 0 } else { row + 1 };
        Legend { items, positions, rows }
    }

    pub(super) fn draw(&self, s: &mut String, top: f64) {
        if self.items.is_empty() {
            return;
        }
        out!(s, "<g font-size=\"{}\" fill=\"{C_TEXT}\">\n", f1(LABEL_SIZE));
        for ((_, color, dashed), (x, row, name)) in self.items.iter().zip(&self.positions) {
            let y = top + 13.0 + *row as f64 * 18.0;
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
}

/// Where the plot sits and how data maps onto it.
pub(super) struct Plot {
    pub(super) title_h: f64,
    pub(super) left: f64,
    pub(super) top: f64,
    pub(super) bottom: f64,
    pub(super) w: f64,
    pub(super) h: f64,
    yaxis: YAxis,
    xlo: f64,
    xhi: f64,
    /// (x, label) of each x tick.
    xticks: Vec<(f64, String)>,
}

impl Plot {
    pub(super) fn layout(
        chart: &Chart,
        series: &[Series],
        markers: &[&Marker],
        legend_rows: usize,
        w: f64,
        h: f64,
    ) -> Plot {
        // Vertical: title, legend rows, plot, x labels.
        let title_h = if chart.title.trim().is_empty() { 6.0 } else { 30.0 };
        let mut top = title_h + legend_rows as f64 * 18.0 + if legend_rows > 0 { 12.0 } else { 10.0 };
        let bottom = (h - 30.0).round();
        top = top.min(bottom - 40.0).round();
        let plot_h = bottom - top;

        let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
        let target_y = ((plot_h / 45.0).floor() as usize).clamp(3, 8);
        let yaxis = YAxis::new(&ys, chart.y_labels.as_deref(), chart.log_y, target_y);

        // Horizontal: unit, y labels, plot.
        let has_unit = !chart.y_unit.trim().is_empty();
        let max_label_w = yaxis.ticks.iter().map(|t| text_width(&t.1, LABEL_SIZE)).fold(0.0, f64::max);
        let left = (12.0 + if has_unit { 20.0 } else { 0.0 } + max_label_w + 8.0).min(w * 0.4).ceil();
        let right = (w - 24.0).floor();
        let plot_w = (right - left).max(20.0);

        let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(markers.iter().map(|m| m.x));
        let (xlo, xhi) = x_range(xs);
        let target_x = ((plot_w / 90.0).floor() as usize).max(2);
        let ((xlo, xhi), xticks) = match &chart.x_unit {
            Some(unit) => numeric_x(xlo, xhi, target_x, unit),
            None => time_x(xlo, xhi, target_x),
        };
        Plot { title_h, left, top, bottom, w: plot_w, h: plot_h, yaxis, xlo, xhi, xticks }
    }

    pub(super) fn x(&self, x: f64) -> f64 {
        self.left + (x - self.xlo) / (self.xhi - self.xlo) * self.w
    }

    pub(super) fn y(&self, v: f64) -> f64 {
        self.bottom - self.yaxis.frac(v) * self.h
    }

    /// Grid lines, both axes with their ticks, tick labels and the unit.
    pub(super) fn draw_axes(&self, s: &mut String, y_unit: &str) {
        let (left, right) = (self.left, self.left + self.w);
        out!(s, "<g stroke=\"{C_GRID}\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n");
        for (v, _) in &self.yaxis.ticks {
            let y = self.y(*v);
            out!(s, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", f1(left), f1(y), f1(right), f1(y));
        }
        for (t, _) in &self.xticks {
            let x = self.x(*t);
            out!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke-opacity=\"0.6\"/>\n",
                f1(x),
                f1(self.top),
                f1(x),
                f1(self.bottom)
            );
        }
        out!(s, "</g>\n");

        out!(
            s,
            "<g stroke=\"{C_AXIS}\" stroke-width=\"1\" shape-rendering=\"crispEdges\"><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/><line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
            l = f1(left),
            t = f1(self.top),
            b = f1(self.bottom),
            r = f1(right)
        );
        for (t, _) in &self.xticks {
            let x = f1(self.x(*t));
            out!(s, "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>", f1(self.bottom), f1(self.bottom + 4.0));
        }
        out!(s, "</g>\n");

        out!(s, "<g font-size=\"{}\" fill=\"{C_TEXT}\">\n", f1(LABEL_SIZE));
        for (v, label) in &self.yaxis.ticks {
            out!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                f1(left - 7.0),
                f1(self.y(*v) + 3.8),
                esc(label)
            );
        }
        for (t, label) in &self.xticks {
            out!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                f1(self.x(*t)),
                f1(self.bottom + 17.0),
                esc(label)
            );
        }
        if !y_unit.trim().is_empty() {
            let cy = self.top + self.h / 2.0;
            out!(
                s,
                "<text x=\"0\" y=\"0\" transform=\"translate(20,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                f1(cy),
                esc(&truncate(y_unit.trim(), 40))
            );
        }
        out!(s, "</g>\n");
    }

    /// Marker lines, under the data.
    pub(super) fn draw_marker_lines(&self, s: &mut String, markers: &[&Marker]) {
        if markers.is_empty() {
            return;
        }
        out!(s, "<g stroke-width=\"1.2\" stroke-dasharray=\"4 3\">\n");
        for m in markers {
            let x = f1(self.x(m.x));
            out!(
                s,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{}\"><title>{}</title></line>\n",
                f1(self.top),
                f1(self.bottom),
                m.kind.color(),
                esc(&m.label)
            );
        }
        out!(s, "</g>\n");
    }

    /// Each series as a polyline (a dot when one point is left), clipped to the plot.
    pub(super) fn draw_series(&self, s: &mut String, series: &[Series], step: bool) {
        out!(s, "<g clip-path=\"url(#plot-area)\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
        for Series { name, points: pts, color } in series {
            if pts.is_empty() {
                continue;
            }
            let px: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (self.x(x), self.y(y))).collect();
            let path = simplify(&downsample(&px), step);
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
    }

    /// Marker labels, over the data with a white halo.
    pub(super) fn draw_marker_labels(&self, s: &mut String, markers: &[&Marker]) {
        let map_x = |x: f64| self.x(x);
        let labels = place_marker_labels(markers, &map_x, self.left, self.left + self.w, self.top, self.bottom);
        if labels.is_empty() {
            return;
        }
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
}

/// A run-time x axis: time steps, ends snapped to a tick when that costs little room (e.g. a
/// 7199.9 s run ends at 2:00:00).
fn time_x(mut xlo: f64, mut xhi: f64, target: usize) -> ((f64, f64), Vec<(f64, String)>) {
    let (xstep, xdec) = time_step((xhi - xlo) / target as f64);
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
    let ticks = x_ticks(xlo, xhi, xstep).into_iter().map(|t| (t, fmt_time(t, hours, xdec))).collect();
    ((xlo, xhi), ticks)
}

/// A numeric x axis from 0 (a rate or a count), the last tick labelled with `unit`.
fn numeric_x(xlo: f64, xhi: f64, target: usize, unit: &str) -> ((f64, f64), Vec<(f64, String)>) {
    let (lo, hi, ticks, exp) = linear_ticks(xlo.min(0.0), xhi, target);
    let fmt = NumFmt::new(lo.abs().max(hi.abs()), exp);
    let last = ticks.len().saturating_sub(1);
    let labels = ticks
        .iter()
        .enumerate()
        .map(|(i, &t)| (t, if i == last { format!("{} {}", fmt.format(t), unit.trim()) } else { fmt.format(t) }))
        .collect();
    ((lo, hi), labels)
}
