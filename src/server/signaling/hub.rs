//! The room state machine: who is connected in which role, and who gets which message.
//!
//! No sockets, tasks or clocks in here: the socket layer feeds events in and delivers the
//! returned [`Outbox`]. Every routing rule is therefore a plain unit test.

use crate::protocol::{ClientMessage, ErrorCode, IceServer, ServerMessage, Target, ViewerId, ViewerReport};
use crate::server::signaling::resume::ResumeKey;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// One WebSocket connection, numbered by the socket layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Something the socket layer must do after an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Send {
        to: ConnId,
        msg: ServerMessage,
    },
    /// The same message to many connections: serialize it once.
    Broadcast {
        to: Vec<ConnId>,
        msg: ServerMessage,
    },
    /// Close this connection (after what was sent to it before).
    Close {
        conn: ConnId,
    },
    /// Something observers (history, metrics) want to know; nothing is sent for it.
    Event(HubEvent),
}

/// A change in who is connected, for observers outside the signaling path.
/// Carries no time: whoever receives it stamps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubEvent {
    /// A streamer registered while none was live (a takeover by another admin socket is not one).
    LiveStarted,
    /// The streamer's socket went away: the stream is offline.
    LiveEnded,
    /// A connection became a viewer, live or not. `name` is the cleaned display name.
    ViewerJoined { viewer_id: ViewerId, name: Option<String> },
    /// A viewer's socket went away.
    ViewerLeft { viewer_id: ViewerId },
}

pub type Outbox = Vec<Action>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    /// Connected, no role taken yet.
    Pending,
    Viewer {
        name: Option<String>,
    },
    Streamer,
    /// Taken off the current live by the streamer; back to `Pending` when that live ends.
    Removed,
}

#[derive(Debug)]
struct Conn {
    /// Set by the socket layer from the admin session cookie at upgrade.
    is_admin: bool,
    /// Set by the socket layer: the watch code was proven (or none is needed, or an admin).
    may_watch: bool,
    /// Assigned when the socket connects; used once the connection becomes a viewer.
    viewer_id: ViewerId,
    role: Role,
    /// When this connection's last `viewerStats` was accepted.
    last_stats: Option<Duration>,
}

/// How long after one viewer count broadcast the next may go out, for this many viewers:
/// each broadcast is one message to every viewer, and with a large audience that burst of
/// writes every second delays the offer→answer exchanges of viewers joining meanwhile.
/// Every second up to 2,000 viewers, then a second more per thousand, at most every 10 s.
pub fn viewer_count_interval(viewers: usize) -> Duration {
    Duration::from_secs((viewers / 1000).clamp(1, 10) as u64)
}

/// A snapshot for pages and health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubStatus {
    pub live: bool,
    pub viewers: usize,
    pub connections: usize,
}

const MAX_NAME_CHARS: usize = 40;
/// A viewer reports every 2 s; anything faster than this is refused.
pub const VIEWER_STATS_EVERY: Duration = Duration::from_secs(1);

/// How many viewers the stream admits (`--max-viewers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ViewerCap {
    #[default]
    Unlimited,
    Fixed(usize),
    /// As many as the streamer's uplink serves at the current quality, by the estimate the
    /// studio reports in `capacity` messages.
    Auto,
}

pub struct Hub {
    ice_servers: Vec<IceServer>,
    conns: HashMap<ConnId, Conn>,
    streamer: Option<ConnId>,
    viewers: HashMap<ViewerId, ConnId>,
    /// The count last broadcast, so that a storm of joins becomes one message per flush.
    count_sent: usize,
    /// When it was broadcast (hub clock), for [`viewer_count_interval`].
    count_sent_at: Option<Duration>,
    cap: ViewerCap,
    /// The streamer's latest estimate of how many more viewers it can serve.
    capacity_remaining: Option<u32>,
    /// Monotonic time given by the socket layer ([`Hub::advance`]).
    now: Duration,
    resume_key: ResumeKey,
    /// Viewers the streamer removed from the current live: they may not resume into it.
    removed_ids: HashSet<ViewerId>,
}

/// How a connection ended, as far as the socket layer could tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Departure {
    /// A normal close: for the streamer, the live ended.
    Clean,
    /// Dropped, reset, reaped or going away (a page reload): the streamer may come back.
    Lost,
}

impl Hub {
    pub fn new(ice_servers: Vec<IceServer>) -> Self {
        Hub {
            ice_servers,
            conns: HashMap::new(),
            streamer: None,
            viewers: HashMap::new(),
            count_sent: 0,
            count_sent_at: None,
            cap: ViewerCap::Unlimited,
            capacity_remaining: None,
            now: Duration::ZERO,
            resume_key: ResumeKey::random(),
            removed_ids: HashSet::new(),
        }
    }

    /// The key resume tokens are signed with; keep it across restarts so viewers resume.
    pub fn with_resume_key(mut self, key: ResumeKey) -> Self {
        self.resume_key = key;
        self
    }

    pub fn with_viewer_cap(mut self, cap: ViewerCap) -> Self {
        self.cap = cap;
        self
    }

    /// The current time, for rate caps. The hub never reads a clock itself.
    pub fn advance(&mut self, now: Duration) {
        self.now = self.now.max(now);
    }

    pub fn status(&self) -> HubStatus {
        HubStatus { live: self.streamer.is_some(), viewers: self.viewers.len(), connections: self.conns.len() }
    }

    /// Whether `conn` is the current streamer (its message budget grows with the viewers).
    pub fn is_streamer(&self, conn: ConnId) -> bool {
        self.streamer == Some(conn)
    }

