//! A viewer's peer connection made ahead of its join, its offer made too (the rules say when:
//! `PrepareSpare`).
//!
//! Creating a connection and adding the stream's tracks are blocking calls into the
//! browser's WebRTC thread: in traced joins they held the studio's main thread 10–25 ms
//! between `newViewer` and the offer, more on a busy machine. `createOffer` and
//! `setLocalDescription` took another 20–45 ms, while the joining viewer's page loaded on the
//! same machine (README, issue 14). A joining viewer whose spare is ready gets its offer at
//! once, with the candidates gathered meanwhile in it.

use crate::browser::rtc::peer::{Peer, RtcError};
use crate::protocol::{IceServer, SessionDescription};
use js_sys::Promise;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::MediaStream;

struct Made {
    ice_servers: Vec<IceServer>,
    peer: Rc<Peer>,
    /// Resolves once the offer is the connection's local description, with nothing, or with
    /// the browser's words if it could not be. It never rejects: a spare closed before its
    /// offer was set must not leave a rejection that nothing handles.
    offered: Promise,
}

#[derive(Default)]
pub struct Spare {
    made: RefCell<Option<Made>>,
    /// Counts [`Spare::clear`]s: a spare asked for before one is not made.
    cleared: Cell<u32>,
}

impl Spare {
    /// What a later [`Spare::prepare`] is asked with: it makes nothing if the spare was
    /// cleared in between (the live ended, or moved to the relay, while it waited).
    pub fn ticket(&self) -> u32 {
        self.cleared.get()
    }

    /// Makes the spare, sending `stream`, and its offer, unless one made with these servers
    /// is ready.
    pub fn prepare(&self, ticket: u32, stream: &MediaStream, ice_servers: &[IceServer]) {
        let ready = self.made.borrow().as_ref().is_some_and(|m| m.ice_servers == ice_servers);
        if ready || ticket != self.cleared.get() {
            return;
        }
        let made = Peer::new(ice_servers).ok().map(|peer| {
            peer.add_stream(stream);
            let offer = peer.create_offer();
            let offered = future_to_promise(async move {
                Ok(offer.await.err().map_or(JsValue::UNDEFINED, |e| JsValue::from_str(&e.0)))
            });
            Made { ice_servers: ice_servers.to_vec(), peer: Rc::new(peer), offered }
        });
        // A spare made with other servers (the server handed out new ones) is closed here.
        *self.made.borrow_mut() = made;
    }

    /// The spare for a joining viewer, if it was made with these servers (one made with
    /// others is closed), and its offer: the local description once it is set, with the
    /// candidates gathered by then.
    pub fn take(&self, ice_servers: &[IceServer]) -> Option<(Rc<Peer>, OfferFuture)> {
        let made = self.made.borrow_mut().take()?;
        if made.ice_servers != ice_servers {
            return None;
        }
        let (peer, offered) = (made.peer.clone(), JsFuture::from(made.offered));
        let offer = async move {
            if let Some(words) = offered.await.ok().and_then(|outcome| outcome.as_string()) {
                return Err(RtcError(words));
            }
            made.peer.local_offer().ok_or_else(|| RtcError("the spare connection lost its offer".into()))
        };
        Some((peer, Box::pin(offer)))
    }

    /// The spare's connection, which follows the stream's track changes like the viewers'.
    pub fn peer(&self) -> Option<Rc<Peer>> {
        self.made.borrow().as_ref().map(|m| m.peer.clone())
    }

    /// Closes the spare (the live ended, or goes through the relay), and any asked for.
    pub fn clear(&self) {
        self.made.borrow_mut().take();
        self.cleared.set(self.cleared.get().wrapping_add(1));
    }
}

/// A connection's first offer, or why there is none.
pub type OfferFuture = Pin<Box<dyn Future<Output = Result<SessionDescription, RtcError>>>>;
