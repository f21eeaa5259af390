//! What the hub and the socket layer exchange: connection ids and departures in; actions, events and status out.

use crate::protocol::{ErrorCode, ServerMessage, ViewerId};

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
    /// The streamer removed this viewer: its relay session must end too.
    ViewerRemoved { viewer_id: ViewerId },
    /// An external encoder (WHIP with a stream key) went live; `client` names it.
    ExternalLiveStarted { client: String },
    /// The studio ended the external encoder's live: the relay must delete its session.
    IngestEndRequested,
}

pub type Outbox = Vec<Action>;

/// How a connection ended, as far as the socket layer could tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Departure {
    /// A normal close: for the streamer, the live ended.
    Clean,
    /// Dropped, reset, reaped or going away (a page reload): the streamer may come back.
    Lost,
}

/// A snapshot for pages and health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubStatus {
    pub live: bool,
    pub viewers: usize,
    pub connections: usize,
}

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

/// How media reaches viewers (`--relay`, and whether the relay could start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MediaPlan {
    /// Peer to peer only (`--relay off`, or the relay could not start).
    #[default]
    MeshOnly,
    /// Every viewer through the relay (`--relay on`).
    RelayAlways,
    /// Peer to peer until the live has `mesh_max_viewers` viewers or the studio's uplink is
    /// full, then the relay for the rest of the live (`--relay auto`).
    Auto { mesh_max_viewers: usize },
}

/// One error message to one connection: the whole outbox of a refusal.
pub(super) fn error(to: ConnId, code: ErrorCode, message: impl Into<String>) -> Outbox {
    vec![Action::Send { to, msg: ServerMessage::error(code, message) }]
}
