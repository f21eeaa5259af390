//! `GET /api/stream-key` and `POST /api/stream-key/rotate`: the signed-in admin's WHIP URL and
//! stream key for OBS or ffmpeg; a rotation ends a live the old key is carrying.

use crate::server::auth::sign_in::Auth;
use crate::server::auth::stream_keys::StreamKeys;
use crate::server::http::origin::check_origin;
use crate::server::media::handle::{encoder_owner, RelayHandle};
use crate::web::routes::endpoint;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// What the two routes need.
#[derive(Clone)]
pub struct StreamKeyApi {
    pub auth: Arc<Auth>,
    pub keys: StreamKeys,
    /// `--public-url`, normalized: the first names the WHIP URL; all are allowed origins.
    pub public_urls: Vec<String>,
    pub relay: Option<RelayHandle>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamKeyBody {
    whip_url: String,
    stream_key: String,
}

/// `GET /api/stream-key`.
pub async fn show(State(api): State<StreamKeyApi>, headers: HeaderMap) -> Response {
    answer(&api, &headers, false).await
}

/// `POST /api/stream-key/rotate`: a new key; the old one stops working and its live ends.
pub async fn rotate(State(api): State<StreamKeyApi>, headers: HeaderMap) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Err(e) = check_origin(origin, host, &api.public_urls) {
        return refuse(StatusCode::FORBIDDEN, e.to_string());
    }
    answer(&api, &headers, true).await
}

async fn answer(api: &StreamKeyApi, headers: &HeaderMap, rotate: bool) -> Response {
    let Some(admin) = api.auth.admin(headers).await else {
        return refuse(StatusCode::UNAUTHORIZED, "sign in as an admin first".to_owned());
    };
    let keys = api.keys.clone();
    let key = tokio::task::spawn_blocking(move || if rotate { keys.rotate(admin) } else { keys.key_of(admin) }).await;
    let stream_key = match key {
        Ok(Ok(key)) => key,
        Ok(Err(e)) => {
            tracing::error!("reading or storing a stream key failed: {e}");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "the database does not answer".to_owned());
        }
        Err(_) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping".to_owned()),
    };
    if rotate {
        tracing::info!(admin = admin.0, "stream key rotated");
        if let Some(relay) = &api.relay {
            relay.end_publisher(encoder_owner(admin), "the stream key was rotated".to_owned());
        }
    }
    Json(StreamKeyBody { whip_url: whip_url(&api.public_urls, headers), stream_key }).into_response()
}

/// Where OBS should publish: under the first `--public-url`, else the host this request came to.
fn whip_url(public_urls: &[String], headers: &HeaderMap) -> String {
    match public_urls.first() {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), endpoint::WHIP),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
            format!("http://{host}{}", endpoint::WHIP)
        }
    }
}

fn refuse(status: StatusCode, words: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], words).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whip_url_follows_the_public_url_else_the_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "tv.local:9090".parse().unwrap());
        assert_eq!(whip_url(&[], &headers), "http://tv.local:9090/whip");
        assert_eq!(whip_url(&["https://tv.example.org".into()], &headers), "https://tv.example.org/whip");
    }
}
