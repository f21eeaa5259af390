//! Signaling benchmark (not part of CI; `make bench` runs it against OnAir and the reference
//! Node server). One streamer and N viewers negotiate over `/ws` the way browsers do, then
//! exchange a storm of ICE candidates; the server's memory and CPU come from `/proc`.
//!
//! ```sh
//! cargo build --release --features ssr --bin onair --example bench
//! target/release/examples/bench --url ws://127.0.0.1:9191/ws --server-pid PID \
//!     --viewers 1000 --candidates 10 --admin-password SECRET     # OnAir; none for Node
//! ```
//!
//! Every message the scenario expects is counted; the last line (`RESULT …`) is for scripts.

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use common::{kind, rss_kib, Ws};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
#[command(about = "Signaling benchmark: one streamer, N viewers, offers, answers and a candidate storm")]
struct Args {
    /// The server's signaling socket.
    #[arg(long, default_value = "ws://127.0.0.1:9191/ws")]
    url: String,
    /// The server's process id (not cargo's or a shell's), for its RSS and CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, default_value_t = 1000)]
    viewers: usize,
    /// Candidates each way per viewer in the storm.
    #[arg(long, default_value_t = 10)]
    candidates: usize,
    /// Viewers connecting at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Viewers arriving per second (viewer i starts at i/rate s): an arrival rate the same
    /// for every server, so that offer→answer is the servers' latency at that load. 0: all at
    /// once (`concurrency` connecting at a time), which measures how fast a server admits
    /// them; the latency then mostly measures the queue that speed builds up.
    #[arg(long, default_value_t = 0)]
    join_rate: u64,
    /// OnAir: sign in as `admin` with this password for the streamer role.
    #[arg(long)]
    admin_password: Option<String>,
    /// OnAir: an existing session cookie (`onair_session=…`) instead of signing in.
    #[arg(long)]
    cookie: Option<String>,
    /// After the storm, hold the viewers connected this many seconds and measure the server idle.
    #[arg(long)]
    idle: Option<u64>,
    /// Longest wait for each phase, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Spread the storm over this many milliseconds (viewer i starts at i/N of it) instead of
    /// all at once: a sustained rate rather than a burst.
    #[arg(long, default_value_t = 0)]
    storm_spread_ms: u64,
    /// Waves of N viewers on the same server and streamer, each joining once the one before
    /// left: whether what the first wave left behind slows the next.
    #[arg(long, default_value_t = 1)]
    waves: usize,
    /// A name for the RESULT line (e.g. `onair`, `node`).
    #[arg(long, default_value = "server")]
    label: String,
}

/// What every task counts; compared with what the scenario expects at the end.
#[derive(Default)]
struct Counts {
    errors: AtomicUsize,
    welcomes: AtomicUsize,
    offers: AtomicUsize,
    viewer_candidates: AtomicUsize,
    viewers_done: AtomicUsize,
    new_viewers: AtomicUsize,
    answers: AtomicUsize,
    streamer_candidates: AtomicUsize,
    stopping: AtomicBool,
    /// Highest server RSS seen (KiB).
    peak_rss: AtomicU64,
    /// Offer → answer round trips, milliseconds.
    rtts: Mutex<Vec<f64>>,
    /// Each viewer's wait from starting to connect (its turn among the `concurrency`
    /// connecting at once) to its offer, milliseconds: what a viewer of a flash crowd waits
    /// before its browser can start the media, admission included.
    joins: Mutex<Vec<f64>>,
    /// Viewer ids that answered, for the streamer's candidates.
    answered: Mutex<Vec<String>>,
}

impl Counts {
    fn error(&self, what: impl std::fmt::Display) {
        if self.errors.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("  error: {what}");
        }
    }
}

