//! The entries of a `getStats()` report, as the browser reports them, and how one is read
//! from JSON.
//!
//! Read field by field through [`Fields`] rather than with serde's derive: the browser
//! build parses a report every second, and the derived visitors of these wide structs (and
//! the buffering an internally tagged enum needs) were the largest part of the stats code
//! in the wasm (about 49 KB of it).

use crate::json_fields::{FieldError, Fields};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why one entry of a report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("it is not a JSON object")]
    NotAnObject,
    #[error("it has no string \"type\"")]
    NoType,
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// One entry of a stats report: the types OnAir reads, and `Other` for the rest
/// (`certificate`, `peer-connection`, `data-channel`, `remote-outbound-rtp`, …).
#[derive(Clone, Debug, PartialEq)]
pub enum StatsEntry {
    OutboundRtp(OutboundRtp),
    RemoteInboundRtp(RemoteInboundRtp),
    InboundRtp(InboundRtp),
    CandidatePair(CandidatePair),
    LocalCandidate(IceCandidateStats),
    RemoteCandidate(IceCandidateStats),
    Transport(TransportStats),
    MediaSource(MediaSourceStats),
    Codec(CodecStats),
    Other,
}

impl StatsEntry {
    /// Reads one entry by its `type`. Unknown types become [`StatsEntry::Other`]; an entry of
    /// a known type with a field of the wrong JSON type is an error naming the field.
    pub fn from_value(value: &Value) -> Result<StatsEntry, EntryError> {
        let fields = Fields::of(value).ok_or(EntryError::NotAnObject)?;
        let kind = fields.kind().ok_or(EntryError::NoType)?;
        let entry = match kind {
            "outbound-rtp" => StatsEntry::OutboundRtp(OutboundRtp::read(&fields)?),
            "remote-inbound-rtp" => StatsEntry::RemoteInboundRtp(RemoteInboundRtp::read(&fields)?),
            "inbound-rtp" => StatsEntry::InboundRtp(InboundRtp::read(&fields)?),
            "candidate-pair" => StatsEntry::CandidatePair(CandidatePair::read(&fields)?),
            "local-candidate" => StatsEntry::LocalCandidate(IceCandidateStats::read(&fields)?),
            "remote-candidate" => StatsEntry::RemoteCandidate(IceCandidateStats::read(&fields)?),
            "transport" => StatsEntry::Transport(TransportStats::read(&fields)?),
            "media-source" => StatsEntry::MediaSource(MediaSourceStats::read(&fields)?),
            "codec" => StatsEntry::Codec(CodecStats::read(&fields)?),
            _ => StatsEntry::Other,
        };
        Ok(entry)
    }
}

/// `kind` of an RTP stream or media source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Audio,
    Video,
    #[serde(other)]
    Other,
}

/// Why the encoder sends less than it would like (`qualityLimitationReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityLimitation {
    None,
    Cpu,
    Bandwidth,
    #[serde(other)]
    Other,
}

impl QualityLimitation {
    /// Words for the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            QualityLimitation::None => "not limited",
            QualityLimitation::Cpu => "limited by CPU",
            QualityLimitation::Bandwidth => "limited by bandwidth",
            QualityLimitation::Other => "limited",
        }
    }
}

/// `candidateType` of an ICE candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateType {
    Host,
    Srflx,
    Prflx,
    Relay,
    #[serde(other)]
    Other,
}

/// `outbound-rtp`: one RTP stream we send (one per kind; several for simulcast video).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutboundRtp {
    pub id: String,
    pub timestamp: Option<f64>,
    pub kind: Option<MediaKind>,
    pub ssrc: Option<u64>,
    pub transport_id: Option<String>,
    pub codec_id: Option<String>,
    pub media_source_id: Option<String>,
    pub remote_id: Option<String>,
    pub rid: Option<String>,
    pub active: Option<bool>,
    pub bytes_sent: Option<u64>,
    pub header_bytes_sent: Option<u64>,
    pub retransmitted_bytes_sent: Option<u64>,
    pub packets_sent: Option<u64>,
    pub frames_sent: Option<u64>,
    pub frames_encoded: Option<u64>,
    pub frames_per_second: Option<f64>,
    pub frame_width: Option<u32>,
    pub frame_height: Option<u32>,
    pub target_bitrate: Option<f64>,
    pub quality_limitation_reason: Option<QualityLimitation>,
}

