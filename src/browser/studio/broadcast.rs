//! The studio's live broadcast: the camera, the signaling socket as streamer, one peer
//! connection per viewer, the once-a-second dashboard sampling, and the media controls.

use crate::browser::rtc::media::{self, MediaError};
use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::signaling::{SignalEvent, Signaling};
use crate::browser::studio::dashboard::{self, Sampler};
use crate::protocol::{ClientMessage, ErrorCode, IceServer, ServerMessage, Target, ViewerId};
use crate::web::status::BroadcastStatus;
use crate::web::view_state::StudioView;
use crate::web::view_state::ViewerRow;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MediaStream, MediaStreamTrack};

/// Marks this tab as live (sessionStorage), so a reload goes back on air by itself.
const LIVE_MARK: &str = "onair.live";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// This tab was live when it was reloaded (or crashed and was restored).
pub fn was_live() -> bool {
    session_storage().and_then(|s| s.get_item(LIVE_MARK).ok().flatten()).is_some()
}

fn mark_live(live: bool) {
    if let Some(s) = session_storage() {
        let _ = if live { s.set_item(LIVE_MARK, "1") } else { s.remove_item(LIVE_MARK) };
    }
}

pub struct Broadcast {
    view: StudioView,
    /// What every viewer receives; its tracks change when the camera or screen changes.
    stream: MediaStream,
    signaling: RefCell<Option<Signaling>>,
    peers: RefCell<HashMap<ViewerId, Rc<Peer>>>,
    ice_servers: RefCell<Vec<IceServer>>,
    sampler: RefCell<Sampler>,
    sampling: Cell<bool>,
    ticker: Cell<Option<IntervalHandle>>,
    /// The last capacity estimate sent to the server.
    capacity_sent: Cell<Option<Option<u32>>>,
    /// Keeps the current video track's `ended` handler alive.
    on_track_ended: RefCell<Option<Closure<dyn FnMut()>>>,
    /// Viewers whose connection already had its one ICE restart.
    ice_restarted: RefCell<HashSet<ViewerId>>,
}

impl Broadcast {
    /// Asks for the camera, shows the preview and registers as streamer.
    pub async fn start(view: StudioView) -> Result<Rc<Broadcast>, MediaError> {
        let stream = media::camera_and_microphone().await?;
        view.reset();
        let this = Rc::new(Broadcast {
            view,
            stream,
            signaling: RefCell::new(None),
            peers: RefCell::new(HashMap::new()),
            ice_servers: RefCell::new(Vec::new()),
            sampler: RefCell::new(Sampler::default()),
            sampling: Cell::new(false),
            ticker: Cell::new(None),
            capacity_sent: Cell::new(None),
            on_track_ended: RefCell::new(None),
            ice_restarted: RefCell::new(HashSet::new()),
        });
        this.show_preview();
        this.watch_video_track();
        this.view.controls.mic_on.set(media::first_track(&this.stream, "audio").is_some());
        this.view.controls.camera_on.set(media::first_track(&this.stream, "video").is_some());
        this.refresh_cameras();
        *this.signaling.borrow_mut() = Some(crate::browser::lifecycle::connect_signaling(&this, Self::on_signal));
        this.ticker.set(crate::browser::lifecycle::every_second(&this, Self::sample));
        mark_live(true);
        Ok(this)
    }

    /// Ends the broadcast: viewers see the stream go offline, the camera turns off.
    pub fn stop(&self) {
        mark_live(false);
        if let Some(t) = self.ticker.take() {
            t.clear();
        }
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
        self.close_all_peers();
        if let Some(track) = media::first_track(&self.stream, "video") {
            track.set_onended(None);
        }
        media::stop(&self.stream);
        if let Some(video) = self.view.preview.get_untracked() {
            media::attach(&video, None);
        }
        self.view.status.set(BroadcastStatus::Off);
        self.view.live_since_ms.set(None);
        self.view.upload_kbps.set(None);
    }

    /// Takes a viewer off this live; the server tells it so.
    pub fn remove_viewer(&self, id: ViewerId) {
        self.send(&ClientMessage::RemoveViewer { viewer_id: id });
    }

    pub fn toggle_microphone(&self) {
        if let Some(track) = media::first_track(&self.stream, "audio") {
            track.set_enabled(!track.enabled());
            self.view.controls.mic_on.set(track.enabled());
        }
    }

    /// Turns the picture off (viewers see black) or on, keeping every connection.
    pub fn toggle_camera(&self) {
        if let Some(track) = media::first_track(&self.stream, "video") {
            track.set_enabled(!track.enabled());
            self.view.controls.camera_on.set(track.enabled());
        }
    }

