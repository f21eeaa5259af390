//! Resume tokens: a viewer keeping its id across a dropped socket or a restart.

use super::support::*;
use crate::protocol::{ClientMessage, SdpType, ServerMessage};
use crate::server::signaling::hub::{Action, ConnId, Departure, Hub, HubEvent, Outbox};
use crate::server::signaling::resume::ResumeKey;

fn token_of(out: &Outbox, conn: ConnId) -> String {
    received(out, conn)
        .into_iter()
        .find_map(|m| match m {
            ServerMessage::Welcome { resume_token, .. } => Some(resume_token),
            _ => None,
        })
        .expect("a welcome")
}

fn resume(h: &mut Hub, conn: ConnId, token: &str) -> Outbox {
    h.connect(conn, vid(conn.0), false, true);
    h.handle(conn, ClientMessage::Viewer { name: None, resume_token: Some(token.to_owned()) })
}

#[test]
fn a_resuming_viewer_keeps_its_id_and_is_announced_again() {
    let key = ResumeKey::new([1; 32]);
    let mut h = hub().with_resume_key(key.clone());
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    h.depart(ConnId(10), Departure::Lost);
    let out = resume(&mut h, ConnId(20), &token);
    assert!(
        matches!(&received(&out, ConnId(20))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(10))
    );
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(10), name: None }]);
    assert_eq!(h.status().viewers, 1);

    // After a server restart (a new hub with the same key) the token still works, and
    // with no streamer yet the viewer keeps playing and waits.
    let mut restarted = hub().with_resume_key(key);
    let out = resume(&mut restarted, ConnId(3), &token);
    let got = received(&out, ConnId(3));
    assert!(matches!(&got[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(10)));
    assert!(got.contains(&ServerMessage::StreamerLost), "{got:?}");
    assert!(!got.contains(&ServerMessage::Offline));
}

#[test]
fn a_forged_token_just_gets_a_fresh_id() {
    let mut h = hub();
    go_live(&mut h);
    let theirs = token_of(&join_viewer(&mut h, 10), ConnId(10));
    let forged = theirs.replacen("viewer-10", "viewer-11", 1);
    let out = resume(&mut h, ConnId(30), &forged);
    assert!(
        matches!(&received(&out, ConnId(30))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(30))
    );
    let foreign = ResumeKey::new([9; 32]).token(&vid(10), 0);
    let out = resume(&mut h, ConnId(31), &foreign);
    assert!(
        matches!(&received(&out, ConnId(31))[0], ServerMessage::Welcome { viewer_id, .. } if *viewer_id == vid(31))
    );
    assert_eq!(h.status().viewers, 3, "viewer 10 was not displaced");
}

#[test]
fn resuming_over_a_stale_socket_closes_it_without_a_second_leave() {
    let mut h = hub();
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    // The offer went to the old socket; the answer comes on the new one.
    offer_to(&mut h, 10);
    let out = resume(&mut h, ConnId(20), &token);
    assert!(out.contains(&Action::Close { conn: ConnId(10) }));
    assert_eq!(events(&out)[0], HubEvent::ViewerLeft { viewer_id: vid(10) });
    let out = h.depart(ConnId(10), Departure::Lost);
    assert!(out.is_empty(), "the stale socket's close is not news: {out:?}");
    assert_eq!(h.status().viewers, 1);
    let out = h.handle(ConnId(20), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(10) }]);
}

#[test]
fn a_removed_viewer_cannot_resume_into_the_same_live() {
    let mut h = hub();
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    h.depart(ConnId(10), Departure::Lost);
    let out = resume(&mut h, ConnId(20), &token);
    assert_eq!(received(&out, ConnId(20)), vec![ServerMessage::Removed]);
    assert!(received(&out, ADMIN).is_empty());
    // The next live takes it back, as a new viewer: the token was for the live that ended.
    h.disconnect(ADMIN);
    go_live(&mut h);
    h.depart(ConnId(20), Departure::Lost);
    let out = resume(&mut h, ConnId(21), &token);
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(21), name: None }]);
}

use crate::server::signaling::hub::ViewerCap;
use crate::server::signaling::resume::Device;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(60);
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

fn viewer_id_of(out: &Outbox, conn: ConnId) -> Option<crate::protocol::ViewerId> {
    received(out, conn).into_iter().find_map(|m| match m {
        ServerMessage::Welcome { viewer_id, .. } => Some(viewer_id),
        _ => None,
    })
}

