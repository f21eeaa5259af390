//! The studio's per-viewer rules as a plain state machine: events in, actions out; the
//! broadcast session performs the actions with the browser's peer connections and sockets.

use crate::protocol::{
    ClientMessage, ErrorCode, IceCandidate, IceServer, RelayReport, ServerMessage, SessionDescription, Target,
    ViewerId, ViewerReport,
};
use crate::web::status::PeerState;

/// How long a connection may stay interrupted before it is treated as a changed network.
pub const DISCONNECTED_GRACE_MS: u32 = 3_000;

/// What happened to the studio.
#[derive(Clone, Debug, PartialEq)]
pub enum StudioEvent {
    /// The signaling socket is (again) connected.
    SignalingOpened,
    /// The signaling socket dropped; it reconnects by itself.
    SignalingClosed,
    Server(ServerMessage),
    /// A viewer's peer connection could not be created.
    ConnectFailed {
        viewer: ViewerId,
    },
    /// A viewer's peer connection changed state.
    PeerStateChanged {
        viewer: ViewerId,
        state: PeerState,
    },
    /// A check asked for by [`StudioAction::CheckLater`] is due.
    CheckDue {
        viewer: ViewerId,
        check: Check,
    },
    /// An offer (the first, or an ICE restart's) is the connection's local description.
    OfferMade {
        viewer: ViewerId,
        offer: SessionDescription,
    },
    /// A local ICE candidate for the viewer.
    LocalCandidate {
        viewer: ViewerId,
        candidate: IceCandidate,
    },
    /// The streamer pressed "Remove" on a viewer's row.
    RemoveClicked {
        viewer: ViewerId,
    },
    /// The once-a-second timer fired.
    SecondTick,
    /// The sampling round asked for by [`StudioAction::SampleViewers`] ended.
    Sampled {
        capacity: Option<u32>,
    },
    /// The capacity asked for by [`StudioAction::ReportCapacity`] reached the socket.
    CapacityReported {
        remaining: Option<u32>,
    },
    /// The upload connection to the relay changed state.
    PublishStateChanged {
        state: PeerState,
    },
    /// The broadcast ends.
    Ending,
}

/// What the studio has to do about it.
#[derive(Clone, Debug, PartialEq)]
pub enum StudioAction {
    Send(ClientMessage),
    /// Registered as streamer: show the studio live.
    ShowLive,
    /// Show that the signaling socket is reconnecting (viewers keep playing).
    ShowReconnecting,
    /// Create a peer connection and a row for the viewer, and make an offer.
    Connect {
        viewer: ViewerId,
        name: Option<String>,
        ice_servers: Vec<IceServer>,
    },
    /// Close the viewer's peer connection, forget its figures and take its row off.
    Disconnect {
        viewer: ViewerId,
    },
    /// Close every peer connection (the spare's too) and empty the table.
    DisconnectAll,
    /// Make a peer connection for the next joining viewer ahead of its join, sending the
    /// stream, after `after_ms` (0: right after the current browser event handler): `Connect`
    /// then takes it if it was made with its ICE servers (`spare.rs`).
    PrepareSpare {
        ice_servers: Vec<IceServer>,
        after_ms: u32,
    },
    /// Close the spare connection: the live goes through the relay.
    DropSpare,
    ApplyAnswer {
        viewer: ViewerId,
        answer: SessionDescription,
    },
    AddRemoteCandidate {
        viewer: ViewerId,
        candidate: IceCandidate,
    },
    /// Make an offer with fresh ICE credentials on the viewer's connection.
    RestartIce {
        viewer: ViewerId,
    },
    /// Feed [`StudioEvent::CheckDue`] back after `after_ms` (0: right after the current
    /// browser event handler, never inside it: the check may close that connection).
    CheckLater {
        viewer: ViewerId,
        check: Check,
        after_ms: u32,
    },
    ShowPeerState {
        viewer: ViewerId,
        state: PeerState,
    },
    ShowViewerReport {
        viewer: ViewerId,
        report: ViewerReport,
    },
    /// The viewer has (or no longer has) no route at all: its connection failed and it
    /// offered no relay candidate (see `no_relay_route.rs`).
    ShowNoRelayRoute {
        viewer: ViewerId,
        no_route: bool,
    },
    /// What the relay sends a viewer, in its row's "sent" columns.
    ShowRelayReport {
        viewer: ViewerId,
        report: RelayReport,
    },
    /// Run one round of `getStats()` over every viewer, then feed [`StudioEvent::Sampled`].
    SampleViewers,
    /// Send the capacity estimate; feed [`StudioEvent::CapacityReported`] once sent.
    ReportCapacity {
        remaining: Option<u32>,
    },
    /// End the broadcast, showing why.
    End {
        reason: String,
    },
    /// Publish the stream to the relay (WHIP): once for the live, again if the upload fails.
    Publish {
        ice_servers: Vec<IceServer>,
    },
    /// Ask the relay whether it still has the upload's session (after the server restarted
    /// it has not): feeds back `PublishStateChanged { Failed }` if it is gone.
    CheckUpload,
    /// Show that (and why) the live goes through the relay.
    ShowRelay {
        reason: String,
    },
    /// A row for a viewer that plays from the relay (no peer connection from here).
    AddRelayRow {
        viewer: ViewerId,
        name: Option<String>,
    },
    /// The viewer plays from the relay now: close its peer connection, keep its row.
    MoveToRelay {
        viewer: ViewerId,
    },
    /// The server refused a message: worth a console line, nothing more.
    LogRefusal {
        code: ErrorCode,
        message: String,
    },
}

