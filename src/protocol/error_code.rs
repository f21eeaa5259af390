//! Why the server refused something: the `code` of an `error` message.

use serde::{Deserialize, Serialize};

/// Why the server refused something. Serialized in snake_case (`unknown_type`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON, not an object, or had no string `type`.
    Malformed,
    /// The `type` is not part of the protocol.
    UnknownType,
    /// A known `type` with a missing or wrongly typed field.
    InvalidMessage,
    /// Binary frames are not part of the protocol.
    Unsupported,
    /// The frame was larger than the server accepts; the connection is closed.
    TooLarge,
    /// The streamer role needs a signed-in admin.
    Unauthorized,
    /// The message needs a role this connection has not taken.
    NotRegistered,
    /// The connection already has a role, or its role may not send this.
    WrongRole,
    /// The addressed viewer is not connected.
    UnknownViewer,
    /// There is no streamer to receive this.
    NoStreamer,
    /// Another admin connection took over the stream; this one is closed.
    Replaced,
    /// The stream admits no more viewers right now (`--max-viewers`); try again later.
    Full,
    /// Too many messages (of this kind, or on this connection); the message was dropped.
    /// A connection that keeps it up is closed.
    RateLimited,
    /// The server is stopping; the connection closes next.
    Shutdown,
    /// The stream needs a watch code (`--watch-code`) this connection did not bring.
    CodeRequired,
    /// The message does not fit the negotiation in progress: an answer to no offer (or a
    /// second answer to one), or more ICE candidates than one negotiation needs. Dropped.
    OutOfTurn,
    /// An external encoder (OBS, ffmpeg over WHIP) is live: the browser studio cannot go
    /// live until that live ends.
    ExternalLive,
    /// `endLive` with no external encoder live.
    NotLive,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotRegistered => "not_registered",
            ErrorCode::WrongRole => "wrong_role",
            ErrorCode::UnknownViewer => "unknown_viewer",
            ErrorCode::NoStreamer => "no_streamer",
            ErrorCode::Replaced => "replaced",
            ErrorCode::Full => "full",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Shutdown => "shutdown",
            ErrorCode::CodeRequired => "code_required",
            ErrorCode::OutOfTurn => "out_of_turn",
            ErrorCode::ExternalLive => "external_live",
            ErrorCode::NotLive => "not_live",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ServerMessage;

    #[test]
    fn shutdown_is_an_error_code() {
        let v: serde_json::Value =
            serde_json::from_str(&ServerMessage::error(ErrorCode::Shutdown, "bye").to_json()).unwrap();
        assert_eq!(v["code"], "shutdown");
        assert_eq!(ErrorCode::Shutdown.as_str(), "shutdown");
    }
}
