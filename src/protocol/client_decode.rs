//! Decoding a client's text frame, telling apart bad JSON, an unknown type and a bad field.

use crate::protocol::client_message::{ClientMessage, CLIENT_TYPES};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::size_limits::check_lengths;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{SdpType, ServerMessage, SessionDescription, Target, ViewerId, ViewerReport};

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
    fn extra_fields_are_ignored_for_compatibility() {
        assert_eq!(decode_client(r#"{"type":"streamer","room":"main"}"#).unwrap(), ClientMessage::Streamer);
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
            turn_transport: None,
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
            r#"{"type":"viewerStats","turnTransport":"carrier-pigeon"}"#,
            r#"{"type":"removeViewer"}"#,
            r#"{"type":"capacity","remaining":-1}"#,
        ] {
            assert_eq!(decode_client(bad).unwrap_err().code(), ErrorCode::InvalidMessage, "{bad}");
        }
    }
}
