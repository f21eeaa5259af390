//! Reusable view pieces.

pub mod status_badge;
pub mod viewer_chart;
pub mod viewer_table;
