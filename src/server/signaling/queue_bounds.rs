//! How much may wait for one connection, in messages and in bytes, and who is dropped when a
//! message would not fit: the recipient that does not read, except in the streamer's queue,
//! where the viewer that sent the message goes, never the streamer.
//!
//! Pure: `service.rs` reads the counters and performs the verdict.

use crate::protocol::{IceServer, ServerMessage};
use crate::server::signaling::limits::WsLimits;

/// What a queued message holds besides its strings: the value, its box, its queue slot. Every
/// message costs at least this, so a bound in bytes also bounds the number of messages.
pub const MESSAGE_OVERHEAD_BYTES: usize = 128;

/// What waits in a queue, or what may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    pub messages: usize,
    pub bytes: usize,
}

/// What a sending viewer already has waiting in the streamer's queue, and the most it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub bytes: usize,
    pub limit: usize,
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Queue,
    /// The viewer sending it floods the streamer: it is dropped, the message too.
    DropSender,
    /// The recipient is not reading: it is dropped.
    DropRecipient,
}

/// What may wait for one connection. The streamer's bound grows with its viewers: each may
/// have its share waiting there at once (its answer and candidates when the live starts).
pub fn bound(limits: &WsLimits, is_streamer: bool, viewers: usize) -> Load {
    let bytes = if is_streamer {
        limits.outbox_bytes.saturating_add(limits.streamer_bytes_per_viewer.saturating_mul(viewers))
    } else {
        limits.outbox_bytes
    };
    Load { messages: limits.outbox_limit(is_streamer, viewers), bytes }
}

/// Whether a message of `bytes` fits a queue holding `waiting` under `bound`. `sender` is
/// given for a viewer's message to the streamer: a viewer over its share, or one whose
/// message would overflow the streamer's queue, is the one dropped.
pub fn fit(waiting: Load, bound: Load, bytes: usize, sender: Option<Share>) -> Fit {
    if sender.is_some_and(|share| share.bytes.saturating_add(bytes) > share.limit) {
        return Fit::DropSender;
    }
    let overflows = waiting.messages >= bound.messages || waiting.bytes.saturating_add(bytes) > bound.bytes;
    match (overflows, sender) {
        (false, _) => Fit::Queue,
        (true, Some(_)) => Fit::DropSender,
        (true, None) => Fit::DropRecipient,
    }
}

/// What a message makes the server hold while it waits: its strings plus the overhead. An
/// estimate of memory, not of its JSON (escaping makes that a little longer).
pub fn message_bytes(msg: &ServerMessage) -> usize {
    fn ice(servers: &[IceServer]) -> usize {
        servers
            .iter()
            .map(|s| {
                s.urls.iter().map(String::len).sum::<usize>()
                    + s.username.as_ref().map_or(0, String::len)
                    + s.credential.as_ref().map_or(0, String::len)
            })
            .sum()
    }
    let strings = match msg {
        ServerMessage::Welcome { viewer_id, ice_servers, resume_token } => {
            viewer_id.0.len() + ice(ice_servers) + resume_token.len()
        }
        ServerMessage::StreamerReady { ice_servers } => ice(ice_servers),
        ServerMessage::NewViewer { viewer_id, name } => viewer_id.0.len() + name.as_ref().map_or(0, String::len),
        ServerMessage::Offer { offer: sdp, viewer_id } | ServerMessage::Answer { answer: sdp, viewer_id } => {
            sdp.sdp.len() + viewer_id.0.len()
        }
        ServerMessage::Candidate { candidate, viewer_id, .. } => {
            candidate.candidate.len()
                + candidate.sdp_mid.as_ref().map_or(0, String::len)
                + candidate.username_fragment.as_ref().map_or(0, String::len)
                + viewer_id.0.len()
        }
        ServerMessage::ViewerLeft { viewer_id }
        | ServerMessage::ViewerStats { viewer_id, .. }
        | ServerMessage::RelayStats { viewer_id, .. } => viewer_id.0.len(),
        ServerMessage::UseRelay { reason } | ServerMessage::IngestEnded { reason } => reason.len(),
        ServerMessage::Ingest { client, .. } => client.len(),
        ServerMessage::Error { message, .. } => message.len(),
        ServerMessage::Live
        | ServerMessage::Offline
        | ServerMessage::StreamerLost
        | ServerMessage::ViewerCount { .. }
        | ServerMessage::Removed
        | ServerMessage::IngestStats(_) => 0,
    };
    MESSAGE_OVERHEAD_BYTES + strings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{SdpType, SessionDescription, ViewerId};

    const ROOMY: Load = Load { messages: 1000, bytes: 10_000 };

    #[test]
    fn a_queue_is_full_in_bytes_before_it_is_full_in_messages() {
        let waiting = Load { messages: 1, bytes: 9_000 };
        assert_eq!(fit(waiting, ROOMY, 1_000, None), Fit::Queue);
        assert_eq!(fit(waiting, ROOMY, 1_001, None), Fit::DropRecipient);
        let many = Load { messages: 1000, bytes: 0 };
        assert_eq!(fit(many, ROOMY, 1, None), Fit::DropRecipient, "the message count still bounds it");
    }

    #[test]
    fn a_viewer_flooding_the_streamer_is_dropped_not_the_streamer() {
        let share = Share { bytes: 60_000, limit: 64 * 1024 };
        // Over its share, even with room in the queue.
        assert_eq!(fit(Load { messages: 0, bytes: 0 }, ROOMY, 10_000, Some(share)), Fit::DropSender);
        // Within its share, but the streamer's queue is full: still the sender.
        let full = Load { messages: 10, bytes: 9_999 };
        let fresh = Share { bytes: 0, limit: 64 * 1024 };
        assert_eq!(fit(full, ROOMY, 500, Some(fresh)), Fit::DropSender);
        assert_eq!(fit(Load { messages: 10, bytes: 100 }, ROOMY, 500, Some(fresh)), Fit::Queue);
    }

    #[test]
    fn the_streamer_may_hold_a_share_for_every_viewer() {
        let limits = WsLimits { outbox_bytes: 1000, streamer_bytes_per_viewer: 100, ..WsLimits::default() };
        assert_eq!(bound(&limits, false, 50).bytes, 1000);
        assert_eq!(bound(&limits, true, 0).bytes, 1000);
        assert_eq!(bound(&limits, true, 50).bytes, 1000 + 50 * 100);
        assert_eq!(bound(&limits, true, 50).messages, limits.outbox_limit(true, 50));
    }

    #[test]
    fn a_message_weighs_its_strings_and_never_less_than_the_overhead() {
        let sdp = SessionDescription { kind: SdpType::Answer, sdp: "a".repeat(32 * 1024) };
        let answer = ServerMessage::Answer { answer: sdp, viewer_id: ViewerId("v".repeat(32)) };
        assert_eq!(message_bytes(&answer), MESSAGE_OVERHEAD_BYTES + 32 * 1024 + 32);
        assert_eq!(message_bytes(&ServerMessage::Live), MESSAGE_OVERHEAD_BYTES);
        // An honest answer and a dozen candidates fit a viewer's share many times over.
        let limits = WsLimits::default();
        assert!(limits.streamer_bytes_per_viewer >= message_bytes(&answer) + 64 * (MESSAGE_OVERHEAD_BYTES + 1024));
    }
}
