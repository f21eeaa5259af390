//! Taking a role: registration, takeover, names, the watch code and the viewer cap.

use super::support::*;
use crate::protocol::{ClientMessage, ErrorCode, SdpType, ServerMessage, ViewerId};
use crate::server::signaling::hub::admission::{clean_name, MAX_NAME_CHARS};
use crate::server::signaling::hub::{Action, ConnId, Departure, HubEvent, ViewerCap};

#[test]
fn viewer_before_streamer_waits_offline_then_is_announced() {
    let mut h = hub();
    let out = join_viewer(&mut h, 10);
    let got = received(&out, ConnId(10));
    assert!(
        matches!(&got[0], ServerMessage::Welcome { viewer_id, ice_servers, .. } if *viewer_id == vid(10) && ice_servers.len() == 1)
    );
    assert_eq!(got[1], ServerMessage::ViewerCount { count: 1 });
    assert_eq!(got[2], ServerMessage::Offline);

    let out = go_live(&mut h);
    let admin = received(&out, ADMIN);
    assert!(matches!(admin[0], ServerMessage::StreamerReady { .. }));
    assert!(admin.contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
    assert!(h.status().live);
}

#[test]
fn streamer_gets_new_viewer_for_every_waiting_viewer_in_join_order() {
    let mut h = hub();
    for n in [30, 10, 20] {
        join_viewer(&mut h, n);
    }
    let out = go_live(&mut h);
    let announced: Vec<ViewerId> = received(&out, ADMIN)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::NewViewer { viewer_id, .. } => Some(viewer_id),
            _ => None,
        })
        .collect();
    assert_eq!(announced, vec![vid(10), vid(20), vid(30)]);
}

#[test]
fn viewer_joining_a_live_stream_is_announced_with_its_name() {
    let mut h = hub();
    go_live(&mut h);
    h.connect(ConnId(5), vid(5), false, true);
    let out = h.handle(ConnId(5), ClientMessage::Viewer { name: Some("  Alice\u{7}  ".into()), resume_token: None });
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(5), name: Some("Alice".into()) }]);
    assert!(received(&out, ConnId(5)).contains(&ServerMessage::Live));
}

#[test]
fn client_chosen_viewer_id_is_only_a_name() {
    let mut h = hub();
    go_live(&mut h);
    h.connect(ConnId(5), vid(5), false, true);
    let out = h.handle(ConnId(5), ClientMessage::Viewer { name: Some("viewer-9".into()), resume_token: None });
    match &received(&out, ConnId(5))[0] {
        ServerMessage::Welcome { viewer_id, .. } => assert_eq!(*viewer_id, vid(5)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn long_names_are_cut_and_blank_names_dropped() {
    assert_eq!(clean_name(&"é".repeat(100)).unwrap().chars().count(), MAX_NAME_CHARS);
    assert_eq!(clean_name("   "), None);
    assert_eq!(clean_name("\n\t"), None);
}

#[test]
fn viewer_without_admin_session_cannot_take_the_streamer_role() {
    let mut h = hub();
    h.connect(ConnId(7), vid(7), false, true);
    let out = h.handle(ConnId(7), ClientMessage::Streamer);
    assert_eq!(error_code(&out, ConnId(7)), Some(ErrorCode::Unauthorized));
    assert!(!h.status().live);
    // The connection stays usable as a viewer.
    let out = h.handle(ConnId(7), ClientMessage::Viewer { name: None, resume_token: None });
    assert!(matches!(received(&out, ConnId(7))[0], ServerMessage::Welcome { .. }));
    // …and, once a viewer, cannot switch roles even with a session.
    let out = h.handle(ConnId(7), ClientMessage::Streamer);
    assert_eq!(error_code(&out, ConnId(7)), Some(ErrorCode::WrongRole));
}

#[test]
fn a_connection_without_the_watch_code_cannot_become_a_viewer() {
    let mut h = hub();
    go_live(&mut h);
    h.connect(ConnId(8), vid(8), false, false);
    let out = h.handle(ConnId(8), ClientMessage::Viewer { name: None, resume_token: None });
    assert_eq!(error_code(&out, ConnId(8)), Some(ErrorCode::CodeRequired));
    assert!(received(&out, ADMIN).is_empty(), "the streamer hears of no one");
    assert_eq!(h.status().viewers, 0);
}

#[test]
fn second_admin_connection_takes_over_and_the_old_one_is_closed() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let second = ConnId(2);
    h.connect(second, vid(2), true, true);
    let out = h.handle(second, ClientMessage::Streamer);
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::Replaced));
    assert!(out.contains(&Action::Close { conn: ADMIN }));
    assert!(received(&out, second).contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Live]);
    // The replaced socket's close must not take the stream offline.
    let out = h.disconnect(ADMIN);
    assert!(out.is_empty());
    assert!(h.status().live);
    h.handle(second, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(10) });
    let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(received(&out, second).len(), 1);
}