    /// Sends another camera to every viewer, without renegotiating.
    pub async fn use_camera(self: Rc<Self>, device_id: String) -> Result<(), MediaError> {
        let track = media::camera_track(&device_id).await?;
        self.view.controls.camera_id.set(Some(device_id));
        self.view.controls.sharing_screen.set(false);
        self.send_video(track).await;
        Ok(())
    }

    /// Sends the screen instead of the camera; back to the camera when sharing ends.
    pub async fn share_screen(self: Rc<Self>) -> Result<(), MediaError> {
        let track = media::screen_track().await?;
        self.view.controls.sharing_screen.set(true);
        self.send_video(track).await;
        Ok(())
    }

    /// Back from the screen to the camera in use before.
    pub async fn stop_sharing(self: Rc<Self>) -> Result<(), MediaError> {
        let id = match self.view.controls.camera_id.get_untracked() {
            Some(id) => id,
            None => media::cameras().await.into_iter().next().map(|c| c.device_id).ok_or(MediaError::NoDevice)?,
        };
        self.use_camera(id).await
    }

    async fn send_video(self: &Rc<Self>, track: MediaStreamTrack) {
        track.set_enabled(self.view.controls.camera_on.get_untracked());
        let peers: Vec<Rc<Peer>> = self.peers.borrow().values().cloned().collect();
        for peer in peers {
            if let Err(e) = peer.replace_track(&track).await {
                web_sys::console::warn_1(&format!("OnAir: a viewer kept the previous picture: {e}").into());
            }
        }
        media::swap_track(&self.stream, &track);
        self.watch_video_track();
        self.view.controls.camera_ended.set(false);
        self.show_preview();
    }

    fn show_preview(&self) {
        if let Some(video) = self.view.preview.get_untracked() {
            media::attach(&video, None);
            media::attach(&video, Some(&self.stream));
            spawn_local(async move {
                media::play(&video).await;
            });
        }
    }

    /// A camera that stops by itself is a warning; a shared screen that stops (the
    /// browser's own "Stop sharing") means back to the camera.
    fn watch_video_track(self: &Rc<Self>) {
        let Some(track) = media::first_track(&self.stream, "video") else { return };
        let weak = Rc::downgrade(self);
        let handler = Closure::<dyn FnMut()>::new(move || {
            let Some(this) = weak.upgrade() else { return };
            if this.view.controls.sharing_screen.get_untracked() {
                spawn_local(async move {
                    if let Err(e) = this.clone().stop_sharing().await {
                        this.view.message.set(Some(e.to_string()));
                    }
                });
            } else {
                this.view.controls.camera_ended.set(true);
            }
        });
        track.set_onended(Some(handler.as_ref().unchecked_ref()));
        *self.on_track_ended.borrow_mut() = Some(handler);
    }

    fn refresh_cameras(&self) {
        let controls = self.view.controls;
        let current = media::first_track(&self.stream, "video").map(|t| t.label());
        spawn_local(async move {
            let cameras = media::cameras().await;
            if controls.camera_id.get_untracked().is_none() {
                let id = cameras.iter().find(|c| Some(&c.label) == current.as_ref()).or(cameras.first());
                controls.camera_id.set(id.map(|c| c.device_id.clone()));
            }
            controls.cameras.set(cameras.into_iter().map(|c| (c.device_id, c.label)).collect());
        });
    }

    async fn sample(self: Rc<Self>) {
        if self.sampling.replace(true) {
            return;
        }
        let peers: Vec<(ViewerId, Rc<Peer>)> =
            self.peers.borrow().iter().map(|(id, p)| (id.clone(), p.clone())).collect();
        let capacity = dashboard::sample(self.view, peers, &self.sampler).await;
        if self.capacity_sent.get() != Some(capacity) && self.send(&ClientMessage::Capacity { remaining: capacity }) {
            self.capacity_sent.set(Some(capacity));
        }
        self.sampling.set(false);
    }

    fn send(&self, msg: &ClientMessage) -> bool {
        self.signaling.borrow().as_ref().is_some_and(|s| s.send(msg))
    }

