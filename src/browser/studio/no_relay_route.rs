//! The studio's rule for viewers that cannot connect at all: a connection that fails while the
//! viewer offered no relay (TURN) candidate has no route left, so its row says so instead of
//! waiting silently; it keeps saying so across the viewer's retries until one connects.

use crate::browser::studio::rules::{StudioAction, StudioEvent};
use crate::protocol::{ServerMessage, Target, ViewerId};
use crate::web::status::PeerState;

#[derive(Default)]
pub struct NoRelayRoute {
    /// Viewers that sent a relay candidate: a failure of theirs is something else.
    offered_relay: Vec<ViewerId>,
    /// Viewers whose connection failed without one, until they connect or leave.
    unreachable: Vec<ViewerId>,
}

impl NoRelayRoute {
    /// Looks at an event and at what the other rules decided about it; returns what to add.
    pub fn after(&mut self, event: &StudioEvent, decided: &[StudioAction]) -> Vec<StudioAction> {
        let mut out = Vec::new();
        match event {
            StudioEvent::Server(ServerMessage::Candidate { candidate, target: Target::Streamer, viewer_id })
                if candidate.is_relay() && !self.offered_relay.contains(viewer_id) =>
            {
                self.offered_relay.push(viewer_id.clone());
            }
            StudioEvent::PeerStateChanged { viewer, state: PeerState::Failed }
                if !self.offered_relay.contains(viewer) && !self.unreachable.contains(viewer) =>
            {
                self.unreachable.push(viewer.clone());
                out.push(StudioAction::ShowNoRelayRoute { viewer: viewer.clone(), no_route: true });
            }
            StudioEvent::PeerStateChanged { viewer, state: PeerState::Connected }
                if self.unreachable.contains(viewer) =>
            {
                self.unreachable.retain(|v| v != viewer);
                out.push(StudioAction::ShowNoRelayRoute { viewer: viewer.clone(), no_route: false });
            }
            StudioEvent::Server(ServerMessage::ViewerLeft { viewer_id }) => self.forget(viewer_id),
            StudioEvent::Ending => {
                self.offered_relay.clear();
                self.unreachable.clear();
            }
            _ => {}
        }
        // The viewer's retry gets a new row: it still has no route until it connects.
        for action in decided {
            if let StudioAction::Connect { viewer, .. } = action {
                if self.unreachable.contains(viewer) {
                    out.push(StudioAction::ShowNoRelayRoute { viewer: viewer.clone(), no_route: true });
                }
            }
        }
        out
    }

    fn forget(&mut self, viewer: &ViewerId) {
        self.offered_relay.retain(|v| v != viewer);
        self.unreachable.retain(|v| v != viewer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::IceCandidate;

    fn id(s: &str) -> ViewerId {
        ViewerId(s.to_owned())
    }

    fn candidate(viewer: &str, line: &str) -> StudioEvent {
        StudioEvent::Server(ServerMessage::Candidate {
            candidate: IceCandidate {
                candidate: line.into(),
                sdp_mid: None,
                sdp_m_line_index: None,
                username_fragment: None,
            },
            target: Target::Streamer,
            viewer_id: id(viewer),
        })
    }

    fn state(viewer: &str, state: PeerState) -> StudioEvent {
        StudioEvent::PeerStateChanged { viewer: id(viewer), state }
    }

    fn shown(viewer: &str, no_route: bool) -> Vec<StudioAction> {
        vec![StudioAction::ShowNoRelayRoute { viewer: id(viewer), no_route }]
    }

    const HOST: &str = "candidate:1 1 udp 2122260223 10.84.1.2 40000 typ host";
    const RELAY: &str = "candidate:2 1 udp 41885439 10.77.1.1 50000 typ relay raddr 10.77.1.14 rport 40000";

    #[test]
    fn a_failure_without_a_relay_candidate_is_shown_as_no_route() {
        let mut r = NoRelayRoute::default();
        assert!(r.after(&candidate("a", HOST), &[]).is_empty());
        assert_eq!(r.after(&state("a", PeerState::Failed), &[]), shown("a", true));
        assert!(r.after(&state("a", PeerState::Failed), &[]).is_empty(), "said once");
    }

    #[test]
    fn a_viewer_that_offered_a_relay_candidate_failed_for_another_reason() {
        let mut r = NoRelayRoute::default();
        r.after(&candidate("a", HOST), &[]);
        r.after(&candidate("a", RELAY), &[]);
        assert!(r.after(&state("a", PeerState::Failed), &[]).is_empty());
    }

    #[test]
    fn the_retry_of_an_unreachable_viewer_keeps_the_warning_until_it_connects() {
        let mut r = NoRelayRoute::default();
        r.after(&state("a", PeerState::Failed), &[]);
        let connect = StudioAction::Connect { viewer: id("a"), name: None, ice_servers: Vec::new() };
        let joined = StudioEvent::Server(ServerMessage::NewViewer { viewer_id: id("a"), name: None });
        assert_eq!(r.after(&joined, std::slice::from_ref(&connect)), shown("a", true));
        assert_eq!(r.after(&state("a", PeerState::Connected), &[]), shown("a", false));
        assert!(r.after(&joined, &[connect]).is_empty(), "connected once: a new row is a plain one");
    }

    #[test]
    fn a_viewer_that_left_or_a_live_that_ended_is_forgotten() {
        let mut r = NoRelayRoute::default();
        r.after(&state("a", PeerState::Failed), &[]);
        r.after(&StudioEvent::Server(ServerMessage::ViewerLeft { viewer_id: id("a") }), &[]);
        let connect = StudioAction::Connect { viewer: id("a"), name: None, ice_servers: Vec::new() };
        assert!(r.after(&StudioEvent::SecondTick, std::slice::from_ref(&connect)).is_empty());
        r.after(&candidate("b", RELAY), &[]);
        r.after(&StudioEvent::Ending, &[]);
        assert_eq!(r.after(&state("b", PeerState::Failed), &[]), shown("b", true), "a new live, a new judgement");
    }
}
