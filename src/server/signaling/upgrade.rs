//! `GET /ws`: the checks before a socket opens (shutdown, a join in the URL, origin,
//! connections per IP, watch access) and their refusals in words.

use crate::protocol::{join_for, JOIN_PARAM};
use crate::server::auth::watch_access::{code_in_query, WatchGate, WatchRefused};
use crate::server::http::client_addr::ClientAddr;
use crate::server::http::origin::check_origin;
use crate::server::http::query::query_param;
use crate::server::signaling::connection::{self, Opener};
use crate::server::signaling::service::Signaling;
use crate::server::signaling::viewer_cookie;
use crate::server::websocket::handshake::WsUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `GET /ws`: checks the origin and the connections from the client's IP address before
/// upgrading.
pub async fn handler(
    ws: WsUpgrade,
    State(signaling): State<Arc<Signaling>>,
    State(gate): State<WatchGate>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if signaling.is_shutting_down() {
        signaling.metrics().ws_refused("shutdown");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down; try again in a moment".to_owned(),
        );
    }
    // Checked before any slot is taken: a malformed URL costs nothing.
    let first_message = match query_param(uri.query(), JOIN_PARAM).map(|value| join_for(&value)) {
        None => None,
        Some(Ok(join)) => Some(join.to_json()),
        Some(Err(unknown)) => {
            signaling.metrics().ws_refused("join");
            return refuse(StatusCode::BAD_REQUEST, unknown.to_string());
        }
    };
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("(not text)"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Err(e) = check_origin(origin, host, signaling.public_urls()) {
        tracing::warn!(peer = %client, "{e}");
        signaling.metrics().ws_refused("origin");
        return refuse(StatusCode::FORBIDDEN, e.to_string());
    }
    // One client on a dual-stack listener is one address, whichever form it arrives in.
    let address = client;
    let Some(slot) = signaling.claim_ip(address) else {
        let max = signaling.limits().max_connections_per_ip;
        tracing::warn!(peer = %client, "refused a WebSocket: {max} already open from this address");
        signaling.metrics().ws_refused("per_ip");
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many connections from your address (at most {max}); close some and try again"),
        );
    };
    let admin_session = gate.auth.admin_session(&headers).await;
    // The watch code: the `onair_watch` cookie or `?code=` (counted like the form's guesses); an
    // admin may always watch. A wrong code still opens the socket: the viewer role says why not.
    let may_watch = admin_session.is_some()
        || match gate.access.admit(&headers, client, code_in_query(uri.query()).as_deref()) {
            Ok(()) => true,
            Err(refused @ WatchRefused::Throttled(_)) => {
                signaling.metrics().ws_refused("watch_code");
                return refuse(StatusCode::TOO_MANY_REQUESTS, refused.to_string());
            }
            Err(_) => false,
        };
    let device = viewer_cookie::device(&headers, signaling.device_key());
    let opener = Opener { admin_session, may_watch, auth: gate.auth.clone(), address, device, first_message };
    ws.accept(move |upgraded| connection::serve(upgraded, signaling, opener, slot))
}

fn refuse(status: StatusCode, words: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], words).into_response()
}