/// An SDP of realistic size (~4 KiB): audio and video with the usual codecs and extensions.
/// `seed` (below 10^9) makes each one differ, in fields of fixed width.
fn sdp(kind: &str, seed: usize) -> String {
    let mut s = format!(
        "v=0\r\no=- {} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n",
        4_611_686_018_427_387_904u64 + seed as u64
    );
    let setup = if kind == "offer" { "actpass" } else { "active" };
    for (mid, media, pts) in [
        (0, "audio", "111 63 9 0 8 13 110 126"),
        (1, "video", "96 97 98 99 100 101 45 46 102 103 104 105 106 107 108 109 127 125 39 40"),
    ] {
        s += &format!("m={media} 9 UDP/TLS/RTP/SAVPF {pts}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Xk3f\r\na=ice-pwd:9fX2kq0sJ3lW8Zb1mNcR7tYv\r\na=ice-options:trickle\r\na=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\r\na=setup:{setup}\r\na=mid:{mid}\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\n");
        for (i, pt) in pts.split(' ').enumerate() {
            let codec = if media == "audio" {
                ["opus/48000/2", "red/48000/2", "G722/8000", "PCMU/8000"][i % 4]
            } else {
                ["VP8/90000", "rtx/90000", "VP9/90000", "H264/90000", "AV1/90000"][i % 5]
            };
            s += &format!("a=rtpmap:{pt} {codec}\r\na=rtcp-fb:{pt} transport-cc\r\na=fmtp:{pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n");
        }
        s += &format!("a=ssrc:{} cname:bench\r\na=ssrc:{} msid:stream track{mid}\r\n", ssrc(seed), ssrc(seed));
    }
    s.truncate(4096);
    s
}

/// The SSRC of `seed`'s tracks: 10 digits.
fn ssrc(seed: usize) -> u64 {
    1_000_000_000 + seed as u64
}

/// A message carrying an SDP, built once per kind as JSON and patched per seed: building
/// and escaping a 4 KiB SDP for every message made the generator's streamer task (one for
/// all viewers) fall behind a fast server's crowd, and its backlog then counted in the
/// offer→answer figure as if it were the server's.
struct SdpMessage {
    /// `{"type":KIND,KIND:{"type":KIND,"sdp":"…"}` without its closing brace.
    json: String,
    /// Where the seed-dependent digits are, how many, and their value for seed 0.
    fields: Vec<(usize, usize, u64)>,
}

