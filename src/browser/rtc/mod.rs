//! Browser-only wrappers over web-sys: small typed pieces the sessions are built from.

pub mod fetch;
pub mod handover;
pub mod media;
pub mod peer;
pub mod signaling;
pub mod whip;
