//! Resume tokens: a viewer whose signaling socket drops (a network blip, or the server
//! restarting) comes back with the token from its `welcome` and keeps its viewer id, so the
//! streamer keeps the peer connection that is still playing instead of renegotiating.
//!
//! A token is `<viewer id>.<HMAC-SHA256(key, viewer id)>`: checked without any server
//! memory, so it survives a restart as long as the key does (a file in the data folder).

use crate::protocol::ViewerId;
use crate::server::secrets;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

const KEY_FILE: &str = "resume.key";
const KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct ResumeKey([u8; KEY_BYTES]);

#[derive(Debug, thiserror::Error)]
pub enum ResumeKeyError {
    #[error("cannot read or create the resume key {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the resume key {0} is damaged; delete it to make a new one (viewers then renegotiate once)")]
    Damaged(String),
}

impl ResumeKey {
    pub fn new(bytes: [u8; KEY_BYTES]) -> Self {
        ResumeKey(bytes)
    }

    pub fn random() -> Self {
        ResumeKey(rand::random())
    }

    /// The key kept in `dir`, made on first use (readable by the owner only).
    pub fn load_or_create(dir: &Path) -> Result<Self, ResumeKeyError> {
        let path = dir.join(KEY_FILE);
        let shown = path.display().to_string();
        let io = |source| ResumeKeyError::Io { path: shown.clone(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = secrets::decode(text.trim()).ok_or_else(|| ResumeKeyError::Damaged(shown.clone()))?;
                let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| ResumeKeyError::Damaged(shown.clone()))?;
                Ok(ResumeKey(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = ResumeKey::random();
                write_private(&path, &secrets::encode(&key.0)).map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The token that lets `id` be resumed.
    pub fn token(&self, id: &ViewerId) -> String {
        format!("{}.{}", id.0, secrets::encode(&self.mac(id).finalize().into_bytes()))
    }

    /// The viewer id a token stands for, if the token is genuine.
    pub fn verify(&self, token: &str) -> Option<ViewerId> {
        let (id, mac) = token.rsplit_once('.')?;
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        let id = ViewerId(id.to_owned());
        let mac = secrets::decode(mac)?;
        // `verify_slice` compares in constant time.
        self.mac(&id).verify_slice(&mac).ok().map(|()| id)
    }

    fn mac(&self, id: &ViewerId) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"onair-resume:");
        mac.update(id.0.as_bytes());
        mac
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ViewerId {
        ViewerId(s.to_owned())
    }

    #[test]
    fn a_token_gives_back_its_viewer_id() {
        let key = ResumeKey::new([7; 32]);
        let token = key.token(&id("abc123"));
        assert!(token.starts_with("abc123."));
        assert_eq!(key.verify(&token), Some(id("abc123")));
    }

    #[test]
    fn forged_altered_or_foreign_tokens_are_refused() {
        let key = ResumeKey::new([7; 32]);
        let token = key.token(&id("abc123"));
        let other = ResumeKey::new([8; 32]);
        assert_eq!(other.verify(&token), None, "another server's key");
        let swapped = token.replacen("abc123", "abc124", 1);
        assert_eq!(key.verify(&swapped), None, "someone else's id with this mac");
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key.verify(&flipped), None);
        for junk in ["", ".", "abc123", "abc123.", ".00", "abc123.zz", "a b.00", "abc123.0"] {
            assert_eq!(key.verify(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_key_survives_a_restart_through_its_file() {
        let dir = std::env::temp_dir().join(format!("onair-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = ResumeKey::load_or_create(&dir).unwrap();
        let again = ResumeKey::load_or_create(&dir).unwrap();
        assert_eq!(again.verify(&first.token(&id("v1"))), Some(id("v1")));
        std::fs::write(dir.join(KEY_FILE), "not hex").unwrap();
        assert!(matches!(ResumeKey::load_or_create(&dir), Err(ResumeKeyError::Damaged(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