/// What a delayed look at a viewer's connection is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The connection failed: recover it.
    Failed,
    /// The connection was interrupted a while ago: recover it if it still is.
    StillDisconnected,
    /// The live moved to the relay a while ago: the viewer plays from it by now.
    MovedToRelay,
}

/// How long a peer-to-peer viewer has to start the relay's stream before the studio closes
/// its old connection anyway (it closes it itself once the relay's frames decode).
pub const RELAY_MOVE_GRACE_MS: u32 = 15_000;

/// How long after a viewer's offer the next spare connection is made: its set-up then stays
/// off the answer, the candidates and the DTLS handshake of the viewer that just joined.
pub const SPARE_AFTER_OFFER_MS: u32 = 1_000;

/// How long a spare connection waits for a viewer before a new one replaces it: its offer
/// carries the candidates gathered when it was made, which a changed network (another Wi-Fi,
/// a VPN) leaves stale; the ICE restart would then find a path, but later.
pub const SPARE_RENEW_AFTER_S: u32 = 60;

/// The capacity estimate the server last received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum CapacityReport {
    /// None since the socket (re)connected.
    #[default]
    NotSent,
    Sent(Option<u32>),
}

/// One viewer's connection, as far as the rules care.
#[derive(Clone, Copy, Debug)]
struct Viewer {
    state: PeerState,
    /// The connection already had its one ICE restart.
    ice_restarted: bool,
    /// Plays from the relay: no peer connection from the studio (any more).
    via_relay: bool,
}

pub const SESSION_ENDED: &str = "Your admin session has ended. Sign in again to go live.";
pub const TAKEN_OVER: &str = "The stream was taken over from another tab or window. This tab is no longer live.";

/// The viewers the studio connects to, by id. A list rather than a map: a peer-to-peer
/// studio serves a dozen viewers at most, and a second hash map type weighs on the wasm.
#[derive(Default)]
struct Viewers(Vec<(ViewerId, Viewer)>);

impl Viewers {
    fn get(&self, id: &ViewerId) -> Option<&Viewer> {
        self.0.iter().find(|(v, _)| v == id).map(|(_, viewer)| viewer)
    }

    fn get_mut(&mut self, id: &ViewerId) -> Option<&mut Viewer> {
        self.0.iter_mut().find(|(v, _)| v == id).map(|(_, viewer)| viewer)
    }

    fn insert(&mut self, id: ViewerId, viewer: Viewer) {
        match self.get_mut(&id) {
            Some(known) => *known = viewer,
            None => self.0.push((id, viewer)),
        }
    }

