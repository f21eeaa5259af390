//! The signaling protocol on `/ws`: every JSON message, shared by the server and the browser.
//!
//! The vocabulary stays compatible with the original Node server (`streamer`, `viewer`,
//! `newViewer`, `offer`, `answer`, `candidate`); OnAir adds the rest.

use serde::{Deserialize, Serialize};
use std::fmt;

mod read;

pub use read::ServerMessageError;

/// The id the server gives a viewer's connection: unique and unguessable.
/// A client-chosen `viewerId` is only ever used as a display name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ViewerId(pub String);

impl fmt::Display for ViewerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
}

/// A viewer's own summary of its inbound video, from its `getStats()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewerReport {
    /// Frames decoded per second.
    #[serde(default)]
    pub fps: Option<f64>,
    #[serde(default)]
    pub frames_decoded: Option<u64>,
    #[serde(default)]
    pub freeze_count: Option<u64>,
    /// Seconds spent frozen since the connection started.
    #[serde(default)]
    pub total_freezes_duration: Option<f64>,
    #[serde(default)]
    pub jitter_buffer_delay_ms: Option<f64>,
    /// May be negative in RTP statistics (duplicates).
    #[serde(default)]
    pub packets_lost: Option<i64>,
    #[serde(default)]
    pub rtt_ms: Option<f64>,
}

impl ViewerReport {
    /// Numbers a real browser can report: finite, not negative, not absurd.
    pub fn is_plausible(&self) -> bool {
        let ok = |v: Option<f64>, max: f64| v.is_none_or(|v| v.is_finite() && (0.0..=max).contains(&v));
        ok(self.fps, 1000.0)
            && ok(self.total_freezes_duration, 1e9)
            && ok(self.jitter_buffer_delay_ms, 1e7)
            && ok(self.rtt_ms, 1e7)
    }
}

/// What the server sends. Decoded by hand (`read.rs`), encoded by serde.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ServerMessage {
    /// To a new viewer: its server-assigned id, the ICE servers to use, and the token that
    /// keeps the id across a dropped socket or a server restart.
    Welcome {
        viewer_id: ViewerId,
        ice_servers: Vec<IceServer>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        resume_token: String,
    },
    /// To the streamer once it is registered: the ICE servers to use.
    StreamerReady {
        ice_servers: Vec<IceServer>,
    },
    /// To the streamer: a viewer waits for an offer. The same id again (a viewer that
    /// resumed, or the list sent after the streamer re-registers) means the same viewer: a
    /// peer connection to it that still works is kept, not renegotiated.
    NewViewer {
        viewer_id: ViewerId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Offer {
        offer: SessionDescription,
        viewer_id: ViewerId,
    },
    Answer {
        answer: SessionDescription,
        viewer_id: ViewerId,
    },
    Candidate {
        candidate: IceCandidate,
        target: Target,
        viewer_id: ViewerId,
    },
    /// To viewers: a streamer is connected.
    Live,
    /// To viewers: no streamer is connected (the live ended).
    Offline,
    /// To viewers: the streamer's connection dropped without ending the live (a reload, a
    /// crash, a network cut); it may come back. What still plays keeps playing.
    StreamerLost,
    /// To the streamer: a viewer went away.
    ViewerLeft {
        viewer_id: ViewerId,
    },
    /// To everyone: how many viewers are connected (coalesced).
    ViewerCount {
        count: usize,
    },
    /// To the streamer: a viewer's own report of what it receives.
    ViewerStats {
        viewer_id: ViewerId,
        #[serde(flatten)]
        report: ViewerReport,
    },
    /// To a viewer: the streamer took it off this live. It may watch again next live.
    Removed,
    /// Anything refused; the connection stays usable unless the code says otherwise.
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// Why the server refused something. Serialized in snake_case (`unknown_type`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON, not an object, or had no string `type`.
    Malformed,
    /// The `type` is not part of the protocol.
    UnknownType,
    /// A known `type` with a missing or wrongly typed field.
    InvalidMessage,
    /// Binary frames are not part of the protocol.
    Unsupported,
    /// The frame was larger than the server accepts; the connection is closed.
    TooLarge,
    /// The streamer role needs a signed-in admin.
    Unauthorized,
    /// The message needs a role this connection has not taken.
    NotRegistered,
    /// The connection already has a role, or its role may not send this.
    WrongRole,
    /// The addressed viewer is not connected.
    UnknownViewer,
    /// There is no streamer to receive this.
    NoStreamer,
    /// Another admin connection took over the stream; this one is closed.
    Replaced,
    /// The stream admits no more viewers right now (`--max-viewers`); try again later.
    Full,
    /// Too many messages (of this kind, or on this connection); the message was dropped.
    /// A connection that keeps it up is closed.
    RateLimited,
    /// The server is stopping; the connection closes next.
    Shutdown,
    /// The stream needs a watch code (`--watch-code`) this connection did not bring.
    CodeRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotRegistered => "not_registered",
            ErrorCode::WrongRole => "wrong_role",
            ErrorCode::UnknownViewer => "unknown_viewer",
            ErrorCode::NoStreamer => "no_streamer",
            ErrorCode::Replaced => "replaced",
            ErrorCode::Full => "full",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Shutdown => "shutdown",
            ErrorCode::CodeRequired => "code_required",
        }
    }
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error { code, message: message.into() }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

