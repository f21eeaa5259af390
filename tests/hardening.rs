//! Every refusal of the signaling socket, against the real server on an ephemeral port:
//! origins, connections per IP, message budgets, oversize and overlong input, stuck and silent
//! clients, shutdown, TURN credentials. After each, honest clients still work and nothing leaks.

mod common;

use common::{candidate, http, sdp, sign_in, temp_path, wait_until, Client, Server, WAIT};
use futures_util::{SinkExt, StreamExt};
use onair::protocol::IceServer;
use onair::server::config::Config;
use onair::server::signaling::turn::{self, TurnSecret};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "hardening-test-password";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn config() -> Config {
    Config::for_tests(&temp_path("server"), PASSWORD)
}

async fn start() -> Server {
    start_with(config()).await
}

async fn start_with(config: Config) -> Server {
    Server::start_and_clean(config).await
}

impl Server {
    /// Waits until every socket has left the hub and every IP slot is given back.
    async fn all_closed(&self) {
        wait_until(|| {
            self.state.signaling.status().connections == 0 && self.state.signaling.connections_from(LOCALHOST) == 0
        })
        .await;
    }
}

/// Opens `/ws` with these extra headers; the HTTP refusal (status, body) when refused.
async fn try_connect(server: &Server, headers: &[(&str, &str)]) -> Result<Client, (u16, String)> {
    Client::try_connect_with(server, "", headers).await
}

/// The streamer offers `viewer` a negotiation, which lets it answer and send candidates.
async fn offer(streamer: &mut Client, viewer: &mut Client, viewer_id: &str) {
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "o"), "viewerId": viewer_id})).await;
    viewer.next_of("offer").await;
}

/// An honest exchange: an offer from the streamer reaches the viewer, its answer comes back.
async fn still_works(streamer: &mut Client, viewer: &mut Client, viewer_id: &str) {
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "still-fine"), "viewerId": viewer_id})).await;
    assert_eq!(viewer.next_of("offer").await["offer"]["sdp"], "still-fine");
    viewer.send(json!({"type": "answer", "answer": sdp("answer", "fine-too")})).await;
    assert_eq!(streamer.next_of("answer").await["viewerId"], viewer_id);
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_the_upgrade() {
    let server = start().await;
    let (status, body) = try_connect(&server, &[("origin", "http://evil.example")]).await.expect_err("refused");
    assert_eq!(status, 403);
    assert!(body.contains("evil.example") && body.contains("refused"), "{body}");
    // Another port on the same host is another origin.
    let other_port = format!("http://127.0.0.1:{}", server.addr.port() + 1);
    assert_eq!(try_connect(&server, &[("origin", &other_port)]).await.err().map(|e| e.0), Some(403));
    assert_eq!(try_connect(&server, &[("origin", "null")]).await.err().map(|e| e.0), Some(403));

    // The page's own origin, and clients that send no Origin (not browsers), are accepted.
    let own = format!("http://{}", server.addr);
    let mut same = try_connect(&server, &[("origin", &own)]).await.expect("same origin");
    same.send(json!({"type": "viewer"})).await;
    same.next_of("welcome").await;
    let (_plain, _) = Client::viewer(&server, None).await;
    assert_eq!(server.state.signaling.status().viewers, 2);
    drop((same, _plain));
    server.all_closed().await;
}

#[tokio::test]
async fn public_urls_replace_the_same_origin_rule() {
    let mut c = config();
    c.public_urls = vec!["https://tv.example.org".to_owned()];
    let server = start_with(c).await;
    assert!(try_connect(&server, &[("origin", "https://tv.example.org")]).await.is_ok());
    let own = format!("http://{}", server.addr);
    assert_eq!(try_connect(&server, &[("origin", &own)]).await.err().map(|e| e.0), Some(403));
    server.all_closed().await;
}

