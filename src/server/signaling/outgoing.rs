//! What the signaling service queues for one connection's task: messages (with the bytes they
//! hold counted until they are taken out), a close, and a nudge to finish a message that went
//! out in part straight away.

use crate::protocol::ServerMessage;
use crate::server::websocket::frame::{self, Opcode};
use bytes::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One item of a connection's queue.
pub enum Outgoing {
    Data(Payload, Held),
    Close {
        code: u16,
        reason: &'static str,
    },
    /// A message was written in part straight to the socket: the task writes the rest (which
    /// the connection's write side holds) before anything else.
    Flush,
}

/// A message waiting for one connection.
pub enum Payload {
    /// Encoded by the receiving connection's task: the 4 KiB SDP of an offer is escaped off
    /// the hub's lock and off the sender's task (the streamer sends an offer to every viewer,
    /// so its task would otherwise encode them all in turn). Boxed: queue slots stay small.
    Message(Box<ServerMessage>),
    /// A broadcast, encoded once for all its recipients.
    Shared(Bytes),
}

impl Payload {
    pub fn encode(self) -> Bytes {
        match self {
            Payload::Message(msg) => Bytes::from(msg.to_json()),
            Payload::Shared(text) => text,
        }
    }

    /// The message as one text frame, for writing straight to the socket.
    pub fn frame(&self) -> Vec<u8> {
        let json;
        let text: &[u8] = match self {
            Payload::Message(msg) => {
                json = msg.to_json();
                json.as_bytes()
            }
            Payload::Shared(text) => text,
        };
        let mut out = Vec::with_capacity(text.len() + 4);
        frame::encode(&mut out, Opcode::Text, text);
        out
    }
}

/// The bytes a queued message holds, added to counters while it waits (its recipient's queue,
/// and for the streamer's queue the share of the viewer that sent it) and taken off when it
/// is dropped: taken out and encoded, or thrown away with a closed queue.
#[derive(Debug, Default)]
pub struct Held {
    bytes: usize,
    counters: [Option<Arc<AtomicUsize>>; 2],
}

impl Held {
    pub fn new(bytes: usize, counters: [Option<Arc<AtomicUsize>>; 2]) -> Self {
        for counter in counters.iter().flatten() {
            counter.fetch_add(bytes, Ordering::Relaxed);
        }
        Held { bytes, counters }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        for counter in self.counters.iter().flatten() {
            counter.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_bytes_count_until_the_message_is_dropped() {
        let queue = Arc::new(AtomicUsize::new(0));
        let share = Arc::new(AtomicUsize::new(0));
        let a = Held::new(100, [Some(queue.clone()), Some(share.clone())]);
        let b = Held::new(50, [Some(queue.clone()), None]);
        assert_eq!((queue.load(Ordering::Relaxed), share.load(Ordering::Relaxed)), (150, 100));
        drop(a);
        assert_eq!((queue.load(Ordering::Relaxed), share.load(Ordering::Relaxed)), (50, 0));
        drop(b);
        assert_eq!(queue.load(Ordering::Relaxed), 0);
    }
}
