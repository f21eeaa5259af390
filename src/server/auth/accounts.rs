//! Admin accounts in the database: adding one, changing its password, checking a sign-in.

use crate::server::auth::passwords::{self, PasswordError, MIN_PASSWORD_CHARS};
use crate::server::store::db::Db;
use rusqlite::{params, OptionalExtension};

/// The account the first start creates.
pub const FIRST_ADMIN: &str = "admin";
const MAX_NAME_CHARS: usize = 64;

/// Identifies an admin account (its row id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminId(pub i64);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account name is 1 to {MAX_NAME_CHARS} letters, digits, '.', '_', '-' or '@', not {0:?}")]
    BadName(String),
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("there is already an account named {0:?}")]
    Exists(String),
    #[error("there is no account named {0:?}")]
    NoSuchAccount(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("the database refused: {0}")]
    Db(#[from] rusqlite::Error),
}

/// The accounts table. Every call does blocking work (Argon2, SQLite): from async code, go
/// through `spawn_blocking`.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
}

pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName(name.to_owned()))
    }
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::ShortPassword);
    }
    Ok(())
}

impl Accounts {
    pub fn new(db: Db) -> Self {
        Accounts { db }
    }

    pub fn count(&self) -> Result<i64, AccountError> {
        Ok(self.db.lock().query_row("SELECT COUNT(*) FROM admins", [], |r| r.get(0))?)
    }

    /// A new account. The password must be at least [`MIN_PASSWORD_CHARS`] long.
    pub fn add(&self, name: &str, password: &str) -> Result<AdminId, AccountError> {
        check_name(name)?;
        check_password(password)?;
        self.insert(name, password)
    }

    /// The first account at first start, from the configured (or a generated) password. The
    /// length rule is not applied: the operator chose that password before this version.
    pub fn seed_first(&self, password: &str) -> Result<AdminId, AccountError> {
        self.insert(FIRST_ADMIN, password)
    }

    fn insert(&self, name: &str, password: &str) -> Result<AdminId, AccountError> {
        let hash = passwords::hash_password(password)?;
        let conn = self.db.lock();
        let inserted = conn.execute(
            "INSERT INTO admins (name, password_hash, created_at) VALUES (?1, ?2, ?3)",
            params![name, hash, crate::server::clock::now_ms()],
        );
        match inserted {
            Ok(_) => Ok(AdminId(conn.last_insert_rowid())),
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(AccountError::Exists(name.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces an account's password and signs it out everywhere.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), AccountError> {
        check_password(password)?;
        let hash = passwords::hash_password(password)?;
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        let id: Option<i64> = tx.query_row("SELECT id FROM admins WHERE name = ?1", [name], |r| r.get(0)).optional()?;
        let Some(id) = id else { return Err(AccountError::NoSuchAccount(name.to_owned())) };
        tx.execute("UPDATE admins SET password_hash = ?1 WHERE id = ?2", params![hash, id])?;
        tx.execute("DELETE FROM sessions WHERE admin_id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// The account named `name` (ignoring case).
    pub fn id_of(&self, name: &str) -> Result<AdminId, AccountError> {
        let id: Option<i64> =
            self.db.lock().query_row("SELECT id FROM admins WHERE name = ?1", [name], |r| r.get(0)).optional()?;
        id.map(AdminId).ok_or_else(|| AccountError::NoSuchAccount(name.to_owned()))
    }

    /// The account when `name` and `password` match one. An unknown name costs the same
    /// Argon2 work as a wrong password, and both answer `None`.
    pub fn verify(&self, name: &str, password: &str) -> Result<Option<AdminId>, AccountError> {
        let row: Option<(i64, String)> = self
            .db
            .lock()
            .query_row("SELECT id, password_hash FROM admins WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        // The lock is released before the slow part.
        Ok(match row {
            Some((id, hash)) if passwords::verify_password(&hash, password) => Some(AdminId(id)),
            Some(_) => None,
            None => {
                passwords::verify_nobody(password);
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Accounts {
        Accounts::new(Db::open_in_memory().unwrap())
    }

    #[test]
    fn an_added_account_signs_in_with_its_password_only() {
        let a = accounts();
        let id = a.add("alice", "long enough password").unwrap();
        assert_eq!(a.verify("alice", "long enough password").unwrap(), Some(id));
        assert_eq!(a.verify("ALICE", "long enough password").unwrap(), Some(id), "names ignore case");
        assert_eq!(a.verify("alice", "wrong password!!").unwrap(), None);
        assert_eq!(a.verify("bob", "long enough password").unwrap(), None);
        assert_eq!(a.count().unwrap(), 1);
    }

    #[test]
    fn names_are_unique_and_checked_and_passwords_long_enough() {
        let a = accounts();
        a.add("alice", "long enough password").unwrap();
        assert!(matches!(a.add("Alice", "another long one"), Err(AccountError::Exists(_))));
        assert!(matches!(a.add("bad name", "long enough password"), Err(AccountError::BadName(_))));
        assert!(matches!(a.add("", "long enough password"), Err(AccountError::BadName(_))));
        assert!(matches!(a.add("bob", "short"), Err(AccountError::ShortPassword)));
    }

    #[test]
    fn passwd_replaces_the_password_of_an_existing_account_only() {
        let a = accounts();
        a.add("alice", "first password!").unwrap();
        a.set_password("alice", "second password!").unwrap();
        assert_eq!(a.verify("alice", "first password!").unwrap(), None);
        assert!(a.verify("alice", "second password!").unwrap().is_some());
        assert!(matches!(a.set_password("nobody", "whatever long"), Err(AccountError::NoSuchAccount(_))));
    }

    #[test]
    fn the_first_admin_is_seeded_with_any_password() {
        let a = accounts();
        a.seed_first("short").unwrap();
        assert!(a.verify(FIRST_ADMIN, "short").unwrap().is_some());
    }
}