#[tokio::test]
async fn connections_beyond_the_per_ip_limit_get_429_until_one_closes() {
    let mut c = config();
    c.ws_limits.max_connections_per_ip = 3;
    let server = start_with(c).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(Client::connect(&server, None).await);
    }
    let (status, body) = try_connect(&server, &[]).await.expect_err("fourth refused");
    assert_eq!(status, 429);
    assert!(body.contains("too many connections") && body.contains('3'), "{body}");
    assert_eq!(server.state.signaling.connections_from(LOCALHOST), 3);
    let metrics = reqwest::get(format!("http://{}/metrics", server.addr)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"onair_ws_upgrades_refused_total{reason="per_ip"} 1"#), "{metrics}");

    open.pop();
    wait_until(|| server.state.signaling.connections_from(LOCALHOST) == 2).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    viewer.send(json!({"type": "viewer"})).await;
    assert_eq!(viewer.error_code().await, "wrong_role", "the new connection is served");
    drop((open, viewer));
    server.all_closed().await;
}

#[tokio::test]
async fn a_flood_is_rate_limited_then_closed_while_an_honest_burst_passes() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut honest, honest_id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    offer(&mut streamer, &mut honest, &honest_id).await;

    // ICE gathering: ~50 candidates at once is an honest viewer's burst, and all pass.
    for n in 0..50 {
        honest.send(json!({"type": "candidate", "candidate": candidate(n), "target": "streamer"})).await;
    }
    for n in 0..50 {
        let got = streamer.next_of("candidate").await;
        assert_eq!(got["candidate"], candidate(n));
    }

    let (mut flood, flood_id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    offer(&mut streamer, &mut flood, &flood_id).await;
    let flood_candidate = |n| json!({"type": "candidate", "candidate": candidate(n), "target": "streamer"});
    let flood_started = std::time::Instant::now();
    // Over the burst: the excess is dropped with `rate_limited`, the socket stays open.
    for n in 0..80 {
        flood.send(flood_candidate(n)).await;
    }
    let err = flood.next_of("error").await;
    assert_eq!(err["code"], "rate_limited");
    assert!(err["message"].as_str().unwrap().contains("too many messages"), "{err}");
    // Keeping it up closes the socket (policy), after about 100 refusals.
    for n in 80..400 {
        if flood.ws.send(Message::text(flood_candidate(n).to_string())).await.is_err() {
            break;
        }
    }
    flood.until_closed().await;
    let flood_took = flood_started.elapsed().as_secs_f64();
    // At most the burst (and a little refill) went through to the streamer.
    let mut relayed = 0;
    loop {
        match streamer.next_of_any(&["candidate", "viewerLeft"]).await {
            v if v["type"] == "viewerLeft" => break,
            _ => relayed += 1,
        }
    }
    // The burst of 60 less the `viewer` message, plus what 20 a second refilled meanwhile.
    let most = 59 + (20.0 * flood_took).ceil() as usize + 1;
    assert!((55..=most).contains(&relayed), "{relayed} flood messages relayed in {flood_took:.2} s");
    let metrics = reqwest::get(format!("http://{}/metrics", server.addr)).await.unwrap().text().await.unwrap();
    let refusals: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(r#"onair_error_replies_total{code="rate_limited"} "#))
        .expect("rate_limited counted")
        .parse()
        .unwrap();
    assert!((100..=110).contains(&refusals), "closed after {refusals} refusals");

    still_works(&mut streamer, &mut honest, &honest_id).await;
    drop((streamer, honest));
    server.all_closed().await;
}

#[tokio::test]
async fn a_streamer_answering_200_waiting_viewers_at_once_is_not_limited() {
    let mut c = config();
    c.ws_limits.max_connections_per_ip = 500;
    let server = start_with(c).await;
    let mut viewers = Vec::new();
    for _ in 0..200 {
        viewers.push(Client::viewer(&server, None).await);
    }
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    for _ in 0..200 {
        streamer.next_of("newViewer").await;
    }
    // Going live: an offer and three candidates for every viewer, as fast as the socket goes.
    for (_, id) in &viewers {
        streamer.send(json!({"type": "offer", "offer": sdp("offer", "v=0"), "viewerId": id})).await;
        for n in 0..3 {
            streamer
                .send(json!({"type": "candidate", "candidate": candidate(n), "target": "viewer", "viewerId": id}))
                .await;
        }
    }
    streamer.send(json!({"type": "offer", "offer": sdp("offer", "v=0"), "viewerId": "nobody"})).await;
    assert_eq!(streamer.error_code().await, "unknown_viewer", "no rate_limited before it");
    for (v, _) in viewers.iter_mut() {
        v.next_of("offer").await;
        for _ in 0..3 {
            v.next_of("candidate").await;
        }
    }
    drop((viewers, streamer));
    server.all_closed().await;
}

#[tokio::test]
async fn a_viewer_claiming_the_streamer_role_gets_neither_the_role_nor_its_budget() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut mallory, _) = Client::viewer(&server, None).await;
    let (mut honest, honest_id) = Client::viewer(&server, None).await;
    for msg in [
        json!({"type": "streamer"}),
        json!({"type": "removeViewer", "viewerId": honest_id}),
        json!({"type": "capacity", "remaining": 0}),
    ] {
        mallory.send(msg).await;
        assert_eq!(mallory.error_code().await, "wrong_role");
    }
    assert!(server.state.signaling.status().live);
    // Still a viewer's budget: 100 messages at once are more than its burst.
    for n in 0..100 {
        mallory.send(json!({"type": "candidate", "candidate": candidate(n), "target": "streamer"})).await;
    }
    // Those within its burst are refused as out of turn (no offer), the rest as over budget.
    let code = loop {
        match mallory.error_code().await {
            code if code == "out_of_turn" => continue,
            code => break code,
        }
    };
    assert_eq!(code, "rate_limited");
    still_works(&mut streamer, &mut honest, &honest_id).await;
}

