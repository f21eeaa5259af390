//! The relay thread's once-a-second work: the load governor's verdict (refuse newcomers,
//! shed the newest players) and each viewer's report for the studio.

use super::Engine;
use crate::protocol::{RelayReport, ViewerId};
use std::time::Duration;

impl Engine {
    /// Once a second: refuse newcomers and shed the newest players while overloaded.
    pub(super) fn govern_load(&mut self, elapsed: Duration) {
        let players = self.core.viewer_count();
        let verdict = self.load.second(elapsed, players);
        self.metrics.busy.set(self.load.share());
        self.metrics.lag.set(self.load.lag().as_secs_f64());
        if verdict.refuse_new != self.refusing_players {
            if verdict.refuse_new {
                tracing::warn!(players, "the relay is overloaded: new players are refused");
            } else {
                tracing::info!(players, "the relay has headroom again: new players are admitted");
            }
        }
        self.refusing_players = verdict.refuse_new;
        if verdict.shed > 0 {
            tracing::warn!(shed = verdict.shed, players, "the relay is overloaded: dropping its newest players");
            let mut told = Vec::new();
            for id in self.core.newest_players(verdict.shed) {
                self.metrics.shed.inc();
                told.extend(self.core.viewer_of(id).cloned());
                self.drop_session(id, "the relay is overloaded");
            }
            if !told.is_empty() {
                (self.sinks.shed)(told);
            }
        }
    }

    pub(super) fn send_reports(&self) {
        let reports: Vec<(ViewerId, RelayReport)> = self
            .core
            .viewers()
            .filter_map(|(session, viewer)| Some((viewer?.clone(), self.egress.report(session)?.clone())))
            .collect();
        if !reports.is_empty() {
            (self.sinks.reports)(reports);
        }
    }
}
