//! WebRTC `getStats()` reports: typed parsing, per-interval quality, and display helpers.
//!
//! Pure Rust, shared by both builds (no web-sys here). The browser side turns an
//! `RTCStatsReport` into JSON with `JSON.stringify(Array.from(report.values()))` and hands
//! the string to [`parse_sender`] (the studio's connection to one viewer) or
//! [`parse_receiver`] (a viewer's connection to the studio); already-parsed
//! `serde_json::Value`s go through [`Report::from_value`].
//!
//! A sample holds cumulative counters as the browser reports them. Rates need two samples:
//! [`sender_quality`] and [`receiver_quality`] compare the previous sample of the *same*
//! connection with the current one. [`capacity_estimate`] turns the studio's per-viewer
//! qualities into "how many more viewers fit".
//!
//! Shapes follow what Chromium actually reports (the fixtures in `src/stats/fixtures/` are
//! real samples, captured by `end2end/tools/capture-stats.mjs`): every field may be missing
//! early in a connection's life, so every number here is an `Option`.

mod entries;

pub use entries::*;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Why a stats report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    #[error("the stats report is not valid JSON: {0}")]
    Json(String),
    #[error("a stats report must be a JSON array of entries (or an object of entries by id), not {0}")]
    NotAReport(&'static str),
    #[error("stats entry {index} (id {id:?}, type {kind:?}) does not have the expected shape: {problem}")]
    BadEntry { index: usize, id: String, kind: String, problem: EntryError },
    #[error("the stats report has no timestamp: it is empty or none of its entries has one")]
    NoTimestamp,
}

// ---------------------------------------------------------------------------------------
// A whole report
// ---------------------------------------------------------------------------------------

/// A parsed stats report: the entries OnAir reads, in report order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub entries: Vec<StatsEntry>,
    /// The latest `timestamp` of any entry (milliseconds since the epoch), known or not.
    pub timestamp_ms: Option<f64>,
}

impl Report {
    /// Parses `JSON.stringify(Array.from(report.values()))`.
    pub fn parse(json: &str) -> Result<Report, StatsError> {
        let value: Value = serde_json::from_str(json).map_err(|e| StatsError::Json(e.to_string()))?;
        Report::from_value(&value)
    }

    /// Reads an already-parsed report: an array of entries, or an object of entries by id
    /// (`Object.fromEntries(report)`).
    pub fn from_value(value: &Value) -> Result<Report, StatsError> {
        match value {
            Value::Array(items) => Report::from_values(items.iter()),
            Value::Object(map) => Report::from_values(map.values()),
            Value::Null => Err(StatsError::NotAReport("null")),
            Value::Bool(_) => Err(StatsError::NotAReport("a boolean")),
            Value::Number(_) => Err(StatsError::NotAReport("a number")),
            Value::String(_) => Err(StatsError::NotAReport("a string")),
        }
    }

    /// Reads entries one by one. Unknown entry types become [`StatsEntry::Other`]; an entry
    /// of a known type whose fields have the wrong JSON type is an error naming it.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Result<Report, StatsError> {
        let mut report = Report::default();
        for (index, value) in values.into_iter().enumerate() {
            let entry = StatsEntry::from_value(value).map_err(|problem| StatsError::BadEntry {
                index,
                id: value.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                kind: value.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
                problem,
            })?;
            if let Some(t) = value.get("timestamp").and_then(Value::as_f64) {
                report.timestamp_ms = Some(report.timestamp_ms.map_or(t, |m| m.max(t)));
            }
            report.entries.push(entry);
        }
        Ok(report)
    }

    pub fn outbound_rtp(&self) -> impl Iterator<Item = &OutboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::OutboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn remote_inbound_rtp(&self) -> impl Iterator<Item = &RemoteInboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::RemoteInboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn inbound_rtp(&self) -> impl Iterator<Item = &InboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::InboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn candidate_pairs(&self) -> impl Iterator<Item = &CandidatePair> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::CandidatePair(x) => Some(x),
            _ => None,
        })
    }

    pub fn transports(&self) -> impl Iterator<Item = &TransportStats> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::Transport(x) => Some(x),
            _ => None,
        })
    }

    pub fn local_candidate(&self, id: &str) -> Option<&IceCandidateStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::LocalCandidate(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn remote_candidate(&self, id: &str) -> Option<&IceCandidateStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::RemoteCandidate(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn codec(&self, id: &str) -> Option<&CodecStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::Codec(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn media_source(&self, id: &str) -> Option<&MediaSourceStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::MediaSource(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    /// The candidate pair media flows over: the transport's `selectedCandidatePairId`;
    /// failing that a pair that is `nominated` and `succeeded` (or Firefox's `selected`),
    /// the busiest one if there are several.
    pub fn selected_pair(&self) -> Option<&CandidatePair> {
        let by_transport = self.transports().find_map(|t| {
            let id = t.selected_candidate_pair_id.as_deref()?;
            self.candidate_pairs().find(|p| p.id == id)
        });
        by_transport.or_else(|| {
            self.candidate_pairs()
                .filter(|p| {
                    p.selected == Some(true) || (p.nominated == Some(true) && p.state.as_deref() == Some("succeeded"))
                })
                .max_by_key(|p| p.bytes_sent.unwrap_or(0).saturating_add(p.bytes_received.unwrap_or(0)))
        })
    }

    /// The route and transport protocol of the selected pair.
    pub fn path(&self) -> (Option<Route>, Option<String>) {
        let Some(pair) = self.selected_pair() else {
            return (None, None);
        };
        let local = pair.local_candidate_id.as_deref().and_then(|id| self.local_candidate(id));
        let remote = pair.remote_candidate_id.as_deref().and_then(|id| self.remote_candidate(id));
        let route =
            Route::from_candidate_types(local.and_then(|c| c.candidate_type), remote.and_then(|c| c.candidate_type));
        let protocol = local.and_then(|c| c.protocol.clone()).or_else(|| remote.and_then(|c| c.protocol.clone()));
        let protocol = match (protocol, local.and_then(|c| c.relay_protocol.as_deref())) {
            (Some(p), Some(relay)) if route == Some(Route::Relay) => Some(format!("{p} via TURN/{relay}")),
            (Some(p), _) => Some(p),
            (None, Some(relay)) if route == Some(Route::Relay) => Some(format!("TURN/{relay}")),
            (None, _) => None,
        };
        (route, protocol)
    }

    fn codec_mime(&self, codec_id: Option<&str>) -> Option<String> {
        codec_id.and_then(|id| self.codec(id)).and_then(|c| c.mime_type.clone())
    }
}

/// The video stream whose picture viewers see: with simulcast, the largest active layer.
fn main_video<'a, T: 'a, K: Ord>(
    items: impl Iterator<Item = &'a T>,
    kind: impl Fn(&T) -> Option<MediaKind>,
    rank: impl Fn(&T) -> K,
) -> Option<&'a T> {
    items.filter(|x| kind(x) == Some(MediaKind::Video)).max_by_key(|x| rank(x))
}

fn area(width: Option<u32>, height: Option<u32>) -> u64 {
    u64::from(width.unwrap_or(0)) * u64::from(height.unwrap_or(0))
}

/// Sums a counter over the streams of one kind; `None` if no stream of that kind has it.
fn sum_of<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    want: MediaKind,
    kind: impl Fn(&T) -> Option<MediaKind>,
    value: impl Fn(&T) -> Option<u64>,
) -> Option<u64> {
    items
        .filter(|x| kind(x) == Some(want))
        .filter_map(value)
        .fold(None, |acc, v| Some(acc.unwrap_or(0u64).saturating_add(v)))
}

// ---------------------------------------------------------------------------------------
// The route media takes
// ---------------------------------------------------------------------------------------

/// How media reaches the other side, from the selected pair's candidate types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// Both sides on host addresses: same machine or network.
    Host,
    /// Through a NAT, with an address learned from STUN.
    Srflx,
    /// Through a NAT, with an address learned during connectivity checks.
    Prflx,
    /// Through a TURN server.
    Relay,
}

