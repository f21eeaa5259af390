use super::*;
use crate::server::media::keyframes::MIN_REQUEST_GAP;

const MS: Duration = Duration::from_millis(1);
const PUB: SessionId = SessionId(1);

fn mid(s: &str) -> Mid {
    Mid::from(s)
}

fn publisher() -> Role {
    Role::Publisher { owner: "admin".into() }
}

fn viewer(name: &str) -> Role {
    Role::Viewer { viewer_id: Some(ViewerId(name.into())) }
}

/// A publisher with audio on mid 0 and video on mid 1.
fn with_publisher() -> RelayCore {
    let mut core = RelayCore::new();
    core.add(PUB, publisher(), Duration::ZERO);
    core.track(PUB, mid("0"), MediaKind::Audio, Duration::ZERO);
    core.track(PUB, mid("1"), MediaKind::Video, Duration::ZERO);
    core.connected(PUB, Duration::ZERO);
    core
}

/// A viewer connected at `now` with audio on "a" and video on "v".
fn join(core: &mut RelayCore, id: u64, now: Duration) -> Vec<RelayAction> {
    let s = SessionId(id);
    let mut out = core.add(s, viewer(&format!("viewer{id}")), now);
    out.extend(core.track(s, mid("a"), MediaKind::Audio, now));
    out.extend(core.track(s, mid("v"), MediaKind::Video, now));
    out.extend(core.connected(s, now));
    out
}

/// A keyframe of the publisher's (a small one, unless a test says otherwise).
fn key() -> IncomingFrame {
    IncomingFrame { keyframe: true, contiguous: true, bytes: 10_000 }
}

fn delta() -> IncomingFrame {
    IncomingFrame { keyframe: false, contiguous: true, bytes: 1_000 }
}

/// A delta frame after packets were lost.
fn broken() -> IncomingFrame {
    IncomingFrame { contiguous: false, ..delta() }
}

fn keyframe_request() -> RelayAction {
    RelayAction::RequestKeyframe { session: PUB, mid: mid("1") }
}

#[test]
fn a_joining_viewer_asks_the_publisher_for_a_keyframe() {
    let mut core = with_publisher();
    assert_eq!(join(&mut core, 2, Duration::from_secs(1)), vec![keyframe_request()]);
}

#[test]
fn video_reaches_a_viewer_only_from_a_keyframe_on_audio_at_once() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    let t = Duration::from_secs(1);
    let early = core.frame(PUB, mid("1"), delta(), t);
    assert!(early.targets.is_empty(), "no delta frame before the keyframe");
    assert!(core.frame(PUB, mid("0"), delta(), t).targets == vec![(SessionId(2), mid("a"))]);
    let key = core.frame(PUB, mid("1"), key(), t + MS);
    assert_eq!(key.targets, vec![(SessionId(2), mid("v"))]);
    let next = core.frame(PUB, mid("1"), delta(), t + 2 * MS);
    assert_eq!(next.targets, vec![(SessionId(2), mid("v"))], "deltas follow the keyframe");
    assert!(!next.request_keyframe);
}

#[test]
fn every_connected_viewer_receives_every_frame() {
    let mut core = with_publisher();
    for id in 2..12 {
        join(&mut core, id, Duration::ZERO);
    }
    let route = core.frame(PUB, mid("1"), key(), Duration::from_secs(1));
    let mut got: Vec<u64> = route.targets.iter().map(|(s, _)| s.0).collect();
    got.sort();
    assert_eq!(got, (2..12).collect::<Vec<_>>());
}

#[test]
fn a_viewer_not_yet_connected_gets_nothing() {
    let mut core = with_publisher();
    let s = SessionId(2);
    core.add(s, viewer("x"), Duration::ZERO);
    core.track(s, mid("v"), MediaKind::Video, Duration::ZERO);
    assert!(core.frame(PUB, mid("1"), key(), MS).targets.is_empty());
}

#[test]
fn a_waiting_viewer_keeps_asking_but_throttled_and_deferred() {
    let mut core = with_publisher();
    assert_eq!(join(&mut core, 2, Duration::ZERO), vec![keyframe_request()]);
    // A second joiner inside the gap: its request is owed, not dropped.
    assert_eq!(join(&mut core, 3, 30 * MS), vec![]);
    assert_eq!(core.next_keyframe_due(), Some(MIN_REQUEST_GAP));
    assert_eq!(core.tick(50 * MS), vec![]);
    assert_eq!(core.tick(MIN_REQUEST_GAP), vec![keyframe_request()]);
    assert_eq!(core.tick(MIN_REQUEST_GAP + 10 * MS), vec![], "one owed request, sent once");
}

#[test]
fn delta_frames_while_a_viewer_waits_ask_for_a_keyframe_again() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    let route = core.frame(PUB, mid("1"), delta(), Duration::from_secs(1));
    assert!(route.request_keyframe, "the first request may have been ignored by the encoder");
}

#[test]
fn a_gap_in_the_publishers_video_asks_for_a_keyframe() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    core.frame(PUB, mid("1"), key(), MS);
    let route = core.frame(PUB, mid("1"), broken(), Duration::from_secs(1));
    assert!(route.request_keyframe);
    assert_eq!(route.targets.len(), 1, "the viewer keeps the stream meanwhile");
}

#[test]
fn viewers_keyframe_requests_reach_the_publisher_throttled() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    core.frame(PUB, mid("1"), key(), MS);
    let t = Duration::from_secs(2);
    assert_eq!(core.viewer_wants_keyframe(SessionId(2), t), vec![keyframe_request()]);
    assert_eq!(core.viewer_wants_keyframe(SessionId(2), t + MS), vec![]);
    assert_eq!(core.viewer_wants_keyframe(PUB, t + Duration::from_secs(1)), vec![], "not from the publisher itself");
}