    /// A socket opened. `viewer_id` is the fresh, unguessable id it gets if it becomes a viewer.
    pub fn connect(&mut self, conn: ConnId, viewer_id: ViewerId, is_admin: bool, may_watch: bool) {
        self.conns.insert(conn, Conn { is_admin, may_watch, viewer_id, role: Role::Pending, last_stats: None });
    }

    /// A socket closed normally: forget it and tell whoever needs to know.
    pub fn disconnect(&mut self, conn: ConnId) -> Outbox {
        self.depart(conn, Departure::Clean)
    }

    /// A socket closed; a streamer that was `Lost` leaves viewers playing what they have and
    /// waiting for it to come back, instead of ending the live for them.
    pub fn depart(&mut self, conn: ConnId, how: Departure) -> Outbox {
        let Some(c) = self.conns.remove(&conn) else { return Vec::new() };
        match c.role {
            Role::Pending | Role::Removed => Vec::new(),
            Role::Viewer { .. } => {
                self.viewers.remove(&c.viewer_id);
                tracing::debug!(viewer = %c.viewer_id, "viewer left");
                let mut out = vec![Action::Event(HubEvent::ViewerLeft { viewer_id: c.viewer_id.clone() })];
                if let Some(s) = self.streamer {
                    out.push(Action::Send { to: s, msg: ServerMessage::ViewerLeft { viewer_id: c.viewer_id } });
                }
                out
            }
            Role::Streamer => {
                self.streamer = None;
                self.capacity_remaining = None;
                self.removed_ids.clear();
                let mut out = vec![Action::Event(HubEvent::LiveEnded)];
                if how == Departure::Lost {
                    tracing::info!("streamer connection lost; viewers wait for it");
                    out.extend(self.to_all_viewers(ServerMessage::StreamerLost));
                } else {
                    tracing::info!("streamer left; stream offline");
                    out.extend(self.to_all_viewers(ServerMessage::Offline));
                }
                // Whoever was removed from this live may join the next one.
                let removed: Vec<ConnId> = self
                    .conns
                    .iter_mut()
                    .filter(|(_, c)| c.role == Role::Removed)
                    .map(|(id, c)| {
                        c.role = Role::Pending;
                        *id
                    })
                    .collect();
                if !removed.is_empty() {
                    out.push(Action::Broadcast { to: removed, msg: ServerMessage::Offline });
                }
                out
            }
        }
    }

