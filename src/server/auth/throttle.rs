//! Throttling of guesses (sign-ins, watch codes): a pure table of failures per key, the clock passed in.
//!
//! Each kind of key has its own free failures ([`ThrottleKey::free_failures`]); after them each
//! further failure locks the key twice as long as the last (1 s, 2 s, 4 s…), at most
//! [`MAX_LOCK`]. An attempt is charged as a failure up front ([`Throttle::charge`], refused while
//! a key is locked) and a success takes the charge back ([`Throttle::succeed`]): a source's own
//! keys start afresh, a ceiling shared by everyone only loses this attempt's charge, so an
//! owner's success never wipes an attacker's count. Keys quiet for [`FORGET_AFTER`] are
//! forgotten and a table never holds more than its capacity; a locked key is never evicted to
//! make room: when only locked keys are left, a new key waits for the first to unlock.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const MAX_LOCK: Duration = Duration::from_secs(5 * 60);
pub const FORGET_AFTER: Duration = Duration::from_secs(30 * 60);
pub const MAX_KEYS: usize = 10_000;

/// What a kind of key allows.
pub trait ThrottleKey: Clone + Eq + Hash {
    /// Failures before the first lock.
    fn free_failures(&self) -> u32;
    /// A ceiling everyone shares (one account, one stream) rather than one source's budget:
    /// a success takes back only its own charge.
    fn is_shared(&self) -> bool;
}

/// The address a throttle counts against: IPv4 addresses as they are, IPv6 addresses by their
/// /64, since one subscriber usually holds a whole /64 and could otherwise guess from each of
/// its 2^64 addresses in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressGroup(IpAddr);

