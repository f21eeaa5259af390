//! When a resume token may be used: for the live in progress when its socket dropped, within
//! the resume window after that; a token from an earlier server run within the window after
//! this run started (the restart was the drop).

use crate::protocol::ViewerId;
use crate::server::signaling::hub::state::{Departed, Hub};
use crate::server::signaling::resume::ResumeClaim;
use std::time::Duration;

impl Hub {
    /// Whether a genuine token may take its viewer id back now.
    pub(super) fn may_resume(&self, claim: &ResumeClaim) -> bool {
        let id = &claim.viewer_id;
        // A socket that has not noticed it is gone: the new one replaces it.
        if self.viewers.contains_key(id) {
            return true;
        }
        if let Some(d) = self.departed.get(id) {
            return d.live == self.live_id() && self.within_window(d.at);
        }
        claim.run != self.run && self.within_window(Duration::ZERO)
    }

    /// Notes that `viewer_id`'s socket went away now.
    pub(super) fn departed(&mut self, viewer_id: ViewerId) {
        let live = self.live_id();
        self.departed.insert(viewer_id, Departed { at: self.now, live });
    }

    /// Forgets departures older than the window (at most once a second).
    pub(super) fn forget_old_departures(&mut self) {
        if self.now.saturating_sub(self.departures_pruned_at) < Duration::from_secs(1) {
            return;
        }
        self.departures_pruned_at = self.now;
        let (now, window) = (self.now, self.resume_window);
        self.departed.retain(|_, d| now.saturating_sub(d.at) <= window);
    }

    /// Whether the live in progress (or lost within the window) goes on with a streamer
    /// registering now.
    pub(super) fn live_goes_on(&self) -> bool {
        self.live.is_some_and(|l| l.lost_at.is_none_or(|at| self.within_window(at)))
    }

    pub(super) fn live_id(&self) -> Option<u64> {
        self.live.map(|l| l.id)
    }

    fn within_window(&self, since: Duration) -> bool {
        self.now.saturating_sub(since) <= self.resume_window
    }
}
