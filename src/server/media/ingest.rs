//! What the relay follows of an external encoder's publish (OBS, ffmpeg over WHIP): when its
//! live starts (its first video frame, which names the codec), its figures each second
//! (bitrate, frame rate, picture size, loss), and its end. Pure: frames and times in, events out.

use crate::protocol::{IngestReport, VideoCodec};
use crate::server::media::resolution;
use crate::server::media::routing::SessionId;
use crate::server::signaling::service::IngestEvent;
use std::time::Duration;
use str0m::format::Codec;

/// The studio's name for a codec str0m negotiated, if it is video the relay forwards.
pub fn video_codec(codec: Codec) -> Option<VideoCodec> {
    match codec {
        Codec::H264 => Some(VideoCodec::H264),
        Codec::Vp8 => Some(VideoCodec::VP8),
        Codec::Vp9 => Some(VideoCodec::VP9),
        Codec::Av1 => Some(VideoCodec::AV1),
        Codec::H265 => Some(VideoCodec::H265),
        _ => None,
    }
}

/// A short name for the encoder from its `User-Agent`: "OBS Studio 30.2", "ffmpeg", else its
/// first product token, else "WHIP client".
pub fn encoder_name(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("").trim();
    let tokens = || ua.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';'));
    if let Some(version) = tokens().find_map(|t| t.strip_prefix("OBS-Studio/").or_else(|| t.strip_prefix("OBS/"))) {
        let major_minor: Vec<&str> = version.split('.').take(2).collect();
        return format!("OBS Studio {}", major_minor.join("."));
    }
    if tokens().any(|t| t.starts_with("Lavf/") || t.to_ascii_lowercase().starts_with("ffmpeg")) {
        return "ffmpeg".to_owned();
    }
    match tokens().find(|t| t.contains('/') && !t.starts_with("Mozilla/")) {
        Some(product) => product.chars().take(40).collect(),
        None => "WHIP client".to_owned(),
    }
}

#[derive(Debug)]
struct Encoder {
    session: SessionId,
    client: String,
    /// Known from the first video frame, which also starts the live.
    codec: Option<VideoCodec>,
    size: (u32, u32),
    /// Since the last report.
    bytes: u64,
    frames: u32,
    loss: f64,
    /// It took over a session that was live: the live is on even before its first frame.
    took_over_live: bool,
}

/// The one external encoder publishing, if any.
#[derive(Debug, Default)]
pub struct IngestTracker {
    current: Option<Encoder>,
}

impl IngestTracker {
    /// An encoder opened a publish session (a reconnect replaces its old one).
    pub fn opened(&mut self, session: SessionId, client: String) {
        // The hub keeps the live going when the new session announces itself again.
        let took_over_live = self.current.as_ref().is_some_and(|e| e.codec.is_some() || e.took_over_live);
        self.current = Some(Encoder {
            session,
            client,
            codec: None,
            size: (0, 0),
            bytes: 0,
            frames: 0,
            loss: 0.0,
            took_over_live,
        });
    }

    /// Whether `session` is the encoder's.
    pub fn is_encoder(&self, session: SessionId) -> bool {
        self.current.as_ref().is_some_and(|e| e.session == session)
    }

    /// A frame from `session`: `Started` with the first video frame.
    pub fn frame(&mut self, session: SessionId, codec: Codec, data: &[u8], keyframe: bool) -> Option<IngestEvent> {
        let e = self.current.as_mut().filter(|e| e.session == session)?;
        e.bytes += data.len() as u64;
        let video = video_codec(codec)?;
        e.frames += 1;
        if keyframe {
            let size = match video {
                VideoCodec::H264 => resolution::h264_size(data),
                VideoCodec::VP8 => resolution::vp8_size(data),
                _ => None,
            };
            e.size = size.unwrap_or(e.size);
        }
        if e.codec.is_some() {
            return None;
        }
        e.codec = Some(video);
        Some(IngestEvent::Started { client: e.client.clone(), codec: video })
    }

    /// The fraction of video packets lost, from str0m's ingress stats.
    pub fn loss(&mut self, session: SessionId, loss: Option<f32>) {
        if let (Some(e), Some(loss)) = (self.current.as_mut().filter(|e| e.session == session), loss) {
            e.loss = f64::from(loss).clamp(0.0, 1.0);
        }
    }

    /// Once a second: the figures since the last call, while the live is on.
    pub fn second(&mut self, elapsed: Duration) -> Option<IngestEvent> {
        let e = self.current.as_mut()?;
        let codec = e.codec?;
        let secs = elapsed.as_secs_f64().max(0.001);
        let report = IngestReport {
            bitrate_kbps: round1(e.bytes as f64 * 8.0 / 1000.0 / secs),
            frames_per_second: round1(f64::from(e.frames) / secs),
            width: e.size.0,
            height: e.size.1,
            codec,
            packet_loss: e.loss,
        };
        e.bytes = 0;
        e.frames = 0;
        Some(IngestEvent::Stats(report))
    }