impl ClientMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client messages always serialize")
    }
}

impl ClientMessage {
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
        }
    }
}

impl ServerMessage {
    /// The JSON `type` string, e.g. for metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::Welcome { .. } => "welcome",
            ServerMessage::StreamerReady { .. } => "streamerReady",
            ServerMessage::NewViewer { .. } => "newViewer",
            ServerMessage::Offer { .. } => "offer",
            ServerMessage::Answer { .. } => "answer",
            ServerMessage::Candidate { .. } => "candidate",
            ServerMessage::Live => "live",
            ServerMessage::Offline => "offline",
            ServerMessage::StreamerLost => "streamerLost",
            ServerMessage::ViewerLeft { .. } => "viewerLeft",
            ServerMessage::ViewerCount { .. } => "viewerCount",
            ServerMessage::ViewerStats { .. } => "viewerStats",
            ServerMessage::Removed => "removed",
            ServerMessage::Error { .. } => "error",
        }
    }
}

const CLIENT_TYPES: &[&str] =
    &["streamer", "viewer", "offer", "answer", "candidate", "viewerStats", "removeViewer", "capacity"];

/// A frame the server could not turn into a [`ClientMessage`], with words for the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the message is not valid JSON: {0}")]
    NotJson(String),
    #[error("the message must be a JSON object with a string \"type\" field")]
    NoType,
    #[error("unknown message type \"{0}\"")]
    UnknownType(String),
    #[error("invalid \"{kind}\" message: {reason}")]
    Invalid { kind: String, reason: String },
}

impl DecodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::NotJson(_) | DecodeError::NoType => ErrorCode::Malformed,
            DecodeError::UnknownType(_) => ErrorCode::UnknownType,
            DecodeError::Invalid { .. } => ErrorCode::InvalidMessage,
        }
    }
}

/// Parses one text frame from a client, telling apart bad JSON, an unknown type and a bad field.
pub fn decode_client(text: &str) -> Result<ClientMessage, DecodeError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let kind = value.get("type").and_then(|t| t.as_str()).ok_or(DecodeError::NoType)?;
    if !CLIENT_TYPES.contains(&kind) {
        let mut shown: String = kind.chars().take(40).collect();
        if shown.len() < kind.len() {
            shown.push('…');
        }
        return Err(DecodeError::UnknownType(shown));
    }
    let kind = kind.to_owned();
    let msg: ClientMessage = serde_json::from_value(value)
        .map_err(|e| DecodeError::Invalid { kind: kind.clone(), reason: e.to_string() })?;
    check_lengths(&msg).map_err(|reason| DecodeError::Invalid { kind, reason })?;
    Ok(msg)
}

