//! Connection states shown on the pages: one enum each, mapped to words and `data-state`.

/// What a viewer's player is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamStatus {
    /// No streamer is connected; waiting for one.
    Offline,
    /// The stream is live and the player is negotiating or buffering.
    Connecting,
    /// Video is arriving.
    Live,
    /// The signaling or media connection dropped; trying again.
    Reconnecting,
    /// The stream admits no more viewers right now; trying again by itself.
    Full,
    /// The streamer took this viewer off the live; it may watch the next one.
    Removed,
    /// The connection failed and this network gave it no relay route (no TURN candidate):
    /// it cannot connect from here; still trying, in case the network changes.
    Unreachable,
    /// The stream's codec is one this browser cannot decode (the relay said so, `406`):
    /// the page shows the relay's sentence instead of a black picture.
    Unplayable,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Offline => "offline",
            StreamStatus::Connecting => "connecting",
            StreamStatus::Live => "live",
            StreamStatus::Reconnecting => "reconnecting",
            StreamStatus::Full => "full",
            StreamStatus::Removed => "removed",
            StreamStatus::Unreachable => "unreachable",
            StreamStatus::Unplayable => "unplayable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StreamStatus::Offline => "Offline — the stream starts here as soon as it goes live",
            StreamStatus::Connecting => "Connecting…",
            StreamStatus::Live => "Live",
            StreamStatus::Reconnecting => "Reconnecting…",
            StreamStatus::Full => "The stream is full — trying again",
            StreamStatus::Removed => "Removed from this live",
            StreamStatus::Unreachable => "Cannot connect from this network",
            StreamStatus::Unplayable => "This browser cannot play this stream",
        }
    }
}

/// What the studio (admin page) is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BroadcastStatus {
    Off,
    /// Asking for the camera and registering as streamer.
    Starting,
    Live,
    /// The signaling socket dropped while live; viewers keep playing meanwhile.
    Reconnecting,
}

impl BroadcastStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastStatus::Off => "off",
            BroadcastStatus::Starting => "starting",
            BroadcastStatus::Live => "live",
            BroadcastStatus::Reconnecting => "reconnecting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BroadcastStatus::Off => "Not live",
            BroadcastStatus::Starting => "Starting…",
            BroadcastStatus::Live => "Live",
            BroadcastStatus::Reconnecting => "Reconnecting to the server…",
        }
    }
}

/// A viewer's peer connection as the studio shows it (`RTCPeerConnection.connectionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    New,
    Connecting,
    Connected,
    /// Often a blip that heals by itself.
    Disconnected,
    Failed,
    Closed,
}

impl PeerState {
    /// The browser's own word for the state, also the row's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::New => "new",
            PeerState::Connecting => "connecting",
            PeerState::Connected => "connected",
            PeerState::Disconnected => "disconnected",
            PeerState::Failed => "failed",
            PeerState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeerState::New => "Waiting",
            PeerState::Connecting => "Connecting",
            PeerState::Connected => "Watching",
            PeerState::Disconnected => "Interrupted",
            PeerState::Failed => "Failed",
            PeerState::Closed => "Closed",
        }
    }
}

/// The ICE agent's state beside the overall one (`RTCPeerConnection.iceConnectionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IceState {
    New,
    Checking,
    Connected,
    Completed,
    Disconnected,
    Failed,
    Closed,
}

impl IceState {
    /// The browser's own word for the state, shown as is.
    pub fn as_str(self) -> &'static str {
        match self {
            IceState::New => "new",
            IceState::Checking => "checking",
            IceState::Connected => "connected",
            IceState::Completed => "completed",
            IceState::Disconnected => "disconnected",
            IceState::Failed => "failed",
            IceState::Closed => "closed",
        }
    }
}
