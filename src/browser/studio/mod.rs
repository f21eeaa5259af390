//! The studio's broadcast: one peer connection per viewer, media controls, and the
//! once-a-second stats round of the dashboard.

pub mod broadcast;
mod dashboard;
