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
    let foreign = ResumeKey::new([9; 32]).token(&vid(10));
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
    // The next live takes it back.
    h.disconnect(ADMIN);
    go_live(&mut h);
    h.depart(ConnId(20), Departure::Lost);
    let out = resume(&mut h, ConnId(21), &token);
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::NewViewer { viewer_id: vid(10), name: None }]);
}
