//! The browser's side: typed web-sys wrappers, and the studio and player sessions that
//! connect them to the view state the pages show. Only the pure rules build without
//! `hydrate` (their unit tests run natively); everything touching web-sys is hydrate only.

#[cfg(feature = "hydrate")]
pub mod answer_first;
#[cfg(feature = "hydrate")]
pub mod early_playback;
#[cfg(feature = "hydrate")]
pub mod lifecycle;
#[cfg(feature = "hydrate")]
pub mod pages;
#[cfg(feature = "hydrate")]
pub mod player;
#[cfg(feature = "hydrate")]
pub mod rtc;
#[cfg(feature = "hydrate")]
pub mod sessions;
pub mod studio;
