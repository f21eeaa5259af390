//! Sign-in throttling: a pure state machine keyed by peer IP and by account name.
//!
//! The first [`FREE_FAILURES`] failures of a key cost nothing; each further one locks the key
//! for twice as long as the last (1 s, 2 s, 4 s…), at most [`MAX_LOCK`]. A success clears the
//! key. Keys quiet for [`FORGET_AFTER`] are forgotten and the table never holds more than
//! [`MAX_KEYS`], so guessing with many names or addresses cannot grow it without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const MAX_LOCK: Duration = Duration::from_secs(5 * 60);
pub const FORGET_AFTER: Duration = Duration::from_secs(30 * 60);
pub const MAX_KEYS: usize = 10_000;

/// What a failure counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Admin sign-ins from one peer address.
    Ip(IpAddr),
    /// Admin sign-ins for one account name (lowercased), whether or not it exists.
    Account(String),
    /// Watch-code guesses from one peer address.
    WatchCode(IpAddr),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: HashMap<Key, Entry>,
}

/// How long a key is locked after its `failures`-th failure.
pub fn lock_for(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_LOCK)
}

impl Throttle {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Err(wait)` while any of `keys` is locked: the longest remaining wait.
    pub fn check(&self, keys: &[Key], now: Instant) -> Result<(), Duration> {
        let wait = keys
            .iter()
            .filter_map(|k| self.entries.get(k)?.locked_until)
            .filter_map(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
            .max();
        match wait {
            Some(d) => Err(d),
            None => Ok(()),
        }
    }

    /// Counts a failure against each key.
    pub fn fail(&mut self, keys: &[Key], now: Instant) {
        self.prune(now);
        for key in keys {
            let entry =
                self.entries.entry(key.clone()).or_insert(Entry { failures: 0, last_failure: now, locked_until: None });
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            let lock = lock_for(entry.failures);
            entry.locked_until = (!lock.is_zero()).then(|| now + lock);
        }
    }

    /// A success: the keys start afresh.
    pub fn succeed(&mut self, keys: &[Key]) {
        for key in keys {
            self.entries.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets quiet keys whose lock is over; when still full, the longest-quiet ones.
    fn prune(&mut self, now: Instant) {
        self.entries.retain(|_, e| {
            let quiet = now.saturating_duration_since(e.last_failure) >= FORGET_AFTER;
            let unlocked = e.locked_until.is_none_or(|u| u <= now);
            !(quiet && unlocked)
        });
        if self.entries.len() >= MAX_KEYS {
            let mut by_age: Vec<(Instant, Key)> =
                self.entries.iter().map(|(k, e)| (e.last_failure, k.clone())).collect();
            by_age.sort_by_key(|(t, _)| *t);
            let excess = self.entries.len() + 1 - MAX_KEYS;
            for (_, key) in by_age.into_iter().take(excess) {
                self.entries.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> Key {
        Key::Ip(IpAddr::from([10, 0, 0, n]))
    }

    fn account(name: &str) -> Key {
        Key::Account(name.to_owned())
    }

    #[test]
    fn the_lock_doubles_after_the_free_failures_and_is_capped() {
        let locks: Vec<u64> = (1..=15).map(|n| lock_for(n).as_secs()).collect();
        assert_eq!(locks, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(lock_for(u32::MAX), MAX_LOCK);
    }

    #[test]
    fn five_failures_lock_the_key_until_the_window_passes() {
        let mut t = Throttle::new();
        let t0 = Instant::now();
        let keys = [ip(1), account("admin")];
        for _ in 0..4 {
            t.fail(&keys, t0);
            assert_eq!(t.check(&keys, t0), Ok(()));
        }
        t.fail(&keys, t0);
        assert_eq!(t.check(&keys, t0), Err(Duration::from_secs(1)));
        assert_eq!(t.check(&keys, t0 + Duration::from_millis(400)), Err(Duration::from_millis(600)));
        assert_eq!(t.check(&keys, t0 + Duration::from_secs(1)), Ok(()));
        t.fail(&keys, t0 + Duration::from_secs(1));
        assert_eq!(t.check(&keys, t0 + Duration::from_secs(1)), Err(Duration::from_secs(2)));
    }

    #[test]
    fn a_locked_account_is_locked_from_every_address_and_an_address_for_every_account() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            t.fail(&[ip(1), account("admin")], now);
        }
        // The same account from elsewhere: refused.
        assert!(t.check(&[ip(2), account("admin")], now).is_err());
        // The same address, any other name (an unknown one too): refused.
        assert!(t.check(&[ip(1), account("nobody")], now).is_err());
        // Neither key involved: free.
        assert_eq!(t.check(&[ip(2), account("bob")], now), Ok(()));
    }

    #[test]
    fn spreading_guesses_over_names_still_locks_the_address() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for n in 0..FREE_FAILURES {
            t.fail(&[ip(7), account(&format!("user{n}"))], now);
        }
        assert!(t.check(&[ip(7), account("fresh")], now).is_err());
    }

    #[test]
    fn a_success_clears_the_key() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            t.fail(&[account("admin")], now);
        }
        t.succeed(&[account("admin")]);
        t.fail(&[account("admin")], now);
        assert_eq!(t.check(&[account("admin")], now), Ok(()), "the count started over");
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut t = Throttle::new();
        let t0 = Instant::now();
        for n in 0..(MAX_KEYS + 50) {
            t.fail(&[account(&format!("guess{n}"))], t0 + Duration::from_millis(n as u64));
        }
        assert!(t.len() <= MAX_KEYS, "{}", t.len());
        // Quiet, unlocked keys go at the next failure after FORGET_AFTER.
        t.fail(&[ip(1)], t0 + FORGET_AFTER + Duration::from_secs(60));
        assert_eq!(t.len(), 1);
    }
}
