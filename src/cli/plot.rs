//! `scalesim plot`: a sweep's CSV as an SVG line chart, one line per value of a `--by` column.
//!
//! Rows with the same line and x (other seeds, other varied fields) are averaged; rows whose x
//! or y is empty (a figure the report lacks) are left out. Axis titles carry the unit of the
//! figure (`sweep::figures`) or scenario field (`scalesim schema`).

use crate::scenario::FIELDS;
use crate::sweep::figures;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// What to draw.
#[derive(Clone, Debug)]
pub struct PlotSpec {
    /// Column on the horizontal axis.
    pub x: String,
    /// Column on the vertical axis.
    pub y: String,
    /// Column whose values name the lines (`None`: one line).
    pub by: Option<String>,
    /// The chart's title (default: "Y vs X").
    pub title: Option<String>,
    /// Size in pixels.
    pub size: (u32, u32),
}

/// One line of the chart: its legend text and its points, by increasing x.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend text (`server.count = 4`).
    pub label: String,
    /// `(x, mean y)` points.
    pub points: Vec<(f64, f64)>,
}

/// Reads the CSV and groups its rows into lines.
pub fn lines(csv_text: &str, spec: &PlotSpec) -> Result<Vec<Line>, String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("not a CSV file: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column '{name}' (columns: {})", header.join(", ")))
    };
    let (x, y) = (column(&spec.x)?, column(&spec.y)?);
    let by = spec.by.as_deref().map(column).transpose()?;
    // Line name → x (as bits, for exact grouping) → (sum of y, count), in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut sums: BTreeMap<String, BTreeMap<u64, (f64, f64, u32)>> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", i + 2))?;
        let number = |c: usize| record.get(c).and_then(|v| v.trim().parse::<f64>().ok());
        let (Some(xv), Some(yv)) = (number(x), number(y)) else {
            continue;
        };
        if !xv.is_finite() || !yv.is_finite() {
            continue;
        }
        let name = by.map_or(String::new(), |c| record.get(c).unwrap_or("").to_string());
        if !sums.contains_key(&name) {
            order.push(name.clone());
        }
        let entry = sums
            .entry(name)
            .or_default()
            .entry(xv.to_bits())
            .or_insert((xv, 0.0, 0));
        entry.1 += yv;
        entry.2 += 1;
    }
    if order.is_empty() {
        return Err(format!(
            "no row has numbers in both '{}' and '{}'",
            spec.x, spec.y
        ));
    }
    // Lines named by numbers are ordered by value (2, 4, 8 — not 2, 8, 4 or "10" < "2").
    if order.iter().all(|n| n.parse::<f64>().is_ok()) {
        order.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse().unwrap_or(0.0))
        });
    }
    Ok(order
        .into_iter()
        .map(|name| {
            let mut points: Vec<(f64, f64)> = sums[&name]
                .values()
                .map(|&(xv, sum, n)| (xv, sum / f64::from(n)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let label = match &spec.by {
                Some(by) => format!("{by} = {name}"),
                None => spec.y.clone(),
            };
            Line { label, points }
        })
        .collect())
}

/// A column's axis title: its name and unit (`latency_p99_ms (ms)`).
pub fn axis_title(column: &str) -> String {
    let unit = figures::find(column)
        .map(|f| f.unit)
        .or_else(|| FIELDS.iter().find(|f| f.path == column).map(|f| f.unit))
        .filter(|u| *u != "-");
    match unit {
        Some(unit) => format!("{column} ({unit})"),
        None => column.to_string(),
    }
}

/// Line colours (Okabe and Ito's palette, told apart with most kinds of colour blindness).
const COLORS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Draws the chart as an SVG document.
pub fn svg(csv_text: &str, spec: &PlotSpec) -> Result<String, String> {
    let lines = lines(csv_text, spec)?;
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let (mut x_min, mut x_max) = all().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    if x_min == x_max {
        (x_min, x_max) = (x_min - 1.0, x_max + 1.0);
    }
    let (y_lo, y_hi) = all().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    // From zero when every value is positive, so the lines' heights compare honestly.
    let y_min = if y_lo >= 0.0 { 0.0 } else { y_lo * 1.08 };
    let y_max = if y_hi > y_min {
        y_hi * 1.08
    } else {
        y_min + 1.0
    };
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| format!("{} vs {}", spec.y, spec.x));
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, spec.size).into_drawing_area();
        let fail = |e: &dyn std::fmt::Display| format!("cannot draw the chart: {e}");
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 22))
            .margin(18)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc(axis_title(&spec.x))
            .y_desc(axis_title(&spec.y))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .bold_line_style(RGBColor(221, 221, 221))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, line) in lines.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| fail(&e))?
                .label(line.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
                });
            // Each line its own marker, so lines that coincide stay visible.
            let points = line.points.iter().copied();
            match i % 3 {
                0 => chart.draw_series(points.map(|p| Circle::new(p, 4, color.filled()))),
                1 => chart.draw_series(points.map(|p| TriangleMarker::new(p, 6, color.filled()))),
                _ => chart.draw_series(points.map(|p| Cross::new(p, 5, color.stroke_width(2)))),
            }
            .map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(out)
}

/// An axis label: whole numbers without decimals, others to three decimals at most.
fn tick(v: &f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "server.count,traffic.users,seed,latency_p99_ms\n\
        2,1000,1,10\n2,1000,2,20\n2,2000,1,40\n2,2000,2,\n10,1000,1,5\n10,2000,1,6\n4,1000,1,7\n";

    fn spec() -> PlotSpec {
        PlotSpec {
            x: "traffic.users".into(),
            y: "latency_p99_ms".into(),
            by: Some("server.count".into()),
            title: None,
            size: (800, 500),
        }
    }

    #[test]
    fn rows_group_into_lines_averaged_over_seeds() {
        let lines = lines(CSV, &spec()).unwrap();
        let labels: Vec<&str> = lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            ["server.count = 2", "server.count = 4", "server.count = 10"]
        );
        assert_eq!(lines[0].points, [(1000.0, 15.0), (2000.0, 40.0)]);
        assert_eq!(lines[2].points, [(1000.0, 5.0), (2000.0, 6.0)]);
    }

    #[test]
    fn the_chart_has_axes_with_units_and_a_legend() {
        let text = svg(CSV, &spec()).unwrap();
        assert!(text.starts_with("<svg"), "{}", &text[..80]);
        for part in [
            "traffic.users (users)",
            "latency_p99_ms (ms)",
            "server.count = 4",
            "<polyline",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn ticks_drop_needless_decimals() {
        assert_eq!(tick(&2000.0), "2000");
        assert_eq!(tick(&0.25), "0.25");
        assert_eq!(tick(&(0.1 + 0.2)), "0.3");
    }

    #[test]
    fn unknown_columns_are_named() {
        let mut s = spec();
        s.y = "p99".into();
        let e = lines(CSV, &s).unwrap_err();
        assert!(
            e.starts_with("no column 'p99' (columns: server.count, "),
            "{e}"
        );
    }
}
