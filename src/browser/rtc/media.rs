//! Camera and microphone: asking for them, and errors a person understands.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, HtmlMediaElement, MediaDeviceInfo, MediaDeviceKind, MediaDevices, MediaStream,
    MediaStreamConstraints, MediaStreamTrack,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error(
        "Camera and microphone access was blocked. Allow it in the browser's address bar, then press Go live again."
    )]
    Denied,
    #[error("No camera or microphone was found. Connect one, then press Go live again.")]
    NoDevice,
    #[error("The camera or microphone is in use by another application. Close it, then try again.")]
    Busy,
    #[error("This browser cannot capture media here. Open the studio over HTTPS (or on localhost).")]
    Unsupported,
    #[error("Screen sharing was cancelled or blocked.")]
    ShareCancelled,
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
    capture_with(&JsValue::from_bool(video), audio).await
}

async fn capture_with(video: &JsValue, audio: bool) -> Result<MediaStream, MediaError> {
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(video);
    constraints.set_audio(&JsValue::from_bool(audio));
    let promise = devices()?.get_user_media_with_constraints(&constraints).map_err(MediaError::from_js)?;
    let stream = JsFuture::from(promise).await.map_err(MediaError::from_js)?;
    Ok(stream.unchecked_into())
}

fn devices() -> Result<MediaDevices, MediaError> {
    web_sys::window().and_then(|w| w.navigator().media_devices().ok()).ok_or(MediaError::Unsupported)
}

/// A camera picked in the studio's device list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Camera {
    pub device_id: String,
    pub label: String,
}

/// The cameras the browser lists (labels appear once camera access was granted).
pub async fn cameras() -> Vec<Camera> {
    let Ok(promise) = devices().and_then(|d| d.enumerate_devices().map_err(MediaError::from_js)) else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(promise).await else { return Vec::new() };
    let list: js_sys::Array = list.unchecked_into();
    list.iter()
        .map(|d| d.unchecked_into::<MediaDeviceInfo>())
        .filter(|d| d.kind() == MediaDeviceKind::Videoinput)
        .enumerate()
        .map(|(i, d)| {
            let label = d.label();
            Camera {
                device_id: d.device_id(),
                label: if label.is_empty() { format!("Camera {}", i + 1) } else { label },
            }
        })
        .collect()
}

/// One camera's video track, by device id.
pub async fn camera_track(device_id: &str) -> Result<MediaStreamTrack, MediaError> {
    let exact = js_sys::Object::new();
    js_sys::Reflect::set(&exact, &"exact".into(), &device_id.into()).map_err(MediaError::from_js)?;
    let video = js_sys::Object::new();
    js_sys::Reflect::set(&video, &"deviceId".into(), &exact).map_err(MediaError::from_js)?;
    let stream = capture_with(&video, false).await?;
    first_track(&stream, "video").ok_or(MediaError::NoDevice)
}

/// The screen (or a window or tab) the person picks, as a video track.
pub async fn screen_track() -> Result<MediaStreamTrack, MediaError> {
    let promise = devices()?.get_display_media().map_err(|_| MediaError::ShareCancelled)?;
    let stream: MediaStream = JsFuture::from(promise).await.map_err(|_| MediaError::ShareCancelled)?.unchecked_into();
    first_track(&stream, "video").ok_or(MediaError::ShareCancelled)
}

/// The stream's first track of `kind` (`"audio"` or `"video"`).
pub fn first_track(stream: &MediaStream, kind: &str) -> Option<MediaStreamTrack> {
    let tracks = if kind == "audio" { stream.get_audio_tracks() } else { stream.get_video_tracks() };
    tracks.get(0).dyn_into::<MediaStreamTrack>().ok()
}

/// Puts `track` in place of the stream's track of the same kind, stopping the old one.
pub fn swap_track(stream: &MediaStream, track: &MediaStreamTrack) {
    if let Some(old) = first_track(stream, &track.kind()) {
        stream.remove_track(&old);
        old.stop();
    }
    stream.add_track(track);
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
