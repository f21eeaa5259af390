//! Limits of the signaling socket, as pure code: the per-connection message budget (a token
//! bucket with explicit time), the abuse rule that closes a flooding socket, and the outbox
//! limits. No sockets and no clocks here; `service.rs` passes the time in.

use std::time::Duration;

/// Everything `/ws` limits, with safe defaults. `Config` carries one; tests shorten the timers.
#[derive(Clone, Debug, PartialEq)]
pub struct WsLimits {
    /// Largest frame or message accepted (then `too_large` and the socket closes).
    pub max_message_bytes: usize,
    /// Open `/ws` connections from one IP address; beyond it the upgrade gets `429`.
    pub max_connections_per_ip: usize,
    /// A viewer's sustained messages per second; its burst is [`BURST_SECONDS`] times that.
    /// The streamer gets `STREAMER_BASE_FACTOR × rate + rate × viewers` (same burst rule).
    pub messages_per_second: f64,
    /// Refusals in one stretch over the limit that close the socket.
    pub abuse_refusals: u32,
    /// How long a socket may stay over the limit before it is closed.
    pub abuse_duration: Duration,
    /// Messages queued for one client before it counts as stuck and is dropped; the
    /// streamer's allowance grows with its viewers (see [`WsLimits::outbox_limit`]). tokio
    /// allocates queue blocks as they fill, so an idle queue costs nothing. A client that
    /// stops reading altogether is caught by the write time limit.
    pub outbox_capacity: usize,
    /// Bytes queued for one client before it counts as stuck (see `queue_bounds.rs`).
    pub outbox_bytes: usize,
    /// Bytes each viewer adds to what may wait for the streamer, and the most one viewer may
    /// have waiting there: a viewer over it is dropped, not the streamer.
    pub streamer_bytes_per_viewer: usize,
    /// How long after its socket dropped (or the server restarted) a viewer may resume.
    pub resume_window: Duration,
    /// Ping period.
    pub ping_every: Duration,
    /// A client silent (not even a pong) for this long is gone.
    pub silence_limit: Duration,
    /// On shutdown, how long sockets get to say goodbye before the server stops anyway.
    pub shutdown_grace: Duration,
}

/// Largest frame or message accepted by default: an SDP with many codecs is a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Seconds of sustained rate a connection may spend at once (ICE candidates come in bursts).
pub const BURST_SECONDS: f64 = 3.0;
/// The streamer's own budget, before the share per viewer, in viewer budgets.
pub const STREAMER_BASE_FACTOR: f64 = 2.5;

impl Default for WsLimits {
    fn default() -> Self {
        WsLimits {
            max_message_bytes: MAX_MESSAGE_BYTES,
            max_connections_per_ip: 50,
            messages_per_second: 20.0,
            abuse_refusals: 100,
            abuse_duration: Duration::from_secs(10),
            outbox_capacity: 65_536,
            outbox_bytes: 1024 * 1024,
            resume_window: crate::server::signaling::hub::RESUME_WINDOW,
            streamer_bytes_per_viewer: 128 * 1024,
            ping_every: Duration::from_secs(15),
            silence_limit: Duration::from_secs(45),
            shutdown_grace: Duration::from_secs(4),
        }
    }
}

/// Sustained messages per second and the burst allowed on top of an idle period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl WsLimits {
    /// A viewer's (or a connection without a role yet) budget.
    pub fn viewer_rate(&self) -> Rate {
        let r = self.messages_per_second;
        Rate { per_second: r, burst: r * BURST_SECONDS }
    }

    /// The streamer's budget grows with the viewers it negotiates with: going live to 1,000
    /// waiting viewers is an offer and a handful of candidates for each, within seconds.
    pub fn streamer_rate(&self, viewers: usize) -> Rate {
        let r = self.messages_per_second * (STREAMER_BASE_FACTOR + viewers as f64);
        Rate { per_second: r, burst: r * BURST_SECONDS }
    }

    /// Messages that may wait for one client. Every viewer can send the streamer a burst at
    /// once (its answer and ICE candidates when the live starts, and again after a restart),
    /// so the streamer may have [`STREAMER_QUEUE_PER_VIEWER`] more per viewer: with a fixed
    /// cap, a large audience's candidates arriving at once on a busy machine got the streamer
    /// dropped as "too slow".
    pub fn outbox_limit(&self, is_streamer: bool, viewers: usize) -> usize {
        if is_streamer {
            self.outbox_capacity.saturating_add(STREAMER_QUEUE_PER_VIEWER.saturating_mul(viewers))
        } else {
            self.outbox_capacity
        }
    }
}