    fn on_signal(self: &Rc<Self>, event: SignalEvent) {
        match event {
            SignalEvent::Open => {
                self.capacity_sent.set(None);
                self.send(&ClientMessage::Streamer);
            }
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
                // The server announces every viewer again right after this; connections that
                // still work are kept (media never went through the server).
                self.view.message.set(None);
                self.view.status.set(BroadcastStatus::Live);
                if self.view.live_since_ms.get_untracked().is_none() {
                    self.view.live_since_ms.set(Some(js_sys::Date::now()));
                }
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
            ServerMessage::ViewerStats { viewer_id, report } => {
                let row = self.view.viewers.with_untracked(|rows| rows.iter().find(|r| r.id == viewer_id).cloned());
                if let Some(row) = row {
                    row.seen.set(Some(report));
                }
            }
            ServerMessage::ViewerLeft { viewer_id } => self.drop_viewer(&viewer_id),
            ServerMessage::Error { code: ErrorCode::Unauthorized, .. } => {
                self.stop();
                self.view.message.set(Some("Your admin session has ended. Sign in again to go live.".into()));
            }
            ServerMessage::Error { code: ErrorCode::Replaced, .. } => {
                self.stop();
                self.view.message.set(Some(
                    "The stream was taken over from another tab or window. This tab is no longer live.".into(),
                ));
            }
            ServerMessage::Error { code, message } => {
                web_sys::console::warn_1(
                    &format!("OnAir: server refused a message ({}): {message}", code.as_str()).into(),
                );
            }
            _ => {}
        }
    }

    fn peer(&self, id: &ViewerId) -> Option<Rc<Peer>> {
        self.peers.borrow().get(id).cloned()
    }

    fn add_viewer(self: &Rc<Self>, viewer_id: ViewerId, name: Option<String>) {
        // A viewer announced again (it resumed after a dropped socket or a server restart,
        // or this studio re-registered) whose connection still works keeps it.
        if let Some(peer) = self.peer(&viewer_id) {
            if matches!(peer.connection_state().as_str(), "new" | "connecting" | "connected" | "disconnected") {
                return;
            }
        }
        self.drop_viewer(&viewer_id);
        let peer = match Peer::new(&self.ice_servers.borrow()) {
            Ok(p) => Rc::new(p),
            Err(e) => {
                web_sys::console::error_1(&format!("OnAir: cannot create a peer connection: {e}").into());
                return;
            }
        };
        let row = ViewerRow::new(viewer_id.clone(), name, js_sys::Date::now());
        let state = row.state;
        let weak = Rc::downgrade(self);
        let id = viewer_id.clone();
        peer.on_connection_state(move |s| {
            match s.as_str() {
                // Not from inside the connection's own event handler: recovering may close
                // and drop it.
                "failed" => {
                    if let Some(this) = weak.upgrade() {
                        let id = id.clone();
                        spawn_local(async move { this.recover(id) });
                    }
                }
                // Often a blip that heals by itself; still interrupted a moment later, it is
                // a changed network: look for a new path before the connection fails.
                "disconnected" => {
                    let (weak, id) = (weak.clone(), id.clone());
                    set_timeout(
                        move || {
                            let Some(this) = weak.upgrade() else { return };
                            if this.peer(&id).is_some_and(|p| p.connection_state() == "disconnected") {
                                this.recover(id);
                            }
                        },
                        std::time::Duration::from_secs(3),
                    );
                }
                _ => {}
            }
            state.set(s);
        });
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
                Ok(offer) => {
                    this.send(&ClientMessage::Offer { offer, viewer_id });
                }
                Err(e) => web_sys::console::error_1(&format!("OnAir: cannot create an offer: {e}").into()),
            }
        });
    }

    /// A viewer's connection failed or stays interrupted (its network changed or dropped):
    /// try one ICE restart on the same connection; if that fails too, let it go (the viewer
    /// rejoins by itself).
    fn recover(self: &Rc<Self>, id: ViewerId) {
        let Some(peer) = self.peer(&id) else { return };
        if !self.ice_restarted.borrow_mut().insert(id.clone()) {
            self.drop_viewer(&id);
            return;
        }
        let this = self.clone();
        spawn_local(async move {
            match peer.restart_ice().await {
                Ok(offer) => {
                    this.send(&ClientMessage::Offer { offer, viewer_id: id });
                }
                Err(e) => web_sys::console::warn_1(&format!("OnAir: ICE restart failed: {e}").into()),
            }
        });
    }

    fn drop_viewer(&self, id: &ViewerId) {
        self.ice_restarted.borrow_mut().remove(id);
        if let Some(peer) = self.peers.borrow_mut().remove(id) {
            peer.close();
        }
        self.sampler.borrow_mut().forget(id);
        let mut removed = None;
        self.view.viewers.update(|rows| {
            if let Some(i) = rows.iter().position(|r| &r.id == id) {
                removed = Some(rows.remove(i));
            }
        });
        if let Some(row) = removed {
            row.dispose();
        }
    }

    fn close_all_peers(&self) {
        for (_, peer) in self.peers.borrow_mut().drain() {
            peer.close();
        }
        self.sampler.borrow_mut().clear();
        let rows = self.view.viewers.try_update(std::mem::take).unwrap_or_default();
        for row in rows {
            row.dispose();
        }
    }
}
