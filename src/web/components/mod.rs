//! Reusable view pieces.

pub mod line_chart;
pub mod stats_overlay;
pub mod status_badge;
pub mod viewer_chart;
pub mod viewer_table;
