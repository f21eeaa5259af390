//! Known devices: the signed `onair_device` cookie a sign-in leaves, so that device skips the throttles others fill.
//!
//! The value is `<random id>.<issued, Unix seconds>.<HMAC(id, issued, account)>`: it names no
//! account, holds only for the account it was issued for, and grants nothing by itself (the
//! password is still checked). A known device has a budget of its own instead
//! ([`DeviceId`], 5 free failures), so a stolen cookie is only one more slow guesser.

use crate::server::auth::cookie_key::CookieKey;
use crate::server::auth::throttle::ThrottleKey;
use std::time::Duration;

pub const DEVICE_COOKIE: &str = "onair_device";
/// How long a device stays known after its last sign-in (each sign-in issues a new cookie).
pub const DEVICE_TTL: Duration = Duration::from_secs(180 * 24 * 3600);
const PURPOSE: &str = "device";

/// A known device: its throttle key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl ThrottleKey for DeviceId {
    fn free_failures(&self) -> u32 {
        5
    }
    fn is_shared(&self) -> bool {
        false
    }
}

/// A new cookie value for a sign-in to `account` (lowercased) at `now_secs`.
pub fn issue(key: &CookieKey, account: &str, now_secs: u64) -> String {
    let id = crate::server::secrets::random::<16>();
    let issued = now_secs.to_string();
    let mac = key.sign(PURPOSE, &[&id, &issued, account]);
    format!("{id}.{issued}.{mac}")
}

/// The device a cookie value stands for, if it is genuine, for `account` and not expired.
pub fn recognise(key: &CookieKey, value: &str, account: &str, now_secs: u64) -> Option<DeviceId> {
    let mut parts = value.split('.');
    let (id, issued, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let issued_secs: u64 = issued.parse().ok()?;
    let fresh = issued_secs <= now_secs && now_secs - issued_secs < DEVICE_TTL.as_secs();
    (fresh && key.verify(PURPOSE, &[id, issued, account], mac)).then(|| DeviceId(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn a_cookie_is_recognised_for_its_account_until_it_expires() {
        let key = CookieKey::random();
        let cookie = issue(&key, "admin", NOW);
        let device = recognise(&key, &cookie, "admin", NOW + 60).expect("recognised");
        assert_eq!(recognise(&key, &cookie, "admin", NOW + 3600), Some(device));
        assert_eq!(recognise(&key, &cookie, "alice", NOW), None, "another account");
        assert_eq!(recognise(&key, &cookie, "admin", NOW + DEVICE_TTL.as_secs()), None, "expired");
        assert_eq!(recognise(&key, &cookie, "admin", NOW - 1), None, "issued in the future");
        assert_eq!(recognise(&CookieKey::random(), &cookie, "admin", NOW), None, "another server's key");
        assert_ne!(recognise(&key, &issue(&key, "admin", NOW), "admin", NOW), recognise(&key, &cookie, "admin", NOW));
    }

    #[test]
    fn forged_or_altered_cookies_are_not_recognised() {
        let key = CookieKey::random();
        let cookie = issue(&key, "admin", NOW);
        let (id, rest) = cookie.split_once('.').unwrap();
        let (_, mac) = rest.split_once('.').unwrap();
        let older = format!("{id}.{}.{mac}", NOW - 10);
        assert_eq!(recognise(&key, &older, "admin", NOW), None, "the issue time is signed");
        for junk in ["", "..", "a.b.c", &format!("{cookie}.x"), &format!("{}.{NOW}.{mac}", "0".repeat(32))] {
            assert_eq!(recognise(&key, junk, "admin", NOW), None, "{junk:?}");
        }
    }
}
