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

/// Words for an `RTCPeerConnection.connectionState`.
pub fn peer_state_label(state: &str) -> &'static str {
    match state {
        "new" => "Waiting",
        "connecting" => "Connecting",
        "connected" => "Watching",
        "disconnected" => "Interrupted",
        "failed" => "Failed",
        "closed" => "Closed",
        _ => "Unknown",
    }
}
