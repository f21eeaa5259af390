//! The WebRTC values messages carry, as browsers serialize them: SDP, ICE candidates and servers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    Offer,
    Answer,
    Pranswer,
    Rollback,
}

/// `RTCSessionDescriptionInit` as browsers serialize it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDescription {
    #[serde(rename = "type")]
    pub kind: SdpType,
    pub sdp: String,
}

impl SessionDescription {
    /// The `o=` line's session id: the same for every offer of one peer connection (ICE
    /// restarts, renegotiation), different for a new connection.
    pub fn session_id(&self) -> Option<&str> {
        let origin = self.sdp.lines().find_map(|l| l.strip_prefix("o="))?;
        origin.split_whitespace().nth(1)
    }
}

/// `RTCIceCandidateInit` as browsers serialize it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

/// Which side a candidate is meant for (kept from the original protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Viewer,
    Streamer,
}

/// An ICE server handed to browsers for their `RTCPeerConnection`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_tells_a_renegotiation_from_a_new_connection() {
        let sdp = |s: &str| SessionDescription { kind: SdpType::Offer, sdp: s.into() };
        let first = sdp("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n");
        let restart = sdp("v=0\r\no=- 4611731400430051336 3 IN IP4 127.0.0.1\r\ns=-\r\n");
        let other = sdp("v=0\r\no=- 99 2 IN IP4 127.0.0.1\r\n");
        assert_eq!(first.session_id(), Some("4611731400430051336"));
        assert_eq!(first.session_id(), restart.session_id());
        assert_ne!(first.session_id(), other.session_id());
        assert_eq!(sdp("v=0\r\n").session_id(), None);
        assert_eq!(sdp("o=-").session_id(), None);
    }
}
