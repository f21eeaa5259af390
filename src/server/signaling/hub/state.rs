//! The hub's state, and the connection lifecycle: building it, connecting and departing.

use crate::protocol::{IceServer, ServerMessage, ViewerId};
use crate::server::signaling::hub::encoder::ExternalLive;
use crate::server::signaling::hub::interface::{
    Action, ConnId, Departure, HubEvent, HubStatus, MediaPlan, Outbox, ViewerCap,
};
use crate::server::signaling::hub::negotiation::Negotiation;
use crate::server::signaling::hub::removals::Removals;
use crate::server::signaling::resume::{Device, ResumeKey};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// Connected, no role taken yet.
    Pending,
    Viewer {
        name: Option<String>,
    },
    Streamer,
    /// An admin socket watching the dashboard of an external encoder's live.
    Studio,
    /// Taken off the current live by the streamer; back to `Pending` when that live ends.
    Removed,
}

#[derive(Debug)]
pub(super) struct Conn {
    /// Set by the socket layer from the admin session cookie at upgrade.
    pub(super) is_admin: bool,
    /// Set by the socket layer: the watch code was proven (or none is needed, or an admin).
    pub(super) may_watch: bool,
    /// Assigned when the socket connects; used once the connection becomes a viewer.
    pub(super) viewer_id: ViewerId,
    pub(super) role: Role,
    /// When this connection's last `viewerStats` was accepted.
    pub(super) last_stats: Option<Duration>,
    /// What it may send the streamer in the negotiation in progress.
    pub(super) negotiation: Negotiation,
    /// Where it comes from, and the browser's device cookie (set by the socket layer).
    pub(super) address: Option<IpAddr>,
    pub(super) device: Option<Device>,
}

/// How long after its socket dropped (or the server restarted) a viewer may resume.
pub const RESUME_WINDOW: Duration = Duration::from_secs(5 * 60);

/// A live, as far as resumes and removals go. It outlasts a lost streamer for the resume
/// window: a studio reload is the same live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Live {
    pub(super) id: u64,
    /// When its streamer's socket was lost (hub clock), while it is away.
    pub(super) lost_at: Option<Duration>,
}

/// A viewer whose socket went away: when, and during which live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Departed {
    pub(super) at: Duration,
    pub(super) live: Option<u64>,
}

