//! Ingest from an external encoder against the real server (`--relay on`): ffmpeg's WHIP
//! muxer publishes with the admin's stream key, a str0m WHEP player receives its H.264, a
//! `studio` socket sees the encoder and its figures, End live and a key rotation end it, and
//! every refusal is in words.

mod common;
#[allow(dead_code)]
mod relay_support;

use common::{ffmpeg_for_whip, http, sign_in, temp_path, wait_until, Client, Server};
use onair::server::config::Config;
use onair::server::media::mode::RelayMode;
use relay_support::{Offer, StrClient};
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
    let child = Command::new(ffmpeg_for_whip())
        .args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000"])
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
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, c.ws.next()).await;
        match msg.unwrap_or_else(|_| panic!("no {kind} within 20 s")) {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == kind {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("socket closed while waiting for {kind}: {other:?}"),
        }
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
