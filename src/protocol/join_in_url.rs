//! A join carried by the `/ws` URL: `?join=viewer` opens the socket already joined as a
//! first-visit viewer, so the watch page's join does not wait for the socket's `open` event.
//!
//! The browser dispatches `open` on the page's main thread, which is busy loading and
//! starting the wasm at that moment (first-frame.mjs measured `open` 60–100 ms after the
//! handshake); a join in the URL reaches the server with the handshake itself. It means
//! exactly [`ClientMessage::Viewer`] with no name and nothing to resume; anything else is
//! sent as a message, as before. Clients that do not know it are unaffected.

use crate::protocol::ClientMessage;

/// The query parameter's name.
pub const JOIN_PARAM: &str = "join";
/// Its one value: join as a viewer.
pub const JOIN_AS_VIEWER: &str = "viewer";

/// The join a `?join=viewer` stands for, as the message a client would have sent.
pub fn url_join() -> ClientMessage {
    ClientMessage::Viewer { name: None, resume_token: None }
}

/// `/ws` with a viewer's join in it.
pub fn joined_socket_path(ws_path: &str) -> String {
    format!("{ws_path}?{JOIN_PARAM}={JOIN_AS_VIEWER}")
}

/// The join a `join` parameter's value asks for, or why it cannot be one.
pub fn join_for(value: &str) -> Result<ClientMessage, UnknownJoin> {
    match value {
        JOIN_AS_VIEWER => Ok(url_join()),
        other => Err(UnknownJoin(other.chars().take(40).collect())),
    }
}

/// A `join` parameter OnAir does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{JOIN_PARAM}={0}` is not a join OnAir knows; the only one is `{JOIN_PARAM}={JOIN_AS_VIEWER}` (or send a `viewer` message once the socket opens)")]
pub struct UnknownJoin(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_is_the_first_visit_join() {
        assert_eq!(join_for("viewer"), Ok(ClientMessage::Viewer { name: None, resume_token: None }));
        assert_eq!(url_join().to_json(), r#"{"type":"viewer"}"#);
    }

    #[test]
    fn other_values_are_refused_in_words() {
        let err = join_for("streamer").unwrap_err();
        assert!(err.to_string().contains("`join=streamer` is not a join"), "{err}");
        let long = "x".repeat(500);
        assert_eq!(join_for(&long).unwrap_err().0.len(), 40);
    }

    #[test]
    fn the_path_carries_the_join() {
        assert_eq!(joined_socket_path("/ws"), "/ws?join=viewer");
    }
}
