//! The relay's pure core: which sessions exist, who publishes, which viewer gets which
//! track, when a viewer may start getting video (a keyframe) and when to ask the publisher
//! for one. Events in, decisions out; no sockets, no clock (times are given), no `Rtc`.

use crate::protocol::ViewerId;
use crate::server::media::keyframes::{request_gap, KeyframeThrottle};
use std::collections::HashMap;
use std::time::Duration;
use str0m::media::{MediaKind, Mid};

/// One relay session (one `Rtc`), numbered by the I/O layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// What a session does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// `owner` names who publishes (an admin account), for the one-publisher rule.
    Publisher { owner: String },
    /// `viewer_id` ties the session to a `/ws` viewer (counts, Remove, the studio's rows);
    /// outside WHEP players have none.
    Viewer { viewer_id: Option<ViewerId> },
}

/// Something the I/O layer must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayAction {
    /// Send a PLI for this incoming track of the publisher.
    RequestKeyframe { session: SessionId, mid: Mid },
    /// End this session (a replaced publisher, a removed viewer, one that never connected).
    Close { session: SessionId, reason: CloseReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Another publish took over.
    Replaced,
    /// The streamer removed this viewer.
    Removed,
    /// ICE never completed in time.
    NeverConnected,
    /// The live ended.
    LiveEnded,
}

impl CloseReason {
    /// Why, in words (an external encoder's live that ends this way says so).
    pub fn words(self) -> &'static str {
        match self {
            CloseReason::Replaced => "another publish took over",
            CloseReason::Removed => "removed from the live",
            CloseReason::NeverConnected => "it never connected (no ICE and DTLS within 15 s)",
            CloseReason::LiveEnded => "the live ended",
        }
    }
}

/// What the core needs to know of a frame that arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingFrame {
    pub keyframe: bool,
    /// No packet missing since the previous frame.
    pub contiguous: bool,
    /// Its size: a keyframe's sets how far apart keyframe requests must be.
    pub bytes: usize,
}

/// Where one frame of the publisher goes: each viewer and the track (mid) it gets it on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FrameRoute {
    pub targets: Vec<(SessionId, Mid)>,
    /// Ask the publisher for a keyframe (someone waits for one, or the stream broke).
    pub request_keyframe: bool,
}

/// How long a session may take to connect (ICE + DTLS) before it is dropped.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(15);

#[derive(Debug)]
struct Session {
    role: Role,
    created: Duration,
    connected: bool,
    /// Publisher: its incoming tracks. Viewer: the tracks it is sent on.
    audio: Option<Mid>,
    video: Option<Mid>,
    /// Viewer: a keyframe was forwarded since it (re)started, so deltas may follow.
    video_started: bool,
}

/// Every session of the relay and the one publisher's keyframe state.
#[derive(Debug, Default)]
pub struct RelayCore {
    sessions: HashMap<SessionId, Session>,
    publisher: Option<SessionId>,
    keyframes: KeyframeThrottle,
    /// The publisher's last keyframe, bytes (0 until one came).
    keyframe_bytes: usize,
    by_viewer: HashMap<ViewerId, SessionId>,
}