#[test]
fn a_viewer_joining_before_the_publisher_gets_its_first_keyframe() {
    let mut core = RelayCore::new();
    assert_eq!(join(&mut core, 2, Duration::ZERO), vec![], "nobody to ask yet");
    core.add(PUB, publisher(), MS);
    core.track(PUB, mid("0"), MediaKind::Audio, MS);
    let out = core.track(PUB, mid("1"), MediaKind::Video, MS);
    assert_eq!(out, vec![keyframe_request()], "asked as soon as the publisher has video");
    core.connected(PUB, MS);
    assert_eq!(core.frame(PUB, mid("1"), key(), 2 * MS).targets, vec![(SessionId(2), mid("v"))]);
}

#[test]
fn a_new_publisher_replaces_the_old_and_viewers_wait_for_its_keyframe() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    core.frame(PUB, mid("1"), key(), MS);
    let new = SessionId(9);
    let out = core.add(new, publisher(), Duration::from_secs(1));
    assert_eq!(out, vec![RelayAction::Close { session: PUB, reason: CloseReason::Replaced }]);
    assert_eq!(core.publisher(), Some(new));
    core.track(new, mid("1"), MediaKind::Video, Duration::from_secs(1));
    core.connected(new, Duration::from_secs(1));
    assert!(core.frame(new, mid("1"), delta(), Duration::from_secs(2)).targets.is_empty());
    assert!(core.frame(PUB, mid("1"), key(), Duration::from_secs(2)).targets.is_empty(), "old publisher is gone");
}

#[test]
fn remove_cuts_one_viewer_only() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    join(&mut core, 3, Duration::ZERO);
    let out = core.remove_viewer(&ViewerId("viewer2".into()));
    assert_eq!(out, vec![RelayAction::Close { session: SessionId(2), reason: CloseReason::Removed }]);
    let route = core.frame(PUB, mid("1"), key(), MS);
    assert_eq!(route.targets, vec![(SessionId(3), mid("v"))]);
    assert_eq!(core.remove_viewer(&ViewerId("viewer2".into())), vec![], "already gone");
}

#[test]
fn the_same_viewer_playing_again_replaces_its_old_session() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    let out = core.add(SessionId(5), viewer("viewer2"), MS);
    assert_eq!(out, vec![RelayAction::Close { session: SessionId(2), reason: CloseReason::Replaced }]);
    assert_eq!(core.session_of(&ViewerId("viewer2".into())), Some(SessionId(5)));
    assert_eq!(core.viewer_count(), 1);
}

#[test]
fn sessions_that_never_connect_are_dropped_after_the_deadline() {
    let mut core = with_publisher();
    core.add(SessionId(2), viewer("slow"), Duration::ZERO);
    join(&mut core, 3, Duration::ZERO);
    assert_eq!(core.tick(CONNECT_DEADLINE - MS), vec![]);
    let out = core.tick(CONNECT_DEADLINE);
    assert_eq!(out, vec![RelayAction::Close { session: SessionId(2), reason: CloseReason::NeverConnected }]);
    assert_eq!(core.viewer_count(), 1);
}

#[test]
fn ending_the_live_closes_every_session() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    let mut closed: Vec<u64> = core
        .end_live()
        .into_iter()
        .map(|a| match a {
            RelayAction::Close { session, reason: CloseReason::LiveEnded } => session.0,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    closed.sort();
    assert_eq!(closed, vec![1, 2]);
    assert_eq!(core.session_count(), 0);
    assert_eq!(core.publisher(), None);
}

#[test]
fn frames_from_a_viewer_go_nowhere() {
    let mut core = with_publisher();
    join(&mut core, 2, Duration::ZERO);
    join(&mut core, 3, Duration::ZERO);
    assert_eq!(core.frame(SessionId(2), mid("v"), key(), MS), FrameRoute::default());
}

#[test]
fn only_the_publishing_admin_may_take_over_a_connected_publish() {
    let core = with_publisher();
    assert!(core.may_publish("admin"), "the same admin takes over (a reloaded studio)");
    assert!(!core.may_publish("alice"), "another admin would cut the live in progress");
    let mut waiting = RelayCore::new();
    assert!(waiting.may_publish("alice"), "nobody publishes yet");
    waiting.add(PUB, publisher(), Duration::ZERO);
    assert!(waiting.may_publish("alice"), "a publish that never connected holds nothing");
}

#[test]
fn the_newest_players_are_named_first_never_the_publisher() {
    let mut core = with_publisher();
    for (id, t) in [(2, 1), (3, 3), (4, 2)] {
        join(&mut core, id, Duration::from_secs(t));
    }
    assert_eq!(core.newest_players(2), vec![SessionId(3), SessionId(4)]);
    assert_eq!(core.newest_players(10).len(), 3);
}

#[test]
fn with_hundreds_of_viewers_keyframe_requests_are_spaced_further_apart() {
    let mut core = with_publisher();
    for id in 2..=300 {
        join(&mut core, id, Duration::ZERO);
    }
    core.frame(PUB, mid("1"), IncomingFrame { bytes: 50_000, ..key() }, MS);
    // A joiner makes 300 viewers: each request costs 300 × 50 KB = 15 MB, so 0.6 s apart.
    let t = Duration::from_secs(5);
    assert_eq!(join(&mut core, 400, t), vec![keyframe_request()]);
    assert_eq!(join(&mut core, 401, t + 200 * MS), vec![], "deferred past 100 ms");
    assert_eq!(core.next_keyframe_due(), Some(t + 600 * MS));
    assert_eq!(core.tick(t + 599 * MS), vec![]);
    assert_eq!(core.tick(t + 600 * MS), vec![keyframe_request()]);
}
