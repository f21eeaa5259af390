//! The studio's broadcast: one peer connection per viewer or one upload to the relay, media controls, and the
//! once-a-second stats round of the dashboard; the rules deciding what to do build anywhere.

#[cfg(feature = "hydrate")]
pub mod broadcast;
#[cfg(feature = "hydrate")]
mod dashboard;
pub mod no_relay_route;
pub mod rules;
#[cfg(feature = "hydrate")]
mod upload;
