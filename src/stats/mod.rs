//! WebRTC `getStats()` reports: typed parsing, per-interval quality, and the capacity estimate.
//!
//! Pure Rust, shared by both builds (no web-sys here). The browser side turns an
//! `RTCStatsReport` into JSON with `JSON.stringify(Array.from(report.values()))` and hands
//! the string to [`parse_sender`] (the studio's connection to one viewer) or
//! [`parse_receiver`] (a viewer's connection to the studio); already-parsed
//! `serde_json::Value`s go through [`Report::from_value`].
//!
//! A sample holds cumulative counters as the browser reports them. Rates need two samples:
//! [`sender_quality`] and [`receiver_quality`] compare the previous sample of the *same*
//! connection with the current one. [`capacity_estimate`] turns the studio's per-viewer
//! qualities into "how many more viewers fit". How figures read for people is the job of
//! `web/format.rs`.
//!
//! Shapes follow what Chromium actually reports (the fixtures in `src/stats/fixtures/` are
//! real samples, captured by `end2end/tools/capture-stats.mjs`): every field may be missing
//! early in a connection's life, so every number here is an `Option`.

mod capacity;
mod entries;
mod error;
mod quality;
mod report;
mod route;
mod sample;
mod stall;

pub use capacity::*;
pub use entries::*;
pub use error::*;
pub use quality::*;
pub use report::*;
pub use route::*;
pub use sample::*;
pub use stall::*;

#[cfg(test)]
mod quality_tests;
#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod sample_tests;
#[cfg(test)]
mod test_fixtures;