impl Route {
    /// Relay if either side is relayed; else reflexive if either side is; else host when both
    /// are host. `None` when the answer depends on a side whose type is unknown.
    pub fn from_candidate_types(local: Option<CandidateType>, remote: Option<CandidateType>) -> Option<Route> {
        let sides = [local, remote];
        let any = |t: CandidateType| sides.contains(&Some(t));
        if any(CandidateType::Relay) {
            Some(Route::Relay)
        } else if any(CandidateType::Srflx) {
            Some(Route::Srflx)
        } else if any(CandidateType::Prflx) {
            Some(Route::Prflx)
        } else if sides.iter().all(|s| *s == Some(CandidateType::Host)) {
            Some(Route::Host)
        } else {
            None
        }
    }

    /// Words for the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Route::Host => "direct",
            Route::Srflx | Route::Prflx => "STUN",
            Route::Relay => "TURN relay",
        }
    }

    /// The `candidateType` spelling, for `data-route` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Host => "host",
            Route::Srflx => "srflx",
            Route::Prflx => "prflx",
            Route::Relay => "relay",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Samples: one report boiled down
// ---------------------------------------------------------------------------------------

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
}

/// Parses the studio side of one viewer's connection.
pub fn parse_sender(json: &str) -> Result<SenderSample, StatsError> {
    SenderSample::from_report(&Report::parse(json)?)
}

/// Parses a viewer's side of its connection.
pub fn parse_receiver(json: &str) -> Result<ReceiverSample, StatsError> {
    ReceiverSample::from_report(&Report::parse(json)?)
}

impl SenderSample {
    pub fn from_report(report: &Report) -> Result<SenderSample, StatsError> {
        let kind = |o: &OutboundRtp| o.kind;
        let video =
            main_video(report.outbound_rtp(), kind, |o| (o.active != Some(false), area(o.frame_width, o.frame_height)));
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
        let (route, protocol) = report.path();
        let timestamp_ms = video
            .and_then(|v| v.timestamp)
            .or_else(|| report.outbound_rtp().find_map(|o| o.timestamp))
            .or(report.timestamp_ms)
            .ok_or(StatsError::NoTimestamp)?;
        Ok(SenderSample {
            timestamp_ms,
            video_bytes_sent: sum_of(report.outbound_rtp(), MediaKind::Video, kind, |o| o.bytes_sent),
            audio_bytes_sent: sum_of(report.outbound_rtp(), MediaKind::Audio, kind, |o| o.bytes_sent),
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
            packets_sent: sum_of(report.outbound_rtp(), MediaKind::Video, kind, |o| o.packets_sent),
            fraction_lost: remote_video.and_then(|r| r.fraction_lost),
            route,
            protocol,
            available_outgoing_bitrate: pair.and_then(|p| p.available_outgoing_bitrate),
            video_codec: report.codec_mime(video.and_then(|v| v.codec_id.as_deref())),
        })
    }
}

