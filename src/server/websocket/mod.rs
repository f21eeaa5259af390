//! WebSocket (RFC 6455), sized for signaling and with no OnAir type: the upgrade, framing
//! (pure) and a connection's reads and writes.

pub mod frame;
pub mod handshake;
pub mod socket;
pub mod writer;
