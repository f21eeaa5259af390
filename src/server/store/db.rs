//! OnAir's SQLite database: opening it in the data folder, bringing its schema up to date,
//! and answering the readiness check.
//!
//! One connection behind a mutex: writes are a few small rows per viewer join or leave and
//! reads are an admin page, so there is nothing to gain from a pool. Callers in async code
//! go through `spawn_blocking` or the history thread; nobody touches it under the signaling lock.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The database file inside the data folder.
pub const DB_FILE: &str = "onair.db";

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema, one step per entry, applied in order inside a transaction each.
/// `PRAGMA user_version` holds how many steps a database has had. To change the schema, add a
/// step at the end; never edit a step that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: stream history. Times are Unix milliseconds (UTC).
    "CREATE TABLE lives (
        id            INTEGER PRIMARY KEY,
        started_at    INTEGER NOT NULL,
        -- NULL while live, or until the next start closes a live left open by a crash.
        ended_at      INTEGER,
        -- The last time anything was recorded for this live: the end of a crashed one.
        last_event_at INTEGER NOT NULL,
        peak_viewers  INTEGER NOT NULL DEFAULT 0,
        -- Total time watched by all viewers, filled in when the live ends.
        viewer_ms     INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX lives_by_start ON lives(started_at);
    CREATE TABLE live_viewers (
        id        INTEGER PRIMARY KEY,
        live_id   INTEGER NOT NULL REFERENCES lives(id) ON DELETE CASCADE,
        name      TEXT,
        joined_at INTEGER NOT NULL,
        left_at   INTEGER
    );
    CREATE INDEX live_viewers_by_live ON live_viewers(live_id, joined_at);",
    // 2: admin accounts and their sign-in sessions. Times are Unix milliseconds (UTC).
    "CREATE TABLE admins (
        id            INTEGER PRIMARY KEY,
        -- Compared case-insensitively: `Admin` and `admin` are one account.
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        -- Argon2id, PHC string form.
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        -- SHA-256 of the cookie's token, hex: the database alone signs nobody in.
        token_hash TEXT PRIMARY KEY,
        admin_id   INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_expiry ON sessions(expires_at);",
    // 3: stream keys (WHIP from OBS or ffmpeg), and where each live came from.
    "CREATE TABLE stream_keys (
        admin_id INTEGER PRIMARY KEY REFERENCES admins(id) ON DELETE CASCADE,
        -- The key is HMAC(stream.key file, admin id, nonce): the studio can show it again,
        -- and a rotation is a new nonce. Only its SHA-256 is looked up.
        nonce    TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE
    );
    -- NULL: the browser studio; else the external encoder's name (\"OBS Studio 30.2\").
    ALTER TABLE lives ADD COLUMN source TEXT;",
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot bring the database {path} to schema version {version}: {source}")]
    Migrate { path: PathBuf, version: usize, source: rusqlite::Error },
    #[error(
        "the database {path} has schema version {found}, newer than this OnAir knows ({known}): \
         run a newer OnAir or point --data-dir elsewhere"
    )]
    TooNew { path: PathBuf, found: i64, known: usize },
}

/// A shared handle to the one connection.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating when missing) `onair.db` in `dir`, in WAL mode, with the schema up to date.
    pub fn open(dir: &Path) -> Result<Db, DbError> {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir { path: dir.to_owned(), source })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| DbError::Open { path: path.clone(), source })?;
        Self::setup(conn, path)
    }

    /// A private database that vanishes with the handle (tests).
    pub fn open_in_memory() -> Result<Db, DbError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| DbError::Open { path: path.clone(), source })?;
        Self::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Db, DbError> {
        let open_err = |source| DbError::Open { path: path.clone(), source };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // WAL: readers do not wait for the writer, and a crash loses at most the last commit.
        // An in-memory database answers "memory", which is fine.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(open_err)?;
        migrate(&mut conn, &path)?;
        Ok(Db { conn: Arc::new(Mutex::new(conn)) })
    }

    /// The connection, for one short piece of blocking work.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-statement leaves SQLite consistent (the transaction rolls back).
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `SELECT 1`: whether the database answers at all.
    pub fn ping(&self) -> Result<(), rusqlite::Error> {
        self.lock().query_row("SELECT 1", [], |row| row.get::<_, i64>(0)).map(|_| ())
    }

    /// How many migration steps the database has had.
    pub fn schema_version(&self) -> Result<i64, rusqlite::Error> {
        self.lock().pragma_query_value(None, "user_version", |row| row.get(0))
    }
}

/// How long `/readyz` waits for the database.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// `GET /readyz`: `200 ready` when the database answers `SELECT 1`, else `503` saying why.
pub async fn readyz(axum::extract::State(db): axum::extract::State<Db>) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let check = tokio::task::spawn_blocking(move || db.ping());
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, "ready".to_owned()),
        Ok(Ok(Err(e))) => {
            tracing::warn!("readiness check: the database failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: the database does not answer: {e}"))
        }
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: the database check was cut short: {e}")),
        Err(_) => {
            tracing::warn!("readiness check: the database did not answer within {READY_WITHIN:?}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: the database did not answer within {READY_WITHIN:?}"))
        }
    }
}

/// Applies every step the database has not had yet, each with its version bump in one transaction.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), DbError> {
    apply_migrations(conn, path, MIGRATIONS)
}

fn apply_migrations(conn: &mut Connection, path: &Path, steps: &[&str]) -> Result<(), DbError> {
    let migrate_err = |version: usize| {
        let path = path.to_owned();
        move |source| DbError::Migrate { path, version, source }
    };
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(migrate_err(0))?;
    if found > steps.len() as i64 {
        return Err(DbError::TooNew { path: path.to_owned(), found, known: steps.len() });
    }
    for (index, step) in steps.iter().enumerate().skip(found.max(0) as usize) {
        let version = index + 1;
        let tx = conn.transaction().map_err(migrate_err(version))?;
        tx.execute_batch(step).map_err(migrate_err(version))?;
        tx.pragma_update(None, "user_version", version as i64).map_err(migrate_err(version))?;
        tx.commit().map_err(migrate_err(version))?;
        tracing::info!(version, "database schema updated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        std::env::temp_dir().join(format!("onair-db-{tag}-{}-{nanos}", std::process::id()))
    }

    #[test]
    fn a_new_folder_gets_a_database_in_wal_mode_with_the_latest_schema() {
        let dir = temp_dir("new").join("nested");
        let db = Db::open(&dir).unwrap();
        assert!(dir.join(DB_FILE).exists());
        db.ping().unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = db.lock().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(db);
        // Opening again applies nothing twice.
        let db = Db::open(&dir).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn only_missing_steps_run_and_a_later_step_is_just_appended() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        apply_migrations(&mut conn, path, &["CREATE TABLE a (x INTEGER)"]).unwrap();
        conn.execute("INSERT INTO a VALUES (1)", []).unwrap();
        apply_migrations(&mut conn, path, &["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y TEXT)"]).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 2);
        let kept: i64 = conn.query_row("SELECT COUNT(*) FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, 1, "step 1 did not run again");
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version_and_says_which() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        let e = apply_migrations(&mut conn, path, &["CREATE TABLE a (x)", "CREATE TABLE oops ("]).unwrap_err();
        assert!(matches!(e, DbError::Migrate { version: 2, .. }), "{e}");
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
    }

    #[test]
    fn a_database_from_a_newer_onair_is_refused_in_words() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let e = apply_migrations(&mut conn, Path::new("x.db"), MIGRATIONS).unwrap_err();
        assert!(e.to_string().contains("newer than this OnAir knows"), "{e}");
    }
}