#[tokio::test]
async fn overlong_sdp_candidate_or_name_are_refused_and_the_socket_stays_usable() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let mut viewer = Client::connect(&server, None).await;
    viewer.send(json!({"type": "viewer", "viewerId": "n".repeat(1000)})).await;
    assert_eq!(viewer.error_code().await, "invalid_message");
    viewer.send(json!({"type": "viewer", "viewerId": "Ann"})).await;
    let id = viewer.next_of("welcome").await["viewerId"].as_str().unwrap().to_owned();
    assert_eq!(streamer.next_of("newViewer").await["name"], "Ann");

    // 40 KiB fits in a frame (64 KiB) but is no SDP.
    viewer.send(json!({"type": "answer", "answer": sdp("answer", &"a".repeat(40 * 1024))})).await;
    let err = viewer.next_of("error").await;
    assert_eq!(err["code"], "invalid_message");
    assert!(err["message"].as_str().unwrap().contains("SDP"), "{err}");
    let long = json!({"candidate": "c".repeat(2000), "sdpMid": "0"});
    viewer.send(json!({"type": "candidate", "candidate": long, "target": "streamer"})).await;
    assert_eq!(viewer.error_code().await, "invalid_message");
    streamer.send(json!({"type": "offer", "offer": sdp("offer", &"o".repeat(33 * 1024)), "viewerId": id})).await;
    assert_eq!(streamer.error_code().await, "invalid_message");

    // Nothing of it reached anyone; honest messages still do.
    still_works(&mut streamer, &mut viewer, &id).await;
}

#[tokio::test]
async fn a_frame_over_the_configured_size_closes_only_that_socket() {
    let mut c = config();
    c.ws_limits.max_message_bytes = 8 * 1024;
    let server = start_with(c).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut honest, honest_id) = Client::viewer(&server, None).await;
    let (mut big, _) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    streamer.next_of("newViewer").await;
    let _ = big
        .ws
        .send(Message::text(json!({"type": "answer", "answer": sdp("answer", &"a".repeat(9 * 1024))}).to_string()))
        .await;
    // The goodbye (`too_large`) may be lost to a TCP reset: the rest of the frame is unread.
    let seen = big.until_closed().await;
    assert!(seen.iter().all(|m| m["type"] != "error" || m["code"] == "too_large"), "{seen:?}");
    assert_eq!(streamer.next_of("viewerLeft").await["type"], "viewerLeft");
    let metrics = reqwest::get(format!("http://{}/metrics", server.addr)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"onair_error_replies_total{code="too_large"} 1"#), "{metrics}");
    still_works(&mut streamer, &mut honest, &honest_id).await;
}