    fn remove(&mut self, id: &ViewerId) -> Option<Viewer> {
        let at = self.0.iter().position(|(v, _)| v == id)?;
        Some(self.0.swap_remove(at).1)
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

#[derive(Default)]
pub struct StudioRules {
    ice_servers: Vec<IceServer>,
    viewers: Viewers,
    capacity: CapacityReport,
    /// A sampling round is under way (they take longer than a second with many viewers).
    sampling: bool,
    /// This live goes through the relay (never back to peer to peer during it).
    relay: bool,
    /// The upload connection to the relay, once there is one.
    upload: Option<PeerState>,
    /// Seconds since a spare connection was asked for, while there is one (`Connect` takes it).
    spare_age_s: Option<u32>,
}

fn upload_works(state: PeerState) -> bool {
    matches!(state, PeerState::New | PeerState::Connecting | PeerState::Connected)
}

impl StudioRules {
    pub fn handle(&mut self, event: StudioEvent) -> Vec<StudioAction> {
        use StudioAction as A;
        match event {
            StudioEvent::SignalingOpened => {
                self.capacity = CapacityReport::NotSent;
                vec![A::Send(ClientMessage::Streamer)]
            }
            // Peers keep streaming while the server is away; they are renegotiated once the
            // streamer is registered again.
            StudioEvent::SignalingClosed => vec![A::ShowReconnecting],
            StudioEvent::Server(msg) => self.on_server(msg),
            StudioEvent::ConnectFailed { viewer } => {
                self.viewers.remove(&viewer);
                Vec::new()
            }
            StudioEvent::PeerStateChanged { viewer, state } => {
                let relay = self.relay;
                let Some(known) = self.viewers.get_mut(&viewer) else { return Vec::new() };
                known.state = state;
                if known.via_relay {
                    return Vec::new();
                }
                // On a relayed live a peer connection that ends is a viewer that moved.
                if relay && matches!(state, PeerState::Disconnected | PeerState::Failed | PeerState::Closed) {
                    known.via_relay = true;
                    return vec![A::MoveToRelay { viewer }];
                }
                let mut out = Vec::new();
                match state {
                    PeerState::Failed => {
                        out.push(A::CheckLater { viewer: viewer.clone(), check: Check::Failed, after_ms: 0 })
                    }
                    // Often a blip that heals by itself; still interrupted a moment later, it
                    // is a changed network: look for a new path before the connection fails.
                    PeerState::Disconnected => out.push(A::CheckLater {
                        viewer: viewer.clone(),
                        check: Check::StillDisconnected,
                        after_ms: DISCONNECTED_GRACE_MS,
                    }),
                    _ => {}
                }
                out.push(A::ShowPeerState { viewer, state });
                out
            }
            StudioEvent::CheckDue { viewer, check } => {
                let Some(known) = self.viewers.get_mut(&viewer) else { return Vec::new() };
                if known.via_relay {
                    return Vec::new();
                }
                match check {
                    Check::MovedToRelay => {
                        known.via_relay = true;
                        vec![A::MoveToRelay { viewer }]
                    }
                    Check::Failed => self.recover(viewer),
                    Check::StillDisconnected if known.state == PeerState::Disconnected => self.recover(viewer),
                    Check::StillDisconnected => Vec::new(),
                }
            }
            StudioEvent::OfferMade { viewer, offer } => {
                let mut out = vec![A::Send(ClientMessage::Offer { offer, viewer_id: viewer })];
                out.extend(self.spare(SPARE_AFTER_OFFER_MS));
                out
            }
            StudioEvent::LocalCandidate { viewer, candidate } => {
                vec![A::Send(ClientMessage::Candidate { candidate, target: Target::Viewer, viewer_id: Some(viewer) })]
            }
            StudioEvent::RemoveClicked { viewer } => vec![A::Send(ClientMessage::RemoveViewer { viewer_id: viewer })],
            StudioEvent::SecondTick => {
                let mut out = self.age_spare();
                if !self.sampling {
                    self.sampling = true;
                    out.push(A::SampleViewers);
                }
                out
            }
            StudioEvent::Sampled { capacity } => {
                self.sampling = false;
                if self.capacity == CapacityReport::Sent(capacity) {
                    Vec::new()
                } else {
                    vec![A::ReportCapacity { remaining: capacity }]
                }
            }
            StudioEvent::CapacityReported { remaining } => {
                self.capacity = CapacityReport::Sent(remaining);
                Vec::new()
            }
            StudioEvent::PublishStateChanged { state } => {
                self.upload = Some(state);
                // The relay stopped answering (it restarted with the server, or the path
                // broke): publish again; viewers replay by themselves.
                if self.relay && !upload_works(state) {
                    self.publish()
                } else {
                    Vec::new()
                }
            }
            StudioEvent::Ending => {
                self.viewers.clear();
                self.relay = false;
                self.upload = None;
                self.spare_age_s = None;
                vec![A::DisconnectAll]
            }
        }
    }

    fn on_server(&mut self, msg: ServerMessage) -> Vec<StudioAction> {
        use StudioAction as A;
        match msg {
            ServerMessage::StreamerReady { ice_servers } => {
                // The server announces every viewer again right after this; connections that
                // still work are kept (media never went through the server).
                self.ice_servers = ice_servers;
                let mut out = vec![A::ShowLive];
                out.extend(self.spare(0));
                out
            }
            ServerMessage::UseRelay { reason } => self.use_relay(reason),
            ServerMessage::NewViewer { viewer_id, name } if self.relay => self.add_relay_viewer(viewer_id, name),
            ServerMessage::NewViewer { viewer_id, name } => self.add_viewer(viewer_id, name),
            ServerMessage::Answer { answer, viewer_id } if self.viewers.get(&viewer_id).is_some() => {
                vec![A::ApplyAnswer { viewer: viewer_id, answer }]
            }
            ServerMessage::Candidate { candidate, target: Target::Streamer, viewer_id }
                if self.viewers.get(&viewer_id).is_some() =>
            {
                vec![A::AddRemoteCandidate { viewer: viewer_id, candidate }]
            }
            ServerMessage::RelayStats { viewer_id, report }
                if self.viewers.get(&viewer_id).is_some_and(|v| v.via_relay) =>
            {
                vec![A::ShowRelayReport { viewer: viewer_id, report }]
            }
            ServerMessage::ViewerStats { viewer_id, report } => {
                vec![A::ShowViewerReport { viewer: viewer_id, report }]
            }
            ServerMessage::ViewerLeft { viewer_id } => self.drop_viewer(viewer_id),
            ServerMessage::Error { code: ErrorCode::Unauthorized, .. } => vec![A::End { reason: SESSION_ENDED.into() }],
            ServerMessage::Error { code: ErrorCode::Replaced, .. } => vec![A::End { reason: TAKEN_OVER.into() }],
            // OBS or ffmpeg is live: this tab cannot be too; the server says so in words.
            ServerMessage::Error { code: ErrorCode::ExternalLive, message } => vec![A::End { reason: message }],
            ServerMessage::Error { code, message } => vec![A::LogRefusal { code, message }],
            _ => Vec::new(),
        }
    }

    fn add_viewer(&mut self, viewer: ViewerId, name: Option<String>) -> Vec<StudioAction> {
        // A viewer announced again (it resumed after a dropped socket or a server restart,
        // or this studio re-registered) whose connection still works keeps it.
        let still_works = |v: &Viewer| {
            matches!(v.state, PeerState::New | PeerState::Connecting | PeerState::Connected | PeerState::Disconnected)
        };
        if self.viewers.get(&viewer).is_some_and(still_works) {
            return Vec::new();
        }
        let mut out = self.drop_viewer(viewer.clone());
        self.viewers.insert(viewer.clone(), Viewer { state: PeerState::New, ice_restarted: false, via_relay: false });
        out.push(StudioAction::Connect { viewer, name, ice_servers: self.ice_servers.clone() });
        self.spare_age_s = None;
        out
    }

    /// A spare connection for the next viewer, unless one is made or the live goes through
    /// the relay (no peer-to-peer viewer joins it).
    fn spare(&mut self, after_ms: u32) -> Option<StudioAction> {
        if self.spare_age_s.is_some() || self.relay {
            return None;
        }
        self.spare_age_s = Some(0);
        Some(StudioAction::PrepareSpare { ice_servers: self.ice_servers.clone(), after_ms })
    }

    /// A second more for the spare; one that waited [`SPARE_RENEW_AFTER_S`] is replaced.
    fn age_spare(&mut self) -> Vec<StudioAction> {
        let Some(age) = self.spare_age_s.as_mut() else {
            return Vec::new();
        };
        *age += 1;
        if *age < SPARE_RENEW_AFTER_S {
            return Vec::new();
        }
        self.spare_age_s = None;
        let mut out = vec![StudioAction::DropSpare];
        out.extend(self.spare(0));
        out
    }

    /// The live goes through the relay from now on: publish to it once; viewers connected
    /// peer to peer move over by themselves (closing their connection), or are let go of
    /// after [`RELAY_MOVE_GRACE_MS`].
    fn use_relay(&mut self, reason: String) -> Vec<StudioAction> {
        self.relay = true;
        let mut out = vec![StudioAction::ShowRelay { reason }];
        if self.spare_age_s.take().is_some() {
            out.push(StudioAction::DropSpare);
        }
        // The server says it again when this studio registers again (its socket dropped):
        // an upload that still works is kept, so viewers see no new keyframe wait.
        if self.upload.is_some_and(upload_works) {
            out.push(StudioAction::CheckUpload);
        } else {
            out.extend(self.publish());
        }
        for (viewer, known) in &self.viewers.0 {
            if !known.via_relay {
                out.push(StudioAction::CheckLater {
                    viewer: viewer.clone(),
                    check: Check::MovedToRelay,
                    after_ms: RELAY_MOVE_GRACE_MS,
                });
            }
        }
        out
    }

    fn publish(&mut self) -> Vec<StudioAction> {
        self.upload = Some(PeerState::New);
        vec![StudioAction::Publish { ice_servers: self.ice_servers.clone() }]
    }

    fn add_relay_viewer(&mut self, viewer: ViewerId, name: Option<String>) -> Vec<StudioAction> {
        if self.viewers.get(&viewer).is_some() {
            return Vec::new();
        }
        self.viewers.insert(viewer.clone(), Viewer { state: PeerState::New, ice_restarted: false, via_relay: true });
        vec![StudioAction::AddRelayRow { viewer, name }]
    }

    /// A viewer's connection failed or stays interrupted (its network changed or dropped):
    /// one ICE restart on the same connection; if that fails too, let it go (the viewer
    /// rejoins by itself).
    fn recover(&mut self, viewer: ViewerId) -> Vec<StudioAction> {
        let Some(known) = self.viewers.get_mut(&viewer) else { return Vec::new() };
        if known.ice_restarted {
            return self.drop_viewer(viewer);
        }
        known.ice_restarted = true;
        vec![StudioAction::RestartIce { viewer }]
    }

    fn drop_viewer(&mut self, viewer: ViewerId) -> Vec<StudioAction> {
        match self.viewers.remove(&viewer) {
            Some(_) => vec![StudioAction::Disconnect { viewer }],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SdpType;

    fn id(s: &str) -> ViewerId {
        ViewerId(s.to_owned())
    }

    fn offer(sdp: &str) -> SessionDescription {
        SessionDescription { kind: SdpType::Offer, sdp: sdp.to_owned() }
    }

    fn joined(name: &str) -> StudioEvent {
        StudioEvent::Server(ServerMessage::NewViewer { viewer_id: id(name), name: Some(name.to_owned()) })
    }

    fn state(rules: &mut StudioRules, name: &str, state: PeerState) -> Vec<StudioAction> {
        rules.handle(StudioEvent::PeerStateChanged { viewer: id(name), state })
    }

    fn check(rules: &mut StudioRules, name: &str, check: Check) -> Vec<StudioAction> {
        rules.handle(StudioEvent::CheckDue { viewer: id(name), check })
    }

    /// Rules for a studio that is live, with `viewers` connected.
    fn live_with(viewers: &[&str]) -> StudioRules {
        let mut rules = StudioRules::default();
        rules.handle(StudioEvent::SignalingOpened);
        rules.handle(StudioEvent::Server(ServerMessage::StreamerReady { ice_servers: Vec::new() }));
        for v in viewers {
            rules.handle(joined(v));
            state(&mut rules, v, PeerState::Connected);
        }
        rules
    }

    #[test]
    fn registers_as_streamer_when_the_socket_opens_and_shows_live_when_ready() {
        let mut rules = StudioRules::default();
        assert_eq!(rules.handle(StudioEvent::SignalingOpened), vec![StudioAction::Send(ClientMessage::Streamer)]);
        let servers = vec![IceServer { urls: vec!["stun:x".into()], username: None, credential: None }];
        let ready = StudioEvent::Server(ServerMessage::StreamerReady { ice_servers: servers.clone() });
        assert_eq!(
            rules.handle(ready),
            vec![StudioAction::ShowLive, StudioAction::PrepareSpare { ice_servers: servers.clone(), after_ms: 0 }]
        );
        assert_eq!(rules.handle(StudioEvent::SignalingClosed), vec![StudioAction::ShowReconnecting]);
        // New connections use the ICE servers the server handed out.
        assert_eq!(
            rules.handle(joined("a")),
            vec![StudioAction::Connect { viewer: id("a"), name: Some("a".into()), ice_servers: servers }]
        );
    }

    #[test]
    fn a_spare_connection_waits_for_the_next_viewer_one_at_a_time_and_never_on_a_relayed_live() {
        let mut rules = StudioRules::default();
        let ready = || StudioEvent::Server(ServerMessage::StreamerReady { ice_servers: Vec::new() });
        let spare = |after_ms| StudioAction::PrepareSpare { ice_servers: Vec::new(), after_ms };
        let offered = |rules: &mut StudioRules, name: &str| {
            rules.handle(StudioEvent::OfferMade { viewer: id(name), offer: offer("o") }).split_off(1)
        };
        // Made as the live starts, once (registering again keeps it).
        assert_eq!(rules.handle(ready()), vec![StudioAction::ShowLive, spare(0)]);
        assert_eq!(rules.handle(ready()), vec![StudioAction::ShowLive]);
        // A joining viewer takes it; the next is made a while after that viewer's offer.
        rules.handle(joined("a"));
        rules.handle(joined("b"));
        assert_eq!(offered(&mut rules, "a"), vec![spare(SPARE_AFTER_OFFER_MS)]);
        assert_eq!(offered(&mut rules, "b"), vec![]);
        // The live moves to the relay: the spare goes, and none is made again.
        let to_relay = rules.handle(StudioEvent::Server(ServerMessage::UseRelay { reason: "r".into() }));
        assert!(to_relay.contains(&StudioAction::DropSpare), "{to_relay:?}");
        assert_eq!(rules.handle(ready()), vec![StudioAction::ShowLive]);
        // The next live starts peer to peer again, with a spare of its own.
        rules.handle(StudioEvent::Ending);
        assert_eq!(rules.handle(ready()), vec![StudioAction::ShowLive, spare(0)]);
        rules.handle(StudioEvent::Ending);
        assert_eq!(rules.handle(ready()), vec![StudioAction::ShowLive, spare(0)], "a live that ended has none left");
    }

    #[test]
    fn a_spare_that_waited_a_minute_is_made_anew_and_one_taken_is_not() {
        let mut rules = live_with(&[]);
        let tick = |rules: &mut StudioRules| {
            let out = rules.handle(StudioEvent::SecondTick);
            rules.handle(StudioEvent::Sampled { capacity: None });
            out.into_iter().filter(|a| *a != StudioAction::SampleViewers).collect::<Vec<_>>()
        };
        for _ in 1..SPARE_RENEW_AFTER_S {
            assert_eq!(tick(&mut rules), vec![]);
        }
        let renew = vec![StudioAction::DropSpare, StudioAction::PrepareSpare { ice_servers: Vec::new(), after_ms: 0 }];
        assert_eq!(tick(&mut rules), renew);
        // While a sampling round is under way too.
        rules.handle(StudioEvent::SecondTick);
        for _ in 2..SPARE_RENEW_AFTER_S {
            assert_eq!(rules.handle(StudioEvent::SecondTick), vec![]);
        }
        assert_eq!(rules.handle(StudioEvent::SecondTick), renew);
        // A viewer took it: nothing to renew until the next is asked for, which counts anew.
        rules.handle(joined("a"));
        for _ in 0..2 * SPARE_RENEW_AFTER_S {
            assert_eq!(tick(&mut rules), vec![]);
        }
        rules.handle(StudioEvent::OfferMade { viewer: id("a"), offer: offer("o") });
        for _ in 1..SPARE_RENEW_AFTER_S {
            assert_eq!(tick(&mut rules), vec![]);
        }
        assert_eq!(tick(&mut rules), renew);
    }

    #[test]
    fn a_new_viewer_gets_a_connection_and_an_offer() {
        let mut rules = live_with(&[]);
        assert_eq!(
            rules.handle(joined("a")),
            vec![StudioAction::Connect { viewer: id("a"), name: Some("a".into()), ice_servers: Vec::new() }]
        );
        assert_eq!(
            rules.handle(StudioEvent::OfferMade { viewer: id("a"), offer: offer("o") }),
            vec![
                StudioAction::Send(ClientMessage::Offer { offer: offer("o"), viewer_id: id("a") }),
                StudioAction::PrepareSpare { ice_servers: Vec::new(), after_ms: SPARE_AFTER_OFFER_MS },
            ]
        );
        let candidate =
            IceCandidate { candidate: "c".into(), sdp_mid: None, sdp_m_line_index: None, username_fragment: None };
        assert_eq!(
            rules.handle(StudioEvent::LocalCandidate { viewer: id("a"), candidate: candidate.clone() }),
            vec![StudioAction::Send(ClientMessage::Candidate {
                candidate,
                target: Target::Viewer,
                viewer_id: Some(id("a"))
            })]
        );
    }

    #[test]
    fn answers_and_candidates_go_to_known_viewers_only() {
        let mut rules = live_with(&["a"]);
        let answer = SessionDescription { kind: SdpType::Answer, sdp: "x".into() };
        let to = |v: &str| StudioEvent::Server(ServerMessage::Answer { answer: answer.clone(), viewer_id: id(v) });
        assert_eq!(rules.handle(to("a")), vec![StudioAction::ApplyAnswer { viewer: id("a"), answer: answer.clone() }]);
        assert_eq!(rules.handle(to("b")), vec![]);
        let candidate =
            IceCandidate { candidate: "c".into(), sdp_mid: None, sdp_m_line_index: None, username_fragment: None };
        let from = |v: &str, target| {
            StudioEvent::Server(ServerMessage::Candidate { candidate: candidate.clone(), target, viewer_id: id(v) })
        };
        assert_eq!(
            rules.handle(from("a", Target::Streamer)),
            vec![StudioAction::AddRemoteCandidate { viewer: id("a"), candidate: candidate.clone() }]
        );
        assert_eq!(rules.handle(from("a", Target::Viewer)), vec![]);
        assert_eq!(rules.handle(from("b", Target::Streamer)), vec![]);
    }

    #[test]
    fn a_failed_connection_gets_exactly_one_ice_restart_then_the_viewer_is_dropped() {
        let mut rules = live_with(&["a"]);
        // Not from inside the connection's own event handler.
        assert_eq!(
            state(&mut rules, "a", PeerState::Failed),
            vec![
                StudioAction::CheckLater { viewer: id("a"), check: Check::Failed, after_ms: 0 },
                StudioAction::ShowPeerState { viewer: id("a"), state: PeerState::Failed },
            ]
        );
        assert_eq!(check(&mut rules, "a", Check::Failed), vec![StudioAction::RestartIce { viewer: id("a") }]);
        assert_eq!(
            rules.handle(StudioEvent::OfferMade { viewer: id("a"), offer: offer("restart") })[0],
            StudioAction::Send(ClientMessage::Offer { offer: offer("restart"), viewer_id: id("a") })
        );
        state(&mut rules, "a", PeerState::Connecting);
        state(&mut rules, "a", PeerState::Failed);
        // The second failure lets the viewer go: it rejoins by itself.
        assert_eq!(check(&mut rules, "a", Check::Failed), vec![StudioAction::Disconnect { viewer: id("a") }]);
        assert_eq!(check(&mut rules, "a", Check::Failed), vec![]);
        assert_eq!(state(&mut rules, "a", PeerState::Closed), vec![]);
        // Joining again starts afresh, with a restart of its own.
        assert!(matches!(rules.handle(joined("a"))[..], [StudioAction::Connect { .. }]));
        state(&mut rules, "a", PeerState::Failed);
        assert_eq!(check(&mut rules, "a", Check::Failed), vec![StudioAction::RestartIce { viewer: id("a") }]);
    }

    #[test]
    fn a_connection_that_recovers_after_its_restart_is_kept() {
        let mut rules = live_with(&["a"]);
        state(&mut rules, "a", PeerState::Failed);
        assert_eq!(check(&mut rules, "a", Check::Failed), vec![StudioAction::RestartIce { viewer: id("a") }]);
        assert_eq!(
            state(&mut rules, "a", PeerState::Connected),
            vec![StudioAction::ShowPeerState { viewer: id("a"), state: PeerState::Connected }]
        );
        // Announced again (the viewer resumed), the working connection stays.
        assert_eq!(rules.handle(joined("a")), vec![]);
        assert_eq!(
            rules.handle(StudioEvent::Sampled { capacity: None }),
            vec![StudioAction::ReportCapacity { remaining: None }]
        );
    }

    #[test]
    fn a_long_interruption_gets_a_restart_and_a_blip_does_not() {
        let mut rules = live_with(&["a", "b"]);
        assert_eq!(
            state(&mut rules, "a", PeerState::Disconnected),
            vec![
                StudioAction::CheckLater {
                    viewer: id("a"),
                    check: Check::StillDisconnected,
                    after_ms: DISCONNECTED_GRACE_MS
                },
                StudioAction::ShowPeerState { viewer: id("a"), state: PeerState::Disconnected },
            ]
        );
        assert_eq!(
            check(&mut rules, "a", Check::StillDisconnected),
            vec![StudioAction::RestartIce { viewer: id("a") }]
        );
        state(&mut rules, "b", PeerState::Disconnected);
        state(&mut rules, "b", PeerState::Connected);
        assert_eq!(check(&mut rules, "b", Check::StillDisconnected), vec![]);
        // Failed meanwhile: the failure's own check recovers it, not the interruption's.
        state(&mut rules, "b", PeerState::Disconnected);
        state(&mut rules, "b", PeerState::Failed);
        assert_eq!(check(&mut rules, "b", Check::StillDisconnected), vec![]);
        assert_eq!(check(&mut rules, "b", Check::Failed), vec![StudioAction::RestartIce { viewer: id("b") }]);
    }

    #[test]
    fn a_resumed_viewer_keeps_a_working_connection_and_a_broken_one_is_replaced() {
        for working in [PeerState::New, PeerState::Connecting, PeerState::Connected, PeerState::Disconnected] {
            let mut rules = live_with(&["a"]);
            state(&mut rules, "a", working);
            assert_eq!(rules.handle(joined("a")), vec![], "{working:?}");
        }
        for broken in [PeerState::Failed, PeerState::Closed] {
            let mut rules = live_with(&["a"]);
            state(&mut rules, "a", broken);
            assert_eq!(
                rules.handle(joined("a")),
                vec![
                    StudioAction::Disconnect { viewer: id("a") },
                    StudioAction::Connect { viewer: id("a"), name: Some("a".into()), ice_servers: Vec::new() },
                ],
                "{broken:?}"
            );
        }
    }

    #[test]
    fn a_connection_that_cannot_be_created_is_forgotten() {
        let mut rules = live_with(&[]);
        rules.handle(joined("a"));
        assert_eq!(rules.handle(StudioEvent::ConnectFailed { viewer: id("a") }), vec![]);
        assert!(matches!(rules.handle(joined("a"))[..], [StudioAction::Connect { .. }]));
    }

    #[test]
    fn removal_asks_the_server_and_the_viewer_goes_when_it_leaves() {
        let mut rules = live_with(&["a"]);
        assert_eq!(
            rules.handle(StudioEvent::RemoveClicked { viewer: id("a") }),
            vec![StudioAction::Send(ClientMessage::RemoveViewer { viewer_id: id("a") })]
        );
        let left = StudioEvent::Server(ServerMessage::ViewerLeft { viewer_id: id("a") });
        assert_eq!(rules.handle(left.clone()), vec![StudioAction::Disconnect { viewer: id("a") }]);
        assert_eq!(rules.handle(left), vec![]);
    }

    #[test]
    fn capacity_is_reported_when_it_changes_and_again_after_a_reconnect() {
        let mut rules = live_with(&[]);
        let sampled = |c| StudioEvent::Sampled { capacity: c };
        assert_eq!(rules.handle(sampled(Some(3))), vec![StudioAction::ReportCapacity { remaining: Some(3) }]);
        // Not sent (the socket was closed): tried again next round.
        assert_eq!(rules.handle(sampled(Some(3))), vec![StudioAction::ReportCapacity { remaining: Some(3) }]);
        rules.handle(StudioEvent::CapacityReported { remaining: Some(3) });
        assert_eq!(rules.handle(sampled(Some(3))), vec![]);
        assert_eq!(rules.handle(sampled(None)), vec![StudioAction::ReportCapacity { remaining: None }]);
        rules.handle(StudioEvent::CapacityReported { remaining: None });
        assert_eq!(rules.handle(sampled(None)), vec![]);
        // A new connection to the server knows nothing yet.
        rules.handle(StudioEvent::SignalingOpened);
        assert_eq!(rules.handle(sampled(None)), vec![StudioAction::ReportCapacity { remaining: None }]);
    }

    #[test]
    fn one_sampling_round_at_a_time() {
        let mut rules = live_with(&[]);
        assert_eq!(rules.handle(StudioEvent::SecondTick), vec![StudioAction::SampleViewers]);
        assert_eq!(rules.handle(StudioEvent::SecondTick), vec![]);
        rules.handle(StudioEvent::Sampled { capacity: None });
        assert_eq!(rules.handle(StudioEvent::SecondTick), vec![StudioAction::SampleViewers]);
    }

    #[test]
    fn viewer_reports_go_to_their_rows() {
        let mut rules = live_with(&["a"]);
        let report = ViewerReport { fps: Some(30.0), ..ViewerReport::default() };
        assert_eq!(
            rules
                .handle(StudioEvent::Server(ServerMessage::ViewerStats { viewer_id: id("a"), report: report.clone() })),
            vec![StudioAction::ShowViewerReport { viewer: id("a"), report }]
        );
    }

    #[test]
    fn a_lost_session_or_a_takeover_ends_the_broadcast_and_other_refusals_are_logged() {
        let mut rules = live_with(&["a"]);
        let error = |code| StudioEvent::Server(ServerMessage::Error { code, message: "m".into() });
        assert_eq!(
            rules.handle(error(ErrorCode::Unauthorized)),
            vec![StudioAction::End { reason: SESSION_ENDED.into() }]
        );
        assert_eq!(rules.handle(error(ErrorCode::Replaced)), vec![StudioAction::End { reason: TAKEN_OVER.into() }]);
        assert_eq!(
            rules.handle(error(ErrorCode::RateLimited)),
            vec![StudioAction::LogRefusal { code: ErrorCode::RateLimited, message: "m".into() }]
        );
        assert_eq!(rules.handle(StudioEvent::Ending), vec![StudioAction::DisconnectAll]);
        assert_eq!(state(&mut rules, "a", PeerState::Failed), vec![]);
    }

    #[test]
    fn going_live_while_an_encoder_is_live_ends_with_the_servers_words() {
        let mut rules = StudioRules::default();
        rules.handle(StudioEvent::SignalingOpened);
        let refusal = ServerMessage::error(ErrorCode::ExternalLive, "ffmpeg is live on this server");
        assert_eq!(
            rules.handle(StudioEvent::Server(refusal)),
            vec![StudioAction::End { reason: "ffmpeg is live on this server".into() }]
        );
    }

    fn use_relay(rules: &mut StudioRules) -> Vec<StudioAction> {
        rules.handle(StudioEvent::Server(ServerMessage::UseRelay { reason: "relay mode is on".into() }))
    }

    fn publishes(out: &[StudioAction]) -> bool {
        out.iter().any(|a| matches!(a, StudioAction::Publish { .. }))
    }

    #[test]
    fn use_relay_publishes_once_and_shows_why() {
        let mut rules = live_with(&[]);
        let out = use_relay(&mut rules);
        assert!(publishes(&out));
        assert!(out.contains(&StudioAction::ShowRelay { reason: "relay mode is on".into() }));
        rules.handle(StudioEvent::PublishStateChanged { state: PeerState::Connected });
        let again = use_relay(&mut rules);
        assert!(!publishes(&again), "a working upload is kept when the server says it again");
        assert!(again.contains(&StudioAction::CheckUpload), "unless the relay forgot it (a server restart)");
    }

    #[test]
    fn a_failed_or_lost_upload_is_published_again() {
        let mut rules = live_with(&[]);
        use_relay(&mut rules);
        rules.handle(StudioEvent::PublishStateChanged { state: PeerState::Connected });
        for broken in [PeerState::Disconnected, PeerState::Failed] {
            assert!(publishes(&rules.handle(StudioEvent::PublishStateChanged { state: broken })), "{broken:?}");
        }
        let mut mesh = live_with(&[]);
        assert!(!publishes(&mesh.handle(StudioEvent::PublishStateChanged { state: PeerState::Failed })));
    }

    #[test]
    fn viewers_of_a_relayed_live_get_rows_without_connections() {
        let mut rules = live_with(&[]);
        use_relay(&mut rules);
        let out = rules.handle(joined("v1"));
        assert_eq!(out, vec![StudioAction::AddRelayRow { viewer: id("v1"), name: Some("v1".into()) }]);
        assert_eq!(rules.handle(joined("v1")), vec![], "announced again: the row stays");
        let out = rules.handle(StudioEvent::Server(ServerMessage::ViewerLeft { viewer_id: id("v1") }));
        assert_eq!(out, vec![StudioAction::Disconnect { viewer: id("v1") }], "its row goes when it leaves");
    }

    #[test]
    fn peer_to_peer_viewers_move_to_the_relay_without_ice_restarts() {
        let mut rules = live_with(&["v1", "v2"]);
        let out = use_relay(&mut rules);
        let grace: Vec<&StudioAction> =
            out.iter().filter(|a| matches!(a, StudioAction::CheckLater { check: Check::MovedToRelay, .. })).collect();
        assert_eq!(grace.len(), 2, "each moving viewer gets a deadline: {out:?}");
        // The viewer closed its old connection once the relay's frames decoded.
        assert_eq!(state(&mut rules, "v1", PeerState::Failed), vec![StudioAction::MoveToRelay { viewer: id("v1") }]);
        assert_eq!(state(&mut rules, "v1", PeerState::Closed), vec![], "moved once");
        assert_eq!(check(&mut rules, "v1", Check::MovedToRelay), vec![]);
        // The other never closed it: let it go at the deadline, keeping its row.
        assert_eq!(check(&mut rules, "v2", Check::MovedToRelay), vec![StudioAction::MoveToRelay { viewer: id("v2") }]);
        assert_eq!(check(&mut rules, "v2", Check::Failed), vec![], "no ICE restart for a relay viewer");
    }

    #[test]
    fn without_the_relay_a_failed_connection_still_restarts_ice() {
        let mut rules = live_with(&["v1"]);
        state(&mut rules, "v1", PeerState::Failed);
        assert_eq!(check(&mut rules, "v1", Check::Failed), vec![StudioAction::RestartIce { viewer: id("v1") }]);
    }

    #[test]
    fn the_relays_figures_fill_relay_rows_only() {
        let mut rules = live_with(&["p2p"]);
        use_relay(&mut rules);
        rules.handle(joined("r1"));
        let report = RelayReport { video_kbps: Some(1200.0), ..Default::default() };
        let figures =
            |v: &str| StudioEvent::Server(ServerMessage::RelayStats { viewer_id: id(v), report: report.clone() });
        assert_eq!(
            rules.handle(figures("r1")),
            vec![StudioAction::ShowRelayReport { viewer: id("r1"), report: report.clone() }]
        );
        assert_eq!(rules.handle(figures("p2p")), vec![], "a viewer still on its peer connection has its own figures");
        assert_eq!(rules.handle(figures("nobody")), vec![]);
    }
}