#[test]
fn streamer_registering_again_gets_the_viewer_list_again() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.handle(ADMIN, ClientMessage::Streamer);
    assert!(received(&out, ADMIN).contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
    assert!(!out.iter().any(|a| matches!(a, Action::Close { .. })));
    assert!(received(&out, ConnId(10)).is_empty(), "viewers are not told twice");
}

#[test]
fn a_fixed_cap_refuses_viewers_beyond_it_until_one_leaves() {
    let mut h = hub().with_viewer_cap(ViewerCap::Fixed(2));
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    let out = join_viewer(&mut h, 12);
    assert_eq!(error_code(&out, ConnId(12)), Some(ErrorCode::Full));
    assert!(received(&out, ADMIN).is_empty());
    assert!(events(&out).is_empty(), "a refused viewer never joined");
    assert_eq!(h.status().viewers, 2);
    h.disconnect(ConnId(10));
    let out = h.handle(ConnId(12), ClientMessage::Viewer { name: None, resume_token: None });
    assert!(matches!(received(&out, ConnId(12))[0], ServerMessage::Welcome { .. }));
}

#[test]
fn auto_cap_follows_the_streamers_estimate() {
    let mut h = hub().with_viewer_cap(ViewerCap::Auto);
    go_live(&mut h);
    join_viewer(&mut h, 10);
    h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(1) });
    let out = join_viewer(&mut h, 11);
    assert!(matches!(received(&out, ConnId(11))[0], ServerMessage::Welcome { .. }));
    // The one free place is taken until the studio estimates again.
    let out = join_viewer(&mut h, 12);
    assert_eq!(error_code(&out, ConnId(12)), Some(ErrorCode::Full));
    h.handle(ADMIN, ClientMessage::Capacity { remaining: None });
    let out = h.handle(ConnId(12), ClientMessage::Viewer { name: None, resume_token: None });
    assert!(matches!(received(&out, ConnId(12))[0], ServerMessage::Welcome { .. }));
    // A new live starts without an estimate.
    h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
    h.disconnect(ADMIN);
    go_live(&mut h);
    let out = join_viewer(&mut h, 13);
    assert!(matches!(received(&out, ConnId(13))[0], ServerMessage::Welcome { .. }));
}

#[test]
fn without_a_cap_capacity_reports_change_nothing() {
    let mut h = hub();
    go_live(&mut h);
    h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
    let out = join_viewer(&mut h, 10);
    assert!(matches!(received(&out, ConnId(10))[0], ServerMessage::Welcome { .. }));
}

#[test]
fn an_ended_admin_session_ends_the_live_and_closes_the_socket() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.admin_session_ended(ADMIN);
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::Unauthorized));
    assert_eq!(out.last(), Some(&Action::Close { conn: ADMIN }));
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Offline], "the live ended, not lost");
    assert!(events(&out).contains(&HubEvent::LiveEnded));
    assert!(!h.status().live);
    // Its close afterwards is not news, and it may not take the role back.
    assert!(h.depart(ADMIN, Departure::Lost).is_empty());
    let out = h.admin_session_ended(ADMIN);
    assert!(out.is_empty(), "unknown or no longer admin: nothing to do");
}

#[test]
fn a_socket_whose_admin_session_ended_cannot_stream() {
    let mut h = hub();
    h.connect(ConnId(2), vid(2), true, true);
    let out = h.admin_session_ended(ConnId(2));
    assert_eq!(out.last(), Some(&Action::Close { conn: ConnId(2) }));
    let out = h.handle(ConnId(2), ClientMessage::Streamer);
    assert_eq!(error_code(&out, ConnId(2)), Some(ErrorCode::Unauthorized));
    assert!(!h.status().live);
    // A viewer socket (never admin) is left alone.
    join_viewer(&mut h, 10);
    assert!(h.admin_session_ended(ConnId(10)).is_empty());
}
