//! The watch page's playback started before the page hydrates: the loader's `start_watching`
//! starts it once the wasm is ready, and the page takes it over once hydrated.

use crate::browser::player::Playback;
use crate::web::view_state::PlayerView;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The playback [`start_early`] started, until the page takes it.
    static EARLY: RefCell<Option<Rc<Playback>>> = const { RefCell::new(None) };
}

/// Starts the watch page's playback as soon as the wasm is ready, before the page hydrates:
/// hydrating takes the main thread for tens of ms, which each step of the browser's answer,
/// and then each candidate, would otherwise wait behind (first-frame.mjs, `offer` → `answer`
/// → `ice`). Resolves once the connection is up (the main thread is then idle while the
/// first keyframe comes), or failed, or there is nothing to connect to yet (offline, full,
/// removed); through the relay, once its WHEP exchange is done (no candidates trickle, and
/// its keyframe comes too soon after DTLS to hide hydration behind). The page hydrates then
/// (its loader also stops waiting after a while) and takes the playback over ([`take_early`]).
pub fn start_early() -> js_sys::Promise {
    let playback = Playback::start(PlayerView::new());
    let settled = js_sys::Promise::new(&mut |resolve, _| {
        playback.when_settled(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
    });
    EARLY.with(|slot| *slot.borrow_mut() = Some(playback));
    settled
}

/// The playback [`start_early`] started, for the page that shows it.
pub fn take_early() -> Option<Rc<Playback>> {
    EARLY.with(|slot| slot.borrow_mut().take())
}
