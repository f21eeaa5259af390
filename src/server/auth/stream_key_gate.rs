//! Who may publish with a stream key: the key checked against its account, and guessing
//! throttled per address like watch codes (keys are 256 bits, but a flood of guesses is still
//! work and noise).

use crate::server::auth::accounts::AdminId;
use crate::server::auth::sign_in::{seconds, wait_secs};
use crate::server::auth::stream_keys::StreamKeys;
use crate::server::auth::throttle::{AddressGroup, Throttle, ThrottleKey};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong keys one address may send before it waits (an encoder retrying with an old key
/// after a rotation gets this many tries before the doubling waits start).
pub const ADDRESS_FREE_FAILURES: u32 = 10;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyGuess(AddressGroup);

impl ThrottleKey for KeyGuess {
    fn free_failures(&self) -> u32 {
        ADDRESS_FREE_FAILURES
    }

    /// No shared ceiling: it would let guessers lock the owner's encoder out.
    fn is_shared(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefused {
    /// Missing and wrong keys get these same words.
    #[error("sign in as an admin to publish from the studio, or send this server's stream key as `Authorization: Bearer KEY` (the studio shows it)")]
    WrongKey,
    #[error("too many wrong stream keys from this address; try again in {}", seconds(wait_secs(*.0)))]
    Throttled(Duration),
    #[error("the database does not answer; try again in a moment")]
    Unavailable,
}

pub struct StreamKeyGate {
    pub keys: StreamKeys,
    throttle: Mutex<Throttle<KeyGuess>>,
}

impl StreamKeyGate {
    pub fn new(keys: StreamKeys) -> Self {
        StreamKeyGate { keys, throttle: Mutex::new(Throttle::new()) }
    }

    /// The account `key` publishes for. A missing key is looked up as an empty one: the
    /// same work and the same answer as a wrong one.
    pub async fn check(&self, client: IpAddr, key: Option<&str>) -> Result<AdminId, KeyRefused> {
        let guess = [KeyGuess(AddressGroup::of(client))];
        self.lock().charge(&guess, Instant::now()).map_err(KeyRefused::Throttled)?;
        let keys = self.keys.clone();
        let key = key.unwrap_or_default().to_owned();
        let found = tokio::task::spawn_blocking(move || keys.lookup(&key)).await;
        match found {
            Ok(Ok(Some(admin))) => {
                self.lock().succeed(&guess);
                Ok(admin)
            }
            Ok(Ok(None)) => Err(KeyRefused::WrongKey),
            Ok(Err(e)) => {
                tracing::error!("looking up a stream key failed: {e}");
                Err(KeyRefused::Unavailable)
            }
            Err(_) => Err(KeyRefused::Unavailable),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Throttle<KeyGuess>> {
        self.throttle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::accounts::Accounts;
    use crate::server::store::db::Db;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn the_right_key_publishes_and_wrong_ones_are_throttled_per_address() {
        let db = Db::open_in_memory().unwrap();
        let admin = Accounts::new(db.clone()).seed_first("pw").unwrap();
        let gate = StreamKeyGate::new(StreamKeys::with_random_secret(db));
        let key = gate.keys.key_of(admin).unwrap();
        let guesser = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let owner = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(gate.check(owner, Some(&key)).await, Ok(admin));
        assert_eq!(gate.check(guesser, None).await, Err(KeyRefused::WrongKey), "missing is wrong");
        // The missing key was the first of the free failures.
        for _ in 1..ADDRESS_FREE_FAILURES {
            assert_eq!(gate.check(guesser, Some("guess")).await, Err(KeyRefused::WrongKey));
        }
        assert!(matches!(gate.check(guesser, Some(&key)).await, Err(KeyRefused::Throttled(_))));
        assert_eq!(gate.check(owner, Some(&key)).await, Ok(admin), "other addresses are not slowed");
    }
}