/// Messages each viewer adds to what may wait for the streamer (see `outbox_limit`).
pub const STREAMER_QUEUE_PER_VIEWER: usize = 64;
/// Room of every outbox channel; [`WsLimits::outbox_limit`] decides who is stuck well before.
pub const OUTBOX_ROOM: usize = 1 << 32;

/// A token bucket: `burst` tokens at most, refilled at `per_second`; one token per message.
/// The rate is passed at each call because the streamer's changes with its viewer count.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    last: Duration,
    /// The burst at the last call: when it grows (the streamer gained viewers, or a connection
    /// became the streamer) the difference is granted at once, as if the bucket had been
    /// that large all along.
    burst: f64,
}

impl TokenBucket {
    /// A full bucket at time `now`.
    pub fn new(rate: Rate, now: Duration) -> Self {
        TokenBucket { tokens: rate.burst, last: now, burst: rate.burst }
    }

    fn refill(&mut self, rate: Rate, now: Duration) {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        let grown = (rate.burst - self.burst).max(0.0);
        self.burst = rate.burst;
        self.tokens = (self.tokens + grown + elapsed * rate.per_second).min(rate.burst);
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, rate: Rate, now: Duration) -> bool {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full (the client has been within its budget for a while).
    pub fn is_full(&mut self, rate: Rate, now: Duration) -> bool {
        self.refill(rate, now);
        self.tokens >= rate.burst
    }
}

/// What to do with one incoming message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Drop it and answer `rate_limited`.
    Refuse,
    /// Over the limit for too long or too often: close the socket (policy).
    Close,
}

/// One connection's budget plus the abuse rule: a stretch over the limit starts at the first
/// refusal and ends when the bucket has filled up again; a stretch with `abuse_refusals`
/// refusals, or lasting `abuse_duration` and still refusing, closes the socket.
#[derive(Clone, Debug)]
pub struct MessageBudget {
    bucket: TokenBucket,
    /// Start of the current stretch over the limit and the refusals in it.
    over_since: Option<(Duration, u32)>,
}

impl MessageBudget {
    pub fn new(rate: Rate, now: Duration) -> Self {
        MessageBudget { bucket: TokenBucket::new(rate, now), over_since: None }
    }

