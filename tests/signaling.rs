//! The real server on an ephemeral port, driven by real WebSocket and HTTP clients.

mod common;

use common::{candidate, http, sdp, sign_in, temp_path, wait_until, Client, Server};
use futures_util::SinkExt;
use onair::server::config::Config;
use onair::server::signaling::hub::ViewerCap;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "integration-test-password";

async fn start() -> Server {
    start_with(ViewerCap::Unlimited).await
}

async fn start_with(max_viewers: ViewerCap) -> Server {
    Server::start_and_clean(config(&temp_path("server"), max_viewers)).await
}

/// A server on an existing data folder: what a restarted server finds.
async fn start_in(data_dir: &Path, max_viewers: ViewerCap) -> Server {
    Server::start(config(data_dir, max_viewers)).await
}

fn config(data_dir: &Path, max_viewers: ViewerCap) -> Config {
    Config { max_viewers, ..Config::for_tests(data_dir, PASSWORD) }
}

#[tokio::test]
async fn streamer_and_three_viewers_negotiate_through_the_server() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;

    let mut viewers = Vec::new();
    for name in ["ann", "bob", "cyd"] {
        let (mut v, id) = Client::viewer(&server, Some(name)).await;
        assert_eq!(v.next_of("live").await["type"], "live");
        let announced = streamer.next_of("newViewer").await;
        assert_eq!(announced["viewerId"], id.as_str());
        assert_eq!(announced["name"], name);
        viewers.push((v, id));
    }
    let ids: Vec<&String> = viewers.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "ids are unique");
    assert!(ids.iter().all(|id| id.len() >= 32), "ids are long enough not to be guessed");

    for (i, (v, id)) in viewers.iter_mut().enumerate() {
        let offer = sdp("offer", &format!("offer-for-{i}"));
        streamer.send(json!({"type": "offer", "offer": offer, "viewerId": id})).await;
        streamer
            .send(json!({"type": "candidate", "candidate": candidate(i as u32), "target": "viewer", "viewerId": id}))
            .await;
        let got = v.next_of("offer").await;
        assert_eq!(got["offer"]["sdp"], format!("offer-for-{i}"));
        let got = v.next_of("candidate").await;
        assert_eq!(got["candidate"], candidate(i as u32));
        assert_eq!(got["target"], "viewer");

        v.send(json!({"type": "answer", "answer": sdp("answer", &format!("answer-from-{i}"))})).await;
        v.send(json!({"type": "candidate", "candidate": candidate(100 + i as u32), "target": "streamer"})).await;
        let got = streamer.next_of("answer").await;
        assert_eq!(got["viewerId"], id.as_str());
        assert_eq!(got["answer"]["sdp"], format!("answer-from-{i}"));
        let got = streamer.next_of("candidate").await;
        assert_eq!(got["viewerId"], id.as_str());
        assert_eq!(got["target"], "streamer");
    }

    // The coalesced count reaches everyone.
    loop {
        if streamer.next_of("viewerCount").await["count"] == 3 {
            break;
        }
    }
    assert_eq!(server.state.signaling.status().viewers, 3);
}

