//! A viewer's playback from the relay (WHEP): starting it beside what plays peer to peer,
//! swapping the video over once its frames decode, and trying again after a refusal.

use super::Playback;
use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::whip::{self, ExchangeError};
use crate::stats;
use crate::web::relay_retry::{self, AfterRefusal};
use crate::web::routes::endpoint;
use crate::web::status::{PeerState, StreamStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::MediaStream;

/// How long a broken relay connection waits before the next WHEP attempt.
const RELAY_RETRY_MS: u64 = 1_000;
/// How often, and how many times, the relay's stream is checked for decoded frames before
/// the video switches to it.
const RELAY_SWAP_POLL_MS: i32 = 50;
const RELAY_SWAP_POLLS: u32 = 400;

/// Waits `ms` milliseconds.
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Playback {
    /// Plays from the relay (WHEP). What plays peer to peer keeps playing until the relay's
    /// first frames decode; then the video switches over and the old connection closes.
    pub(super) fn start_relay(self: &Rc<Self>) {
        let working = |p: &Rc<Peer>| {
            matches!(p.connection_state(), PeerState::New | PeerState::Connecting | PeerState::Connected)
        };
        if self.relay_pending.borrow().as_ref().is_some_and(working) {
            return;
        }
        let playing_session =
            self.relay_session.borrow().clone().filter(|_| self.peer.borrow().as_ref().is_some_and(working));
        if let Some(session) = playing_session {
            // Already playing from the relay; after a server restart the relay forgot the
            // session, and waiting for the connection to time out would be a long freeze.
            let this = self.clone();
            spawn_local(async move {
                if !whip::still_there(&session).await {
                    this.end_relay_session();
                    if let Some(old) = this.peer.borrow_mut().take() {
                        old.close();
                    }
                    this.start_relay();
                }
            });
            return;
        }
        let peer = match Peer::new(&self.ice_servers.borrow()) {
            Ok(p) => Rc::new(p),
            Err(e) => return web_sys::console::error_1(&format!("OnAir: cannot create a peer connection: {e}").into()),
        };
        peer.receive_audio_and_video();
        let stream: Rc<RefCell<Option<MediaStream>>> = Rc::new(RefCell::new(None));
        peer.on_track({
            let stream = stream.clone();
            move |s| *stream.borrow_mut() = Some(s)
        });
        let weak = Rc::downgrade(self);
        let watched = Rc::downgrade(&peer);
        peer.on_connection_state(move |state| {
            let (Some(this), Some(peer)) = (weak.upgrade(), watched.upgrade()) else { return };
            let current = this.peer.borrow().as_ref().is_some_and(|p| Rc::ptr_eq(p, &peer));
            match state {
                PeerState::Connected if current => {
                    this.relay_refusals.set(0);
                    this.view().status.set(StreamStatus::Live);
                    this.settled();
                }
                // The relay went away (a server restart) or the path broke: a new session.
                PeerState::Failed | PeerState::Disconnected if current || this.relay_pending.borrow().is_some() => {
                    this.settled();
                    // Nothing plays meanwhile: say why, if this network leaves no route.
                    if state == PeerState::Failed && !this.playing() {
                        this.show_failure(&peer);
                    }
                    let weak = Rc::downgrade(&this);
                    set_timeout(
                        move || {
                            if let Some(this) = weak.upgrade() {
                                if this.relay_wanted.get()
                                    && this.view().status.get_untracked() != StreamStatus::Offline
                                {
                                    this.relay_pending.borrow_mut().take();
                                    this.end_relay_session();
                                    this.start_relay();
                                }
                            }
                        },
                        std::time::Duration::from_millis(RELAY_RETRY_MS),
                    );
                }
                _ => {}
            }
        });
        *self.relay_pending.borrow_mut() = Some(peer.clone());
        self.end_relay_session();
        let token = self.resume_token.borrow().clone().unwrap_or_default();
        let url = format!("{}?{}={}", endpoint::WHEP, endpoint::WHEP_VIEWER_PARAM, token);
        let (this, session) = (self.clone(), self.relay_session.clone());
        spawn_local(async move {
            let exchange = async {
                let offer = peer.create_offer().await?;
                let (answer, relay) = whip::exchange(&url, &offer).await?;
                *session.borrow_mut() = Some(relay);
                peer.set_remote(&answer).await?;
                Ok::<(), ExchangeError>(())
            };
            // The relay's answer carries its candidates: nothing more goes through the main
            // thread until media flows, so the page may hydrate during ICE and DTLS.
            let exchanged = exchange.await;
            this.settled();
            if let Err(e) = exchanged {
                web_sys::console::warn_1(&format!("OnAir: playing from the relay failed: {e}").into());
                this.relay_refused(&peer, e);
                return;
            }
            // Swap once the relay's frames decode (a keyframe came), not before: no gap.
            for _ in 0..RELAY_SWAP_POLLS {
                sleep_ms(RELAY_SWAP_POLL_MS).await;
                if !this.relay_pending.borrow().as_ref().is_some_and(|p| Rc::ptr_eq(p, &peer)) {
                    return;
                }
                // A fresh join has nothing on screen to keep: show the relay's stream at once.
                let fresh = this.peer.borrow().is_none();
                let decoded = fresh
                    || match peer.stats_json().await {
                        Ok(json) => stats::parse_receiver(&json).is_ok_and(|s| s.frames_decoded.unwrap_or(0) > 0),
                        Err(_) => false,
                    };
                if decoded {
                    if let Some(old) = this.peer.borrow_mut().replace(peer.clone()) {
                        old.close();
                    }
                    this.relay_pending.borrow_mut().take();
                    this.previous.borrow_mut().take();
                    if let Some(s) = stream.borrow().clone() {
                        this.show(s);
                    }
                    // A fresh join swaps before ICE is up: its state handler says Live then.
                    if peer.connection_state() == PeerState::Connected {
                        this.view().status.set(StreamStatus::Live);
                    }
                    return;
                }
            }
        });
    }

    /// The relay refused the offer (or never answered): try again later, as the rule says,
    /// on a new connection; what plays peer to peer meanwhile keeps playing.
    fn relay_refused(self: &Rc<Self>, peer: &Rc<Peer>, e: ExchangeError) {
        let (status, reason, retry_after) = match e {
            ExchangeError::Refused { status, reason, retry_after } => (status, reason, retry_after),
            ExchangeError::Browser(e) => (0, e.to_string(), None),
        };
        if !self.relay_pending.borrow().as_ref().is_some_and(|p| Rc::ptr_eq(p, peer)) {
            return; // already replaced (the live ended, or a newer attempt)
        }
        self.relay_pending.borrow_mut().take();
        peer.close();
        let refused_before = self.relay_refusals.replace(self.relay_refusals.get().saturating_add(1));
        match relay_retry::after_refusal(status, retry_after, refused_before, js_sys::Math::random()) {
            AfterRefusal::Stop { status } => {
                self.view().problem.set(Some(reason));
                self.view().status.set(status);
            }
            AfterRefusal::Retry { after_ms, status } => {
                if !self.playing() {
                    self.view().status.set(status);
                }
                let weak = Rc::downgrade(self);
                set_timeout(
                    move || {
                        let Some(this) = weak.upgrade() else { return };
                        let status = this.view().status.get_untracked();
                        if this.relay_wanted.get() && !matches!(status, StreamStatus::Offline | StreamStatus::Removed) {
                            this.start_relay();
                        }
                    },
                    std::time::Duration::from_millis(after_ms.into()),
                );
            }
        }
    }

    pub(super) fn end_relay_session(&self) {
        if let Some(session) = self.relay_session.borrow_mut().take() {
            whip::end(&session);
        }
    }
}
