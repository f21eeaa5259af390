//! Relaying between the streamer and viewers, role checks, viewer statistics and removal.

use super::support::*;
use crate::protocol::{ClientMessage, ErrorCode, SdpType, ServerMessage, Target, ViewerReport};
use crate::server::signaling::hub::{ConnId, HubEvent};
use std::time::Duration;

#[test]
fn offer_answer_and_candidates_are_routed_between_streamer_and_viewer() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    offer_to(&mut h, 10);

    let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) });
    assert_eq!(
        received(&out, ConnId(11)),
        vec![ServerMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) }]
    );
    assert!(received(&out, ConnId(10)).is_empty());

    let out = h.handle(
        ADMIN,
        ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: Some(vid(10)) },
    );
    assert_eq!(
        received(&out, ConnId(10)),
        vec![ServerMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: vid(10) }]
    );

    let out = h.handle(ConnId(11), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(11) }]);

    let out =
        h.handle(ConnId(10), ClientMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: None });
    assert_eq!(
        received(&out, ADMIN),
        vec![ServerMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: vid(10) }]
    );
}

#[test]
fn viewer_cannot_answer_for_another_viewer() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    offer_to(&mut h, 10);
    offer_to(&mut h, 11);
    let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: Some(vid(11)) });
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: vid(10) }]);
    let out = h.handle(
        ConnId(10),
        ClientMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: Some(vid(11)) },
    );
    assert!(matches!(&received(&out, ADMIN)[0], ServerMessage::Candidate { viewer_id, .. } if *viewer_id == vid(10)));
}

#[test]
fn viewer_cannot_reach_other_viewers_or_send_offers() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    let out = h.handle(ConnId(10), ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(11) });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
    assert!(received(&out, ConnId(11)).is_empty());
    let out = h.handle(
        ConnId(10),
        ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: Some(vid(11)) },
    );
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
    assert!(received(&out, ConnId(11)).is_empty());
}

#[test]
fn messages_before_registration_are_refused() {
    let mut h = hub();
    go_live(&mut h);
    h.connect(ConnId(3), vid(3), false, true);
    let out = h.handle(ConnId(3), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(error_code(&out, ConnId(3)), Some(ErrorCode::NotRegistered));
    assert!(received(&out, ADMIN).is_empty());
}

#[test]
fn streamer_errors_name_the_problem() {
    let mut h = hub();
    go_live(&mut h);
    let out = h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(99) });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
    let out = h.handle(ADMIN, ClientMessage::Candidate { candidate: cand(), target: Target::Viewer, viewer_id: None });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::InvalidMessage));
    let out = h.handle(ADMIN, ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
    let out = h.handle(ADMIN, ClientMessage::Viewer { name: None, resume_token: None });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
}

#[test]
fn answer_while_offline_says_so() {
    let mut h = hub();
    join_viewer(&mut h, 10);
    let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::NoStreamer));
}

fn report(fps: f64) -> ViewerReport {
    ViewerReport { fps: Some(fps), frames_decoded: Some(100), ..Default::default() }
}

#[test]
fn viewer_stats_reach_the_streamer_attributed_and_rate_capped() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    h.advance(Duration::from_secs(10));
    let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(30.0)));
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::ViewerStats { viewer_id: vid(10), report: report(30.0) }]);
    h.advance(Duration::from_millis(10_500));
    let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(29.0)));
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::RateLimited));
    assert!(received(&out, ADMIN).is_empty());
    h.advance(Duration::from_secs(12));
    let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(28.0)));
    assert_eq!(received(&out, ADMIN).len(), 1);
}

#[test]
fn implausible_or_misplaced_viewer_stats_are_refused() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let out = h.handle(ConnId(10), ClientMessage::ViewerStats(report(-1.0)));
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::InvalidMessage));
    let out = h.handle(ADMIN, ClientMessage::ViewerStats(report(30.0)));
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::WrongRole));
    h.connect(ConnId(3), vid(3), false, true);
    let out = h.handle(ConnId(3), ClientMessage::ViewerStats(report(30.0)));
    assert_eq!(error_code(&out, ConnId(3)), Some(ErrorCode::NotRegistered));
}

