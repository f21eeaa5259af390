//! The few messages the watch page's starter reads and writes (`browser::starter`), as small
//! serde structs rather than [`ServerMessage`] and [`ClientMessage`]: their code, with every
//! message and its numbers, and serde_json's with it, made the starter's wasm 150 KB (the
//! README, issue 14). The starter reads and writes these through the browser's own JSON; the
//! tests hold them to what the server and the player write, through serde_json.
//!
//! [`ServerMessage`]: crate::protocol::ServerMessage
//! [`ClientMessage`]: crate::protocol::ClientMessage

use crate::protocol::webrtc::{IceCandidate, IceServer, SessionDescription, Target};
use serde::{Deserialize, Serialize};

/// A server message as the starter sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    /// `welcome`: the ICE servers to connect with.
    Welcome(Vec<IceServer>),
    Offer(SessionDescription),
    Candidate(IceCandidate, Target),
    /// `offline`, `removed`, `useRelay` or `error`: the player's rules take it from here.
    Ends,
    /// Anything else, or what does not read as its type says.
    Other,
}

/// The fields of a server message the starter reads; the others are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fields {
    #[serde(rename = "type")]
    kind: String,
    offer: Option<SessionDescription>,
    candidate: Option<IceCandidate>,
    target: Option<Target>,
    #[serde(default)]
    ice_servers: Vec<IceServer>,
}

impl Fields {
    /// What the message is to the starter.
    pub fn seen(self) -> Seen {
        match (self.kind.as_str(), self.offer, self.candidate, self.target) {
            ("welcome", ..) => Seen::Welcome(self.ice_servers),
            ("offer", Some(offer), ..) => Seen::Offer(offer),
            ("candidate", _, Some(candidate), Some(target)) => Seen::Candidate(candidate, target),
            ("offline" | "removed" | "useRelay" | "error", ..) => Seen::Ends,
            _ => Seen::Other,
        }
    }
}

/// What the starter sends: `answer` and `candidate`, as [`crate::protocol::ClientMessage`]
/// writes them (no `viewerId`: the server fills in the sender's).
#[derive(Serialize)]
pub struct Sent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a SessionDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidate: Option<&'a IceCandidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
}

impl<'a> Sent<'a> {
    /// The viewer's `answer` to the streamer's offer.
    pub fn answer(answer: &'a SessionDescription) -> Sent<'a> {
        Sent { kind: "answer", answer: Some(answer), candidate: None, target: None }
    }

    /// One of the viewer's candidates, for the streamer.
    pub fn candidate(candidate: &'a IceCandidate) -> Sent<'a> {
        Sent { kind: "candidate", answer: None, candidate: Some(candidate), target: Some(Target::Streamer) }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{ClientMessage, ErrorCode, SdpType, ServerMessage, ViewerId, ViewerReport};

    /// A message's text as the starter reads it (serde_json here; the browser's JSON there).
    pub(crate) fn read(text: &str) -> Seen {
        serde_json::from_str::<Fields>(text).map_or(Seen::Other, Fields::seen)
    }

    /// The messages after which everything is the player's.
    pub(crate) fn ends() -> [ServerMessage; 4] {
        [
            ServerMessage::Offline,
            ServerMessage::Removed,
            ServerMessage::UseRelay { reason: "many viewers".into() },
            ServerMessage::error(ErrorCode::Full, "full"),
        ]
    }

    fn write(sent: &Sent) -> String {
        serde_json::to_string(sent).unwrap()
    }

    fn sdp(kind: SdpType) -> SessionDescription {
        SessionDescription { kind, sdp: "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n".into() }
    }

    fn candidate() -> IceCandidate {
        IceCandidate {
            candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: Some("u".into()),
        }
    }

    fn id() -> ViewerId {
        ViewerId("v1".into())
    }

    #[test]
    fn it_reads_what_the_server_writes() {
        let turn = IceServer { urls: vec!["turn:t".into()], username: Some("u".into()), credential: Some("c".into()) };
        let welcome =
            ServerMessage::Welcome { viewer_id: id(), ice_servers: vec![turn.clone()], resume_token: "r".into() };
        assert_eq!(read(&welcome.to_json()), Seen::Welcome(vec![turn]));
        let offer = ServerMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: id() };
        assert_eq!(read(&offer.to_json()), Seen::Offer(sdp(SdpType::Offer)));
        for target in [Target::Viewer, Target::Streamer] {
            let c = ServerMessage::Candidate { candidate: candidate(), target, viewer_id: id() };
            assert_eq!(read(&c.to_json()), Seen::Candidate(candidate(), target));
        }
        for msg in ends() {
            assert_eq!(read(&msg.to_json()), Seen::Ends, "{msg:?}");
        }
        let others = [
            ServerMessage::Live,
            ServerMessage::StreamerLost,
            ServerMessage::ViewerCount { count: 2 },
            ServerMessage::ViewerStats {
                viewer_id: id(),
                report: ViewerReport { fps: Some(29.97), ..Default::default() },
            },
        ];
        for msg in others {
            assert_eq!(read(&msg.to_json()), Seen::Other, "{msg:?}");
        }
    }

    #[test]
    fn what_does_not_read_as_its_type_says_is_left_to_the_player() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"type":"offer"}"#,
            r#"{"type":"offer","offer":7}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c"}}"#,
        ] {
            assert_eq!(read(text), Seen::Other, "{text}");
        }
    }

    #[test]
    fn it_writes_what_the_client_messages_write() {
        let answer = ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None };
        assert_eq!(write(&Sent::answer(&sdp(SdpType::Answer))), answer.to_json());
        let c = ClientMessage::Candidate { candidate: candidate(), target: Target::Streamer, viewer_id: None };
        assert_eq!(write(&Sent::candidate(&candidate())), c.to_json());
    }
}
