//! The watch page's first connection, as its starter runs it: which server messages the
//! starter (a small wasm that answers the stream's first offer while the player's large wasm
//! still loads) takes itself, and which it leaves for the player to replay when it takes over.

use crate::protocol::starter_wire::Seen;
use crate::protocol::{IceCandidate, IceServer, SessionDescription, Target};

/// What the starter does with one server message.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Left for the player, which replays it once it takes over.
    ForPlayer,
    /// Create the connection with these ICE servers and answer this offer.
    Answer { offer: SessionDescription, ice_servers: Vec<IceServer> },
    /// For the connection the starter answered (applied once its answer has left).
    Candidate(IceCandidate),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// No offer yet.
    #[default]
    Waiting,
    /// Answering the first offer: its candidates are the starter's.
    Answering,
    /// Nothing more for the starter: the rest is the player's.
    Stopped,
}

/// The starter's rules, fed every server message in order.
#[derive(Debug, Default)]
pub struct FirstConnection {
    ice_servers: Vec<IceServer>,
    phase: Phase,
}

impl FirstConnection {
    pub fn on_message(&mut self, msg: Seen) -> Step {
        match (self.phase, msg) {
            // The player needs the welcome too (its viewer id, resume token and servers).
            (_, Seen::Welcome(ice_servers)) => {
                self.ice_servers = ice_servers;
                Step::ForPlayer
            }
            (Phase::Waiting, Seen::Offer(offer)) => {
                self.phase = Phase::Answering;
                Step::Answer { offer, ice_servers: self.ice_servers.clone() }
            }
            (Phase::Answering, Seen::Candidate(candidate, Target::Viewer)) => Step::Candidate(candidate),
            // A second offer (an ICE restart, or a new session of the streamer), the live ending,
            // a refusal or the move to the relay: the player's rules handle those, and from then
            // on everything is the player's, in order.
            (_, Seen::Offer(_) | Seen::Ends) => {
                self.phase = Phase::Stopped;
                Step::ForPlayer
            }
            _ => Step::ForPlayer,
        }
    }

    /// Nothing is left for the starter to do: the player may take over at once.
    pub fn stopped(&self) -> bool {
        self.phase == Phase::Stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::starter_wire::tests::{ends, read};
    use crate::protocol::{SdpType, ServerMessage, ViewerId};

    /// A message as the server writes it, as the starter reads it.
    fn seen(msg: &ServerMessage) -> Seen {
        read(&msg.to_json())
    }

    fn welcome(turn: &str) -> ServerMessage {
        ServerMessage::Welcome {
            viewer_id: ViewerId("v1".into()),
            ice_servers: vec![IceServer { urls: vec![turn.into()], username: None, credential: None }],
            resume_token: "r".into(),
        }
    }

    fn offer(session: &str) -> ServerMessage {
        let sdp = format!("v=0\r\no=- {session} 2 IN IP4 127.0.0.1\r\n");
        ServerMessage::Offer {
            offer: SessionDescription { kind: SdpType::Offer, sdp },
            viewer_id: ViewerId("v1".into()),
        }
    }

    fn candidate(n: u32, target: Target) -> ServerMessage {
        let candidate = IceCandidate {
            candidate: format!("candidate:{n} 1 udp 1 127.0.0.1 {} typ host", 5000 + n),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        };
        ServerMessage::Candidate { candidate, target, viewer_id: ViewerId("v1".into()) }
    }

    fn candidate_of(msg: &ServerMessage) -> IceCandidate {
        match msg {
            ServerMessage::Candidate { candidate, .. } => candidate.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_first_offer_is_answered_with_the_welcomes_servers_and_its_candidates_follow() {
        let mut first = FirstConnection::default();
        assert_eq!(first.on_message(seen(&welcome("turn:a"))), Step::ForPlayer);
        assert_eq!(first.on_message(seen(&ServerMessage::Live)), Step::ForPlayer);
        let Step::Answer { offer: answered, ice_servers } = first.on_message(seen(&offer("1"))) else {
            panic!("the offer is answered")
        };
        assert_eq!(answered.session_id(), Some("1"));
        assert_eq!(ice_servers[0].urls, vec!["turn:a".to_owned()]);
        let c = candidate(1, Target::Viewer);
        assert_eq!(first.on_message(seen(&c)), Step::Candidate(candidate_of(&c)));
        assert_eq!(first.on_message(seen(&ServerMessage::ViewerCount { count: 3 })), Step::ForPlayer);
        assert!(!first.stopped());
    }

    #[test]
    fn candidates_without_a_connection_of_its_own_are_the_players() {
        let mut first = FirstConnection::default();
        assert_eq!(first.on_message(seen(&candidate(1, Target::Viewer))), Step::ForPlayer);
        assert!(matches!(first.on_message(seen(&offer("1"))), Step::Answer { .. }));
        // Meant for the streamer: not this side's to apply.
        assert_eq!(first.on_message(seen(&candidate(2, Target::Streamer))), Step::ForPlayer);
    }

    #[test]
    fn a_second_offer_and_all_that_follows_are_the_players() {
        let mut first = FirstConnection::default();
        assert!(matches!(first.on_message(seen(&offer("1"))), Step::Answer { .. }));
        assert_eq!(first.on_message(seen(&offer("1"))), Step::ForPlayer);
        assert!(first.stopped());
        assert_eq!(first.on_message(seen(&candidate(1, Target::Viewer))), Step::ForPlayer);
        assert_eq!(first.on_message(seen(&offer("2"))), Step::ForPlayer);
    }

    #[test]
    fn the_end_of_the_live_a_refusal_or_the_relay_leave_everything_to_the_player() {
        for end in ends() {
            let mut first = FirstConnection::default();
            assert_eq!(first.on_message(seen(&end)), Step::ForPlayer, "{end:?}");
            assert!(first.stopped(), "{end:?}");
            assert_eq!(first.on_message(seen(&offer("1"))), Step::ForPlayer, "{end:?}");
            let mut answering = FirstConnection::default();
            assert!(matches!(answering.on_message(seen(&offer("1"))), Step::Answer { .. }));
            assert_eq!(answering.on_message(seen(&end)), Step::ForPlayer, "{end:?}");
            assert_eq!(answering.on_message(seen(&candidate(1, Target::Viewer))), Step::ForPlayer, "{end:?}");
        }
    }

    #[test]
    fn waiting_for_the_live_is_not_stopping() {
        let mut first = FirstConnection::default();
        for msg in [welcome("stun:s"), ServerMessage::StreamerLost, ServerMessage::ViewerCount { count: 1 }] {
            assert_eq!(first.on_message(seen(&msg)), Step::ForPlayer);
        }
        assert!(!first.stopped());
        assert!(matches!(first.on_message(seen(&offer("1"))), Step::Answer { .. }));
    }
}
