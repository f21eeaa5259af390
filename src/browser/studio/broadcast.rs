//! The studio's live broadcast: the camera, the signaling socket as streamer, one peer
//! connection per viewer, the once-a-second dashboard sampling, and the media controls.

use crate::browser::rtc::media::{self, MediaError};
use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::signaling::{SignalEvent, SignalingSocket};
use crate::browser::rtc::whip;
use crate::browser::studio::dashboard::{self, Sampler};
use crate::browser::studio::no_relay_route::NoRelayRoute;
use crate::browser::studio::rules::{StudioAction, StudioEvent, StudioRules};
use crate::browser::studio::spare::{OfferFuture, Spare};
use crate::browser::studio::upload::Upload;
use crate::protocol::{ClientMessage, IceServer, ViewerId};
use crate::web::status::BroadcastStatus;
use crate::web::status::PeerState;
use crate::web::view_state::StudioView;
use crate::web::view_state::ViewerRow;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MediaStream, MediaStreamTrack};

/// The upload's entry in the sampling round; no viewer id looks like it (they are hex).
const UPLOAD_SAMPLE_ID: &str = "relay upload";

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
    signaling: RefCell<Option<SignalingSocket>>,
    /// Decides what happens to each viewer; this session only carries its actions out.
    rules: RefCell<StudioRules>,
    /// Tells viewers that cannot connect at all from those still connecting.
    no_relay_route: RefCell<NoRelayRoute>,
    /// The connection of every viewer the rules keep.
    peers: RefCell<HashMap<ViewerId, Rc<Peer>>>,
    /// The next viewer's connection, made ahead.
    spare: Spare,
    sampler: RefCell<Sampler>,
    ticker: Cell<Option<IntervalHandle>>,
    /// Keeps the current video track's `ended` handler alive.
    on_track_ended: RefCell<Option<Closure<dyn FnMut()>>>,
    /// The upload to the relay, on a relayed live.
    upload: RefCell<Option<Upload>>,
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
            rules: RefCell::new(StudioRules::default()),
            no_relay_route: RefCell::new(NoRelayRoute::default()),
            peers: RefCell::new(HashMap::new()),
            spare: Spare::default(),
            sampler: RefCell::new(Sampler::default()),
            ticker: Cell::new(None),
            on_track_ended: RefCell::new(None),
            upload: RefCell::new(None),
        });
        this.show_preview();
        this.watch_video_track();
        this.view.controls.mic_on.set(media::first_track(&this.stream, "audio").is_some());
        this.view.controls.camera_on.set(media::first_track(&this.stream, "video").is_some());
        this.refresh_cameras();
        *this.signaling.borrow_mut() = Some(crate::browser::lifecycle::connect_signaling(&this, Self::on_signal));
        this.ticker.set(crate::browser::lifecycle::every_second(&this, Self::tick));
        mark_live(true);
        Ok(this)
    }

    /// Ends the broadcast: viewers see the stream go offline, the camera turns off.
    pub fn stop(self: &Rc<Self>) {
        mark_live(false);
        if let Some(t) = self.ticker.take() {
            t.clear();
        }
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
        self.handle(StudioEvent::Ending);
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
    pub fn remove_viewer(self: &Rc<Self>, id: ViewerId) {
        self.handle(StudioEvent::RemoveClicked { viewer: id });
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
        let peers: Vec<Rc<Peer>> = self.peers.borrow().values().cloned().chain(self.spare.peer()).collect();
        for peer in peers {
            if let Err(e) = peer.replace_track(&track).await {
                web_sys::console::warn_1(&format!("OnAir: a viewer kept the previous picture: {e}").into());
            }
        }
        let upload = self.upload.borrow().as_ref().map(|u| u.peer.clone());
        if let Some(peer) = upload {
            if let Err(e) = peer.replace_track(&track).await {
                web_sys::console::warn_1(&format!("OnAir: the relay kept the previous picture: {e}").into());
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

    async fn tick(self: Rc<Self>) {
        self.handle(StudioEvent::SecondTick);
    }

    /// Feeds one event to the rules and carries out what they decide.
    fn handle(self: &Rc<Self>, event: StudioEvent) {
        // Released before acting: an action may feed the rules another event.
        let mut actions = self.rules.borrow_mut().handle(event.clone());
        let no_route = self.no_relay_route.borrow_mut().after(&event, &actions);
        actions.extend(no_route);
        for action in actions {
            self.perform(action);
        }
    }

    fn perform(self: &Rc<Self>, action: StudioAction) {
        match action {
            StudioAction::Send(msg) => {
                self.send(&msg);
            }
            StudioAction::ShowLive => {
                self.view.message.set(None);
                self.view.status.set(BroadcastStatus::Live);
                if self.view.live_since_ms.get_untracked().is_none() {
                    self.view.live_since_ms.set(Some(js_sys::Date::now()));
                }
            }
            StudioAction::ShowReconnecting => self.view.status.set(BroadcastStatus::Reconnecting),
            StudioAction::Connect { viewer, name, ice_servers } => self.connect(viewer, name, &ice_servers),
            StudioAction::Disconnect { viewer } => self.disconnect(&viewer),
            StudioAction::DisconnectAll => self.disconnect_all(),
            StudioAction::PrepareSpare { ice_servers, after_ms } => {
                let (weak, ticket) = (Rc::downgrade(self), self.spare.ticket());
                let prepare = move || {
                    if let Some(this) = weak.upgrade() {
                        this.spare.prepare(ticket, &this.stream, &ice_servers);
                    }
                };
                if after_ms == 0 {
                    spawn_local(async move { prepare() });
                } else {
                    set_timeout(prepare, std::time::Duration::from_millis(after_ms.into()));
                }
            }
            StudioAction::DropSpare => self.spare.clear(),
            StudioAction::ApplyAnswer { viewer, answer } => {
                if let Some(peer) = self.peer(&viewer) {
                    spawn_local(async move {
                        if let Err(e) = peer.set_remote(&answer).await {
                            web_sys::console::warn_1(&format!("OnAir: a viewer's answer was refused: {e}").into());
                        }
                    });
                }
            }
            StudioAction::AddRemoteCandidate { viewer, candidate } => {
                if let Some(peer) = self.peer(&viewer) {
                    spawn_local(async move { peer.add_remote_candidate(candidate).await });
                }
            }
            StudioAction::RestartIce { viewer } => {
                let Some(peer) = self.peer(&viewer) else { return };
                let this = self.clone();
                spawn_local(async move {
                    match peer.restart_ice().await {
                        Ok(offer) => this.handle(StudioEvent::OfferMade { viewer, offer }),
                        Err(e) => web_sys::console::warn_1(&format!("OnAir: ICE restart failed: {e}").into()),
                    }
                });
            }
            StudioAction::CheckLater { viewer, check, after_ms } => {
                let weak = Rc::downgrade(self);
                let due = move || {
                    if let Some(this) = weak.upgrade() {
                        this.handle(StudioEvent::CheckDue { viewer, check });
                    }
                };
                if after_ms == 0 {
                    spawn_local(async move { due() });
                } else {
                    set_timeout(due, std::time::Duration::from_millis(after_ms.into()));
                }
            }
            StudioAction::ShowPeerState { viewer, state } => {
                if let Some(row) = self.row(&viewer) {
                    row.state.set(state);
                }
            }
            StudioAction::ShowNoRelayRoute { viewer, no_route } => {
                if let Some(row) = self.row(&viewer) {
                    row.no_relay_route.set(no_route);
                }
            }
            StudioAction::ShowViewerReport { viewer, report } => {
                if let Some(row) = self.row(&viewer) {
                    row.seen.set(Some(report));
                }
            }
            StudioAction::ShowRelayReport { viewer, report } => {
                if let Some(row) = self.row(&viewer) {
                    row.show_relay_report(&report);
                }
            }
            StudioAction::SampleViewers => spawn_local(self.clone().sample()),
            StudioAction::ReportCapacity { remaining } => {
                if self.send(&ClientMessage::Capacity { remaining }) {
                    self.handle(StudioEvent::CapacityReported { remaining });
                }
            }
            StudioAction::End { reason } => {
                self.stop();
                self.view.message.set(Some(reason));
            }
            StudioAction::Publish { ice_servers } => {
                if let Some(old) = self.upload.borrow_mut().take() {
                    old.end();
                }
                let weak = Rc::downgrade(self);
                let on_state = move |state| {
                    if let Some(this) = weak.upgrade() {
                        this.handle(StudioEvent::PublishStateChanged { state });
                    }
                };
                *self.upload.borrow_mut() = Upload::publish(&self.stream, &ice_servers, on_state);
            }
            StudioAction::CheckUpload => {
                let session = self.upload.borrow().as_ref().and_then(Upload::session);
                let Some(session) = session else { return };
                let weak = Rc::downgrade(self);
                spawn_local(async move {
                    if !whip::still_there(&session).await {
                        if let Some(this) = weak.upgrade() {
                            this.handle(StudioEvent::PublishStateChanged { state: PeerState::Failed });
                        }
                    }
                });
            }
            StudioAction::ShowRelay { reason } => self.view.relay.set(Some(reason)),
            StudioAction::AddRelayRow { viewer, name } => {
                let row = ViewerRow::new(viewer, name, js_sys::Date::now());
                row.via_relay.set(true);
                self.view.viewers.update(|rows| rows.push(row));
            }
            StudioAction::MoveToRelay { viewer } => {
                if let Some(peer) = self.peers.borrow_mut().remove(&viewer) {
                    peer.close();
                }
                self.sampler.borrow_mut().forget(&viewer);
                if let Some(row) = self.row(&viewer) {
                    row.via_relay.set(true);
                    row.sent.set(None);
                }
            }
            StudioAction::LogRefusal { code, message } => {
                web_sys::console::warn_1(
                    &format!("OnAir: server refused a message ({}): {message}", code.as_str()).into(),
                );
            }
        }
    }

    async fn sample(self: Rc<Self>) {
        let mut peers: Vec<(ViewerId, Rc<Peer>)> =
            self.peers.borrow().iter().map(|(id, p)| (id.clone(), p.clone())).collect();
        // The upload to the relay counts in the total (it has no row of its own).
        if let Some(upload) = self.upload.borrow().as_ref() {
            peers.push((ViewerId(UPLOAD_SAMPLE_ID.to_owned()), upload.peer.clone()));
        }
        let capacity = dashboard::sample(self.view, peers, &self.sampler).await;
        self.handle(StudioEvent::Sampled { capacity });
    }

    fn send(&self, msg: &ClientMessage) -> bool {
        self.signaling.borrow().as_ref().is_some_and(|s| s.send(msg))
    }

    fn on_signal(self: &Rc<Self>, event: SignalEvent) {
        self.handle(match event {
            SignalEvent::Open => StudioEvent::SignalingOpened,
            SignalEvent::Closed => StudioEvent::SignalingClosed,
            SignalEvent::Message(msg) => StudioEvent::Server(msg),
        });
    }

    fn peer(&self, id: &ViewerId) -> Option<Rc<Peer>> {
        self.peers.borrow().get(id).cloned()
    }

    fn row(&self, id: &ViewerId) -> Option<ViewerRow> {
        self.view.viewers.with_untracked(|rows| rows.iter().find(|r| &r.id == id).cloned())
    }

    /// A peer connection and a row for a viewer, and the offer that starts the connection.
    fn connect(self: &Rc<Self>, viewer_id: ViewerId, name: Option<String>, ice_servers: &[IceServer]) {
        let made = match self.spare.take(ice_servers) {
            Some(taken) => Ok(taken),
            None => Peer::new(ice_servers).map(|p| {
                p.add_stream(&self.stream);
                let offer: OfferFuture = Box::pin(p.create_offer());
                (Rc::new(p), offer)
            }),
        };
        let (peer, offer) = match made {
            Ok(made) => made,
            Err(e) => {
                web_sys::console::error_1(&format!("OnAir: cannot create a peer connection: {e}").into());
                self.handle(StudioEvent::ConnectFailed { viewer: viewer_id });
                return;
            }
        };
        let row = ViewerRow::new(viewer_id.clone(), name, js_sys::Date::now());
        let weak = Rc::downgrade(self);
        let id = viewer_id.clone();
        peer.on_connection_state(move |state| {
            if let Some(this) = weak.upgrade() {
                this.handle(StudioEvent::PeerStateChanged { viewer: id.clone(), state });
            }
        });
        let weak = Rc::downgrade(self);
        let id = viewer_id.clone();
        peer.on_ice_candidate(move |candidate| {
            if let Some(this) = weak.upgrade() {
                this.handle(StudioEvent::LocalCandidate { viewer: id.clone(), candidate });
            }
        });
        self.peers.borrow_mut().insert(viewer_id.clone(), peer.clone());
        let this = self.clone();
        spawn_local(async move {
            match offer.await {
                Ok(offer) => this.handle(StudioEvent::OfferMade { viewer: viewer_id.clone(), offer }),
                Err(e) => web_sys::console::error_1(&format!("OnAir: cannot create an offer: {e}").into()),
            }
            // The row is drawn once the offer has left: its first render took the studio
            // tens of ms that every joining viewer's offer waited for (first-frame.mjs,
            // newViewer → offer). A viewer gone meanwhile gets none.
            if this.peer(&viewer_id).is_some_and(|p| Rc::ptr_eq(&p, &peer)) {
                this.view.viewers.update(|rows| rows.push(row));
            } else {
                row.dispose();
            }
        });
    }

    fn disconnect(&self, id: &ViewerId) {
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

    fn disconnect_all(&self) {
        if let Some(upload) = self.upload.borrow_mut().take() {
            upload.end();
        }
        for (_, peer) in self.peers.borrow_mut().drain() {
            peer.close();
        }
        self.spare.clear();
        self.sampler.borrow_mut().clear();
        let rows = self.view.viewers.try_update(std::mem::take).unwrap_or_default();
        for row in rows {
            row.dispose();
        }
    }
}
