//! A viewer's playback: joins as viewer, answers the streamer's offer, plays the stream,
//! and waits or reconnects by itself.

use crate::browser::answer_first::AnswerFirst;
use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::signaling::{SignalEvent, SignalingSocket};
use crate::browser::rtc::whip::RelaySession;
use crate::browser::rtc::{handover, media};
use crate::protocol::{ClientMessage, ErrorCode, IceServer, ServerMessage, Target, TurnTransport, ViewerReport};
use crate::stats::{self, ReceiverSample};
use crate::web::status::{PeerState, StreamStatus};
use crate::web::view_state::PlayerView;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::MediaStream;

mod relay;

/// How long a viewer turned away by a full stream waits before asking again.
const FULL_RETRY_MS: i32 = 10_000;

pub struct Playback {
    /// What the page shows: at first a view of its own when playback starts before the page
    /// hydrates (`early_playback`), the page's once it takes over ([`Playback::adopt`]).
    view: Cell<PlayerView>,
    /// The stream the video shows (or will, once the page has its video element).
    shown: RefCell<Option<MediaStream>>,
    /// Called once this playback's connection is up (or failed, or there is nothing to connect
    /// to yet): the page waits for it before hydrating (`early_playback`).
    on_settled: RefCell<Option<Box<dyn FnOnce()>>>,
    /// That has happened (a connection taken over from the starter may be up already).
    is_settled: Cell<bool>,
    signaling: RefCell<Option<SignalingSocket>>,
    peer: RefCell<Option<Rc<Peer>>>,
    ice_servers: RefCell<Vec<IceServer>>,
    /// The previous inbound sample, for bitrates from byte deltas.
    previous: RefCell<Option<ReceiverSample>>,
    ticks: Cell<u64>,
    /// Notices a picture that froze while the connection still looks fine.
    stall: RefCell<stats::StallWatch>,
    ticker: Cell<Option<IntervalHandle>>,
    /// From `welcome`: presented when the socket reconnects, to keep the same viewer id
    /// and with it the peer connection that still plays.
    resume_token: RefCell<Option<String>>,
    /// This live goes through the relay (`useRelay`).
    relay_wanted: Cell<bool>,
    /// The relay's stream while it starts, before it replaces the peer-to-peer one.
    relay_pending: RefCell<Option<Rc<Peer>>>,
    /// The relay's refusals in a row, for the wait before the next attempt.
    relay_refusals: Cell<u32>,
    /// The relay session of the current (or pending) relay connection, ended with it.
    relay_session: Rc<RefCell<Option<RelaySession>>>,
}

/// How long a failed connection waits for the streamer's ICE restart before rejoining.
const ICE_RESTART_WAIT_MS: i32 = 5_000;
impl Playback {
    pub fn start(view: PlayerView) -> Rc<Playback> {
        let this = Rc::new(Playback {
            view: Cell::new(view),
            shown: RefCell::new(None),
            on_settled: RefCell::new(None),
            is_settled: Cell::new(false),
            signaling: RefCell::new(None),
            peer: RefCell::new(None),
            ice_servers: RefCell::new(Vec::new()),
            previous: RefCell::new(None),
            ticks: Cell::new(0),
            stall: RefCell::new(stats::StallWatch::default()),
            ticker: Cell::new(None),
            resume_token: RefCell::new(None),
            relay_wanted: Cell::new(false),
            relay_pending: RefCell::new(None),
            relay_refusals: Cell::new(0),
            relay_session: Rc::new(RefCell::new(None)),
        });
        // Before the socket: the messages it replays come after the starter's connection.
        this.take_over_started();
        *this.signaling.borrow_mut() = Some(crate::browser::lifecycle::connect_signaling(&this, Self::on_signal));
        this.ticker.set(crate::browser::lifecycle::every_second(&this, Self::sample));
        this
    }

    fn view(&self) -> PlayerView {
        self.view.get()
    }

    /// Calls `f` once this playback has connected, or failed, or has nothing to connect to yet
    /// (the rule is `early_playback::start_early`'s).
    pub fn when_settled(&self, f: impl FnOnce() + 'static) {
        if self.is_settled.get() {
            return f();
        }
        *self.on_settled.borrow_mut() = Some(Box::new(f));
    }

    /// Nothing more to do before the page hydrates (see [`Playback::when_settled`]); once.
    fn settled(&self) {
        self.is_settled.set(true);
        let on_settled = self.on_settled.borrow_mut().take();
        if let Some(f) = on_settled {
            f();
        }
    }

