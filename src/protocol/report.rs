//! A viewer's own report of the video it receives (and what counts as plausible), and the
//! relay's report of what it sends that viewer.

use serde::{Deserialize, Serialize};

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
    /// How the viewer reaches its TURN server, when its media goes through one: the studio
    /// sees only the relay's side, always UDP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_transport: Option<TurnTransport>,
}

/// The transport between a browser and its TURN server (`relayProtocol` in `getStats()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnTransport {
    Udp,
    Tcp,
    Tls,
}

impl TurnTransport {
    /// From a local candidate's `relayProtocol`.
    pub fn from_relay_protocol(protocol: &str) -> Option<TurnTransport> {
        match protocol {
            "udp" => Some(TurnTransport::Udp),
            "tcp" => Some(TurnTransport::Tcp),
            "tls" => Some(TurnTransport::Tls),
            _ => None,
        }
    }
}

/// What the relay measures of one viewer's session, sent to the studio once a second: the
/// relay's side of the row (the viewer's own [`ViewerReport`] still comes beside it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    #[serde(default)]
    pub video_kbps: Option<f64>,
    #[serde(default)]
    pub audio_kbps: Option<f64>,
    /// From the viewer's RTCP receiver reports.
    #[serde(default)]
    pub rtt_ms: Option<f64>,
    /// Percent of video packets the viewer reports lost, 0..=100.
    #[serde(default)]
    pub loss_pct: Option<f64>,
    /// Retransmission requests and keyframe requests from the viewer, since it joined.
    #[serde(default)]
    pub nacks: u64,
    #[serde(default)]
    pub plis: u64,
}

/// A video codec a publisher sends, as the studio names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VideoCodec {
    H264,
    VP8,
    VP9,
    AV1,
    H265,
}

impl VideoCodec {
    /// The codec in words, for people ("H.264").
    pub fn words(self) -> &'static str {
        match self {
            VideoCodec::H264 => "H.264",
            VideoCodec::VP8 => "VP8",
            VideoCodec::VP9 => "VP9",
            VideoCodec::AV1 => "AV1",
            VideoCodec::H265 => "H.265",
        }
    }
}

/// What the relay measures of an external encoder's incoming stream, once a second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    /// Audio and video together, in kbit/s.
    pub bitrate_kbps: f64,
    pub frames_per_second: f64,
    /// 0 until a keyframe was seen.
    pub width: u32,
    pub height: u32,
    pub codec: VideoCodec,
    /// Fraction of the video's packets lost, 0..=1.
    pub packet_loss: f64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_transports_come_from_the_browsers_words() {
        assert_eq!(TurnTransport::from_relay_protocol("tcp"), Some(TurnTransport::Tcp));
        assert_eq!(TurnTransport::from_relay_protocol("udp"), Some(TurnTransport::Udp));
        assert_eq!(TurnTransport::from_relay_protocol("tls"), Some(TurnTransport::Tls));
        assert_eq!(TurnTransport::from_relay_protocol("sctp"), None);
    }

    #[test]
    fn implausible_viewer_reports_are_recognised() {
        assert!(ViewerReport::default().is_plausible());
        assert!(ViewerReport { fps: Some(60.0), rtt_ms: Some(20.0), ..Default::default() }.is_plausible());
        assert!(!ViewerReport { fps: Some(-1.0), ..Default::default() }.is_plausible());
        assert!(!ViewerReport { rtt_ms: Some(1e12), ..Default::default() }.is_plausible());
    }
}
