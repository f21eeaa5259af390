//! Reusable view pieces.

pub mod external_live;
pub mod line_chart;
pub mod stats_overlay;
pub mod status_badge;
pub mod stream_key_panel;
pub mod viewer_chart;
pub mod viewer_table;
