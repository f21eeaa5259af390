//! Resume tokens: a viewer whose signaling socket drops (a network blip, or the server
//! restarting) comes back with the token from its `welcome` and keeps its viewer id, so the
//! streamer keeps the peer connection that is still playing instead of renegotiating.
//!
//! A token is `<viewer id>.<run>.<HMAC-SHA256(key, both)>`, `run` naming the server run that
//! issued it. It proves the id without server memory, so it survives a restart as long as the
//! key does (a file in the data folder); when it may be used (how long after the socket
//! dropped, in which live) is the hub's decision (`hub/resumption.rs`).
//!
//! The same key signs the watch page's device cookie (`onair_viewer`), which lets a viewer the
//! streamer removed be recognised on a new socket without a token.

use crate::protocol::ViewerId;
use crate::server::key_file::{self, KeyFileError, KEY_BYTES};
use crate::server::secrets;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

const KEY_FILE: &str = "resume.key";

#[derive(Clone)]
pub struct ResumeKey([u8; KEY_BYTES]);

impl std::fmt::Debug for ResumeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeKey(..)")
    }
}

impl ResumeKey {
    pub fn new(bytes: [u8; KEY_BYTES]) -> Self {
        ResumeKey(bytes)
    }

    pub fn random() -> Self {
        ResumeKey(rand::random())
    }

    /// The key kept in `dir`, made on first use (readable by the owner only).
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyFileError> {
        key_file::load_or_create(&dir.join(KEY_FILE)).map(ResumeKey)
    }

    /// The token that lets `id` be resumed, issued by server run `run`.
    pub fn token(&self, id: &ViewerId, run: u64) -> String {
        let body = format!("{}.{run:016x}", id.0);
        format!("{body}.{}", self.sign(b"onair-resume-v2:", &body))
    }

    /// What a genuine token says; `None` for anything else (tokens of the first format too:
    /// those viewers get a fresh id once).
    pub fn verify(&self, token: &str) -> Option<ResumeClaim> {
        let (body, mac) = token.rsplit_once('.')?;
        let (id, run) = body.split_once('.')?;
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        let run = u64::from_str_radix(run, 16).ok().filter(|_| run.len() == 16)?;
        self.check(b"onair-resume-v2:", body, mac)?;
        Some(ResumeClaim { viewer_id: ViewerId(id.to_owned()), run })
    }

    /// A fresh device cookie value, made at `now_unix`.
    pub fn device_cookie(&self, now_unix: u64) -> String {
        let id: [u8; 16] = rand::random();
        let body = format!("{}.{now_unix}", secrets::encode(&id));
        format!("{body}.{}", self.sign(b"onair-device:", &body))
    }

    /// The device a genuine cookie value stands for.
    pub fn verify_device(&self, cookie: &str) -> Option<Device> {
        let (body, mac) = cookie.rsplit_once('.')?;
        let (id, issued) = body.split_once('.')?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let issued_at = issued.parse().ok()?;
        self.check(b"onair-device:", body, mac)?;
        Some(Device { id: id.to_owned(), issued_at })
    }

    fn sign(&self, domain: &[u8], body: &str) -> String {
        secrets::encode(&self.mac(domain, body).finalize().into_bytes())
    }

    fn check(&self, domain: &[u8], body: &str, mac: &str) -> Option<()> {
        let mac = secrets::decode(mac)?;
        // `verify_slice` compares in constant time.
        self.mac(domain, body).verify_slice(&mac).ok()
    }

    fn mac(&self, domain: &[u8], body: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain);
        mac.update(body.as_bytes());
        mac
    }
}

/// What a genuine resume token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumeClaim {
    pub viewer_id: ViewerId,
    /// The server run that issued it.
    pub run: u64,
}

/// A browser, as its device cookie names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Device {
    pub id: String,
    /// When the cookie was made (Unix seconds).
    pub issued_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ViewerId {
        ViewerId(s.to_owned())
    }

    fn claim(s: &str, run: u64) -> Option<ResumeClaim> {
        Some(ResumeClaim { viewer_id: id(s), run })
    }

    #[test]
    fn a_token_gives_back_its_viewer_id_and_run() {
        let key = ResumeKey::new([7; 32]);
        let token = key.token(&id("abc123"), 42);
        assert!(token.starts_with("abc123."));
        assert_eq!(key.verify(&token), claim("abc123", 42));
        assert!(token.len() <= crate::protocol::MAX_RESUME_TOKEN_BYTES);
    }

    #[test]
    fn forged_altered_or_foreign_tokens_are_refused() {
        let key = ResumeKey::new([7; 32]);
        let token = key.token(&id("abc123"), 42);
        let other_run = token.replacen(&format!("{:016x}", 42), &format!("{:016x}", 43), 1);
        assert_eq!(key.verify(&other_run), None, "the run is signed too");
        let other = ResumeKey::new([8; 32]);
        assert_eq!(other.verify(&token), None, "another server's key");
        let swapped = token.replacen("abc123", "abc124", 1);
        assert_eq!(key.verify(&swapped), None, "someone else's id with this mac");
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key.verify(&flipped), None);
        let first_format = format!("abc123.{}", key.sign(b"onair-resume:", "abc123"));
        assert_eq!(key.verify(&first_format), None);
        for junk in ["", ".", "abc123", "abc123.", ".00", "abc123.zz", "a b.00", "abc123.0", "abc123.1.00"] {
            assert_eq!(key.verify(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_key_survives_a_restart_through_its_file() {
        let dir = std::env::temp_dir().join(format!("onair-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = ResumeKey::load_or_create(&dir).unwrap();
        let again = ResumeKey::load_or_create(&dir).unwrap();
        assert_eq!(again.verify(&first.token(&id("v1"), 1)), claim("v1", 1));
        std::fs::write(dir.join(KEY_FILE), "not hex").unwrap();
        assert!(matches!(ResumeKey::load_or_create(&dir), Err(KeyFileError::Damaged(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_device_cookie_keeps_its_issue_time_and_cannot_be_backdated() {
        let key = ResumeKey::new([7; 32]);
        let cookie = key.device_cookie(1_000);
        let device = key.verify_device(&cookie).unwrap();
        assert_eq!(device.issued_at, 1_000);
        assert_ne!(key.verify_device(&key.device_cookie(1_000)).unwrap().id, device.id, "a new id each time");
        let backdated = cookie.replacen(".1000.", ".999.", 1);
        assert_eq!(key.verify_device(&backdated), None);
        assert_eq!(ResumeKey::new([8; 32]).verify_device(&cookie), None);
        for junk in ["", "x.1.00", "0123.1.00"] {
            assert_eq!(key.verify_device(junk), None, "{junk:?}");
        }
    }
}
