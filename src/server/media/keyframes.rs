//! When to ask the publisher for a keyframe: at once when none was asked for lately, else as
//! soon as the throttle allows (a request is deferred, never dropped, so the next joiner
//! does not wait for the encoder's own schedule).

use std::time::Duration;

/// The shortest gap between two keyframe requests to one source. libwebrtc ignores requests
/// that come too soon after the last one, and a long gap delays every joiner in a burst; the
/// README's relay section has the measurement.
pub const KEYFRAME_REQUEST_GAP: Duration = Duration::from_millis(100);

/// One source's keyframe requests, on a clock given by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyframeThrottle {
    last_sent: Option<Duration>,
    pending: bool,
}

impl KeyframeThrottle {
    /// Someone needs a keyframe. Whether to send a request now; if not, one is owed and
    /// [`KeyframeThrottle::due`] says when.
    pub fn ask(&mut self, now: Duration) -> bool {
        if self.may_send(now) {
            self.last_sent = Some(now);
            self.pending = false;
            true
        } else {
            self.pending = true;
            false
        }
    }

    /// On a timer tick: whether an owed request may go out now (and counts it as sent).
    pub fn due(&mut self, now: Duration) -> bool {
        self.pending && self.ask(now)
    }

    /// When an owed request may go out, if one is owed.
    pub fn next_due(&self) -> Option<Duration> {
        self.pending.then(|| self.last_sent.map_or(Duration::ZERO, |t| t + KEYFRAME_REQUEST_GAP))
    }

    /// A keyframe arrived: whatever was owed is answered.
    pub fn satisfied(&mut self) {
        self.pending = false;
    }

    fn may_send(&self, now: Duration) -> bool {
        self.last_sent.is_none_or(|t| now >= t + KEYFRAME_REQUEST_GAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_request_goes_out_at_once() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::from_secs(5)));
        assert_eq!(k.next_due(), None);
    }

    #[test]
    fn a_request_within_the_gap_is_deferred_not_dropped() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(10 * MS));
        assert!(!k.ask(50 * MS));
        assert_eq!(k.next_due(), Some(10 * MS + KEYFRAME_REQUEST_GAP));
        assert!(!k.due(60 * MS), "still inside the gap");
        assert!(k.due(110 * MS), "owed request goes out when the gap ends");
        assert!(!k.due(300 * MS), "and only once");
    }

    #[test]
    fn many_requests_in_a_burst_cost_one_deferred_request() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO));
        for t in 1..50 {
            assert!(!k.ask(t * MS));
        }
        assert!(k.due(100 * MS));
        assert_eq!(k.next_due(), None);
    }

    #[test]
    fn a_keyframe_that_arrives_cancels_the_owed_request() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO));
        assert!(!k.ask(20 * MS));
        k.satisfied();
        assert!(!k.due(200 * MS));
    }

    #[test]
    fn after_the_gap_a_request_goes_out_at_once_again() {
        let mut k = KeyframeThrottle::default();
        assert!(k.ask(Duration::ZERO));
        assert!(k.ask(KEYFRAME_REQUEST_GAP));
    }
}
