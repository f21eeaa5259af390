//! The media relay against the real server (`--relay on`): a str0m publisher over WHIP and
//! str0m viewers over WHEP on loopback. Every viewer gets every frame from a keyframe on, a
//! late joiner gets a keyframe at once, Remove and DELETE cut what they should and nothing
//! else, and bad input is refused in words while a running viewer keeps playing.

mod common;
// Shared with the ingest tests and the relay benchmark, which use parts this file does not.
#[allow(dead_code)]
mod relay_support;

use common::{http, sign_in, temp_path, wait_until, Client, Server};
use onair::server::config::Config;
use onair::server::media::engine::RelayLimits;
use onair::server::media::handle::RelayHandle;
use onair::server::media::mode::RelayMode;
use relay_support::{Encoder, Offer, StrClient, FRAME_GAP};
use serde_json::json;
use std::time::Duration;
use str0m::media::Direction;
use str0m::IceCreds;

const PASSWORD: &str = "relay-test-password";

async fn start() -> Server {
    let config = Config {
        relay: RelayMode::On,
        media_addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::for_tests(&temp_path("server"), PASSWORD)
    };
    Server::start_and_clean(config).await
}

fn relay(server: &Server) -> &RelayHandle {
    server.state.relay.as_ref().expect("the relay runs with --relay on")
}

fn sessions(server: &Server) -> u64 {
    relay(server).metrics().sessions.get() as u64
}

/// Waits until `viewer` has received the publisher's frame `seq`.
async fn until_received(viewer: &StrClient, seq: u32) {
    wait_until(|| viewer.log().last_received().is_some_and(|s| s >= seq)).await;
}

/// Waits until the publisher has written `n` more frames than now; the last one's number.
async fn frames_later(publisher: &StrClient, n: u32) -> u32 {
    let target = publisher.log().last_sent().map_or(n, |s| s + n);
    wait_until(|| publisher.log().last_sent().is_some_and(|s| s >= target)).await;
    target
}

/// The frames `viewer` should have from its first keyframe on, and the ones it got.
fn expected_and_received(publisher: &StrClient, viewer: &StrClient) -> (Vec<u32>, Vec<u32>) {
    let received: Vec<u32> = viewer.log().received.iter().map(|r| r.seq).collect();
    let first = *received.first().expect("the viewer received video");
    let expected = publisher.log().sent.iter().map(|(seq, _)| *seq).filter(|s| *s >= first).collect();
    (expected, received)
}

#[tokio::test]
async fn every_viewer_gets_every_frame_from_a_keyframe_on() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    // An encoder that ignores keyframe requests: viewers join mid-group and only the relay's
    // gating keeps the deltas before the next keyframe from them.
    let encoder = Encoder { keyframe_every: Some(10), answers_keyframe_requests: false };
    let publisher = StrClient::publish(&server, &cookie, encoder).await;
    frames_later(&publisher, 5).await;
    let mut viewers = Vec::new();
    for _ in 0..4 {
        viewers.push(StrClient::play(&server, "").await);
        // Joins spread over the group of pictures.
        tokio::time::sleep(FRAME_GAP * 3).await;
    }
    for v in &viewers {
        wait_until(|| !v.log().received.is_empty()).await;
    }
    let last = frames_later(&publisher, 30).await;
    publisher.set_sending(false);
    for (i, v) in viewers.iter().enumerate() {
        until_received(v, last).await;
        let log = v.log();
        assert!(log.received[0].keyframe, "viewer {i}'s first video frame is a keyframe: {:?}", log.received[0]);
        assert_eq!(log.corrupt, 0, "viewer {i} got frames as they were sent");
        assert!(log.audio_received > 0, "viewer {i} gets audio too");
        drop(log);
        let (expected, received) = expected_and_received(&publisher, v);
        assert_eq!(received, expected, "viewer {i} got every frame from its first keyframe on, in order");
    }
    // The publisher's encoder adapts to the relay's congestion feedback; players, whose
    // feedback the relay would only throw away, are not asked for any.
    let transport_cc = |sdp: &str| sdp.contains("transport-wide-cc");
    assert!(transport_cc(&publisher.answer), "the publisher's answer keeps transport-wide-cc");
    assert!(viewers.iter().all(|v| !transport_cc(&v.answer)), "players' answers leave transport-wide-cc out");
}