#[tokio::test]
async fn a_viewer_cannot_speak_for_another_viewer_or_act_as_streamer() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut mallory, mallory_id) = Client::viewer(&server, None).await;
    let (mut victim, victim_id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    streamer.next_of("newViewer").await;

    // An answer claiming the victim's id is attributed to its real sender.
    for (viewer, id) in [(&mut mallory, &mallory_id), (&mut victim, &victim_id)] {
        streamer.send(json!({"type": "offer", "offer": sdp("offer", "o"), "viewerId": id})).await;
        viewer.next_of("offer").await;
    }
    mallory.send(json!({"type": "answer", "answer": sdp("answer", "x"), "viewerId": victim_id})).await;
    assert_eq!(streamer.next_of("answer").await["viewerId"], mallory_id.as_str());
    mallory
        .send(json!({"type": "candidate", "candidate": candidate(1), "target": "streamer", "viewerId": victim_id}))
        .await;
    assert_eq!(streamer.next_of("candidate").await["viewerId"], mallory_id.as_str());

    // Viewers cannot address each other or take the streamer role.
    mallory.send(json!({"type": "offer", "offer": sdp("offer", "x"), "viewerId": victim_id})).await;
    assert_eq!(mallory.error_code().await, "wrong_role");
    mallory
        .send(json!({"type": "candidate", "candidate": candidate(2), "target": "viewer", "viewerId": victim_id}))
        .await;
    assert_eq!(mallory.error_code().await, "wrong_role");
    mallory.send(json!({"type": "streamer"})).await;
    assert_eq!(mallory.error_code().await, "wrong_role");

    // Nothing reached the victim; the stream is still the real streamer's.
    victim.send(json!({"type": "answer", "answer": sdp("answer", "real")})).await;
    let got = streamer.next_of("answer").await;
    assert_eq!(got["viewerId"], victim_id.as_str());
    assert_eq!(got["answer"]["sdp"], "real");
}

#[tokio::test]
async fn streamer_role_needs_a_valid_admin_session() {
    let server = start().await;
    let mut anonymous = Client::connect(&server, None).await;
    anonymous.send(json!({"type": "streamer"})).await;
    assert_eq!(anonymous.error_code().await, "unauthorized");

    let mut forged = Client::connect(&server, Some("onair_session=00112233445566778899aabbccddeeff")).await;
    forged.send(json!({"type": "streamer"})).await;
    assert_eq!(forged.error_code().await, "unauthorized");
    assert!(!server.state.signaling.status().live);

    // The refused connection stays usable as a viewer (documented choice).
    anonymous.send(json!({"type": "viewer"})).await;
    assert_eq!(anonymous.next_of("welcome").await["type"], "welcome");
    assert_eq!(anonymous.next_of("offline").await["type"], "offline");

    // A revoked session no longer streams.
    let cookie = sign_in(&server).await;
    let res = http().post(format!("http://{}/logout", server.addr)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let mut after_logout = Client::connect(&server, Some(&cookie)).await;
    after_logout.send(json!({"type": "streamer"})).await;
    assert_eq!(after_logout.error_code().await, "unauthorized");
}

#[tokio::test]
async fn garbage_gets_an_error_and_the_connection_and_others_go_on() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut honest, honest_id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;

    let mut rogue = Client::connect(&server, None).await;
    for (frame, code) in [
        ("not json", "malformed"),
        ("{\"type\":42}", "malformed"),
        ("[1,2,3]", "malformed"),
        ("{\"type\":\"launchMissiles\"}", "unknown_type"),
        ("{\"type\":\"offer\"}", "invalid_message"),
        ("{\"type\":\"answer\",\"answer\":{\"type\":\"answer\",\"sdp\":\"x\"}}", "not_registered"),
    ] {
        rogue.send_raw(Message::text(frame)).await;
        assert_eq!(rogue.error_code().await, code, "for {frame}");
    }
    rogue.send_raw(Message::binary(vec![0u8, 159, 146, 150])).await;
    assert_eq!(rogue.error_code().await, "unsupported");
    // Still usable after all that.
    rogue.send(json!({"type": "viewer"})).await;
    rogue.next_of("welcome").await;
    streamer.next_of("newViewer").await;

    // An oversize frame is refused and that socket closed.
    let huge = json!({"type": "answer", "answer": sdp("answer", &"a".repeat(200 * 1024))});
    let _ = rogue.ws.send(Message::text(huge.to_string())).await;
    assert!(rogue.closed().await, "oversize frame closes the socket");
    assert_eq!(streamer.next_of("viewerLeft").await["type"], "viewerLeft");

    // The honest viewer and the streamer are untouched.
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "still-fine"), "viewerId": honest_id})).await;
    assert_eq!(honest.next_of("offer").await["offer"]["sdp"], "still-fine");
    wait_until(|| server.state.signaling.status().viewers == 1).await;
}

