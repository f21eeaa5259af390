//! The studio's broadcast: one peer connection per viewer or one upload to the relay, media controls, and the
//! once-a-second stats round of the dashboard; watching an external encoder's live; the stream
//! key panel. The rules deciding what to do build anywhere.

#[cfg(feature = "hydrate")]
pub mod broadcast;
#[cfg(feature = "hydrate")]
mod dashboard;
#[cfg(feature = "hydrate")]
pub mod key_panel;
#[cfg(feature = "hydrate")]
pub mod monitor;
pub mod monitor_rules;
pub mod no_relay_route;
pub mod rules;
#[cfg(feature = "hydrate")]
mod spare;
pub mod stream_key;
#[cfg(feature = "hydrate")]
mod upload;