/// A relay with a browser-like publisher and one viewer that has had its first frame.
async fn publisher_and_playing_viewer() -> (Server, StrClient, StrClient) {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let viewer = StrClient::play(&server, "").await;
    wait_until(|| !viewer.log().received.is_empty()).await;
    (server, publisher, viewer)
}

#[tokio::test]
async fn a_burst_of_frames_does_not_end_a_viewers_session() {
    let (server, publisher, viewer) = publisher_and_playing_viewer().await;
    // More frames at once than str0m queues for one track between two timeouts (512): the
    // relay writes each to the viewer's session as it reads it, and must payload them all
    // before the next turn's frames, not one per turn.
    publisher.burst(1500);
    let after = frames_later(&publisher, 1510).await;
    until_received(&viewer, after).await;
    assert_eq!(viewer.log().ended, None, "the viewer's session is still up");
    assert_eq!(sessions(&server), 2, "the relay kept both sessions");
}

#[tokio::test]
async fn a_viewer_on_a_lossy_link_gets_the_lost_packets_again() {
    let (_server, publisher, viewer) = publisher_and_playing_viewer().await;
    // One datagram in 10 lost: str0m's player asks for each again (NACK), and the relay
    // answers from what it keeps of that viewer's stream.
    viewer.drop_every(10);
    let last = frames_later(&publisher, 60).await;
    publisher.set_sending(false);
    until_received(&viewer, last).await;
    let (expected, received) = expected_and_received(&publisher, &viewer);
    assert_eq!(received, expected, "every frame came, the lost packets resent");
    assert_eq!(viewer.log().corrupt, 0);
}

/// How long a joiner may wait for its first picture: the relay asks the publisher at once
/// (or within its throttle gap), and a browser answers with its next frame.
const KEYFRAME_WAIT: Duration = Duration::from_secs(1);

/// The joiner's first frame is a keyframe, within [`KEYFRAME_WAIT`] of its connection.
async fn first_picture_soon(viewer: &StrClient, who: &str) {
    wait_until(|| !viewer.log().received.is_empty()).await;
    let log = viewer.log();
    let first = log.received[0];
    assert!(first.keyframe, "{who}'s first video frame is a keyframe: {first:?}");
    let waited = first.at - log.connected_at.expect("connected before it received");
    assert!(waited < KEYFRAME_WAIT, "{who} waited {waited:?} for its first keyframe");
}

#[tokio::test]
async fn a_viewer_joining_mid_stream_gets_a_keyframe_within_a_second() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    // Like Chromium: one keyframe at the start, then only when asked.
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let first = StrClient::play(&server, "").await;
    first_picture_soon(&first, "the first viewer").await;
    // Long past any keyframe: only a request brings the next one.
    frames_later(&publisher, 40).await;
    let asked_before = publisher.log().keyframe_requests.len();
    let joiner = StrClient::play(&server, "").await;
    first_picture_soon(&joiner, "the joiner").await;
    assert!(publisher.log().keyframe_requests.len() > asked_before, "the relay asked the publisher");

    // Two joiners 50 ms apart: the second falls inside the throttle's gap, and its request
    // is deferred, not dropped.
    frames_later(&publisher, 10).await;
    let second = StrClient::play(&server, "").await;
    wait_until(|| second.log().connected_at.is_some()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = StrClient::play(&server, "").await;
    first_picture_soon(&second, "the second of the pair").await;
    first_picture_soon(&third, "the third of the pair").await;

    // Meanwhile the first viewer missed nothing.
    let last = frames_later(&publisher, 5).await;
    until_received(&first, last).await;
    let (expected, received) = expected_and_received(&publisher, &first);
    assert_eq!(received[..expected.len()], expected, "the first viewer got every frame");
}