#[test]
fn removed_viewer_is_told_cannot_rejoin_this_live_but_can_the_next() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    let out = h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    assert_eq!(
        events(&out),
        vec![HubEvent::ViewerLeft { viewer_id: vid(10) }, HubEvent::ViewerRemoved { viewer_id: vid(10) }],
        "history sees a leave; the relay a removal"
    );
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Removed]);
    assert_eq!(received(&out, ADMIN), vec![ServerMessage::ViewerLeft { viewer_id: vid(10) }]);
    assert!(received(&out, ConnId(11)).is_empty());
    assert_eq!(h.status().viewers, 1);
    let out = h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
    let out = h.handle(ConnId(10), ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None });
    assert!(received(&out, ADMIN).is_empty(), "a removed viewer reaches no one");
    let out = h.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::UnknownViewer));
    let out = h.disconnect(ADMIN);
    assert_eq!(received(&out, ConnId(10)), vec![ServerMessage::Offline]);
    let out = h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None });
    assert!(matches!(received(&out, ConnId(10))[0], ServerMessage::Welcome { .. }));
    // Its socket closing later is not a second leave.
    let mut h2 = hub();
    go_live(&mut h2);
    join_viewer(&mut h2, 10);
    h2.handle(ADMIN, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    assert!(events(&h2.disconnect(ConnId(10))).is_empty());
}

#[test]
fn only_the_streamer_removes_viewers_or_reports_capacity() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    join_viewer(&mut h, 11);
    let out = h.handle(ConnId(10), ClientMessage::RemoveViewer { viewer_id: vid(11) });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
    assert!(received(&out, ConnId(11)).is_empty());
    let out = h.handle(ConnId(10), ClientMessage::Capacity { remaining: Some(0) });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
}

#[test]
fn viewer_may_answer_only_an_offer_it_was_sent_once() {
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let answer = || ClientMessage::Answer { answer: sdp(SdpType::Answer), viewer_id: None };
    let out = h.handle(ConnId(10), answer());
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::OutOfTurn));
    assert!(received(&out, ADMIN).is_empty(), "an unsolicited answer reaches no one");
    offer_to(&mut h, 10);
    assert_eq!(received(&h.handle(ConnId(10), answer()), ADMIN).len(), 1);
    let out = h.handle(ConnId(10), answer());
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::OutOfTurn), "one answer per offer");
    assert!(received(&out, ADMIN).is_empty());
    // An offer to another viewer is no licence for this one.
    join_viewer(&mut h, 11);
    offer_to(&mut h, 11);
    assert_eq!(error_code(&h.handle(ConnId(10), answer()), ConnId(10)), Some(ErrorCode::OutOfTurn));
}

#[test]
fn viewer_candidates_are_capped_per_negotiation() {
    use crate::server::signaling::hub::CANDIDATES_PER_NEGOTIATION;
    let mut h = hub();
    go_live(&mut h);
    join_viewer(&mut h, 10);
    let candidate = || ClientMessage::Candidate { candidate: cand(), target: Target::Streamer, viewer_id: None };
    assert_eq!(error_code(&h.handle(ConnId(10), candidate()), ConnId(10)), Some(ErrorCode::OutOfTurn));
    offer_to(&mut h, 10);
    for n in 0..CANDIDATES_PER_NEGOTIATION {
        assert_eq!(received(&h.handle(ConnId(10), candidate()), ADMIN).len(), 1, "candidate {n}");
    }
    let out = h.handle(ConnId(10), candidate());
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::OutOfTurn));
    assert!(received(&out, ADMIN).is_empty());
    // An ICE restart is a new negotiation.
    offer_to(&mut h, 10);
    assert_eq!(received(&h.handle(ConnId(10), candidate()), ADMIN).len(), 1);
}