    /// `session` ended: `Ended` when it was the encoder's live (a replaced session is not).
    pub fn ended(&mut self, session: SessionId, reason: &str) -> Option<IngestEvent> {
        let e = self.current.take_if(|e| e.session == session)?;
        (e.codec.is_some() || e.took_over_live).then(|| IngestEvent::Ended { reason: reason.to_owned() })
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const S1: SessionId = SessionId(1);
    const S2: SessionId = SessionId(2);
    /// A 640x360 H.264 keyframe's start (AUD, then the SPS ffmpeg writes).
    const KEYFRAME: [u8; 31] = [
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
        0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2e, 0x48, 0, 0,
    ];

    #[test]
    fn the_encoder_is_named_from_its_user_agent() {
        assert_eq!(encoder_name(Some("Mozilla/5.0 (OBS-Studio/30.2.2; Windows x86_64; en-US)")), "OBS Studio 30.2");
        assert_eq!(encoder_name(Some("Lavf/62.3.100")), "ffmpeg");
        assert_eq!(encoder_name(Some("GStreamer/1.22.0 simple-whip-client")), "GStreamer/1.22.0");
        assert_eq!(encoder_name(Some("")), "WHIP client");
        assert_eq!(encoder_name(None), "WHIP client");
    }

    #[test]
    fn the_live_starts_with_the_first_video_frame_and_names_its_codec() {
        let mut t = IngestTracker::default();
        t.opened(S1, "ffmpeg".into());
        assert_eq!(t.frame(S1, Codec::Opus, &[0; 100], false), None, "audio alone is not a live yet");
        assert_eq!(t.second(Duration::from_secs(1)), None, "no figures before the live");
        assert_eq!(
            t.frame(S1, Codec::H264, &KEYFRAME, true),
            Some(IngestEvent::Started { client: "ffmpeg".into(), codec: VideoCodec::H264 })
        );
        assert_eq!(t.frame(S1, Codec::H264, &[0; 10], false), None, "announced once");
        assert_eq!(t.frame(S2, Codec::H264, &KEYFRAME, true), None, "not the encoder's session");
    }

    #[test]
    fn each_second_reports_bitrate_frame_rate_size_and_loss() {
        let mut t = IngestTracker::default();
        t.opened(S1, "OBS Studio 30.2".into());
        t.frame(S1, Codec::H264, &KEYFRAME, true);
        for _ in 0..29 {
            t.frame(S1, Codec::H264, &[0; 1000], false);
        }
        t.frame(S1, Codec::Opus, &[0; 200], false);
        t.loss(S1, Some(0.25));
        let Some(IngestEvent::Stats(r)) = t.second(Duration::from_secs(1)) else { panic!("no report") };
        assert_eq!((r.width, r.height, r.codec), (640, 360, VideoCodec::H264));
        assert_eq!(r.frames_per_second, 30.0);
        assert_eq!(r.bitrate_kbps, ((31 + 29_000 + 200) as f64 * 8.0 / 1000.0 * 10.0).round() / 10.0);
        assert_eq!(r.packet_loss, 0.25);
        let Some(IngestEvent::Stats(r)) = t.second(Duration::from_secs(1)) else { panic!("no report") };
        assert_eq!((r.frames_per_second, r.bitrate_kbps), (0.0, 0.0), "counted afresh each second");
        assert_eq!(r.width, 640, "the size stays until the next keyframe");
    }

    #[test]
    fn only_the_encoders_live_session_ends_its_live() {
        let mut t = IngestTracker::default();
        t.opened(S1, "ffmpeg".into());
        assert_eq!(t.ended(S1, "never connected"), None, "a session that never sent video was no live");
        t.opened(S1, "ffmpeg".into());
        t.frame(S1, Codec::Vp8, &[0; 10], false);
        // The same key reconnects: its new session replaces the old one, which then ends.
        t.opened(S2, "ffmpeg".into());
        assert_eq!(t.ended(S1, "replaced"), None);
        t.frame(S2, Codec::Vp8, &[0; 10], false);
        assert_eq!(t.ended(S2, "DELETE"), Some(IngestEvent::Ended { reason: "DELETE".into() }));
        assert!(!t.is_encoder(S2));
        // A takeover that never sends a frame still ends the live it took over.
        t.opened(S1, "ffmpeg".into());
        t.frame(S1, Codec::Vp8, &[0; 10], false);
        t.opened(S2, "ffmpeg".into());
        assert_eq!(t.ended(S1, "replaced"), None);
        assert!(t.ended(S2, "never connected").is_some());
    }
}