#[tokio::test]
async fn remove_cuts_that_viewers_session_only() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let mut tied = Vec::new();
    for _ in 0..2 {
        let (ws, welcome) = Client::viewer_welcome(&server, None).await;
        let token: String =
            form_urlencoded::byte_serialize(welcome["resumeToken"].as_str().unwrap().as_bytes()).collect();
        let player = StrClient::play(&server, &format!("?viewer={token}")).await;
        first_picture_soon(&player, "a tied viewer").await;
        tied.push((ws, welcome["viewerId"].as_str().unwrap().to_owned(), token, player));
    }
    let (_kept_ws, _, _, kept) = tied.pop().unwrap();
    let (mut removed_ws, removed_id, removed_token, removed) = tied.pop().unwrap();
    assert_eq!(sessions(&server), 3);

    streamer.send(json!({"type": "removeViewer", "viewerId": removed_id})).await;
    assert_eq!(removed_ws.next_of("removed").await["type"], "removed");
    wait_until(|| sessions(&server) == 2).await;
    let cut = publisher.log().last_sent().unwrap();
    let later = frames_later(&publisher, 10).await;
    until_received(&kept, later).await;
    let after = removed.log().last_received().unwrap();
    assert!(after <= cut, "the removed viewer got frame {after}, written after its removal (at {cut})");
    let (expected, received) = expected_and_received(&publisher, &kept);
    assert_eq!(received[..expected.len()], expected, "the other viewer missed nothing");
    // Nor can the removed viewer come back through the relay on its own.
    let refused = StrClient::try_play(&server, &format!("?viewer={removed_token}")).await.err().unwrap();
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("not connected to this live"), "{}", refused.body);
}

#[tokio::test]
async fn delete_ends_the_publish() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let viewer = StrClient::play(&server, "").await;
    first_picture_soon(&viewer, "the viewer").await;
    frames_later(&publisher, 5).await;

    let res = http().delete(server.url(&publisher.location)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cut = publisher.log().last_sent().unwrap();
    // Ten more frames' time: whatever the publisher still sends goes nowhere.
    tokio::time::sleep(FRAME_GAP * 10).await;
    let last = viewer.log().last_received().unwrap();
    assert!(last <= cut, "the viewer got frame {last}, sent after the publish ended (at {cut})");
    assert_eq!(sessions(&server), 1, "the viewer's session stays for the next publish");

    let again = http().delete(server.url(&publisher.location)).send().await.unwrap();
    assert_eq!(again.status(), 404);
    assert!(again.text().await.unwrap().contains("no such session"));

    // The next publish reaches the waiting viewer, from a keyframe of the new encoder.
    drop(publisher);
    let next = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let received_before = viewer.log().received.len();
    let last = frames_later(&next, 10).await;
    wait_until(|| viewer.log().received.last().is_some_and(|r| r.seq == last)).await;
    let log = viewer.log();
    let fresh = &log.received[received_before..];
    assert!(fresh[0].keyframe, "the new publisher's first frame to the viewer is a keyframe: {:?}", fresh[0]);
}

