//! How long the strings a client sends may be, and the check that refuses longer ones in words.

use crate::protocol::client_message::ClientMessage;
use crate::protocol::ids::ViewerId;

/// Longest SDP accepted (offers with many codecs and simulcast are a few KiB).
pub const MAX_SDP_BYTES: usize = 32 * 1024;
/// Longest ICE candidate line accepted (real ones are under 200 bytes).
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// Longest display name accepted (it is shown cut to 40 characters).
pub const MAX_NAME_BYTES: usize = 256;
/// Longest viewer id, `sdpMid` or `usernameFragment` accepted (server ids are 32 characters).
pub const MAX_ID_BYTES: usize = 128;
/// Longest resume token accepted: an id, a run number and a MAC.
pub const MAX_RESUME_TOKEN_BYTES: usize = 256;

/// Bounds the strings a client may make the server hold and relay, in words.
pub(super) fn check_lengths(msg: &ClientMessage) -> Result<(), String> {
    fn at_most(what: &str, text: &str, max: usize) -> Result<(), String> {
        if text.len() > max {
            Err(format!("{what} is {} bytes; at most {max} are accepted", text.len()))
        } else {
            Ok(())
        }
    }
    let id = |v: &ViewerId| at_most("viewerId", &v.0, MAX_ID_BYTES);
    match msg {
        ClientMessage::Streamer
        | ClientMessage::ViewerStats(_)
        | ClientMessage::Capacity { .. }
        | ClientMessage::Studio
        | ClientMessage::EndLive => Ok(()),
        ClientMessage::Viewer { name, resume_token } => {
            name.as_deref().map_or(Ok(()), |n| at_most("the display name (viewerId)", n, MAX_NAME_BYTES))?;
            resume_token.as_deref().map_or(Ok(()), |t| at_most("resumeToken", t, MAX_RESUME_TOKEN_BYTES))
        }
        ClientMessage::Offer { offer, viewer_id } => {
            at_most("the offer's SDP", &offer.sdp, MAX_SDP_BYTES)?;
            id(viewer_id)
        }
        ClientMessage::Answer { answer, viewer_id } => {
            at_most("the answer's SDP", &answer.sdp, MAX_SDP_BYTES)?;
            viewer_id.as_ref().map_or(Ok(()), id)
        }
        ClientMessage::Candidate { candidate, viewer_id, .. } => {
            at_most("the candidate", &candidate.candidate, MAX_CANDIDATE_BYTES)?;
            if let Some(mid) = &candidate.sdp_mid {
                at_most("sdpMid", mid, MAX_ID_BYTES)?;
            }
            if let Some(ufrag) = &candidate.username_fragment {
                at_most("usernameFragment", ufrag, MAX_ID_BYTES)?;
            }
            viewer_id.as_ref().map_or(Ok(()), id)
        }
        ClientMessage::RemoveViewer { viewer_id } => id(viewer_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::client_decode::decode_client;
    use crate::protocol::ErrorCode;
    use serde_json::json;

    #[test]
    fn overlong_strings_are_refused_with_words() {
        let cand = |c: &str| json!({"type":"candidate","candidate":{"candidate":c,"sdpMid":"0"},"target":"streamer"});
        let answer = |sdp: &str| json!({"type":"answer","answer":{"type":"answer","sdp":sdp}});
        let offer = |sdp: &str, id: &str| json!({"type":"offer","offer":{"type":"offer","sdp":sdp},"viewerId":id});
        // At the limit passes, one byte more does not.
        assert!(decode_client(&answer(&"a".repeat(MAX_SDP_BYTES)).to_string()).is_ok());
        assert!(decode_client(&cand(&"c".repeat(MAX_CANDIDATE_BYTES)).to_string()).is_ok());
        for (text, what) in [
            (answer(&"a".repeat(MAX_SDP_BYTES + 1)), "SDP"),
            (offer(&"a".repeat(MAX_SDP_BYTES + 1), "v"), "SDP"),
            (offer("v=0", &"i".repeat(MAX_ID_BYTES + 1)), "viewerId"),
            (cand(&"c".repeat(MAX_CANDIDATE_BYTES + 1)), "candidate"),
            (
                json!({"type":"candidate","candidate":{"candidate":"c","sdpMid":"m".repeat(200)},"target":"streamer"}),
                "sdpMid",
            ),
            (json!({"type":"viewer","viewerId":"n".repeat(MAX_NAME_BYTES + 1)}), "display name"),
            (json!({"type":"removeViewer","viewerId":"i".repeat(MAX_ID_BYTES + 1)}), "viewerId"),
        ] {
            let e = decode_client(&text.to_string()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidMessage, "{what}");
            let words = e.to_string();
            assert!(words.contains(what) && words.contains("at most"), "{words}");
        }
    }
}