/// Longest SDP accepted (offers with many codecs and simulcast are a few KiB).
pub const MAX_SDP_BYTES: usize = 32 * 1024;
/// Longest ICE candidate line accepted (real ones are under 200 bytes).
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// Longest display name accepted (it is shown cut to 40 characters).
pub const MAX_NAME_BYTES: usize = 256;
/// Longest viewer id, `sdpMid` or `usernameFragment` accepted (server ids are 32 characters).
pub const MAX_ID_BYTES: usize = 128;

/// Bounds the strings a client may make the server hold and relay, in words.
fn check_lengths(msg: &ClientMessage) -> Result<(), String> {
    fn at_most(what: &str, text: &str, max: usize) -> Result<(), String> {
        if text.len() > max {
            Err(format!("{what} is {} bytes; at most {max} are accepted", text.len()))
        } else {
            Ok(())
        }
    }
    let id = |v: &ViewerId| at_most("viewerId", &v.0, MAX_ID_BYTES);
    match msg {
        ClientMessage::Streamer | ClientMessage::ViewerStats(_) | ClientMessage::Capacity { .. } => Ok(()),
        ClientMessage::Viewer { name, resume_token } => {
            name.as_deref().map_or(Ok(()), |n| at_most("the display name (viewerId)", n, MAX_NAME_BYTES))?;
            // An id, a dot and a 64-digit MAC.
            resume_token.as_deref().map_or(Ok(()), |t| at_most("resumeToken", t, MAX_ID_BYTES + 65))
        }
        ClientMessage::Offer { offer, viewer_id } => {
            at_most("the offer's SDP", &offer.sdp, MAX_SDP_BYTES)?;
            id(viewer_id)
        }
        ClientMessage::Answer { answer, viewer_id } => {
            at_most("the answer's SDP", &answer.sdp, MAX_SDP_BYTES)?;
            viewer_id.as_ref().map_or(Ok(()), id)
        }
        ClientMessage::Candidate { candidate, viewer_id, .. } => {
            at_most("the candidate", &candidate.candidate, MAX_CANDIDATE_BYTES)?;
            if let Some(mid) = &candidate.sdp_mid {
                at_most("sdpMid", mid, MAX_ID_BYTES)?;
            }
            if let Some(ufrag) = &candidate.username_fragment {
                at_most("usernameFragment", ufrag, MAX_ID_BYTES)?;
            }
            viewer_id.as_ref().map_or(Ok(()), id)
        }
        ClientMessage::RemoveViewer { viewer_id } => id(viewer_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_fields::FieldError;
    use serde_json::json;

    fn offer() -> SessionDescription {
        SessionDescription { kind: SdpType::Offer, sdp: "v=0\r\n".into() }
    }

    #[test]
    fn decodes_the_original_vocabulary() {
        assert_eq!(decode_client(r#"{"type":"streamer"}"#).unwrap(), ClientMessage::Streamer);
        assert_eq!(
            decode_client(r#"{"type":"viewer","viewerId":"alice"}"#).unwrap(),
            ClientMessage::Viewer { name: Some("alice".into()), resume_token: None }
        );
        assert_eq!(
            decode_client(r#"{"type":"viewer"}"#).unwrap(),
            ClientMessage::Viewer { name: None, resume_token: None }
        );
        let m = decode_client(r#"{"type":"offer","offer":{"type":"offer","sdp":"v=0\r\n"},"viewerId":"v1"}"#).unwrap();
        assert_eq!(m, ClientMessage::Offer { offer: offer(), viewer_id: ViewerId("v1".into()) });
        let m = decode_client(
            r#"{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0},"target":"streamer"}"#,
        )
        .unwrap();
        match m {
            ClientMessage::Candidate { candidate, target, viewer_id } => {
                assert_eq!(target, Target::Streamer);
                assert_eq!(candidate.sdp_mid.as_deref(), Some("0"));
                assert_eq!(candidate.sdp_m_line_index, Some(0));
                assert_eq!(viewer_id, None);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn server_messages_use_camel_case_fields_and_types() {
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::NewViewer { viewer_id: ViewerId("x".into()), name: None }.to_json())
                .unwrap();
        assert_eq!(v, json!({"type":"newViewer","viewerId":"x"}));
        let v: serde_json::Value = serde_json::from_str(&ServerMessage::ViewerCount { count: 3 }.to_json()).unwrap();
        assert_eq!(v, json!({"type":"viewerCount","count":3}));
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::error(ErrorCode::UnknownType, "nope").to_json()).unwrap();
        assert_eq!(v, json!({"type":"error","code":"unknown_type","message":"nope"}));
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::Welcome {
                viewer_id: ViewerId("id".into()),
                ice_servers: vec![IceServer {
                    urls: vec!["stun:example.org".into()],
                    username: None,
                    credential: None,
                }],
                resume_token: "id.00ff".into(),
            }
            .to_json(),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"type":"welcome","viewerId":"id","iceServers":[{"urls":["stun:example.org"]}],"resumeToken":"id.00ff"})
        );
        assert_eq!(
            decode_client(r#"{"type":"viewer","resumeToken":"id.00ff"}"#).unwrap(),
            ClientMessage::Viewer { name: None, resume_token: Some("id.00ff".into()) }
        );
        assert_eq!(ServerMessage::StreamerLost.to_json(), r#"{"type":"streamerLost"}"#);
    }

    #[test]
    fn every_message_round_trips() {
        let cand = IceCandidate {
            candidate: "candidate:0".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(1),
            username_fragment: Some("u".into()),
        };
        let id = ViewerId("v".into());
        for m in [
            ServerMessage::Live,
            ServerMessage::Offline,
            ServerMessage::StreamerReady { ice_servers: vec![] },
            ServerMessage::ViewerLeft { viewer_id: id.clone() },
            ServerMessage::Offer { offer: offer(), viewer_id: id.clone() },
            ServerMessage::Answer { answer: offer(), viewer_id: id.clone() },
            ServerMessage::Candidate { candidate: cand.clone(), target: Target::Viewer, viewer_id: id.clone() },
            ServerMessage::StreamerLost,
            ServerMessage::Removed,
            ServerMessage::Welcome {
                viewer_id: id.clone(),
                ice_servers: vec![
                    IceServer { urls: vec!["stun:a".into()], username: None, credential: None },
                    IceServer {
                        urls: vec!["turn:b".into(), "turns:b".into()],
                        username: Some("u".into()),
                        credential: Some("p".into()),
                    },
                ],
                resume_token: "t".into(),
            },
            ServerMessage::Welcome { viewer_id: id.clone(), ice_servers: vec![], resume_token: String::new() },
            ServerMessage::NewViewer { viewer_id: id.clone(), name: Some("alice".into()) },
            ServerMessage::NewViewer { viewer_id: id.clone(), name: None },
            ServerMessage::ViewerCount { count: 7 },
            ServerMessage::ViewerStats {
                viewer_id: id.clone(),
                report: ViewerReport { fps: Some(29.5), packets_lost: Some(-2), ..Default::default() },
            },
            ServerMessage::ViewerStats { viewer_id: id.clone(), report: ViewerReport::default() },
            ServerMessage::error(ErrorCode::RateLimited, "slow down"),
        ] {
            let back: ServerMessage = serde_json::from_str(&m.to_json()).unwrap();
            assert_eq!(back, m);
        }
        let m = ServerMessage::Candidate {
            candidate: IceCandidate {
                candidate: "c".into(),
                sdp_mid: None,
                sdp_m_line_index: None,
                username_fragment: None,
            },
            target: Target::Streamer,
            viewer_id: id.clone(),
        };
        assert_eq!(serde_json::from_str::<ServerMessage>(&m.to_json()).unwrap(), m);
        let m = ClientMessage::Candidate { candidate: cand, target: Target::Streamer, viewer_id: None };
        assert_eq!(decode_client(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn malformed_json_is_malformed() {
        for text in ["", "{", "not json", "{\"type\":}", "\u{0}"] {
            let e = decode_client(text).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Malformed, "{text:?}");
            assert!(matches!(e, DecodeError::NotJson(_)));
        }
    }

    #[test]
    fn json_without_a_string_type_is_malformed() {
        for text in
            ["[]", "42", "null", "\"streamer\"", "{}", r#"{"type":5}"#, r#"{"type":null}"#, r#"{"kind":"viewer"}"#]
        {
            assert_eq!(decode_client(text).unwrap_err(), DecodeError::NoType, "{text:?}");
        }
    }

    #[test]
    fn unknown_types_are_named_and_truncated() {
        assert_eq!(decode_client(r#"{"type":"hello"}"#).unwrap_err(), DecodeError::UnknownType("hello".into()));
        // Server-only types are not accepted from clients.
        assert_eq!(decode_client(r#"{"type":"welcome"}"#).unwrap_err().code(), ErrorCode::UnknownType);
        assert_eq!(decode_client(r#"{"type":"Streamer"}"#).unwrap_err().code(), ErrorCode::UnknownType);
        let long = format!(r#"{{"type":"{}"}}"#, "x".repeat(500));
        match decode_client(&long).unwrap_err() {
            DecodeError::UnknownType(shown) => assert!(shown.chars().count() <= 41),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_or_mistyped_fields_are_invalid() {
        for text in [
            r#"{"type":"offer","viewerId":"v"}"#,
            r#"{"type":"offer","offer":{"type":"offer","sdp":"x"}}"#,
            r#"{"type":"offer","offer":{"type":"nonsense","sdp":"x"},"viewerId":"v"}"#,
            r#"{"type":"offer","offer":{"sdp":"x"},"viewerId":"v"}"#,
            r#"{"type":"offer","offer":"sdp","viewerId":"v"}"#,
            r#"{"type":"answer"}"#,
            r#"{"type":"answer","answer":{"type":"answer","sdp":7}}"#,
            r#"{"type":"candidate","target":"streamer"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c"}}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c"},"target":"moon"}"#,
            r#"{"type":"candidate","candidate":{"sdpMid":"0"},"target":"viewer"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":-1},"target":"viewer"}"#,
            r#"{"type":"viewer","viewerId":5}"#,
            r#"{"type":"offer","offer":{"type":"offer","sdp":"x"},"viewerId":7}"#,
        ] {
            let e = decode_client(text).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidMessage, "{text}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn dashboard_messages_decode_and_encode() {
        let m = decode_client(
            r#"{"type":"viewerStats","fps":29.5,"framesDecoded":1200,"freezeCount":1,"totalFreezesDuration":0.4,"jitterBufferDelayMs":35.2,"packetsLost":-2,"rttMs":1.5}"#,
        )
        .unwrap();
        let report = ViewerReport {
            fps: Some(29.5),
            frames_decoded: Some(1200),
            freeze_count: Some(1),
            total_freezes_duration: Some(0.4),
            jitter_buffer_delay_ms: Some(35.2),
            packets_lost: Some(-2),
            rtt_ms: Some(1.5),
        };
        assert_eq!(m, ClientMessage::ViewerStats(report.clone()));
        // Early in a connection a browser has nothing yet: every figure is optional.
        assert_eq!(
            decode_client(r#"{"type":"viewerStats"}"#).unwrap(),
            ClientMessage::ViewerStats(ViewerReport::default())
        );
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::ViewerStats { viewer_id: ViewerId("v".into()), report }.to_json())
                .unwrap();
        assert_eq!(v["type"], "viewerStats");
        assert_eq!(v["viewerId"], "v");
        assert_eq!(v["framesDecoded"], 1200);
        assert_eq!(v["jitterBufferDelayMs"], 35.2);
        assert_eq!(
            decode_client(r#"{"type":"removeViewer","viewerId":"v"}"#).unwrap(),
            ClientMessage::RemoveViewer { viewer_id: ViewerId("v".into()) }
        );
        assert_eq!(
            decode_client(r#"{"type":"capacity","remaining":3}"#).unwrap(),
            ClientMessage::Capacity { remaining: Some(3) }
        );
        assert_eq!(decode_client(r#"{"type":"capacity"}"#).unwrap(), ClientMessage::Capacity { remaining: None });
        assert_eq!(serde_json::to_string(&ServerMessage::Removed).unwrap(), r#"{"type":"removed"}"#);
        for bad in [
            r#"{"type":"viewerStats","fps":"fast"}"#,
            r#"{"type":"viewerStats","framesDecoded":-1}"#,
            r#"{"type":"removeViewer"}"#,
            r#"{"type":"capacity","remaining":-1}"#,
        ] {
            assert_eq!(decode_client(bad).unwrap_err().code(), ErrorCode::InvalidMessage, "{bad}");
        }
    }

    #[test]
    fn implausible_viewer_reports_are_recognised() {
        assert!(ViewerReport::default().is_plausible());
        assert!(ViewerReport { fps: Some(60.0), rtt_ms: Some(20.0), ..Default::default() }.is_plausible());
        assert!(!ViewerReport { fps: Some(-1.0), ..Default::default() }.is_plausible());
        assert!(!ViewerReport { rtt_ms: Some(1e12), ..Default::default() }.is_plausible());
    }

    #[test]
    fn server_messages_that_do_not_fit_are_refused_with_words() {
        let read = |text: &str| ServerMessage::from_value(&serde_json::from_str(text).unwrap());
        assert_eq!(read("[]"), Err(ServerMessageError::NoType));
        assert_eq!(read(r#"{"type":7}"#), Err(ServerMessageError::NoType));
        assert_eq!(read(r#"{"type":"hello"}"#), Err(ServerMessageError::UnknownType("hello".into())));
        for (text, problem) in [
            (r#"{"type":"viewerLeft"}"#, FieldError::Missing("viewerId")),
            (
                r#"{"type":"viewerCount","count":-1}"#,
                FieldError::WrongType { field: "count", expected: "a whole number of at least 0" },
            ),
            (
                r#"{"type":"offer","offer":"sdp","viewerId":"v"}"#,
                FieldError::WrongType { field: "offer", expected: "an object" },
            ),
            (r#"{"type":"offer","offer":{"type":"offer"},"viewerId":"v"}"#, FieldError::Missing("sdp")),
            (
                r#"{"type":"welcome","viewerId":"v","iceServers":[{"urls":"stun:a"}]}"#,
                FieldError::WrongType { field: "urls", expected: "an array of strings" },
            ),
            (
                r#"{"type":"error","code":"nonsense","message":"m"}"#,
                FieldError::WrongType { field: "code", expected: "one of its known words" },
            ),
            (
                r#"{"type":"viewerStats","viewerId":"v","fps":"fast"}"#,
                FieldError::WrongType { field: "fps", expected: "a number" },
            ),
        ] {
            let kind = serde_json::from_str::<serde_json::Value>(text).unwrap()["type"].as_str().unwrap().to_owned();
            assert_eq!(read(text), Err(ServerMessageError::Invalid { kind, problem }), "{text}");
        }
        assert!(serde_json::from_str::<ServerMessage>(r#"{"type":"viewerLeft"}"#)
            .unwrap_err()
            .to_string()
            .contains("viewerId"));
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
    fn overlong_strings_are_refused_with_words() {
        let cand = |c: &str| json!({"type":"candidate","candidate":{"candidate":c,"sdpMid":"0"},"target":"streamer"});
        let answer = |sdp: &str| json!({"type":"answer","answer":{"type":"answer","sdp":sdp}});
        let offer = |sdp: &str, id: &str| json!({"type":"offer","offer":{"type":"offer","sdp":sdp},"viewerId":id});
        // At the limit passes, one byte more does not.
        assert!(decode_client(&answer(&"a".repeat(MAX_SDP_BYTES)).to_string()).is_ok());
        assert!(decode_client(&cand(&"c".repeat(MAX_CANDIDATE_BYTES)).to_string()).is_ok());
        for (text, what) in [
            (answer(&"a".repeat(MAX_SDP_BYTES + 1)), "SDP"),
            (offer(&"a".repeat(MAX_SDP_BYTES + 1), "v"), "SDP"),
            (offer("v=0", &"i".repeat(MAX_ID_BYTES + 1)), "viewerId"),
            (cand(&"c".repeat(MAX_CANDIDATE_BYTES + 1)), "candidate"),
            (
                json!({"type":"candidate","candidate":{"candidate":"c","sdpMid":"m".repeat(200)},"target":"streamer"}),
                "sdpMid",
            ),
            (json!({"type":"viewer","viewerId":"n".repeat(MAX_NAME_BYTES + 1)}), "display name"),
            (json!({"type":"removeViewer","viewerId":"i".repeat(MAX_ID_BYTES + 1)}), "viewerId"),
        ] {
            let e = decode_client(&text.to_string()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidMessage, "{what}");
            let words = e.to_string();
            assert!(words.contains(what) && words.contains("at most"), "{words}");
        }
    }

    #[test]
    fn shutdown_is_an_error_code() {
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::error(ErrorCode::Shutdown, "bye").to_json()).unwrap();
        assert_eq!(v["code"], "shutdown");
        assert_eq!(ErrorCode::Shutdown.as_str(), "shutdown");
    }

    #[test]
    fn extra_fields_are_ignored_for_compatibility() {
        assert_eq!(decode_client(r#"{"type":"streamer","room":"main"}"#).unwrap(), ClientMessage::Streamer);
    }

    #[test]
    fn kind_is_the_json_type() {
        let id = ViewerId("v".into());
        let cand =
            IceCandidate { candidate: "c".into(), sdp_mid: None, sdp_m_line_index: None, username_fragment: None };
        for m in [
            ServerMessage::Welcome { viewer_id: id.clone(), ice_servers: vec![], resume_token: "id.mac".into() },
            ServerMessage::StreamerLost,
            ServerMessage::StreamerReady { ice_servers: vec![] },
            ServerMessage::NewViewer { viewer_id: id.clone(), name: None },
            ServerMessage::Offer { offer: offer(), viewer_id: id.clone() },
            ServerMessage::Answer { answer: offer(), viewer_id: id.clone() },
            ServerMessage::Candidate { candidate: cand.clone(), target: Target::Viewer, viewer_id: id.clone() },
            ServerMessage::Live,
            ServerMessage::Offline,
            ServerMessage::ViewerLeft { viewer_id: id.clone() },
            ServerMessage::ViewerCount { count: 1 },
            ServerMessage::error(ErrorCode::Malformed, "x"),
        ] {
            let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
            assert_eq!(v["type"], m.kind());
        }
        for m in [
            ClientMessage::Streamer,
            ClientMessage::Viewer { name: None, resume_token: Some("id.mac".into()) },
            ClientMessage::Offer { offer: offer(), viewer_id: id.clone() },
            ClientMessage::Answer { answer: offer(), viewer_id: None },
            ClientMessage::Candidate { candidate: cand, target: Target::Streamer, viewer_id: None },
        ] {
            let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
            assert_eq!(v["type"], m.kind());
        }
    }
}

/// The decoder against arbitrary input: it never panics, every refusal has a code and words,
/// and what it accepts re-encodes to the same message.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,10}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Objects shaped like messages: a known (or near) type and fields with protocol names.
    fn message_like() -> impl Strategy<Value = Value> {
        let kind = prop_oneof![prop::sample::select(CLIENT_TYPES.to_vec()).prop_map(str::to_owned), ".{0,12}"];
        let field = prop::sample::select(vec![
            "viewerId",
            "offer",
            "answer",
            "candidate",
            "target",
            "sdp",
            "type",
            "remaining",
            "fps",
            "sdpMid",
            "sdpMLineIndex",
            "packetsLost",
        ]);
        (kind, prop::collection::btree_map(field, json_value(), 0..5)).prop_map(|(kind, fields)| {
            let mut m: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            m.insert("type".into(), Value::String(kind));
            Value::Object(m)
        })
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        match decode_client(text) {
            Ok(msg) => {
                // Whatever is accepted encodes back to the same message (floats in reports may
                // move by a last digit through JSON, so those compare by type).
                let back = decode_client(&msg.to_json()).unwrap();
                if matches!(msg, ClientMessage::ViewerStats(_)) {
                    prop_assert_eq!(back.kind(), msg.kind());
                } else {
                    prop_assert_eq!(back, msg);
                }
            }
            Err(e) => {
                prop_assert!(!e.code().as_str().is_empty());
                prop_assert!(!e.to_string().is_empty());
            }
        }
        Ok(())
    }

    fn sdp() -> impl Strategy<Value = SessionDescription> {
        (prop::sample::select(vec![SdpType::Offer, SdpType::Answer, SdpType::Pranswer, SdpType::Rollback]), ".{0,200}")
            .prop_map(|(kind, sdp)| SessionDescription { kind, sdp })
    }

    fn client_message() -> impl Strategy<Value = ClientMessage> {
        let id = "[a-zA-Z0-9]{1,40}".prop_map(ViewerId);
        let candidate =
            (".{0,300}", prop::option::of(".{0,10}"), prop::option::of(any::<u16>()), prop::option::of("[a-z]{4}"))
                .prop_map(|(candidate, sdp_mid, sdp_m_line_index, username_fragment)| IceCandidate {
                    candidate,
                    sdp_mid,
                    sdp_m_line_index,
                    username_fragment,
                });
        let target = prop::sample::select(vec![Target::Viewer, Target::Streamer]);
        prop_oneof![
            Just(ClientMessage::Streamer),
            (prop::option::of(".{0,60}"), prop::option::of("[0-9a-f]{1,40}\\.[0-9a-f]{0,64}"))
                .prop_map(|(name, resume_token)| ClientMessage::Viewer { name, resume_token }),
            (sdp(), id.clone()).prop_map(|(offer, viewer_id)| ClientMessage::Offer { offer, viewer_id }),
            (sdp(), prop::option::of(id.clone()))
                .prop_map(|(answer, viewer_id)| ClientMessage::Answer { answer, viewer_id }),
            (candidate, target, prop::option::of(id.clone()))
                .prop_map(|(candidate, target, viewer_id)| ClientMessage::Candidate { candidate, target, viewer_id }),
            id.prop_map(|viewer_id| ClientMessage::RemoveViewer { viewer_id }),
            prop::option::of(any::<u32>()).prop_map(|remaining| ClientMessage::Capacity { remaining }),
            (
                prop::option::of((0u32..2000).prop_map(|n| f64::from(n) / 2.0)),
                prop::option::of(any::<u64>()),
                prop::option::of(any::<i64>())
            )
                .prop_map(|(fps, frames_decoded, packets_lost)| ClientMessage::ViewerStats(ViewerReport {
                    fps,
                    frames_decoded,
                    packets_lost,
                    ..Default::default()
                })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            check(&text)?;
        }

        #[test]
        fn arbitrary_bytes_as_lossy_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            check(&String::from_utf8_lossy(&bytes))?;
        }

        #[test]
        fn arbitrary_json_never_panics(value in json_value()) {
            check(&value.to_string())?;
        }

        #[test]
        fn message_shaped_json_never_panics(value in message_like()) {
            check(&value.to_string())?;
        }

        #[test]
        fn valid_messages_round_trip(msg in client_message()) {
            prop_assert_eq!(decode_client(&msg.to_json()).unwrap(), msg);
        }
    }
}