/// A `POST`'s status and body.
async fn post(server: &Server, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let res = http().post(server.url(path)).header("content-type", content_type).body(body).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A trickled candidate, as a client sends it in `PATCH`.
const CANDIDATE: &str = "a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n";

async fn patch(server: &Server, path: &str, if_match: &str) -> (u16, String) {
    patch_with(server, path, if_match, CANDIDATE).await
}

async fn patch_with(server: &Server, path: &str, if_match: &str, fragment: &str) -> (u16, String) {
    let res = http()
        .patch(server.url(path))
        .header("content-type", "application/trickle-ice-sdpfrag")
        .header("if-match", if_match)
        .body(fragment.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn assert_refused((status, body): (u16, String), expected: u16, words: &str) {
    assert_eq!(status, expected, "{body}");
    assert!(body.contains(words), "{expected} says {words:?}: {body}");
}

#[tokio::test]
async fn bad_input_is_refused_in_words_and_a_running_viewer_keeps_playing() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let viewer = StrClient::play(&server, "").await;
    first_picture_soon(&viewer, "the viewer").await;
    let sdp = "application/sdp";

    assert_refused(post(&server, "/whep", sdp, "v=0\r\nthis is not SDP").await, 400, "not a valid SDP offer");
    let mut data_only = str0m::Rtc::builder().build(std::time::Instant::now());
    let mut api = data_only.sdp_api();
    api.add_channel("chat".into());
    let (offer, _) = api.apply().unwrap();
    assert_refused(post(&server, "/whep", sdp, offer.to_sdp_string()).await, 400, "no audio or video");
    let good = Offer::new(Direction::RecvOnly).await.sdp;
    assert_refused(post(&server, "/whep", "text/plain", good.clone()).await, 415, "send the body as application/sdp");
    let huge = format!("{good}{}", "a=x-padding\r\n".repeat(6000));
    assert_refused(post(&server, "/whep", sdp, huge).await, 413, "over 64 KiB");
    assert_refused(post(&server, "/whip", sdp, good.clone()).await, 401, "sign in as an admin");
    assert_refused(post(&server, "/whep?viewer=nobody.00", sdp, good.clone()).await, 403, "not connected");

    assert_refused(patch(&server, "/whep/no-such-session", "*").await, 404, "no such session");
    let res = http().delete(server.url("/whep/no-such-session")).send().await.unwrap();
    assert_refused((res.status().as_u16(), res.text().await.unwrap()), 404, "no such session");
    let wrong_direction = viewer.location.replace("/whep/", "/whip/");
    assert_refused(patch(&server, &wrong_direction, "*").await, 404, "no such session");
    assert_refused(patch(&server, &viewer.location, "\"stale\"").await, 412, "ETag");
    assert_eq!(patch(&server, &viewer.location, &viewer.etag).await.0, 204, "the right ETag is accepted");
    // Refused restarts leave the running ICE session as it was (RFC 9725 §4.4.2).
    let no_password = format!("a=ice-ufrag:another\r\n{CANDIDATE}");
    assert_refused(patch_with(&server, &viewer.location, "*", &no_password).await, 400, "no a=ice-pwd");
    let short_password = format!("a=ice-ufrag:another\r\na=ice-pwd:short\r\n{CANDIDATE}");
    assert_refused(patch_with(&server, &viewer.location, "*", &short_password).await, 400, "a=ice-pwd is not");
    let restart = format!("a=ice-ufrag:another\r\na=ice-pwd:anotherpasswordofsomelength\r\n{CANDIDATE}");
    assert_refused(patch_with(&server, &viewer.location, &viewer.etag, &restart).await, 428, "If-Match: *");

    // Garbage datagrams, from a stranger and from the viewer's own address.
    let relay_addr = relay(&server).local_addr();
    let dropped_before = relay(&server).metrics().dropped_in.get();
    let stranger = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let garbage: Vec<Vec<u8>> = vec![
        vec![0; 20],                                                  // STUN-looking
        vec![0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42],         // truncated binding request
        vec![22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4], // DTLS-looking
        vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 9, 9],        // RTP-looking
        vec![0x81, 200, 0, 1, 0, 0, 0, 1],                            // RTCP-looking
        vec![0xff; 1200],
    ];
    for g in &garbage {
        stranger.send_to(g, relay_addr).await.unwrap();
        viewer.send_raw(g.clone());
    }
    wait_until(|| relay(&server).metrics().dropped_in.get() >= dropped_before + garbage.len() as u64).await;

    // A flood of sessions from one address ends at the per-address limit.
    let mut flood = 0;
    let refusal = loop {
        let (status, body) = post(&server, "/whep", sdp, good.clone()).await;
        if status != 201 {
            break (status, body);
        }
        flood += 1;
        assert!(flood <= 100, "no limit on sessions from one address");
    };
    assert_refused(refusal, 429, "too many relay sessions from one address");
    let again = http().post(server.url("/whep")).header("Content-Type", sdp).body(good.clone()).send().await.unwrap();
    assert_eq!(again.status(), 429);
    assert_eq!(again.headers()["retry-after"], "5", "says when to try again");
    assert!(again.headers()["access-control-expose-headers"].to_str().unwrap().contains("Retry-After"));
    let from_here = flood + 2; // with the publisher and the viewer
    assert_eq!(from_here, RelayLimits::default().max_sessions_per_ip, "the limit is the configured one");

    // Through all of it the viewer kept playing, without a gap.
    let last = frames_later(&publisher, 10).await;
    until_received(&viewer, last).await;
    let (expected, received) = expected_and_received(&publisher, &viewer);
    assert_eq!(received[..expected.len()], expected, "the viewer got every frame");
    assert_eq!(viewer.log().corrupt, 0);
    assert_eq!(viewer.log().ended, None, "the viewer's connection is up");
}

/// A `PATCH`'s status, `Content-Type`, `ETag` and body.
async fn patch_full(server: &Server, path: &str, if_match: &str, fragment: String) -> (u16, String, String, String) {
    let res = http()
        .patch(server.url(path))
        .header("content-type", "application/trickle-ice-sdpfrag")
        .header("if-match", if_match)
        .body(fragment)
        .send()
        .await
        .unwrap();
    let header = |name: &str| res.headers().get(name).map_or("", |v| v.to_str().unwrap()).to_owned();
    let (content_type, etag) = (header("content-type"), header("etag"));
    (res.status().as_u16(), content_type, etag, res.text().await.unwrap())
}

/// The value of the first `a=NAME:` line.
fn attribute<'a>(sdp: &'a str, name: &str) -> &'a str {
    sdp.lines().find_map(|l| l.strip_prefix(&format!("a={name}:"))).unwrap_or_else(|| panic!("no a={name} in {sdp}"))
}

