//! The events observers get: lives starting and ending, viewers joining and leaving.

use super::support::*;
use crate::protocol::ClientMessage;
use crate::server::signaling::hub::{ConnId, HubEvent};

#[test]
fn events_follow_a_live_with_viewers_coming_and_going() {
    let mut h = hub();
    h.connect(ConnId(10), vid(10), false, true);
    let out = h.handle(ConnId(10), ClientMessage::Viewer { name: Some(" Ann ".into()), resume_token: None });
    assert_eq!(events(&out), vec![HubEvent::ViewerJoined { viewer_id: vid(10), name: Some("Ann".into()) }]);
    assert_eq!(events(&go_live(&mut h)), vec![HubEvent::LiveStarted]);
    assert_eq!(events(&join_viewer(&mut h, 11)), vec![HubEvent::ViewerJoined { viewer_id: vid(11), name: None }]);
    assert_eq!(events(&h.disconnect(ConnId(10))), vec![HubEvent::ViewerLeft { viewer_id: vid(10) }]);
    assert_eq!(events(&h.disconnect(ADMIN)), vec![HubEvent::LiveEnded]);
    // A viewer leaving while offline is still an event; messages only go to a streamer.
    let out = h.disconnect(ConnId(11));
    assert_eq!(events(&out), vec![HubEvent::ViewerLeft { viewer_id: vid(11) }]);
    assert_eq!(out.len(), 1);
}

#[test]
fn a_takeover_or_a_second_registration_is_not_a_new_live() {
    let mut h = hub();
    go_live(&mut h);
    assert!(events(&h.handle(ADMIN, ClientMessage::Streamer)).is_empty());
    let second = ConnId(2);
    h.connect(second, vid(2), true, true);
    assert!(events(&h.handle(second, ClientMessage::Streamer)).is_empty());
    assert!(events(&h.disconnect(ADMIN)).is_empty(), "the replaced socket ends nothing");
    assert_eq!(events(&h.disconnect(second)), vec![HubEvent::LiveEnded]);
    assert_eq!(events(&go_live(&mut h)), vec![HubEvent::LiveStarted], "a later live is a new one");
}

#[test]
fn refused_and_pending_connections_make_no_events() {
    let mut h = hub();
    h.connect(ConnId(7), vid(7), false, true);
    assert!(events(&h.handle(ConnId(7), ClientMessage::Streamer)).is_empty());
    go_live(&mut h);
    join_viewer(&mut h, 10);
    assert!(events(&h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None })).is_empty());
    assert!(events(&h.disconnect(ConnId(7))).is_empty());
    assert!(events(&h.disconnect(ConnId(99))).is_empty());
}