#[tokio::test]
async fn closed_sockets_are_cleaned_up_at_once() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut v1, id1) = Client::viewer(&server, None).await;
    let (v2, id2) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    streamer.next_of("newViewer").await;

    drop(v2);
    assert_eq!(streamer.next_of("viewerLeft").await["viewerId"], id2.as_str());
    wait_until(|| server.state.signaling.status().viewers == 1).await;

    // A streamer whose connection is lost (no close frame) may come back: viewers wait.
    drop(streamer);
    assert_eq!(v1.next_of("streamerLost").await["type"], "streamerLost");
    wait_until(|| !server.state.signaling.status().live).await;
    let streamer = Client::streamer(&server, &cookie).await;
    assert_eq!(v1.next_of("live").await["type"], "live");
    // Ending the live closes normally: viewers go offline.
    streamer.end().await;
    assert_eq!(v1.next_of("offline").await["type"], "offline");
    wait_until(|| !server.state.signaling.status().live).await;

    // A streamer coming back is told about the viewer still waiting.
    let mut streamer = Client::streamer(&server, &cookie).await;
    assert_eq!(streamer.next_of("newViewer").await["viewerId"], id1.as_str());
    assert_eq!(v1.next_of("live").await["type"], "live");

    drop(v1);
    drop(streamer);
    wait_until(|| server.state.signaling.status().connections == 0).await;
}

#[tokio::test]
async fn a_second_admin_tab_takes_over_the_stream() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut first = Client::streamer(&server, &cookie).await;
    let (_viewer, id) = Client::viewer(&server, None).await;
    first.next_of("newViewer").await;

    let mut second = Client::streamer(&server, &cookie).await;
    assert_eq!(second.next_of("newViewer").await["viewerId"], id.as_str());
    assert_eq!(first.error_code().await, "replaced");
    assert!(first.closed().await);
    assert!(server.state.signaling.status().live, "the old tab's close does not end the live");
}

