//! The signaling protocol on `/ws`: every JSON message, shared by the server and the browser.
//!
//! The vocabulary stays compatible with the original Node server (`streamer`, `viewer`,
//! `newViewer`, `offer`, `answer`, `candidate`); OnAir adds the rest.

use serde::{Deserialize, Serialize};
use std::fmt;

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
    /// Join as a viewer; `viewer_id` is only a display name.
    Viewer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        viewer_id: Option<String>,
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

/// What the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ServerMessage {
    /// To a new viewer: its server-assigned id and the ICE servers to use.
    Welcome { viewer_id: ViewerId, ice_servers: Vec<IceServer> },
    /// To the streamer once it is registered: the ICE servers to use.
    StreamerReady { ice_servers: Vec<IceServer> },
    /// To the streamer: a viewer waits for an offer.
    NewViewer {
        viewer_id: ViewerId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Offer { offer: SessionDescription, viewer_id: ViewerId },
    Answer { answer: SessionDescription, viewer_id: ViewerId },
    Candidate { candidate: IceCandidate, target: Target, viewer_id: ViewerId },
    /// To viewers: a streamer is connected.
    Live,
    /// To viewers: no streamer is connected.
    Offline,
    /// To the streamer: a viewer went away.
    ViewerLeft { viewer_id: ViewerId },
    /// To everyone: how many viewers are connected (coalesced).
    ViewerCount { count: usize },
    /// To the streamer: a viewer's own report of what it receives.
    ViewerStats {
        viewer_id: ViewerId,
        #[serde(flatten)]
        report: ViewerReport,
    },
    /// To a viewer: the streamer took it off this live. It may watch again next live.
    Removed,
    /// Anything refused; the connection stays usable unless the code says otherwise.
    Error { code: ErrorCode, message: String },
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
    /// Too many messages of this kind; slow down.
    RateLimited,
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
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or(DecodeError::NoType)?;
    if !CLIENT_TYPES.contains(&kind) {
        let mut shown: String = kind.chars().take(40).collect();
        if shown.len() < kind.len() {
            shown.push('…');
        }
        return Err(DecodeError::UnknownType(shown));
    }
    let kind = kind.to_owned();
    serde_json::from_value(value).map_err(|e| DecodeError::Invalid { kind, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn offer() -> SessionDescription {
        SessionDescription { kind: SdpType::Offer, sdp: "v=0\r\n".into() }
    }

    #[test]
    fn decodes_the_original_vocabulary() {
        assert_eq!(decode_client(r#"{"type":"streamer"}"#).unwrap(), ClientMessage::Streamer);
        assert_eq!(
            decode_client(r#"{"type":"viewer","viewerId":"alice"}"#).unwrap(),
            ClientMessage::Viewer { viewer_id: Some("alice".into()) }
        );
        assert_eq!(
            decode_client(r#"{"type":"viewer"}"#).unwrap(),
            ClientMessage::Viewer { viewer_id: None }
        );
        let m = decode_client(
            r#"{"type":"offer","offer":{"type":"offer","sdp":"v=0\r\n"},"viewerId":"v1"}"#,
        )
        .unwrap();
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
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::NewViewer { viewer_id: ViewerId("x".into()), name: None }.to_json(),
        )
        .unwrap();
        assert_eq!(v, json!({"type":"newViewer","viewerId":"x"}));
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::ViewerCount { count: 3 }.to_json()).unwrap();
        assert_eq!(v, json!({"type":"viewerCount","count":3}));
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::error(ErrorCode::UnknownType, "nope").to_json(),
        )
        .unwrap();
        assert_eq!(v, json!({"type":"error","code":"unknown_type","message":"nope"}));
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::Welcome {
                viewer_id: ViewerId("id".into()),
                ice_servers: vec![IceServer {
                    urls: vec!["stun:example.org".into()],
                    username: None,
                    credential: None,
                }],
            }
            .to_json(),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"type":"welcome","viewerId":"id","iceServers":[{"urls":["stun:example.org"]}]})
        );
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
        ] {
            let back: ServerMessage = serde_json::from_str(&m.to_json()).unwrap();
            assert_eq!(back, m);
        }
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
        for text in ["[]", "42", "null", "\"streamer\"", "{}", r#"{"type":5}"#, r#"{"type":null}"#, r#"{"kind":"viewer"}"#] {
            assert_eq!(decode_client(text).unwrap_err(), DecodeError::NoType, "{text:?}");
        }
    }

    #[test]
    fn unknown_types_are_named_and_truncated() {
        assert_eq!(
            decode_client(r#"{"type":"hello"}"#).unwrap_err(),
            DecodeError::UnknownType("hello".into())
        );
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
        assert_eq!(decode_client(r#"{"type":"viewerStats"}"#).unwrap(), ClientMessage::ViewerStats(ViewerReport::default()));
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::ViewerStats { viewer_id: ViewerId("v".into()), report }.to_json(),
        )
        .unwrap();
        assert_eq!(v["type"], "viewerStats");
        assert_eq!(v["viewerId"], "v");
        assert_eq!(v["framesDecoded"], 1200);
        assert_eq!(v["jitterBufferDelayMs"], 35.2);
        assert_eq!(
            decode_client(r#"{"type":"removeViewer","viewerId":"v"}"#).unwrap(),
            ClientMessage::RemoveViewer { viewer_id: ViewerId("v".into()) }
        );
        assert_eq!(decode_client(r#"{"type":"capacity","remaining":3}"#).unwrap(), ClientMessage::Capacity { remaining: Some(3) });
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
    fn extra_fields_are_ignored_for_compatibility() {
        assert_eq!(
            decode_client(r#"{"type":"streamer","room":"main"}"#).unwrap(),
            ClientMessage::Streamer
        );
    }

    #[test]
    fn kind_is_the_json_type() {
        let id = ViewerId("v".into());
        let cand = IceCandidate { candidate: "c".into(), sdp_mid: None, sdp_m_line_index: None, username_fragment: None };
        for m in [
            ServerMessage::Welcome { viewer_id: id.clone(), ice_servers: vec![] },
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
            ClientMessage::Viewer { viewer_id: None },
            ClientMessage::Offer { offer: offer(), viewer_id: id.clone() },
            ClientMessage::Answer { answer: offer(), viewer_id: None },
            ClientMessage::Candidate { candidate: cand, target: Target::Streamer, viewer_id: None },
        ] {
            let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
            assert_eq!(v["type"], m.kind());
        }
    }
}
