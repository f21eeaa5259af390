//! What a client sends, and the JSON `type` of each kind.

use crate::protocol::ids::ViewerId;
use crate::protocol::report::ViewerReport;
use crate::protocol::webrtc::{IceCandidate, SessionDescription, Target};
use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ClientMessage {
    /// Take the streamer role (needs an admin session).
    Streamer,
    /// Join as a viewer under a display `name`. `resume_token` (from an earlier `welcome`)
    /// asks to keep the same viewer id after the socket dropped.
    Viewer {
        /// On the wire `viewerId`, kept from the original protocol, where it was the viewer's
        /// own choice of id; the server assigns ids and only shows this as a name.
        #[serde(rename = "viewerId", default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume_token: Option<String>,
    },
    /// Streamer → one viewer.
    Offer { offer: SessionDescription, viewer_id: ViewerId },
    /// Viewer → streamer; the server overwrites `viewer_id` with the sender's own.
    Answer {
        answer: SessionDescription,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        viewer_id: Option<ViewerId>,
    },
    /// Either way; from a viewer the server overwrites `viewer_id`.
    Candidate {
        candidate: IceCandidate,
        target: Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        viewer_id: Option<ViewerId>,
    },
    /// Viewer → streamer: what this viewer actually receives (sent every 2 s, rate-capped).
    ViewerStats(ViewerReport),
    /// Streamer: take this viewer off the live. It is told so and does not rejoin this live.
    RemoveViewer { viewer_id: ViewerId },
    /// Streamer: how many more viewers its uplink can serve at the current quality
    /// (`None` while unknown). Used by the `--max-viewers auto` admission cap.
    Capacity {
        #[serde(default)]
        remaining: Option<u32>,
    },
    /// An admin socket that watches the dashboard without streaming itself (needs an admin
    /// session): it gets the live's viewer rows and the `ingest*` messages of an external
    /// encoder (OBS, ffmpeg over WHIP), and may remove viewers and end that live.
    Studio,
    /// From a `studio` or `streamer` socket: end the external encoder's live (its WHIP
    /// session is deleted; viewers go offline).
    EndLive,
}

impl ClientMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client messages always serialize")
    }

    /// The JSON `type` string, e.g. for metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Streamer => "streamer",
            ClientMessage::Viewer { .. } => "viewer",
            ClientMessage::Offer { .. } => "offer",
            ClientMessage::Answer { .. } => "answer",
            ClientMessage::Candidate { .. } => "candidate",
            ClientMessage::ViewerStats(_) => "viewerStats",
            ClientMessage::RemoveViewer { .. } => "removeViewer",
            ClientMessage::Capacity { .. } => "capacity",
            ClientMessage::Studio => "studio",
            ClientMessage::EndLive => "endLive",
        }
    }
}

/// Every `type` a client may send: [`ClientMessage::kind`] of each variant.
pub(super) const CLIENT_TYPES: &[&str] = &[
    "streamer",
    "viewer",
    "offer",
    "answer",
    "candidate",
    "viewerStats",
    "removeViewer",
    "capacity",
    "studio",
    "endLive",
];