    /// One decoded message from a connection.
    pub fn handle(&mut self, conn: ConnId, msg: ClientMessage) -> Outbox {
        let Some(c) = self.conns.get(&conn) else { return Vec::new() };
        let role = c.role.clone();
        match (msg, role) {
            (ClientMessage::Streamer, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "this connection is already a viewer")
            }
            (ClientMessage::Streamer, _) if !c.is_admin => {
                error(conn, ErrorCode::Unauthorized, "only a signed-in admin can stream: sign in at /login")
            }
            (ClientMessage::Streamer, _) => self.register_streamer(conn),
            (ClientMessage::Viewer { .. }, Role::Pending) if !c.may_watch => {
                error(conn, ErrorCode::CodeRequired, "this stream needs a code: enter it at /watch")
            }
            (ClientMessage::Viewer { name, resume_token }, Role::Pending) => {
                self.register_viewer(conn, name, resume_token)
            }
            (ClientMessage::Viewer { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "this connection is already a viewer")
            }
            (ClientMessage::Viewer { .. }, Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "the streamer cannot also be a viewer")
            }
            (ClientMessage::Viewer { .. }, Role::Removed) => error(
                conn,
                ErrorCode::WrongRole,
                "the streamer removed you from this live; you can watch again when the next live starts",
            ),
            (ClientMessage::ViewerStats(report), Role::Viewer { .. }) => self.viewer_stats(conn, report),
            (ClientMessage::ViewerStats(_), Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "only viewers send viewer statistics")
            }
            (ClientMessage::RemoveViewer { viewer_id }, Role::Streamer) => self.remove_viewer(conn, viewer_id),
            (ClientMessage::Capacity { remaining }, Role::Streamer) => {
                self.capacity_remaining = remaining;
                Vec::new()
            }
            (ClientMessage::RemoveViewer { .. } | ClientMessage::Capacity { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "only the streamer manages viewers")
            }
            (ClientMessage::Offer { offer, viewer_id }, Role::Streamer) => {
                self.to_viewer(conn, viewer_id, |viewer_id| ServerMessage::Offer { offer, viewer_id })
            }
            (ClientMessage::Candidate { candidate, viewer_id, .. }, Role::Streamer) => {
                let Some(viewer_id) = viewer_id else {
                    return error(
                        conn,
                        ErrorCode::InvalidMessage,
                        "a candidate from the streamer needs the viewerId it is for",
                    );
                };
                self.to_viewer(conn, viewer_id, |viewer_id| ServerMessage::Candidate {
                    candidate,
                    target: Target::Viewer,
                    viewer_id,
                })
            }
            (ClientMessage::Answer { .. }, Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "the streamer sends offers, not answers")
            }
            (ClientMessage::Answer { answer, .. }, Role::Viewer { .. }) => {
                let viewer_id = self.conns[&conn].viewer_id.clone();
                self.to_streamer(conn, ServerMessage::Answer { answer, viewer_id })
            }
            (ClientMessage::Candidate { target: Target::Viewer, .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "a viewer can only send candidates to the streamer")
            }
            (ClientMessage::Candidate { candidate, .. }, Role::Viewer { .. }) => {
                let viewer_id = self.conns[&conn].viewer_id.clone();
                self.to_streamer(conn, ServerMessage::Candidate { candidate, target: Target::Streamer, viewer_id })
            }
            (ClientMessage::Offer { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "only the streamer sends offers")
            }
            (
                ClientMessage::Offer { .. }
                | ClientMessage::Answer { .. }
                | ClientMessage::Candidate { .. }
                | ClientMessage::ViewerStats(_)
                | ClientMessage::RemoveViewer { .. }
                | ClientMessage::Capacity { .. },
                Role::Pending | Role::Removed,
            ) => error(conn, ErrorCode::NotRegistered, "send {\"type\":\"viewer\"} or {\"type\":\"streamer\"} first"),
        }
    }

    /// Broadcasts the viewer count if it changed since the last flush and the last broadcast
    /// is [`viewer_count_interval`] old. The socket layer calls this on a timer, which coalesces
    /// join and leave storms into one message per tick.
    pub fn flush_viewer_count(&mut self) -> Outbox {
        let count = self.viewers.len();
        if count == self.count_sent {
            return Vec::new();
        }
        if self.count_sent_at.is_some_and(|at| self.now < at + viewer_count_interval(count)) {
            return Vec::new();
        }
        self.count_sent = count;
        self.count_sent_at = Some(self.now);
        let to: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.role, Role::Viewer { .. } | Role::Streamer))
            .map(|(id, _)| *id)
            .collect();
        if to.is_empty() {
            return Vec::new();
        }
        vec![Action::Broadcast { to, msg: ServerMessage::ViewerCount { count } }]
    }

    fn register_streamer(&mut self, conn: ConnId) -> Outbox {
        let mut out = Vec::new();
        if let Some(old) = self.streamer.filter(|old| *old != conn) {
            tracing::info!("a new admin connection takes over the stream");
            if let Some(c) = self.conns.get_mut(&old) {
                c.role = Role::Pending;
            }
            out.push(Action::Send {
                to: old,
                msg: ServerMessage::error(ErrorCode::Replaced, "another admin connection took over the stream"),
            });
            out.push(Action::Close { conn: old });
        }
        let was_live = self.streamer.is_some();
        if !was_live {
            self.capacity_remaining = None;
            out.push(Action::Event(HubEvent::LiveStarted));
        }
        self.streamer = Some(conn);
        self.conns.get_mut(&conn).expect("caller checked").role = Role::Streamer;
        tracing::info!(waiting_viewers = self.viewers.len(), "streamer registered; stream live");
        out.push(Action::Send {
            to: conn,
            msg: ServerMessage::StreamerReady { ice_servers: self.ice_servers.clone() },
        });
        out.push(Action::Send { to: conn, msg: ServerMessage::ViewerCount { count: self.viewers.len() } });
        let mut waiting: Vec<(ConnId, &Conn)> = self.viewers.values().map(|id| (*id, &self.conns[id])).collect();
        waiting.sort_by_key(|(id, _)| *id);
        for (_, c) in waiting {
            let Role::Viewer { name } = &c.role else { continue };
            out.push(Action::Send {
                to: conn,
                msg: ServerMessage::NewViewer { viewer_id: c.viewer_id.clone(), name: name.clone() },
            });
        }
        // A takeover also tells viewers, so they drop connections to the old streamer.
        if !was_live || out.iter().any(|a| matches!(a, Action::Close { .. })) {
            out.extend(self.to_all_viewers(ServerMessage::Live));
        }
        out
    }

    fn register_viewer(&mut self, conn: ConnId, name: Option<String>, resume_token: Option<String>) -> Outbox {
        let resumed = resume_token.as_deref().and_then(|t| self.resume_key.verify(t));
        let mut out = Vec::new();
        if let Some(id) = &resumed {
            if self.removed_ids.contains(id) {
                let c = self.conns.get_mut(&conn).expect("caller checked");
                c.viewer_id = id.clone();
                c.role = Role::Removed;
                return vec![Action::Send { to: conn, msg: ServerMessage::Removed }];
            }
            // The same viewer on a socket that has not noticed it is gone: this one replaces it.
            if let Some(old) = self.viewers.remove(id).filter(|old| *old != conn) {
                if let Some(c) = self.conns.get_mut(&old) {
                    c.role = Role::Pending;
                }
                out.push(Action::Event(HubEvent::ViewerLeft { viewer_id: id.clone() }));
                out.push(Action::Close { conn: old });
            }
            self.conns.get_mut(&conn).expect("caller checked").viewer_id = id.clone();
            tracing::debug!(viewer = %id, "viewer resumed");
        }
        // A resuming viewer is already watching: it is not turned away.
        if let Some(reason) = self.admission_refusal().filter(|_| resumed.is_none()) {
            tracing::debug!(conn = conn.0, "viewer refused: stream full");
            return error(conn, ErrorCode::Full, reason);
        }
        if self.cap == ViewerCap::Auto && self.streamer.is_some() {
            // Until the studio's next estimate, count this viewer against the last one.
            self.capacity_remaining = self.capacity_remaining.map(|n| n.saturating_sub(1));
        }
        let name = name.as_deref().and_then(clean_name);
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.role = Role::Viewer { name: name.clone() };
        let viewer_id = c.viewer_id.clone();
        self.viewers.insert(viewer_id.clone(), conn);
        tracing::debug!(viewer = %viewer_id, name = name.as_deref().unwrap_or(""), "viewer joined");
        out.extend([
            Action::Event(HubEvent::ViewerJoined { viewer_id: viewer_id.clone(), name: name.clone() }),
            Action::Send {
                to: conn,
                msg: ServerMessage::Welcome {
                    viewer_id: viewer_id.clone(),
                    ice_servers: self.ice_servers.clone(),
                    resume_token: self.resume_key.token(&viewer_id),
                },
            },
            Action::Send { to: conn, msg: ServerMessage::ViewerCount { count: self.viewers.len() } },
        ]);
        match self.streamer {
            Some(s) => {
                out.push(Action::Send { to: conn, msg: ServerMessage::Live });
                out.push(Action::Send { to: s, msg: ServerMessage::NewViewer { viewer_id, name } });
            }
            // A resuming viewer was watching a live this server has not seen end.
            None if resumed.is_some() => out.push(Action::Send { to: conn, msg: ServerMessage::StreamerLost }),
            None => out.push(Action::Send { to: conn, msg: ServerMessage::Offline }),
        }
        out
    }

    /// Why a new viewer cannot be admitted now, in words, or `None`.
    fn admission_refusal(&self) -> Option<String> {
        match self.cap {
            ViewerCap::Unlimited => None,
            ViewerCap::Fixed(max) if self.viewers.len() >= max => {
                Some(format!("the stream is full ({max} viewers); try again in a moment"))
            }
            ViewerCap::Fixed(_) => None,
            ViewerCap::Auto if self.streamer.is_some() && self.capacity_remaining == Some(0) => Some(
                "the stream is full: the streamer's connection cannot serve more viewers at this quality; try again in a moment"
                    .to_owned(),
            ),
            ViewerCap::Auto => None,
        }
    }

    fn viewer_stats(&mut self, conn: ConnId, report: ViewerReport) -> Outbox {
        if !report.is_plausible() {
            return error(conn, ErrorCode::InvalidMessage, "viewer statistics out of range");
        }
        let now = self.now;
        let c = self.conns.get_mut(&conn).expect("caller checked");
        if c.last_stats.is_some_and(|last| now.saturating_sub(last) < VIEWER_STATS_EVERY) {
            return error(conn, ErrorCode::RateLimited, "viewer statistics are accepted at most once per second");
        }
        c.last_stats = Some(now);
        let viewer_id = c.viewer_id.clone();
        match self.streamer {
            Some(to) => vec![Action::Send { to, msg: ServerMessage::ViewerStats { viewer_id, report } }],
            // Nobody to tell; not the viewer's fault.
            None => Vec::new(),
        }
    }

    fn remove_viewer(&mut self, from: ConnId, viewer_id: ViewerId) -> Outbox {
        let Some(conn) = self.viewers.remove(&viewer_id) else {
            return error(from, ErrorCode::UnknownViewer, format!("no viewer {viewer_id} is connected"));
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.role = Role::Removed;
        }
        self.removed_ids.insert(viewer_id.clone());
        tracing::info!(viewer = %viewer_id, "viewer removed by the streamer");
        vec![
            Action::Event(HubEvent::ViewerLeft { viewer_id: viewer_id.clone() }),
            Action::Send { to: conn, msg: ServerMessage::Removed },
            Action::Send { to: from, msg: ServerMessage::ViewerLeft { viewer_id } },
        ]
    }

    fn to_viewer(&self, from: ConnId, viewer_id: ViewerId, make: impl FnOnce(ViewerId) -> ServerMessage) -> Outbox {
        match self.viewers.get(&viewer_id) {
            Some(to) => vec![Action::Send { to: *to, msg: make(viewer_id) }],
            None => error(from, ErrorCode::UnknownViewer, format!("no viewer {viewer_id} is connected")),
        }
    }

    fn to_streamer(&self, from: ConnId, msg: ServerMessage) -> Outbox {
        match self.streamer {
            Some(to) => vec![Action::Send { to, msg }],
            None => error(from, ErrorCode::NoStreamer, "the stream is offline"),
        }
    }

    fn to_all_viewers(&self, msg: ServerMessage) -> Outbox {
        if self.viewers.is_empty() {
            return Vec::new();
        }
        vec![Action::Broadcast { to: self.viewers.values().copied().collect(), msg }]
    }
}

