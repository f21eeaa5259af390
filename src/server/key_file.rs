//! A 256-bit secret in a file of the data folder: made on first use, owner-only, the same after a restart.

use crate::server::secrets;
use std::path::Path;

pub const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or create the key {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the key {0} is damaged; delete it and OnAir makes a new one at the next start")]
    Damaged(String),
}

/// The key in `path` (hex), or a new random one written there (mode 0600) when there is none.
pub fn load_or_create(path: &Path) -> Result<[u8; KEY_BYTES], KeyFileError> {
    let shown = path.display().to_string();
    let io = |source| KeyFileError::Io { path: shown.clone(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = secrets::decode(text.trim()).ok_or_else(|| KeyFileError::Damaged(shown.clone()))?;
            bytes.try_into().map_err(|_| KeyFileError::Damaged(shown.clone()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; KEY_BYTES] = rand::random();
            write_private(path, &secrets::encode(&key)).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
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

    #[test]
    fn the_key_is_made_once_kept_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("onair-key-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(load_or_create(&path), Err(KeyFileError::Damaged(_))));
        std::fs::write(&path, "abcd").unwrap();
        assert!(matches!(load_or_create(&path), Err(KeyFileError::Damaged(_))), "too short");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