impl OutboundRtp {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(OutboundRtp {
            id: fields.string("id")?.unwrap_or_default(),
            timestamp: fields.f64("timestamp")?,
            kind: fields.keyword("kind")?,
            ssrc: fields.u64("ssrc")?,
            transport_id: fields.string("transportId")?,
            codec_id: fields.string("codecId")?,
            media_source_id: fields.string("mediaSourceId")?,
            remote_id: fields.string("remoteId")?,
            rid: fields.string("rid")?,
            active: fields.bool("active")?,
            bytes_sent: fields.u64("bytesSent")?,
            header_bytes_sent: fields.u64("headerBytesSent")?,
            retransmitted_bytes_sent: fields.u64("retransmittedBytesSent")?,
            packets_sent: fields.u64("packetsSent")?,
            frames_sent: fields.u64("framesSent")?,
            frames_encoded: fields.u64("framesEncoded")?,
            frames_per_second: fields.f64("framesPerSecond")?,
            frame_width: fields.u32("frameWidth")?,
            frame_height: fields.u32("frameHeight")?,
            target_bitrate: fields.f64("targetBitrate")?,
            quality_limitation_reason: fields.keyword("qualityLimitationReason")?,
        })
    }
}

/// `remote-inbound-rtp`: what the viewer reported (RTCP receiver reports) about one of our
/// outbound streams; `local_id` points at that `outbound-rtp`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteInboundRtp {
    pub id: String,
    pub timestamp: Option<f64>,
    pub kind: Option<MediaKind>,
    pub ssrc: Option<u64>,
    pub local_id: Option<String>,
    /// Seconds.
    pub round_trip_time: Option<f64>,
    pub total_round_trip_time: Option<f64>,
    pub round_trip_time_measurements: Option<u64>,
    /// 0..1, over the last RTCP report interval.
    pub fraction_lost: Option<f64>,
    /// Cumulative; may go negative with duplicated packets.
    pub packets_lost: Option<i64>,
    /// Seconds.
    pub jitter: Option<f64>,
}

impl RemoteInboundRtp {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(RemoteInboundRtp {
            id: fields.string("id")?.unwrap_or_default(),
            timestamp: fields.f64("timestamp")?,
            kind: fields.keyword("kind")?,
            ssrc: fields.u64("ssrc")?,
            local_id: fields.string("localId")?,
            round_trip_time: fields.f64("roundTripTime")?,
            total_round_trip_time: fields.f64("totalRoundTripTime")?,
            round_trip_time_measurements: fields.u64("roundTripTimeMeasurements")?,
            fraction_lost: fields.f64("fractionLost")?,
            packets_lost: fields.i64("packetsLost")?,
            jitter: fields.f64("jitter")?,
        })
    }
}

/// `inbound-rtp`: one RTP stream we receive.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InboundRtp {
    pub id: String,
    pub timestamp: Option<f64>,
    pub kind: Option<MediaKind>,
    pub ssrc: Option<u64>,
    pub transport_id: Option<String>,
    pub codec_id: Option<String>,
    pub bytes_received: Option<u64>,
    pub header_bytes_received: Option<u64>,
    pub packets_received: Option<u64>,
    /// Cumulative; may go negative with duplicated packets.
    pub packets_lost: Option<i64>,
    /// Seconds.
    pub jitter: Option<f64>,
    pub frames_received: Option<u64>,
    pub frames_decoded: Option<u64>,
    pub frames_dropped: Option<u64>,
    pub frames_per_second: Option<f64>,
    pub frame_width: Option<u32>,
    pub frame_height: Option<u32>,
    pub freeze_count: Option<u64>,
    /// Seconds.
    pub total_freezes_duration: Option<f64>,
    pub pause_count: Option<u64>,
    /// Seconds.
    pub total_pauses_duration: Option<f64>,
    /// Seconds, summed over every emitted frame or sample.
    pub jitter_buffer_delay: Option<f64>,
    pub jitter_buffer_emitted_count: Option<u64>,
}

impl InboundRtp {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(InboundRtp {
            id: fields.string("id")?.unwrap_or_default(),
            timestamp: fields.f64("timestamp")?,
            kind: fields.keyword("kind")?,
            ssrc: fields.u64("ssrc")?,
            transport_id: fields.string("transportId")?,
            codec_id: fields.string("codecId")?,
            bytes_received: fields.u64("bytesReceived")?,
            header_bytes_received: fields.u64("headerBytesReceived")?,
            packets_received: fields.u64("packetsReceived")?,
            packets_lost: fields.i64("packetsLost")?,
            jitter: fields.f64("jitter")?,
            frames_received: fields.u64("framesReceived")?,
            frames_decoded: fields.u64("framesDecoded")?,
            frames_dropped: fields.u64("framesDropped")?,
            frames_per_second: fields.f64("framesPerSecond")?,
            frame_width: fields.u32("frameWidth")?,
            frame_height: fields.u32("frameHeight")?,
            freeze_count: fields.u64("freezeCount")?,
            total_freezes_duration: fields.f64("totalFreezesDuration")?,
            pause_count: fields.u64("pauseCount")?,
            total_pauses_duration: fields.f64("totalPausesDuration")?,
            jitter_buffer_delay: fields.f64("jitterBufferDelay")?,
            jitter_buffer_emitted_count: fields.u64("jitterBufferEmittedCount")?,
        })
    }
}