/// Reads (and so answers pings) in the background, counting offers; stop it to get
/// the client back.
struct Reader {
    count: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Client>,
}

fn keep_reading(mut client: Client) -> Reader {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => return client,
                msg = client.ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        if t.starts_with("{\"type\":\"offer\"") {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => panic!("an honest client lost its socket"),
                },
            }
        }
    });
    Reader { count, stop, task }
}

impl Reader {
    async fn finish(self) -> Client {
        let _ = self.stop.send(());
        self.task.await.unwrap()
    }
}

#[tokio::test]
async fn a_silent_client_is_reaped_and_a_reading_one_is_not() {
    let mut c = config();
    c.ws_limits.ping_every = Duration::from_millis(100);
    c.ws_limits.silence_limit = Duration::from_millis(400);
    let server = start_with(c).await;
    let (honest, _) = Client::viewer(&server, None).await;
    let honest = keep_reading(honest);
    // Joins, then never reads again: it never answers a ping.
    let (silent, _) = Client::viewer(&server, None).await;
    wait_until(|| server.state.signaling.status().viewers == 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(server.state.signaling.status().viewers, 1, "the reading client stays");
    assert_eq!(server.state.signaling.connections_from(LOCALHOST), 1);
    let honest = honest.finish().await;
    drop((silent, honest));
    server.all_closed().await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_without_holding_up_others() {
    let mut c = config();
    c.ws_limits.outbox_capacity = 16;
    c.ws_limits.messages_per_second = 100_000.0;
    c.ws_limits.silence_limit = Duration::from_secs(2);
    let server = start_with(c).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (stuck, stuck_id) = Client::viewer(&server, None).await;
    let (honest, honest_id) = Client::viewer(&server, None).await;
    let honest = keep_reading(honest);

    // 16 KiB offers to the stuck viewer until its socket buffers and queue are full; the
    // honest viewer gets one in every ten all along.
    let offer = sdp("offer", &"o".repeat(16 * 1024));
    let mut to_honest = 0;
    for _ in 0..400 {
        for n in 0..10 {
            let id = if n == 0 { &honest_id } else { &stuck_id };
            streamer.send(json!({"type": "offer", "offer": offer, "viewerId": id})).await;
        }
        to_honest += 1;
        if server.state.signaling.status().viewers == 1 {
            break;
        }
    }
    // A marker: once its refusal is back, the server has handled every offer before it.
    streamer.send(json!({"type": "removeViewer", "viewerId": "marker"})).await;
    loop {
        let err = streamer.next_of("error").await;
        if err["message"].as_str().unwrap().contains("marker") {
            break;
        }
    }
    assert_eq!(server.state.signaling.status().viewers, 1, "the stuck viewer was dropped");
    // Everything meant for the honest viewer arrives.
    wait_until(|| honest.count.load(Ordering::SeqCst) == to_honest).await;
    let streamer_alive = honest.finish().await;
    drop((stuck, streamer_alive, streamer));
    // The stuck socket's task ends too (bounded write), giving its IP slot back.
    server.all_closed().await;
}

#[tokio::test]
async fn shutdown_tells_every_client_and_serve_returns_within_5_s() {
    let mut server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    let mut pending = Client::connect(&server, None).await;
    // One that never reads nor answers.
    let _deaf = Client::connect(&server, None).await;
    streamer.next_of("newViewer").await;

    let started = std::time::Instant::now();
    let _ = server.stop.take().unwrap().send(());
    for c in [&mut streamer, &mut viewer, &mut pending] {
        let seen = c.until_closed().await;
        let last = seen.last().expect("a goodbye");
        assert_eq!(last["type"], "error");
        assert_eq!(last["code"], "shutdown");
    }
    tokio::time::timeout(WAIT, &mut server.task).await.expect("serve returned within 5 s").unwrap();
    assert!(started.elapsed() < WAIT);
    assert_eq!(server.state.signaling.status().connections, 0);
    assert!(!server.state.signaling.status().live);
    assert!(try_connect_refused(&server).await, "no new connections after shutdown");
}

async fn try_connect_refused(server: &Server) -> bool {
    let req = format!("ws://{}/ws", server.addr).into_client_request().unwrap();
    tokio_tungstenite::connect_async(req).await.is_err()
}

#[tokio::test]
async fn turn_credentials_are_handed_out_per_viewer_and_to_the_streamer() {
    let mut c = config();
    c.ice_servers = vec![
        IceServer { urls: vec!["stun:stun.example.org".into()], username: None, credential: None },
        IceServer { urls: vec!["turn:turn.example.org:3478".into()], username: None, credential: None },
    ];
    c.turn = Some(TurnSecret { secret: "coturn-secret".into(), ttl: Duration::from_secs(3600) });
    let server = start_with(c).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();

    let (_viewer, welcome) = Client::viewer_welcome(&server, None).await;
    let servers = welcome["iceServers"].as_array().unwrap();
    assert!(servers[0].get("username").is_none() && servers[0].get("credential").is_none(), "STUN needs none");
    let user = servers[1]["username"].as_str().unwrap();
    let (expiry, name) = user.split_once(':').unwrap();
    assert_eq!(name, welcome["viewerId"].as_str().unwrap());
    let expiry: u64 = expiry.parse().unwrap();
    assert!((now + 3600..=now + 3605).contains(&expiry), "expiry {expiry}, now {now}");
    assert_eq!(servers[1]["credential"], turn::credentials("coturn-secret", name, expiry).1);

    let cookie = sign_in(&server).await;
    let (_streamer, ready) = Client::streamer_ready(&server, &cookie).await;
    let user = ready["iceServers"][1]["username"].as_str().unwrap();
    assert!(user.ends_with(":streamer"), "{user}");
    let expiry: u64 = user.split_once(':').unwrap().0.parse().unwrap();
    assert_eq!(ready["iceServers"][1]["credential"], turn::credentials("coturn-secret", "streamer", expiry).1);

    // The secret itself is never in a page.
    let page = reqwest::get(format!("http://{}/watch", server.addr)).await.unwrap().text().await.unwrap();
    assert!(!page.contains("coturn-secret"));
}

#[tokio::test]
async fn a_socket_opened_before_sign_out_cannot_take_the_streamer_role() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut early = Client::connect(&server, Some(&cookie)).await;
    let res = http().post(server.url("/logout")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 303);
    // Sent at once: the role is refused when asked for, not only by the periodic check.
    let _ = early.ws.send(Message::text(json!({"type": "streamer"}).to_string())).await;
    assert_eq!(early.error_code().await, "unauthorized");
    assert!(early.closed().await);
    assert!(!server.state.signaling.status().live);
    server.all_closed().await;
}

#[tokio::test]
async fn a_revoked_session_loses_its_live_and_its_sockets() {
    let server = start().await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let mut other_tab = Client::connect(&server, Some(&cookie)).await;
    let (mut viewer, _) = Client::viewer(&server, None).await;
    // What `onair admin passwd admin` does from another process: the sessions go.
    server.state.auth.accounts().set_password("admin", "a brand new password").unwrap();
    assert_eq!(streamer.error_code().await, "unauthorized");
    assert!(streamer.closed().await);
    assert!(other_tab.closed().await);
    assert_eq!(viewer.next_of("offline").await["type"], "offline", "the live ended");
    assert!(!server.state.signaling.status().live);
    // A new sign-in streams again.
    let fresh = server.login("admin", "a brand new password").await;
    let cookie = common::set_cookie(&fresh, "onair_session");
    Client::streamer(&server, &cookie).await;
}

#[tokio::test]
async fn a_viewer_answers_only_offers_it_was_sent_and_its_candidates_are_capped() {
    let mut c = config();
    c.ws_limits.messages_per_second = 100_000.0;
    let server = start_with(c).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut viewer, id) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    let answer = json!({"type": "answer", "answer": sdp("answer", "unasked")});
    viewer.send(answer.clone()).await;
    assert_eq!(viewer.error_code().await, "out_of_turn");
    offer(&mut streamer, &mut viewer, &id).await;
    viewer.send(json!({"type": "answer", "answer": sdp("answer", "asked")})).await;
    viewer.send(answer).await;
    assert_eq!(viewer.error_code().await, "out_of_turn", "one answer per offer");
    let cap = onair::server::signaling::hub::CANDIDATES_PER_NEGOTIATION;
    for n in 0..cap + 5 {
        viewer.send(json!({"type": "candidate", "candidate": candidate(n), "target": "streamer"})).await;
    }
    assert_eq!(viewer.error_code().await, "out_of_turn");
    // A marker through the streamer's queue: everything relayed before it has arrived.
    streamer.send(json!({"type": "removeViewer", "viewerId": "marker"})).await;
    let mut seen = Vec::new();
    loop {
        let v = streamer.next_of_any(&["answer", "candidate", "error"]).await;
        if v["type"] == "error" {
            break;
        }
        seen.push(v);
    }
    let answers: Vec<&Value> = seen.iter().filter(|v| v["type"] == "answer").collect();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["answer"]["sdp"], "asked");
    assert_eq!(seen.iter().filter(|v| v["type"] == "candidate").count(), cap as usize);
}

