//! One `RTCPeerConnection`: offer, answer, candidates (queued until the remote
//! description is in place), state changes and incoming tracks.

use crate::protocol::{is_relay_candidate, IceCandidate, IceServer, SdpType, SessionDescription};
use crate::web::status::{IceState, PeerState};
use std::cell::{Cell, RefCell};
use std::future::Future;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceCandidateInit, RtcIceConnectionState, RtcIceServer,
    RtcOfferOptions, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcPeerConnectionState, RtcRtpSender,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

/// A browser error from a WebRTC call, in words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct RtcError(pub String);

impl From<JsValue> for RtcError {
    fn from(v: JsValue) -> Self {
        let text = js_sys::Reflect::get(&v, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| v.as_string())
            .unwrap_or_else(|| "unknown WebRTC error".to_owned());
        RtcError(text)
    }
}

/// The event handlers a connection keeps alive while it lives.
type Handlers = RefCell<Vec<Closure<dyn FnMut(JsValue)>>>;

pub struct Peer {
    pc: RtcPeerConnection,
    remote_set: Cell<bool>,
    early_candidates: RefCell<Vec<IceCandidate>>,
    handlers: Handlers,
}

impl Peer {
    pub fn new(ice_servers: &[IceServer]) -> Result<Peer, RtcError> {
        let servers = js_sys::Array::new();
        for s in ice_servers {
            let server = RtcIceServer::new();
            let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
            server.set_urls(&urls);
            if let Some(u) = &s.username {
                server.set_username(u);
            }
            if let Some(c) = &s.credential {
                server.set_credential(c);
            }
            servers.push(&server);
        }
        let config = RtcConfiguration::new();
        config.set_ice_servers(&servers);
        let pc = RtcPeerConnection::new_with_configuration(&config)?;
        Ok(Peer {
            pc,
            remote_set: Cell::new(false),
            early_candidates: RefCell::new(Vec::new()),
            handlers: RefCell::new(Vec::new()),
        })
    }

    /// Takes over a connection the watch page's starter created (`browser::starter`). It set the
    /// remote description on it first thing (the browser chains every later call behind that),
    /// so remote candidates go to the browser as they come.
    pub fn adopt(pc: RtcPeerConnection) -> Peer {
        Peer {
            pc,
            remote_set: Cell::new(true),
            early_candidates: RefCell::new(Vec::new()),
            handlers: RefCell::new(Vec::new()),
        }
    }

    /// The browser's connection, to hand over to the player (`browser::rtc::handover`).
    pub fn connection(&self) -> &RtcPeerConnection {
        &self.pc
    }

