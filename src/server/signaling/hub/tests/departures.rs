//! Sockets going away: viewers forgotten, the live ended or left waiting.

use super::support::*;
use crate::protocol::{ClientMessage, ErrorCode, SdpType, ServerMessage};
use crate::server::signaling::hub::{ConnId, Departure, HubEvent, HubStatus};

#[test]
fn closed_viewer_is_reported_to_the_streamer_and_forgotten() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.disconnect(ConnId(10));
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::ViewerLeft { viewer_id: vid(10) }]);
    assert_eq!(h.status(), HubStatus { live: true, viewers: 0, connections: 1 });
    let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(10) });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
    assert!(h.disconnect(ConnId(10)).is_empty(), "a second close is harmless");
}

#[test]
fn closed_streamer_sends_viewers_offline_and_a_new_one_brings_them_back() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    let out = h.disconnect(ADMIN);
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Offline]);
    assert_eq!(received(&out, ConnId(11)), vec![ServerMessage::Offline]);
    assert!(!h.status().live);
    let out = go_live(&mut h);
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
    assert_eq!(received(&out, ADMIN).iter().filter(|m| matches!(m, ServerMessage::NewViewer { .. })).count(), 2);
}

#[test]
fn pending_connections_do_not_count_and_leave_no_trace() {
    let mut h = hub();
    h.connect(ConnId(4), vid(4), false, true);
    assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 1 });
    assert!(h.disconnect(ConnId(4)).is_empty());
    assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 0 });
}

#[test]
fn everything_is_forgotten_after_everyone_leaves() {
    let mut h = hub();
    go_live(&mut h);
    for n in 10..20 {
        join_viewer(&mut h, n);
    }
    for n in 10..20 {
        h.disconnect(ConnId(n));
    }
    h.disconnect(ADMIN);
    assert_eq!(h.status(), HubStatus { live: false, viewers: 0, connections: 0 });
    assert!(h.viewers.is_empty());
}

#[test]
fn a_lost_streamer_leaves_viewers_waiting_instead_of_ending_the_live() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.depart(ADMIN, Departure::Lost);
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::StreamerLost]);
    assert_eq!(events(&out), vec![HubEvent::LiveEnded]);
    assert!(!h.status().live);
    let out = go_live(&mut h);
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
}