#[tokio::test]
async fn pages_health_and_sign_in_flow() {
    let server = start().await;
    let base = format!("http://{}", server.addr);
    let client = http();

    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");

    let res = client.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");

    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?error=wrong_password");
    assert!(res.headers().get("set-cookie").is_none());

    let page = client.get(format!("{base}/login?error=wrong_password")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Wrong username or password"));
    assert!(page.contains("Sign in"));

    let cookie = sign_in(&server).await;
    let res = client.get(format!("{base}/admin")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Go live") && page.contains("viewer-count"));

    let page = client.get(format!("{base}/watch")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"stream-status\""));
    let res = client.get(format!("{base}/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn viewer_reports_reach_the_streamer_attributed_and_rate_capped() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut viewer, id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;

    let report = json!({"type": "viewerStats", "viewerId": "someone-else", "fps": 29.97, "framesDecoded": 310,
        "freezeCount": 0, "totalFreezesDuration": 0.0, "jitterBufferDelayMs": 42.5, "packetsLost": 0, "rttMs": 0.8});
    viewer.send(report.clone()).await;
    let got = streamer.next_of("viewerStats").await;
    assert_eq!(got["viewerId"], id.as_str(), "attributed to the sender, whatever it claims");
    assert_eq!(got["fps"], 29.97);
    assert_eq!(got["framesDecoded"], 310);
    assert_eq!(got["jitterBufferDelayMs"], 42.5);
    assert!(got.get("turnTransport").is_none(), "no TURN, no transport");

    // A viewer playing through TURN over TCP says so: the studio only sees the relay's UDP side.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    viewer.send(json!({"type": "viewerStats", "fps": 30, "turnTransport": "tcp"})).await;
    assert_eq!(streamer.next_of("viewerStats").await["turnTransport"], "tcp");

    // A second report within the second is refused, and the socket stays usable.
    viewer.send(report.clone()).await;
    assert_eq!(viewer.error_code().await, "rate_limited");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    viewer.send(report).await;
    assert_eq!(streamer.next_of("viewerStats").await["viewerId"], id.as_str());

    // A streamer cannot inject reports.
    streamer.send(json!({"type": "viewerStats", "fps": 30})).await;
    assert_eq!(streamer.error_code().await, "wrong_role");
}

#[tokio::test]
async fn a_removed_viewer_is_told_and_kept_off_until_the_live_ends() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut kept, kept_id) = Client::viewer(&server, None).await;
    let (mut removed, removed_id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    streamer.next_of("newViewer").await;

    // A viewer cannot remove another.
    kept.send(json!({"type": "removeViewer", "viewerId": removed_id})).await;
    assert_eq!(kept.error_code().await, "wrong_role");

    streamer.send(json!({"type": "removeViewer", "viewerId": removed_id})).await;
    assert_eq!(removed.next_of("removed").await["type"], "removed");
    assert_eq!(streamer.next_of("viewerLeft").await["viewerId"], removed_id.as_str());
    wait_until(|| server.state.signaling.status().viewers == 1).await;
    removed.send(json!({"type": "viewer"})).await;
    assert_eq!(removed.error_code().await, "wrong_role");
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "x"), "viewerId": removed_id})).await;
    assert_eq!(streamer.error_code().await, "unknown_viewer");

    // The live ends: the removed viewer hears it and may wait for the next one.
    streamer.end().await;
    assert_eq!(removed.next_of("offline").await["type"], "offline");
    assert_eq!(kept.next_of("offline").await["type"], "offline");
    removed.send(json!({"type": "viewer"})).await;
    assert_eq!(removed.next_of("welcome").await["viewerId"], removed_id.as_str());
    let mut streamer = Client::streamer(&server, &cookie).await;
    let mut announced = vec![
        streamer.next_of("newViewer").await["viewerId"].as_str().unwrap().to_owned(),
        streamer.next_of("newViewer").await["viewerId"].as_str().unwrap().to_owned(),
    ];
    announced.sort();
    let mut expected = vec![kept_id, removed_id];
    expected.sort();
    assert_eq!(announced, expected);
}

#[tokio::test]
async fn viewers_beyond_max_viewers_are_told_the_stream_is_full() {
    let server = start_with(ViewerCap::Fixed(2)).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (first, _) = Client::viewer(&server, None).await;
    let (_second, _) = Client::viewer(&server, None).await;
    let mut third = Client::connect(&server, None).await;
    third.send(json!({"type": "viewer"})).await;
    assert_eq!(third.error_code().await, "full");
    assert_eq!(server.state.signaling.status().viewers, 2);
    streamer.next_of("newViewer").await;
    streamer.next_of("newViewer").await;

    // Room again once someone leaves; the refused socket can simply ask again.
    drop(first);
    streamer.next_of("viewerLeft").await;
    third.send(json!({"type": "viewer"})).await;
    let id = third.next_of("welcome").await["viewerId"].as_str().unwrap().to_owned();
    assert_eq!(streamer.next_of("newViewer").await["viewerId"], id.as_str());
}

#[tokio::test]
async fn auto_cap_follows_the_studios_capacity_estimate() {
    let server = start_with(ViewerCap::Auto).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    streamer.send(json!({"type": "capacity", "remaining": 0})).await;
    // The hub applies messages in order per socket; a round trip makes sure it was applied.
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "x"), "viewerId": "nobody"})).await;
    assert_eq!(streamer.error_code().await, "unknown_viewer");
    let mut refused = Client::connect(&server, None).await;
    refused.send(json!({"type": "viewer"})).await;
    assert_eq!(refused.error_code().await, "full");
    streamer.send(json!({"type": "capacity", "remaining": 5})).await;
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "x"), "viewerId": "nobody"})).await;
    assert_eq!(streamer.error_code().await, "unknown_viewer");
    refused.send(json!({"type": "viewer"})).await;
    assert!(refused.next_of("welcome").await["viewerId"].is_string());
}