    /// Calls `f` with every local candidate to send to the other side.
    pub fn on_ice_candidate(&self, f: impl Fn(IceCandidate) + 'static) {
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let e: RtcPeerConnectionIceEvent = e.unchecked_into();
            // `null` marks the end of gathering: nothing to send.
            if let Some(c) = e.candidate() {
                f(IceCandidate {
                    candidate: c.candidate(),
                    sdp_mid: c.sdp_mid(),
                    sdp_m_line_index: c.sdp_m_line_index(),
                    username_fragment: None,
                });
            }
        });
        self.pc.set_onicecandidate(Some(handler.as_ref().unchecked_ref()));
        self.handlers.borrow_mut().push(handler);
    }

    /// Whether this side has gathered a relay (TURN) candidate so far: without one, paths
    /// the network blocks have no way around.
    pub fn gathered_relay_candidate(&self) -> bool {
        self.pc.local_description().is_some_and(|d| d.sdp().lines().any(is_relay_candidate))
    }

    /// Calls `f` with the new `connectionState` on every change.
    pub fn on_connection_state(&self, f: impl Fn(PeerState) + 'static) {
        let pc = self.pc.clone();
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| f(connection_state(&pc)));
        self.pc.set_onconnectionstatechange(Some(handler.as_ref().unchecked_ref()));
        self.handlers.borrow_mut().push(handler);
    }

    /// Calls `f` with the remote stream of each incoming track.
    pub fn on_track(&self, f: impl Fn(MediaStream) + 'static) {
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let e: RtcTrackEvent = e.unchecked_into();
            if let Ok(stream) = e.streams().get(0).dyn_into::<MediaStream>() {
                f(stream);
            }
        });
        self.pc.set_ontrack(Some(handler.as_ref().unchecked_ref()));
        self.handlers.borrow_mut().push(handler);
    }

    /// Sends every track of `stream`.
    pub fn add_stream(&self, stream: &MediaStream) {
        for track in stream.get_tracks().iter() {
            let track: MediaStreamTrack = track.unchecked_into();
            self.pc.add_track_0(&track, stream);
        }
    }

    /// Receives one audio and one video track (a player of the relay makes the offer).
    pub fn receive_audio_and_video(&self) {
        for kind in ["audio", "video"] {
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Recvonly);
            self.pc.add_transceiver_with_str_and_init(kind, &init);
        }
    }

    /// Sends every track of `stream` and nothing back (the studio's upload to the relay).
    pub fn send_only(&self, stream: &MediaStream) {
        for track in stream.get_tracks().iter() {
            let track: MediaStreamTrack = track.unchecked_into();
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Sendonly);
            let streams = js_sys::Array::of1(stream);
            init.set_streams(&streams);
            self.pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
        }
    }

    /// Creates an offer and makes it the local description. The browser starts on it when
    /// this is called, not when the future is first awaited, so whatever the caller does
    /// meanwhile (the studio renders the viewer's row) runs beside it.
    pub fn create_offer(&self) -> impl Future<Output = Result<SessionDescription, RtcError>> + 'static {
        let created = JsFuture::from(self.pc.create_offer());
        let pc = self.pc.clone();
        async move { apply_local(&pc, created.await?, SdpType::Offer).await }
    }

    /// The local description if it is an offer, as it stands now: it carries every candidate
    /// gathered so far, so an offer made well ahead (the studio's spare connection) goes out
    /// with its candidates in it.
    pub fn local_offer(&self) -> Option<SessionDescription> {
        let desc = self.pc.local_description().filter(|d| d.type_() == RtcSdpType::Offer)?;
        Some(SessionDescription { kind: SdpType::Offer, sdp: desc.sdp() })
    }

    /// An offer with fresh ICE credentials, to find a new path on the same connection
    /// after the network changed; the media keeps its state.
    pub async fn restart_ice(&self) -> Result<SessionDescription, RtcError> {
        let options = RtcOfferOptions::new();
        options.set_ice_restart(true);
        let offer = JsFuture::from(self.pc.create_offer_with_rtc_offer_options(&options)).await?;
        apply_local(&self.pc, offer, SdpType::Offer).await
    }

    /// The session id of the remote description, once there is one.
    pub fn remote_session_id(&self) -> Option<String> {
        let desc = self.pc.remote_description()?;
        SessionDescription { kind: SdpType::Offer, sdp: desc.sdp() }.session_id().map(str::to_owned)
    }

    /// Applies a remote offer, sets the answer as local description and hands it to `send`.
    ///
    /// The candidates that came before the offer are added only then: each is a step of the
    /// connection's operations chain, which `createAnswer` would queue behind (the README's
    /// traced join, issue 14), and no connectivity check starts before the answer anyway. They
    /// also go after `send`, so that the answer is on its way while they are added. The
    /// plain-JS viewer adds them in this order too.
    pub async fn answer(
        &self,
        offer: &SessionDescription,
        send: impl FnOnce(SessionDescription),
    ) -> Result<(), RtcError> {
        self.apply_remote(offer).await?;
        let answer = JsFuture::from(self.pc.create_answer()).await?;
        let sent = apply_local(&self.pc, answer, SdpType::Answer).await.map(send);
        self.release_early_candidates();
        sent
    }

    /// Applies the remote description, then the candidates that arrived before it.
    pub async fn set_remote(&self, desc: &SessionDescription) -> Result<(), RtcError> {
        self.apply_remote(desc).await?;
        self.release_early_candidates();
        Ok(())
    }

    async fn apply_remote(&self, desc: &SessionDescription) -> Result<(), RtcError> {
        let init = RtcSessionDescriptionInit::new(sdp_type(desc.kind));
        init.set_sdp(&desc.sdp);
        JsFuture::from(self.pc.set_remote_description(&init)).await?;
        Ok(())
    }

    /// From now on remote candidates go to the browser as they come; the ones kept so far
    /// go first, in the order they arrived (the browser chains the calls in call order).
    fn release_early_candidates(&self) {
        self.remote_set.set(true);
        let early: Vec<IceCandidate> = self.early_candidates.borrow_mut().drain(..).collect();
        for c in early {
            wasm_bindgen_futures::spawn_local(self.add_candidate_now(&c));
        }
    }

    /// Adds a remote candidate, or keeps it until the remote description is set.
    pub async fn add_remote_candidate(&self, c: IceCandidate) {
        if self.remote_set.get() {
            self.add_candidate_now(&c).await;
        } else {
            self.early_candidates.borrow_mut().push(c);
        }
    }

    pub fn connection_state(&self) -> PeerState {
        connection_state(&self.pc)
    }

    /// The ICE agent's state (`checking`, `connected`, …), beside the overall state.
    pub fn ice_connection_state(&self) -> IceState {
        match self.pc.ice_connection_state() {
            RtcIceConnectionState::Checking => IceState::Checking,
            RtcIceConnectionState::Connected => IceState::Connected,
            RtcIceConnectionState::Completed => IceState::Completed,
            RtcIceConnectionState::Disconnected => IceState::Disconnected,
            RtcIceConnectionState::Failed => IceState::Failed,
            RtcIceConnectionState::Closed => IceState::Closed,
            _ => IceState::New,
        }
    }

    /// Sends `track` instead of the current track of its kind, without renegotiating.
    pub async fn replace_track(&self, track: &MediaStreamTrack) -> Result<(), RtcError> {
        let kind = track.kind();
        for sender in self.pc.get_senders().iter() {
            let sender: RtcRtpSender = sender.unchecked_into();
            if sender.track().is_some_and(|t| t.kind() == kind) {
                JsFuture::from(sender.replace_track(Some(track))).await?;
            }
        }
        Ok(())
    }

    /// `getStats()` as JSON: an array of every stats entry, for [`crate::stats`] to read.
    pub async fn stats_json(&self) -> Result<String, RtcError> {
        let report = JsFuture::from(self.pc.get_stats()).await?;
        let values = js_sys::Reflect::get(&report, &"values".into())?
            .dyn_into::<js_sys::Function>()
            .map_err(|_| RtcError("the browser's stats report has no values()".into()))?
            .call0(&report)?;
        let entries = js_sys::Array::from(&values);
        let json = js_sys::JSON::stringify(&entries)?;
        Ok(json.into())
    }

    pub fn close(&self) {
        self.pc.set_onicecandidate(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.set_ontrack(None);
        self.pc.close();
    }

    /// Adds a remote candidate. The browser takes it when this is called; the future only
    /// reports a refusal.
    fn add_candidate_now(&self, c: &IceCandidate) -> impl Future<Output = ()> + 'static {
        let init = RtcIceCandidateInit::new(&c.candidate);
        init.set_sdp_mid(c.sdp_mid.as_deref());
        init.set_sdp_m_line_index(c.sdp_m_line_index);
        let added = JsFuture::from(self.pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init)));
        async move {
            if let Err(e) = added.await {
                // One bad candidate must not end the connection: others may work.
                web_sys::console::warn_1(
                    &format!("OnAir: a remote ICE candidate was refused: {}", RtcError::from(e)).into(),
                );
            }
        }
    }
}

