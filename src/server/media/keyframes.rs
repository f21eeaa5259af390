//! When to ask the publisher for a keyframe: at once when none was asked for lately, else as
//! soon as the throttle allows (a request is deferred, never dropped, so the next joiner
//! does not wait for the encoder's own schedule). How long "lately" lasts grows with what a
//! keyframe costs: each one goes to every viewer.

use std::time::Duration;

/// The shortest gap between two keyframe requests to one source, while keyframes are cheap
/// (a small audience). libwebrtc ignores requests that come too soon after the last one, and
/// a long gap delays every joiner in a burst; the README's relay section has the measurement.
pub const MIN_REQUEST_GAP: Duration = Duration::from_millis(100);

/// The longest gap: what a joiner may wait for its first frame on top of the network, the
/// PLI throttle LiveKit uses for its high-quality layers.
pub const MAX_REQUEST_GAP: Duration = Duration::from_secs(1);

/// What requested keyframes may add to the relay's output, in bytes a second (200 Mbit/s).
/// A viewer joining asks for one, and each goes to every viewer: a crowd of 100 joins a
/// second at one request per 100 ms made a 500-viewer relay send 10 keyframes a second to
/// everyone (about 2.5 times its steady output) and fall behind, where this budget spaces
/// them a second apart (+27 % at 1.5 Mbit/s). The README's relay section has the figures.
pub const REQUESTED_KEYFRAME_BYTES_PER_SECOND: u64 = 25_000_000;

/// The gap to keep after a request whose keyframe, `keyframe_bytes` long (the source's
/// last one; 0 when none came yet), goes to `viewers`: within the budget, between the
/// shortest and the longest gap.
pub fn request_gap(keyframe_bytes: usize, viewers: usize) -> Duration {
    let cost = (keyframe_bytes as u64).saturating_mul(viewers as u64);
    let gap = Duration::from_micros(cost.saturating_mul(1_000_000) / REQUESTED_KEYFRAME_BYTES_PER_SECOND);
    gap.clamp(MIN_REQUEST_GAP, MAX_REQUEST_GAP)
}

/// One source's keyframe requests, on a clock given by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyframeThrottle {
    /// No request before this (the last one's time plus the gap chosen then).
    quiet_until: Option<Duration>,
    pending: bool,
}

impl KeyframeThrottle {
    /// Someone needs a keyframe. Whether to send a request now (the next one then waits
    /// `gap`); if not, one is owed and [`KeyframeThrottle::due`] says when.
    pub fn ask(&mut self, now: Duration, gap: Duration) -> bool {
        if self.quiet_until.is_none_or(|t| now >= t) {
            self.quiet_until = Some(now + gap);
            self.pending = false;
            true
        } else {
            self.pending = true;
            false
        }
    }

    /// On a timer tick: whether an owed request may go out now (and counts it as sent).
    pub fn due(&mut self, now: Duration, gap: Duration) -> bool {
        self.pending && self.ask(now, gap)
    }

    /// When an owed request may go out, if one is owed.
    pub fn next_due(&self) -> Option<Duration> {
        self.pending.then(|| self.quiet_until.unwrap_or(Duration::ZERO))
    }

    /// A keyframe arrived: whatever was owed is answered.
    pub fn satisfied(&mut self) {
        self.pending = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const GAP: Duration = MIN_REQUEST_GAP;

    #[test]
    fn the_first_request_goes_out_at_once() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::from_secs(5), GAP));
        assert_eq!(k.next_due(), None);
    }

    #[test]
    fn a_request_within_the_gap_is_deferred_not_dropped() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(10 * MS, GAP));
        assert!(!k.ask(50 * MS, GAP));
        assert_eq!(k.next_due(), Some(10 * MS + GAP));
        assert!(!k.due(60 * MS, GAP), "still inside the gap");
        assert!(k.due(110 * MS, GAP), "owed request goes out when the gap ends");
        assert!(!k.due(300 * MS, GAP), "and only once");
    }

    #[test]
    fn many_requests_in_a_burst_cost_one_deferred_request() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO, GAP));
        for t in 1..50 {
            assert!(!k.ask(t * MS, GAP));
        }
        assert!(k.due(100 * MS, GAP));
        assert_eq!(k.next_due(), None);
    }

    #[test]
    fn a_keyframe_that_arrives_cancels_the_owed_request() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO, GAP));
        assert!(!k.ask(20 * MS, GAP));
        k.satisfied();
        assert!(!k.due(200 * MS, GAP));
    }

    #[test]
    fn after_the_gap_a_request_goes_out_at_once_again() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO, GAP));
        assert!(k.ask(GAP, GAP));
    }

    #[test]
    fn the_gap_chosen_with_a_request_is_the_one_that_holds_after_it() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO, 600 * MS));
        assert!(!k.ask(300 * MS, GAP), "a cheaper moment later does not shorten the wait");
        assert_eq!(k.next_due(), Some(600 * MS));
        assert!(k.due(600 * MS, GAP));
    }

    #[test]
    fn a_small_audience_gets_the_shortest_gap() {
        assert_eq!(request_gap(50_000, 1), MIN_REQUEST_GAP);
        assert_eq!(request_gap(50_000, 50), MIN_REQUEST_GAP, "2.5 MB per request: 100 ms");
        assert_eq!(request_gap(0, 2000), MIN_REQUEST_GAP, "no keyframe measured yet");
    }

    #[test]
    fn the_gap_grows_with_what_a_keyframe_costs_up_to_a_second() {
        assert_eq!(request_gap(50_000, 250), 500 * MS, "12.5 MB per request");
        assert_eq!(request_gap(100_000, 250), MAX_REQUEST_GAP);
        assert_eq!(request_gap(50_000, 500), MAX_REQUEST_GAP);
        assert_eq!(request_gap(usize::MAX, usize::MAX), MAX_REQUEST_GAP, "no overflow");
    }
}
