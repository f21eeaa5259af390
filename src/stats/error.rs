//! Why a stats report could not be read.

use super::entries::EntryError;

/// Why a stats report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    #[error("the stats report is not valid JSON: {0}")]
    Json(String),
    #[error("a stats report must be a JSON array of entries (or an object of entries by id), not {0}")]
    NotAReport(&'static str),
    #[error("stats entry {index} (id {id:?}, type {kind:?}) does not have the expected shape: {problem}")]
    BadEntry { index: usize, id: String, kind: String, problem: EntryError },
    #[error("the stats report has no timestamp: it is empty or none of its entries has one")]
    NoTimestamp,
}
