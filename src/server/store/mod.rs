//! Storage: the SQLite file and its migrations, the stream history, and the thread that
//! records hub events into it.

pub mod db;
pub mod history;
pub mod recorder;
