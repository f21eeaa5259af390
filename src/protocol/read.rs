//! Decoding [`ServerMessage`]s by hand, field by field (see [`crate::json_fields`]): the
//! browser decodes every signaling message, and serde's derive for this internally tagged
//! enum (it buffers each message before picking the variant) was a large part of the wasm.
//! Encoding stays derived; `every_message_round_trips` (in `server_message.rs`) keeps both in step.

use crate::json_fields::{FieldError, Fields};
use crate::protocol::{
    IceCandidate, IceServer, IngestReport, RelayReport, ServerMessage, SessionDescription, ViewerId, ViewerReport,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Why a server message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerMessageError {
    #[error("a server message must be a JSON object with a string \"type\"")]
    NoType,
    #[error("unknown server message type \"{0}\"")]
    UnknownType(String),
    #[error("invalid \"{kind}\" message: {problem}")]
    Invalid { kind: String, problem: FieldError },
}

impl ServerMessage {
    pub fn from_value(value: &Value) -> Result<ServerMessage, ServerMessageError> {
        let fields = Fields::of(value).ok_or(ServerMessageError::NoType)?;
        let kind = fields.kind().ok_or(ServerMessageError::NoType)?;
        match read_variant(kind, &fields) {
            Ok(Some(message)) => Ok(message),
            Ok(None) => Err(ServerMessageError::UnknownType(kind.to_owned())),
            Err(problem) => Err(ServerMessageError::Invalid { kind: kind.to_owned(), problem }),
        }
    }
}

impl<'de> Deserialize<'de> for ServerMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ServerMessage::from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// `None` for a type the server does not send.
fn read_variant(kind: &str, f: &Fields) -> Result<Option<ServerMessage>, FieldError> {
    let viewer_id = || f.need("viewerId", Fields::string).map(ViewerId);
    let ice_servers = || f.need("iceServers", |f, name| f.objects(name, IceServer::read));
    let description = |name: &'static str| f.need(name, |f, name| f.object(name, SessionDescription::read));
    Ok(Some(match kind {
        "welcome" => ServerMessage::Welcome {
            viewer_id: viewer_id()?,
            ice_servers: ice_servers()?,
            resume_token: f.string("resumeToken")?.unwrap_or_default(),
        },
        "streamerReady" => ServerMessage::StreamerReady { ice_servers: ice_servers()? },
        "newViewer" => ServerMessage::NewViewer { viewer_id: viewer_id()?, name: f.string("name")? },
        "offer" => ServerMessage::Offer { offer: description("offer")?, viewer_id: viewer_id()? },
        "answer" => ServerMessage::Answer { answer: description("answer")?, viewer_id: viewer_id()? },
        "candidate" => ServerMessage::Candidate {
            candidate: f.need("candidate", |f, name| f.object(name, IceCandidate::read))?,
            target: f.need("target", Fields::keyword)?,
            viewer_id: viewer_id()?,
        },
        "live" => ServerMessage::Live,
        "offline" => ServerMessage::Offline,
        "streamerLost" => ServerMessage::StreamerLost,
        "removed" => ServerMessage::Removed,
        "relayStats" => ServerMessage::RelayStats { viewer_id: viewer_id()?, report: RelayReport::read(f)? },
        "useRelay" => ServerMessage::UseRelay { reason: f.need("reason", Fields::string)? },
        "viewerLeft" => ServerMessage::ViewerLeft { viewer_id: viewer_id()? },
        "viewerCount" => ServerMessage::ViewerCount {
            count: usize::try_from(f.need("count", Fields::u64)?)
                .map_err(|_| FieldError::WrongType { field: "count", expected: "a count this machine can hold" })?,
        },
        "viewerStats" => ServerMessage::ViewerStats { viewer_id: viewer_id()?, report: ViewerReport::read(f)? },
        "ingest" => ServerMessage::Ingest {
            client: f.need("client", Fields::string)?,
            codec: f.need("codec", Fields::keyword)?,
        },
        "ingestStats" => ServerMessage::IngestStats(IngestReport::read(f)?),
        "ingestEnded" => ServerMessage::IngestEnded { reason: f.need("reason", Fields::string)? },
        "error" => {
            ServerMessage::Error { code: f.need("code", Fields::keyword)?, message: f.need("message", Fields::string)? }
        }
        _ => return Ok(None),
    }))
}

impl SessionDescription {
    fn read(f: &Fields) -> Result<SessionDescription, FieldError> {
        Ok(SessionDescription { kind: f.need("type", Fields::keyword)?, sdp: f.need("sdp", Fields::string)? })
    }
}

impl IceCandidate {
    fn read(f: &Fields) -> Result<IceCandidate, FieldError> {
        Ok(IceCandidate {
            candidate: f.need("candidate", Fields::string)?,
            sdp_mid: f.string("sdpMid")?,
            sdp_m_line_index: f.u16("sdpMLineIndex")?,
            username_fragment: f.string("usernameFragment")?,
        })
    }
}

impl IceServer {
    fn read(f: &Fields) -> Result<IceServer, FieldError> {
        Ok(IceServer {
            urls: f.need("urls", Fields::strings)?,
            username: f.string("username")?,
            credential: f.string("credential")?,
        })
    }
}

impl RelayReport {
    fn read(f: &Fields) -> Result<RelayReport, FieldError> {
        Ok(RelayReport {
            video_kbps: f.f64("videoKbps")?,
            audio_kbps: f.f64("audioKbps")?,
            rtt_ms: f.f64("rttMs")?,
            loss_pct: f.f64("lossPct")?,
            nacks: f.u64("nacks")?.unwrap_or(0),
            plis: f.u64("plis")?.unwrap_or(0),
        })
    }
}

impl IngestReport {
    fn read(f: &Fields) -> Result<IngestReport, FieldError> {
        Ok(IngestReport {
            bitrate_kbps: f.need("bitrateKbps", Fields::f64)?,
            frames_per_second: f.need("framesPerSecond", Fields::f64)?,
            width: f.need("width", Fields::u32)?,
            height: f.need("height", Fields::u32)?,
            codec: f.need("codec", Fields::keyword)?,
            packet_loss: f.need("packetLoss", Fields::f64)?,
        })
    }
}

impl ViewerReport {
    fn read(f: &Fields) -> Result<ViewerReport, FieldError> {
        Ok(ViewerReport {
            fps: f.f64("fps")?,
            frames_decoded: f.u64("framesDecoded")?,
            freeze_count: f.u64("freezeCount")?,
            total_freezes_duration: f.f64("totalFreezesDuration")?,
            jitter_buffer_delay_ms: f.f64("jitterBufferDelayMs")?,
            packets_lost: f.i64("packetsLost")?,
            rtt_ms: f.f64("rttMs")?,
            turn_transport: f.keyword("turnTransport")?,
        })
    }
}
