//! Signaling: who is connected and who gets which message (the hub, pure), the limits and
//! resume tokens it relies on, TURN credentials, and the `/ws` handler around it.

pub mod handler;
pub mod hub;
pub mod limits;
pub mod resume;
pub mod turn;
