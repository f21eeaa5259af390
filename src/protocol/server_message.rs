//! What the server sends (encoded by serde; decoded by hand in `read.rs`).

use crate::protocol::error_code::ErrorCode;
use crate::protocol::ids::ViewerId;
use crate::protocol::report::{IngestReport, RelayReport, VideoCodec, ViewerReport};
use crate::protocol::webrtc::{IceCandidate, IceServer, SessionDescription, Target};
use serde::Serialize;

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
    /// To the streamer: what the relay measures of a viewer's session (relayed lives).
    RelayStats {
        viewer_id: ViewerId,
        #[serde(flatten)]
        report: RelayReport,
    },
    /// To a viewer: the streamer took it off this live. It may watch again next live.
    Removed,
    /// To the streamer: publish to the relay (WHIP); viewers from now on are relay rows. To a
    /// viewer: play from the relay (WHEP), and once its frames decode close the peer-to-peer
    /// connection. Sent once per live (the relay is never left mid-live). `reason` in words.
    UseRelay {
        reason: String,
    },
    /// To `studio` sockets: an external encoder went live over WHIP (at once on `studio` when
    /// one is live). `client` is a short name from its `User-Agent` ("OBS Studio 30.2").
    Ingest {
        client: String,
        codec: VideoCodec,
    },
    /// To `studio` sockets, once a second while an external encoder is live.
    IngestStats(IngestReport),
    /// To `studio` sockets: the external encoder's live ended; `reason` in words.
    IngestEnded {
        reason: String,
    },
    /// Anything refused; the connection stays usable unless the code says otherwise.
    Error {
        code: ErrorCode,
        message: String,
    },
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error { code, message: message.into() }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }

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
            ServerMessage::UseRelay { .. } => "useRelay",
            ServerMessage::RelayStats { .. } => "relayStats",
            ServerMessage::Ingest { .. } => "ingest",
            ServerMessage::IngestStats(_) => "ingestStats",
            ServerMessage::IngestEnded { .. } => "ingestEnded",
            ServerMessage::Error { .. } => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_fields::FieldError;
    use crate::protocol::client_decode::decode_client;
    use crate::protocol::read::ServerMessageError;
    use crate::protocol::report::TurnTransport;
    use crate::protocol::webrtc::SdpType;
    use crate::protocol::ClientMessage;
    use serde_json::json;

    fn offer() -> SessionDescription {
        SessionDescription { kind: SdpType::Offer, sdp: "v=0\r\n".into() }
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
            ServerMessage::UseRelay { reason: "relay mode is on".into() },
            ServerMessage::RelayStats {
                viewer_id: ViewerId("v".into()),
                report: RelayReport { video_kbps: Some(1500.5), rtt_ms: Some(3.0), nacks: 2, ..Default::default() },
            },
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
            ServerMessage::ViewerStats {
                viewer_id: id.clone(),
                report: ViewerReport { turn_transport: Some(TurnTransport::Tcp), ..Default::default() },
            },
            ServerMessage::ViewerStats { viewer_id: id.clone(), report: ViewerReport::default() },
            ServerMessage::error(ErrorCode::RateLimited, "slow down"),
            ServerMessage::error(ErrorCode::ExternalLive, "ffmpeg is live on this server; end that live first"),
            ServerMessage::Ingest { client: "OBS Studio 30.2".into(), codec: VideoCodec::H264 },
            ServerMessage::IngestStats(IngestReport {
                bitrate_kbps: 2480.5,
                frames_per_second: 30.0,
                width: 1280,
                height: 720,
                codec: VideoCodec::VP8,
                packet_loss: 0.002,
            }),
            ServerMessage::IngestEnded { reason: "the encoder ended its session".into() },
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
    fn ingest_messages_have_the_contract_fields() {
        let v: serde_json::Value = serde_json::from_str(
            &ServerMessage::IngestStats(IngestReport {
                bitrate_kbps: 2480.5,
                frames_per_second: 30.0,
                width: 1280,
                height: 720,
                codec: VideoCodec::H264,
                packet_loss: 0.002,
            })
            .to_json(),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"type":"ingestStats","bitrateKbps":2480.5,"framesPerSecond":30.0,"width":1280,"height":720,"codec":"H264","packetLoss":0.002})
        );
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::Ingest { client: "ffmpeg".into(), codec: VideoCodec::H264 }.to_json())
                .unwrap();
        assert_eq!(v, json!({"type":"ingest","client":"ffmpeg","codec":"H264"}));
        assert_eq!(
            ServerMessage::error(ErrorCode::ExternalLive, "m").to_json(),
            r#"{"type":"error","code":"external_live","message":"m"}"#
        );
        assert_eq!(decode_client(r#"{"type":"studio"}"#).unwrap(), ClientMessage::Studio);
        assert_eq!(decode_client(r#"{"type":"endLive"}"#).unwrap(), ClientMessage::EndLive);
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