/// Makes what createOffer/createAnswer produced the local description.
async fn apply_local(pc: &RtcPeerConnection, desc: JsValue, kind: SdpType) -> Result<SessionDescription, RtcError> {
    // createOffer/createAnswer resolve to a plain {type, sdp} dictionary.
    let sdp = js_sys::Reflect::get(&desc, &"sdp".into())?
        .as_string()
        .ok_or_else(|| RtcError("the browser produced no SDP".into()))?;
    JsFuture::from(pc.set_local_description(desc.unchecked_ref())).await?;
    Ok(SessionDescription { kind, sdp })
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.close();
    }
}

fn connection_state(pc: &RtcPeerConnection) -> PeerState {
    match pc.connection_state() {
        RtcPeerConnectionState::Connecting => PeerState::Connecting,
        RtcPeerConnectionState::Connected => PeerState::Connected,
        RtcPeerConnectionState::Disconnected => PeerState::Disconnected,
        RtcPeerConnectionState::Failed => PeerState::Failed,
        RtcPeerConnectionState::Closed => PeerState::Closed,
        // A browser without `connectionState` reads as a connection not yet started.
        _ => PeerState::New,
    }
}

fn sdp_type(kind: SdpType) -> RtcSdpType {
    match kind {
        SdpType::Offer => RtcSdpType::Offer,
        SdpType::Answer => RtcSdpType::Answer,
        SdpType::Pranswer => RtcSdpType::Pranswer,
        SdpType::Rollback => RtcSdpType::Rollback,
    }
}
