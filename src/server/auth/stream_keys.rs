//! Stream keys: what OBS or ffmpeg sends as `Authorization: Bearer KEY` to publish over WHIP.
//!
//! One per admin account, 256 bits: HMAC-SHA256 under `stream.key` (the data folder) of the
//! account id and a random nonce kept in the database. The studio can show the key again
//! (it is recomputed), a rotation is a new nonce, and the table holds only the key's SHA-256:
//! the database alone publishes nothing.

use crate::server::auth::accounts::AdminId;
use crate::server::key_file::{self, KeyFileError, KEY_BYTES};
use crate::server::secrets;
use crate::server::store::db::Db;
use hmac::{Hmac, Mac};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;

const KEY_FILE: &str = "stream.key";
/// A stream key is this many hex digits (256 bits).
pub const STREAM_KEY_CHARS: usize = 64;

/// The stream keys table and the secret keys are derived under. Blocking (SQLite): from
/// async code, go through `spawn_blocking`.
#[derive(Clone)]
pub struct StreamKeys {
    db: Db,
    secret: [u8; KEY_BYTES],
}

fn key_hash(key: &str) -> String {
    secrets::encode(&Sha256::digest(key.as_bytes()))
}

impl StreamKeys {
    /// The keys of `db`, derived under `stream.key` in the data folder (made on first use).
    pub fn load_or_create(db: Db, data_dir: &Path) -> Result<StreamKeys, KeyFileError> {
        Ok(StreamKeys { db, secret: key_file::load_or_create(&data_dir.join(KEY_FILE))? })
    }

    /// With a random secret (tests).
    pub fn with_random_secret(db: Db) -> StreamKeys {
        StreamKeys { db, secret: rand::random() }
    }

    fn derive(&self, admin: AdminId, nonce: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(b"onair-stream-key:");
        mac.update(&admin.0.to_be_bytes());
        mac.update(nonce.as_bytes());
        secrets::encode(&mac.finalize().into_bytes())
    }

    /// `admin`'s stream key, made on first use.
    pub fn key_of(&self, admin: AdminId) -> rusqlite::Result<String> {
        let nonce: Option<String> = self
            .db
            .lock()
            .query_row("SELECT nonce FROM stream_keys WHERE admin_id = ?1", [admin.0], |r| r.get(0))
            .optional()?;
        match nonce {
            Some(nonce) => Ok(self.derive(admin, &nonce)),
            None => self.rotate(admin),
        }
    }

    /// A new key for `admin`; the old one stops working at once.
    pub fn rotate(&self, admin: AdminId) -> rusqlite::Result<String> {
        let nonce = secrets::random::<16>();
        let key = self.derive(admin, &nonce);
        self.db.lock().execute(
            "INSERT INTO stream_keys (admin_id, nonce, key_hash) VALUES (?1, ?2, ?3)
             ON CONFLICT(admin_id) DO UPDATE SET nonce = excluded.nonce, key_hash = excluded.key_hash",
            params![admin.0, nonce, key_hash(&key)],
        )?;
        Ok(key)
    }

    /// The account a key publishes for. A malformed key is hashed and looked up like any
    /// other, so a wrong key and a missing one cost the same.
    pub fn lookup(&self, key: &str) -> rusqlite::Result<Option<AdminId>> {
        let hash = key_hash(key);
        let found = self
            .db
            .lock()
            .query_row("SELECT admin_id FROM stream_keys WHERE key_hash = ?1", [&hash], |r| r.get(0).map(AdminId))
            .optional()?;
        Ok(found.filter(|_| key.len() == STREAM_KEY_CHARS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::accounts::Accounts;

    fn setup() -> (StreamKeys, AdminId, Db) {
        let db = Db::open_in_memory().unwrap();
        let admin = Accounts::new(db.clone()).seed_first("pw").unwrap();
        (StreamKeys::with_random_secret(db.clone()), admin, db)
    }

    #[test]
    fn a_key_is_shown_again_unchanged_and_publishes_for_its_account() {
        let (keys, admin, _db) = setup();
        let key = keys.key_of(admin).unwrap();
        assert_eq!(key.len(), STREAM_KEY_CHARS);
        assert_eq!(keys.key_of(admin).unwrap(), key);
        assert_eq!(keys.lookup(&key).unwrap(), Some(admin));
        assert_eq!(keys.lookup("").unwrap(), None);
        assert_eq!(keys.lookup(&"0".repeat(STREAM_KEY_CHARS)).unwrap(), None);
    }

    #[test]
    fn a_rotated_key_stops_working_at_once() {
        let (keys, admin, _db) = setup();
        let old = keys.key_of(admin).unwrap();
        let new = keys.rotate(admin).unwrap();
        assert_ne!(old, new);
        assert_eq!(keys.lookup(&old).unwrap(), None);
        assert_eq!(keys.lookup(&new).unwrap(), Some(admin));
        assert_eq!(keys.key_of(admin).unwrap(), new);
    }

    #[test]
    fn the_database_holds_only_the_hash() {
        let (keys, admin, db) = setup();
        let key = keys.key_of(admin).unwrap();
        let (nonce, hash): (String, String) =
            db.lock().query_row("SELECT nonce, key_hash FROM stream_keys", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_ne!(hash, key);
        assert_ne!(nonce, key);
        assert_eq!(hash, key_hash(&key));
    }

    #[test]
    fn keys_of_two_servers_differ() {
        let (a, admin, db) = setup();
        let b = StreamKeys::with_random_secret(db);
        let key = a.key_of(admin).unwrap();
        assert_ne!(b.key_of(admin).unwrap(), key, "the same nonce under another secret");
    }
}
