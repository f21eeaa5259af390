//! The relay's HTTP face: WHIP (RFC 9725) for the publisher and WHEP for players. `POST` an
//! SDP offer, `201 Created` with the answer (the relay's candidates inside), `Location` and
//! `ETag`; `PATCH` trickles candidates or restarts ICE; `DELETE` ends the session; `OPTIONS`
//! for CORS.

use crate::protocol::{IceServer, ViewerId};
use crate::server::auth::stream_key_gate::{KeyRefused, StreamKeyGate};
use crate::server::auth::watch_access::WatchGate;
use crate::server::auth::watch_access::WatchRefused;
use crate::server::http::client_addr::ClientAddr;
use crate::server::media::handle::{encoder_owner, Created, Direction, Patched, RelayError, RelayHandle};
use crate::server::media::ingest::encoder_name;
use crate::server::signaling::service::{Signaling, STREAMER_TURN_NAME};
use crate::server::signaling::turn::{self, TurnSecret};
use crate::web::routes::endpoint;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// Largest SDP offer or trickle fragment accepted (browsers' offers are a few KiB).
pub const MAX_SDP_BYTES: usize = 64 * 1024;

const SDP: &str = "application/sdp";
const SDP_FRAGMENT: &str = "application/trickle-ice-sdpfrag";

/// What the handlers need: the relay (absent with `--relay off`), who may publish or watch,
/// and the signaling service that vouches for a `/ws` viewer.
#[derive(Clone)]
pub struct MediaEndpoints {
    pub relay: Option<RelayHandle>,
    pub gate: WatchGate,
    pub signaling: Arc<Signaling>,
    /// Who may publish with a stream key (OBS, ffmpeg).
    pub stream_keys: Arc<StreamKeyGate>,
    /// Handed to publishers in `Link` headers, TURN ones with fresh credentials.
    pub ice_servers: Vec<IceServer>,
    pub turn: Option<TurnSecret>,
}

impl MediaEndpoints {
    /// The relay, or the refusal to answer with (boxed: a `Response` is large to pass back).
    fn relay(&self) -> Result<&RelayHandle, Box<Response>> {
        self.relay.as_ref().ok_or_else(|| {
            Box::new(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay is off on this server (--relay off)".to_owned(),
            ))
        })
    }
}

/// `POST /whip`: an external encoder with a stream key (`Authorization: Bearer KEY`), or the
/// signed-in admin's browser studio.
pub async fn publish(
    State(media): State<MediaEndpoints>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let key = bearer(&headers);
    if key.is_none() {
        if let Some(admin) = media.gate.auth.admin(&headers).await {
            return open(
                &media,
                Direction::Publish,
                None,
                Some(format!("admin:{}", admin.0)),
                None,
                client,
                &headers,
                body,
            )
            .await;
        }
    }
    let admin = match media.stream_keys.check(client, key).await {
        Ok(admin) => admin,
        Err(refused) => {
            let status = match refused {
                KeyRefused::WrongKey => StatusCode::UNAUTHORIZED,
                KeyRefused::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                KeyRefused::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            };
            return refuse(status, refused.to_string());
        }
    };
    // One live at a time, first come first served (the README's rule for two publishers).
    if media.signaling.browser_live() {
        return refuse(
            StatusCode::CONFLICT,
            "the studio is live from a browser on this server; end that live first".to_owned(),
        );
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let encoder = encoder_name(user_agent);
    let mut response =
        open(&media, Direction::Publish, None, Some(encoder_owner(admin)), Some(encoder), client, &headers, body).await;
    if response.status() == StatusCode::CREATED {
        add_ice_server_links(&media, response.headers_mut());
    }
    response
}

/// RFC 9725 4.6: the ICE servers as `Link` headers, TURN ones with credentials minted now.
fn add_ice_server_links(media: &MediaEndpoints, headers: &mut HeaderMap) {
    let mut servers = media.ice_servers.clone();
    if let Some(secret) = &media.turn {
        turn::fill(&mut servers, secret, STREAMER_TURN_NAME, crate::server::clock::unix_secs());
    }
    for server in &servers {
        for url in &server.urls {
            let mut link = format!("<{url}>; rel=\"ice-server\"");
            if let (Some(user), Some(credential)) = (&server.username, &server.credential) {
                link.push_str(&format!(
                    "; username=\"{user}\"; credential=\"{credential}\"; credential-type=\"password\""
                ));
            }
            if let Ok(v) = HeaderValue::from_str(&link) {
                headers.append(header::LINK, v);
            }
        }
    }
}

/// `POST /whep[?viewer=TOKEN]`: a player joins; the watch code applies as on the watch page.
pub async fn play(
    State(media): State<MediaEndpoints>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    // The watch page's cookie, or the code as a bearer token (counted against the same
    // guessing budget as every other path that checks a code).
    if let Err(refused) = media.gate.admit(&headers, client, bearer(&headers)).await {
        let status = match refused {
            WatchRefused::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WatchRefused::NoCode | WatchRefused::WrongCode => StatusCode::UNAUTHORIZED,
        };
        return refuse(status, format!("{refused} (send the watch code as `Authorization: Bearer CODE`)"));
    }
    let token = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == endpoint::WHEP_VIEWER_PARAM)
            .map(|(_, v)| v.into_owned())
    });
    let viewer_id = match token {
        Some(t) => match media.signaling.connected_viewer(&t) {
            Some(id) => Some(id),
            None => {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "that viewer is not connected to this live (reload the page to join again)".to_owned(),
                )
            }
        },
        None => None,
    };
    open(&media, Direction::Play, viewer_id, None, None, client, &headers, body).await
}

