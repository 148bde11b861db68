//! `--plot FILE.png`: frame rate, data rate and loss over time, one panel
//! each (top to bottom: fps in blue, kbit/s in green, loss % in red).
//!
//! Drawn with plotters' bitmap backend and no text at all, so it works on a
//! bare machine without fonts. Each panel has a frame, a zero line and four
//! horizontal grid lines (quarters of its maximum); the maxima and the time
//! span are printed on the console when the plot is written.

use std::path::Path;

use plotters::prelude::*;

use crate::report::Sample;

/// Picks one series out of a sample.
type Series = fn(&Sample) -> f64;

/// Writes the three-panel plot; returns a one-line legend with the scales.
pub fn write(path: &Path, samples: &[Sample]) -> Result<String, String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let panels = root.split_evenly((3, 1));
    let t_max = samples.last().map_or(1.0, |s| s.t).max(1.0);
    let series: [(Series, RGBColor); 3] = [
        (|s| s.fps, BLUE),
        (|s| s.kbps, GREEN),
        (|s| s.loss_percent, RED),
    ];
    let mut maxima = [0.0f64; 3];
    for (i, (panel, (get, color))) in panels.iter().zip(series).enumerate() {
        let y_max = samples.iter().map(get).fold(0.0f64, f64::max);
        maxima[i] = y_max;
        let top = (y_max * 1.1).max(1.0);
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .build_cartesian_2d(0.0..t_max, 0.0..top)
            .map_err(|e| err(&e))?;
        let grey = RGBColor(220, 220, 220);
        for q in 1..=4 {
            let y = y_max * f64::from(q) / 4.0;
            chart
                .draw_series(LineSeries::new([(0.0, y), (t_max, y)], grey))
                .map_err(|e| err(&e))?;
        }
        chart
            .draw_series([Rectangle::new(
                [(0.0, 0.0), (t_max, top)],
                BLACK.stroke_width(1),
            )])
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                samples.iter().map(|s| (s.t, get(s))),
                color.stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(format!(
        "plot {}: {:.0} s; panels top to bottom: fps (max {:.1}), kbit/s (max {:.0}), loss % (max {:.2}); grid lines at quarters of each maximum",
        path.display(),
        t_max,
        maxima[0],
        maxima[1],
        maxima[2]
    ))
}
