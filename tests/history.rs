//! Stream history, metrics and readiness against the real server on an ephemeral port, each
//! test with a data folder of its own.

mod common;

use common::{http, sign_in, Client, Server, TempDir, WAIT};
use futures_util::SinkExt;
use onair::history::LiveSummary;
use onair::server::clock::now_ms;
use onair::server::config::Config;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "history-test-password";

async fn start(data_dir: &Path) -> Server {
    Server::start(Config::for_tests(data_dir, PASSWORD)).await
}

impl Server {
    fn lives(&self) -> Vec<LiveSummary> {
        self.state.history.lives(100, now_ms()).unwrap()
    }
}

/// Polls `probe` until it gives a value.
async fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every sample of `/metrics`, keyed by series (name and labels as printed).
async fn metrics(server: &Server) -> HashMap<String, f64> {
    let res = http().get(format!("http://{}/metrics", server.addr)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    res.text()
        .await
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn delta(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn a_live_with_two_viewers_is_recorded_and_shown_to_the_admin_only() {
    let dir = TempDir::new("two-viewers");
    let server = start(&dir.0).await;
    let cookie = sign_in(&server).await;
    let started_before = now_ms();
    let mut streamer = Client::streamer(&server, &cookie).await;
    let (ann, _) = Client::viewer(&server, Some("ann")).await;
    streamer.next_of("newViewer").await;
    let (bob, _) = Client::viewer(&server, None).await;
    streamer.next_of("newViewer").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    drop(bob);
    streamer.next_of("viewerLeft").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    drop(ann);
    streamer.next_of("viewerLeft").await;
    drop(streamer);

    let live =
        wait_for("the live ends in the history", || server.lives().into_iter().find(|l| l.ended_at.is_some())).await;
    let ended_after = now_ms();
    assert_eq!(server.lives().len(), 1);
    assert_eq!((live.viewers, live.peak_viewers), (2, 2));
    let end = live.ended_at.unwrap();
    assert!(started_before <= live.started_at && live.started_at <= end && end <= ended_after);

    let detail = server.state.history.live(live.id, now_ms()).unwrap().unwrap();
    let names: Vec<Option<&str>> = detail.visits.iter().map(|v| v.name.as_deref()).collect();
    assert_eq!(names, vec![Some("ann"), None]);
    for v in &detail.visits {
        let left = v.left_at.expect("every viewer left");
        assert!(live.started_at <= v.joined_at && v.joined_at <= left && left <= end, "{v:?}");
    }
    let (ann_left, bob_left) = (detail.visits[0].left_at.unwrap(), detail.visits[1].left_at.unwrap());
    assert!(bob_left <= ann_left, "bob left first");
    let watched: i64 = detail.visits.iter().map(|v| v.left_at.unwrap() - v.joined_at).sum();
    assert_eq!(live.viewer_ms, watched);
    assert!(watched >= 30, "ann watched at least the two pauses");
    assert_eq!(detail.curve.iter().map(|p| p.viewers).max(), Some(2));

    // The server functions answer the admin…
    let base = format!("http://{}", server.addr);
    let res = http().post(format!("{base}/api/history/lives")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let listed: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(listed[0]["id"], live.id);
    assert_eq!(listed[0]["viewers"], 2);
    let res = http()
        .post(format!("{base}/api/history/live"))
        .header("cookie", &cookie)
        .form(&[("id", live.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let one: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(one["visits"][0]["name"], "ann");
    // …and nobody else, in words.
    let res = http().post(format!("{base}/api/history/lives")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("NotSignedIn"));
    let res = http()
        .post(format!("{base}/api/history/live"))
        .header("cookie", "onair_session=forged")
        .form(&[("id", live.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // The page, rendered on the server.
    let res =
        http().get(format!("{base}/admin/history?live={}", live.id)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    for needle in
        ["Stream history", "data-testid=\"live-row\"", "data-testid=\"viewer-chart\"", "ann", "anonymous", "<svg"]
    {
        assert!(page.contains(needle), "the page lacks {needle}");
    }
    let res = http().get(format!("{base}/admin/history")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the page needs a session");
}

#[tokio::test]
async fn metrics_count_connections_messages_errors_and_lives() {
    let dir = TempDir::new("metrics");
    let server = start(&dir.0).await;
    let cookie = sign_in(&server).await;
    let before = metrics(&server).await;
    assert_eq!(before["onair_viewers"], 0.0);
    assert_eq!(before["onair_streamer_connected"], 0.0);

    let mut streamer = Client::streamer(&server, &cookie).await;
    let (mut viewer, id) = Client::viewer(&server, Some("dee")).await;
    streamer.next_of("newViewer").await;
    streamer.send(json!({"type": "offer", "offer": {"type": "offer", "sdp": "v=0"}, "viewerId": id})).await;
    viewer.next_of("offer").await;
    viewer.ws.send(Message::text("not json")).await.unwrap();
    viewer.next_of("error").await;

    let after = metrics(&server).await;
    let d = |series: &str| delta(&before, &after, series);
    assert_eq!(d("onair_ws_connections_opened_total"), 2.0);
    assert_eq!(d("onair_ws_connections_closed_total"), 0.0);
    assert_eq!(d("onair_lives_started_total"), 1.0);
    assert_eq!(after["onair_viewers"], 1.0);
    assert_eq!(after["onair_streamer_connected"], 1.0);
    for (kind, direction, n) in [
        ("streamer", "in", 1.0),
        ("viewer", "in", 1.0),
        ("offer", "in", 1.0),
        ("streamerReady", "out", 1.0),
        ("welcome", "out", 1.0),
        ("newViewer", "out", 1.0),
        ("offer", "out", 1.0),
        ("error", "out", 1.0),
    ] {
        let series = format!("onair_signaling_messages_total{{direction=\"{direction}\",type=\"{kind}\"}}");
        assert_eq!(d(&series), n, "{series}");
    }
    assert_eq!(d("onair_error_replies_total{code=\"malformed\"}"), 1.0);

    drop(viewer);
    drop(streamer);
    let mut last = HashMap::new();
    for _ in 0..250 {
        last = metrics(&server).await;
        if delta(&before, &last, "onair_ws_connections_closed_total") == 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(delta(&before, &last, "onair_ws_connections_closed_total"), 2.0);
    assert_eq!(last["onair_viewers"], 0.0);
    assert_eq!(last["onair_streamer_connected"], 0.0);
}

#[tokio::test]
async fn a_restart_closes_the_live_a_crash_left_open() {
    let dir = TempDir::new("restart");
    let first = start(&dir.0).await;
    let cookie = sign_in(&first).await;
    let _streamer = Client::streamer(&first, &cookie).await;
    let (_viewer, _) = Client::viewer(&first, Some("cyd")).await;
    wait_for("the viewer is recorded", || first.lives().into_iter().find(|l| l.viewers == 1)).await;
    let crashed_at = now_ms();

    // The first server never records an end (as after a crash); a new one on the same folder
    // closes the live at the last thing recorded for it.
    let second = start(&dir.0).await;
    let lives = second.lives();
    assert_eq!(lives.len(), 1);
    let live = &lives[0];
    let end = live.ended_at.expect("closed at start");
    assert!(live.started_at <= end && end <= crashed_at, "{live:?}");
    let detail = second.state.history.live(live.id, now_ms()).unwrap().unwrap();
    assert_eq!(detail.visits.len(), 1);
    assert_eq!(detail.visits[0].left_at, Some(end), "the viewer is closed at the end too");
    assert_eq!(end, detail.visits[0].joined_at, "the join was the last event");
}

#[tokio::test]
async fn a_graceful_stop_ends_the_live_in_progress() {
    let dir = TempDir::new("graceful");
    let server = start(&dir.0).await;
    let cookie = sign_in(&server).await;
    let _streamer = Client::streamer(&server, &cookie).await;
    let (_viewer, _) = Client::viewer(&server, None).await;
    wait_for("the viewer is recorded", || server.lives().into_iter().find(|l| l.viewers == 1)).await;
    let history = server.state.history.clone();
    let stopping = now_ms();
    server.stop_gracefully().await;
    let lives = history.lives(10, now_ms()).unwrap();
    let end = lives[0].ended_at.expect("ended by the stop");
    assert!(end >= stopping);
    let detail = history.live(lives[0].id, now_ms()).unwrap().unwrap();
    // The viewer's socket closes during the stop too, at the live's end or a moment before
    // it (the sockets close one after the other): its visit ends within the stop.
    let left = detail.visits[0].left_at.expect("the visit ended with the stop");
    assert!((stopping..=end).contains(&left), "left at {left}, stop began {stopping}, live ended {end}");
}

#[tokio::test]
async fn readyz_answers_ready_when_the_database_does() {
    let dir = TempDir::new("readyz");
    let server = start(&dir.0).await;
    let res = http().get(format!("http://{}/readyz", server.addr)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
    assert!(dir.0.join("onair.db").exists(), "the database is in the data folder");
}

/// The nice value of every thread of this process named `name` (Linux `/proc`).
fn nice_of_threads(name: &str) -> Vec<i64> {
    let mut nices = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap();
        // After the name in parentheses: field 3 (state) onwards; the nice value is field 19.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
        nices.push(fields[16].parse().unwrap());
    }
    nices
}

#[tokio::test]
async fn the_history_thread_yields_the_core_to_signaling() {
    // On a one-core server a history thread catching up after a burst of joins would take
    // half the core from the offers and answers of the viewers still joining.
    let dir = TempDir::new("nice");
    let server = start(&dir.0).await;
    let lowered = |nices: &Vec<i64>| {
        !nices.is_empty() && nices.iter().all(|n| *n == i64::from(onair::server::store::recorder::HISTORY_NICE))
    };
    wait_for("every history thread at the lower priority", || Some(nice_of_threads("onair-history")).filter(lowered))
        .await;
    drop(server);
}
