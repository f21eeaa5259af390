//! `window.fetch` with typed errors, for the browser's few plain HTTP calls (WHIP/WHEP, the stream key).

use crate::browser::rtc::peer::RtcError;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

/// Sends `request`; an HTTP error status is still a response (the caller reads it).
pub async fn fetch(request: &Request) -> Result<Response, RtcError> {
    let window = web_sys::window().ok_or_else(|| RtcError("no window".into()))?;
    let response = JsFuture::from(window.fetch_with_request(request)).await?;
    response.dyn_into::<Response>().map_err(|_| RtcError("fetch gave no response".into()))
}

/// The response's body as text.
pub async fn body_text(response: &Response) -> Result<String, RtcError> {
    Ok(JsFuture::from(response.text()?).await?.as_string().unwrap_or_default())
}
