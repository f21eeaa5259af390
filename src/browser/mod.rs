//! The browser's side: typed web-sys wrappers, and the studio and player sessions that
//! connect them to the view state the pages show, and the watch page's starter (its own
//! wasm, `starter`). Only the pure rules build without those features (their unit tests run
//! natively); everything touching web-sys needs `hydrate` or `starter`.

#[cfg(feature = "hydrate")]
pub mod answer_first;
#[cfg(feature = "hydrate")]
pub mod early_playback;
pub mod first_connection;
#[cfg(feature = "hydrate")]
pub mod lifecycle;
#[cfg(feature = "hydrate")]
pub mod pages;
#[cfg(feature = "hydrate")]
pub mod player;
#[cfg(any(feature = "hydrate", feature = "starter"))]
pub mod rtc;
#[cfg(feature = "hydrate")]
pub mod sessions;
#[cfg(feature = "starter")]
pub mod starter;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod studio;
