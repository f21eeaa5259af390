//! One report boiled down to a sample: the studio's side of a connection, or a viewer's.

use super::entries::{InboundRtp, MediaKind, OutboundRtp, QualityLimitation};
use super::error::StatsError;
use super::report::Report;
use super::route::Route;
use serde::{Deserialize, Serialize};

/// The studio's connection to one viewer, at one instant. Counters are cumulative.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SenderSample {
    /// Milliseconds since the epoch (fractional), of the video `outbound-rtp` when there is one.
    pub timestamp_ms: f64,
    pub video_bytes_sent: Option<u64>,
    pub audio_bytes_sent: Option<u64>,
    pub frames_per_second: Option<f64>,
    pub frame_width: Option<u32>,
    pub frame_height: Option<u32>,
    pub frames_sent: Option<u64>,
    pub quality_limitation_reason: Option<QualityLimitation>,
    /// Video `remote-inbound-rtp.roundTripTime`, else the selected pair's
    /// `currentRoundTripTime`, else audio `remote-inbound-rtp.roundTripTime`; milliseconds.
    pub rtt_ms: Option<f64>,
    /// Video packets the viewer reported lost (cumulative, from `remote-inbound-rtp`;
    /// summed over simulcast layers like `packets_sent`).
    pub packets_lost: Option<i64>,
    /// Video packets sent (cumulative).
    pub packets_sent: Option<u64>,
    /// Video `remote-inbound-rtp.fractionLost` (0..1, last RTCP interval).
    pub fraction_lost: Option<f64>,
    pub route: Option<Route>,
    /// `udp` or `tcp`; for a relayed path also how the TURN server is reached, e.g. `udp via TURN/tls`.
    pub protocol: Option<String>,
    /// Bits per second: the selected pair's `availableOutgoingBitrate`.
    pub available_outgoing_bitrate: Option<f64>,
    /// e.g. `video/VP8`.
    pub video_codec: Option<String>,
}

/// A viewer's connection to the studio, at one instant. Counters are cumulative.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSample {
    /// Milliseconds since the epoch (fractional), of the video `inbound-rtp` when there is one.
    pub timestamp_ms: f64,
    pub video_bytes_received: Option<u64>,
    pub audio_bytes_received: Option<u64>,
    pub frames_decoded: Option<u64>,
    pub frames_per_second: Option<f64>,
    pub frame_width: Option<u32>,
    pub frame_height: Option<u32>,
    pub freeze_count: Option<u64>,
    pub total_freezes_duration_s: Option<f64>,
    pub jitter_buffer_delay_s: Option<f64>,
    pub jitter_buffer_emitted_count: Option<u64>,
    /// Video packets lost (cumulative; may be negative with duplicates).
    pub packets_lost: Option<i64>,
    /// Video packets received (cumulative).
    pub packets_received: Option<u64>,
    /// The selected pair's `currentRoundTripTime`, milliseconds.
    pub rtt_ms: Option<f64>,
    pub route: Option<Route>,
    pub protocol: Option<String>,
    /// e.g. `video/VP8`.
    pub video_codec: Option<String>,
    /// How this viewer reaches its TURN server (`udp`, `tcp`, `tls`), when it plays through one.
    pub turn_relay_protocol: Option<String>,
}

/// Parses the studio side of one viewer's connection.
pub fn parse_sender(json: &str) -> Result<SenderSample, StatsError> {
    SenderSample::from_report(&Report::parse(json)?)
}

/// Parses a viewer's side of its connection.
pub fn parse_receiver(json: &str) -> Result<ReceiverSample, StatsError> {
    ReceiverSample::from_report(&Report::parse(json)?)
}

/// The RTP stream entries a sample is read from: `outbound-rtp` for the sender,
/// `inbound-rtp` for the receiver.
trait RtpStream: 'static {
    fn all_in(report: &Report) -> impl Iterator<Item = &Self>;
    fn kind(&self) -> Option<MediaKind>;
    fn timestamp(&self) -> Option<f64>;
    /// Bytes sent or received so far.
    fn bytes(&self) -> Option<u64>;
    fn codec_id(&self) -> Option<&str>;
    /// Orders the video streams to find the main one (the largest rank wins).
    fn main_rank(&self) -> (bool, u64);
}

impl RtpStream for OutboundRtp {
    fn all_in(report: &Report) -> impl Iterator<Item = &Self> {
        report.outbound_rtp()
    }
    fn kind(&self) -> Option<MediaKind> {
        self.kind
    }
    fn timestamp(&self) -> Option<f64> {
        self.timestamp
    }
    fn bytes(&self) -> Option<u64> {
        self.bytes_sent
    }
    fn codec_id(&self) -> Option<&str> {
        self.codec_id.as_deref()
    }
    /// With simulcast, the largest layer still being sent.
    fn main_rank(&self) -> (bool, u64) {
        (self.active != Some(false), area(self.frame_width, self.frame_height))
    }
}

impl RtpStream for InboundRtp {
    fn all_in(report: &Report) -> impl Iterator<Item = &Self> {
        report.inbound_rtp()
    }
    fn kind(&self) -> Option<MediaKind> {
        self.kind
    }
    fn timestamp(&self) -> Option<f64> {
        self.timestamp
    }
    fn bytes(&self) -> Option<u64> {
        self.bytes_received
    }
    fn codec_id(&self) -> Option<&str> {
        self.codec_id.as_deref()
    }
    fn main_rank(&self) -> (bool, u64) {
        (true, area(self.frame_width, self.frame_height))
    }
}