impl RelayCore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn publisher(&self) -> Option<SessionId> {
        self.publisher
    }

    pub fn role(&self, session: SessionId) -> Option<&Role> {
        self.sessions.get(&session).map(|s| &s.role)
    }

    /// Viewer sessions, connected or not.
    pub fn viewer_count(&self) -> usize {
        self.sessions.len() - usize::from(self.publisher.is_some())
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Whether `owner` may publish now: when someone else's publisher is connected, no (a
    /// second publisher would cut a live in progress); the same owner takes over.
    pub fn may_publish(&self, owner: &str) -> bool {
        let Some(current) = self.publisher.and_then(|p| self.sessions.get(&p)) else { return true };
        match &current.role {
            Role::Publisher { owner: o } => o == owner || !current.connected,
            Role::Viewer { .. } => true,
        }
    }

    /// The relay session of a `/ws` viewer.
    pub fn session_of(&self, viewer_id: &ViewerId) -> Option<SessionId> {
        self.by_viewer.get(viewer_id).copied()
    }

    /// The kind of a session's track (its audio or video mid).
    pub fn track_kind(&self, session: SessionId, mid: Mid) -> Option<MediaKind> {
        let s = self.sessions.get(&session)?;
        if s.video == Some(mid) {
            Some(MediaKind::Video)
        } else if s.audio == Some(mid) {
            Some(MediaKind::Audio)
        } else {
            None
        }
    }

    /// The `/ws` viewer a session plays for.
    pub fn viewer_of(&self, session: SessionId) -> Option<&ViewerId> {
        match &self.sessions.get(&session)?.role {
            Role::Viewer { viewer_id } => viewer_id.as_ref(),
            Role::Publisher { .. } => None,
        }
    }

    /// The `n` players that joined last (the first to go when the relay sheds load).
    pub fn newest_players(&self, n: usize) -> Vec<SessionId> {
        let mut players: Vec<(Duration, SessionId)> = self
            .sessions
            .iter()
            .filter(|(_, s)| matches!(s.role, Role::Viewer { .. }))
            .map(|(id, s)| (s.created, *id))
            .collect();
        players.sort_by(|a, b| b.cmp(a));
        players.into_iter().take(n).map(|(_, id)| id).collect()
    }

    /// Viewer sessions with their `/ws` viewer id, for the studio's rows.
    pub fn viewers(&self) -> impl Iterator<Item = (SessionId, Option<&ViewerId>)> {
        self.sessions.iter().filter_map(|(id, s)| match &s.role {
            Role::Viewer { viewer_id } => Some((*id, viewer_id.as_ref())),
            Role::Publisher { .. } => None,
        })
    }

    /// A session was created. A new publisher replaces the old one (the caller decided it
    /// may); a viewer id already playing moves to the new session (a replay after a reload).
    pub fn add(&mut self, id: SessionId, role: Role, now: Duration) -> Vec<RelayAction> {
        let mut out = Vec::new();
        match &role {
            Role::Publisher { .. } => {
                if let Some(old) = self.publisher.replace(id) {
                    self.sessions.remove(&old);
                    out.push(RelayAction::Close { session: old, reason: CloseReason::Replaced });
                }
                self.keyframes = KeyframeThrottle::default();
                self.keyframe_bytes = 0;
                // Whatever viewers decoded came from the old encoder: wait for the new one's keyframe.
                for s in self.sessions.values_mut() {
                    s.video_started = false;
                }
            }
            Role::Viewer { viewer_id: Some(v) } => {
                if let Some(old) = self.by_viewer.insert(v.clone(), id) {
                    self.sessions.remove(&old);
                    out.push(RelayAction::Close { session: old, reason: CloseReason::Replaced });
                }
            }
            Role::Viewer { viewer_id: None } => {}
        }
        let session = Session { role, created: now, connected: false, audio: None, video: None, video_started: false };
        self.sessions.insert(id, session);
        out
    }

    /// A session ended (closed by us, by its peer, or it failed).
    pub fn remove(&mut self, id: SessionId) {
        let Some(s) = self.sessions.remove(&id) else { return };
        match s.role {
            Role::Publisher { .. } => {
                if self.publisher == Some(id) {
                    self.publisher = None;
                }
            }
            Role::Viewer { viewer_id: Some(v) } => {
                if self.by_viewer.get(&v) == Some(&id) {
                    self.by_viewer.remove(&v);
                }
            }
            Role::Viewer { viewer_id: None } => {}
        }
    }

    /// The streamer removed a viewer: its session ends at once.
    pub fn remove_viewer(&mut self, viewer_id: &ViewerId) -> Vec<RelayAction> {
        let Some(id) = self.by_viewer.get(viewer_id).copied() else { return Vec::new() };
        self.remove(id);
        vec![RelayAction::Close { session: id, reason: CloseReason::Removed }]
    }

    /// The live ended: every session goes.
    pub fn end_live(&mut self) -> Vec<RelayAction> {
        let ids: Vec<SessionId> = self.sessions.keys().copied().collect();
        ids.into_iter()
            .map(|id| {
                self.remove(id);
                RelayAction::Close { session: id, reason: CloseReason::LiveEnded }
            })
            .collect()
    }

    /// ICE and DTLS are up for `id`.
    pub fn connected(&mut self, id: SessionId, now: Duration) -> Vec<RelayAction> {
        let Some(s) = self.sessions.get_mut(&id) else { return Vec::new() };
        s.connected = true;
        self.keyframe_for_viewer(id, now)
    }

    /// The SDP gave `id` a track: incoming for the publisher, outgoing for a viewer.
    pub fn track(&mut self, id: SessionId, mid: Mid, kind: MediaKind, now: Duration) -> Vec<RelayAction> {
        let Some(s) = self.sessions.get_mut(&id) else { return Vec::new() };
        match kind {
            MediaKind::Audio => s.audio = s.audio.or(Some(mid)),
            MediaKind::Video => s.video = s.video.or(Some(mid)),
        }
        if matches!(s.role, Role::Publisher { .. }) && kind == MediaKind::Video {
            // Viewers that were waiting for the publisher's video want its first keyframe.
            let waiting = self.sessions.values().any(|v| v.connected && v.video.is_some() && !v.video_started);
            return if waiting { self.ask_keyframe(now) } else { Vec::new() };
        }
        if kind == MediaKind::Video {
            return self.keyframe_for_viewer(id, now);
        }
        Vec::new()
    }

    /// A frame arrived from `from`. Frames from anyone but the publisher go nowhere.
    pub fn frame(&mut self, from: SessionId, mid: Mid, frame: IncomingFrame, now: Duration) -> FrameRoute {
        let IncomingFrame { keyframe, contiguous, bytes } = frame;
        let mut route = FrameRoute::default();
        if self.publisher != Some(from) {
            return route;
        }
        let Some(publisher) = self.sessions.get(&from) else { return route };
        let kind = if publisher.video == Some(mid) {
            MediaKind::Video
        } else if publisher.audio == Some(mid) {
            MediaKind::Audio
        } else {
            return route;
        };
        let mut someone_waits = false;
        for (id, s) in self.sessions.iter_mut() {
            if *id == from || !s.connected {
                continue;
            }
            match kind {
                MediaKind::Audio => {
                    if let Some(out) = s.audio {
                        route.targets.push((*id, out));
                    }
                }
                MediaKind::Video => {
                    let Some(out) = s.video else { continue };
                    if keyframe {
                        s.video_started = true;
                    }
                    if s.video_started {
                        route.targets.push((*id, out));
                    } else {
                        // A delta frame without its keyframe decodes as grey smear.
                        someone_waits = true;
                    }
                }
            }
        }
        if kind == MediaKind::Video {
            if keyframe {
                self.keyframes.satisfied();
                self.keyframe_bytes = bytes;
            }
            // A gap in the publisher's stream breaks every decoder until the next keyframe.
            if someone_waits || !contiguous {
                let gap = self.keyframe_request_gap();
                route.request_keyframe = self.keyframes.ask(now, gap);
            }
        }
        route
    }

    /// A viewer's decoder asks for a keyframe (its PLI/FIR): passed on to the publisher, throttled.
    pub fn viewer_wants_keyframe(&mut self, id: SessionId, now: Duration) -> Vec<RelayAction> {
        match self.sessions.get(&id) {
            Some(s) if matches!(s.role, Role::Viewer { .. }) => self.ask_keyframe(now),
            _ => Vec::new(),
        }
    }

    /// Timer work: owed keyframe requests, sessions that never connected.
    pub fn tick(&mut self, now: Duration) -> Vec<RelayAction> {
        let mut out: Vec<RelayAction> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.connected && now >= s.created + CONNECT_DEADLINE)
            .map(|(id, _)| RelayAction::Close { session: *id, reason: CloseReason::NeverConnected })
            .collect();
        for action in &out {
            if let RelayAction::Close { session, .. } = action {
                self.remove(*session);
            }
        }
        let gap = self.keyframe_request_gap();
        if self.keyframes.due(now, gap) {
            out.extend(self.keyframe_request());
        }
        out
    }

    /// When [`RelayCore::tick`] has work next (an owed keyframe request).
    pub fn next_keyframe_due(&self) -> Option<Duration> {
        self.keyframes.next_due()
    }

    fn keyframe_for_viewer(&mut self, id: SessionId, now: Duration) -> Vec<RelayAction> {
        let Some(s) = self.sessions.get(&id) else { return Vec::new() };
        if matches!(s.role, Role::Viewer { .. }) && s.connected && s.video.is_some() && !s.video_started {
            self.ask_keyframe(now)
        } else {
            Vec::new()
        }
    }

    fn ask_keyframe(&mut self, now: Duration) -> Vec<RelayAction> {
        if self.keyframe_request().is_empty() {
            return Vec::new(); // no publisher video yet: asked for when it arrives
        }
        let gap = self.keyframe_request_gap();
        if self.keyframes.ask(now, gap) {
            self.keyframe_request()
        } else {
            Vec::new()
        }
    }

    /// How long after a keyframe request the next must wait: longer the more viewers each
    /// keyframe goes to (`keyframes::request_gap`).
    fn keyframe_request_gap(&self) -> Duration {
        let viewers = self
            .sessions
            .values()
            .filter(|s| s.connected && s.video.is_some() && matches!(s.role, Role::Viewer { .. }))
            .count();
        request_gap(self.keyframe_bytes, viewers)
    }

    fn keyframe_request(&self) -> Vec<RelayAction> {
        let Some(p) = self.publisher else { return Vec::new() };
        let Some(mid) = self.sessions.get(&p).and_then(|s| s.video) else { return Vec::new() };
        vec![RelayAction::RequestKeyframe { session: p, mid }]
    }
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
