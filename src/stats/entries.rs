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

/// An entry type: its `id`, then optional fields, each read from its JSON name by a
/// [`Fields`] reader (`string`, `f64`, `u64`, `i64`, `u32`, `bool`, `keyword`).
macro_rules! stats_entry {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $read:ident($json:literal),)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            pub id: String,
            $($(#[$fdoc])* pub $field: Option<$ty>,)*
        }

        impl $name {
            fn read(fields: &Fields) -> Result<Self, FieldError> {
                Ok($name { id: fields.string("id")?.unwrap_or_default(), $($field: fields.$read($json)?,)* })
            }
        }
    };
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

stats_entry! {
    /// `outbound-rtp`: one RTP stream we send (one per kind; several for simulcast video).
    OutboundRtp {
        timestamp: f64 = f64("timestamp"),
        kind: MediaKind = keyword("kind"),
        ssrc: u64 = u64("ssrc"),
        transport_id: String = string("transportId"),
        codec_id: String = string("codecId"),
        media_source_id: String = string("mediaSourceId"),
        remote_id: String = string("remoteId"),
        rid: String = string("rid"),
        active: bool = bool("active"),
        bytes_sent: u64 = u64("bytesSent"),
        header_bytes_sent: u64 = u64("headerBytesSent"),
        retransmitted_bytes_sent: u64 = u64("retransmittedBytesSent"),
        packets_sent: u64 = u64("packetsSent"),
        frames_sent: u64 = u64("framesSent"),
        frames_encoded: u64 = u64("framesEncoded"),
        frames_per_second: f64 = f64("framesPerSecond"),
        frame_width: u32 = u32("frameWidth"),
        frame_height: u32 = u32("frameHeight"),
        target_bitrate: f64 = f64("targetBitrate"),
        quality_limitation_reason: QualityLimitation = keyword("qualityLimitationReason"),
    }
}

stats_entry! {
    /// `remote-inbound-rtp`: what the viewer reported (RTCP receiver reports) about one of our
    /// outbound streams; `local_id` points at that `outbound-rtp`.
    RemoteInboundRtp {
        timestamp: f64 = f64("timestamp"),
        kind: MediaKind = keyword("kind"),
        ssrc: u64 = u64("ssrc"),
        local_id: String = string("localId"),
        /// Seconds.
        round_trip_time: f64 = f64("roundTripTime"),
        total_round_trip_time: f64 = f64("totalRoundTripTime"),
        round_trip_time_measurements: u64 = u64("roundTripTimeMeasurements"),
        /// 0..1, over the last RTCP report interval.
        fraction_lost: f64 = f64("fractionLost"),
        /// Cumulative; may go negative with duplicated packets.
        packets_lost: i64 = i64("packetsLost"),
        /// Seconds.
        jitter: f64 = f64("jitter"),
    }
}

stats_entry! {
    /// `inbound-rtp`: one RTP stream we receive.
    InboundRtp {
        timestamp: f64 = f64("timestamp"),
        kind: MediaKind = keyword("kind"),
        ssrc: u64 = u64("ssrc"),
        transport_id: String = string("transportId"),
        codec_id: String = string("codecId"),
        bytes_received: u64 = u64("bytesReceived"),
        header_bytes_received: u64 = u64("headerBytesReceived"),
        packets_received: u64 = u64("packetsReceived"),
        /// Cumulative; may go negative with duplicated packets.
        packets_lost: i64 = i64("packetsLost"),
        /// Seconds.
        jitter: f64 = f64("jitter"),
        frames_received: u64 = u64("framesReceived"),
        frames_decoded: u64 = u64("framesDecoded"),
        frames_dropped: u64 = u64("framesDropped"),
        frames_per_second: f64 = f64("framesPerSecond"),
        frame_width: u32 = u32("frameWidth"),
        frame_height: u32 = u32("frameHeight"),
        freeze_count: u64 = u64("freezeCount"),
        /// Seconds.
        total_freezes_duration: f64 = f64("totalFreezesDuration"),
        pause_count: u64 = u64("pauseCount"),
        /// Seconds.
        total_pauses_duration: f64 = f64("totalPausesDuration"),
        /// Seconds, summed over every emitted frame or sample.
        jitter_buffer_delay: f64 = f64("jitterBufferDelay"),
        jitter_buffer_emitted_count: u64 = u64("jitterBufferEmittedCount"),
    }
}

stats_entry! {
    /// `candidate-pair`: a local/remote ICE candidate pair and its counters.
    CandidatePair {
        timestamp: f64 = f64("timestamp"),
        transport_id: String = string("transportId"),
        local_candidate_id: String = string("localCandidateId"),
        remote_candidate_id: String = string("remoteCandidateId"),
        /// `frozen`, `waiting`, `in-progress`, `failed`, `succeeded`.
        state: String = string("state"),
        nominated: bool = bool("nominated"),
        /// Firefox only; Chromium says which pair is selected on the `transport`.
        selected: bool = bool("selected"),
        /// Seconds, from STUN consent checks.
        current_round_trip_time: f64 = f64("currentRoundTripTime"),
        total_round_trip_time: f64 = f64("totalRoundTripTime"),
        /// Bits per second: the sender's bandwidth estimate for this path.
        available_outgoing_bitrate: f64 = f64("availableOutgoingBitrate"),
        available_incoming_bitrate: f64 = f64("availableIncomingBitrate"),
        bytes_sent: u64 = u64("bytesSent"),
        bytes_received: u64 = u64("bytesReceived"),
    }
}

stats_entry! {
    /// `local-candidate` / `remote-candidate`.
    IceCandidateStats {
        transport_id: String = string("transportId"),
        address: String = string("address"),
        port: u32 = u32("port"),
        /// `udp` or `tcp`.
        protocol: String = string("protocol"),
        candidate_type: CandidateType = keyword("candidateType"),
        /// Local relay candidates only: how we reach the TURN server (`udp`, `tcp`, `tls`).
        relay_protocol: String = string("relayProtocol"),
        url: String = string("url"),
    }
}

stats_entry! {
    /// `transport`: the (bundled) DTLS/ICE transport.
    TransportStats {
        timestamp: f64 = f64("timestamp"),
        selected_candidate_pair_id: String = string("selectedCandidatePairId"),
        ice_state: String = string("iceState"),
        dtls_state: String = string("dtlsState"),
        bytes_sent: u64 = u64("bytesSent"),
        bytes_received: u64 = u64("bytesReceived"),
    }
}

stats_entry! {
    /// `media-source`: the captured track feeding an `outbound-rtp`.
    MediaSourceStats {
        kind: MediaKind = keyword("kind"),
        track_identifier: String = string("trackIdentifier"),
        width: u32 = u32("width"),
        height: u32 = u32("height"),
        frames: u64 = u64("frames"),
        frames_per_second: f64 = f64("framesPerSecond"),
        audio_level: f64 = f64("audioLevel"),
    }
}

stats_entry! {
    /// `codec`: a negotiated codec, referenced by `codecId`.
    CodecStats {
        /// e.g. `video/VP8`, `audio/opus`.
        mime_type: String = string("mimeType"),
        payload_type: u32 = u32("payloadType"),
        clock_rate: u32 = u32("clockRate"),
        channels: u32 = u32("channels"),
        sdp_fmtp_line: String = string("sdpFmtpLine"),
    }
}