impl ReceiverSample {
    pub fn from_report(report: &Report) -> Result<ReceiverSample, StatsError> {
        let kind = |i: &InboundRtp| i.kind;
        let video = main_video(report.inbound_rtp(), kind, |i| area(i.frame_width, i.frame_height));
        let (route, protocol) = report.path();
        let timestamp_ms = video
            .and_then(|v| v.timestamp)
            .or_else(|| report.inbound_rtp().find_map(|i| i.timestamp))
            .or(report.timestamp_ms)
            .ok_or(StatsError::NoTimestamp)?;
        Ok(ReceiverSample {
            timestamp_ms,
            video_bytes_received: sum_of(report.inbound_rtp(), MediaKind::Video, kind, |i| i.bytes_received),
            audio_bytes_received: sum_of(report.inbound_rtp(), MediaKind::Audio, kind, |i| i.bytes_received),
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
            route,
            protocol,
            video_codec: report.codec_mime(video.and_then(|v| v.codec_id.as_deref())),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Quality over an interval
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------------------

/// How many MORE viewers could join at the current per-viewer bitrate; `None` when there is
/// not enough data (no viewers, no bitrate yet, or no bandwidth estimate).
///
/// * `per_viewer_kbps`: what the studio currently sends to each viewer (video + audio).
///   Non-finite or negative values are ignored.
/// * `available_outgoing_kbps`: the uplink budget shared by all viewers: the *sum* of the
///   connections' `availableOutgoingBitrate` (see [`uplink_budget_kbps`]). Each is that
///   connection's congestion-control estimate of its path. When the studio's uplink is the
///   bottleneck the connections compete for it and converge to fair shares, whose sum is
///   the uplink; when it is not, each estimate exceeds what is sent, and the sum of the
///   headroom is real spare capacity.
/// * `bandwidth_limited_fraction`: the share of connections whose encoder reports
///   `qualityLimitationReason: bandwidth`. At 0.5 or more the uplink is already the
///   bottleneck and the answer is 0, whatever the estimate says.
///
/// Otherwise: `floor((budget - sum of current bitrates) / mean bitrate)`, at least 0.
///
/// Limits, so the number is read as a hint and not a promise:
/// * The estimate (Google congestion control in Chromium) only probes a little above what
///   is being sent, so it understates spare capacity when the encoder is not trying to
///   send more; it lags real changes by seconds.
/// * A connection still ramping up (its first seconds) estimates low; leave such viewers
///   out, or the answer dips at every join. Encoding costs CPU per viewer too (one encoder
///   per connection), which this ignores; `qualityLimitationReason: cpu` shows that instead.
/// * On loopback or a LAN the estimate is large, and so is the answer; that is expected.
pub fn capacity_estimate(
    per_viewer_kbps: &[f64],
    available_outgoing_kbps: Option<f64>,
    bandwidth_limited_fraction: f64,
) -> Option<u32> {
    let rates: Vec<f64> = per_viewer_kbps.iter().copied().filter(|r| r.is_finite() && *r >= 0.0).collect();
    if rates.is_empty() {
        return None;
    }
    if bandwidth_limited_fraction >= 0.5 {
        return Some(0);
    }
    let sum: f64 = rates.iter().sum();
    let mean = sum / rates.len() as f64;
    let budget = available_outgoing_kbps.filter(|b| b.is_finite() && *b >= 0.0)?;
    if mean <= 0.0 {
        return None;
    }
    let more = ((budget - sum) / mean).floor();
    Some(if more <= 0.0 {
        0
    } else if more >= u32::MAX as f64 {
        u32::MAX
    } else {
        more as u32
    })
}

/// The summed `availableOutgoingBitrate` (kbit/s) of the studio's connections: the uplink
/// budget when they share one bottleneck (see [`capacity_estimate`]).
pub fn uplink_budget_kbps(per_viewer_available_kbps: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    per_viewer_available_kbps
        .into_iter()
        .flatten()
        .filter(|b| b.is_finite())
        .fold(None, |sum: Option<f64>, b| Some(sum.unwrap_or(0.0) + b))
}

/// [`capacity_estimate`] from the studio's current per-viewer qualities: viewers without a
/// video rate yet are left out of the bitrates but count towards the limited fraction.
pub fn capacity_from_qualities(viewers: &[SenderQuality]) -> Option<u32> {
    if viewers.is_empty() {
        return None;
    }
    let rates: Vec<f64> = viewers.iter().filter_map(SenderQuality::total_kbps).collect();
    let limited = viewers.iter().filter(|q| q.limitation == Some(QualityLimitation::Bandwidth)).count();
    capacity_estimate(
        &rates,
        uplink_budget_kbps(viewers.iter().map(|q| q.available_outgoing_kbps)),
        limited as f64 / viewers.len() as f64,
    )
}

// ---------------------------------------------------------------------------------------
// Display
// ---------------------------------------------------------------------------------------

/// A bitrate in kbit/s for people: `850 kbit/s`, `1.2 Mbit/s`, `150 Mbit/s`, `2.5 Gbit/s`.
/// Negative values show as 0; NaN and infinities as `–`.
pub fn format_kbps(kbps: f64) -> String {
    if !kbps.is_finite() {
        return "–".to_string();
    }
    if kbps.round() <= 0.0 {
        return "0 kbit/s".to_string();
    }
    if kbps.round() < 1000.0 {
        return format!("{kbps:.0} kbit/s");
    }
    let mbps = kbps / 1000.0;
    if mbps < 99.95 {
        format!("{mbps:.1} Mbit/s")
    } else if mbps.round() < 1000.0 {
        format!("{mbps:.0} Mbit/s")
    } else {
        format!("{:.1} Gbit/s", mbps / 1000.0)
    }
}

/// A duration for people: `0:42`, `12:05`, `1:02:03`.
pub fn format_duration_s(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Real Chromium 156 samples (end2end/tools/capture-stats.mjs), 1 s apart.
    const SENDER_1: &str = include_str!("fixtures/sender-1.json");
    const SENDER_2: &str = include_str!("fixtures/sender-2.json");
    const RECEIVER_1: &str = include_str!("fixtures/receiver-1.json");
    const RECEIVER_2: &str = include_str!("fixtures/receiver-2.json");

    fn value(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    /// The entry with this `type` (and `kind`, if given) in a fixture, for editing.
    fn entry_mut<'a>(report: &'a mut Value, kind_of_entry: &str, kind: Option<&str>) -> &'a mut Value {
        report
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["type"] == kind_of_entry && kind.is_none_or(|k| e["kind"] == k))
            .unwrap_or_else(|| panic!("no {kind_of_entry} {kind:?} in fixture"))
    }

    fn sender_from(v: &Value) -> SenderSample {
        SenderSample::from_report(&Report::from_value(v).unwrap()).unwrap()
    }

    fn assert_near(actual: Option<f64>, expected: f64, tolerance: f64) {
        let a = actual.unwrap_or_else(|| panic!("expected about {expected}, got None"));
        assert!((a - expected).abs() <= tolerance, "expected {expected} ± {tolerance}, got {a}");
    }

    // --- The fixtures themselves -------------------------------------------------------

    #[test]
    fn fixtures_hold_every_entry_type_the_parser_reads() {
        for json in [SENDER_1, SENDER_2] {
            let r = Report::parse(json).unwrap();
            let kinds: Vec<_> = r.outbound_rtp().map(|o| o.kind).collect();
            assert!(kinds.contains(&Some(MediaKind::Video)) && kinds.contains(&Some(MediaKind::Audio)), "{kinds:?}");
            assert_eq!(r.remote_inbound_rtp().count(), 2);
            assert!(r.candidate_pairs().any(|p| p.nominated == Some(true) && p.state.as_deref() == Some("succeeded")));
            assert!(r.transports().any(|t| t.selected_candidate_pair_id.is_some()));
            assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::LocalCandidate(_))));
            assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::RemoteCandidate(_))));
            assert_eq!(r.entries.iter().filter(|e| matches!(e, StatsEntry::MediaSource(_))).count(), 2);
            assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::Codec(_))));
            // certificate ×2, peer-connection: read as Other, not dropped, not an error.
            assert_eq!(r.entries.iter().filter(|e| **e == StatsEntry::Other).count(), 3);
        }
        for json in [RECEIVER_1, RECEIVER_2] {
            let r = Report::parse(json).unwrap();
            let kinds: Vec<_> = r.inbound_rtp().map(|i| i.kind).collect();
            assert!(kinds.contains(&Some(MediaKind::Video)) && kinds.contains(&Some(MediaKind::Audio)), "{kinds:?}");
            // certificate ×2, peer-connection, media-playout, remote-outbound-rtp ×2.
            assert_eq!(r.entries.iter().filter(|e| **e == StatsEntry::Other).count(), 6);
        }
    }

    // --- Samples from real reports -----------------------------------------------------

    #[test]
    fn sender_sample_reads_chromium_report() {
        let s = parse_sender(SENDER_1).unwrap();
        assert_eq!(s.timestamp_ms, 1795616231698.236);
        assert_eq!(s.video_bytes_sent, Some(312013));
        assert_eq!(s.audio_bytes_sent, Some(14864));
        assert_eq!(s.frames_per_second, Some(19.0));
        assert_eq!((s.frame_width, s.frame_height), (Some(640), Some(480)));
        assert_eq!(s.frames_sent, Some(104));
        assert_eq!(s.quality_limitation_reason, Some(QualityLimitation::None));
        // From the video remote-inbound-rtp (1 ms); the pair's currentRoundTripTime says 0.
        assert_near(s.rtt_ms, 1.0, 1e-9);
        assert_eq!(s.packets_lost, Some(0));
        assert_eq!(s.packets_sent, Some(333));
        assert_eq!(s.fraction_lost, Some(0.0));
        assert_eq!(s.route, Some(Route::Host));
        assert_eq!(s.protocol.as_deref(), Some("udp"));
        assert_eq!(s.available_outgoing_bitrate, Some(3_816_000.0));
        assert_eq!(s.video_codec.as_deref(), Some("video/VP8"));
    }

    #[test]
    fn receiver_sample_reads_chromium_report() {
        let r = parse_receiver(RECEIVER_1).unwrap();
        assert_eq!(r.timestamp_ms, 1795616231698.813);
        assert_eq!(r.video_bytes_received, Some(312013));
        assert_eq!(r.audio_bytes_received, Some(14864));
        assert_eq!(r.frames_decoded, Some(104));
        assert_eq!(r.frames_per_second, Some(20.0));
        assert_eq!((r.frame_width, r.frame_height), (Some(640), Some(480)));
        assert_eq!(r.freeze_count, Some(0));
        assert_eq!(r.total_freezes_duration_s, Some(0.0));
        // The video stream's, in seconds; not the audio one's (9772.8 over 251520 samples).
        assert_eq!(r.jitter_buffer_delay_s, Some(0.7222879999999999));
        assert_eq!(r.jitter_buffer_emitted_count, Some(104));
        assert_eq!(r.packets_lost, Some(0));
        assert_eq!(r.packets_received, Some(333));
        assert_near(r.rtt_ms, 1.0, 1e-9);
        assert_eq!(r.route, Some(Route::Host));
        assert_eq!(r.protocol.as_deref(), Some("udp"));
        assert_eq!(r.video_codec.as_deref(), Some("video/VP8"));
    }

    #[test]
    fn a_report_keyed_by_id_reads_the_same_as_an_array() {
        let by_id: serde_json::Map<String, Value> = value(SENDER_1)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["id"].as_str().unwrap().to_string(), e.clone()))
            .collect();
        let from_object = SenderSample::from_report(&Report::from_value(&Value::Object(by_id)).unwrap()).unwrap();
        assert_eq!(from_object, parse_sender(SENDER_1).unwrap());
    }

    // --- Quality between two real samples ----------------------------------------------

    #[test]
    fn sender_quality_between_chromium_samples() {
        let (s1, s2) = (parse_sender(SENDER_1).unwrap(), parse_sender(SENDER_2).unwrap());
        let q = sender_quality(Some(&s1), &s2);
        // (373094 - 312013) bytes × 8 over 1.001579 s = 487.9 kbit/s.
        assert_near(q.video_kbps, 487.87, 0.05);
        // (18007 - 14864) bytes × 8 over 1.001579 s = 25.1 kbit/s.
        assert_near(q.audio_kbps, 25.10, 0.05);
        assert_near(q.total_kbps(), 512.97, 0.1);
        assert_eq!(q.fps, Some(19.0));
        assert_eq!((q.width, q.height), (Some(640), Some(480)));
        assert_near(q.rtt_ms, 1.0, 1e-9);
        // 398 - 333 packets sent, none lost.
        assert_eq!(q.loss_pct, Some(0.0));
        assert_eq!(q.route, Some(Route::Host));
        assert_eq!(q.protocol.as_deref(), Some("udp"));
        assert_eq!(q.limitation, Some(QualityLimitation::None));
        assert_eq!(q.available_outgoing_kbps, Some(3816.0));
    }

    #[test]
    fn receiver_quality_between_chromium_samples() {
        let (r1, r2) = (parse_receiver(RECEIVER_1).unwrap(), parse_receiver(RECEIVER_2).unwrap());
        let q = receiver_quality(Some(&r1), &r2);
        // 61081 video + 3143 audio bytes over 1.001121 s.
        assert_near(q.video_kbps, 488.09, 0.05);
        assert_near(q.audio_kbps, 25.12, 0.05);
        assert_near(q.kbps, 513.21, 0.1);
        assert_eq!(q.fps, Some(20.0));
        assert_eq!((q.width, q.height), (Some(640), Some(480)));
        assert_near(q.rtt_ms, 1.0, 1e-9);
        assert_eq!(q.packets_lost, Some(0));
        assert_eq!(q.loss_pct, Some(0.0));
        assert_eq!(q.freeze_count, Some(0));
        assert_eq!(q.total_freezes_duration_s, Some(0.0));
        // (0.870483 - 0.722288) s over 124 - 104 frames: 7.41 ms per frame.
        assert_near(q.jitter_buffer_delay_ms, 7.40975, 1e-6);
    }

    #[test]
    fn without_a_previous_sample_rates_are_none_and_averages_are_cumulative() {
        let q = sender_quality(None, &parse_sender(SENDER_1).unwrap());
        assert_eq!((q.video_kbps, q.audio_kbps, q.total_kbps()), (None, None, None));
        assert_eq!(q.fps, Some(19.0));
        assert_eq!(q.loss_pct, Some(0.0)); // fractionLost
        let r = receiver_quality(None, &parse_receiver(RECEIVER_1).unwrap());
        assert_eq!((r.kbps, r.video_kbps, r.audio_kbps), (None, None, None));
        // 0.722288 s over 104 frames since the start.
        assert_near(r.jitter_buffer_delay_ms, 6.94508, 1e-5);
        assert_eq!(r.loss_pct, Some(0.0));
    }

    #[test]
    fn counters_going_backwards_give_none_not_negative_rates() {
        // A new peer connection for the same viewer: its counters start again from 0.
        let old = parse_sender(SENDER_2).unwrap();
        let mut restarted = parse_sender(SENDER_1).unwrap();
        restarted.timestamp_ms = old.timestamp_ms + 1000.0;
        let q = sender_quality(Some(&old), &restarted);
        assert_eq!((q.video_kbps, q.audio_kbps), (None, None));
        assert_eq!(q.loss_pct, Some(0.0), "falls back to fractionLost");

        let old = parse_receiver(RECEIVER_2).unwrap();
        let mut restarted = parse_receiver(RECEIVER_1).unwrap();
        restarted.timestamp_ms = old.timestamp_ms + 1000.0;
        let q = receiver_quality(Some(&old), &restarted);
        assert_eq!((q.kbps, q.video_kbps, q.audio_kbps), (None, None, None));
        assert_near(q.jitter_buffer_delay_ms, 6.94508, 1e-5);
    }

    #[test]
    fn a_time_delta_that_is_not_positive_gives_none() {
        let (s1, s2) = (parse_sender(SENDER_1).unwrap(), parse_sender(SENDER_2).unwrap());
        assert_eq!(sender_quality(Some(&s2), &s1).video_kbps, None, "samples swapped");
        assert_eq!(sender_quality(Some(&s2), &s2).video_kbps, None, "same instant");
        let (r1, r2) = (parse_receiver(RECEIVER_1).unwrap(), parse_receiver(RECEIVER_2).unwrap());
        assert_eq!(receiver_quality(Some(&r2), &r1).kbps, None);
    }

    // --- Selected pair, route and protocol ---------------------------------------------

    #[test]
    fn selected_pair_falls_back_to_the_busiest_nominated_succeeded_pair() {
        let mut v = value(SENDER_1);
        entry_mut(&mut v, "transport", None).as_object_mut().unwrap().remove("selectedCandidatePairId");
        // Chromium sometimes reports a second, idle pair as nominated and succeeded too.
        for e in v.as_array_mut().unwrap().iter_mut().filter(|e| e["type"] == "candidate-pair") {
            e["nominated"] = json!(true);
        }
        let report = Report::from_value(&v).unwrap();
        assert_eq!(report.selected_pair().unwrap().id, "CPAvnIA3Lb_DBIN/KSl");
        let s = SenderSample::from_report(&report).unwrap();
        assert_eq!(s.route, Some(Route::Host));
        assert_eq!(s.available_outgoing_bitrate, Some(3_816_000.0));

        // No transport hint and nothing nominated: no route, no pair figures.
        for e in v.as_array_mut().unwrap().iter_mut().filter(|e| e["type"] == "candidate-pair") {
            e["nominated"] = json!(false);
        }
        let s = sender_from(&v);
        assert_eq!((s.route, s.protocol, s.available_outgoing_bitrate), (None, None, None));
    }

    #[test]
    fn rtt_falls_back_to_the_candidate_pair() {
        let mut v = value(SENDER_1);
        entry_mut(&mut v, "remote-inbound-rtp", Some("video")).as_object_mut().unwrap().remove("roundTripTime");
        let pair = v.as_array_mut().unwrap().iter_mut().find(|e| e["id"] == "CPAvnIA3Lb_DBIN/KSl").unwrap();
        pair["currentRoundTripTime"] = json!(0.042);
        assert_near(sender_from(&v).rtt_ms, 42.0, 1e-9);
    }

    #[test]
    fn a_relayed_pair_is_a_turn_route_with_its_relay_protocol() {
        let mut v = value(SENDER_1);
        let local = v.as_array_mut().unwrap().iter_mut().find(|e| e["id"] == "IAvnIA3Lb").unwrap();
        local["candidateType"] = json!("relay");
        local["relayProtocol"] = json!("tls");
        let s = sender_from(&v);
        assert_eq!(s.route, Some(Route::Relay));
        assert_eq!(s.protocol.as_deref(), Some("udp via TURN/tls"));
        assert_eq!(s.route.unwrap().label(), "TURN relay");
    }

    #[test]
    fn route_from_candidate_types() {
        use CandidateType::*;
        let r = |a, b| Route::from_candidate_types(a, b);
        assert_eq!(r(Some(Host), Some(Host)), Some(Route::Host));
        assert_eq!(r(Some(Host), Some(Srflx)), Some(Route::Srflx));
        assert_eq!(r(Some(Prflx), Some(Host)), Some(Route::Prflx));
        assert_eq!(r(Some(Srflx), Some(Relay)), Some(Route::Relay));
        assert_eq!(r(Some(Relay), None), Some(Route::Relay));
        assert_eq!(r(Some(Host), None), None);
        assert_eq!(r(Some(Host), Some(Other)), None);
        assert_eq!(r(None, None), None);
        assert_eq!(Route::Host.label(), "direct");
        assert_eq!(Route::Srflx.label(), "STUN");
        assert_eq!(Route::Prflx.label(), "STUN");
        assert_eq!(Route::Relay.label(), "TURN relay");
        assert_eq!(Route::Relay.as_str(), "relay");
    }

    #[test]
    fn simulcast_sums_bytes_and_shows_the_largest_active_layer() {
        let s = parse_sender(
            r#"[
            {"id":"hi","type":"outbound-rtp","kind":"video","timestamp":9,"active":false,
             "frameWidth":1280,"frameHeight":720,"bytesSent":100,"packetsSent":1},
            {"id":"mid","type":"outbound-rtp","kind":"video","timestamp":9,"active":true,
             "frameWidth":640,"frameHeight":360,"framesPerSecond":30,"bytesSent":2000,"packetsSent":20},
            {"id":"lo","type":"outbound-rtp","kind":"video","timestamp":9,"active":true,
             "frameWidth":320,"frameHeight":180,"framesPerSecond":15,"bytesSent":500,"packetsSent":5},
            {"id":"RI-lo","type":"remote-inbound-rtp","kind":"video","localId":"lo","roundTripTime":0.5,
             "packetsLost":1},
            {"id":"RI-mid","type":"remote-inbound-rtp","kind":"video","localId":"mid","roundTripTime":0.02,
             "packetsLost":3}
        ]"#,
        )
        .unwrap();
        assert_eq!(s.video_bytes_sent, Some(2600));
        assert_eq!(s.packets_sent, Some(26));
        assert_eq!((s.frame_width, s.frame_height, s.frames_per_second), (Some(640), Some(360), Some(30.0)));
        assert_near(s.rtt_ms, 20.0, 1e-9);
        assert_eq!(s.packets_lost, Some(4), "summed over layers, like packets_sent");
        assert_eq!(s.audio_bytes_sent, None);
    }

    // --- Missing, unknown and broken input ---------------------------------------------

    #[test]
    fn missing_fields_give_none_not_panics() {
        // Early in a connection: entries with little more than their type.
        let s = parse_sender(
            r#"[{"type":"outbound-rtp","kind":"video","timestamp":1000},
                                 {"type":"remote-inbound-rtp"},{"type":"candidate-pair"},
                                 {"type":"transport","selectedCandidatePairId":"gone"}]"#,
        )
        .unwrap();
        assert_eq!(s, SenderSample { timestamp_ms: 1000.0, ..SenderSample::default() });
        let q = sender_quality(Some(&SenderSample { timestamp_ms: 0.0, ..s.clone() }), &s);
        assert_eq!(q, SenderQuality::default());

        let r = parse_receiver(r#"[{"type":"inbound-rtp","kind":"video","timestamp":5}]"#).unwrap();
        assert_eq!(r, ReceiverSample { timestamp_ms: 5.0, ..ReceiverSample::default() });
        assert_eq!(receiver_quality(Some(&r), &r), ReceiverQuality::default());

        // Only the report-level entries (before negotiation): a timestamp and nothing else.
        let s = parse_sender(r#"[{"id":"P","type":"peer-connection","timestamp":7.5}]"#).unwrap();
        assert_eq!(s, SenderSample { timestamp_ms: 7.5, ..SenderSample::default() });
    }

    #[test]
    fn unknown_entry_types_and_values_are_ignored() {
        let json = r#"[
            {"id":"X","type":"something-new","timestamp":1,"nested":{"a":[1,2,3]}},
            {"id":"C","type":"codec","mimeType":"video/AV1","timestamp":1},
            {"id":"O","type":"outbound-rtp","kind":"video","timestamp":2,"codecId":"C",
             "qualityLimitationReason":"thermal","bytesSent":10,"somethingElse":true}
        ]"#;
        let r = Report::parse(json).unwrap();
        assert_eq!(r.entries[0], StatsEntry::Other);
        assert_eq!(r.timestamp_ms, Some(2.0));
        let s = SenderSample::from_report(&r).unwrap();
        assert_eq!(s.quality_limitation_reason, Some(QualityLimitation::Other));
        assert_eq!(s.video_bytes_sent, Some(10));
        assert_eq!(s.video_codec.as_deref(), Some("video/AV1"));
    }

    #[test]
    fn broken_input_is_an_error_with_words() {
        assert!(matches!(parse_sender("not json"), Err(StatsError::Json(_))));
        assert!(matches!(parse_sender(r#"[{"type":"codec""#), Err(StatsError::Json(_))));
        assert_eq!(parse_sender("42"), Err(StatsError::NotAReport("a number")));
        assert_eq!(parse_receiver("null"), Err(StatsError::NotAReport("null")));
        assert_eq!(parse_sender("[]"), Err(StatsError::NoTimestamp));
        assert_eq!(parse_receiver("{}"), Err(StatsError::NoTimestamp));
        let err = parse_sender(
            r#"[{"id":"P","type":"peer-connection","timestamp":1},
                                   {"id":"O1","type":"outbound-rtp","bytesSent":"lots"}]"#,
        )
        .unwrap_err();
        let StatsError::BadEntry { index, id, kind, .. } = &err else { panic!("{err:?}") };
        assert_eq!((*index, id.as_str(), kind.as_str()), (1, "O1", "outbound-rtp"));
        assert!(err.to_string().contains("does not have the expected shape"), "{err}");
        assert!(matches!(parse_sender("[1]"), Err(StatsError::BadEntry { index: 0, .. })));
        assert!(matches!(parse_sender(r#"[{"id":"no type"}]"#), Err(StatsError::BadEntry { .. })));
        assert!(StatsError::Json("x".into()).to_string().starts_with("the stats report is not valid JSON"));
    }

    // --- Delta maths on made-up samples ------------------------------------------------

    #[test]
    fn sender_loss_over_the_interval_then_fraction_then_cumulative() {
        let prev =
            SenderSample { timestamp_ms: 0.0, packets_sent: Some(1000), packets_lost: Some(10), ..Default::default() };
        let cur = SenderSample {
            timestamp_ms: 1000.0,
            packets_sent: Some(2000),
            packets_lost: Some(60),
            fraction_lost: Some(0.02),
            ..Default::default()
        };
        assert_near(sender_quality(Some(&prev), &cur).loss_pct, 5.0, 1e-9);
        assert_near(sender_quality(None, &cur).loss_pct, 2.0, 1e-9);
        let no_fraction = SenderSample { fraction_lost: None, ..cur.clone() };
        assert_near(sender_quality(None, &no_fraction).loss_pct, 3.0, 1e-9);
        // Duplicates make packetsLost drop: never a negative loss.
        let dup = SenderSample { packets_lost: Some(5), ..no_fraction.clone() };
        assert_eq!(sender_quality(Some(&prev), &dup).loss_pct, Some(0.0));
        let negative = SenderSample { packets_lost: Some(-3), ..no_fraction };
        assert_eq!(sender_quality(None, &negative).loss_pct, Some(0.0));
    }

    #[test]
    fn fps_falls_back_to_the_frame_counter() {
        let prev = SenderSample { timestamp_ms: 0.0, frames_sent: Some(100), ..Default::default() };
        let cur = SenderSample { timestamp_ms: 2000.0, frames_sent: Some(160), ..Default::default() };
        assert_near(sender_quality(Some(&prev), &cur).fps, 30.0, 1e-9);
        let prev = ReceiverSample { timestamp_ms: 0.0, frames_decoded: Some(10), ..Default::default() };
        let cur = ReceiverSample { timestamp_ms: 500.0, frames_decoded: Some(22), ..Default::default() };
        assert_near(receiver_quality(Some(&prev), &cur).fps, 24.0, 1e-9);
    }

    #[test]
    fn receiver_rates_loss_and_jitter_buffer() {
        let prev = ReceiverSample {
            timestamp_ms: 10_000.0,
            video_bytes_received: Some(1_000_000),
            packets_received: Some(900),
            packets_lost: Some(0),
            jitter_buffer_delay_s: Some(1.0),
            jitter_buffer_emitted_count: Some(100),
            ..Default::default()
        };
        let cur = ReceiverSample {
            timestamp_ms: 12_000.0,
            video_bytes_received: Some(1_250_000),
            packets_received: Some(1090),
            packets_lost: Some(10),
            jitter_buffer_delay_s: Some(4.0),
            jitter_buffer_emitted_count: Some(160),
            ..Default::default()
        };
        let q = receiver_quality(Some(&prev), &cur);
        // No audio stream at all: the total is the video rate.
        assert_eq!(q.kbps, Some(1000.0));
        assert_eq!(q.audio_kbps, None);
        assert_near(q.loss_pct, 5.0, 1e-9); // 10 of 200
        assert_near(q.jitter_buffer_delay_ms, 50.0, 1e-9); // 3 s over 60 frames
        assert_near(receiver_quality(None, &cur).loss_pct, 10.0 / 1100.0 * 100.0, 1e-9);
        // Audio present now but not before: no total rather than a video-only one.
        let with_audio = ReceiverSample { audio_bytes_received: Some(5), ..cur };
        assert_eq!(receiver_quality(Some(&prev), &with_audio).kbps, None);
    }

    // --- Capacity ----------------------------------------------------------------------

    #[test]
    fn capacity_estimate_cases() {
        assert_eq!(capacity_estimate(&[], Some(10_000.0), 0.0), None, "no viewers");
        assert_eq!(capacity_estimate(&[500.0, 500.0], None, 0.0), None, "no estimate");
        assert_eq!(capacity_estimate(&[0.0, 0.0], Some(10_000.0), 0.0), None, "no bitrate yet");
        assert_eq!(capacity_estimate(&[f64::NAN], Some(10_000.0), 0.0), None);
        // (3000 - 1000) / 500.
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3000.0), 0.0), Some(4));
        // (3000 - 1000) / 500, floored.
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3499.0), 0.4), Some(4));
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3000.0), 0.5), Some(0), "mostly bandwidth-limited");
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(900.0), 0.0), Some(0), "already over budget");
        assert_eq!(capacity_estimate(&[1e-9], Some(1e12), 0.0), Some(u32::MAX));
        assert_eq!(capacity_estimate(&[500.0, f64::INFINITY, -1.0], Some(1000.0), 0.0), Some(1));
        assert_eq!(uplink_budget_kbps([Some(3000.0), None, Some(2500.0)]), Some(5500.0));
        assert_eq!(uplink_budget_kbps([None, None]), None);
    }

    #[test]
    fn capacity_from_chromium_qualities() {
        let q = sender_quality(Some(&parse_sender(SENDER_1).unwrap()), &parse_sender(SENDER_2).unwrap());
        // 3816 kbit/s budget, 513 kbit/s per viewer: 6 more beside this one.
        assert_eq!(capacity_from_qualities(std::slice::from_ref(&q)), Some(6));
        // Two viewers at 513, each path estimated at 3816: 7632 - 1026 = 6606, over 513 = 12.9.
        assert_eq!(capacity_from_qualities(&[q.clone(), q.clone()]), Some(12));
        let limited = SenderQuality { limitation: Some(QualityLimitation::Bandwidth), ..q.clone() };
        assert_eq!(capacity_from_qualities(&[q.clone(), limited.clone()]), Some(0));
        assert_eq!(capacity_from_qualities(&[q.clone(), limited.clone(), q.clone()]), Some(19));
        // A first sample has no rate yet.
        assert_eq!(capacity_from_qualities(&[sender_quality(None, &parse_sender(SENDER_1).unwrap())]), None);
        assert_eq!(capacity_from_qualities(&[]), None);
    }

    // --- Display -----------------------------------------------------------------------

    #[test]
    fn format_kbps_cases() {
        assert_eq!(format_kbps(850.0), "850 kbit/s");
        assert_eq!(format_kbps(487.87), "488 kbit/s");
        assert_eq!(format_kbps(999.4), "999 kbit/s");
        assert_eq!(format_kbps(999.6), "1.0 Mbit/s");
        assert_eq!(format_kbps(1234.0), "1.2 Mbit/s");
        assert_eq!(format_kbps(12_345.0), "12.3 Mbit/s");
        assert_eq!(format_kbps(99_960.0), "100 Mbit/s");
        assert_eq!(format_kbps(150_000.0), "150 Mbit/s");
        assert_eq!(format_kbps(2_500_000.0), "2.5 Gbit/s");
        assert_eq!(format_kbps(0.0), "0 kbit/s");
        assert_eq!(format_kbps(0.4), "0 kbit/s");
        assert_eq!(format_kbps(-0.0), "0 kbit/s");
        assert_eq!(format_kbps(-12.0), "0 kbit/s");
        assert_eq!(format_kbps(f64::NAN), "–");
        assert_eq!(format_kbps(f64::INFINITY), "–");
    }

    #[test]
    fn format_duration_cases() {
        assert_eq!(format_duration_s(0), "0:00");
        assert_eq!(format_duration_s(42), "0:42");
        assert_eq!(format_duration_s(60), "1:00");
        assert_eq!(format_duration_s(725), "12:05");
        assert_eq!(format_duration_s(3599), "59:59");
        assert_eq!(format_duration_s(3600), "1:00:00");
        assert_eq!(format_duration_s(3723), "1:02:03");
        assert_eq!(format_duration_s(100 * 3600 + 1), "100:00:01");
    }

    #[test]
    fn quality_survives_a_json_round_trip() {
        // Viewers may send their quality to the studio over signaling.
        let q = receiver_quality(Some(&parse_receiver(RECEIVER_1).unwrap()), &parse_receiver(RECEIVER_2).unwrap());
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(v["jitterBufferDelayMs"], json!(q.jitter_buffer_delay_ms.unwrap()));
        assert_eq!(v["route"], json!("host"));
        let back: ReceiverQuality = serde_json::from_value(v).unwrap();
        assert_eq!(back, q);
        assert_eq!(serde_json::to_value(Route::Relay).unwrap(), json!("relay"));
        assert_eq!(QualityLimitation::Bandwidth.label(), "limited by bandwidth");
    }
}
