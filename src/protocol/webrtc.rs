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

impl SdpType {
    pub const ALL: [SdpType; 4] = [SdpType::Offer, SdpType::Answer, SdpType::Pranswer, SdpType::Rollback];

    /// The name browsers (and serde, above) give it: `RTCSdpType`'s value.
    pub fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Answer => "answer",
            SdpType::Pranswer => "pranswer",
            SdpType::Rollback => "rollback",
        }
    }

    /// The type named `name`, as [`SdpType::as_str`] writes it.
    pub fn from_name(name: &str) -> Option<SdpType> {
        SdpType::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
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

impl IceCandidate {
    /// A TURN server's address (`typ relay`): the route left when direct paths are blocked.
    pub fn is_relay(&self) -> bool {
        is_relay_candidate(&self.candidate)
    }
}

/// Whether a candidate line (`candidate:…`, or an SDP `a=candidate:…` line) is `typ relay`.
pub fn is_relay_candidate(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.any(|w| w == "typ") && words.next() == Some("relay")
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
    fn an_sdp_type_is_named_as_serde_names_it_and_read_back_by_that_name() {
        for kind in SdpType::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(SdpType::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(SdpType::from_name("Offer"), None);
        assert_eq!(SdpType::from_name(""), None);
    }

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

    #[test]
    fn a_relay_candidate_is_told_by_its_type() {
        let c = |s: &str| IceCandidate {
            candidate: s.into(),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: None,
        };
        assert!(c("candidate:1 1 udp 41885439 10.77.1.1 50001 typ relay raddr 10.77.1.11 rport 4000").is_relay());
        assert!(!c("candidate:2 1 udp 2122260223 10.81.1.2 4000 typ host generation 0").is_relay());
        assert!(!c("candidate:3 1 udp 1686052607 10.77.1.11 4000 typ srflx raddr 10.81.1.2 rport 4000").is_relay());
        assert!(!c("candidate:4 1 tcp 1 relay 9 typ host tcptype active").is_relay(), "the word, not its type");
        assert!(!c("").is_relay());
        assert!(is_relay_candidate("a=candidate:1 1 udp 41885439 10.77.1.1 50001 typ relay raddr 0.0.0.0 rport 0"));
    }
}
