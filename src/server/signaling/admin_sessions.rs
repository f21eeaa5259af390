//! The admin sessions behind open sockets, checked again: a socket whose session was revoked
//! (`/logout`, `onair admin passwd` from another process) loses the admin right and closes.
//!
//! The admin flag is read from the cookie once, at the upgrade; without these checks a socket
//! outlives its session and can still take (or keep) the streamer role.

use crate::server::auth::sign_in::Auth;
use crate::server::signaling::service::Signaling;
use std::time::Duration;

/// How often every admin socket's session is looked up again. Admin sockets are few (one
/// studio, a few tabs), so this is a handful of indexed lookups.
pub const RECHECK_EVERY: Duration = Duration::from_secs(2);

/// Looks up the session of every admin socket and closes those whose session ended. A database
/// that cannot answer closes nothing: a disk hiccup must not end a live.
pub async fn recheck_all(signaling: &Signaling, auth: &Auth) {
    for (conn, token) in signaling.admin_sockets() {
        if auth.session_is_live(&token).await == Some(false) {
            signaling.admin_session_ended(conn);
        }
    }
}

/// Whether a socket opened with `token` may take the streamer role now. Unlike
/// [`recheck_all`], a database that cannot answer says no: the role is not granted unchecked.
pub async fn may_stream(auth: &Auth, token: &str) -> bool {
    auth.session_is_live(token).await == Some(true)
}
