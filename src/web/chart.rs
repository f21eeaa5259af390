//! Chart maths for the dashboard's inline SVG: values to path coordinates, with a
//! readable top of scale. Pure, so it is tested here and drawn by `components::line_chart`.

/// A series scaled into a `width × height` box, ready for `<path d=…>`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scaled {
    /// The line through the points (empty with no points).
    pub line: String,
    /// The same line closed down to the baseline, for a filled area.
    pub area: String,
    /// The value at the top of the box.
    pub top: f64,
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `max`, so the scale reads well and does
/// not jump with every small change. At least `floor`.
pub fn nice_top(max: f64, floor: f64) -> f64 {
    let max = if max.is_finite() { max.max(floor) } else { floor };
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let top = step * magnitude;
        if top >= max * (1.0 - 1e-9) {
            return top;
        }
    }
    10.0 * magnitude
}

/// Scales the most recent `slots` values into the box: the newest point sits on the right
/// edge and each older one a slot to the left, so the chart scrolls as values arrive.
/// Non-finite values are drawn as zero.
pub fn scale(values: &[f64], slots: usize, width: f64, height: f64, floor: f64) -> Scaled {
    let slots = slots.max(2);
    let shown = &values[values.len().saturating_sub(slots)..];
    let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
    let top = nice_top(shown.iter().copied().map(clean).fold(0.0, f64::max), floor);
    if shown.is_empty() {
        return Scaled { top, ..Default::default() };
    }
    let step = width / (slots - 1) as f64;
    let first_x = width - step * (shown.len() - 1) as f64;
    let mut line = String::with_capacity(shown.len() * 14);
    for (i, v) in shown.iter().enumerate() {
        let x = first_x + step * i as f64;
        let y = height - clean(*v) / top * height;
        line.push(if i == 0 { 'M' } else { 'L' });
        line.push_str(&format!("{x:.1},{y:.1}"));
    }
    let area = format!("{line}L{width:.1},{height:.1}L{first_x:.1},{height:.1}Z");
    Scaled { line, area, top }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_tops_round_up_to_readable_values() {
        assert_eq!(nice_top(0.0, 0.0), 1.0);
        assert_eq!(nice_top(0.0, 10.0), 10.0);
        assert_eq!(nice_top(7.0, 1.0), 10.0);
        assert_eq!(nice_top(10.0, 1.0), 10.0);
        assert_eq!(nice_top(11.0, 1.0), 20.0);
        assert_eq!(nice_top(2100.0, 1.0), 2500.0);
        assert_eq!(nice_top(2600.0, 1.0), 5000.0);
        assert_eq!(nice_top(0.3, 0.0), 0.5);
        assert_eq!(nice_top(f64::NAN, 5.0), 5.0);
    }

    #[test]
    fn newest_point_is_on_the_right_edge_and_values_map_to_height() {
        let s = scale(&[0.0, 5.0, 10.0], 3, 100.0, 50.0, 1.0);
        assert_eq!(s.top, 10.0);
        assert_eq!(s.line, "M0.0,50.0L50.0,25.0L100.0,0.0");
        assert_eq!(s.area, "M0.0,50.0L50.0,25.0L100.0,0.0L100.0,50.0L0.0,50.0Z");
    }

    #[test]
    fn a_short_series_starts_part_way_and_a_long_one_keeps_the_newest() {
        let s = scale(&[4.0, 4.0], 5, 100.0, 40.0, 1.0);
        assert!(s.line.starts_with("M75.0,"), "{}", s.line);
        let long: Vec<f64> = (0..10).map(f64::from).collect();
        let s = scale(&long, 4, 30.0, 10.0, 1.0);
        assert_eq!(s.line.matches(['M', 'L']).count(), 4);
        assert_eq!(s.top, 10.0);
        assert!(s.line.ends_with("L30.0,1.0"), "{}", s.line);
    }

    #[test]
    fn empty_and_odd_values_are_safe() {
        let s = scale(&[], 10, 100.0, 10.0, 1.0);
        assert!(s.line.is_empty() && s.area.is_empty());
        let s = scale(&[f64::INFINITY, -3.0, f64::NAN], 3, 10.0, 10.0, 1.0);
        assert_eq!(s.top, 1.0);
        assert!(!s.line.contains("NaN") && !s.line.contains("inf"));
    }
}
