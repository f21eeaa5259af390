//! Camera and microphone: asking for them, and errors a person understands.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, HtmlMediaElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("Camera and microphone access was blocked. Allow it in the browser's address bar, then press Go live again.")]
    Denied,
    #[error("No camera or microphone was found. Connect one, then press Go live again.")]
    NoDevice,
    #[error("The camera or microphone is in use by another application. Close it, then try again.")]
    Busy,
    #[error("This browser cannot capture media here. Open the studio over HTTPS (or on localhost).")]
    Unsupported,
    #[error("The camera could not be started: {0}")]
    Other(String),
}

impl MediaError {
    fn from_js(e: JsValue) -> Self {
        match e.dyn_ref::<DomException>().map(|d| d.name()) {
            Some(name) => match name.as_str() {
                "NotAllowedError" | "SecurityError" => MediaError::Denied,
                "NotFoundError" | "OverconstrainedError" => MediaError::NoDevice,
                "NotReadableError" | "AbortError" => MediaError::Busy,
                _ => MediaError::Other(e.dyn_ref::<DomException>().map(|d| d.message()).unwrap_or(name)),
            },
            None => MediaError::Other(format!("{e:?}")),
        }
    }
}

/// Camera and microphone together; with only one of them present, streams that one.
pub async fn camera_and_microphone() -> Result<MediaStream, MediaError> {
    match capture(true, true).await {
        Err(MediaError::NoDevice) => match capture(true, false).await {
            Err(MediaError::NoDevice) => capture(false, true).await,
            other => other,
        },
        other => other,
    }
}

async fn capture(video: bool, audio: bool) -> Result<MediaStream, MediaError> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or(MediaError::Unsupported)?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::from_bool(video));
    constraints.set_audio(&JsValue::from_bool(audio));
    let promise = devices.get_user_media_with_constraints(&constraints).map_err(MediaError::from_js)?;
    let stream = JsFuture::from(promise).await.map_err(MediaError::from_js)?;
    Ok(stream.unchecked_into())
}

/// Stops every track, turning the camera light off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// Shows `stream` in a `<video>`, or clears it.
pub fn attach(video: &HtmlMediaElement, stream: Option<&MediaStream>) {
    video.set_src_object(stream);
}

/// Starts playback; `false` when the browser refused (autoplay policy).
pub async fn play(video: &HtmlMediaElement) -> bool {
    match video.play() {
        Ok(promise) => JsFuture::from(promise).await.is_ok(),
        Err(_) => false,
    }
}