fn error(to: ConnId, code: ErrorCode, message: impl Into<String>) -> Outbox {
    vec![Action::Send { to, msg: ServerMessage::error(code, message) }]
}

/// A display name as shown to the streamer: trimmed, no control characters, bounded.
fn clean_name(raw: &str) -> Option<String> {
    let name: String =
        raw.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect::<String>().trim().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{IceCandidate, SdpType, SessionDescription};

    const ADMIN: ConnId = ConnId(1);

    fn hub() -> Hub {
        Hub::new(vec![IceServer { urls: vec!["stun:stun.example".into()], username: None, credential: None }])
    }

    fn vid(n: u64) -> ViewerId {
        ViewerId(format!("viewer-{n}"))
    }

    fn sdp(kind: SdpType) -> SessionDescription {
        SessionDescription { kind, sdp: "v=0\r\n".into() }
    }

    fn cand() -> IceCandidate {
        IceCandidate {
            candidate: "candidate:1".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        }
    }

    /// Every message `to` receives in an outbox, in order.
    fn received(out: &Outbox, to: ConnId) -> Vec<ServerMessage> {
        out.iter()
            .filter_map(|a| match a {
                Action::Send { to: t, msg } if *t == to => Some(msg.clone()),
                Action::Broadcast { to: ts, msg } if ts.contains(&to) => Some(msg.clone()),
                _ => None,
            })
            .collect()
    }

    fn error_code(out: &Outbox, to: ConnId) -> Option<ErrorCode> {
        received(out, to).into_iter().find_map(|m| match m {
            ServerMessage::Error { code, .. } => Some(code),
            _ => None,
        })
    }

    fn join_viewer(h: &mut Hub, n: u64) -> Outbox {
        h.connect(ConnId(n), vid(n), false, true);
        h.handle(ConnId(n), ClientMessage::Viewer { name: None, resume_token: None })
    }

    fn go_live(h: &mut Hub) -> Outbox {
        h.connect(ADMIN, vid(1), true, true);
        h.handle(ADMIN, ClientMessage::Streamer)
    }

    #[test]
    fn viewer_before_streamer_waits_offline_then_is_announced() {
        let mut h = hub();
        let out = join_viewer(&mut h, 10);
        let got = received(&out, ConnId(10));
        assert!(
            matches!(&got[0], ServerMessage::Welcome { viewer_id, ice_servers, .. } if *viewer_id == vid(10) && ice_servers.len() == 1)
        );
        assert_eq!(got[1], ServerMessage::ViewerCount { count: 1 });
        assert_eq!(got[2], ServerMessage::Offline);

        let out = go_live(&mut h);
        let admin = received(&out, ADMIN);
        assert!(matches!(admin[0], ServerMessage::StreamerReady { .. }));
        assert!(admin.contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
        assert!(h.status().live);
    }

    #[test]
    fn streamer_gets_new_viewer_for_every_waiting_viewer_in_join_order() {
        let mut h = hub();
        for n in [30, 10, 20] {
            join_viewer(&mut h, n);
        }
        let out = go_live(&mut h);
        let announced: Vec<ViewerId> = received(&out, ADMIN)
            .into_iter()
            .filter_map(|m| match m {
                ServerMessage::NewViewer { viewer_id, .. } => Some(viewer_id),
                _ => None,
            })
            .collect();
        assert_eq!(announced, vec![vid(10), vid(20), vid(30)]);
    }

    #[test]
    fn viewer_joining_a_live_stream_is_announced_with_its_name() {
        let mut h = hub();
        go_live(&mut h);
        h.connect(ConnId(5), vid(5), false, true);
        let out =
            h.handle(ConnId(5), ClientMessage::Viewer { name: Some("  Alice\u{7}  ".into()), resume_token: None });
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::NewViewer { viewer_id: vid(5), name: Some("Alice".into()) }]
        );
        assert!(received(&out, ConnId(5)).contains(&ServerMessage::Live));
    }

    #[test]
    fn client_chosen_viewer_id_is_only_a_name() {
        let mut h = hub();
        go_live(&mut h);
        h.connect(ConnId(5), vid(5), false, true);
        let out = h.handle(ConnId(5), ClientMessage::Viewer { name: Some("viewer-9".into()), resume_token: None });
        match &received(&out, ConnId(5))[0] {
            ServerMessage::Welcome { viewer_id, .. } => assert_eq!(*viewer_id, vid(5)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn long_names_are_cut_and_blank_names_dropped() {
        assert_eq!(clean_name(&"é".repeat(100)).unwrap().chars().count(), MAX_NAME_CHARS);
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name("\n\t"), None);
    }

    #[test]
    fn offer_answer_and_candidates_are_routed_between_streamer_and_viewer() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);

        let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) });
        assert_eq!(
            received(&out, ConnId(11)),
            vec![ServerMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) }]
        );
        assert!(received(&out, ConnId(10)).is_empty());

        let out = h.handle(
            ADMIN,
            ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: Some(vid(10)) },
        );
        assert_eq!(
            received(&out, ConnId(10)),
            vec![ServerMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: vid(10) }]
        );

        let out = h.handle(ConnId(11), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(11) }]
        );

        let out = h.handle(
            ConnId(10),
            ClientMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: None },
        );
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: vid(10) }]
        );
    }

    #[test]
    fn viewer_cannot_answer_for_another_viewer() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out =
            h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: Some(vid(11)) });
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(10) }]
        );
        let out = h.handle(
            ConnId(10),
            ClientMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: Some(vid(11)) },
        );
        assert!(
            matches!(&received(&out, ADMIN)[0], ServerMessage::Candidate { viewer_id, .. } if *viewer_id == vid(10))
        );
    }

    #[test]
    fn viewer_cannot_reach_other_viewers_or_send_offers() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out = h.handle(ConnId(10), ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) });
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
        assert!(received(&out, ConnId(11)).is_empty());
        let out = h.handle(
            ConnId(10),
            ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: Some(vid(11)) },
        );
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
        assert!(received(&out, ConnId(11)).is_empty());
    }

    #[test]
    fn viewer_without_admin_session_cannot_take_the_streamer_role() {
        let mut h = hub();
        h.connect(ConnId(7), vid(7), false, true);
        let out = h.handle(ConnId(7), ClientMessage::Streamer);
        assert_eq!(error_code(&out, ConnId(7)), Some(ErrorCode::Unauthorized));
        assert!(!h.status().live);
        // The connection stays usable as a viewer.
        let out = h.handle(ConnId(7), ClientMessage::Viewer { name: None, resume_token: None });
        assert!(matches!(received(&out, ConnId(7))[0], ServerMessage::Welcome { .. }));
        // …and, once a viewer, cannot switch roles even with a session.
        let out = h.handle(ConnId(7), ClientMessage::Streamer);
        assert_eq!(error_code(&out, ConnId(7)), Some(ErrorCode::WrongRole));
    }

    #[test]
    fn a_connection_without_the_watch_code_cannot_become_a_viewer() {
        let mut h = hub();
        go_live(&mut h);
        h.connect(ConnId(8), vid(8), false, false);
        let out = h.handle(ConnId(8), ClientMessage::Viewer { name: None, resume_token: None });
        assert_eq!(error_code(&out, ConnId(8)), Some(ErrorCode::CodeRequired));
        assert!(received(&out, ADMIN).is_empty(), "the streamer hears of no one");
        assert_eq!(h.status().viewers, 0);
    }

    #[test]
    fn messages_before_registration_are_refused() {
        let mut h = hub();
        go_live(&mut h);
        h.connect(ConnId(3), vid(3), false, true);
        let out = h.handle(ConnId(3), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(error_code(&out, ConnId(3)), Some(ErrorCode::NotRegistered));
        assert!(received(&out, ADMIN).is_empty());
    }

    #[test]
    fn streamer_errors_name_the_problem() {
        let mut h = hub();
        go_live(&mut h);
        let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(99) });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
        let out =
            h.handle(ADMIN, ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: None });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::InvalidMessage));
        let out = h.handle(ADMIN, ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
        let out = h.handle(ADMIN, ClientMessage::Viewer { name: None, resume_token: None });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
    }

    #[test]
    fn answer_while_offline_says_so() {
        let mut h = hub();
        join_viewer(&mut h, 10);
        let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::NoStreamer));
    }

    #[test]
    fn second_admin_connection_takes_over_and_the_old_one_is_closed() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        let second = ConnId(2);
        h.connect(second, vid(2), true, true);
        let out = h.handle(second, ClientMessage::Streamer);
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::Replaced));
        assert!(out.contains(&Action::Close { conn: ADMIN }));
        assert!(received(&out, second).contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
        // The replaced socket's close must not take the stream offline.
        let out = h.disconnect(ADMIN);
        assert!(out.is_empty());
        assert!(h.status().live);
        let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(received(&out, second).len(), 1);
    }

    #[test]
    fn streamer_registering_again_gets_the_viewer_list_again() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        let out = h.handle(ADMIN, ClientMessage::Streamer);
        assert!(received(&out, ADMIN).contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
        assert!(!out.iter().any(|a| matches!(a, Action::Close { .. })));
        assert!(received(&out, ConnId(10)).is_empty(), "viewers are not told twice");
    }

    #[test]
    fn closed_viewer_is_reported_to_the_streamer_and_forgotten() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        let out = h.disconnect(ConnId(10));
        assert_eq!(received(&out, ADMIN), vec![ServerMessage::ViewerLeft { viewer_id: vid(10) }]);
        assert_eq!(h.status(), HubStatus { live: true, viewers: 0, connections: 1 });
        let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(10) });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
        assert!(h.disconnect(ConnId(10)).is_empty(), "a second close is harmless");
    }

    #[test]
    fn closed_streamer_sends_viewers_offline_and_a_new_one_brings_them_back() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out = h.disconnect(ADMIN);
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Offline]);
        assert_eq!(received(&out, ConnId(11)), vec![ServerMessage::Offline]);
        assert!(!h.status().live);
        let out = go_live(&mut h);
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
        assert_eq!(received(&out, ADMIN).iter().filter(|m| matches!(m, ServerMessage::NewViewer { .. })).count(), 2);
    }

    #[test]
    fn viewer_count_is_coalesced_into_one_broadcast_per_flush() {
        let mut h = hub();
        go_live(&mut h);
        assert!(h.flush_viewer_count().is_empty(), "nothing changed yet");
        for n in 10..1010 {
            let out = join_viewer(&mut h, n);
            let messages = out.iter().filter(|a| !matches!(a, Action::Event(_))).count();
            assert!(messages <= 4, "a join is O(1) messages, not O(N)");
        }
        let out = h.flush_viewer_count();
        assert_eq!(out.len(), 1);
        match &out[0] {
            Action::Broadcast { to, msg } => {
                assert_eq!(*msg, ServerMessage::ViewerCount { count: 1000 });
                assert_eq!(to.len(), 1001, "every viewer and the streamer");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(h.flush_viewer_count().is_empty());
        h.disconnect(ConnId(10));
        assert!(h.flush_viewer_count().is_empty(), "within a second of the last count");
        h.advance(Duration::from_secs(1));
        assert_eq!(received(&h.flush_viewer_count(), ADMIN), vec![ServerMessage::ViewerCount { count: 999 }]);
    }

    #[test]
    fn large_audiences_get_the_count_less_often() {
        assert_eq!(viewer_count_interval(0), Duration::from_secs(1));
        assert_eq!(viewer_count_interval(1999), Duration::from_secs(1));
        assert_eq!(viewer_count_interval(5000), Duration::from_secs(5));
        assert_eq!(viewer_count_interval(50_000), Duration::from_secs(10));
        let mut h = hub();
        go_live(&mut h);
        for n in 10..5010 {
            join_viewer(&mut h, n);
        }
        assert_eq!(h.flush_viewer_count().len(), 1);
        join_viewer(&mut h, 6000);
        h.advance(Duration::from_secs(4));
        assert!(h.flush_viewer_count().is_empty(), "5,001 viewers: every 5 s");
        h.advance(Duration::from_secs(5));
        assert!(matches!(
            h.flush_viewer_count()[..],
            [Action::Broadcast { msg: ServerMessage::ViewerCount { count: 5001 }, .. }]
        ));
    }

    #[test]
    fn pending_connections_do_not_count_and_leave_no_trace() {
        let mut h = hub();
        h.connect(ConnId(4), vid(4), false, true);
        assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 1 });
        assert!(h.disconnect(ConnId(4)).is_empty());
        assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 0 });
    }

    #[test]
    fn everything_is_forgotten_after_everyone_leaves() {
        let mut h = hub();
        go_live(&mut h);
        for n in 10..20 {
            join_viewer(&mut h, n);
        }
        for n in 10..20 {
            h.disconnect(ConnId(n));
        }
        h.disconnect(ADMIN);
        assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 0 });
        assert!(h.viewers.is_empty());
    }

    fn events(out: &Outbox) -> Vec<HubEvent> {
        out.iter()
            .filter_map(|a| match a {
                Action::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn events_follow_a_live_with_viewers_coming_and_going() {
        let mut h = hub();
        h.connect(ConnId(10), vid(10), false, true);
        let out = h.handle(ConnId(10), ClientMessage::Viewer { name: Some(" Ann ".into()), resume_token: None });
        assert_eq!(events(&out), vec![HubEvent::ViewerJoined { viewer_id: vid(10), name: Some("Ann".into()) }]);
        assert_eq!(events(&go_live(&mut h)), vec![HubEvent::LiveStarted]);
        assert_eq!(events(&join_viewer(&mut h, 11)), vec![HubEvent::ViewerJoined { viewer_id: vid(11), name: None }]);
        assert_eq!(events(&h.disconnect(ConnId(10))), vec![HubEvent::ViewerLeft { viewer_id: vid(10) }]);
        assert_eq!(events(&h.disconnect(ADMIN)), vec![HubEvent::LiveEnded]);
        // A viewer leaving while offline is still an event; messages only go to a streamer.
        let out = h.disconnect(ConnId(11));
        assert_eq!(events(&out), vec![HubEvent::ViewerLeft { viewer_id: vid(11) }]);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_takeover_or_a_second_registration_is_not_a_new_live() {
        let mut h = hub();
        go_live(&mut h);
        assert!(events(&h.handle(ADMIN, ClientMessage::Streamer)).is_empty());
        let second = ConnId(2);
        h.connect(second, vid(2), true, true);
        assert!(events(&h.handle(second, ClientMessage::Streamer)).is_empty());
        assert!(events(&h.disconnect(ADMIN)).is_empty(), "the replaced socket ends nothing");
        assert_eq!(events(&h.disconnect(second)), vec![HubEvent::LiveEnded]);
        assert_eq!(events(&go_live(&mut h)), vec![HubEvent::LiveStarted], "a later live is a new one");
    }

    #[test]
    fn refused_and_pending_connections_make_no_events() {
        let mut h = hub();
        h.connect(ConnId(7), vid(7), false, true);
        assert!(events(&h.handle(ConnId(7), ClientMessage::Streamer)).is_empty());
        go_live(&mut h);
        join_viewer(&mut h, 10);
        assert!(events(&h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None })).is_empty());
        assert!(events(&h.disconnect(ConnId(7))).is_empty());
        assert!(events(&h.disconnect(ConnId(99))).is_empty());
    }

    fn report(fps: f64) -> ViewerReport {
        ViewerReport { fps: Some(fps), frames_decoded: Some(100), ..Default::default() }
    }

    #[test]
    fn viewer_stats_reach_the_streamer_attributed_and_rate_capped() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        h.advance(Duration::from_secs(10));
        let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(30.0)));
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::ViewerStats { viewer_id: vid(10), report: report(30.0) }]
        );
        h.advance(Duration::from_millis(10_500));
        let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(29.0)));
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::RateLimited));
        assert!(received(&out, ADMIN).is_empty());
        h.advance(Duration::from_secs(12));
        let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(28.0)));
        assert_eq!(received(&out, ADMIN).len(), 1);
    }

    #[test]
    fn implausible_or_misplaced_viewer_stats_are_refused() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(-1.0)));
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::InvalidMessage));
        let out = h.handle(ADMIN, ClientMessage::ViewerStats(report(30.0)));
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
        h.connect(ConnId(3), vid(3), false, true);
        let out = h.handle(ConnId(3), ClientMessage::ViewerStats(report(30.0)));
        assert_eq!(error_code(&out, ConnId(3)), Some(ErrorCode::NotRegistered));
    }

    #[test]
    fn removed_viewer_is_told_cannot_rejoin_this_live_but_can_the_next() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out = h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
        assert_eq!(events(&out), vec![HubEvent::ViewerLeft { viewer_id: vid(10) }], "history sees a leave");
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Removed]);
        assert_eq!(received(&out, ADMIN), vec![ServerMessage::ViewerLeft { viewer_id: vid(10) }]);
        assert!(received(&out, ConnId(11)).is_empty());
        assert_eq!(h.status().viewers, 1);
        let out = h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None });
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
        let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert!(received(&out, ADMIN).is_empty(), "a removed viewer reaches no one");
        let out = h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
        assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
        let out = h.disconnect(ADMIN);
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Offline]);
        let out = h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None });
        assert!(matches!(received(&out, ConnId(10))[0], ServerMessage::Welcome { .. }));
        // Its socket closing later is not a second leave.
        let mut h2 = hub();
        go_live(&mut h2);
        join_viewer(&mut h2, 10);
        h2.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
        assert!(events(&h2.disconnect(ConnId(10))).is_empty());
    }

    #[test]
    fn only_the_streamer_removes_viewers_or_reports_capacity() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out = h.handle(ConnId(10), ClientMessage::RemoveViewer { viewer_id: vid(11) });
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
        assert!(received(&out, ConnId(11)).is_empty());
        let out = h.handle(ConnId(10), ClientMessage::Capacity { remaining: Some(0) });
        assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
    }

    #[test]
    fn a_fixed_cap_refuses_viewers_beyond_it_until_one_leaves() {
        let mut h = hub().with_viewer_cap(ViewerCap::Fixed(2));
        go_live(&mut h);
        join_viewer(&mut h, 10);
        join_viewer(&mut h, 11);
        let out = join_viewer(&mut h, 12);
        assert_eq!(error_code(&out, ConnId(12)), Some(ErrorCode::Full));
        assert!(received(&out, ADMIN).is_empty());
        assert!(events(&out).is_empty(), "a refused viewer never joined");
        assert_eq!(h.status().viewers, 2);
        h.disconnect(ConnId(10));
        let out = h.handle(ConnId(12), ClientMessage::Viewer { name: None, resume_token: None });
        assert!(matches!(received(&out, ConnId(12))[0], ServerMessage::Welcome { .. }));
    }

    #[test]
    fn auto_cap_follows_the_streamers_estimate() {
        let mut h = hub().with_viewer_cap(ViewerCap::Auto);
        go_live(&mut h);
        join_viewer(&mut h, 10);
        h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(1) });
        let out = join_viewer(&mut h, 11);
        assert!(matches!(received(&out, ConnId(11))[0], ServerMessage::Welcome { .. }));
        // The one free place is taken until the studio estimates again.
        let out = join_viewer(&mut h, 12);
        assert_eq!(error_code(&out, ConnId(12)), Some(ErrorCode::Full));
        h.handle(ADMIN, ClientMessage::Capacity { remaining: None });
        let out = h.handle(ConnId(12), ClientMessage::Viewer { name: None, resume_token: None });
        assert!(matches!(received(&out, ConnId(12))[0], ServerMessage::Welcome { .. }));
        // A new live starts without an estimate.
        h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
        h.disconnect(ADMIN);
        go_live(&mut h);
        let out = join_viewer(&mut h, 13);
        assert!(matches!(received(&out, ConnId(13))[0], ServerMessage::Welcome { .. }));
    }

    #[test]
    fn without_a_cap_capacity_reports_change_nothing() {
        let mut h = hub();
        go_live(&mut h);
        h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
        let out = join_viewer(&mut h, 10);
        assert!(matches!(received(&out, ConnId(10))[0], ServerMessage::Welcome { .. }));
    }

    fn token_of(out: &Outbox, conn: ConnId) -> String {
        received(out, conn)
            .into_iter()
            .find_map(|m| match m {
                ServerMessage::Welcome { resume_token, .. } => Some(resume_token),
                _ => None,
            })
            .expect("a welcome")
    }

    fn resume(h: &mut Hub, conn: ConnId, token: &str) -> Outbox {
        h.connect(conn, vid(conn.0), false, true);
        h.handle(conn, ClientMessage::Viewer { name: None, resume_token: Some(token.to_owned()) })
    }

    #[test]
    fn a_resuming_viewer_keeps_its_id_and_is_announced_again() {
        let key = ResumeKey::new([1; 32]);
        let mut h = hub().with_resume_key(key.clone());
        go_live(&mut h);
        let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
        h.depart(ConnId(10), Departure::Lost);
        let out = resume(&mut h, ConnId(20), &token);
        assert!(
            matches!(&received(&out, ConnId(20))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(10))
        );
        assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(10), name: None }]);
        assert_eq!(h.status().viewers, 1);

        // After a server restart (a new hub with the same key) the token still works, and
        // with no streamer yet the viewer keeps playing and waits.
        let mut restarted = hub().with_resume_key(key);
        let out = resume(&mut restarted, ConnId(3), &token);
        let got = received(&out, ConnId(3));
        assert!(matches!(&got[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(10)));
        assert!(got.contains(&ServerMessage::StreamerLost), "{got:?}");
        assert!(!got.contains(&ServerMessage::Offline));
    }

    #[test]
    fn a_forged_token_just_gets_a_fresh_id() {
        let mut h = hub();
        go_live(&mut h);
        let theirs = token_of(&join_viewer(&mut h, 10), ConnId(10));
        let forged = theirs.replacen("viewer-10", "viewer-11", 1);
        let out = resume(&mut h, ConnId(30), &forged);
        assert!(
            matches!(&received(&out, ConnId(30))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(30))
        );
        let foreign = ResumeKey::new([9; 32]).token(&vid(10));
        let out = resume(&mut h, ConnId(31), &foreign);
        assert!(
            matches!(&received(&out, ConnId(31))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(31))
        );
        assert_eq!(h.status().viewers, 3, "viewer 10 was not displaced");
    }

    #[test]
    fn resuming_over_a_stale_socket_closes_it_without_a_second_leave() {
        let mut h = hub();
        go_live(&mut h);
        let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
        let out = resume(&mut h, ConnId(20), &token);
        assert!(out.contains(&Action::Close { conn: ConnId(10) }));
        assert_eq!(events(&out)[0], HubEvent::ViewerLeft { viewer_id: vid(10) });
        let out = h.depart(ConnId(10), Departure::Lost);
        assert!(out.is_empty(), "the stale socket's close is not news: {out:?}");
        assert_eq!(h.status().viewers, 1);
        let out = h.handle(ConnId(20), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
        assert_eq!(
            received(&out, ADMIN),
            vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(10) }]
        );
    }

    #[test]
    fn a_lost_streamer_leaves_viewers_waiting_instead_of_ending_the_live() {
        let mut h = hub();
        go_live(&mut h);
        join_viewer(&mut h, 10);
        let out = h.depart(ADMIN, Departure::Lost);
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::StreamerLost]);
        assert_eq!(events(&out), vec![HubEvent::LiveEnded]);
        assert!(!h.status().live);
        let out = go_live(&mut h);
        assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
    }

    #[test]
    fn a_removed_viewer_cannot_resume_into_the_same_live() {
        let mut h = hub();
        go_live(&mut h);
        let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
        h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
        h.depart(ConnId(10), Departure::Lost);
        let out = resume(&mut h, ConnId(20), &token);
        assert_eq!(received(&out, ConnId(20)), vec![ServerMessage::Removed]);
        assert!(received(&out, ADMIN).is_empty());
        // The next live takes it back.
        h.disconnect(ADMIN);
        go_live(&mut h);
        h.depart(ConnId(20), Departure::Lost);
        let out = resume(&mut h, ConnId(21), &token);
        assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(10), name: None }]);
    }
}