#[tokio::test]
async fn a_viewer_resumes_its_id_on_a_restarted_server_and_is_not_renegotiated() {
    let first = start().await;
    let cookie = sign_in(&first).await;
    let _streamer = Client::streamer(&first, &cookie).await;
    let mut viewer = Client::connect(&first, None).await;
    viewer.send(json!({"type": "viewer"})).await;
    let welcome = viewer.next_of("welcome").await;
    let id = welcome["viewerId"].as_str().unwrap().to_owned();
    let token = welcome["resumeToken"].as_str().unwrap().to_owned();
    assert!(token.starts_with(&format!("{id}.")));

    // A restarted server finds the same data folder, hence the same key.
    let second = start_in(&first.data_dir, ViewerCap::Unlimited).await;
    let mut again = Client::connect(&second, None).await;
    again.send(json!({"type": "viewer", "resumeToken": token})).await;
    assert_eq!(again.next_of("welcome").await["viewerId"], id.as_str());
    // No streamer yet on this server: the viewer keeps playing and waits, it is not offline.
    assert_eq!(again.next().await.unwrap()["type"], "viewerCount");
    assert_eq!(again.next().await.unwrap()["type"], "streamerLost");
    let cookie = sign_in(&second).await;
    let mut streamer = Client::streamer(&second, &cookie).await;
    assert_eq!(streamer.next_of("newViewer").await["viewerId"], id.as_str());
    assert_eq!(again.next_of("live").await["type"], "live");

    // A made-up token gets a fresh id and displaces no one.
    let mut forger = Client::connect(&second, None).await;
    forger.send(json!({"type": "viewer", "resumeToken": format!("{id}.{}", "0".repeat(64))})).await;
    assert_ne!(forger.next_of("welcome").await["viewerId"], id.as_str());
    assert_eq!(second.state.signaling.status().viewers, 2);
}

/// Joins as a viewer with this resume token and a `Cookie` header; the client and its
/// reply (`welcome`, `removed` or an error).
async fn resume(server: &Server, token: &str, cookie: Option<&str>) -> (Client, serde_json::Value) {
    let mut c = Client::connect(server, cookie).await;
    c.send(json!({"type": "viewer", "resumeToken": token})).await;
    let reply = c.next_of_any(&["welcome", "error", "removed"]).await;
    (c, reply)
}

#[tokio::test]
async fn a_resume_counts_against_max_viewers() {
    let server = start_with(ViewerCap::Fixed(1)).await;
    let (first, welcome) = Client::viewer_welcome(&server, None).await;
    let token = welcome["resumeToken"].as_str().unwrap().to_owned();
    drop(first);
    wait_until(|| server.state.signaling.status().viewers == 0).await;
    let (_second, _) = Client::viewer(&server, None).await;
    let (_c, reply) = resume(&server, &token, None).await;
    assert_eq!(reply["code"], "full", "a saved token is no way past the cap: {reply}");
    assert_eq!(server.state.signaling.status().viewers, 1);
}

