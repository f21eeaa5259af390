//! The hub's behaviour tests, one file per concern.

mod admission;
mod departures;
mod events;
mod external;
mod media_path;
mod resume;
mod routing;
mod support;
mod viewer_count;
