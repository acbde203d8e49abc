//! Charts for reports, drawn as SVG with plotters: grouped horizontal bars per label and lines over quarters.
//! A missing value (hidden by disclosure control) draws nothing. Labels are drawn as given (plotters escapes
//! them), so a caller passes words a person reads.

use plotters::prelude::*;

/// One named series of values, one per label; `None` is hidden.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<u64>>,
}

const SIZE: (u32, u32) = (760, 340);

fn top(series: &[Series]) -> f64 {
    let most = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .max()
        .unwrap_or(0);
    (most.max(5) as f64 * 1.15).ceil()
}

/// Grouped horizontal bars: for each label (top to bottom), one bar per series.
pub fn bar_chart(title: &str, labels: &[String], series: &[Series]) -> Result<String, String> {
    let mut svg = String::new();
    let n = labels.len();
    let height = 90 + 14 * (n * series.len().max(1)) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        // Room on the right for the legend.
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(200)
            .build_cartesian_2d(0f64..top(series) * 1.3, 0f64..n as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let from_top = n as f64 - y;
                let i = from_top.floor() as usize;
                if (from_top - from_top.floor() - 0.5).abs() < 1e-6 && i < n {
                    labels[i].clone()
                } else {
                    String::new()
                }
            })
            .y_label_style(("sans-serif", 12))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let thickness = 0.8 / series.len().max(1) as f64;
        for (s, one) in series.iter().enumerate() {
            let color = Palette99::pick(s).mix(0.85);
            chart
                .draw_series(one.values.iter().enumerate().filter_map(|(i, v)| {
                    let upper = (n - i) as f64 - 0.1 - s as f64 * thickness;
                    v.map(|v| {
                        Rectangle::new(
                            [(0.0, upper - thickness), (v as f64, upper)],
                            color.filled(),
                        )
                    })
                }))
                .map_err(|e| e.to_string())?
                .label(one.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Lines over the labels (quarters); a hidden value breaks the line.
pub fn line_chart(title: &str, labels: &[String], series: &[Series]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5f64..labels.len() as f64 - 0.5, 0f64..top(series) * 1.3)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(labels.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        for (s, one) in series.iter().enumerate() {
            let color = Palette99::pick(s).to_rgba();
            let points: Vec<(f64, f64)> = one
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v as f64)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(one.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, color.filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
