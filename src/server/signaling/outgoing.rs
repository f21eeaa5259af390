//! What the signaling service queues for one connection's task: messages and a close.

use crate::protocol::ServerMessage;
use bytes::Bytes;

/// One item of a connection's queue.
pub enum Outgoing {
    Data(Payload),
    Close { code: u16, reason: &'static str },
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
}