#[allow(clippy::too_many_arguments)]
async fn open(
    media: &MediaEndpoints,
    direction: Direction,
    viewer_id: Option<ViewerId>,
    owner: Option<String>,
    encoder: Option<String>,
    client: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let relay = match media.relay() {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    let offer = match read_body(headers, body, SDP).await {
        Ok(text) => text,
        Err(refusal) => return refusal,
    };
    match relay.open(direction, offer, viewer_id, owner, encoder, client).await {
        Ok(created) => created_response(direction, created),
        Err(e) => relay_refusal(e),
    }
}

/// `PATCH /whip/{id}` and `/whep/{id}`: trickled candidates (`204`), or an ICE restart
/// (`200` with the relay's new credentials and candidates, and the new `ETag`).
pub async fn trickle(
    State(media): State<MediaEndpoints>,
    method_path: Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let relay = match media.relay() {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    let fragment = match read_body(&headers, body, SDP_FRAGMENT).await {
        Ok(text) => text,
        Err(refusal) => return refusal,
    };
    let if_match = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match relay.trickle(direction_of(&uri), method_path.0, if_match, fragment).await {
        Ok(Patched::Trickled) => with_cors(StatusCode::NO_CONTENT.into_response()),
        Ok(Patched::Restarted { etag, fragment }) => {
            let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, SDP_FRAGMENT)], fragment).into_response();
            if let Ok(v) = HeaderValue::from_str(&etag) {
                response.headers_mut().insert(header::ETAG, v);
            }
            with_cors(response)
        }
        Err(e) => relay_refusal(e),
    }
}

/// `DELETE /whip/{id}` and `/whep/{id}`: the session ends (`200`, as OBS expects).
pub async fn end(State(media): State<MediaEndpoints>, resource: Path<String>, uri: Uri) -> Response {
    let relay = match media.relay() {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    match relay.close(direction_of(&uri), resource.0).await {
        Ok(()) => with_cors(StatusCode::OK.into_response()),
        Err(e) => relay_refusal(e),
    }
}

/// `OPTIONS` on any WHIP/WHEP path: what a cross-origin player may send.
pub async fn options() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("accept-post", HeaderValue::from_static(SDP));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, PATCH, DELETE, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type, If-Match"));
    with_cors(response)
}

fn direction_of(uri: &Uri) -> Direction {
    if uri.path().starts_with(endpoint::WHIP) {
        Direction::Publish
    } else {
        Direction::Play
    }
}

fn created_response(direction: Direction, created: Created) -> Response {
    let base = match direction {
        Direction::Publish => endpoint::WHIP,
        Direction::Play => endpoint::WHEP,
    };
    let location = format!("{base}/{}", created.resource);
    let mut response = (StatusCode::CREATED, created.answer_sdp).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SDP));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&created.etag) {
        h.insert(header::ETAG, v);
    }
    with_cors(response)
}

/// The body as text, if it has the expected type and fits.
async fn read_body(headers: &HeaderMap, body: Body, expected: &str) -> Result<String, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(expected) {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send the body as {expected}, not {:?}", if essence.is_empty() { "nothing" } else { essence }),
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_SDP_BYTES)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over {} KiB", MAX_SDP_BYTES / 1024)))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, "the body is not UTF-8 text".to_owned()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn relay_refusal(e: RelayError) -> Response {
    let status = match e {
        RelayError::BadOffer(_)
        | RelayError::NoUsableMedia
        | RelayError::BadCandidate(_)
        | RelayError::BadRestart(_) => StatusCode::BAD_REQUEST,
        RelayError::NoSuchSession => StatusCode::NOT_FOUND,
        RelayError::Full(_) | RelayError::Overloaded | RelayError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
        RelayError::TooManyFromAddress(_) => StatusCode::TOO_MANY_REQUESTS,
        RelayError::EtagMismatch => StatusCode::PRECONDITION_FAILED,
        RelayError::AnotherPublisher => StatusCode::CONFLICT,
        RelayError::CannotDecode(_) => StatusCode::NOT_ACCEPTABLE,
        RelayError::RestartWithoutWildcard => StatusCode::PRECONDITION_REQUIRED,
    };
    let retry_after = retry_after_secs(&e);
    let mut response = refuse(status, e.to_string());
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// When a refused client may try again (`Retry-After`, seconds): soon after an overload (the
/// relay looks again every second), later when it is full or the address has too many sessions
/// (they end as viewers leave). The watch page waits at least this long, spread above it.
fn retry_after_secs(e: &RelayError) -> Option<u32> {
    match e {
        RelayError::Overloaded => Some(2),
        RelayError::Full(_) | RelayError::TooManyFromAddress(_) | RelayError::Stopped => Some(5),
        _ => None,
    }
}

fn refuse(status: StatusCode, words: String) -> Response {
    with_cors((status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], words).into_response())
}

/// Players on other origins may read the answer and its headers (no cookies cross with `*`).
fn with_cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Location, ETag, Link, Retry-After"));
    response
}