/// Sends a signed STUN binding check from a fresh socket, as a peer checking a new path
/// would; whether the relay answered it (with a success) `within` this long.
async fn relay_answers_check(server: &Server, relay_creds: &IceCreds, peer_ufrag: &str, within: Duration) -> bool {
    use onair::server::media::demux::sha1_hmac;
    use str0m::ice::{StunMessage, TransId};
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let username = format!("{}:{peer_ufrag}", relay_creds.ufrag);
    // No USE-CANDIDATE: the viewer's media stays on its own path.
    let check = StunMessage::binding_request(&username, TransId::new(), true, 7, 1234, false);
    let mut packet = vec![0u8; 1500];
    let n = check.to_bytes(Some(relay_creds.pass.as_bytes()), &mut packet, sha1_hmac).unwrap();
    socket.send_to(&packet[..n], relay(server).local_addr()).await.unwrap();
    let mut reply = vec![0u8; 1500];
    match tokio::time::timeout(within, socket.recv_from(&mut reply)).await {
        Ok(Ok((n, _))) => StunMessage::parse(&reply[..n]).is_ok_and(|m| m.is_successful_binding_response()),
        _ => false,
    }
}

#[tokio::test]
async fn an_ice_restart_over_patch_gives_new_credentials_and_the_viewer_keeps_playing() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let publisher = StrClient::publish(&server, &cookie, Encoder::BROWSER).await;
    let viewer = StrClient::play(&server, "").await;
    first_picture_soon(&viewer, "the viewer").await;
    let old_relay = IceCreds {
        ufrag: attribute(&viewer.answer, "ice-ufrag").to_owned(),
        pass: attribute(&viewer.answer, "ice-pwd").to_owned(),
    };

    let ours = IceCreds::new();
    let fragment = format!(
        "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n{CANDIDATE}",
        ours.ufrag, ours.pass
    );
    let (status, content_type, etag, body) = patch_full(&server, &viewer.location, "*", fragment).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/trickle-ice-sdpfrag");
    assert!(!etag.is_empty() && etag != viewer.etag, "a new ETag: {etag:?}");
    assert!(body.lines().any(|l| l == "a=ice-lite"), "{body}");
    let new_relay =
        IceCreds { ufrag: attribute(&body, "ice-ufrag").to_owned(), pass: attribute(&body, "ice-pwd").to_owned() };
    assert_ne!(new_relay, old_relay, "the relay's credentials changed");
    let announced = relay(&server).announced()[0];
    let candidate = attribute(&body, "candidate");
    assert!(candidate.contains(&format!("{} {} typ host", announced.ip(), announced.port())), "{body}");
    // Shaped like RFC 9725 §4.4.2's example: the answer's BUNDLE group and media sections,
    // the candidates under the first.
    let mids = |sdp: &str| sdp.lines().filter_map(|l| l.strip_prefix("a=mid:")).map(str::to_owned).collect::<Vec<_>>();
    assert!(!mids(&viewer.answer).is_empty());
    assert_eq!(mids(&body), mids(&viewer.answer), "{body}");
    assert_eq!(attribute(&body, "group"), attribute(&viewer.answer, "group"), "{body}");
    let sections: Vec<&str> = body.split("\r\nm=").collect();
    assert!(sections[1].contains("a=candidate:") && sections[1].contains("a=end-of-candidates"), "{body}");
    viewer.swap_ice_credentials(ours.clone(), new_relay.clone());

    // The old ETag names the ICE session that ended; the new one trickles.
    assert_refused(patch(&server, &viewer.location, &viewer.etag).await, 412, "ETag");
    assert_eq!(patch(&server, &viewer.location, &etag).await.0, 204, "the new ETag is accepted");

    // Checks with the new credentials reach the session; with the old ones nothing does.
    assert!(
        relay_answers_check(&server, &new_relay, &ours.ufrag, Duration::from_secs(5)).await,
        "the new credentials work"
    );
    let dropped_before = relay(&server).metrics().dropped_in.get();
    let old_ufrag = attribute(&viewer.answer, "ice-ufrag").to_owned();
    assert!(
        !relay_answers_check(&server, &old_relay, &old_ufrag, Duration::from_millis(500)).await,
        "the old credentials are gone"
    );
    assert!(relay(&server).metrics().dropped_in.get() > dropped_before, "the old name is dropped by the demux");

    // Media never stopped.
    let last = frames_later(&publisher, 10).await;
    until_received(&viewer, last).await;
    assert_eq!(viewer.log().ended, None, "the viewer's connection is up");
}

