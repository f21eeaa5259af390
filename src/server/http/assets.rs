//! `/pkg`: the built front end (wasm, JS, CSS). A file's `.br` or `.gz` twin, written by
//! `make release` (scripts/precompress.mjs), is sent instead when the browser accepts it,
//! so nothing is compressed per request. With content-hashed names (cargo-leptos
//! `hash-files`, which writes `hash.txt` beside the binary) a file never changes under its
//! name: browsers keep it for a year and a returning viewer loads no wasm at all. Without
//! hashes (a build that did not write `hash.txt`) browsers revalidate every time.

use crate::web::watch_loader::FrontEndFiles;
use axum::http::{header, HeaderValue};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

/// The file cargo-leptos writes beside the server binary when it hashes file names.
pub const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// `hash.txt` beside the running binary, when the build wrote one. Leptos reads the hashed
/// names from there (and only from there).
pub fn hash_file() -> Option<PathBuf> {
    let path = std::env::current_exe().ok()?.parent()?.join(HASH_FILE);
    path.is_file().then_some(path)
}

/// The names of the front end's JS and wasm, from `hash.txt` when there is one: read once
/// at start, for the watch page's loader (`web::watch_loader`).
pub fn front_end_files(output_name: &str) -> FrontEndFiles {
    let hashes = hash_file().and_then(|path| std::fs::read_to_string(path).ok());
    FrontEndFiles::new(output_name, hashes.as_deref())
}

/// The service for `/pkg`, from the site's `pkg` folder.
pub fn pkg(dir: &Path, hashed_names: bool) -> SetResponseHeader<ServeDir, HeaderValue> {
    let cache = HeaderValue::from_static(if hashed_names { IMMUTABLE } else { REVALIDATE });
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    SetResponseHeader::overriding(files, header::CACHE_CONTROL, cache)
}
