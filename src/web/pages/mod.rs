//! One file per route.

pub mod admin;
pub mod history;
pub mod home;
pub mod login;
pub mod watch;
pub mod watch_code;
