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

macro_rules! out {
    ($dst:expr, $($arg:tt)*) => {
        let _ = write!($dst, $($arg)*);
    };
}

mod axis;
mod draw;
mod markers;
mod points;
mod text;

use axis::*;
use draw::*;
use markers::*;
use points::*;
use text::*;

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
    /// A circuit breaker changed state on the target (amber).
    Breaker,
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
    /// A numeric x axis labelled in this unit (e.g. `"arrivals/s"`) instead of run time.
    pub x_unit: Option<String>,
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

impl MarkerKind {
    fn color(self) -> &'static str {
        match self {
            MarkerKind::Phase => "#6b7280",
            MarkerKind::Chaos => "#dc2626",
            MarkerKind::ChaosClear => "#16a34a",
            MarkerKind::Breaker => "#d97706",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            MarkerKind::Phase => "phase",
            MarkerKind::Chaos => "chaos injected",
            MarkerKind::ChaosClear => "chaos cleared",
            MarkerKind::Breaker => "breaker transition",
        }
    }
}

/// Renders `chart` as a standalone SVG 1.1 document of `width` × `height` pixels
/// (clamped to at least 240 × 160).
pub fn render(chart: &Chart, width: u32, height: u32) -> String {
    let wu = width.max(240);
    let hu = height.max(160);
    let (w, h) = (f64::from(wu), f64::from(hu));
    let series = prepared_series(chart);
    let mut markers: Vec<&Marker> = chart.markers.iter().filter(|m| m.x.is_finite() && m.x.abs() <= MAX_ABS).collect();
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    let legend = Legend::layout(&series, &markers, w);
    let plot = Plot::layout(chart, &series, &markers, legend.rows, w, h);

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
        f1(plot.left - 2.0),
        f1(plot.top - 2.0),
        f1(plot.w + 4.0),
        f1(plot.h + 4.0)
    );
    out!(s, "<rect x=\"0\" y=\"0\" width=\"{wu}\" height=\"{hu}\" fill=\"#ffffff\"/>\n");
    if !chart.title.trim().is_empty() {
        out!(
            s,
            "<text x=\"16\" y=\"21\" font-size=\"{}\" font-weight=\"bold\" fill=\"{C_TITLE}\">{}</text>\n",
            f1(TITLE_SIZE),
            esc(&truncate(&chart.title, 120))
        );
    }
    legend.draw(&mut s, plot.title_h);
    plot.draw_axes(&mut s, &chart.y_unit);
    plot.draw_marker_lines(&mut s, &markers);
    plot.draw_series(&mut s, &series, chart.step);
    if series.iter().all(|s| s.points.is_empty()) {
        out!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-style=\"italic\" fill=\"{C_MUTED}\" text-anchor=\"middle\">no data</text>\n",
            f1(plot.left + plot.w / 2.0),
            f1(plot.top + plot.h / 2.0 + 4.0)
        );
    }
    plot.draw_marker_labels(&mut s, &markers);
    out!(s, "</svg>\n");
    s
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
