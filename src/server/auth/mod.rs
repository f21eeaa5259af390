//! Who may do what: admin accounts and their passwords, sessions behind the cookie, sign-in
//! throttling, and the watch code viewers may need.

pub mod accounts;
pub mod cookie_key;
pub mod cookies;
pub mod devices;
pub mod passwords;
pub mod sessions;
pub mod sign_in;
pub mod stream_key_gate;
pub mod stream_keys;
pub mod throttle;
pub mod watch_access;