    pub fn check(&mut self, rate: Rate, now: Duration, limits: &WsLimits) -> Verdict {
        if self.over_since.is_some() && self.bucket.is_full(rate, now) {
            self.over_since = None;
        }
        if self.bucket.try_take(rate, now) {
            return Verdict::Accept;
        }
        let (since, refusals) = self.over_since.get_or_insert((now, 0));
        *refusals += 1;
        if *refusals >= limits.abuse_refusals || now.saturating_sub(*since) >= limits.abuse_duration {
            Verdict::Close
        } else {
            Verdict::Refuse
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_streamer_may_have_more_waiting_the_more_viewers_it_has() {
        let limits = WsLimits { outbox_capacity: 1000, ..WsLimits::default() };
        assert_eq!(limits.outbox_limit(false, 5000), 1000);
        assert_eq!(limits.outbox_limit(true, 0), 1000);
        assert_eq!(limits.outbox_limit(true, 5000), 1000 + 5000 * STREAMER_QUEUE_PER_VIEWER);
        // A storm of 20 candidates from each of 5,000 viewers fits with the default.
        assert!(WsLimits::default().outbox_limit(true, 5000) > 5000 * 20);
        assert!(WsLimits::default().outbox_limit(true, 1_000_000) < OUTBOX_ROOM);
    }

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const R: Rate = Rate { per_second: 20.0, burst: 60.0 };

    #[test]
    fn a_full_bucket_passes_its_burst_then_refuses() {
        let mut b = TokenBucket::new(R, ms(0));
        for i in 0..60 {
            assert!(b.try_take(R, ms(0)), "message {i} of the burst");
        }
        assert!(!b.try_take(R, ms(0)));
        // 20 per second: one token every 50 ms.
        assert!(!b.try_take(R, ms(40)));
        assert!(b.try_take(R, ms(50)));
        assert!(!b.try_take(R, ms(50)));
    }

    #[test]
    fn the_bucket_never_holds_more_than_its_burst() {
        let mut b = TokenBucket::new(R, ms(0));
        let taken = (0..200).filter(|_| b.try_take(R, Duration::from_secs(3600))).count();
        assert_eq!(taken, 60);
    }

    #[test]
    fn time_going_backwards_grants_nothing() {
        let mut b = TokenBucket::new(R, ms(1000));
        for _ in 0..60 {
            b.try_take(R, ms(1000));
        }
        assert!(!b.try_take(R, ms(0)));
        assert!(!b.try_take(R, ms(1000)));
    }

    #[test]
    fn sustained_traffic_at_the_rate_always_passes() {
        let mut b = TokenBucket::new(R, ms(0));
        for i in 0..10_000u64 {
            assert!(b.try_take(R, ms(i * 50)), "message {i}");
        }
    }

    #[test]
    fn the_streamer_budget_scales_with_viewers() {
        let l = WsLimits::default();
        assert_eq!(l.viewer_rate(), Rate { per_second: 20.0, burst: 60.0 });
        assert_eq!(l.streamer_rate(0), Rate { per_second: 50.0, burst: 150.0 });
        let r = l.streamer_rate(1000);
        assert_eq!(r.per_second, 20_050.0);
        // Going live to 1,000 waiting viewers: an offer and 5 candidates each, at once.
        let mut b = TokenBucket::new(r, ms(0));
        assert!((0..6000).all(|_| b.try_take(r, ms(0))));
    }

    #[test]
    fn a_larger_budget_applies_at_once() {
        let l = WsLimits::default();
        let mut b = TokenBucket::new(l.viewer_rate(), ms(0));
        assert_eq!((0..100).filter(|_| b.try_take(l.viewer_rate(), ms(0))).count(), 60);
        // The connection becomes the streamer of 200 waiting viewers: an offer and three
        // candidates each pass at once.
        let r = l.streamer_rate(200);
        assert!((0..800).all(|_| b.try_take(r, ms(0))));
        // Viewers leaving shrink it again.
        let small = l.streamer_rate(0);
        assert!(b.try_take(small, ms(0)));
        let taken = (0..1000).filter(|_| b.try_take(small, ms(0))).count();
        assert!(taken < 150, "{taken}");
    }

    #[test]
    fn a_flood_is_refused_then_closed_after_the_refusal_limit() {
        let l = WsLimits::default();
        let mut m = MessageBudget::new(R, ms(0));
        let verdicts: Vec<Verdict> = (0..200).map(|_| m.check(R, ms(0), &l)).collect();
        assert!(verdicts[..60].iter().all(|v| *v == Verdict::Accept));
        assert!(verdicts[60..159].iter().all(|v| *v == Verdict::Refuse));
        assert_eq!(verdicts[159], Verdict::Close, "the 100th refusal closes");
    }

    #[test]
    fn staying_over_the_limit_for_the_abuse_duration_closes() {
        let l = WsLimits::default();
        let mut m = MessageBudget::new(R, ms(0));
        for _ in 0..60 {
            m.check(R, ms(0), &l);
        }
        // Two messages every 50 ms: one passes, one is refused; 40 refusals a second.
        let mut t = 0;
        let closed_at = loop {
            t += 50;
            assert_eq!(m.check(R, ms(t), &l), Verdict::Accept);
            match m.check(R, ms(t), &l) {
                Verdict::Close => break t,
                v => assert_eq!(v, Verdict::Refuse),
            }
        };
        assert!(closed_at <= 10_050, "closed after {closed_at} ms");
        let l = WsLimits { abuse_refusals: 10_000, ..WsLimits::default() };
        let mut m = MessageBudget::new(R, ms(0));
        for _ in 0..61 {
            m.check(R, ms(0), &l);
        }
        let mut t = 0;
        loop {
            t += 50;
            m.check(R, ms(t), &l);
            if m.check(R, ms(t), &l) == Verdict::Close {
                break;
            }
        }
        assert_eq!(t, 10_000, "after exactly the abuse duration");
    }

    #[test]
    fn a_burst_then_calm_forgives_earlier_refusals() {
        let l = WsLimits::default();
        let mut m = MessageBudget::new(R, ms(0));
        for round in 0..10u64 {
            let t = round * 5_000;
            for _ in 0..60 {
                assert_eq!(m.check(R, ms(t), &l), Verdict::Accept);
            }
            for _ in 0..50 {
                assert_eq!(m.check(R, ms(t), &l), Verdict::Refuse, "round {round}");
            }
        }
    }
}