/// `candidate-pair`: a local/remote ICE candidate pair and its counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CandidatePair {
    pub id: String,
    pub timestamp: Option<f64>,
    pub transport_id: Option<String>,
    pub local_candidate_id: Option<String>,
    pub remote_candidate_id: Option<String>,
    /// `frozen`, `waiting`, `in-progress`, `failed`, `succeeded`.
    pub state: Option<String>,
    pub nominated: Option<bool>,
    /// Firefox only; Chromium says which pair is selected on the `transport`.
    pub selected: Option<bool>,
    /// Seconds, from STUN consent checks.
    pub current_round_trip_time: Option<f64>,
    pub total_round_trip_time: Option<f64>,
    /// Bits per second: the sender's bandwidth estimate for this path.
    pub available_outgoing_bitrate: Option<f64>,
    pub available_incoming_bitrate: Option<f64>,
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
}

impl CandidatePair {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(CandidatePair {
            id: fields.string("id")?.unwrap_or_default(),
            timestamp: fields.f64("timestamp")?,
            transport_id: fields.string("transportId")?,
            local_candidate_id: fields.string("localCandidateId")?,
            remote_candidate_id: fields.string("remoteCandidateId")?,
            state: fields.string("state")?,
            nominated: fields.bool("nominated")?,
            selected: fields.bool("selected")?,
            current_round_trip_time: fields.f64("currentRoundTripTime")?,
            total_round_trip_time: fields.f64("totalRoundTripTime")?,
            available_outgoing_bitrate: fields.f64("availableOutgoingBitrate")?,
            available_incoming_bitrate: fields.f64("availableIncomingBitrate")?,
            bytes_sent: fields.u64("bytesSent")?,
            bytes_received: fields.u64("bytesReceived")?,
        })
    }
}

/// `local-candidate` / `remote-candidate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IceCandidateStats {
    pub id: String,
    pub transport_id: Option<String>,
    pub address: Option<String>,
    pub port: Option<u32>,
    /// `udp` or `tcp`.
    pub protocol: Option<String>,
    pub candidate_type: Option<CandidateType>,
    /// Local relay candidates only: how we reach the TURN server (`udp`, `tcp`, `tls`).
    pub relay_protocol: Option<String>,
    pub url: Option<String>,
}

impl IceCandidateStats {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(IceCandidateStats {
            id: fields.string("id")?.unwrap_or_default(),
            transport_id: fields.string("transportId")?,
            address: fields.string("address")?,
            port: fields.u32("port")?,
            protocol: fields.string("protocol")?,
            candidate_type: fields.keyword("candidateType")?,
            relay_protocol: fields.string("relayProtocol")?,
            url: fields.string("url")?,
        })
    }
}

/// `transport`: the (bundled) DTLS/ICE transport.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransportStats {
    pub id: String,
    pub timestamp: Option<f64>,
    pub selected_candidate_pair_id: Option<String>,
    pub ice_state: Option<String>,
    pub dtls_state: Option<String>,
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
}

impl TransportStats {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(TransportStats {
            id: fields.string("id")?.unwrap_or_default(),
            timestamp: fields.f64("timestamp")?,
            selected_candidate_pair_id: fields.string("selectedCandidatePairId")?,
            ice_state: fields.string("iceState")?,
            dtls_state: fields.string("dtlsState")?,
            bytes_sent: fields.u64("bytesSent")?,
            bytes_received: fields.u64("bytesReceived")?,
        })
    }
}

/// `media-source`: the captured track feeding an `outbound-rtp`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaSourceStats {
    pub id: String,
    pub kind: Option<MediaKind>,
    pub track_identifier: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frames: Option<u64>,
    pub frames_per_second: Option<f64>,
    pub audio_level: Option<f64>,
}

impl MediaSourceStats {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(MediaSourceStats {
            id: fields.string("id")?.unwrap_or_default(),
            kind: fields.keyword("kind")?,
            track_identifier: fields.string("trackIdentifier")?,
            width: fields.u32("width")?,
            height: fields.u32("height")?,
            frames: fields.u64("frames")?,
            frames_per_second: fields.f64("framesPerSecond")?,
            audio_level: fields.f64("audioLevel")?,
        })
    }
}

/// `codec`: a negotiated codec, referenced by `codecId`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CodecStats {
    pub id: String,
    /// e.g. `video/VP8`, `audio/opus`.
    pub mime_type: Option<String>,
    pub payload_type: Option<u32>,
    pub clock_rate: Option<u32>,
    pub channels: Option<u32>,
    pub sdp_fmtp_line: Option<String>,
}

impl CodecStats {
    fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(CodecStats {
            id: fields.string("id")?.unwrap_or_default(),
            mime_type: fields.string("mimeType")?,
            payload_type: fields.u32("payloadType")?,
            clock_rate: fields.u32("clockRate")?,
            channels: fields.u32("channels")?,
            sdp_fmtp_line: fields.string("sdpFmtpLine")?,
        })
    }
}
