use super::support::*;
use crate::protocol::{ClientMessage, ErrorCode, IngestReport, ServerMessage, VideoCodec};
use crate::server::signaling::hub::{ConnId, Hub, HubEvent};

const STUDIO: ConnId = ConnId(2);

fn studio(h: &mut Hub) -> Vec<ServerMessage> {
    h.connect(STUDIO, vid(2), true, true);
    received(&h.handle(STUDIO, ClientMessage::Studio), STUDIO)
}

fn encoder_live(h: &mut Hub) -> crate::server::signaling::hub::Outbox {
    h.external_live_started("ffmpeg".into(), VideoCodec::H264)
}

fn report() -> IngestReport {
    IngestReport {
        bitrate_kbps: 1000.0,
        frames_per_second: 30.0,
        width: 640,
        height: 360,
        codec: VideoCodec::H264,
        packet_loss: 0.0,
    }
}

#[test]
fn viewers_of_an_external_live_get_live_and_play_from_the_relay() {
    let mut h = hub();
    join_viewer(&mut h, 10);
    let out = encoder_live(&mut h);
    let got = received(&out, ConnId(10));
    assert_eq!(got[0], ServerMessage::Live);
    assert!(matches!(&got[1], ServerMessage::UseRelay { reason } if reason.contains("ffmpeg")));
    assert_eq!(events(&out), vec![HubEvent::ExternalLiveStarted { client: "ffmpeg".into() }]);
    assert!(h.status().live);
    let got = received(&join_viewer(&mut h, 11), ConnId(11));
    assert!(got.contains(&ServerMessage::Live));
    assert!(got.iter().any(|m| matches!(m, ServerMessage::UseRelay { .. })), "a joiner plays from the relay");
}

#[test]
fn a_studio_socket_is_told_of_the_encoder_and_gets_the_viewer_rows() {
    let mut h = hub();
    assert_eq!(studio(&mut h), vec![], "nothing is live");
    let out = encoder_live(&mut h);
    assert_eq!(
        received(&out, STUDIO),
        vec![ServerMessage::Ingest { client: "ffmpeg".into(), codec: VideoCodec::H264 }]
    );
    let out = join_viewer(&mut h, 10);
    assert!(received(&out, STUDIO).contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
    assert_eq!(received(&h.ingest_stats(report()), STUDIO), vec![ServerMessage::IngestStats(report())]);
    // A studio opened during the live hears of it, and of the viewers, at once.
    h.connect(ConnId(3), vid(3), true, true);
    let late = received(&h.handle(ConnId(3), ClientMessage::Studio), ConnId(3));
    assert_eq!(late[0], ServerMessage::Ingest { client: "ffmpeg".into(), codec: VideoCodec::H264 });
    assert!(late.contains(&ServerMessage::NewViewer { viewer_id: vid(10), name: None }));
    let out = h.handle(ConnId(10), ClientMessage::Viewer { name: None, resume_token: None });
    assert_eq!(error_code(&out, ConnId(10)), Some(ErrorCode::WrongRole));
}

#[test]
fn only_an_admin_opens_the_studio() {
    let mut h = hub();
    h.connect(ConnId(5), vid(5), false, true);
    assert_eq!(error_code(&h.handle(ConnId(5), ClientMessage::Studio), ConnId(5)), Some(ErrorCode::Unauthorized));
}

#[test]
fn end_live_ends_the_external_live_and_asks_the_relay_to_delete_it() {
    let mut h = hub();
    studio(&mut h);
    join_viewer(&mut h, 10);
    encoder_live(&mut h);
    let out = h.handle(STUDIO, ClientMessage::EndLive);
    assert!(received(&out, ConnId(10)).contains(&ServerMessage::Offline));
    assert!(matches!(&received(&out, STUDIO)[0], ServerMessage::IngestEnded { .. }));
    assert_eq!(events(&out), vec![HubEvent::LiveEnded, HubEvent::IngestEndRequested]);
    assert!(!h.status().live);
    assert_eq!(error_code(&h.handle(STUDIO, ClientMessage::EndLive), STUDIO), Some(ErrorCode::NotLive));
    assert_eq!(h.external_live_ended("again"), vec![], "the relay's own report of the end changes nothing");
}

#[test]
fn the_browser_studio_cannot_go_live_over_an_external_live() {
    let mut h = hub();
    encoder_live(&mut h);
    let out = go_live(&mut h);
    assert_eq!(error_code(&out, ADMIN), Some(ErrorCode::ExternalLive));
    let ServerMessage::Error { message, .. } = &received(&out, ADMIN)[0] else { panic!() };
    assert_eq!(message, "ffmpeg is live on this server; end that live first");
    assert!(!h.browser_live());
}

#[test]
fn the_same_encoder_reconnecting_is_the_same_live() {
    let mut h = hub();
    studio(&mut h);
    join_viewer(&mut h, 10);
    encoder_live(&mut h);
    let out = encoder_live(&mut h);
    assert_eq!(events(&out), vec![], "not a new live");
    assert_eq!(received(&out, ConnId(10)), vec![], "viewers keep playing");
    assert_eq!(received(&out, STUDIO).len(), 1, "the studio hears it again");
}

#[test]
fn removing_a_viewer_works_from_the_studio() {
    let mut h = hub();
    studio(&mut h);
    join_viewer(&mut h, 10);
    encoder_live(&mut h);
    let out = h.handle(STUDIO, ClientMessage::RemoveViewer { viewer_id: vid(10) });
    assert!(received(&out, ConnId(10)).contains(&ServerMessage::Removed));
    assert!(received(&out, STUDIO).contains(&ServerMessage::ViewerLeft { viewer_id: vid(10) }));
}