    /// The page hydrated: from now on it shows this playback, which started before it
    /// (`early_playback`), as far as it has got.
    pub fn adopt(&self, page: PlayerView) {
        page.take_over(self.view.replace(page));
        let shown = self.shown.borrow().clone();
        if let Some(stream) = shown {
            self.show(stream);
        }
    }

    /// Leaves for good (the page is going away).
    pub fn stop(&self) {
        if let Some(t) = self.ticker.take() {
            t.clear();
        }
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
        self.drop_peer();
    }

    /// Starts playback after the browser refused to autoplay (a click is a user gesture).
    pub fn play(&self) {
        let view = self.view();
        if let Some(video) = view.player.get_untracked() {
            spawn_local(async move {
                let ok = media::play(&video).await;
                view.needs_play.set(!ok);
            });
        }
    }

    /// Registers as viewer. With a peer connection to keep (the socket dropped mid-live),
    /// resumes the previous id so the streamer keeps that connection.
    fn join(&self) {
        let resume_token = self.resume_token.borrow().clone().filter(|_| self.peer.borrow().is_some());
        self.send(&ClientMessage::Viewer { name: None, resume_token });
    }

    /// A connection failed: without a relay candidate of ours nothing gets around what the
    /// network blocks, and the page says so (retries go on, in case the network changes).
    fn show_failure(&self, peer: &Peer) {
        let status =
            if peer.gathered_relay_candidate() { StreamStatus::Reconnecting } else { StreamStatus::Unreachable };
        self.view().status.set(status);
    }

    /// The next attempt is under way; a viewer told it cannot connect keeps being told until
    /// one works.
    fn show_connecting(&self) {
        if self.view().status.get_untracked() != StreamStatus::Unreachable {
            self.view().status.set(StreamStatus::Connecting);
        }
    }

    /// Video is arriving over a working peer connection.
    fn playing(&self) -> bool {
        self.peer.borrow().as_ref().is_some_and(|p| p.connection_state() == PeerState::Connected)
    }

    fn send(&self, msg: &ClientMessage) {
        if let Some(s) = self.signaling.borrow().as_ref() {
            s.send(msg);
        }
    }

    /// Every second: inbound figures for the stats overlay; every other second, a summary
    /// to the streamer's dashboard.
    async fn sample(self: Rc<Self>) {
        let Some(peer) = self.peer.borrow().clone() else { return };
        let Ok(json) = peer.stats_json().await else { return };
        let Ok(sample) = stats::parse_receiver(&json) else { return };
        let previous = self.previous.borrow_mut().replace(sample.clone());
        let quality = stats::receiver_quality(previous.as_ref(), &sample);
        // A cut path freezes the picture seconds before the connection reports it: say so.
        let status = self.view().status.get_untracked();
        let frames = previous.as_ref().and_then(|p| Some(sample.frames_decoded?.saturating_sub(p.frames_decoded?)));
        match self.stall.borrow_mut().on_sample(frames) {
            Some(stats::Stall::Began) if status == StreamStatus::Live => {
                self.view().status.set(StreamStatus::Reconnecting)
            }
            Some(stats::Stall::Ended) if status == StreamStatus::Reconnecting && self.playing() => {
                self.view().status.set(StreamStatus::Live)
            }
            _ => {}
        }
        let tick = self.ticks.get() + 1;
        self.ticks.set(tick);
        if tick.is_multiple_of(2) && self.view().status.get_untracked() == StreamStatus::Live {
            self.send(&ClientMessage::ViewerStats(ViewerReport {
                fps: quality.fps,
                frames_decoded: sample.frames_decoded,
                freeze_count: quality.freeze_count,
                total_freezes_duration: quality.total_freezes_duration_s,
                jitter_buffer_delay_ms: quality.jitter_buffer_delay_ms,
                packets_lost: quality.packets_lost,
                rtt_ms: quality.rtt_ms,
                turn_transport: sample.turn_relay_protocol.as_deref().and_then(TurnTransport::from_relay_protocol),
            }));
        }
        self.view().stats.set(Some(quality));
    }

    /// Asks to join again after a while (the stream was full).
    fn retry_join_later(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let retry = Closure::once_into_js(move || {
            if let Some(this) = weak.upgrade() {
                if this.view().status.get_untracked() == StreamStatus::Full {
                    this.join();
                }
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), FULL_RETRY_MS);
        }
    }