#[tokio::test]
async fn a_resume_token_expires_and_belongs_to_its_live() {
    let mut c = config(&temp_path("server"), ViewerCap::Unlimited);
    c.ws_limits.resume_window = Duration::from_millis(500);
    let server = Server::start_and_clean(c).await;
    let cookie = sign_in(&server).await;
    let streamer = Client::streamer(&server, &cookie).await;
    let (viewer, welcome) = Client::viewer_welcome(&server, None).await;
    let (id, token) = (welcome["viewerId"].clone(), welcome["resumeToken"].as_str().unwrap().to_owned());
    drop(viewer);
    wait_until(|| server.state.signaling.status().viewers == 0).await;
    let (again, reply) = resume(&server, &token, None).await;
    assert_eq!(reply["viewerId"], id, "within the window");
    drop(again);
    wait_until(|| server.state.signaling.status().viewers == 0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (late, reply) = resume(&server, &token, None).await;
    assert_eq!(reply["type"], "welcome");
    assert_ne!(reply["viewerId"], id, "expired: a fresh id");
    // A token of a live that ended does not resume into the next one, however fresh.
    let (late_id, late_token) = (reply["viewerId"].clone(), reply["resumeToken"].as_str().unwrap().to_owned());
    drop(late);
    wait_until(|| server.state.signaling.status().viewers == 0).await;
    streamer.end().await;
    let _streamer = Client::streamer(&server, &cookie).await;
    let (_c, reply) = resume(&server, &late_token, None).await;
    assert_eq!(reply["type"], "welcome");
    assert_ne!(reply["viewerId"], late_id);
}

#[tokio::test]
async fn a_removed_viewer_stays_out_on_new_sockets_for_the_rest_of_the_live() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    // The watch page gives the browser its device cookie.
    let page = http().get(server.url("/watch")).send().await.unwrap();
    let device = common::set_cookie(&page, "onair_viewer");
    let mut removed = Client::connect(&server, Some(&device)).await;
    removed.send(json!({"type": "viewer"})).await;
    let welcome = removed.next_of("welcome").await;
    let (id, token) = (welcome["viewerId"].clone(), welcome["resumeToken"].as_str().unwrap().to_owned());
    streamer.send(json!({"type": "removeViewer", "viewerId": id})).await;
    removed.next_of("removed").await;
    drop(removed);
    // Its token, its cookie without the token, and its address without the cookie.
    assert_eq!(resume(&server, &token, None).await.1["type"], "removed");
    let mut by_cookie = Client::connect(&server, Some(&device)).await;
    by_cookie.send(json!({"type": "viewer"})).await;
    assert_eq!(by_cookie.next_of_any(&["welcome", "removed"]).await["type"], "removed");
    let mut by_address = Client::connect(&server, None).await;
    by_address.send(json!({"type": "viewer"})).await;
    assert_eq!(by_address.next_of_any(&["welcome", "removed"]).await["type"], "removed");
    assert_eq!(server.state.signaling.status().viewers, 0);
    // The next live lets them all in.
    streamer.end().await;
    assert_eq!(by_cookie.next_of("offline").await["type"], "offline");
    by_cookie.send(json!({"type": "viewer"})).await;
    by_cookie.next_of("welcome").await;
}

#[tokio::test]
async fn a_join_in_the_url_is_taken_with_the_handshake_and_an_unknown_one_is_refused_in_words() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;

    // Nothing sent: the URL is the join. The streamer hears of the viewer, who gets its welcome.
    let mut viewer = Client::connect_with(&server, "?join=viewer", &[]).await;
    let welcome = viewer.next_of("welcome").await;
    let id = welcome["viewerId"].as_str().expect("an id").to_owned();
    let joined = streamer.next_of("newViewer").await;
    assert_eq!(joined["viewerId"], id.as_str());
    // It negotiates like any viewer.
    streamer.send(json!({"type": "offer", "viewerId": id, "offer": sdp("offer", "o")})).await;
    assert_eq!(viewer.next_of("offer").await["offer"]["sdp"], "o");

    // A plain socket is not joined until it says so.
    let mut plain = Client::connect(&server, None).await;
    assert!(tokio::time::timeout(Duration::from_millis(300), plain.next()).await.is_err(), "nothing before a join");

    let Err((status, words)) = Client::try_connect_with(&server, "?join=streamer", &[]).await else {
        panic!("a join the server does not know was accepted");
    };
    assert_eq!(status, 400);
    assert!(words.contains("`join=streamer` is not a join"), "{words}");
    // The refusal disturbed no one.
    viewer.send(json!({"type": "answer", "answer": sdp("answer", "a")})).await;
    assert_eq!(streamer.next_of("answer").await["viewerId"], id.as_str());
    server.stop_gracefully().await;
}
