//! The room state machine: who is connected in which role, and who gets which message.
//!
//! No sockets, tasks or clocks in here: the socket layer feeds events in and delivers the
//! returned [`Outbox`]. Every routing rule is therefore a plain unit test.

mod admission;
mod encoder;
mod external;
mod interface;
mod media_path;
mod negotiation;
mod removals;
mod resumption;
mod routing;
mod state;
mod viewer_count;

#[cfg(test)]
mod tests;

pub use interface::{Action, ConnId, Departure, HubEvent, HubStatus, MediaPlan, Outbox, ViewerCap};
pub use negotiation::{CANDIDATES_PER_NEGOTIATION, OPEN_OFFERS};
pub use routing::VIEWER_STATS_EVERY;
pub use state::{Hub, RESUME_WINDOW};
pub use viewer_count::viewer_count_interval;
