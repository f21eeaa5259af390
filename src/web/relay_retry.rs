//! What the watch page does after the relay refused its WHEP offer: which refusals it tries
//! again, after how long, and what it shows meanwhile. Pure (the page passes the randomness).

use crate::web::status::StreamStatus;

/// The first wait after a refusal; each further refusal in a row doubles it.
pub const FIRST_RETRY_MS: u32 = 1_000;
/// The longest wait between two attempts.
pub const MAX_RETRY_MS: u32 = 10_000;

/// What to do after a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRefusal {
    /// Try again after `after_ms`, showing `status` meanwhile (unless something plays).
    Retry { after_ms: u32, status: StreamStatus },
    /// Trying again would be refused again (the offer itself was): show `status` and the
    /// server's words.
    Stop { status: StreamStatus },
}

/// `http_status` is the refusal's (0: the request never got an answer); `retry_after_secs`
/// the server's `Retry-After`; `refused_before` how many refusals came in a row before this
/// one; `jitter` a random number in `0..1`, so that a crowd the relay turned away at once (it
/// refuses newcomers while overloaded) does not come back at once. The wait is at least the
/// server's `Retry-After`, and up to half as long again.
pub fn after_refusal(
    http_status: u16,
    retry_after_secs: Option<u32>,
    refused_before: u32,
    jitter: f64,
) -> AfterRefusal {
    match http_status {
        // A codec this browser cannot receive, or an offer the relay cannot read: the same
        // offer would be refused again.
        400 | 406 | 413 | 415 => AfterRefusal::Stop { status: StreamStatus::Unplayable },
        _ => {
            let backoff = FIRST_RETRY_MS.saturating_mul(1 << refused_before.min(4)).min(MAX_RETRY_MS);
            let asked = retry_after_secs.map_or(0, |s| s.min(3600).saturating_mul(1000));
            let wait = backoff.max(asked);
            let spread = (f64::from(wait) * 0.5 * jitter.clamp(0.0, 1.0)) as u32;
            // A full or overloaded relay: the viewer is told so, and that it will try again.
            let status = if http_status == 503 { StreamStatus::Full } else { StreamStatus::Reconnecting };
            AfterRefusal::Retry { after_ms: wait + spread, status }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(status: u16, retry_after: Option<u32>, before: u32, jitter: f64) -> u32 {
        match after_refusal(status, retry_after, before, jitter) {
            AfterRefusal::Retry { after_ms, .. } => after_ms,
            stop => panic!("{status} stopped: {stop:?}"),
        }
    }

    #[test]
    fn a_refused_offer_is_not_sent_again_and_the_page_says_it_cannot_play() {
        for status in [400, 406, 413, 415] {
            assert_eq!(after_refusal(status, None, 0, 0.5), AfterRefusal::Stop { status: StreamStatus::Unplayable });
        }
    }

    #[test]
    fn a_full_or_overloaded_relay_is_tried_again_and_the_page_says_so() {
        assert_eq!(
            after_refusal(503, Some(2), 0, 0.0),
            AfterRefusal::Retry { after_ms: 2_000, status: StreamStatus::Full }
        );
        for status in [0, 403, 404, 429, 500, 502] {
            let AfterRefusal::Retry { status: shown, .. } = after_refusal(status, None, 0, 0.0) else {
                panic!("{status} is not tried again");
            };
            assert_eq!(shown, StreamStatus::Reconnecting, "{status}");
        }
    }

    #[test]
    fn each_refusal_in_a_row_waits_twice_as_long_up_to_ten_seconds() {
        let waits: Vec<u32> = (0..7).map(|n| wait(503, None, n, 0.0)).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
        assert_eq!(wait(503, None, u32::MAX, 0.0), MAX_RETRY_MS, "no overflow");
    }

    #[test]
    fn the_servers_retry_after_is_a_floor_and_jitter_spreads_a_crowd_above_it() {
        assert_eq!(wait(503, Some(5), 0, 0.0), 5_000, "Retry-After over the backoff");
        assert_eq!(wait(503, Some(1), 3, 0.0), 8_000, "the backoff over Retry-After");
        assert_eq!(wait(503, Some(2), 0, 0.999_999), 2_999);
        assert_eq!(wait(503, Some(2), 0, 7.0), 3_000, "jitter is clamped");
        assert_eq!(wait(503, Some(u32::MAX), 0, 0.0), 3_600_000, "an absurd Retry-After is capped");
    }
}
