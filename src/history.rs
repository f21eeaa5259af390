//! A past live as both builds see it: the list, one live in full, its viewers and the viewer
//! count over time (shared: the server reads them from the database, the history page shows them).

use serde::{Deserialize, Serialize};

/// How many lives the list shows, newest first.
pub const LIVES_LISTED: u32 = 100;

/// One live, as listed. Times are Unix milliseconds (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSummary {
    pub id: i64,
    pub started_at: i64,
    /// `None` while the live goes on.
    pub ended_at: Option<i64>,
    /// Until the end, or until the server answered for a live that goes on.
    pub duration_ms: i64,
    /// Most viewers watching at once.
    pub peak_viewers: u32,
    /// Time watched by all viewers together.
    pub viewer_ms: i64,
    /// Viewer connections during the live (a viewer who reconnects counts again).
    pub viewers: u32,
}

impl LiveSummary {
    pub fn viewer_minutes(&self) -> f64 {
        self.viewer_ms as f64 / 60_000.0
    }
}

/// One viewer connection during a live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerVisit {
    /// The display name the viewer gave, if any.
    pub name: Option<String>,
    pub joined_at: i64,
    /// `None` while still watching.
    pub left_at: Option<i64>,
}

/// A step of the viewer count: `viewers` were watching from `at` until the next point's `at`.
/// The last point marks the end of the curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub at: i64,
    pub viewers: u32,
}

/// One live in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveDetail {
    pub live: LiveSummary,
    pub curve: Vec<CurvePoint>,
    pub visits: Vec<ViewerVisit>,
}
