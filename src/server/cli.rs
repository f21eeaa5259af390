//! `onair admin add|passwd|stream-key <name>`: account management from the shell.
//!
//! The password comes from the terminal (asked twice, not echoed) or, when stdin is not a
//! terminal, as one line from it (`printf '%s\n' "$PW" | onair admin add bob`). Never argv.

use crate::server::auth::accounts::{AccountError, Accounts};
use crate::server::auth::stream_keys::StreamKeys;
use crate::server::config::AdminCommand;
use crate::server::store::db::{Db, DbError};
use std::io::{BufRead, IsTerminal};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum AdminCliError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("cannot read the password: {0}")]
    Read(std::io::Error),
    #[error("no password given on stdin")]
    NoPassword,
    #[error("the two passwords differ; nothing was changed")]
    Mismatch,
    #[error(transparent)]
    KeyFile(#[from] crate::server::key_file::KeyFileError),
    #[error("the database refused: {0}")]
    Db(#[from] rusqlite::Error),
}

/// Runs one admin command against `onair.db` in `data_dir`; returns what to tell the user.
pub fn run(action: &AdminCommand, data_dir: &Path) -> Result<String, AdminCliError> {
    let db = Db::open(data_dir)?;
    let accounts = Accounts::new(db.clone());
    match action {
        AdminCommand::Add { name } => {
            crate::server::auth::accounts::check_name(name)?;
            let password = read_password(&format!("Password for the new account {name}: "))?;
            accounts.add(name, &password)?;
            Ok(format!("Added the admin account {name:?}."))
        }
        AdminCommand::Passwd { name } => {
            let password = read_password(&format!("New password for {name}: "))?;
            accounts.set_password(name, &password)?;
            Ok(format!("Changed the password of {name:?}; its sessions were signed out."))
        }
        AdminCommand::StreamKey { name, rotate } => {
            let admin = accounts.id_of(name)?;
            let keys = StreamKeys::load_or_create(db, data_dir)?;
            if *rotate {
                // A running server checks keys in the database: the old one is refused from
                // now on. A live it carries goes on until the encoder stops (the studio's
                // Rotate, in the server itself, ends it at once).
                let key = keys.rotate(admin)?;
                Ok(format!("New stream key of {name:?} (the old one no longer works):\n{key}"))
            } else {
                Ok(keys.key_of(admin)?)
            }
        }
    }
}

fn read_password(prompt: &str) -> Result<String, AdminCliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password(prompt).map_err(AdminCliError::Read)?;
        let again = rpassword::prompt_password("Again: ").map_err(AdminCliError::Read)?;
        if first != again {
            return Err(AdminCliError::Mismatch);
        }
        Ok(first)
    } else {
        read_line(stdin.lock())
    }
}

/// The first line, without its line ending.
fn read_line(mut input: impl BufRead) -> Result<String, AdminCliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(AdminCliError::Read)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(AdminCliError::NoPassword);
    }
    Ok(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_is_read_without_its_ending() {
        assert_eq!(read_line(&b"pass word\nsecond line\n"[..]).unwrap(), "pass word");
        assert_eq!(read_line(&b"crlf\r\n"[..]).unwrap(), "crlf");
        assert_eq!(read_line(&b"no newline"[..]).unwrap(), "no newline");
        assert!(matches!(read_line(&b""[..]), Err(AdminCliError::NoPassword)));
        assert!(matches!(read_line(&b"\n"[..]), Err(AdminCliError::NoPassword)));
    }
}
