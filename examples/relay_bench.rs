//! Relay benchmark (not part of CI; `make bench` runs it): one str0m publisher at 720p30-like
//! traffic over WHIP (or, `--publisher ffmpeg`, ffmpeg's H.264 at 720p30) and N str0m viewers
//! over WHEP against a running `--relay on` server; prints viewers served with no loss, packets
//! out, the server's CPU and memory per viewer, and the delay a frame spends in the relay.
//! `--join-rate 0` is the flash crowd.
//!
//! ```sh
//! cargo build --release --features ssr --bin onair --example relay_bench
//! target/release/examples/relay_bench --url http://127.0.0.1:9393 --server-pid PID \
//!     --admin-password SECRET --viewers 200
//! ```
//!
//! The last line (`RESULT …`) is for scripts (scripts/bench.sh).

// The test harness only for `relay_support`'s `Target` impl and `http()`.
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "relay_bench/h264.rs"]
mod h264;
#[path = "common/mod.rs"]
mod load;
#[allow(dead_code)]
#[path = "../tests/relay_support/mod.rs"]
mod relay_support;

use clap::Parser;
use onair::web::relay_retry::{after_refusal, AfterRefusal};
use relay_support::{Encoder, FrameSizes, Log, StrClient, Target};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Relay benchmark: one publisher at ~1.5 Mbit/s, N viewers over WHEP")]
struct Args {
    /// The server's HTTP address.
    #[arg(long, default_value = "http://127.0.0.1:9393")]
    url: String,
    /// The server's process id, for its CPU time and RSS.
    #[arg(long)]
    server_pid: u32,
    #[arg(long)]
    admin_password: String,
    #[arg(long, default_value_t = 200)]
    viewers: usize,
    /// Viewers starting their WHEP exchange per second; 0: all at once (the flash crowd).
    #[arg(long, default_value_t = 100)]
    join_rate: u64,
    /// Length of the measured window, once every viewer plays.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Viewers per source address (the relay admits 50 sessions per address by default).
    #[arg(long, default_value_t = 40)]
    per_address: usize,
    #[arg(long, default_value = "relay")]
    label: String,
    /// Who publishes: str0m's synthetic VP8 (~1.5 Mbit/s), or ffmpeg's WHIP muxer with the
    /// admin's stream key (H.264 baseline 1280x720 at 30 fps, 2.5 Mbit/s, and Opus).
    #[arg(long, value_enum, default_value_t = Publisher::Str0m)]
    publisher: Publisher,
    /// The ffmpeg with a WHIP muxer, for `--publisher ffmpeg` [default: the one
    /// `scripts/install-tools.sh --tests` installs].
    #[arg(long)]
    ffmpeg: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Publisher {
    Str0m,
    Ffmpeg,
}

impl Publisher {
    fn name(self) -> &'static str {
        match self {
            Publisher::Str0m => "str0m",
            Publisher::Ffmpeg => "ffmpeg",
        }
    }
}

/// The publisher's side: str0m's task, or ffmpeg's process (both end when dropped).
enum Publishing {
    Str0m(StrClient),
    Ffmpeg(h264::Ffmpeg),
}

impl Publishing {
    /// str0m's newest frame (its sequence number); ffmpeg's frames carry none of ours.
    fn last_sent(&self) -> Option<u32> {
        match self {
            Publishing::Str0m(publisher) => publisher.log().last_sent(),
            Publishing::Ffmpeg(_) => None,
        }
    }

    fn ended(&mut self) -> Option<String> {
        match self {
            Publishing::Str0m(publisher) => publisher.log().ended.clone(),
            Publishing::Ffmpeg(ffmpeg) => ffmpeg.exited(),
        }
    }
}

/// A keyframe every 2 s at 30 fps.
const KEYFRAME_EVERY: u32 = 60;
/// Like 720p30 at about 1.5 Mbit/s with that keyframe interval: (50,000 + 59 × 5,500) bytes
/// every 2 s; about 44 RTP packets a keyframe and 5 a delta.
const HD_1500K: FrameSizes = FrameSizes { keyframe: 50_000, delta: 5_500 };
/// Longest wait, once the window ends, for its last frame to reach every viewer.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(5);
/// Longest wait for every viewer's first frame.
const JOIN_WAIT: Duration = Duration::from_secs(60);

