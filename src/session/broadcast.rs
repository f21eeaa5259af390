//! The studio's live broadcast: the camera, the signaling socket as streamer, and one
//! peer connection per viewer.

use super::StudioView;
use crate::components::viewer_table::ViewerRow;
use crate::protocol::{ClientMessage, ErrorCode, IceServer, ServerMessage, Target, ViewerId};
use crate::rtc::media::{self, MediaError};
use crate::rtc::peer::Peer;
use crate::rtc::signaling::{SignalEvent, Signaling};
use crate::status::BroadcastStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::MediaStream;

pub struct Broadcast {
    view: StudioView,
    stream: MediaStream,
    signaling: RefCell<Option<Signaling>>,
    peers: RefCell<HashMap<ViewerId, Rc<Peer>>>,
    ice_servers: RefCell<Vec<IceServer>>,
}

impl Broadcast {
    /// Asks for the camera, shows the preview and registers as streamer.
    pub async fn start(view: StudioView) -> Result<Rc<Broadcast>, MediaError> {
        let stream = media::camera_and_microphone().await?;
        if let Some(video) = view.preview.get_untracked() {
            media::attach(&video, Some(&stream));
            spawn_local(async move {
                media::play(&video).await;
            });
        }
        let this = Rc::new(Broadcast {
            view,
            stream,
            signaling: RefCell::new(None),
            peers: RefCell::new(HashMap::new()),
            ice_servers: RefCell::new(Vec::new()),
        });
        let weak = Rc::downgrade(&this);
        let signaling = Signaling::connect(move |event| {
            if let Some(this) = weak.upgrade() {
                this.on_signal(event);
            }
        });
        *this.signaling.borrow_mut() = Some(signaling);
        Ok(this)
    }

    /// Ends the broadcast: viewers see the stream go offline, the camera turns off.
    pub fn stop(&self) {
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
        self.close_all_peers();
        media::stop(&self.stream);
        if let Some(video) = self.view.preview.get_untracked() {
            media::attach(&video, None);
        }
        self.view.status.set(BroadcastStatus::Off);
    }

    fn send(&self, msg: &ClientMessage) {
        if let Some(s) = self.signaling.borrow().as_ref() {
            s.send(msg);
        }
    }

    fn on_signal(self: &Rc<Self>, event: SignalEvent) {
        match event {
            SignalEvent::Open => self.send(&ClientMessage::Streamer),
            SignalEvent::Closed => {
                // Peers keep streaming while the server is away; they are renegotiated
                // once the streamer is registered again.
                self.view.status.set(BroadcastStatus::Reconnecting);
            }
            SignalEvent::Message(msg) => self.on_message(msg),
        }
    }

    fn on_message(self: &Rc<Self>, msg: ServerMessage) {
        match msg {
            ServerMessage::StreamerReady { ice_servers } => {
                *self.ice_servers.borrow_mut() = ice_servers;
                // The server announces every viewer again right after this.
                self.close_all_peers();
                self.view.message.set(None);
                self.view.status.set(BroadcastStatus::Live);
            }
            ServerMessage::NewViewer { viewer_id, name } => self.add_viewer(viewer_id, name),
            ServerMessage::Answer { answer, viewer_id } => {
                if let Some(peer) = self.peer(&viewer_id) {
                    spawn_local(async move {
                        if let Err(e) = peer.set_remote(&answer).await {
                            web_sys::console::warn_1(&format!("OnAir: a viewer's answer was refused: {e}").into());
                        }
                    });
                }
            }
            ServerMessage::Candidate { candidate, target: Target::Streamer, viewer_id } => {
                if let Some(peer) = self.peer(&viewer_id) {
                    spawn_local(async move { peer.add_remote_candidate(candidate).await });
                }
            }
            ServerMessage::ViewerLeft { viewer_id } => self.remove_viewer(&viewer_id),
            ServerMessage::Error { code: ErrorCode::Unauthorized, .. } => {
                self.stop();
                self.view.message.set(Some("Your admin session has ended. Sign in again to go live.".into()));
            }
            ServerMessage::Error { code: ErrorCode::Replaced, .. } => {
                self.stop();
                self.view
                    .message
                    .set(Some("The stream was taken over from another tab or window. This tab is no longer live.".into()));
            }
            ServerMessage::Error { code, message } => {
                web_sys::console::warn_1(&format!("OnAir: server refused a message ({}): {message}", code.as_str()).into());
            }
            _ => {}
        }
    }

    fn peer(&self, id: &ViewerId) -> Option<Rc<Peer>> {
        self.peers.borrow().get(id).cloned()
    }

    fn add_viewer(self: &Rc<Self>, viewer_id: ViewerId, name: Option<String>) {
        self.remove_viewer(&viewer_id);
        let peer = match Peer::new(&self.ice_servers.borrow()) {
            Ok(p) => Rc::new(p),
            Err(e) => {
                web_sys::console::error_1(&format!("OnAir: cannot create a peer connection: {e}").into());
                return;
            }
        };
        let row = ViewerRow::new(viewer_id.clone(), name);
        let state = row.state;
        peer.on_connection_state(move |s| state.set(s));
        let weak = Rc::downgrade(self);
        let id = viewer_id.clone();
        peer.on_ice_candidate(move |candidate| {
            if let Some(this) = weak.upgrade() {
                this.send(&ClientMessage::Candidate { candidate, target: Target::Viewer, viewer_id: Some(id.clone()) });
            }
        });
        peer.add_stream(&self.stream);
        self.peers.borrow_mut().insert(viewer_id.clone(), peer.clone());
        self.view.viewers.update(|rows| rows.push(row));
        let this = self.clone();
        spawn_local(async move {
            match peer.create_offer().await {
                Ok(offer) => this.send(&ClientMessage::Offer { offer, viewer_id }),
                Err(e) => web_sys::console::error_1(&format!("OnAir: cannot create an offer: {e}").into()),
            }
        });
    }

    fn remove_viewer(&self, id: &ViewerId) {
        if let Some(peer) = self.peers.borrow_mut().remove(id) {
            peer.close();
        }
        let mut removed = None;
        self.view.viewers.update(|rows| {
            if let Some(i) = rows.iter().position(|r| &r.id == id) {
                removed = Some(rows.remove(i));
            }
        });
        if let Some(row) = removed {
            row.state.dispose();
        }
    }

    fn close_all_peers(&self) {
        for (_, peer) in self.peers.borrow_mut().drain() {
            peer.close();
        }
        let rows = self.view.viewers.try_update(std::mem::take).unwrap_or_default();
        for row in rows {
            row.state.dispose();
        }
    }
}
