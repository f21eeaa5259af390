//! What the relay sends each viewer, from str0m's once-a-second egress stats: bitrates from
//! byte deltas, RTT and loss from the viewer's receiver reports, NACK and PLI counts. Pure:
//! the I/O layer feeds the stats in with the time they were taken.

use crate::protocol::RelayReport;
use crate::server::media::routing::SessionId;
use std::collections::HashMap;
use std::time::Duration;
use str0m::media::MediaKind;

/// One stats event of one outgoing track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EgressStats {
    pub kind: MediaKind,
    pub bytes: u64,
    pub at: Duration,
    pub rtt: Option<Duration>,
    /// Fraction lost, 0..=1.
    pub loss: Option<f32>,
    pub nacks: u64,
    pub plis: u64,
}

#[derive(Debug, Default)]
struct Track {
    last: Option<(u64, Duration)>,
}

#[derive(Debug, Default)]
struct Viewer {
    video: Track,
    audio: Track,
    report: RelayReport,
}

/// Every viewer session's latest figures.
#[derive(Debug, Default)]
pub struct EgressTracker {
    viewers: HashMap<SessionId, Viewer>,
}

impl EgressTracker {
    pub fn update(&mut self, session: SessionId, stats: EgressStats) {
        let viewer = self.viewers.entry(session).or_default();
        let (track, rate) = match stats.kind {
            MediaKind::Video => (&mut viewer.video, &mut viewer.report.video_kbps),
            MediaKind::Audio => (&mut viewer.audio, &mut viewer.report.audio_kbps),
        };
        if let Some((bytes, at)) = track.last {
            let seconds = stats.at.saturating_sub(at).as_secs_f64();
            if seconds > 0.0 && stats.bytes >= bytes {
                *rate = Some((stats.bytes - bytes) as f64 * 8.0 / 1000.0 / seconds);
            }
        }
        track.last = Some((stats.bytes, stats.at));
        if stats.kind == MediaKind::Video {
            let r = &mut viewer.report;
            r.rtt_ms = stats.rtt.map(|d| d.as_secs_f64() * 1000.0).or(r.rtt_ms);
            r.loss_pct = stats.loss.map(|l| f64::from(l.clamp(0.0, 1.0)) * 100.0).or(r.loss_pct);
            r.nacks = stats.nacks;
            r.plis = stats.plis;
        }
    }

    pub fn report(&self, session: SessionId) -> Option<&RelayReport> {
        self.viewers.get(&session).map(|v| &v.report)
    }

    pub fn forget(&mut self, session: SessionId) {
        self.viewers.remove(&session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(bytes: u64, secs: u64) -> EgressStats {
        EgressStats {
            kind: MediaKind::Video,
            bytes,
            at: Duration::from_secs(secs),
            rtt: Some(Duration::from_millis(12)),
            loss: Some(0.02),
            nacks: 3,
            plis: 1,
        }
    }

    #[test]
    fn bitrates_come_from_byte_deltas_and_rtcp_figures_from_video() {
        let mut t = EgressTracker::default();
        let s = SessionId(1);
        t.update(s, video(0, 10));
        assert_eq!(t.report(s).unwrap().video_kbps, None, "one sample gives no rate");
        t.update(s, video(187_500, 11));
        t.update(
            s,
            EgressStats {
                kind: MediaKind::Audio,
                bytes: 4_000,
                at: Duration::from_secs(10),
                rtt: None,
                loss: None,
                nacks: 0,
                plis: 0,
            },
        );
        t.update(
            s,
            EgressStats {
                kind: MediaKind::Audio,
                bytes: 8_000,
                at: Duration::from_secs(11),
                rtt: None,
                loss: None,
                nacks: 0,
                plis: 0,
            },
        );
        let r = t.report(s).unwrap();
        assert_eq!(r.video_kbps, Some(1500.0));
        assert_eq!(r.audio_kbps, Some(32.0));
        assert_eq!(r.rtt_ms, Some(12.0));
        assert!((r.loss_pct.unwrap() - 2.0).abs() < 1e-3);
        assert_eq!((r.nacks, r.plis), (3, 1));
    }

    #[test]
    fn counters_going_backwards_keep_the_last_rate() {
        let mut t = EgressTracker::default();
        let s = SessionId(1);
        t.update(s, video(100_000, 1));
        t.update(s, video(225_000, 2));
        t.update(s, video(5, 3));
        assert_eq!(t.report(s).unwrap().video_kbps, Some(1000.0));
        t.forget(s);
        assert!(t.report(s).is_none());
    }
}
