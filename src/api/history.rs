//! What the `/admin/history` page loads: past lives and, for one of them, its viewers and the
//! viewer count over time. Both server functions are for the admin only and check the session
//! cookie themselves: `/api/...` is not behind the `/admin` redirect.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
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

/// Why the history could not be shown, in words for the page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum HistoryError {
    #[error("Sign in as the admin to see the stream history.")]
    NotSignedIn,
    #[error("There is no live number {0}.")]
    NoSuchLive(i64),
    #[error("The history is not available right now: {0}")]
    Unavailable(String),
    #[error("The server could not be asked: {0}")]
    Request(String),
}

impl FromServerFnError for HistoryError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        HistoryError::Request(value.to_string())
    }
}

/// The newest lives first. `POST /api/history/lives`.
#[server(endpoint = "history/lives")]
pub async fn list_lives() -> Result<Vec<LiveSummary>, HistoryError> {
    let history = admin_history().await?;
    let now = crate::server::recorder::now_ms();
    blocking(move || history.lives(LIVES_LISTED, now)).await
}

/// One live with its viewers and its viewer curve. `POST /api/history/live` with `id`.
#[server(endpoint = "history/live")]
pub async fn get_live(id: i64) -> Result<LiveDetail, HistoryError> {
    let history = admin_history().await?;
    let now = crate::server::recorder::now_ms();
    blocking(move || history.live(id, now)).await?.ok_or(HistoryError::NoSuchLive(id))
}

/// The history store, once the request is known to come from the signed-in admin.
#[cfg(feature = "ssr")]
async fn admin_history() -> Result<crate::server::history::History, HistoryError> {
    let state = use_context::<crate::server::AppState>()
        .ok_or_else(|| HistoryError::Unavailable("the server state is missing".into()))?;
    let headers: axum::http::HeaderMap =
        leptos_axum::extract().await.map_err(|e| HistoryError::Request(e.to_string()))?;
    if !state.auth.is_admin(&headers).await {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(axum::http::StatusCode::UNAUTHORIZED);
        }
        return Err(HistoryError::NotSignedIn);
    }
    Ok(state.history.clone())
}

/// Runs a database read off the async threads.
#[cfg(feature = "ssr")]
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, HistoryError> {
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            tracing::error!("reading the stream history failed: {e}");
            Err(HistoryError::Unavailable(format!("the database answered: {e}")))
        }
        Err(e) => Err(HistoryError::Unavailable(format!("the read was cut short: {e}"))),
    }
}
