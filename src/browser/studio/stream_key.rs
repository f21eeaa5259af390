//! The stream key panel's data: `/api/stream-key`'s answer read field by field, and what a copy says.

use crate::json_fields::{FieldError, Fields};
use crate::web::view_state::CopyTarget;

/// Where an external encoder publishes, and with which key (`GET /api/stream-key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamKey {
    pub whip_url: String,
    pub stream_key: String,
}

/// Why the panel cannot show the key, in words for the studio.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamKeyError {
    #[error("Sign in again to see your stream key.")]
    NotSignedIn,
    #[error("The server did not give a stream key ({0}).")]
    Refused(String),
    #[error("The server's answer had no stream key: {0}")]
    Unreadable(String),
    #[error("The server could not be reached: {0}")]
    Unreachable(String),
}

impl StreamKey {
    /// Reads `{"whipUrl": …, "streamKey": …}`.
    pub fn from_json(text: &str) -> Result<StreamKey, StreamKeyError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StreamKeyError::Unreadable(e.to_string()))?;
        let fields = Fields::of(&value).ok_or_else(|| StreamKeyError::Unreadable("not a JSON object".into()))?;
        let read = || -> Result<StreamKey, FieldError> {
            Ok(StreamKey {
                whip_url: fields.need("whipUrl", Fields::string)?,
                stream_key: fields.need("streamKey", Fields::string)?,
            })
        };
        read().map_err(|e| StreamKeyError::Unreadable(e.to_string()))
    }

    /// The answer to a stream key request with HTTP `status` and body `text`.
    pub fn from_response(status: u16, text: &str) -> Result<StreamKey, StreamKeyError> {
        match status {
            200 => StreamKey::from_json(text),
            401 | 403 => Err(StreamKeyError::NotSignedIn),
            // A sentence from OnAir says why; anything else (an empty body, a proxy's HTML
            // page) is no sentence to show.
            _ if is_sentence(text) => Err(StreamKeyError::Refused(text.trim().to_owned())),
            _ => Err(StreamKeyError::Refused(format!("HTTP {status}"))),
        }
    }
}

/// Up to a short paragraph of plain words.
fn is_sentence(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.len() <= 300 && !text.starts_with('<')
}

/// The line that confirms what a Copy button put on the clipboard.
pub fn copied_note(what: CopyTarget) -> &'static str {
    match what {
        CopyTarget::WhipUrl => "Copied the WHIP URL",
        CopyTarget::StreamKey => "Copied the stream key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_gives_the_url_and_the_key() {
        assert_eq!(
            StreamKey::from_response(200, r#"{"whipUrl":"http://h:9090/whip","streamKey":"abc123"}"#),
            Ok(StreamKey { whip_url: "http://h:9090/whip".into(), stream_key: "abc123".into() })
        );
    }

    #[test]
    fn refusals_and_bad_answers_are_words() {
        assert_eq!(StreamKey::from_response(401, ""), Err(StreamKeyError::NotSignedIn));
        assert_eq!(StreamKey::from_response(403, "Forbidden origin"), Err(StreamKeyError::NotSignedIn));
        assert_eq!(
            StreamKey::from_response(500, "  the database is locked \n"),
            Err(StreamKeyError::Refused("the database is locked".into()))
        );
        assert_eq!(StreamKey::from_response(502, ""), Err(StreamKeyError::Refused("HTTP 502".into())));
        assert_eq!(
            StreamKey::from_response(404, "<!DOCTYPE html><html>…</html>"),
            Err(StreamKeyError::Refused("HTTP 404".into()))
        );
        assert!(
            matches!(StreamKey::from_response(200, r#"{"whipUrl":"u"}"#), Err(StreamKeyError::Unreadable(m)) if m.contains("streamKey"))
        );
        assert!(matches!(StreamKey::from_response(200, "<html>"), Err(StreamKeyError::Unreadable(_))));
        assert!(StreamKeyError::NotSignedIn.to_string().contains("Sign in"));
    }

    #[test]
    fn each_copy_says_what_it_copied() {
        assert_eq!(copied_note(CopyTarget::WhipUrl), "Copied the WHIP URL");
        assert_eq!(copied_note(CopyTarget::StreamKey), "Copied the stream key");
    }
}