    fn on_signal(self: &Rc<Self>, event: SignalEvent) {
        match event {
            SignalEvent::Open => self.join(),
            SignalEvent::Closed => {
                // Media is peer to peer: what plays keeps playing while signaling is away.
                if !self.playing() {
                    self.view().status.set(StreamStatus::Reconnecting);
                }
            }
            SignalEvent::Message(msg) => {
                self.on_message(msg);
                // Nothing to answer while the stream is away or closed to this viewer.
                let status = self.view().status.get_untracked();
                if matches!(status, StreamStatus::Offline | StreamStatus::Full | StreamStatus::Removed) {
                    self.settled();
                }
            }
        }
    }

    fn on_message(self: &Rc<Self>, msg: ServerMessage) {
        match msg {
            ServerMessage::Welcome { ice_servers, resume_token, .. } => {
                *self.ice_servers.borrow_mut() = ice_servers;
                *self.resume_token.borrow_mut() = Some(resume_token).filter(|t| !t.is_empty());
            }
            // The streamer's connection dropped (a reload, a crash, the server restarting):
            // keep what plays, and wait for it to come back.
            ServerMessage::StreamerLost if !self.playing() => self.view().status.set(StreamStatus::Reconnecting),
            ServerMessage::ViewerCount { count } => self.view().watching.set(Some(count)),
            ServerMessage::Offline => {
                // The next live may start peer to peer again, and may be playable.
                self.relay_wanted.set(false);
                self.view().problem.set(None);
                self.drop_peer();
                // Removed from the live that just ended: join again to wait for the next.
                if self.view().status.get_untracked() == StreamStatus::Removed {
                    self.join();
                }
                self.view().status.set(StreamStatus::Offline);
            }
            ServerMessage::Live if self.view().status.get_untracked() != StreamStatus::Live => {
                self.view().status.set(StreamStatus::Connecting)
            }
            ServerMessage::UseRelay { .. } => {
                self.relay_wanted.set(true);
                self.start_relay();
            }
            ServerMessage::Removed => {
                self.drop_peer();
                self.view().status.set(StreamStatus::Removed);
            }
            // The watch code changed while this page was open: ask for it again.
            ServerMessage::Error { code: ErrorCode::CodeRequired, .. } => {
                self.stop();
                if let Some(window) = web_sys::window() {
                    let _ = window.location().set_href(crate::web::routes::Page::WatchCode.path());
                }
            }
            ServerMessage::Error { code: ErrorCode::Full, .. } => {
                self.view().status.set(StreamStatus::Full);
                self.retry_join_later();
            }
            ServerMessage::Offer { offer, .. } => {
                let current = self.peer.borrow().clone();
                match current {
                    // The same connection renegotiating (an ICE restart): answer on it.
                    Some(peer)
                        if offer.session_id().is_some()
                            && peer.remote_session_id().as_deref() == offer.session_id() =>
                    {
                        let this = self.clone();
                        spawn_local(async move {
                            let send = |answer| this.send(&ClientMessage::Answer { answer, viewer_id: None });
                            if let Err(e) = peer.answer(&offer, send).await {
                                web_sys::console::warn_1(&format!("OnAir: cannot renegotiate: {e}").into());
                            }
                        });
                    }
                    _ => self.accept_offer(offer),
                }
            }
            ServerMessage::Candidate { candidate, target: Target::Viewer, .. } => {
                if let Some(peer) = self.peer.borrow().clone() {
                    spawn_local(async move { peer.add_remote_candidate(candidate).await });
                }
            }
            ServerMessage::Error { code, message } => {
                web_sys::console::warn_1(
                    &format!("OnAir: server refused a message ({}): {message}", code.as_str()).into(),
                );
            }
            _ => {}
        }
    }

    fn accept_offer(self: &Rc<Self>, offer: crate::protocol::SessionDescription) {
        // A new offer means a new streamer session: replace any previous connection.
        self.drop_peer();
        let peer = match Peer::new(&self.ice_servers.borrow()) {
            Ok(p) => Rc::new(p),
            Err(e) => {
                web_sys::console::error_1(&format!("OnAir: cannot create a peer connection: {e}").into());
                return;
            }
        };
        let track = self.watch(&peer);
        *self.peer.borrow_mut() = Some(peer.clone());
        let this = self.clone();
        spawn_local(async move {
            let send = |answer| this.send(&ClientMessage::Answer { answer, viewer_id: None });
            if let Err(e) = peer.answer(&offer, send).await {
                web_sys::console::error_1(&format!("OnAir: cannot answer the stream's offer: {e}").into());
            }
            let current = this.peer.borrow().as_ref().is_some_and(|p| Rc::ptr_eq(p, &peer));
            if current {
                this.show_connecting();
                if let Some(stream) = track.answered() {
                    this.show(stream);
                }
            }
        });
    }

