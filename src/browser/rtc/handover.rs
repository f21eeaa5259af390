//! The connection the watch page's starter hands to the player: a `window` property both
//! wasm files know (`{pc, stream}`), written by the starter and taken once by the player.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MediaStream, RtcPeerConnection};

/// The `window` property the started connection waits in.
const STARTED_GLOBAL: &str = "__onairStarted";

/// A connection the starter answered, and its incoming stream once it has one.
pub struct Started {
    pub pc: RtcPeerConnection,
    pub stream: Option<MediaStream>,
}

fn key() -> JsValue {
    JsValue::from_str(STARTED_GLOBAL)
}

fn slot() -> Option<Object> {
    let window = web_sys::window()?;
    Reflect::get(&window, &key()).ok()?.dyn_into::<Object>().ok()
}

/// The starter's side: `pc` is the page's connection from now on (its remote description is
/// already being set: see `Peer::adopt`).
pub fn publish(pc: &RtcPeerConnection) {
    let Some(window) = web_sys::window() else { return };
    let started = Object::new();
    let _ = Reflect::set(&started, &JsValue::from_str("pc"), pc);
    let _ = Reflect::set(&window, &key(), &started);
}

/// The starter's side: the published connection's incoming stream.
pub fn publish_stream(stream: &MediaStream) {
    if let Some(started) = slot() {
        let _ = Reflect::set(&started, &JsValue::from_str("stream"), stream);
    }
}

/// The starter's side: its connection failed to answer; the player starts its own.
pub fn withdraw() {
    if let Some(window) = web_sys::window() {
        let _ = Reflect::delete_property(&window, &key());
    }
}

/// The player's side: the started connection, removed from the page so that it has one owner.
pub fn take() -> Option<Started> {
    let started = slot()?;
    withdraw();
    let pc = Reflect::get(&started, &JsValue::from_str("pc")).ok()?.dyn_into::<RtcPeerConnection>().ok()?;
    let stream = Reflect::get(&started, &JsValue::from_str("stream")).ok().and_then(|s| s.dyn_into().ok());
    Some(Started { pc, stream })
}