/// The server, reached from several loopback addresses so that the relay's per-address
/// session limit applies to each group of `per_address` viewers, not to all of them.
struct Bench {
    base: String,
    clients: Vec<reqwest::Client>,
    per_address: usize,
    opened: AtomicUsize,
}

impl Target for Bench {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn client(&self) -> reqwest::Client {
        let n = self.opened.fetch_add(1, Ordering::Relaxed);
        self.clients[(n / self.per_address) % self.clients.len()].clone()
    }
}

impl Bench {
    fn new(base: &str, viewers: usize, per_address: usize) -> Bench {
        let addresses = viewers.div_ceil(per_address).max(1);
        let clients = (0..addresses)
            .map(|i| {
                // 127.0.1.1, 127.0.1.2, …: all loopback on Linux, each its own peer address.
                let ip = Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8);
                reqwest::Client::builder()
                    .local_address(IpAddr::V4(ip))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client")
            })
            .collect();
        Bench { base: base.trim_end_matches('/').to_owned(), clients, per_address, opened: AtomicUsize::new(0) }
    }
}

/// The publisher's side: one session from 127.0.0.1.
struct Local(String);

impl Target for Local {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// What the server's `/metrics` and `/proc` say at one moment.
struct Snapshot {
    at: Instant,
    server_cpu: f64,
    own_cpu: f64,
    packets_out: f64,
    sends: f64,
    bytes_out: f64,
    dropped_out: f64,
    packets_in: f64,
    keyframe_requests: f64,
    delay_buckets: Vec<(f64, f64)>,
    udp: (u64, u64),
}

async fn snapshot(http: &reqwest::Client, base: &str, pid: u32) -> Snapshot {
    let text = match http.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let delay_buckets = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("onair_relay_forward_delay_seconds_bucket{le=\"")?;
            let (le, count) = rest.split_once("\"} ")?;
            Some((if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? }, count.trim().parse().ok()?))
        })
        .collect();
    Snapshot {
        at: Instant::now(),
        server_cpu: load::cpu_seconds(pid).unwrap_or(0.0),
        own_cpu: load::cpu_seconds(std::process::id()).unwrap_or(0.0),
        packets_out: value("onair_relay_packets_out_total"),
        sends: value("onair_relay_sends_total"),
        bytes_out: value("onair_relay_bytes_out_total"),
        dropped_out: value("onair_relay_dropped_out_total"),
        packets_in: value("onair_relay_packets_in_total"),
        keyframe_requests: value("onair_relay_keyframe_requests_total"),
        delay_buckets,
        udp: udp_buffer_errors(),
    }
}

/// The machine's UDP receive- and send-buffer overflows (`/proc/net/snmp`): loss on
/// loopback happens only there, on whichever side could not keep up.
fn udp_buffer_errors() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut lines = text.lines().filter(|l| l.starts_with("Udp: "));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else { return (0, 0) };
    let field = |want: &str| {
        names
            .split_whitespace()
            .zip(values.split_whitespace())
            .find(|(n, _)| *n == want)
            .and_then(|(_, v)| v.parse().ok())
    };
    (field("RcvbufErrors").unwrap_or(0), field("SndbufErrors").unwrap_or(0))
}

/// A quantile of the histogram's increase between two snapshots, interpolated in its bucket.
fn histogram_quantile(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let counts: Vec<(f64, f64)> =
        after.iter().map(|(le, n)| (*le, n - before.iter().find(|(b, _)| b == le).map_or(0.0, |(_, m)| *m))).collect();
    let total = counts.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for (le, n) in &counts {
        if *n >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let share = if *n > lower.1 { (rank - lower.1) / (n - lower.1) } else { 1.0 };
            return Some(lower.0 + (le - lower.0) * share);
        }
        lower = (*le, *n);
    }
    None
}

/// The median and the 99th percentile of `values`.
fn p50_p99(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(&values, 0.5), percentile(&values, 0.99))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn sign_in(base: &str, password: &str) -> Result<String, String> {
    let res = common::http()
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", password)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("onair_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("sign-in answered {} without a session cookie", res.status()))
}

fn fail(why: impl std::fmt::Display) -> ! {
    eprintln!("{why}");
    std::process::exit(1);
}