impl SdpMessage {
    fn new(kind: &str) -> Self {
        let sdp = serde_json::to_string(&sdp(kind, 0)).expect("a string");
        let json = format!(r#"{{"type":"{kind}","{kind}":{{"type":"{kind}","sdp":{sdp}}}"#);
        let mut fields = Vec::new();
        for base in [4_611_686_018_427_387_904u64, ssrc(0)] {
            let digits = base.to_string();
            fields.extend(json.match_indices(&digits).map(|(at, _)| (at, digits.len(), base)));
        }
        SdpMessage { json, fields }
    }

    /// The message for `seed`, with `"viewerId"` when given.
    fn build(&self, seed: usize, viewer_id: Option<&str>) -> String {
        let mut out = String::with_capacity(self.json.len() + 64);
        out.push_str(&self.json);
        for &(at, width, base) in &self.fields {
            let digits = (base + seed as u64).to_string();
            assert_eq!(digits.len(), width, "a seed below 10^9 keeps the width");
            out.replace_range(at..at + width, &digits);
        }
        if let Some(id) = viewer_id {
            out.push_str(r#","viewerId":""#);
            out.push_str(id);
            out.push('"');
        }
        out.push('}');
        out
    }
}

fn candidate_json(i: usize, target: &str, viewer_id: Option<&str>) -> String {
    let id = viewer_id.map_or(String::new(), |v| format!(r#","viewerId":"{v}""#));
    format!(
        r#"{{"type":"candidate","candidate":{{"candidate":"candidate:{i} 1 udp 2122260223 192.168.1.{} {} typ host generation 0 ufrag Xk3f network-id 1","sdpMid":"0","sdpMLineIndex":0}},"target":"{target}"{id}}}"#,
        i % 250 + 1,
        50000 + i
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits until `done()` or `within` passed; whether it finished.
async fn until(within: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

/// The streamer's reading side: answers every `newViewer` with an offer and times the answers.
async fn streamer_reader(
    mut rx: futures_util::stream::SplitStream<Ws>,
    tx: mpsc::UnboundedSender<Message>,
    wave: CurrentWave,
) {
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut offers = 0;
    let template = SdpMessage::new("offer");
    while let Some(msg) = rx.next().await {
        let counts = wave.counts();
        let text = match msg {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        match kind(&text) {
            "candidate" => {
                counts.streamer_candidates.fetch_add(1, Ordering::Relaxed);
            }
            "newViewer" => {
                counts.new_viewers.fetch_add(1, Ordering::Relaxed);
                let Some(id) = viewer_id(&text) else {
                    counts.error(format!("newViewer without an id: {text}"));
                    continue;
                };
                let offer = template.build(offers, Some(&id));
                sent.insert(id, Instant::now());
                offers += 1;
                let _ = tx.send(Message::text(offer));
            }
            "answer" => {
                let id = viewer_id(&text).unwrap_or_default();
                match sent.remove(&id) {
                    Some(at) => {
                        counts.rtts.lock().unwrap().push(at.elapsed().as_secs_f64() * 1000.0);
                        counts.answered.lock().unwrap().push(id);
                        counts.answers.fetch_add(1, Ordering::Relaxed);
                    }
                    None => counts.error(format!("an answer from {id:?}, which was sent no offer")),
                }
            }
            "error" => counts.error(format!("streamer got {text}")),
            _ => {}
        }
    }
    let counts = wave.counts();
    if !counts.stopping.load(Ordering::Relaxed) {
        counts.error("the streamer's socket closed mid-run");
    }
}

/// The counts of the wave in progress, which the streamer's tasks (open across waves) add to.
#[derive(Clone, Default)]
struct CurrentWave(Arc<Mutex<Arc<Counts>>>);

impl CurrentWave {
    fn counts(&self) -> Arc<Counts> {
        self.0.lock().unwrap().clone()
    }

    fn start(&self) -> Arc<Counts> {
        let fresh = Arc::new(Counts::default());
        *self.0.lock().unwrap() = fresh.clone();
        fresh
    }
}

/// The top-level `viewerId` without parsing the message (an answer's 4 KiB SDP holds none).
fn viewer_id(text: &str) -> Option<String> {
    let (_, rest) = text.split_once(r#""viewerId":""#)?;
    Some(rest.split_once('"')?.0.to_owned())
}

/// The streamer's writing side: batches what is queued into one flush.
async fn streamer_writer(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    mut rx: mpsc::UnboundedReceiver<Message>,
    wave: CurrentWave,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
            if batch.len() >= 256 {
                break;
            }
        }
        for m in batch {
            if sink.feed(m).await.is_err() {
                wave.counts().error("the streamer could not send");
                return;
            }
        }
        if sink.flush().await.is_err() {
            wave.counts().error("the streamer could not send");
            return;
        }
    }
    let _ = sink.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "bench done".into() }))).await;
}

/// What every viewer of a run shares: where to connect, how many candidates to send, the
/// connection gate, the counters and the storm and stop signals.
#[derive(Clone)]
struct Crowd {
    url: String,
    k: usize,
    gate: Arc<Semaphore>,
    counts: Arc<Counts>,
    storm: watch::Receiver<bool>,
    stop: watch::Receiver<bool>,
    answers: Arc<SdpMessage>,
}

/// One viewer: joins at `join_at`, answers the offer, sends its candidates `delay` after the
/// storm starts, counts the streamer's, and stays until told to stop.
async fn viewer(crowd: Crowd, n: usize, delay: Duration, join_at: Duration) {
    let Crowd { url, k, gate, counts, mut storm, mut stop, answers } = crowd;
    tokio::time::sleep(join_at).await;
    let permit = gate.acquire_owned().await.expect("the gate stays open");
    let connecting = Instant::now();
    let mut ws = match common::connect(&url, None).await {
        Ok(ws) => ws,
        Err(e) => return counts.error(format!("viewer {n}: {e}")),
    };
    let hello = format!(r#"{{"type":"viewer","viewerId":"bench-{n}"}}"#);
    if let Err(e) = ws.send(Message::text(hello)).await {
        return counts.error(format!("viewer {n}: send: {e}"));
    }
    let mut permit = Some(permit);
    let mut got = 0;
    let mut stormed = false;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        if !counts.stopping.load(Ordering::Relaxed) {
                            counts.error(format!("viewer {n}: socket closed mid-run"));
                        }
                        return;
                    }
                    Some(Ok(_)) => continue,
                };
                match kind(&text) {
                    "candidate" => {
                        counts.viewer_candidates.fetch_add(1, Ordering::Relaxed);
                        got += 1;
                        if got == k {
                            counts.viewers_done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    "welcome" => {
                        counts.welcomes.fetch_add(1, Ordering::Relaxed);
                        permit = None; // joined: let the next one connect
                    }
                    "offer" => {
                        counts.offers.fetch_add(1, Ordering::Relaxed);
                        counts.joins.lock().unwrap().push(connecting.elapsed().as_secs_f64() * 1000.0);
                        let answer = answers.build(n, None);
                        if let Err(e) = ws.send(Message::text(answer)).await {
                            return counts.error(format!("viewer {n}: send: {e}"));
                        }
                    }
                    "error" => counts.error(format!("viewer {n} got {text}")),
                    _ => {}
                }
            }
            _ = async { storm.wait_for(|s| *s).await.is_ok() }, if !stormed => {
                stormed = true;
                tokio::time::sleep(delay).await;
                for i in 0..k {
                    if ws.feed(Message::text(candidate_json(i, "streamer", None))).await.is_err() {
                        return counts.error(format!("viewer {n}: could not send"));
                    }
                }
                if ws.flush().await.is_err() {
                    return counts.error(format!("viewer {n}: could not send"));
                }
            }
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => {
                drop(permit);
                let _ = ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "bench done".into() })).await;
                return;
            }
        }
    }
}