fn area(width: Option<u32>, height: Option<u32>) -> u64 {
    u64::from(width.unwrap_or(0)) * u64::from(height.unwrap_or(0))
}

/// Sums a counter over the streams of one kind; `None` if no stream of that kind has it.
fn sum_of<S: RtpStream>(report: &Report, want: MediaKind, value: impl Fn(&S) -> Option<u64>) -> Option<u64> {
    S::all_in(report)
        .filter(|s| s.kind() == Some(want))
        .filter_map(value)
        .fold(None, |acc, v| Some(acc.unwrap_or(0u64).saturating_add(v)))
}

/// What both directions read from a report the same way, from their own kind of stream.
struct StreamsRead<'r, S> {
    /// The video stream whose picture the viewer sees.
    video: Option<&'r S>,
    /// The main video stream's, else any stream's, else the report's.
    timestamp_ms: f64,
    video_bytes: Option<u64>,
    audio_bytes: Option<u64>,
    route: Option<Route>,
    protocol: Option<String>,
    video_codec: Option<String>,
}

impl<'r, S: RtpStream> StreamsRead<'r, S> {
    fn of(report: &'r Report) -> Result<Self, StatsError> {
        let video = S::all_in(report).filter(|s| s.kind() == Some(MediaKind::Video)).max_by_key(|s| s.main_rank());
        let timestamp_ms = video
            .and_then(S::timestamp)
            .or_else(|| S::all_in(report).find_map(S::timestamp))
            .or(report.timestamp_ms)
            .ok_or(StatsError::NoTimestamp)?;
        let (route, protocol) = report.path();
        Ok(StreamsRead {
            video,
            timestamp_ms,
            video_bytes: sum_of(report, MediaKind::Video, S::bytes),
            audio_bytes: sum_of(report, MediaKind::Audio, S::bytes),
            route,
            protocol,
            video_codec: report.codec_mime(video.and_then(S::codec_id)),
        })
    }
}

impl SenderSample {
    pub fn from_report(report: &Report) -> Result<SenderSample, StatsError> {
        let read = StreamsRead::<OutboundRtp>::of(report)?;
        let video = read.video;
        let remote_of = |want: MediaKind| {
            // Prefer the report about our main stream; otherwise any of that kind.
            let linked = video
                .filter(|_| want == MediaKind::Video)
                .and_then(|v| report.remote_inbound_rtp().find(|r| r.local_id.as_deref() == Some(v.id.as_str())));
            linked.or_else(|| report.remote_inbound_rtp().find(|r| r.kind == Some(want)))
        };
        let remote_video = remote_of(MediaKind::Video);
        let remote_audio = remote_of(MediaKind::Audio);
        let pair = report.selected_pair();
        Ok(SenderSample {
            timestamp_ms: read.timestamp_ms,
            video_bytes_sent: read.video_bytes,
            audio_bytes_sent: read.audio_bytes,
            frames_per_second: video.and_then(|v| v.frames_per_second),
            frame_width: video.and_then(|v| v.frame_width),
            frame_height: video.and_then(|v| v.frame_height),
            frames_sent: video.and_then(|v| v.frames_sent),
            quality_limitation_reason: video.and_then(|v| v.quality_limitation_reason),
            rtt_ms: remote_video
                .and_then(|r| r.round_trip_time)
                .or_else(|| pair.and_then(|p| p.current_round_trip_time))
                .or_else(|| remote_audio.and_then(|r| r.round_trip_time))
                .map(|s| s * 1000.0),
            packets_lost: report
                .remote_inbound_rtp()
                .filter(|r| r.kind == Some(MediaKind::Video))
                .filter_map(|r| r.packets_lost)
                .fold(None, |acc, n| Some(acc.unwrap_or(0i64).saturating_add(n))),
            packets_sent: sum_of(report, MediaKind::Video, |o: &OutboundRtp| o.packets_sent),
            fraction_lost: remote_video.and_then(|r| r.fraction_lost),
            route: read.route,
            protocol: read.protocol,
            available_outgoing_bitrate: pair.and_then(|p| p.available_outgoing_bitrate),
            video_codec: read.video_codec,
        })
    }
}

impl ReceiverSample {
    pub fn from_report(report: &Report) -> Result<ReceiverSample, StatsError> {
        let read = StreamsRead::<InboundRtp>::of(report)?;
        let video = read.video;
        Ok(ReceiverSample {
            timestamp_ms: read.timestamp_ms,
            video_bytes_received: read.video_bytes,
            audio_bytes_received: read.audio_bytes,
            frames_decoded: video.and_then(|v| v.frames_decoded),
            frames_per_second: video.and_then(|v| v.frames_per_second),
            frame_width: video.and_then(|v| v.frame_width),
            frame_height: video.and_then(|v| v.frame_height),
            freeze_count: video.and_then(|v| v.freeze_count),
            total_freezes_duration_s: video.and_then(|v| v.total_freezes_duration),
            jitter_buffer_delay_s: video.and_then(|v| v.jitter_buffer_delay),
            jitter_buffer_emitted_count: video.and_then(|v| v.jitter_buffer_emitted_count),
            packets_lost: video.and_then(|v| v.packets_lost),
            packets_received: video.and_then(|v| v.packets_received),
            rtt_ms: report.selected_pair().and_then(|p| p.current_round_trip_time).map(|s| s * 1000.0),
            route: read.route,
            protocol: read.protocol,
            video_codec: read.video_codec,
            turn_relay_protocol: report.turn_relay_protocol().map(str::to_owned),
        })
    }
}
