//! A viewer's peer connection made ahead of its join (the rules say when: `PrepareSpare`).
//!
//! Creating a connection and adding the stream's tracks are blocking calls into the
//! browser's WebRTC thread: in traced joins they held the studio's main thread 10–25 ms
//! between `newViewer` and the offer, more on a busy machine (README, issue 14). A joining
//! viewer whose spare is ready goes straight to `createOffer`.

use crate::browser::rtc::peer::Peer;
use crate::protocol::IceServer;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::MediaStream;

#[derive(Default)]
pub struct Spare {
    made: RefCell<Option<(Vec<IceServer>, Rc<Peer>)>>,
    /// Counts [`Spare::clear`]s: a spare asked for before one is not made.
    cleared: Cell<u32>,
}

impl Spare {
    /// What a later [`Spare::prepare`] is asked with: it makes nothing if the spare was
    /// cleared in between (the live ended, or moved to the relay, while it waited).
    pub fn ticket(&self) -> u32 {
        self.cleared.get()
    }

    /// Makes the spare, sending `stream`, unless one made with these servers is ready.
    pub fn prepare(&self, ticket: u32, stream: &MediaStream, ice_servers: &[IceServer]) {
        let ready = self.made.borrow().as_ref().is_some_and(|(servers, _)| servers == ice_servers);
        if ready || ticket != self.cleared.get() {
            return;
        }
        let made = Peer::new(ice_servers).ok().map(|peer| {
            peer.add_stream(stream);
            (ice_servers.to_vec(), Rc::new(peer))
        });
        // A spare made with other servers (the server handed out new ones) is closed here.
        *self.made.borrow_mut() = made;
    }

    /// The spare for a joining viewer, if it was made with these servers (one made with
    /// others is closed).
    pub fn take(&self, ice_servers: &[IceServer]) -> Option<Rc<Peer>> {
        let (servers, peer) = self.made.borrow_mut().take()?;
        (servers == ice_servers).then_some(peer)
    }

    /// The spare's connection, which follows the stream's track changes like the viewers'.
    pub fn peer(&self) -> Option<Rc<Peer>> {
        self.made.borrow().as_ref().map(|(_, peer)| peer.clone())
    }

    /// Closes the spare (the live ended, or goes through the relay), and any asked for.
    pub fn clear(&self) {
        self.made.borrow_mut().take();
        self.cleared.set(self.cleared.get().wrapping_add(1));
    }
}
