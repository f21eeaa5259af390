//! Real Chromium reports and helpers shared by the stats tests.

use super::report::Report;
use super::sample::SenderSample;
use serde_json::Value;

// Real Chromium 156 samples (end2end/tools/capture-stats.mjs), 1 s apart.
pub const SENDER_1: &str = include_str!("fixtures/sender-1.json");
pub const SENDER_2: &str = include_str!("fixtures/sender-2.json");
pub const RECEIVER_1: &str = include_str!("fixtures/receiver-1.json");
pub const RECEIVER_2: &str = include_str!("fixtures/receiver-2.json");

pub fn value(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

/// The entry with this `type` (and `kind`, if given) in a fixture, for editing.
pub fn entry_mut<'a>(report: &'a mut Value, kind_of_entry: &str, kind: Option<&str>) -> &'a mut Value {
    report
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["type"] == kind_of_entry && kind.is_none_or(|k| e["kind"] == k))
        .unwrap_or_else(|| panic!("no {kind_of_entry} {kind:?} in fixture"))
}

pub fn sender_from(v: &Value) -> SenderSample {
    SenderSample::from_report(&Report::from_value(v).unwrap()).unwrap()
}

pub fn assert_near(actual: Option<f64>, expected: f64, tolerance: f64) {
    let a = actual.unwrap_or_else(|| panic!("expected about {expected}, got None"));
    assert!((a - expected).abs() <= tolerance, "expected {expected} ± {tolerance}, got {a}");
}
