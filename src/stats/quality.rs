//! Quality over an interval: rates, loss and averages from two samples of the same connection.

use super::entries::QualityLimitation;
use super::route::Route;
use super::sample::{ReceiverSample, SenderSample};
use serde::{Deserialize, Serialize};

/// What the dashboard shows for the studio's connection to one viewer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SenderQuality {
    pub video_kbps: Option<f64>,
    pub audio_kbps: Option<f64>,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub rtt_ms: Option<f64>,
    /// Percent of video packets lost, 0..=100.
    pub loss_pct: Option<f64>,
    pub route: Option<Route>,
    pub protocol: Option<String>,
    pub limitation: Option<QualityLimitation>,
    pub available_outgoing_kbps: Option<f64>,
}

impl SenderQuality {
    /// Video plus audio (audio counts as 0 when unknown); `None` without a video rate.
    pub fn total_kbps(&self) -> Option<f64> {
        self.video_kbps.map(|v| v + self.audio_kbps.unwrap_or(0.0))
    }
}

/// What a viewer's connection does, for the viewer's own panel or to report to the studio.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverQuality {
    /// Video plus audio.
    pub kbps: Option<f64>,
    pub video_kbps: Option<f64>,
    pub audio_kbps: Option<f64>,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub rtt_ms: Option<f64>,
    /// Video packets lost, cumulative.
    pub packets_lost: Option<i64>,
    /// Percent of video packets lost, 0..=100: over the interval when possible, else cumulative.
    pub loss_pct: Option<f64>,
    pub freeze_count: Option<u64>,
    pub total_freezes_duration_s: Option<f64>,
    /// Mean time a frame waited in the jitter buffer: over the interval when possible, else since the start.
    pub jitter_buffer_delay_ms: Option<f64>,
    pub route: Option<Route>,
    pub protocol: Option<String>,
}

/// Seconds between two samples, when positive.
fn interval_s(prev: Option<f64>, cur: f64) -> Option<f64> {
    let dt = (cur - prev?) / 1000.0;
    (dt.is_finite() && dt > 0.0).then_some(dt)
}

/// A counter's increase, `None` if either side is missing or it went backwards (a reset).
fn delta(prev: Option<u64>, cur: Option<u64>) -> Option<u64> {
    cur?.checked_sub(prev?)
}

/// kbit/s from a byte counter.
fn kbps(prev: Option<u64>, cur: Option<u64>, dt_s: Option<f64>) -> Option<f64> {
    Some(delta(prev, cur)? as f64 * 8.0 / 1000.0 / dt_s?)
}

fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 100.0).clamp(0.0, 100.0))
}

/// Rates between `prev` and `cur` (samples of the same connection, `prev` older).
/// Without `prev`, rates are `None` and loss is the viewer's last `fractionLost`, else cumulative.
pub fn sender_quality(prev: Option<&SenderSample>, cur: &SenderSample) -> SenderQuality {
    let dt = interval_s(prev.map(|p| p.timestamp_ms), cur.timestamp_ms);
    let interval_loss = prev.zip(dt).and_then(|(p, _)| {
        let sent = delta(p.packets_sent, cur.packets_sent).filter(|&s| s > 0)?;
        let lost = cur.packets_lost? - p.packets_lost?;
        pct(lost.max(0) as f64, sent as f64)
    });
    let loss_pct = interval_loss
        .or_else(|| cur.fraction_lost.map(|f| (f * 100.0).clamp(0.0, 100.0)))
        .or_else(|| pct(cur.packets_lost?.max(0) as f64, cur.packets_sent? as f64));
    let fps = cur.frames_per_second.or_else(|| {
        let frames = delta(prev?.frames_sent, cur.frames_sent)?;
        Some(frames as f64 / dt?)
    });
    SenderQuality {
        video_kbps: kbps(prev.and_then(|p| p.video_bytes_sent), cur.video_bytes_sent, dt),
        audio_kbps: kbps(prev.and_then(|p| p.audio_bytes_sent), cur.audio_bytes_sent, dt),
        fps,
        width: cur.frame_width,
        height: cur.frame_height,
        rtt_ms: cur.rtt_ms,
        loss_pct,
        route: cur.route,
        protocol: cur.protocol.clone(),
        limitation: cur.quality_limitation_reason,
        available_outgoing_kbps: cur.available_outgoing_bitrate.map(|b| b / 1000.0),
    }
}

/// Rates between `prev` and `cur` (samples of the same connection, `prev` older).
pub fn receiver_quality(prev: Option<&ReceiverSample>, cur: &ReceiverSample) -> ReceiverQuality {
    let dt = interval_s(prev.map(|p| p.timestamp_ms), cur.timestamp_ms);
    let video_kbps = kbps(prev.and_then(|p| p.video_bytes_received), cur.video_bytes_received, dt);
    let audio_kbps = kbps(prev.and_then(|p| p.audio_bytes_received), cur.audio_bytes_received, dt);
    let total = match (video_kbps, audio_kbps) {
        (Some(v), Some(a)) => Some(v + a),
        // A kind the connection does not carry at all counts as nothing.
        (Some(v), None) if cur.audio_bytes_received.is_none() => Some(v),
        (None, Some(a)) if cur.video_bytes_received.is_none() => Some(a),
        _ => None,
    };
    let interval_loss = prev.zip(dt).and_then(|(p, _)| {
        let received = delta(p.packets_received, cur.packets_received)?;
        let lost = (cur.packets_lost? - p.packets_lost?).max(0);
        pct(lost as f64, received as f64 + lost as f64)
    });
    let loss_pct = interval_loss.or_else(|| {
        let lost = cur.packets_lost?.max(0) as f64;
        pct(lost, cur.packets_received? as f64 + lost)
    });
    let fps = cur.frames_per_second.or_else(|| {
        let frames = delta(prev?.frames_decoded, cur.frames_decoded)?;
        Some(frames as f64 / dt?)
    });
    let interval_jitter = prev.and_then(|p| {
        let emitted = delta(p.jitter_buffer_emitted_count, cur.jitter_buffer_emitted_count).filter(|&n| n > 0)?;
        let delay = cur.jitter_buffer_delay_s? - p.jitter_buffer_delay_s?;
        (delay >= 0.0).then(|| delay / emitted as f64 * 1000.0)
    });
    let jitter_buffer_delay_ms = interval_jitter.or_else(|| {
        let emitted = cur.jitter_buffer_emitted_count.filter(|&n| n > 0)?;
        Some(cur.jitter_buffer_delay_s? / emitted as f64 * 1000.0)
    });
    ReceiverQuality {
        kbps: total,
        video_kbps,
        audio_kbps,
        fps,
        width: cur.frame_width,
        height: cur.frame_height,
        rtt_ms: cur.rtt_ms,
        packets_lost: cur.packets_lost,
        loss_pct,
        freeze_count: cur.freeze_count,
        total_freezes_duration_s: cur.total_freezes_duration_s,
        jitter_buffer_delay_ms,
        route: cur.route,
        protocol: cur.protocol.clone(),
    }
}
