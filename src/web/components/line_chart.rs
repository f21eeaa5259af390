//! An inline SVG line chart whose path follows a signal: only the `d` attributes change
//! on each new value, never the surrounding markup.

use crate::web::chart;
use leptos::prelude::*;

const WIDTH: f64 = 300.0;

#[component]
pub fn LineChart(
    /// The values, oldest first; the chart shows the last `slots` of them.
    #[prop(into)]
    values: Signal<Vec<f64>>,
    /// How many values fit across the chart.
    slots: usize,
    /// Drawing height in SVG units (the width is 300; CSS sizes the element).
    #[prop(default = 80.0)]
    height: f64,
    /// The top of the scale never goes below this (keeps a flat zero line at the bottom).
    #[prop(default = 1.0)]
    floor: f64,
    /// What the chart shows, for screen readers.
    label: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let scaled = Memo::new(move |_| values.with(|v| chart::scale(v, slots, WIDTH, height, floor)));
    view! {
        <svg
            class=format!("chart {class}")
            data-testid=testid
            data-points=move || values.with(|v| v.len().min(slots))
            viewBox=format!("0 0 {WIDTH} {height}")
            preserveAspectRatio="none"
            role="img"
            aria-label=label
        >
            <path class="chart-area" d=move || scaled.with(|s| s.area.clone())></path>
            <path class="chart-line" d=move || scaled.with(|s| s.line.clone()) vector-effect="non-scaling-stroke"></path>
        </svg>
    }
}
