//! The relay benchmark's H.264 publisher: ffmpeg's WHIP muxer at 720p30 with the admin's
//! stream key, and the count of frames a viewer missed, read from the gaps in its RTP timestamps.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// One frame at 30 fps in RTP's 90 kHz clock: ffmpeg stamps a 30 fps source exactly so.
pub const FRAME_TICKS: u64 = 90_000 / 30;

/// An ffmpeg process, killed when dropped (the benchmark ending early must not leave it).
pub struct Ffmpeg(Child);

impl Drop for Ffmpeg {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Ffmpeg {
    /// Why ffmpeg exited, if it has.
    pub fn exited(&mut self) -> Option<String> {
        self.0.try_wait().ok().flatten().map(|status| format!("ffmpeg exited: {status}"))
    }
}

/// The signed-in admin's stream key, from the studio's API.
pub async fn stream_key(base: &str, cookie: &str) -> Result<String, String> {
    let res = crate::common::http()
        .get(format!("{base}/api/stream-key"))
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|e| format!("GET /api/stream-key: {e}"))?;
    let text = res.text().await.map_err(|e| format!("GET /api/stream-key: {e}"))?;
    let body: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("GET /api/stream-key: {e}: {text}"))?;
    body["streamKey"].as_str().map(str::to_owned).ok_or_else(|| format!("GET /api/stream-key answered {body}"))
}

/// ffmpeg publishing a moving 1280x720 30 fps test pattern (H.264 baseline, no B-frames, a
/// keyframe a second, 2.5 Mbit/s, as the README tells OBS and ffmpeg users) and a tone (Opus)
/// to `{base}/whip` with `key`. `-re` paces it like a camera.
pub fn publish(ffmpeg: &Path, base: &str, key: &str) -> Result<Ffmpeg, String> {
    let child = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000"])
        .args(["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"])
        .args([
            "-profile:v",
            "baseline",
            "-bf",
            "0",
            "-g",
            "30",
            "-b:v",
            "2500k",
            "-maxrate",
            "2500k",
            "-bufsize",
            "2500k",
        ])
        .args(["-c:a", "libopus", "-ac", "2", "-ar", "48000", "-f", "whip", "-authorization", key])
        .arg(format!("{base}/whip"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", ffmpeg.display()))?;
    Ok(Ffmpeg(child))
}

/// Frames one viewer missed of those the publisher sent from `oldest` to `newest` (90 kHz
/// timestamps): the frame slots in that span minus the ones among `times` (its frames, any order).
pub fn missing_frames(times: &[u64], oldest: u64, newest: u64) -> u64 {
    let slot = |t: u64| (t.saturating_sub(oldest) + FRAME_TICKS / 2) / FRAME_TICKS;
    let mut got: Vec<u64> = times.iter().filter(|t| (oldest..=newest).contains(*t)).map(|t| slot(*t)).collect();
    got.sort_unstable();
    got.dedup();
    (slot(newest) + 1).saturating_sub(got.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_without_gaps_misses_nothing() {
        let times: Vec<u64> = (0..10).map(|i| 1000 + i * FRAME_TICKS).collect();
        assert_eq!(missing_frames(&times, times[0], times[9]), 0);
    }

    #[test]
    fn a_gap_counts_the_frames_in_it() {
        let times = [0, FRAME_TICKS, 4 * FRAME_TICKS, 5 * FRAME_TICKS];
        assert_eq!(missing_frames(&times, 0, 5 * FRAME_TICKS), 2);
    }

    #[test]
    fn frames_missing_at_either_end_of_the_span_count() {
        let times = [2 * FRAME_TICKS, 3 * FRAME_TICKS];
        assert_eq!(missing_frames(&times, 0, 5 * FRAME_TICKS), 4);
    }

    #[test]
    fn frames_outside_the_span_and_repeats_do_not_count() {
        let times = [0, FRAME_TICKS, FRAME_TICKS, 2 * FRAME_TICKS, 9 * FRAME_TICKS];
        assert_eq!(missing_frames(&times, FRAME_TICKS, 2 * FRAME_TICKS), 0);
    }

    #[test]
    fn a_timestamp_off_by_a_tick_is_no_gap() {
        let times = [0, FRAME_TICKS + 1, 2 * FRAME_TICKS - 1];
        assert_eq!(missing_frames(&times, 0, 2 * FRAME_TICKS - 1), 0);
    }
}