#[tokio::test]
async fn a_viewer_filling_the_streamers_queue_is_dropped_not_the_streamer() {
    let mut c = config();
    c.ws_limits.messages_per_second = 100_000.0;
    c.ws_limits.streamer_bytes_per_viewer = 16 * 1024;
    let server = start_with(c).await;
    let cookie = sign_in(&server).await;
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut honest, honest_id) = Client::viewer(&server, None).await;
    let (mut mallory, mallory_id) = Client::viewer(&server, None).await;
    // The streamer stops reading; Mallory answers every offer with 30 KiB until the socket
    // buffers are full and what she sends waits in the streamer's queue. She answers all but
    // one offer a round: the hub still owes her that answer when no more offers come through.
    let big = json!({"type": "answer", "answer": sdp("answer", &"a".repeat(30 * 1024))});
    let offers = onair::server::signaling::hub::OPEN_OFFERS;
    let mut dropped = false;
    'rounds: for _ in 0..2000 {
        for _ in 0..offers {
            streamer.send(json!({"type": "offer", "offer": sdp("offer", "o"), "viewerId": mallory_id})).await;
        }
        let mut got = 0;
        while got < offers {
            match tokio::time::timeout(Duration::from_millis(500), mallory.next()).await {
                Ok(Some(v)) if v["type"] == "offer" => got += 1,
                // The streamer's next offers (one socket) may reach the hub before her last
                // answers (another socket); it then owes her fewer answers than she sends.
                Ok(Some(v)) if v["code"] == "out_of_turn" => {}
                Ok(Some(v)) if v["type"] == "error" => {
                    assert_eq!(v["code"], "rate_limited", "{v}");
                    assert!(v["message"].as_str().unwrap().contains("more than it can take in"), "{v}");
                    dropped = true;
                    break 'rounds;
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("closed without saying why"),
                // No offer gets through: the streamer's socket is full and what is written to
                // it waits. Her answer kept back queues behind it, counted against her share.
                Err(_) => {
                    if mallory.ws.send(Message::text(big.to_string())).await.is_err() {
                        break 'rounds;
                    }
                }
            }
        }
        for _ in 1..offers {
            if mallory.ws.send(Message::text(big.to_string())).await.is_err() {
                break 'rounds;
            }
        }
    }
    assert!(dropped || mallory.until_closed().await.iter().any(|v| v["code"] == "rate_limited"));
    assert!(mallory.closed().await);
    // The streamer reads again: everything Mallory got in, then the news she left.
    assert_eq!(streamer.next_of_any(&["viewerLeft"]).await["viewerId"], mallory_id.as_str());
    assert!(server.state.signaling.status().live, "the streamer was kept");
    offer(&mut streamer, &mut honest, &honest_id).await;
    still_works(&mut streamer, &mut honest, &honest_id).await;
}
