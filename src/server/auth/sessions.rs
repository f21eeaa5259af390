//! Admin sessions in the database, so a restart signs nobody out. The cookie holds a random
//! 256-bit token; the table holds only its SHA-256, with an expiry.

use crate::server::auth::accounts::AdminId;
use crate::server::store::db::Db;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Sessions, backed by the `sessions` table. Blocking: call through `spawn_blocking`.
#[derive(Clone)]
pub struct Sessions {
    db: Db,
}

fn token_hash(token: &str) -> String {
    crate::server::secrets::encode(&Sha256::digest(token.as_bytes()))
}

impl Sessions {
    pub fn new(db: Db) -> Self {
        Sessions { db }
    }

    /// A new session for `admin` from `now_ms`; returns the token for the cookie. Expired
    /// sessions are deleted on the way, which keeps the table small.
    pub fn create(&self, admin: AdminId, now_ms: i64) -> rusqlite::Result<String> {
        let token = crate::server::secrets::random_token();
        let conn = self.db.lock();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now_ms])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, admin_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash(&token), admin.0, now_ms, now_ms + SESSION_TTL.as_millis() as i64],
        )?;
        Ok(token)
    }

    /// The admin a token signs in, if it is known and not expired at `now_ms`.
    pub fn lookup(&self, token: &str, now_ms: i64) -> rusqlite::Result<Option<AdminId>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        self.db
            .lock()
            .query_row(
                "SELECT admin_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![token_hash(token), now_ms],
                |r| r.get(0).map(AdminId),
            )
            .optional()
    }

    pub fn revoke(&self, token: &str) -> rusqlite::Result<()> {
        self.db.lock().execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash(token)])?;
        Ok(())
    }

    /// Moves a session's expiry (tests of expiry).
    pub fn set_expiry(&self, token: &str, expires_at_ms: i64) -> rusqlite::Result<()> {
        self.db.lock().execute(
            "UPDATE sessions SET expires_at = ?1 WHERE token_hash = ?2",
            params![expires_at_ms, token_hash(token)],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::accounts::Accounts;

    fn setup() -> (Sessions, AdminId, Db) {
        let db = Db::open_in_memory().unwrap();
        let admin = Accounts::new(db.clone()).seed_first("pw").unwrap();
        (Sessions::new(db.clone()), admin, db)
    }

    #[test]
    fn a_session_is_found_until_it_expires_or_is_revoked() {
        let (s, admin, _db) = setup();
        let a = s.create(admin, 1_000).unwrap();
        let b = s.create(admin, 1_000).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(s.lookup(&a, 2_000).unwrap(), Some(admin));
        let ttl = SESSION_TTL.as_millis() as i64;
        assert_eq!(s.lookup(&a, 1_000 + ttl).unwrap(), None, "expired");
        s.revoke(&a).unwrap();
        assert_eq!(s.lookup(&a, 2_000).unwrap(), None);
        assert_eq!(s.lookup(&b, 2_000).unwrap(), Some(admin));
        assert_eq!(s.lookup("forged", 2_000).unwrap(), None);
        assert_eq!(s.lookup(&"0".repeat(64), 2_000).unwrap(), None);
    }

    #[test]
    fn only_the_hash_is_stored_and_expired_rows_are_pruned() {
        let (s, admin, db) = setup();
        let token = s.create(admin, 0).unwrap();
        let stored: String = db.lock().query_row("SELECT token_hash FROM sessions", [], |r| r.get(0)).unwrap();
        assert_ne!(stored, token);
        assert_eq!(stored, token_hash(&token));
        let later = SESSION_TTL.as_millis() as i64 + 1;
        s.create(admin, later).unwrap();
        let rows: i64 = db.lock().query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 1, "the expired session was deleted");
    }
}
