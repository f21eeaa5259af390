//! TURN REST credentials, as coturn's `use-auth-secret` expects them: the username is
//! `"<expiry unix seconds>:<name>"` and the password `base64(HMAC-SHA1(secret, username))`.
//! Pure functions: the caller passes the time in.

use crate::protocol::IceServer;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::fmt;
use std::time::Duration;

/// The shared secret (`--turn-secret`) and how long credentials last (`--turn-ttl`).
#[derive(Clone, PartialEq, Eq)]
pub struct TurnSecret {
    pub secret: String,
    pub ttl: Duration,
}

/// Never prints the secret (configs get logged with `{:?}`).
impl fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnSecret").field("secret", &"<hidden>").field("ttl", &self.ttl).finish()
    }
}

pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// `(username, credential)` for `name`, valid until `expiry` (unix seconds).
pub fn credentials(secret: &str, name: &str, expiry: u64) -> (String, String) {
    let username = format!("{expiry}:{name}");
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, credential)
}

fn is_turn(url: &str) -> bool {
    let url = url.to_ascii_lowercase();
    url.starts_with("turn:") || url.starts_with("turns:")
}

/// Fills in credentials for every TURN server in `servers` (STUN servers need none), for
/// `name`, at `now_unix` seconds.
pub fn fill(servers: &mut [IceServer], turn: &TurnSecret, name: &str, now_unix: u64) {
    let expiry = now_unix + turn.ttl.as_secs();
    let (username, credential) = credentials(&turn.secret, name, expiry);
    for server in servers.iter_mut().filter(|s| s.urls.iter().any(|u| is_turn(u))) {
        server.username = Some(username.clone());
        server.credential = Some(credential.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_vector() {
        // python3 -c "import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b'secret',
        //   b'1700000000:alice',hashlib.sha1).digest()).decode())"
        let (user, cred) = credentials("secret", "alice", 1_700_000_000);
        assert_eq!(user, "1700000000:alice");
        assert_eq!(cred, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
        assert_ne!(credentials("other", "alice", 1_700_000_000).1, cred);
    }

    #[test]
    fn only_turn_servers_get_credentials_valid_for_the_ttl() {
        let server = |u: &str| IceServer { urls: vec![u.to_owned()], username: None, credential: None };
        let mut servers = vec![server("stun:s.example"), server("turn:t.example:3478"), server("TURNS:t.example:5349")];
        let turn = TurnSecret { secret: "secret".into(), ttl: Duration::from_secs(100) };
        fill(&mut servers, &turn, "alice", 1_699_999_900);
        assert_eq!(servers[0], server("stun:s.example"));
        for s in &servers[1..] {
            assert_eq!(s.username.as_deref(), Some("1700000000:alice"));
            assert_eq!(s.credential.as_deref(), Some("d8soP47RbdIKLDUOpnJPVQyq5Ts="));
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let turn = TurnSecret { secret: "hunter2".into(), ttl: DEFAULT_TTL };
        assert!(!format!("{turn:?}").contains("hunter2"));
    }
}
