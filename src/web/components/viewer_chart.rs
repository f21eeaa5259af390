//! The viewer count over a live as a small inline SVG step line. The points come from the
//! server; this only scales them into the drawing.

use crate::history::CurvePoint;
use leptos::prelude::*;

/// The drawing's own units; the SVG stretches to the width of its box.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
/// Room above the peak and below zero so the line never touches the edge.
const PAD: f64 = 8.0;

#[component]
pub fn ViewerChart(
    /// Steps in time order, as from the server: the level holds until the next point.
    points: Vec<CurvePoint>,
    /// Words under the chart's left and right ends (start and end times).
    #[prop(into)]
    from_label: String,
    #[prop(into)] to_label: String,
) -> impl IntoView {
    let peak = points.iter().map(|p| p.viewers).max().unwrap_or(0);
    let line = step_path(&points, WIDTH, HEIGHT);
    let area = area_path(&line, peak, HEIGHT);
    let top = format!("{:.1}", y_of(peak, peak, HEIGHT));
    let label = format!("Viewers over time, from {from_label} to {to_label}; at most {peak} at once.");
    view! {
        <figure class="viewer-chart" data-testid="viewer-chart">
            <div class="viewer-chart-plot">
                <span class="viewer-chart-peak">{format!("{peak}")}</span>
                <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=label>
                    <line class="viewer-chart-grid" x1="0" x2=WIDTH.to_string() y1=top.clone() y2=top/>
                    <line class="viewer-chart-grid" x1="0" x2=WIDTH.to_string() y1=format!("{:.1}", HEIGHT - PAD) y2=format!("{:.1}", HEIGHT - PAD)/>
                    <path class="viewer-chart-area" d=area/>
                    <path class="viewer-chart-line" d=line vector-effect="non-scaling-stroke"/>
                </svg>
            </div>
            <figcaption class="viewer-chart-axis">
                <span>{from_label}</span>
                <span>{to_label}</span>
            </figcaption>
        </figure>
    }
}

fn y_of(viewers: u32, peak: u32, height: f64) -> f64 {
    let peak = peak.max(1) as f64;
    PAD + (1.0 - viewers as f64 / peak) * (height - 2.0 * PAD)
}

/// The SVG path of the steps: horizontal while the count holds, vertical where it changes.
/// Time runs from the first point (x = 0) to the last (x = `width`).
pub fn step_path(points: &[CurvePoint], width: f64, height: f64) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return String::new() };
    let peak = points.iter().map(|p| p.viewers).max().unwrap_or(0);
    let span = (last.at - first.at).max(0) as f64;
    let x_of = |at: i64| if span == 0.0 { 0.0 } else { (at - first.at) as f64 / span * width };
    let mut d = format!("M0 {:.1}", y_of(first.viewers, peak, height));
    let mut level = first.viewers;
    for p in &points[1..] {
        d.push_str(&format!(" H{:.1}", x_of(p.at)));
        if p.viewers != level {
            d.push_str(&format!(" V{:.1}", y_of(p.viewers, peak, height)));
            level = p.viewers;
        }
    }
    if span == 0.0 {
        d.push_str(&format!(" H{width:.1}"));
    }
    d
}

/// The step line closed down to the zero line, for the shaded area under it.
fn area_path(line: &str, peak: u32, height: f64) -> String {
    if line.is_empty() {
        return String::new();
    }
    format!("{line} V{:.1} H0 Z", y_of(0, peak, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(at: i64, viewers: u32) -> CurvePoint {
        CurvePoint { at, viewers }
    }

    #[test]
    fn steps_scale_time_to_the_width_and_the_peak_to_the_top() {
        // 0..100 ms over 200 units; peak 2 at the top (y = PAD), zero at the bottom (y = 100 - PAD).
        let d = step_path(&[p(0, 1), p(25, 2), p(75, 0), p(100, 0)], 200.0, 100.0);
        assert_eq!(d, "M0 50.0 H50.0 V8.0 H150.0 V92.0 H200.0");
    }

    #[test]
    fn a_flat_or_empty_curve_still_draws_a_line() {
        assert_eq!(step_path(&[p(0, 0), p(10, 0)], 100.0, 100.0), "M0 92.0 H100.0");
        assert_eq!(step_path(&[p(5, 3), p(5, 3)], 100.0, 100.0), "M0 8.0 H0.0 H100.0");
        assert_eq!(step_path(&[], 100.0, 100.0), "");
    }

    #[test]
    fn the_area_closes_on_the_zero_line() {
        let line = step_path(&[p(0, 1), p(10, 1)], 100.0, 100.0);
        assert_eq!(area_path(&line, 1, 100.0), "M0 8.0 H100.0 V92.0 H0 Z");
        assert_eq!(area_path("", 0, 100.0), "");
    }
}
