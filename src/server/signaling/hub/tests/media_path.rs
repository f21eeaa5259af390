//! Peer to peer or the relay: `--relay on` from the start, `auto` switching once mid-live.

use super::support::*;
use crate::protocol::{ClientMessage, ServerMessage};
use crate::server::signaling::hub::{ConnId, Departure, Hub, HubEvent, MediaPlan, ViewerCap};

fn use_relay(msgs: &[ServerMessage]) -> usize {
    msgs.iter().filter(|m| matches!(m, ServerMessage::UseRelay { .. })).count()
}

fn with_plan(plan: MediaPlan) -> Hub {
    hub().with_media_plan(plan)
}

#[test]
fn peer_to_peer_never_mentions_the_relay() {
    let mut h = with_plan(MediaPlan::MeshOnly);
    let live = go_live(&mut h);
    assert_eq!(use_relay(&received(&live, ADMIN)), 0);
    for n in 10..30 {
        let out = join_viewer(&mut h, n);
        assert_eq!(use_relay(&received(&out, ConnId(n))) + use_relay(&received(&out, ADMIN)), 0);
    }
    assert!(!h.relay_active());
}

#[test]
fn relay_on_tells_the_streamer_before_any_viewer_and_every_viewer_after_live() {
    let mut h = with_plan(MediaPlan::RelayAlways);
    join_viewer(&mut h, 10);
    let out = go_live(&mut h);
    let admin = received(&out, ADMIN);
    let relay_at = admin.iter().position(|m| matches!(m, ServerMessage::UseRelay { .. })).unwrap();
    let first_viewer = admin.iter().position(|m| matches!(m, ServerMessage::NewViewer { .. })).unwrap();
    assert!(relay_at < first_viewer, "the studio knows the rows are relay rows: {admin:?}");
    let viewer = received(&out, ConnId(10));
    assert!(matches!(viewer.as_slice(), [ServerMessage::Live, ServerMessage::UseRelay { .. }]), "{viewer:?}");

    let out = join_viewer(&mut h, 11);
    let joiner = received(&out, ConnId(11));
    let live_at = joiner.iter().position(|m| *m == ServerMessage::Live).unwrap();
    assert!(matches!(joiner[live_at + 1], ServerMessage::UseRelay { .. }), "{joiner:?}");
    assert_eq!(use_relay(&received(&out, ADMIN)), 0, "the streamer was told once");
}

#[test]
fn auto_switches_once_when_the_mesh_is_full_and_tells_everyone() {
    let mut h = with_plan(MediaPlan::Auto { mesh_max_viewers: 2 });
    go_live(&mut h);
    for n in [10, 11] {
        let out = join_viewer(&mut h, n);
        assert_eq!(use_relay(&received(&out, ADMIN)), 0, "viewer {n} is peer to peer");
    }
    let out = join_viewer(&mut h, 12);
    assert_eq!(use_relay(&received(&out, ADMIN)), 1);
    for n in [10, 11, 12] {
        assert_eq!(use_relay(&received(&out, ConnId(n))), 1, "viewer {n} moves");
    }
    let admin = received(&out, ADMIN);
    let relay_at = admin.iter().position(|m| matches!(m, ServerMessage::UseRelay { .. })).unwrap();
    let new_viewer = admin.iter().position(|m| matches!(m, ServerMessage::NewViewer { .. })).unwrap();
    assert!(relay_at < new_viewer, "viewer 12 is a relay row: {admin:?}");
    let ServerMessage::UseRelay { reason } = &admin[relay_at] else { unreachable!() };
    assert!(reason.contains("3 viewers") && reason.contains("--mesh-max-viewers"), "{reason}");
    assert!(h.relay_active());

    // Viewers leaving does not switch back (no flapping).
    for n in [10, 11, 12] {
        h.depart(ConnId(n), Departure::Clean);
    }
    let out = join_viewer(&mut h, 13);
    assert_eq!(use_relay(&received(&out, ConnId(13))), 1);
    assert_eq!(use_relay(&received(&out, ADMIN)), 0);
}

