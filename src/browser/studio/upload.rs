//! The studio's one upload to the relay (WHIP): publish the stream, report the upload's
//! state to the rules, end the session when the live ends.

use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::whip::{self, RelaySession};
use crate::protocol::IceServer;
use crate::web::routes::endpoint;
use crate::web::status::PeerState;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::MediaStream;

/// The upload connection and its session on the relay, once the relay answered.
pub struct Upload {
    pub peer: Rc<Peer>,
    session: Rc<RefCell<Option<RelaySession>>>,
}

impl Upload {
    /// Starts publishing `stream`; `on_state` hears the connection's states (a refused or
    /// failed exchange reads as `Failed`, so the rules try again).
    pub fn publish(
        stream: &MediaStream,
        ice_servers: &[IceServer],
        on_state: impl Fn(PeerState) + Clone + 'static,
    ) -> Option<Upload> {
        let peer = match Peer::new(ice_servers) {
            Ok(p) => Rc::new(p),
            Err(e) => {
                web_sys::console::error_1(&format!("OnAir: cannot create the upload connection: {e}").into());
                return None;
            }
        };
        peer.send_only(stream);
        peer.on_connection_state(on_state.clone());
        let session = Rc::new(RefCell::new(None));
        let (p, s) = (peer.clone(), session.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = async {
                let offer = p.create_offer().await?;
                let (answer, relay) = whip::exchange(endpoint::WHIP, &offer).await?;
                *s.borrow_mut() = Some(relay);
                p.set_remote(&answer).await
            };
            if let Err(e) = result.await {
                web_sys::console::warn_1(&format!("OnAir: publishing to the relay failed: {e}").into());
                // Tried again by the rules, after a pause so a refusing relay is not hammered.
                leptos::prelude::set_timeout(move || on_state(PeerState::Failed), std::time::Duration::from_secs(2));
            }
        });
        Some(Upload { peer, session })
    }

    /// The relay session, once the relay answered.
    pub fn session(&self) -> Option<RelaySession> {
        self.session.borrow().clone()
    }

    /// Closes the connection and ends the relay session.
    pub fn end(self) {
        self.peer.close();
        if let Some(session) = self.session.borrow_mut().take() {
            whip::end(&session);
        }
    }
}
