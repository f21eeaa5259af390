//! The browser's WHIP/WHEP exchanges with the relay: `POST` the offer, read the answer and
//! the session's `Location`, `DELETE` it when done.

use crate::browser::rtc::fetch::{body_text, fetch};
use crate::browser::rtc::peer::RtcError;
use crate::protocol::{SdpType, SessionDescription};
use web_sys::{Request, RequestInit};

/// A session on the relay, ended by [`end`].
#[derive(Clone, Debug)]
pub struct RelaySession {
    pub location: String,
}

/// Why an exchange gave no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExchangeError {
    /// The relay answered with an error status and says why in words (the body).
    #[error("the relay refused ({status}): {reason}")]
    Refused {
        status: u16,
        reason: String,
        /// The seconds its `Retry-After` asks to wait before trying again.
        retry_after: Option<u32>,
    },
    #[error(transparent)]
    Browser(#[from] RtcError),
}

impl From<wasm_bindgen::JsValue> for ExchangeError {
    fn from(v: wasm_bindgen::JsValue) -> Self {
        ExchangeError::Browser(v.into())
    }
}

impl From<ExchangeError> for RtcError {
    fn from(e: ExchangeError) -> Self {
        RtcError(e.to_string())
    }
}

/// Posts `offer` to `url` (`/whip` or `/whep?…`); the answer and the new session.
pub async fn exchange(
    url: &str,
    offer: &SessionDescription,
) -> Result<(SessionDescription, RelaySession), ExchangeError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&offer.sdp.as_str().into());
    let request = Request::new_with_str_and_init(url, &init)?;
    request.headers().set("Content-Type", "application/sdp")?;
    let response = fetch(&request).await?;
    let text = body_text(&response).await?;
    if response.status() != 201 {
        // The relay says why in words (the body of every refusal).
        let retry_after = response.headers().get("Retry-After")?.and_then(|v| v.trim().parse().ok());
        return Err(ExchangeError::Refused { status: response.status(), reason: text.trim().to_owned(), retry_after });
    }
    let location = response.headers().get("Location")?.unwrap_or_default();
    Ok((SessionDescription { kind: SdpType::Answer, sdp: text }, RelaySession { location }))
}

/// Whether the relay still knows the session (an empty trickle `PATCH`: `204` if it does,
/// `404` after a server restart lost it). Unsure (the server is unreachable) reads as alive.
pub async fn still_there(session: &RelaySession) -> bool {
    let init = RequestInit::new();
    init.set_method("PATCH");
    init.set_body(&"".into());
    let Ok(request) = Request::new_with_str_and_init(&session.location, &init) else { return true };
    if request.headers().set("Content-Type", "application/trickle-ice-sdpfrag").is_err() {
        return true;
    }
    match fetch(&request).await {
        Ok(response) => response.status() != 404,
        Err(_) => true,
    }
}

/// Ends a session; nothing to wait for (the page may be going away).
pub fn end(session: &RelaySession) {
    let init = RequestInit::new();
    init.set_method("DELETE");
    if let Ok(request) = Request::new_with_str_and_init(&session.location, &init) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = fetch(&request).await;
        });
    }
}
