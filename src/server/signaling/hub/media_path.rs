//! Which path a live's media takes: peer to peer, or the relay from the start (`--relay on`)
//! or from the viewer that fills the mesh (`--relay auto`), never back during that live.

use crate::protocol::{RelayReport, ServerMessage, ViewerId};
use crate::server::signaling::hub::interface::{Action, ConnId, MediaPlan, Outbox};
use crate::server::signaling::hub::state::Hub;

impl Hub {
    pub fn with_media_plan(mut self, plan: MediaPlan) -> Self {
        self.media_plan = plan;
        self
    }

    /// Whether the current live goes through the relay.
    pub fn relay_active(&self) -> bool {
        self.relay_reason.is_some()
    }

    /// The viewer a resume token names, if that viewer is connected now: how a WHEP request
    /// proves which `/ws` viewer it plays for.
    pub fn connected_viewer(&self, token: &str) -> Option<ViewerId> {
        let id = self.resume_key.verify(token)?.viewer_id;
        self.viewers.contains_key(&id).then_some(id)
    }

    /// The relay's figures of viewers' sessions, for the streamer's rows (known viewers only).
    pub fn relay_reports(&self, reports: Vec<(ViewerId, RelayReport)>) -> Outbox {
        reports
            .into_iter()
            .filter(|(id, _)| self.viewers.contains_key(id))
            .flat_map(|(viewer_id, report)| self.to_dashboards(ServerMessage::RelayStats { viewer_id, report }))
            .collect()
    }

    /// The relay dropped these viewers' sessions (it was overloaded). Each is told again to
    /// play from the relay: its page finds its session gone and asks for a new one, which
    /// an overloaded relay refuses with a time to try again (so the page says so, and waits).
    pub fn relay_shed(&self, viewers: &[ViewerId]) -> Outbox {
        let Some(msg) = self.use_relay() else { return Vec::new() };
        viewers
            .iter()
            .filter_map(|id| self.viewers.get(id))
            .map(|conn| Action::Send { to: *conn, msg: msg.clone() })
            .collect()
    }

    pub(super) fn use_relay(&self) -> Option<ServerMessage> {
        self.relay_reason.as_ref().map(|reason| ServerMessage::UseRelay { reason: reason.clone() })
    }

    /// A streamer registered: with the relay always on this live takes it; a live already on
    /// the relay (the streamer's socket came back) stays on it.
    pub(super) fn relay_for_streamer(&mut self, streamer: ConnId) -> Outbox {
        if self.media_plan == MediaPlan::RelayAlways && self.relay_reason.is_none() {
            self.relay_reason = Some("relay mode is on (--relay on)".to_owned());
        }
        self.use_relay().map(|msg| Action::Send { to: streamer, msg }).into_iter().collect()
    }

    /// After `live` went to every viewer: those of a relayed live play from the relay.
    pub(super) fn relay_to_all_viewers(&self) -> Outbox {
        match self.use_relay() {
            Some(msg) => self.to_all_viewers(msg),
            None => Vec::new(),
        }
    }

    /// A viewer joined a live (and is counted). In `auto`, the viewer that takes the mesh past
    /// its limit, or arrives when the studio's uplink is full, moves the whole live to the
    /// relay; otherwise a relayed live just tells the newcomer.
    pub(super) fn relay_for_joiner(&mut self, joiner: ConnId, streamer: ConnId) -> Outbox {
        if self.relay_reason.is_none() {
            let MediaPlan::Auto { mesh_max_viewers } = self.media_plan else { return Vec::new() };
            let viewers = self.viewers.len();
            let reason = if viewers > mesh_max_viewers {
                format!(
                    "{viewers} viewers: more than peer to peer serves here ({mesh_max_viewers}, --mesh-max-viewers)"
                )
            } else if self.capacity_remaining == Some(0) {
                format!("{viewers} viewers: the studio's uplink cannot serve another one peer to peer")
            } else {
                return Vec::new();
            };
            tracing::info!("the live moves to the relay: {reason}");
            self.relay_reason = Some(reason);
            let mut out: Outbox = self.use_relay().map(|msg| Action::Send { to: streamer, msg }).into_iter().collect();
            out.extend(self.relay_to_all_viewers());
            return out;
        }
        self.use_relay().map(|msg| Action::Send { to: joiner, msg }).into_iter().collect()
    }
}