#[test]
fn auto_switches_when_the_studio_says_its_uplink_is_full() {
    let mut h = with_plan(MediaPlan::Auto { mesh_max_viewers: 100 });
    go_live(&mut h);
    join_viewer(&mut h, 10);
    h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
    let out = join_viewer(&mut h, 11);
    assert_eq!(use_relay(&received(&out, ADMIN)), 1);
    assert_eq!(use_relay(&received(&out, ConnId(10))), 1);
}

#[test]
fn with_a_relay_to_move_to_a_full_uplink_turns_nobody_away() {
    let mut h = with_plan(MediaPlan::Auto { mesh_max_viewers: 100 }).with_viewer_cap(ViewerCap::Auto);
    go_live(&mut h);
    h.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
    let out = join_viewer(&mut h, 10);
    assert_eq!(error_code(&out, ConnId(10)), None);
    let mut mesh = hub().with_viewer_cap(ViewerCap::Auto);
    go_live(&mut mesh);
    mesh.handle(ADMIN, ClientMessage::Capacity { remaining: Some(0) });
    assert!(error_code(&join_viewer(&mut mesh, 10), ConnId(10)).is_some(), "peer to peer only: full is full");
}

#[test]
fn a_lost_streamer_comes_back_to_the_relay_and_a_clean_end_resets_it() {
    let mut h = with_plan(MediaPlan::Auto { mesh_max_viewers: 0 });
    go_live(&mut h);
    join_viewer(&mut h, 10);
    assert!(h.relay_active());
    h.depart(ADMIN, Departure::Lost);
    let out = go_live(&mut h);
    assert_eq!(use_relay(&received(&out, ADMIN)), 1, "the studio republishes to the relay");
    h.depart(ADMIN, Departure::Clean);
    assert!(!h.relay_active());
    let out = go_live(&mut h);
    assert_eq!(use_relay(&received(&out, ADMIN)), 0, "the next live starts peer to peer");
}

#[test]
fn removing_a_viewer_tells_the_relay() {
    let mut h = with_plan(MediaPlan::RelayAlways);
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    assert!(events(&out).contains(&HubEvent::ViewerRemoved { viewer_id: vid(10) }));
}

#[test]
fn a_resume_token_names_a_connected_viewer_only() {
    let mut h = with_plan(MediaPlan::RelayAlways);
    go_live(&mut h);
    let out = join_viewer(&mut h, 10);
    let token = received(&out, ConnId(10))
        .into_iter()
        .find_map(|m| match m {
            ServerMessage::Welcome { resume_token, .. } => Some(resume_token),
            _ => None,
        })
        .unwrap();
    assert_eq!(h.connected_viewer(&token), Some(vid(10)));
    assert_eq!(h.connected_viewer("forged.00"), None);
    h.depart(ConnId(10), Departure::Clean);
    assert_eq!(h.connected_viewer(&token), None, "a viewer that left proves nothing");
}

#[test]
fn viewers_the_relay_shed_are_told_to_play_from_it_again_and_no_one_else() {
    let mut h = with_plan(MediaPlan::RelayAlways);
    go_live(&mut h);
    for n in [10, 11, 12] {
        join_viewer(&mut h, n);
    }
    let out = h.relay_shed(&[vid(11), vid(12), vid(99)]);
    for (n, told) in [(10, 0), (11, 1), (12, 1)] {
        assert_eq!(use_relay(&received(&out, ConnId(n))), told, "viewer {n}");
    }
    assert_eq!(out.len(), 2, "nothing for the streamer nor for a viewer no longer here: {out:?}");

    let mut mesh = with_plan(MediaPlan::MeshOnly);
    go_live(&mut mesh);
    join_viewer(&mut mesh, 10);
    assert!(mesh.relay_shed(&[vid(10)]).is_empty(), "a peer-to-peer live never mentions the relay");
}
