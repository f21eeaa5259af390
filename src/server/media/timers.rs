//! When each relay session wants its `Rtc` woken: every session's latest wish in a heap, so
//! only due sessions are polled. Pure: times come in, the engine wakes what `due` returns.

use crate::server::media::routing::SessionId;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// The soonest a session is woken again: a session asking for a time already past (str0m may
/// repeat a deadline it is still working through) waits this long instead of spinning the loop.
pub const MIN_WAIT: Duration = Duration::from_millis(1);

#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, SessionId)>>,
    /// Each session's time not yet handed out by `due`; heap entries that differ are stale.
    wanted: HashMap<SessionId, Instant>,
}

impl Timers {
    /// Session `id` wants waking at `at` (its str0m's timeout after a drain). Say it after every
    /// drain, moved or not: a session woken by `due` is filed again even when it asks for the
    /// same time as before.
    pub fn want(&mut self, id: SessionId, at: Instant, now: Instant) {
        let soonest = now + MIN_WAIT;
        let at = match self.wanted.get(&id) {
            // Due now again before its last wish came due (a session written frame after
            // frame within MIN_WAIT): that wish stands, or it would never come due while the
            // writes go on, and str0m refuses a track's 513th unsent frame.
            Some(&wished) if at <= soonest => wished.min(soonest),
            _ => at.max(soonest),
        };
        if self.wanted.insert(id, at) != Some(at) {
            self.heap.push(Reverse((at, id)));
        }
        // Stale entries leave only when due; far ones would pile up.
        if self.heap.len() > 4 * self.wanted.len() + 1024 {
            self.heap = self.wanted.iter().map(|(id, at)| Reverse((*at, *id))).collect();
        }
    }

    /// The next session due at `now`, if any; each wish is handed out once.
    pub fn due(&mut self, now: Instant) -> Option<SessionId> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if self.wanted.get(&id) == Some(&at) {
                self.wanted.remove(&id);
                return Some(id);
            }
        }
        None
    }

    /// When the loop must wake at the latest (a stale entry may make it early, never late).
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// A session that ended is never woken.
    pub fn forget(&mut self, id: SessionId) {
        self.wanted.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(base: Instant, n: u64) -> Instant {
        base + Duration::from_millis(n)
    }

    fn all_due(timers: &mut Timers, now: Instant) -> Vec<u64> {
        std::iter::from_fn(|| timers.due(now)).map(|id| id.0).collect()
    }

    #[test]
    fn sessions_come_due_in_time_order_and_only_once() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.want(SessionId(1), ms(t, 30), t);
        timers.want(SessionId(2), ms(t, 10), t);
        timers.want(SessionId(3), ms(t, 50), t);
        assert_eq!(timers.next(), Some(ms(t, 10)));
        assert_eq!(all_due(&mut timers, ms(t, 5)), Vec::<u64>::new());
        assert_eq!(all_due(&mut timers, ms(t, 40)), vec![2, 1]);
        assert_eq!(all_due(&mut timers, ms(t, 45)), Vec::<u64>::new());
        assert_eq!(all_due(&mut timers, ms(t, 50)), vec![3]);
    }

    #[test]
    fn a_woken_session_asking_for_the_same_time_again_is_woken_again() {
        // The relay lost such sessions until their next packet: with players sending no
        // congestion feedback, frames waited seconds in str0m (README, relay performance).
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.want(SessionId(1), ms(t, 10), t);
        assert_eq!(all_due(&mut timers, ms(t, 10)), vec![1]);
        timers.want(SessionId(1), ms(t, 10), ms(t, 10));
        assert_eq!(all_due(&mut timers, ms(t, 11)), vec![1]);
    }

    #[test]
    fn a_time_already_past_waits_the_minimum_instead_of_spinning() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.want(SessionId(1), t, ms(t, 20));
        assert_eq!(all_due(&mut timers, ms(t, 20)), Vec::<u64>::new());
        assert_eq!(timers.next(), Some(ms(t, 20) + MIN_WAIT));
        assert_eq!(all_due(&mut timers, ms(t, 21)), vec![1]);
    }

    #[test]
    fn a_session_due_again_and_again_is_not_put_off() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.want(SessionId(1), t, t);
        for us in [300, 600, 900] {
            let now = t + Duration::from_micros(us);
            timers.want(SessionId(1), now, now);
        }
        assert_eq!(timers.next(), Some(t + MIN_WAIT));
        assert_eq!(all_due(&mut timers, t + MIN_WAIT), vec![1]);
    }

    #[test]
    fn a_moved_wish_replaces_the_old_one_and_a_forgotten_session_never_comes_due() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.want(SessionId(1), ms(t, 10), t);
        timers.want(SessionId(1), ms(t, 30), t);
        timers.want(SessionId(2), ms(t, 20), t);
        timers.forget(SessionId(2));
        assert_eq!(all_due(&mut timers, ms(t, 25)), Vec::<u64>::new());
        assert_eq!(all_due(&mut timers, ms(t, 30)), vec![1]);
    }

    #[test]
    fn stale_entries_do_not_pile_up() {
        let t = Instant::now();
        let mut timers = Timers::default();
        for i in 0..10_000 {
            timers.want(SessionId(1), ms(t, 10_000 - i), t);
        }
        assert!(timers.heap.len() <= 4 + 1024, "{} entries for one session", timers.heap.len());
        assert_eq!(all_due(&mut timers, ms(t, 10_000)), vec![1]);
    }
}