/// The signaling room: every connection and its role, the streamer and its viewers.
pub struct Hub {
    pub(super) ice_servers: Vec<IceServer>,
    pub(super) conns: HashMap<ConnId, Conn>,
    pub(super) streamer: Option<ConnId>,
    pub(super) viewers: HashMap<ViewerId, ConnId>,
    /// The count last broadcast, so that a storm of joins becomes one message per flush.
    pub(super) count_sent: usize,
    /// When it was broadcast (hub clock), for `viewer_count_interval`.
    pub(super) count_sent_at: Option<Duration>,
    pub(super) cap: ViewerCap,
    /// The streamer's latest estimate of how many more viewers it can serve.
    pub(super) capacity_remaining: Option<u32>,
    /// Monotonic time given by the socket layer ([`Hub::advance`]).
    pub(super) now: Duration,
    pub(super) resume_key: ResumeKey,
    /// This server run, named in the resume tokens it issues.
    pub(super) run: u64,
    pub(super) resume_window: Duration,
    /// The live in progress, or lost and still resumable.
    pub(super) live: Option<Live>,
    pub(super) lives_started: u64,
    /// Viewers whose socket went away within the resume window.
    pub(super) departed: HashMap<ViewerId, Departed>,
    pub(super) departures_pruned_at: Duration,
    /// Whom the streamer removed from the live: they stay out until it ends.
    pub(super) removals: Removals,
    /// Unix seconds at hub time zero, for comparing with device cookies.
    pub(super) wall_start: u64,
    /// Peer to peer, the relay, or peer to peer until the mesh is full (`--relay`).
    pub(super) media_plan: MediaPlan,
    /// Why this live goes through the relay, once it does (kept across a lost streamer).
    pub(super) relay_reason: Option<String>,
    /// The external encoder that is live, if one is (then `streamer` is `None`).
    pub(super) external: Option<ExternalLive>,
    /// Admin sockets watching the dashboard (`studio`).
    pub(super) studios: BTreeSet<ConnId>,
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
            run: rand::random(),
            resume_window: RESUME_WINDOW,
            live: None,
            lives_started: 0,
            departed: HashMap::new(),
            departures_pruned_at: Duration::ZERO,
            removals: Removals::default(),
            wall_start: 0,
            media_plan: MediaPlan::MeshOnly,
            relay_reason: None,
            external: None,
            studios: BTreeSet::new(),
        }
    }

    /// How long after a socket dropped its viewer may resume (shorter in tests).
    pub fn with_resume_window(mut self, window: Duration) -> Self {
        self.resume_window = window;
        self
    }

    /// The Unix time at hub time zero (device cookies carry Unix times).
    pub fn with_wall_start(mut self, unix_secs: u64) -> Self {
        self.wall_start = unix_secs;
        self
    }

    /// Unix seconds now, by the hub's clock.
    pub(super) fn wall_now(&self) -> u64 {
        self.wall_start + self.now.as_secs()
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
        self.forget_old_departures();
    }

    pub fn status(&self) -> HubStatus {
        HubStatus {
            live: self.streamer.is_some() || self.external.is_some(),
            viewers: self.viewers.len(),
            connections: self.conns.len(),
        }
    }

    /// Whether `conn` is the current streamer (its message budget grows with the viewers).
    pub fn is_streamer(&self, conn: ConnId) -> bool {
        self.streamer == Some(conn)
    }

    /// A socket opened. `viewer_id` is the fresh, unguessable id it gets if it becomes a viewer.
    pub fn connect(&mut self, conn: ConnId, viewer_id: ViewerId, is_admin: bool, may_watch: bool) {
        let negotiation = Negotiation::default();
        let c = Conn {
            is_admin,
            may_watch,
            viewer_id,
            role: Role::Pending,
            last_stats: None,
            negotiation,
            address: None,
            device: None,
        };
        self.conns.insert(conn, c);
    }

    /// Where a socket comes from and the device cookie it brought, for keeping removed
    /// viewers out.
    pub fn identify(&mut self, conn: ConnId, address: IpAddr, device: Option<Device>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.address = Some(address);
            c.device = device;
        }
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
            Role::Studio => {
                self.studios.remove(&conn);
                Vec::new()
            }
            Role::Viewer { .. } => {
                self.viewers.remove(&c.viewer_id);
                self.departed(c.viewer_id.clone());
                tracing::debug!(viewer = %c.viewer_id, "viewer left");
                let mut out = vec![Action::Event(HubEvent::ViewerLeft { viewer_id: c.viewer_id.clone() })];
                out.extend(self.to_dashboards(ServerMessage::ViewerLeft { viewer_id: c.viewer_id }));
                out
            }
            Role::Streamer => self.streamer_left(how),
        }
    }

    /// The streamer is gone (its socket closed, or its session ended): the stream is offline.
    pub(super) fn streamer_left(&mut self, how: Departure) -> Outbox {
        self.streamer = None;
        self.capacity_remaining = None;
        let mut out = vec![Action::Event(HubEvent::LiveEnded)];
        if how == Departure::Lost {
            tracing::info!("streamer connection lost; viewers wait for it");
            // The same live if it comes back within the resume window: removals stand.
            if let Some(live) = &mut self.live {
                live.lost_at = Some(self.now);
            }
            out.extend(self.to_all_viewers(ServerMessage::StreamerLost));
            return out;
        }
        tracing::info!("streamer left; stream offline");
        self.live = None;
        // The next live starts peer to peer again (unless the relay is always on).
        self.relay_reason = None;
        out.extend(self.to_all_viewers(ServerMessage::Offline));
        out.extend(self.release_removed());
        out
    }

    /// The live is over: whoever was removed from it may join the next one.
    pub(super) fn release_removed(&mut self) -> Outbox {
        self.removals.clear();
        let removed: Vec<ConnId> = self
            .conns
            .iter_mut()
            .filter(|(_, c)| c.role == Role::Removed)
            .map(|(id, c)| {
                c.role = Role::Pending;
                *id
            })
            .collect();
        if removed.is_empty() {
            return Vec::new();
        }
        vec![Action::Broadcast { to: removed, msg: ServerMessage::Offline }]
    }
}