    /// Sends `peer`'s candidates, shows its stream and follows its state. The stream is held
    /// until the answer has left (the returned [`AnswerFirst`] is told).
    fn watch(self: &Rc<Self>, peer: &Rc<Peer>) -> Rc<AnswerFirst> {
        let weak = Rc::downgrade(self);
        peer.on_ice_candidate({
            let weak = weak.clone();
            move |candidate| {
                if let Some(this) = weak.upgrade() {
                    this.send(&ClientMessage::Candidate { candidate, target: Target::Streamer, viewer_id: None });
                }
            }
        });
        // The track arrives while the offer is applied; the video shows it once the answer
        // has left: attaching and starting the <video> costs the page's main thread tens of
        // ms, which the browser's answer would otherwise wait behind (first-frame.mjs,
        // offer → answer sent), and no frame can come before the answer anyway.
        let track = Rc::new(AnswerFirst::default());
        peer.on_track({
            let (weak, track) = (weak.clone(), track.clone());
            move |stream| {
                if let Some(stream) = track.arrived(stream) {
                    if let Some(this) = weak.upgrade() {
                        this.show(stream);
                    }
                }
            }
        });
        let watched = Rc::downgrade(peer);
        peer.on_connection_state(move |state| {
            if let (Some(this), Some(peer)) = (weak.upgrade(), watched.upgrade()) {
                this.on_peer_state(&peer, state);
            }
        });
        track
    }

    fn on_peer_state(self: &Rc<Self>, peer: &Peer, state: PeerState) {
        match state {
            PeerState::Connected => {
                self.view().status.set(StreamStatus::Live);
                self.settled();
            }
            PeerState::Disconnected => self.view().status.set(StreamStatus::Reconnecting),
            // The streamer restarts ICE first; if that does not bring the connection
            // back, rejoin: the streamer then sends a new offer.
            PeerState::Failed => {
                self.settled();
                self.show_failure(peer);
                let weak = Rc::downgrade(self);
                let later = Closure::once_into_js(move || {
                    let Some(this) = weak.upgrade() else { return };
                    let still_failed =
                        this.peer.borrow().as_ref().is_some_and(|p| p.connection_state() == PeerState::Failed);
                    if still_failed {
                        if let Some(s) = this.signaling.borrow().as_ref() {
                            s.reconnect();
                        }
                    }
                });
                if let Some(window) = web_sys::window() {
                    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                        later.unchecked_ref(),
                        ICE_RESTART_WAIT_MS,
                    );
                }
            }
            _ => {}
        }
    }

    /// Takes over the connection the watch page's starter answered before this wasm was in
    /// (`browser::starter`), if there is one: its offer and candidates are not replayed.
    fn take_over_started(self: &Rc<Self>) {
        let Some(started) = handover::take() else { return };
        let peer = Rc::new(Peer::adopt(started.pc));
        // The starter has answered, or answers and shows the stream itself.
        self.watch(&peer).answered();
        *self.peer.borrow_mut() = Some(peer.clone());
        if let Some(stream) = started.stream {
            self.show(stream);
        }
        self.on_peer_state(&peer, peer.connection_state());
    }

    fn show(&self, stream: MediaStream) {
        *self.shown.borrow_mut() = Some(stream.clone());
        let Some(video) = self.view().player.get_untracked() else { return };
        let same = video.src_object().is_some_and(|current| current.id() == stream.id());
        // The same stream paused: the starter showed it, and the browser refused to play it.
        if same && !video.paused() {
            return;
        }
        if !same {
            media::attach(&video, Some(&stream));
        }
        let view = self.view();
        spawn_local(async move {
            let ok = media::play(&video).await;
            view.needs_play.set(!ok);
        });
    }

    fn drop_peer(&self) {
        if let Some(peer) = self.relay_pending.borrow_mut().take() {
            peer.close();
        }
        self.end_relay_session();
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        self.previous.borrow_mut().take();
        self.shown.borrow_mut().take();
        self.view().stats.set(None);
        if let Some(video) = self.view().player.get_untracked() {
            media::attach(&video, None);
        }
        self.view().needs_play.set(false);
    }
}
