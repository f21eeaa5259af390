//! Signaling: who is connected and who gets which message (the hub, pure), the limits and
//! resume tokens it relies on, TURN credentials, and the `/ws` service, upgrade and
//! connection task around it.

pub mod admin_sessions;
pub mod connection;
pub mod connection_rules;
pub mod hub;
pub mod limits;
pub mod outgoing;
pub mod queue_bounds;
pub mod resume;
pub mod service;
pub mod turn;
pub mod upgrade;
pub mod viewer_cookie;