/// str0m's publisher, once it has written a second of frames.
async fn publish_str0m(base: &str, cookie: &str) -> StrClient {
    let encoder = Encoder { keyframe_every: Some(KEYFRAME_EVERY), answers_keyframe_requests: true };
    let publisher = StrClient::publish_with(&Local(base.to_owned()), cookie, encoder, HD_1500K).await;
    let published = Instant::now();
    while publisher.log().last_sent().is_none_or(|s| s < 30) {
        if published.elapsed() > Duration::from_secs(10) {
            fail(format!("the publisher did not connect: {:?}", publisher.log().ended));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    publisher
}

/// ffmpeg publishing with the admin's stream key, once the relay has received a second of it.
async fn publish_ffmpeg(base: &str, cookie: &str, ffmpeg: Option<PathBuf>) -> h264::Ffmpeg {
    let key = h264::stream_key(base, cookie).await.unwrap_or_else(|e| fail(e));
    let path = ffmpeg.unwrap_or_else(common::ffmpeg_for_whip);
    let mut publisher = h264::publish(&path, base, &key).unwrap_or_else(|e| fail(e));
    let (http, published) = (common::http(), Instant::now());
    // 2.5 Mbit/s of video and 50 Opus packets make about 300 datagrams a second.
    while snapshot(&http, base, 0).await.packets_in < 300.0 {
        if let Some(why) = publisher.exited() {
            fail(why);
        }
        if published.elapsed() > Duration::from_secs(20) {
            fail("ffmpeg did not get media to the relay within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    publisher
}

/// When a viewer's first video frame came, and whether it was a keyframe: str0m's VP8, or
/// another codec's (ffmpeg's H.264).
fn first_frame(log: &Log) -> Option<(Instant, bool)> {
    let vp8 = log.received.first().map(|r| (r.at, r.keyframe));
    let foreign = log.foreign.first().zip(log.foreign_times.first()).map(|((_, keyframe), (_, at))| (*at, *keyframe));
    vp8.or(foreign)
}

/// What the viewers got: from each one's first frame to the window's end, and in the window.
#[derive(Default)]
struct Tally {
    /// Viewers that got every frame from their first one on.
    clean: usize,
    missing: u64,
    /// The same over the measured window alone: what the relay does once the joins are over.
    window_clean: usize,
    window_missing: u64,
    corrupt: u64,
    /// Publisher's write → viewer's complete frame, ms, every frame of every viewer.
    delays: Vec<f64>,
    /// The same for keyframes alone: a keyframe is ~9 times a delta frame's packets, and a
    /// core sends one to every viewer in turn, so the last viewers' copies wait for the rest.
    keyframe_delays: Vec<f64>,
    /// And for delta frames alone.
    delta_delays: Vec<f64>,
    /// Per frame of the window: the delay of its first copy to arrive at any viewer, and the
    /// time from that copy to the last one. One core sends a frame to each viewer in turn,
    /// so that spread grows with the viewers and the frame's packets, whatever else waits.
    first_copy_delays: Vec<f64>,
    fan_outs: Vec<f64>,
}

/// str0m's VP8 frames carry their sequence number: a viewer's loss is every number it lacks
/// from its first frame to the window's last, and its delay is measured per frame.
fn tally_vp8(viewers: &[StrClient], sent_at: &[Instant], window: RangeInclusive<u32>) -> Tally {
    let last_seq = *window.end();
    let mut tally = Tally::default();
    let mut spans: Vec<Option<(f64, f64)>> = vec![None; (last_seq + 1) as usize];
    for v in viewers {
        let log = v.log();
        tally.corrupt += log.corrupt as u64;
        let Some(from) = log.received.first().map(|r| r.seq) else { continue };
        let mut got = vec![false; (last_seq + 1) as usize];
        for r in &log.received {
            if let Some(slot) = got.get_mut(r.seq as usize) {
                *slot = true;
            }
            if window.contains(&r.seq) {
                if let Some(sent) = sent_at.get(r.seq as usize) {
                    let delay = r.at.saturating_duration_since(*sent).as_secs_f64() * 1000.0;
                    tally.delays.push(delay);
                    if let Some(span) = spans.get_mut(r.seq as usize) {
                        let (lo, hi) = span.get_or_insert((delay, delay));
                        (*lo, *hi) = (lo.min(delay), hi.max(delay));
                    }
                    if r.keyframe {
                        tally.keyframe_delays.push(delay);
                    } else {
                        tally.delta_delays.push(delay);
                    }
                }
            }
        }
        let lacking = |from: u32| got.get(from as usize..).map_or(0, |g| g.iter().filter(|g| !**g).count()) as u64;
        let (lost, lost_in_window) = (lacking(from), lacking(from.max(*window.start())));
        tally.missing += lost;
        tally.window_missing += lost_in_window;
        tally.clean += usize::from(lost == 0 && log.corrupt == 0);
        tally.window_clean += usize::from(lost_in_window == 0 && log.corrupt == 0);
    }
    for (lo, hi) in spans.into_iter().flatten() {
        tally.first_copy_delays.push(lo);
        tally.fan_outs.push(hi - lo);
    }
    tally
}

/// ffmpeg's H.264 carries nothing of ours: the window's frames are the RTP timestamps any
/// viewer received in it, and a viewer's loss the ones it lacks. There is no write time to
/// measure a delay from.
fn tally_h264(viewers: &[StrClient], window: RangeInclusive<Instant>) -> Tally {
    let times: Vec<Vec<u64>> =
        viewers.iter().map(|v| v.log().foreign_times.iter().map(|(t, _)| *t).collect()).collect();
    let in_window: Vec<u64> = viewers
        .iter()
        .flat_map(|v| {
            v.log().foreign_times.iter().filter(|(_, at)| window.contains(at)).map(|(t, _)| *t).collect::<Vec<_>>()
        })
        .collect();
    let mut tally = Tally::default();
    let (Some(oldest), Some(newest)) = (in_window.iter().min(), in_window.iter().max()) else { return tally };
    for times in times.iter().filter(|t| !t.is_empty()) {
        // Only the window's frames are known, so both counts are the window's.
        let lost = h264::missing_frames(times, *oldest, *newest);
        tally.missing += lost;
        tally.window_missing += lost;
        tally.clean += usize::from(lost == 0);
        tally.window_clean += usize::from(lost == 0);
    }
    tally
}

/// How the viewers' joins went.
struct Joined {
    viewers: Vec<StrClient>,
    /// Viewers still refused when they stopped trying ([`JOIN_RETRY_FOR`]).
    refused: usize,
    /// Refusals in all, each followed by a retry or the end.
    refusals: usize,
}

/// How long a refused viewer keeps trying, waiting between attempts as the watch page does.
const JOIN_RETRY_FOR: Duration = Duration::from_secs(30);

/// Opens the viewers: viewer i starts at i / rate, or all at once. A refused viewer tries
/// again after the watch page's wait (`relay_retry`), for [`JOIN_RETRY_FOR`].
async fn open_viewers(bench: &Arc<Bench>, n: usize, rate: u64) -> Joined {
    let start = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let bench = bench.clone();
            let at = if rate == 0 { start } else { start + Duration::from_secs_f64(i as f64 / rate as f64) };
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let give_up = tokio::time::Instant::now() + JOIN_RETRY_FOR;
                let mut refusals = Vec::new();
                loop {
                    let refused = match StrClient::try_play(bench.as_ref(), "").await {
                        Ok(v) => return (Some(v), refusals),
                        Err(r) => r,
                    };
                    let jitter = rand::random::<f64>();
                    let wait = match after_refusal(refused.status, refused.retry_after, refusals.len() as u32, jitter) {
                        AfterRefusal::Retry { after_ms, .. } => Duration::from_millis(after_ms.into()),
                        AfterRefusal::Stop { .. } => Duration::MAX,
                    };
                    refusals.push(refused);
                    match tokio::time::Instant::now().checked_add(wait) {
                        Some(next) if next < give_up => tokio::time::sleep_until(next).await,
                        _ => return (None, refusals),
                    }
                }
            })
        })
        .collect();
    let mut joined = Joined { viewers: Vec::new(), refused: 0, refusals: 0 };
    for t in tasks {
        let Ok((viewer, refusals)) = t.await else {
            joined.refused += 1;
            continue;
        };
        if let (0, Some(r)) = (joined.refusals, refusals.first()) {
            eprintln!("a viewer was refused: {} {}", r.status, r.body.trim());
        }
        joined.refusals += refusals.len();
        match viewer {
            Some(v) => joined.viewers.push(v),
            None => joined.refused += 1,
        }
    }
    joined
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    if let Err(e) = load::raise_open_files_limit() {
        eprintln!("could not raise the open-files limit: {e}");
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let (n, pid) = (args.viewers, args.server_pid);
    let cookie = sign_in(&base, &args.admin_password).await.unwrap_or_else(|e| fail(format!("sign-in failed: {e}")));
    let mut publishing = match args.publisher {
        Publisher::Str0m => Publishing::Str0m(publish_str0m(&base, &cookie).await),
        Publisher::Ffmpeg => Publishing::Ffmpeg(publish_ffmpeg(&base, &cookie, args.ffmpeg.clone()).await),
    };
    let http = common::http();
    let rss_before = load::rss_kib(pid).unwrap_or(0);

    let bench = Arc::new(Bench::new(&base, n, args.per_address));
    let joining = Instant::now();
    let Joined { viewers, refused, refusals } = open_viewers(&bench, n, args.join_rate).await;
    let deadline = Instant::now() + JOIN_WAIT;
    while viewers.iter().any(|v| first_frame(&v.log()).is_none()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let firsts: Vec<(Instant, bool)> = viewers.iter().filter_map(|v| first_frame(&v.log())).collect();
    let mut first_frame: Vec<f64> = firsts.iter().map(|(at, _)| (*at - joining).as_secs_f64()).collect();
    first_frame.sort_by(f64::total_cmp);
    let first_keyframes = firsts.iter().filter(|(_, keyframe)| *keyframe).count();
    println!(
        "[{}] {} of {n} viewers playing ({refused} refused after {refusals} refusals in all) {:.2} s after the first WHEP POST; \
         first frame p50 {:.2} s, last {:.2} s; {first_keyframes} of them began with a keyframe",
        args.label,
        firsts.len(),
        joining.elapsed().as_secs_f64(),
        percentile(&first_frame, 0.5),
        first_frame.last().copied().unwrap_or(f64::NAN),
    );

    // Joins ask for keyframes; let that settle before measuring the steady state.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = snapshot(&http, &base, pid).await;
    let first_seq = publishing.last_sent().unwrap_or(0) + 1;
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let after = snapshot(&http, &base, pid).await;
    let last_seq = publishing.last_sent().unwrap_or(0);
    let rss_after = load::rss_kib(pid).unwrap_or(0);
    // Frames still in flight at the window's end: a frame that comes late is late, not lost
    // (the end-to-end delay says how late); one that has not come within IN_FLIGHT_WAIT is lost.
    let waiting = Instant::now();
    while waiting.elapsed() < IN_FLIGHT_WAIT
        && viewers.iter().any(|v| v.log().last_received().is_some_and(|seq| seq < last_seq))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_flight_wait = waiting.elapsed().as_secs_f64();

    if let Some(why) = publishing.ended() {
        println!("[{}] the publisher's session ended: {why}", args.label);
    }
    let ended = viewers.iter().filter(|v| v.log().ended.is_some()).count();
    if ended > 0 {
        println!("[{}] {ended} viewers' sessions ended", args.label);
    }
    let Tally {
        clean,
        missing,
        window_clean,
        window_missing,
        corrupt,
        delays,
        keyframe_delays,
        delta_delays,
        first_copy_delays,
        fan_outs,
    } = match &publishing {
        Publishing::Str0m(publisher) => tally_vp8(&viewers, &publisher.log().sent_at, first_seq..=last_seq),
        Publishing::Ffmpeg(_) => tally_h264(&viewers, before.at..=after.at),
    };
    let [(e2e_p50, e2e_p99), (delta_p50, delta_p99), (key_p50, key_p99), (first_p50, first_p99), (fan_p50, fan_p99)] =
        [delays, delta_delays, keyframe_delays, first_copy_delays, fan_outs].map(p50_p99);

    let secs = (after.at - before.at).as_secs_f64();
    let cores = (after.server_cpu - before.server_cpu) / secs;
    let own_cores = (after.own_cpu - before.own_cpu) / secs;
    let pps = (after.packets_out - before.packets_out) / secs;
    // A server without the sends counter (an earlier build) reads NaN, shown as such.
    let sends = after.sends - before.sends;
    let per_send = if sends > 0.0 { (after.packets_out - before.packets_out) / sends } else { f64::NAN };
    let mbps = (after.bytes_out - before.bytes_out) * 8.0 / secs / 1e6;
    let ms = |s: Option<f64>| s.map_or(f64::NAN, |s| s * 1000.0);
    let relay_p50 = ms(histogram_quantile(&before.delay_buckets, &after.delay_buckets, 0.5));
    let relay_p99 = ms(histogram_quantile(&before.delay_buckets, &after.delay_buckets, 0.99));
    let kib_per_viewer = (rss_after as f64 - rss_before as f64) / n.max(1) as f64;
    let rcvbuf = after.udp.0 - before.udp.0;
    let sndbuf = after.udp.1 - before.udp.1;
    let dropped_out = after.dropped_out - before.dropped_out;
    let keyframe_requests = after.keyframe_requests - before.keyframe_requests;
    println!(
        "[{}] {clean} of {n} viewers got every frame from their first on ({missing} frames missing, {corrupt} corrupt); \
         in the {secs:.1} s window {window_clean} ({window_missing} missing; waited {in_flight_wait:.1} s for its last frame); \
         {pps:.0} packets/s out ({mbps:.1} Mbit/s, {per_send:.1} per send), {dropped_out} dropped by the relay's socket; \
         UDP buffer overflows {rcvbuf} receive / {sndbuf} send; {keyframe_requests} keyframe requests",
        args.label
    );
    println!(
        "[{}] server CPU {:.1}% of a core ({:.1} µs per viewer per second); generator {:.1}%; \
         relay delay p50 {relay_p50:.2} ms, p99 {relay_p99:.2} ms (arrival→hand-off, /metrics); \
         end to end p50 {e2e_p50:.2} ms, p99 {e2e_p99:.2} ms (delta frames p50 {delta_p50:.2} ms, p99 {delta_p99:.2} ms; \
         keyframes p50 {key_p50:.2} ms, p99 {key_p99:.2} ms); a frame's first copy p50 {first_p50:.2} ms, p99 {first_p99:.2} ms, \
         first to last copy p50 {fan_p50:.2} ms, p99 {fan_p99:.2} ms; RSS {rss_before} → {rss_after} KiB, {kib_per_viewer:.0} KiB per viewer",
        args.label,
        cores * 100.0,
        cores * 1e6 / n.max(1) as f64,
        own_cores * 100.0,
    );
    println!(
        "RESULT label={} publisher={} viewers={n} join_rate={} playing={} refused={refused} refusals={refusals} clean={clean} missing={missing} \
         window_clean={window_clean} window_missing={window_missing} in_flight_wait_s={in_flight_wait:.1} \
         corrupt={corrupt} first_p50_s={:.3} first_last_s={:.3} first_keyframes={first_keyframes} window_s={secs:.1} \
         pps_out={pps:.0} datagrams_per_send={per_send:.2} mbps_out={mbps:.1} dropped_out={dropped_out} rcvbuf_errors={rcvbuf} sndbuf_errors={sndbuf} \
         keyframe_requests={keyframe_requests} server_cpu_pct={:.1} cpu_us_per_viewer={:.1} generator_cpu_pct={:.1} \
         relay_p50_ms={relay_p50:.2} relay_p99_ms={relay_p99:.2} e2e_p50_ms={e2e_p50:.2} e2e_p99_ms={e2e_p99:.2} \
         e2e_delta_p50_ms={delta_p50:.2} e2e_delta_p99_ms={delta_p99:.2} e2e_key_p50_ms={key_p50:.2} e2e_key_p99_ms={key_p99:.2} \
         first_copy_p50_ms={first_p50:.2} first_copy_p99_ms={first_p99:.2} fan_out_p50_ms={fan_p50:.2} fan_out_p99_ms={fan_p99:.2} rss_before_kib={rss_before} rss_after_kib={rss_after} kib_per_viewer={kib_per_viewer:.0}",
        args.label,
        args.publisher.name(),
        args.join_rate,
        firsts.len(),
        percentile(&first_frame, 0.5),
        first_frame.last().copied().unwrap_or(f64::NAN),
        cores * 100.0,
        cores * 1e6 / n.max(1) as f64,
        own_cores * 100.0,
    );
}