/// What every wave shares: the options, the streamer's queue, the server's pid and its RSS
/// before the first wave.
struct Run {
    args: Args,
    tx: mpsc::UnboundedSender<Message>,
    wave: CurrentWave,
    rss_before: u64,
}

impl Run {
    fn rss(&self) -> u64 {
        self.args.server_pid.and_then(rss_kib).unwrap_or(0)
    }

    /// One wave: N viewers join and negotiate, the candidate storm, optionally the idle hold,
    /// then they leave. Prints its `RESULT` line; whether it was clean.
    async fn wave(&self, number: usize) -> bool {
        let args = &self.args;
        let (n, k) = (args.viewers, args.candidates);
        let counts = self.wave.start();
        let rss_start = self.rss();
        counts.peak_rss.store(rss_start, Ordering::Relaxed);
        let sampler = {
            let (counts, pid) = (counts.clone(), args.server_pid);
            tokio::spawn(async move {
                loop {
                    counts.peak_rss.fetch_max(pid.and_then(rss_kib).unwrap_or(0), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        if args.waves > 1 {
            println!("-- wave {number} of {}: {n} viewers (server RSS {rss_start} KiB)", args.waves);
        }

        // Phase 1: N viewers join and negotiate.
        let phase = Duration::from_secs(args.timeout);
        let spread = Duration::from_millis(args.storm_spread_ms);
        let gate = Arc::new(Semaphore::new(args.concurrency.max(1)));
        let (storm_tx, storm_rx) = watch::channel(false);
        let (stop_tx, stop_rx) = watch::channel(false);
        let answers = Arc::new(SdpMessage::new("answer"));
        let crowd =
            Crowd { url: args.url.clone(), k, gate, counts: counts.clone(), storm: storm_rx, stop: stop_rx, answers };
        let started = Instant::now();
        // Both processes' CPU over the negotiation: a side at a full core sets the pace (and
        // its queueing is in the figures), whichever side it is.
        let cpu = |pid: Option<u32>| pid.and_then(common::cpu_seconds).unwrap_or(f64::NAN);
        let (server_cpu0, own_cpu0) = (cpu(args.server_pid), cpu(Some(std::process::id())));
        // Viewer numbers go on across waves, so that every SDP differs.
        let first = (number - 1) * n;
        let viewers: Vec<_> = (0..n)
            .map(|i| {
                let join_at = if args.join_rate == 0 {
                    Duration::ZERO
                } else {
                    Duration::from_secs_f64(i as f64 / args.join_rate as f64)
                };
                tokio::spawn(viewer(crowd.clone(), first + i, spread.mul_f64(i as f64 / n as f64), join_at))
            })
            .collect();
        let negotiated = until(phase, || counts.answers.load(Ordering::Relaxed) >= n).await;
        let negotiate_s = started.elapsed().as_secs_f64();
        let busy = |now: f64, then: f64| 100.0 * (now - then) / negotiate_s;
        let server_busy = busy(cpu(args.server_pid), server_cpu0);
        let own_busy = busy(cpu(Some(std::process::id())), own_cpu0);
        if !negotiated {
            counts.error(format!(
                "only {} of {n} viewers negotiated within {phase:?}",
                counts.answers.load(Ordering::Relaxed)
            ));
        }
        let mut rtts = counts.rtts.lock().unwrap().clone();
        rtts.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&rtts, 0.5), percentile(&rtts, 0.99));
        let mut joins = counts.joins.lock().unwrap().clone();
        joins.sort_by(f64::total_cmp);
        let (join_p50, join_p99) = (percentile(&joins, 0.5), percentile(&joins, 0.99));
        let rss_negotiated = self.rss();
        println!("{n} viewers negotiated in {negotiate_s:.2} s; offer→answer p50 {p50:.1} ms, p99 {p99:.1} ms; connect→offer p50 {join_p50:.1} ms, p99 {join_p99:.1} ms; server RSS {rss_negotiated} KiB");
        println!("CPU meanwhile: server {server_busy:.0} %, load generator {own_busy:.0} % of a core");

        // Phase 2: the candidate storm, K each way per viewer.
        let storm_started = Instant::now();
        storm_tx.send_replace(true);
        let ids = counts.answered.lock().unwrap().clone();
        for (j, id) in ids.iter().enumerate() {
            if !spread.is_zero() && j % 16 == 0 {
                tokio::time::sleep_until((storm_started + spread.mul_f64(j as f64 / ids.len() as f64)).into()).await;
            }
            for i in 0..k {
                let _ = self.tx.send(Message::text(candidate_json(i, "viewer", Some(id))));
            }
        }
        let expected_storm = 2 * n * k;
        let stormed = until(phase, || {
            counts.streamer_candidates.load(Ordering::Relaxed) + counts.viewer_candidates.load(Ordering::Relaxed)
                >= expected_storm
        })
        .await;
        let storm_s = storm_started.elapsed().as_secs_f64();
        let relayed =
            counts.streamer_candidates.load(Ordering::Relaxed) + counts.viewer_candidates.load(Ordering::Relaxed);
        if !stormed {
            counts.error(format!("only {relayed} of {expected_storm} candidates arrived within {phase:?}"));
        }
        let cand_per_s = relayed as f64 / storm_s;
        println!("candidate storm (spread over {spread:?}): {relayed} relayed in {storm_s:.2} s = {cand_per_s:.0}/s");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss_peak = counts.peak_rss.load(Ordering::Relaxed).max(self.rss());
        // Against the server before the first wave: what an earlier wave kept counts too.
        let rss_before = self.rss_before;
        let per_viewer = (rss_peak as f64 - rss_before as f64) / n.max(1) as f64;
        println!("server RSS: before {rss_before} KiB, peak {rss_peak} KiB, {per_viewer:.1} KiB per viewer");

        // Optional: the server idle with N viewers held.
        let mut idle_fields = String::new();
        if let Some(secs) = args.idle {
            let pid = args.server_pid;
            let (cpu0, rss0) = (pid.and_then(common::cpu_seconds), self.rss());
            tokio::time::sleep(Duration::from_secs(secs)).await;
            let (cpu1, rss1) = (pid.and_then(common::cpu_seconds), self.rss());
            let cpu = match (cpu0, cpu1) {
                (Some(a), Some(b)) => b - a,
                _ => f64::NAN,
            };
            let idle_per_viewer = (rss1 as f64 - rss_before as f64) / n.max(1) as f64;
            println!(
                "idle {secs} s with {n} viewers: server CPU {cpu:.2} s ({:.1}% of a core); RSS {rss0} → {rss1} KiB, {idle_per_viewer:.1} KiB per viewer",
                100.0 * cpu / secs as f64
            );
            idle_fields = format!(" idle_s={secs} idle_cpu_s={cpu:.3} idle_kib_per_viewer={idle_per_viewer:.1}");
        }

        // Every expected message: per viewer a welcome, an offer and K candidates; for the
        // streamer a newViewer, an answer and K candidates per viewer.
        let got = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        let expected = [
            ("welcome", n, got(&counts.welcomes)),
            ("offer", n, got(&counts.offers)),
            ("candidate to viewers", n * k, got(&counts.viewer_candidates)),
            ("newViewer", n, got(&counts.new_viewers)),
            ("answer", n, got(&counts.answers)),
            ("candidate to the streamer", n * k, got(&counts.streamer_candidates)),
        ];
        let mut lost = 0;
        let mut delivered = 0;
        for (what, want, have) in expected {
            if have != want {
                println!("  {what}: expected {want}, got {have}");
            }
            lost += want.saturating_sub(have);
            delivered += have;
        }
        // Messages the server delivered per second over negotiation and storm together.
        let msgs_per_s = delivered as f64 / (negotiate_s + storm_s);
        let complete = got(&counts.viewers_done);
        if k > 0 && complete < n {
            println!("  {complete} of {n} viewers got all their candidates");
        }

        // The viewers leave; the next wave starts once they all closed.
        counts.stopping.store(true, Ordering::Relaxed);
        stop_tx.send_replace(true);
        for v in viewers {
            let _ = tokio::time::timeout(Duration::from_secs(10), v).await;
        }
        sampler.abort();
        let errors = got(&counts.errors);
        println!("errors {errors}, lost messages {lost}");
        println!(
            "RESULT label={} viewers={n} wave={number} candidates={k} negotiate_s={negotiate_s:.3} p50_ms={p50:.2} p99_ms={p99:.2} join_p50_ms={join_p50:.2} join_p99_ms={join_p99:.2} server_cpu_pct={server_busy:.0} generator_cpu_pct={own_busy:.0} cand_per_s={cand_per_s:.0} msgs_per_s={msgs_per_s:.0} spread_ms={} join_rate={} rss_before_kib={rss_before} rss_peak_kib={rss_peak} kib_per_viewer={per_viewer:.1} errors={errors} lost={lost}{idle_fields}",
            args.label,
            args.storm_spread_ms,
            args.join_rate
        );
        errors == 0 && lost == 0
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match common::raise_open_files_limit() {
        Ok((before, after)) => println!("open-files limit raised from {before} to {after} (the hard limit)"),
        Err(e) => eprintln!("could not raise the open-files limit: {e}"),
    }
    if args.viewers + 100 > 60999 - 32768 {
        eprintln!("note: {} viewers may exhaust the ephemeral ports of one address", args.viewers);
    }

    let cookie = match (&args.cookie, &args.admin_password) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(p)) => match common::sign_in(&args.url, "admin", p).await {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("sign-in failed: {e}");
                std::process::exit(1);
            }
        },
        (None, None) => None,
    };
    let mut streamer = match common::connect(&args.url, cookie.as_deref()).await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("streamer: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) =
        common::handshake(&mut streamer, r#"{"type":"streamer"}"#.into(), "streamerReady", Duration::from_secs(10))
            .await
    {
        eprintln!("streamer: {e}");
        std::process::exit(1);
    }
    // After the sign-in: its Argon2 hash takes 19 MiB for a moment, which is not the
    // viewers' doing.
    let rss_before = args.server_pid.and_then(rss_kib).unwrap_or(0);
    println!("[{}] server RSS before (idle, streamer signed in): {rss_before} KiB", args.label);

    let (sink, stream) = streamer.split();
    let (tx, rx) = mpsc::unbounded_channel();
    let wave = CurrentWave::default();
    let writer = tokio::spawn(streamer_writer(sink, rx, wave.clone()));
    let reader = tokio::spawn(streamer_reader(stream, tx.clone(), wave.clone()));
    let run = Run { args, tx, wave, rss_before };
    let mut clean = true;
    for number in 1..=run.args.waves.max(1) {
        clean &= run.wave(number).await;
    }

    // The reader holds a sender too: once both are gone the writer sends a normal close.
    run.wave.counts().stopping.store(true, Ordering::Relaxed);
    reader.abort();
    let _ = reader.await;
    drop(run);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    if !clean {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patched_message_is_the_one_built_from_scratch() {
        for (kind, seed, id) in [("offer", 0, Some("v1")), ("offer", 12_345, Some("abc")), ("answer", 999_999, None)] {
            let sdp = sdp(kind, seed);
            let mut want = serde_json::json!({"type": kind, kind: {"type": kind, "sdp": sdp}});
            if let Some(id) = id {
                want["viewerId"] = id.into();
            }
            let built: serde_json::Value = serde_json::from_str(&SdpMessage::new(kind).build(seed, id)).unwrap();
            assert_eq!(built, want);
            assert_eq!(viewer_id(&built.to_string()).as_deref(), id);
        }
    }
}
