//! The stream key panel's requests: load the WHIP URL and key, rotate the key (after asking),
//! copy either to the clipboard.

use crate::browser::rtc::fetch::{body_text, fetch};
use crate::browser::studio::stream_key::{copied_note, StreamKey, StreamKeyError};
use crate::web::routes::endpoint;
use crate::web::view_state::{CopyTarget, StreamKeyView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{Request, RequestInit};

const ROTATE_QUESTION: &str = "Rotate the stream key? The current key stops working at once: a live from OBS or \
ffmpeg with it ends, and you paste the new key into your encoder.";

/// Shows the admin's WHIP URL and stream key.
pub fn load(panel: StreamKeyView) {
    spawn_local(async move { show(panel, request("GET", endpoint::STREAM_KEY).await) });
}

/// Replaces the key once the admin confirms.
pub fn rotate(panel: StreamKeyView) {
    let confirmed = web_sys::window().and_then(|w| w.confirm_with_message(ROTATE_QUESTION).ok()).unwrap_or(false);
    if !confirmed || panel.busy.get_untracked() {
        return;
    }
    panel.busy.set(true);
    spawn_local(async move {
        let result = request("POST", endpoint::STREAM_KEY_ROTATE).await;
        let rotated = result.is_ok();
        show(panel, result);
        if rotated {
            panel.note.set(Some("New stream key: paste it into OBS or ffmpeg.".to_owned()));
        }
        panel.busy.set(false);
    });
}

/// Puts the URL or the key on the clipboard and says so.
pub fn copy(panel: StreamKeyView, what: CopyTarget) {
    let text = match what {
        CopyTarget::WhipUrl => panel.whip_url.get_untracked(),
        CopyTarget::StreamKey => panel.key.get_untracked(),
    };
    let (Some(text), Some(window)) = (text, web_sys::window()) else { return };
    let promise = window.navigator().clipboard().write_text(&text);
    spawn_local(async move {
        let note = match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => copied_note(what).to_owned(),
            Err(_) => "This browser refused the clipboard: select the text and copy it.".to_owned(),
        };
        panel.note.set(Some(note));
    });
}

fn show(panel: StreamKeyView, result: Result<StreamKey, StreamKeyError>) {
    match result {
        Ok(key) => {
            panel.whip_url.set(Some(key.whip_url));
            panel.key.set(Some(key.stream_key));
            panel.note.set(None);
        }
        Err(e) => panel.note.set(Some(e.to_string())),
    }
}

async fn request(method: &str, url: &str) -> Result<StreamKey, StreamKeyError> {
    let unreachable = |e: crate::browser::rtc::peer::RtcError| StreamKeyError::Unreachable(e.to_string());
    let init = RequestInit::new();
    init.set_method(method);
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| unreachable(e.into()))?;
    let response = fetch(&request).await.map_err(unreachable)?;
    let text = body_text(&response).await.map_err(unreachable)?;
    StreamKey::from_response(response.status(), &text)
}