#[test]
fn a_token_expires_a_window_after_its_socket_dropped() {
    let mut h = hub().with_resume_window(WINDOW);
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    h.advance(Duration::from_secs(3600));
    // However old the token, the window runs from the drop.
    h.depart(ConnId(10), Departure::Lost);
    h.advance(Duration::from_secs(3600) + WINDOW);
    assert_eq!(viewer_id_of(&resume(&mut h, ConnId(20), &token), ConnId(20)), Some(vid(10)));
    h.depart(ConnId(20), Departure::Lost);
    h.advance(Duration::from_secs(3600) + WINDOW * 2 + Duration::from_secs(1));
    assert_eq!(viewer_id_of(&resume(&mut h, ConnId(21), &token), ConnId(21)), Some(vid(21)), "expired: a fresh id");
}

#[test]
fn a_token_is_for_the_live_it_was_used_in() {
    let mut h = hub();
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    h.depart(ConnId(10), Departure::Lost);
    // That live ends and another starts: the token does not carry over.
    h.disconnect(ADMIN);
    go_live(&mut h);
    let out = resume(&mut h, ConnId(20), &token);
    assert_eq!(viewer_id_of(&out, ConnId(20)), Some(vid(20)));
}

#[test]
fn a_token_from_an_earlier_run_resumes_only_within_the_window_after_the_restart() {
    let key = ResumeKey::new([1; 32]);
    let mut before = hub().with_resume_key(key.clone());
    let token = token_of(&join_viewer(&mut before, 10), ConnId(10));
    let mut restarted = hub().with_resume_key(key.clone()).with_resume_window(WINDOW);
    restarted.advance(WINDOW);
    assert_eq!(viewer_id_of(&resume(&mut restarted, ConnId(3), &token), ConnId(3)), Some(vid(10)));
    let mut late = hub().with_resume_key(key).with_resume_window(WINDOW);
    late.advance(WINDOW + Duration::from_secs(1));
    assert_eq!(viewer_id_of(&resume(&mut late, ConnId(3), &token), ConnId(3)), Some(vid(3)));
}

#[test]
fn resumes_count_against_the_cap_unless_they_replace_a_counted_socket() {
    let mut h = hub().with_viewer_cap(ViewerCap::Fixed(1));
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    // The same viewer on a new socket replaces the old one, at the cap.
    let out = resume(&mut h, ConnId(20), &token);
    assert_eq!(viewer_id_of(&out, ConnId(20)), Some(vid(10)));
    // Someone else takes the seat after it left; its token no longer gets it in.
    h.depart(ConnId(20), Departure::Lost);
    join_viewer(&mut h, 30);
    let out = resume(&mut h, ConnId(21), &token);
    assert_eq!(error_code(&out, ConnId(21)), Some(crate::protocol::ErrorCode::Full));
    assert_eq!(h.status().viewers, 1);
}

fn join_from(h: &mut Hub, n: u64, device: Option<Device>) -> Outbox {
    h.connect(ConnId(n), vid(n), false, true);
    h.identify(ConnId(n), HOME, device);
    h.handle(ConnId(n), ClientMessage::Viewer { name: None, resume_token: None })
}

fn device(id: &str, issued_at: u64) -> Option<Device> {
    Some(Device { id: id.to_owned(), issued_at })
}

#[test]
fn a_removed_viewer_is_kept_out_of_new_sockets_by_its_cookie_and_its_address() {
    let mut h = hub().with_wall_start(1_000);
    go_live(&mut h);
    join_from(&mut h, 10, device("mallory", 900));
    join_from(&mut h, 11, device("housemate", 950));
    h.depart(ConnId(11), Departure::Lost);
    h.advance(Duration::from_secs(100));
    h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    // A new socket without the token: the same cookie, or a new cookie from the same address.
    assert_eq!(received(&join_from(&mut h, 20, device("mallory", 900)), ConnId(20)), vec![ServerMessage::Removed]);
    assert_eq!(received(&join_from(&mut h, 21, device("new", 1_100)), ConnId(21)), vec![ServerMessage::Removed]);
    assert_eq!(received(&join_from(&mut h, 22, None), ConnId(22)), vec![ServerMessage::Removed]);
    // Someone who was already watching from that address is not.
    assert_eq!(viewer_id_of(&join_from(&mut h, 23, device("housemate", 950)), ConnId(23)), Some(vid(23)));
    assert_eq!(h.status().viewers, 1);
}

#[test]
fn a_studio_reload_is_the_same_live_for_removals_but_the_next_live_is_not() {
    let mut h = hub();
    go_live(&mut h);
    let token = token_of(&join_viewer(&mut h, 10), ConnId(10));
    h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    h.depart(ADMIN, Departure::Lost);
    let out = go_live(&mut h);
    assert!(received(&out, ConnId(10)).is_empty(), "still removed after the reload");
    assert_eq!(received(&resume(&mut h, ConnId(20), &token), ConnId(20)), vec![ServerMessage::Removed]);
    h.disconnect(ADMIN);
    go_live(&mut h);
    let out = join_viewer(&mut h, 30);
    assert_eq!(viewer_id_of(&out, ConnId(30)), Some(vid(30)));
}
