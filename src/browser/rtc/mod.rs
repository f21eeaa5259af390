//! Browser-only wrappers over web-sys: small typed pieces the sessions are built from.

#[cfg(feature = "hydrate")]
pub mod fetch;
pub mod handover;
pub mod media;
pub mod peer;
#[cfg(feature = "hydrate")]
pub mod signaling;
#[cfg(feature = "hydrate")]
pub mod whip;