impl AddressGroup {
    pub fn of(ip: IpAddr) -> AddressGroup {
        AddressGroup(match ip.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            v4 => v4,
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn is_locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

#[derive(Debug)]
pub struct Throttle<K> {
    entries: HashMap<K, Entry>,
    capacity: usize,
}

/// How long a key is locked after its `failures`-th failure, when `free` come free.
pub fn lock_for(failures: u32, free: u32) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let doublings = (failures - free).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_LOCK)
}

impl<K: ThrottleKey> Default for Throttle<K> {
    fn default() -> Self {
        Self::with_capacity(MAX_KEYS)
    }
}

impl<K: ThrottleKey> Throttle<K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Throttle { entries: HashMap::new(), capacity }
    }

    /// `Err(wait)` while any of `keys` is locked: the longest remaining wait.
    pub fn check(&self, keys: &[K], now: Instant) -> Result<(), Duration> {
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

    /// Counts an attempt as a failure against each key, in one step with the check so a burst
    /// of concurrent attempts cannot all pass before any has failed. `Err(wait)` without
    /// counting while a key is locked, or while the table has no room for a new key.
    pub fn charge(&mut self, keys: &[K], now: Instant) -> Result<(), Duration> {
        self.check(keys, now)?;
        let new = keys.iter().filter(|k| !self.entries.contains_key(k)).count();
        self.make_room(new, now)?;
        for key in keys {
            let entry =
                self.entries.entry(key.clone()).or_insert(Entry { failures: 0, last_failure: now, locked_until: None });
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            let lock = lock_for(entry.failures, key.free_failures());
            entry.locked_until = (!lock.is_zero()).then(|| now + lock);
        }
        Ok(())
    }

    /// The charged attempt succeeded: a source's own keys start afresh; a shared ceiling
    /// loses this attempt's charge only.
    pub fn succeed(&mut self, keys: &[K]) {
        for key in keys {
            if !key.is_shared() {
                self.entries.remove(key);
                continue;
            }
            let Some(entry) = self.entries.get_mut(key) else { continue };
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures == 0 {
                self.entries.remove(key);
            } else if lock_for(entry.failures, key.free_failures()).is_zero() {
                entry.locked_until = None;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Room for `new` more keys: quiet unlocked keys go first, then the longest-quiet unlocked
    /// ones. Locked keys stay; with only those left, `Err(wait)` until the first unlocks.
    fn make_room(&mut self, new: usize, now: Instant) -> Result<(), Duration> {
        if new == 0 {
            return Ok(());
        }
        self.entries.retain(|_, e| e.is_locked(now) || now.saturating_duration_since(e.last_failure) < FORGET_AFTER);
        let over = (self.entries.len() + new).saturating_sub(self.capacity);
        if over == 0 {
            return Ok(());
        }
        let mut unlocked: Vec<(Instant, K)> =
            self.entries.iter().filter(|(_, e)| !e.is_locked(now)).map(|(k, e)| (e.last_failure, k.clone())).collect();
        unlocked.sort_by_key(|(t, _)| *t);
        for (_, key) in unlocked.iter().take(over) {
            self.entries.remove(key);
        }
        if self.entries.len() + new <= self.capacity {
            return Ok(());
        }
        let first_unlock = self.entries.values().filter_map(|e| e.locked_until).min();
        Err(first_unlock.map_or(Duration::from_secs(1), |until| until.saturating_duration_since(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source's key (5 free) and a shared ceiling (10 free).
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    enum Key {
        Source(u32),
        Ceiling,
    }

    impl ThrottleKey for Key {
        fn free_failures(&self) -> u32 {
            match self {
                Key::Source(_) => 5,
                Key::Ceiling => 10,
            }
        }
        fn is_shared(&self) -> bool {
            *self == Key::Ceiling
        }
    }

    fn source(n: u32) -> Key {
        Key::Source(n)
    }

    #[test]
    fn the_lock_doubles_after_the_free_failures_and_is_capped() {
        let locks: Vec<u64> = (1..=15).map(|n| lock_for(n, 5).as_secs()).collect();
        assert_eq!(locks, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(lock_for(u32::MAX, 5), MAX_LOCK);
        assert_eq!(lock_for(99, 100), Duration::ZERO);
        assert_eq!(lock_for(100, 100), Duration::from_secs(1));
    }

    #[test]
    fn five_failures_lock_the_key_until_the_window_passes() {
        let mut t = Throttle::new();
        let t0 = Instant::now();
        let keys = [source(1)];
        for _ in 0..4 {
            t.charge(&keys, t0).unwrap();
        }
        t.charge(&keys, t0).unwrap();
        assert_eq!(t.check(&keys, t0), Err(Duration::from_secs(1)));
        assert_eq!(t.charge(&keys, t0 + Duration::from_millis(400)), Err(Duration::from_millis(600)));
        t.charge(&keys, t0 + Duration::from_secs(1)).unwrap();
        assert_eq!(t.check(&keys, t0 + Duration::from_secs(1)), Err(Duration::from_secs(2)));
    }

    #[test]
    fn a_locked_key_refuses_every_attempt_it_is_part_of_and_no_other() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for _ in 0..5 {
            t.charge(&[source(1), Key::Ceiling], now).unwrap();
        }
        assert!(t.charge(&[source(1), Key::Ceiling], now).is_err());
        // The ceiling (10 free) is not locked: another source passes.
        assert_eq!(t.charge(&[source(2), Key::Ceiling], now), Ok(()));
    }

    #[test]
    fn a_refused_attempt_is_not_counted() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for _ in 0..5 {
            t.charge(&[source(1)], now).unwrap();
        }
        for _ in 0..100 {
            assert!(t.charge(&[source(1), Key::Ceiling], now).is_err());
        }
        assert_eq!(t.charge(&[Key::Ceiling], now), Ok(()), "the ceiling saw none of the refused attempts");
    }

    #[test]
    fn a_success_clears_the_source_and_only_takes_back_its_charge_from_the_ceiling() {
        let mut t = Throttle::new();
        let now = Instant::now();
        // An attacker spends half the ceiling from other sources.
        for n in 0..5 {
            t.charge(&[source(100 + n), Key::Ceiling], now).unwrap();
        }
        // The owner, after three typos, gets in: their own count is gone…
        for _ in 0..4 {
            t.charge(&[source(1), Key::Ceiling], now).unwrap();
        }
        t.succeed(&[source(1), Key::Ceiling]);
        assert!(!t.entries.contains_key(&source(1)));
        // …but the ceiling still holds the attacker's 5 and the owner's 3 typos: two more lock it.
        t.charge(&[Key::Ceiling], now).unwrap();
        assert_eq!(t.check(&[Key::Ceiling], now), Ok(()));
        t.charge(&[Key::Ceiling], now).unwrap();
        assert!(t.check(&[Key::Ceiling], now).is_err());
    }

    #[test]
    fn a_ceiling_back_at_zero_is_forgotten() {
        let mut t = Throttle::new();
        let now = Instant::now();
        t.charge(&[source(1), Key::Ceiling], now).unwrap();
        t.succeed(&[source(1), Key::Ceiling]);
        assert!(t.is_empty());
    }

    #[test]
    fn a_success_that_brings_the_ceiling_below_its_free_failures_unlocks_it() {
        let mut t = Throttle::new();
        let now = Instant::now();
        for n in 0..9 {
            t.charge(&[source(n), Key::Ceiling], now).unwrap();
        }
        t.charge(&[source(50), Key::Ceiling], now).unwrap();
        assert!(t.check(&[Key::Ceiling], now).is_err(), "the owner's own charge reached the ceiling");
        t.succeed(&[source(50), Key::Ceiling]);
        assert_eq!(t.check(&[Key::Ceiling], now), Ok(()));
    }

    #[test]
    fn the_table_stays_bounded_and_forgets_quiet_keys() {
        let mut t = Throttle::with_capacity(100);
        let t0 = Instant::now();
        for n in 0..150 {
            t.charge(&[source(n)], t0 + Duration::from_millis(u64::from(n))).unwrap();
        }
        assert_eq!(t.len(), 100);
        // Quiet, unlocked keys go at the next charge after FORGET_AFTER.
        t.charge(&[source(1000)], t0 + FORGET_AFTER + Duration::from_secs(60)).unwrap();
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_locked_key_is_never_evicted_to_make_room() {
        let mut t = Throttle::with_capacity(10);
        let now = Instant::now();
        for _ in 0..5 {
            t.charge(&[source(0)], now).unwrap();
        }
        // Fill the rest with unlocked keys, then push more through: only those make way.
        for n in 1..200 {
            t.charge(&[source(n)], now + Duration::from_millis(u64::from(n))).unwrap();
        }
        let later = now + Duration::from_millis(200);
        assert!(t.check(&[source(0)], later).is_err(), "the locked key survived the churn");
        assert_eq!(t.len(), 10);
    }

    #[test]
    fn a_table_full_of_locked_keys_makes_new_keys_wait_for_the_first_unlock() {
        let mut t = Throttle::with_capacity(3);
        let now = Instant::now();
        for n in 0..3 {
            for _ in 0..5 {
                t.charge(&[source(n)], now).unwrap();
            }
        }
        assert_eq!(t.charge(&[source(9)], now), Err(Duration::from_secs(1)));
        assert_eq!(t.len(), 3);
        // Once a lock has ended that key may make way.
        assert_eq!(t.charge(&[source(9)], now + Duration::from_secs(1)), Ok(()));
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_and_ipv4_stands_alone() {
        let v6 = |s: &str| AddressGroup::of(s.parse().unwrap());
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_ne!(v6("10.0.0.1"), v6("10.0.0.2"));
        assert_eq!(v6("::ffff:10.0.0.1"), v6("10.0.0.1"), "a v4-mapped address is its IPv4 address");
    }
}
