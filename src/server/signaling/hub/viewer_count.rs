//! The viewer count broadcast: coalesced per flush, spaced further apart as the audience grows.

use crate::protocol::ServerMessage;
use crate::server::signaling::hub::interface::{Action, ConnId, Outbox};
use crate::server::signaling::hub::state::{Hub, Role};
use std::time::Duration;

/// How long after one viewer count broadcast the next may go out, for this many viewers:
/// each broadcast is one message to every viewer, and with a large audience that burst of
/// writes every second delays the offer→answer exchanges of viewers joining meanwhile.
/// Every second up to 2,000 viewers, then a second more per thousand, at most every 10 s.
pub fn viewer_count_interval(viewers: usize) -> Duration {
    Duration::from_secs((viewers / 1000).clamp(1, 10) as u64)
}

impl Hub {
    /// Broadcasts the viewer count if it changed since the last flush and the last broadcast
    /// is [`viewer_count_interval`] old. The socket layer calls this on a timer, which coalesces
    /// join and leave storms into one message per tick.
    pub fn flush_viewer_count(&mut self) -> Outbox {
        let count = self.viewers.len();
        if count == self.count_sent {
            return Vec::new();
        }
        if self.count_sent_at.is_some_and(|at| self.now < at + viewer_count_interval(count)) {
            return Vec::new();
        }
        self.count_sent = count;
        self.count_sent_at = Some(self.now);
        let to: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.role, Role::Viewer { .. } | Role::Streamer | Role::Studio))
            .map(|(id, _)| *id)
            .collect();
        if to.is_empty() {
            return Vec::new();
        }
        vec![Action::Broadcast { to, msg: ServerMessage::ViewerCount { count } }]
    }
}
