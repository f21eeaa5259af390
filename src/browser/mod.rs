//! The browser's side (hydrate only): typed web-sys wrappers, and the studio and player
//! sessions that connect them to the view state the pages show.

pub mod lifecycle;
pub mod player;
pub mod rtc;
pub mod studio;
