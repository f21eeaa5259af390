//! What the `/admin/history` page loads: past lives and, for one of them, its viewers and the
//! viewer count over time. Both server functions are for the admin only and check the session
//! cookie themselves: `/api/...` is not behind the `/admin` redirect.

use crate::history::{LiveDetail, LiveSummary};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

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
    let now = crate::server::clock::now_ms();
    blocking(move || history.lives(crate::history::LIVES_LISTED, now)).await
}

/// One live with its viewers and its viewer curve. `POST /api/history/live` with `id`.
#[server(endpoint = "history/live")]
pub async fn get_live(id: i64) -> Result<LiveDetail, HistoryError> {
    let history = admin_history().await?;
    let now = crate::server::clock::now_ms();
    blocking(move || history.live(id, now)).await?.ok_or(HistoryError::NoSuchLive(id))
}

/// The history store, once the request is known to come from the signed-in admin.
#[cfg(feature = "ssr")]
async fn admin_history() -> Result<crate::server::store::history::History, HistoryError> {
    let auth = use_context::<std::sync::Arc<crate::server::auth::sign_in::Auth>>()
        .ok_or_else(|| HistoryError::Unavailable("the sign-in service is missing".into()))?;
    let history = use_context::<crate::server::store::history::History>()
        .ok_or_else(|| HistoryError::Unavailable("the history store is missing".into()))?;
    let headers: axum::http::HeaderMap =
        leptos_axum::extract().await.map_err(|e| HistoryError::Request(e.to_string()))?;
    if !auth.is_admin(&headers).await {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(axum::http::StatusCode::UNAUTHORIZED);
        }
        return Err(HistoryError::NotSignedIn);
    }
    Ok(history)
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
