//! Ingest from an external encoder against the real server (`--relay on`): ffmpeg's WHIP
//! muxer publishes with the admin's stream key, a str0m WHEP player receives its H.264, a
//! `studio` socket sees the encoder and its figures, End live and a key rotation end it, and
//! every refusal is in words.

mod common;
#[allow(dead_code)]
mod relay_support;

use common::{ffmpeg_for_whip, http, sign_in, temp_path, wait_until, Client, Server};
use onair::server::clock::now_ms;
use onair::server::config::Config;
use onair::server::media::mode::RelayMode;
use relay_support::{Encoder, Offer, StrClient};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use str0m::format::Codec;

const PASSWORD: &str = "ingest-test-password";

async fn start() -> Server {
    let config = Config {
        relay: RelayMode::On,
        media_addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::for_tests(&temp_path("server"), PASSWORD)
    };
    Server::start_and_clean(config).await
}

/// The signed-in admin's stream key, from the studio's API.
async fn stream_key(server: &Server, cookie: &str) -> Value {
    let res = http().get(server.url("/api/stream-key")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

/// An ffmpeg process, killed when dropped (a failed assertion must not leave it running).
struct Ffmpeg(Child);

impl Drop for Ffmpeg {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// ffmpeg publishing a 640x360 test pattern with a tone to the server's `/whip` with `key`.
fn ffmpeg(server: &Server, key: &str) -> Ffmpeg {
    ffmpeg_sized(server, key, "640x360")
}

/// [`ffmpeg`] with pictures of this size (`WIDTHxHEIGHT`), to tell two encoders apart.
fn ffmpeg_sized(server: &Server, key: &str, size: &str) -> Ffmpeg {
    let pattern = format!("testsrc=size={size}:rate=30");
    let child = Command::new(ffmpeg_for_whip())
        .args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", &pattern, "-f", "lavfi", "-i", "sine=sample_rate=48000"])
        .args(["-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "30"])
        .args(["-c:a", "libopus", "-ac", "2", "-ar", "48000", "-f", "whip", "-authorization", key])
        .arg(server.url("/whip"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("ffmpeg starts");
    Ffmpeg(child)
}

async fn studio(server: &Server, cookie: &str) -> Client {
    let mut c = Client::connect(server, Some(cookie)).await;
    c.send(json!({"type": "studio"})).await;
    c
}

/// Waits (longer than the usual 5 s: ffmpeg starts, connects and sends a keyframe) for a
/// message of type `kind`, skipping others.
async fn next_slowly(c: &mut Client, kind: &str) -> Value {
    next_within(c, kind, Duration::from_secs(20), &[]).await
}

/// The next message of type `kind` within `wait`, failing on any of type `never` before it.
async fn next_within(c: &mut Client, kind: &str, wait: Duration, never: &[&str]) -> Value {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, c.ws.next()).await;
        match msg.unwrap_or_else(|_| panic!("no {kind} within {wait:?}")) {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert!(!never.iter().any(|n| v["type"] == *n), "{v} while waiting for {kind}");
                if v["type"] == kind {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("socket closed while waiting for {kind}: {other:?}"),
        }
    }
}

/// Polls `cond` for up to `wait` (ffmpeg's pace, not the harness's 5 s).
async fn wait_long(wait: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + wait;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {wait:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post_whip(server: &Server, auth: Option<&str>, content_type: &str, body: &str) -> (u16, String) {
    let mut req = http().post(server.url("/whip")).header("content-type", content_type).body(body.to_owned());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn ffmpeg_publishes_a_player_receives_it_and_the_studio_ends_it() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let key = stream_key(&server, &cookie).await;
    assert_eq!(key["whipUrl"], server.url("/whip"));
    let key = key["streamKey"].as_str().unwrap().to_owned();
    let mut desk = studio(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let _encoder = ffmpeg(&server, &key);

    let ingest = next_slowly(&mut desk, "ingest").await;
    assert_eq!(ingest, json!({"type": "ingest", "client": "ffmpeg", "codec": "H264"}));
    viewer.next_of("live").await;
    assert!(viewer.next_of("useRelay").await["reason"].as_str().unwrap().contains("ffmpeg"));

    // An outside WHEP player gets H.264 from a keyframe on.
    let player = StrClient::play(&server, "").await;
    wait_until(|| player.log().foreign.len() >= 10).await;
    let frames = player.log().foreign.clone();
    assert!(frames.iter().all(|(codec, _)| *codec == Codec::H264), "{frames:?}");
    assert!(frames[0].1, "the first frame a player gets is a keyframe");

    let stats = loop {
        let s = next_slowly(&mut desk, "ingestStats").await;
        if s["width"] != 0 {
            break s;
        }
    };
    assert_eq!((stats["width"].as_u64(), stats["height"].as_u64()), (Some(640), Some(360)), "{stats}");
    assert_eq!(stats["codec"], "H264");
    assert!(stats["bitrateKbps"].as_f64().unwrap() > 0.0 && stats["framesPerSecond"].as_f64().unwrap() > 0.0);

    // A player that cannot decode H.264 is told so.
    let refused = StrClient::try_play_offer(&server, "", Offer::vp8_only().await).await.err().expect("refused");
    assert_eq!(refused.status, 406);
    assert!(refused.body.contains("H.264"), "{}", refused.body);

    // The browser studio cannot go live over it, nor publish to the relay.
    let mut tab = Client::connect(&server, Some(&cookie)).await;
    tab.send(json!({"type": "streamer"})).await;
    let error = tab.next_of("error").await;
    assert_eq!(error["code"], "external_live");
    assert_eq!(error["message"], "ffmpeg is live on this server; end that live first");
    let offer = Offer::new(str0m::media::Direction::SendOnly).await;
    let res = http()
        .post(server.url("/whip"))
        .header("cookie", &cookie)
        .header("content-type", "application/sdp")
        .body(offer.sdp.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    desk.send(json!({"type": "endLive"})).await;
    assert!(desk.next_of("ingestEnded").await["reason"].as_str().unwrap().contains("End live"));
    viewer.next_of("offline").await;
    let relay = server.state.relay.as_ref().unwrap();
    wait_until(|| relay.metrics().sessions.get() <= 1).await; // the player's session may linger
}

#[tokio::test]
async fn a_rotated_key_ends_its_live_and_stops_working() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let old = stream_key(&server, &cookie).await["streamKey"].as_str().unwrap().to_owned();
    let mut desk = studio(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let _encoder = ffmpeg(&server, &old);
    next_slowly(&mut desk, "ingest").await;
    viewer.next_of("live").await;

    let res = http().post(server.url("/api/stream-key/rotate")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let new: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_ne!(new["streamKey"].as_str().unwrap(), old);
    assert!(desk.next_of("ingestEnded").await["reason"].as_str().unwrap().contains("rotated"));
    viewer.next_of("offline").await;
    let (status, _) = post_whip(&server, Some(&format!("Bearer {old}")), "application/sdp", "v=0\r\n").await;
    assert_eq!(status, 401, "the old key is refused");
}

#[tokio::test]
async fn every_refusal_is_in_words() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let key = stream_key(&server, &cookie).await["streamKey"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {key}");
    let offer = Offer::new(str0m::media::Direction::SendOnly).await.sdp;

    let (wrong, wrong_body) = post_whip(&server, Some("Bearer not-the-key"), "application/sdp", &offer).await;
    let (missing, missing_body) = post_whip(&server, None, "application/sdp", &offer).await;
    assert_eq!((wrong, missing), (401, 401));
    assert_eq!(wrong_body, missing_body, "a wrong key and none get the same answer");
    assert!(wrong_body.contains("stream key"), "{wrong_body}");

    let (status, body) = post_whip(&server, Some(&bearer), "text/plain", &offer).await;
    assert_eq!(status, 415, "{body}");
    let (status, body) = post_whip(&server, Some(&bearer), "application/sdp", "this is not SDP").await;
    assert_eq!(status, 400);
    assert!(body.contains("SDP"), "{body}");
    for method in [reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let res = http()
            .request(method.clone(), server.url("/whip/no-such-session"))
            .header("content-type", "application/trickle-ice-sdpfrag")
            .body("a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{method}");
    }

    // While the browser studio is live, an encoder is refused: one live at a time.
    let _tab = Client::streamer(&server, &cookie).await;
    let (status, body) = post_whip(&server, Some(&bearer), "application/sdp", &offer).await;
    assert_eq!(status, 409);
    assert!(body.contains("end that live first"), "{body}");
}

#[tokio::test]
async fn the_stream_key_api_needs_an_admin_and_rotation_the_same_origin() {
    let server = start().await;
    let res = http().get(server.url("/api/stream-key")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let cookie = sign_in(&server).await;
    let res = http()
        .post(server.url("/api/stream-key/rotate"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn end_live_closes_the_encoders_session_and_forgets_its_location() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let key = stream_key(&server, &cookie).await["streamKey"].as_str().unwrap().to_owned();
    let mut desk = studio(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let encoder = StrClient::publish_with_key(&server, &key, Encoder::BROWSER).await;
    next_slowly(&mut desk, "ingest").await;
    viewer.next_of("live").await;

    desk.send(json!({"type": "endLive"})).await;
    desk.next_of("ingestEnded").await;
    viewer.next_of("offline").await;
    // The relay said goodbye (DTLS close_notify) instead of going silent: the encoder knows at
    // once, not after its own timeout.
    wait_until(|| encoder.log().closed_by_relay).await;
    let delete = http().delete(server.url(&encoder.location)).send().await.unwrap();
    assert_eq!(delete.status(), 404, "the ended session's Location is gone");
    let patch = http()
        .patch(server.url(&encoder.location))
        .header("content-type", "application/trickle-ice-sdpfrag")
        .header("if-match", &encoder.etag)
        .body("a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 404);
}

#[tokio::test]
async fn the_same_key_takes_over_its_own_live_and_viewers_never_go_offline() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let key = stream_key(&server, &cookie).await["streamKey"].as_str().unwrap().to_owned();
    let mut desk = studio(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let _first = ffmpeg_sized(&server, &key, "640x360");
    next_slowly(&mut desk, "ingest").await;
    viewer.next_of("live").await;
    let player = StrClient::play(&server, "").await;
    wait_until(|| player.log().foreign_keyframe_sizes.contains(&(640, 360))).await;
    let relay = server.state.relay.as_ref().unwrap();
    assert_eq!(relay.metrics().sessions.get(), 2, "the first encoder and the player");

    // The same key again (an encoder reconnecting, or a second one started by mistake).
    let _second = ffmpeg_sized(&server, &key, "320x240");
    let ingest = next_within(&mut desk, "ingest", Duration::from_secs(20), &["ingestEnded"]).await;
    assert_eq!(ingest["client"], "ffmpeg");
    wait_long(Duration::from_secs(20), "the player gets the second encoder's pictures", || {
        player.log().foreign_keyframe_sizes.contains(&(320, 240))
    })
    .await;
    wait_until(|| relay.metrics().sessions.get() == 2).await; // the first one's session is closed
    let stats = loop {
        let s = next_within(&mut desk, "ingestStats", Duration::from_secs(5), &["ingestEnded"]).await;
        if s["width"] == 320 {
            break s;
        }
    };
    assert_eq!(stats["height"], 240);
    // Viewers stayed in the live the whole time: nothing but figures came to them.
    let seen = drain(&mut viewer).await;
    assert!(
        !seen.iter().any(|m| ["offline", "streamerLost", "live"].contains(&m["type"].as_str().unwrap_or(""))),
        "{seen:?}"
    );
    let lives = server.state.history.lives(100, now_ms()).unwrap();
    assert_eq!(lives.len(), 1, "one live in the history, not two");
    assert_eq!(lives[0].ended_at, None);
}

#[tokio::test]
async fn an_encoder_killed_without_a_delete_ends_its_live_once_ice_times_out() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let key = stream_key(&server, &cookie).await["streamKey"].as_str().unwrap().to_owned();
    let mut desk = studio(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let mut encoder = ffmpeg(&server, &key);
    next_slowly(&mut desk, "ingest").await;
    viewer.next_of("live").await;
    wait_long(Duration::from_secs(10), "the live is in the history", || {
        server.state.history.lives(100, now_ms()).unwrap().len() == 1
    })
    .await;

    encoder.0.kill().unwrap(); // SIGKILL: no DELETE, no goodbye
                               // The relay is ICE-lite: it notices the silence after str0m's 15 s without a consent check.
    let ended = next_within(&mut desk, "ingestEnded", Duration::from_secs(30), &[]).await;
    let reason = ended["reason"].as_str().unwrap();
    assert!(reason.contains("connection was lost"), "{reason}");
    next_within(&mut viewer, "offline", Duration::from_secs(5), &[]).await;
    wait_until(|| server.state.history.lives(100, now_ms()).unwrap()[0].ended_at.is_some()).await;
    assert_eq!(server.state.relay.as_ref().unwrap().metrics().sessions.get(), 0);
}

/// Every message that comes within a short while (the socket stays open).
async fn drain(c: &mut Client) -> Vec<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut seen = Vec::new();
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), c.ws.next()).await {
        if let Message::Text(t) = msg {
            seen.push(serde_json::from_str(&t).unwrap());
        }
    }
    seen
}