/// The message types a viewer gets within a second of joining.
async fn first_second_of(server: &Server) -> Vec<String> {
    let (mut viewer, _) = Client::viewer_welcome(server, None).await;
    let mut kinds = Vec::new();
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(1), viewer.next()).await {
        kinds.push(msg["type"].as_str().unwrap_or("").to_owned());
    }
    kinds
}

#[tokio::test]
async fn auto_never_moves_a_public_live_to_a_relay_its_viewers_cannot_reach() {
    let auto = |public_urls: Vec<String>| Config {
        relay: RelayMode::Auto,
        mesh_max_viewers: 0,
        media_addr: "127.0.0.1:0".parse().unwrap(),
        public_urls,
        ..Config::for_tests(&temp_path("auto"), PASSWORD)
    };
    // On a LAN (no public URL) the first viewer past the mesh limit moves the live.
    let lan = Server::start_and_clean(auto(Vec::new())).await;
    let _studio = Client::streamer(&lan, &sign_in(&lan).await).await;
    assert!(first_second_of(&lan).await.contains(&"useRelay".to_owned()));
    // Published as a public site while the relay announces only 127.0.0.1: stays peer to peer.
    let public = Server::start_and_clean(auto(vec!["https://live.example.com".into()])).await;
    let _studio = Client::streamer(&public, &sign_in(&public).await).await;
    let kinds = first_second_of(&public).await;
    assert!(kinds.contains(&"live".to_owned()) && !kinds.contains(&"useRelay".to_owned()), "{kinds:?}");
}
