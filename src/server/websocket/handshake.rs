//! The WebSocket opening handshake (RFC 6455 section 4.2) of `GET /ws`, as an axum
//! extractor: a request that is not a valid upgrade gets `400` (or `426`) with words.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hyper::upgrade::{OnUpgrade, Upgraded};
use sha1::{Digest, Sha1};
use std::future::Future;

/// The GUID every server appends to the client's key (RFC 6455 section 1.3).
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A valid upgrade request; [`WsUpgrade::accept`] answers it.
pub struct WsUpgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request to `/ws` is not a WebSocket upgrade.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("a WebSocket upgrade is a GET request")]
    NotGet,
    #[error("this address is a WebSocket endpoint: connect with a WebSocket client")]
    NotUpgrade,
    #[error("only WebSocket version 13 is supported")]
    Version,
    #[error("the Sec-WebSocket-Key header is missing")]
    NoKey,
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl IntoResponse for HandshakeError {
    fn into_response(self) -> Response {
        let status = match self {
            HandshakeError::NotGet => StatusCode::METHOD_NOT_ALLOWED,
            HandshakeError::Version => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = (status, self.to_string()).into_response();
        if self == HandshakeError::Version {
            response.headers_mut().insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        }
        response
    }
}

/// Checks the request's method and headers; the key it returns answers the handshake.
pub fn check(method: &Method, headers: &HeaderMap) -> Result<HeaderValue, HandshakeError> {
    if method != Method::GET {
        return Err(HandshakeError::NotGet);
    }
    if !has_token(headers, header::CONNECTION, "upgrade") || !has_token(headers, header::UPGRADE, "websocket") {
        return Err(HandshakeError::NotUpgrade);
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        return Err(HandshakeError::Version);
    }
    headers.get(header::SEC_WEBSOCKET_KEY).cloned().ok_or(HandshakeError::NoKey)
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// Whether a comma-separated header lists `token` (case-insensitively).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = HandshakeError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let key = check(&parts.method, &parts.headers)?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(HandshakeError::NotUpgradable)?;
        Ok(WsUpgrade { key, on_upgrade })
    }
}

impl WsUpgrade {
    /// Answers `101 Switching Protocols` and runs `serve` on the connection once hyper hands
    /// it over. No extension or subprotocol is agreed: frames stay plain.
    pub fn accept<F, Fut>(self, serve: F) -> Response
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WsUpgrade { key, on_upgrade } = self;
        let accept = accept_key(key.as_bytes());
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => serve(upgraded).await,
                Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
            }
        });
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::SEC_WEBSOCKET_ACCEPT,
            HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_the_rfc_example() {
        // RFC 6455 section 1.3.
        assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    fn upgrade_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        h.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        h
    }

    #[test]
    fn checks_method_and_headers() {
        let ok = upgrade_headers();
        assert_eq!(check(&Method::GET, &ok).unwrap(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(check(&Method::POST, &ok), Err(HandshakeError::NotGet));
        let without = |name: header::HeaderName| {
            let mut h = upgrade_headers();
            h.remove(name);
            check(&Method::GET, &h)
        };
        assert_eq!(without(header::UPGRADE), Err(HandshakeError::NotUpgrade));
        assert_eq!(without(header::CONNECTION), Err(HandshakeError::NotUpgrade));
        assert_eq!(without(header::SEC_WEBSOCKET_VERSION), Err(HandshakeError::Version));
        assert_eq!(without(header::SEC_WEBSOCKET_KEY), Err(HandshakeError::NoKey));
        let mut old = upgrade_headers();
        old.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(check(&Method::GET, &old), Err(HandshakeError::Version));
    }
}
