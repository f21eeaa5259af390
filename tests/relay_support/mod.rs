//! str0m peers for the relay's integration tests: a publisher that sends synthetic VP8 and
//! Opus frames over WHIP and viewers that record what they receive over WHEP, each with its
//! own UDP socket on loopback, driven by a small sans-IO loop in a tokio task.

use crate::common::{http, Server};
use onair::server::media::resolution::h264_size;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceCreds, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A camera's pace.
pub const FRAME_GAP: Duration = Duration::from_millis(33);
/// Opus's usual frame length.
const AUDIO_GAP: Duration = Duration::from_millis(20);
/// Opus at about 48 kbit/s.
const AUDIO_BYTES: usize = 120;

/// How big the test publisher's video frames are.
#[derive(Clone, Copy, Debug)]
pub struct FrameSizes {
    pub keyframe: usize,
    pub delta: usize,
}

impl FrameSizes {
    /// Like a small real stream: a keyframe spans several RTP packets, a delta fits in one.
    pub const SMALL: FrameSizes = FrameSizes { keyframe: 3000, delta: 700 };
}

/// Where the peers open their sessions: the in-process test server, or (the relay
/// benchmark) a separate one, with an HTTP client of the caller's choosing.
pub trait Target {
    fn url(&self, path: &str) -> String;
    fn client(&self) -> reqwest::Client {
        http()
    }
}

impl Target for Server {
    fn url(&self, path: &str) -> String {
        Server::url(self, path)
    }
}

/// How the test publisher's "encoder" behaves.
#[derive(Clone, Copy, Debug)]
pub struct Encoder {
    /// A keyframe every this many frames (besides the first); `None`: only when asked.
    pub keyframe_every: Option<u32>,
    /// Whether a keyframe request (PLI/FIR) gets a keyframe at once, as Chromium does.
    pub answers_keyframe_requests: bool,
}

impl Encoder {
    /// Like a browser: one keyframe at the start, then only when asked.
    pub const BROWSER: Encoder = Encoder { keyframe_every: None, answers_keyframe_requests: true };
}

/// A VP8 frame whose payload header says keyframe or not (RFC 6386 §9.1: bit 0 of the first
/// byte is 0 for a keyframe, which is what str0m's depacketizer reads), ending in its own
/// length and then `seq` (four bytes each) so the receiver can tell every frame apart and
/// see a frame cut short.
pub fn vp8_frame_sized(seq: u32, keyframe: bool, sizes: FrameSizes) -> Vec<u8> {
    let len = if keyframe { sizes.keyframe } else { sizes.delta };
    let mut frame = if keyframe {
        // Frame tag (key frame, version 0, shown), start code, 640x480.
        vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]
    } else {
        vec![0x31, 0x01, 0x00]
    };
    frame.resize(len.max(frame.len() + 8) - 8, if keyframe { 0x5a } else { 0xa5 });
    frame.extend_from_slice(&(frame.len() as u32 + 8).to_be_bytes());
    frame.extend_from_slice(&seq.to_be_bytes());
    frame
}

/// The sequence number [`vp8_frame_sized`] put in a frame, and whether its header says keyframe.
pub fn read_vp8_frame(frame: &[u8]) -> Option<(u32, bool)> {
    let tail = frame.get(frame.len().checked_sub(8)?..)?;
    let len = u32::from_be_bytes(tail[..4].try_into().ok()?) as usize;
    let seq = u32::from_be_bytes(tail[4..].try_into().ok()?);
    let keyframe = frame.first()? & 1 == 0;
    (frame.len() == len).then_some((seq, keyframe))
}

/// One video frame a viewer received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub seq: u32,
    /// What str0m said (`MediaData::is_keyframe`), checked against the payload's header.
    pub keyframe: bool,
    pub at: Instant,
}

/// What a peer saw, shared between its task and the test.
#[derive(Debug, Default)]
pub struct Log {
    pub connected_at: Option<Instant>,
    /// Publisher: the video frames written, in order (seq, keyframe).
    pub sent: Vec<(u32, bool)>,
    /// Publisher: when each of `sent` was written (the relay benchmark's end-to-end delay).
    pub sent_at: Vec<Instant>,
    pub audio_sent: u32,
    /// Publisher: when str0m reported a keyframe request from the relay.
    pub keyframe_requests: Vec<Instant>,
    /// Viewer: the video frames received, in order.
    pub received: Vec<Received>,
    pub audio_received: u32,
    /// Frames whose content was not what the publisher wrote.
    pub corrupt: u32,
    /// Viewer: video frames of another codec than this publisher's VP8 (ffmpeg's H.264),
    /// with str0m's keyframe flag.
    pub foreign: Vec<(Codec, bool)>,
    /// Viewer: the picture size of each H.264 keyframe among `foreign` (which encoder sent it).
    pub foreign_keyframe_sizes: Vec<(u32, u32)>,
    /// The relay closed the session (its DTLS close_notify arrived).
    pub closed_by_relay: bool,
    /// Viewer: each of `foreign`'s RTP timestamp (90 kHz, unwrapped) and arrival: with no
    /// content of ours to check, gaps in the timestamps are what tell lost frames.
    pub foreign_times: Vec<(u64, Instant)>,
    /// Why the peer's loop ended, if it did.
    pub ended: Option<String>,
}

impl Log {
    pub fn last_sent(&self) -> Option<u32> {
        self.sent.last().map(|(seq, _)| *seq)
    }

    pub fn last_received(&self) -> Option<u32> {
        self.received.last().map(|r| r.seq)
    }
}

enum Control {
    /// Stop (or restart) writing frames.
    Sending(bool),
    /// Send these bytes from this peer's own socket to the relay.
    Raw(Vec<u8>),
    /// Lose every n-th incoming RTP/RTCP datagram from now on.
    DropEvery(u32),
    /// Write this many video frames back to back, each sent at once (a stalled encoder
    /// catching up, or a relay turn that read many frames at a time).
    Burst(u32),
    /// An ICE restart: new credentials for both sides (ours, the relay's).
    IceCredentials(IceCreds, IceCreds),
}

/// A publisher or viewer: its WHIP/WHEP session and the task that runs its `Rtc`.
pub struct StrClient {
    /// The session's URL path (`/whip/…` or `/whep/…`).
    pub location: String,
    pub etag: String,
    /// The relay's SDP answer.
    pub answer: String,
    log: Arc<Mutex<Log>>,
    control: mpsc::UnboundedSender<Control>,
    task: JoinHandle<()>,
}

impl Drop for StrClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The refusal of a WHIP/WHEP `POST`: status and body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
    /// Its `Retry-After`, in seconds.
    pub retry_after: Option<u32>,
}

/// A ready offer: the `Rtc` that made it and the SDP to send.
pub struct Offer {
    rtc: Rtc,
    pending: SdpPendingOffer,
    pub sdp: String,
    socket: UdpSocket,
    audio: Mid,
    video: Mid,
}

impl Offer {
    /// An `Rtc` on a fresh loopback socket offering audio and video in `direction`.
    pub async fn new(direction: Direction) -> Offer {
        Offer::with_config(direction, Rtc::builder()).await
    }

    /// A player whose only video codec is VP8 (and audio Opus).
    pub async fn vp8_only() -> Offer {
        let config = Rtc::builder().clear_codecs().enable_opus(true, false).enable_vp8(true);
        Offer::with_config(Direction::RecvOnly, config).await
    }

    async fn with_config(direction: Direction, config: str0m::RtcConfig) -> Offer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut rtc = config.build(Instant::now());
        rtc.add_local_candidate(Candidate::host(socket.local_addr().unwrap(), "udp").unwrap());
        let mut api = rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, direction, None, None, None);
        let video = api.add_media(MediaKind::Video, direction, None, None, None);
        let (offer, pending) = api.apply().expect("an offer with two tracks");
        Offer { sdp: offer.to_sdp_string(), rtc, pending, socket, audio, video }
    }
}

impl StrClient {
    /// Publishes over `POST /whip` with this admin cookie.
    pub async fn publish(server: &impl Target, cookie: &str, encoder: Encoder) -> StrClient {
        StrClient::publish_with(server, cookie, encoder, FrameSizes::SMALL).await
    }

    /// [`StrClient::publish`] with frames of these sizes.
    pub async fn publish_with(server: &impl Target, cookie: &str, encoder: Encoder, sizes: FrameSizes) -> StrClient {
        let offer = Offer::new(Direction::SendOnly).await;
        let auth = ("cookie", cookie.to_owned());
        StrClient::open(server, "/whip", Some(auth), offer, Some((encoder, sizes))).await.expect("publish accepted")
    }

    /// Publishes over `POST /whip` with a stream key, as OBS and ffmpeg do.
    pub async fn publish_with_key(server: &impl Target, key: &str, encoder: Encoder) -> StrClient {
        let offer = Offer::new(Direction::SendOnly).await;
        let auth = ("authorization", format!("Bearer {key}"));
        StrClient::open(server, "/whip", Some(auth), offer, Some((encoder, FrameSizes::SMALL)))
            .await
            .expect("publish accepted")
    }

    /// Plays over `POST /whep{query}`.
    pub async fn play(server: &impl Target, query: &str) -> StrClient {
        StrClient::try_play(server, query).await.expect("play accepted")
    }

    pub async fn try_play(server: &impl Target, query: &str) -> Result<StrClient, Refused> {
        let offer = Offer::new(Direction::RecvOnly).await;
        StrClient::try_play_offer(server, query, offer).await
    }

    /// Plays with this offer.
    pub async fn try_play_offer(server: &impl Target, query: &str, offer: Offer) -> Result<StrClient, Refused> {
        StrClient::open(server, &format!("/whep{query}"), None, offer, None).await
    }

    async fn open(
        server: &impl Target,
        path: &str,
        auth: Option<(&str, String)>,
        offer: Offer,
        encoder: Option<(Encoder, FrameSizes)>,
    ) -> Result<StrClient, Refused> {
        let mut req =
            server.client().post(server.url(path)).header("content-type", "application/sdp").body(offer.sdp.clone());
        if let Some((name, value)) = auth {
            req = req.header(name, value);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let (location, etag) = (header("location"), header("etag"));
        let retry_after = header("retry-after").and_then(|v| v.parse().ok());
        let body = res.text().await.unwrap();
        if status != 201 {
            return Err(Refused { status, body, retry_after });
        }
        let Offer { mut rtc, pending, socket, audio, video, .. } = offer;
        let answer = SdpAnswer::from_sdp_string(&body).expect("the answer is SDP");
        rtc.sdp_api().accept_answer(pending, answer).expect("the answer fits the offer");
        let local_addr = socket.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let (control, commands) = mpsc::unbounded_channel();
        let peer = Peer {
            rtc,
            socket,
            local_addr,
            audio,
            video,
            encoder: encoder.map(|(e, _)| e),
            sizes: encoder.map_or(FrameSizes::SMALL, |(_, s)| s),
            log: log.clone(),
            sending: true,
            drop_every: 0,
            media_in: 0,
            started: Instant::now(),
            seq: 0,
            keyframe_owed: true,
            audio_pt: None,
            video_pt: None,
        };
        let task = tokio::spawn(peer.run(commands));
        Ok(StrClient {
            location: location.expect("a Location header"),
            etag: etag.expect("an ETag header"),
            answer: body,
            log,
            control,
            task,
        })
    }

    /// What this peer saw so far.
    pub fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap()
    }

    /// Publisher: stops or restarts writing frames.
    pub fn set_sending(&self, on: bool) {
        let _ = self.control.send(Control::Sending(on));
    }

    /// Loses every `n`-th media datagram this peer receives (RTP or RTCP, RFC 7983's first
    /// byte 128–191), as a lossy link would.
    pub fn drop_every(&self, n: u32) {
        let _ = self.control.send(Control::DropEvery(n));
    }

    /// Publisher: writes `frames` video frames at once (see [`Control::Burst`]).
    pub fn burst(&self, frames: u32) {
        let _ = self.control.send(Control::Burst(frames));
    }

    /// Goes on with new ICE credentials after a restart: `local` ours, `remote` the relay's.
    pub fn swap_ice_credentials(&self, local: IceCreds, remote: IceCreds) {
        let _ = self.control.send(Control::IceCredentials(local, remote));
    }

    /// Sends `bytes` from this peer's own address to the relay, as if it came from the peer.
    pub fn send_raw(&self, bytes: Vec<u8>) {
        let _ = self.control.send(Control::Raw(bytes));
    }
}

/// The task's side: one `Rtc`, its socket, and the frame schedule of a publisher.
struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    local_addr: SocketAddr,
    audio: Mid,
    video: Mid,
    /// `Some` for a publisher.
    encoder: Option<Encoder>,
    sizes: FrameSizes,
    log: Arc<Mutex<Log>>,
    sending: bool,
    /// Drop every n-th incoming RTP/RTCP datagram (0: none), as a lossy link would.
    drop_every: u32,
    media_in: u32,
    started: Instant,
    seq: u32,
    keyframe_owed: bool,
    audio_pt: Option<Pt>,
    video_pt: Option<Pt>,
}

impl Peer {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Control>) {
        let mut buf = vec![0u8; 2048];
        let now = Instant::now();
        let (mut next_video, mut next_audio) = (now, now);
        let mut remote: Option<SocketAddr> = None;
        loop {
            let timeout = match self.drain(&mut remote).await {
                Ok(t) => t,
                Err(why) => return self.log.lock().unwrap().ended = Some(why),
            };
            let publishing = self.encoder.is_some() && self.sending && self.rtc.is_connected();
            let wake = if publishing { timeout.min(next_video).min(next_audio) } else { timeout };
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    let Ok((n, source)) = received else { continue };
                    if self.drop_every > 0 && n > 0 && (128..192).contains(&buf[0]) {
                        self.media_in += 1;
                        if self.media_in.is_multiple_of(self.drop_every) {
                            continue;
                        }
                    }
                    let Ok(receive) = Receive::new(Protocol::Udp, source, self.local_addr, &buf[..n]) else { continue };
                    remote = Some(source);
                    if let Err(e) = self.rtc.handle_input(Input::Receive(Instant::now(), receive)) {
                        return self.log.lock().unwrap().ended = Some(format!("input: {e}"));
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                        return self.log.lock().unwrap().ended = Some(format!("timeout: {e}"));
                    }
                    if publishing && now >= next_video {
                        next_video += FRAME_GAP;
                        self.write_video(now);
                    }
                    if publishing && now >= next_audio {
                        next_audio += AUDIO_GAP;
                        self.write_audio(now);
                    }
                }
                command = commands.recv() => match command {
                    Some(Control::Sending(on)) => {
                        self.sending = on;
                        (next_video, next_audio) = (Instant::now(), Instant::now());
                    }
                    Some(Control::Raw(bytes)) => {
                        if let Some(to) = remote {
                            let _ = self.socket.send_to(&bytes, to).await;
                        }
                    }
                    Some(Control::DropEvery(n)) => self.drop_every = n,
                    Some(Control::Burst(frames)) => {
                        for _ in 0..frames {
                            let now = Instant::now();
                            self.write_video(now);
                            // str0m payloads one written frame per timeout.
                            if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                                return self.log.lock().unwrap().ended = Some(format!("burst: {e}"));
                            }
                            if let Err(why) = self.drain(&mut remote).await {
                                return self.log.lock().unwrap().ended = Some(why);
                            }
                        }
                    }
                    Some(Control::IceCredentials(local, remote)) => {
                        let mut api = self.rtc.direct_api();
                        api.set_local_ice_credentials(local);
                        api.set_remote_ice_credentials(remote);
                    }
                    None => return,
                }
            }
        }
    }

    /// str0m's rule: after every input, take its output until it asks for a timeout.
    async fn drain(&mut self, remote: &mut Option<SocketAddr>) -> Result<Instant, String> {
        loop {
            match self.rtc.poll_output().map_err(|e| format!("poll: {e}"))? {
                Output::Timeout(t) => return Ok(t),
                Output::Transmit(t) => {
                    *remote = Some(t.destination);
                    let _ = self.socket.send_to(&t.contents, t.destination).await;
                }
                Output::Event(e) => self.event(e),
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                self.log.lock().unwrap().connected_at = Some(Instant::now());
                self.video_pt = self.pt(self.video, Codec::Vp8);
                self.audio_pt = self.pt(self.audio, Codec::Opus);
            }
            Event::Closed => self.log.lock().unwrap().closed_by_relay = true,
            Event::KeyframeRequest(request) if request.mid == self.video => {
                self.log.lock().unwrap().keyframe_requests.push(Instant::now());
                if self.encoder.is_some_and(|e| e.answers_keyframe_requests) && self.sending {
                    // Chromium answers with its very next frame; so does this "encoder".
                    self.keyframe_owed = true;
                    self.write_video(Instant::now());
                }
            }
            Event::MediaData(data) if data.mid == self.video && data.params.spec().codec != Codec::Vp8 => {
                let mut log = self.log.lock().unwrap();
                log.foreign.push((data.params.spec().codec, data.is_keyframe()));
                if let Some(size) = data.is_keyframe().then(|| h264_size(&data.data)).flatten() {
                    log.foreign_keyframe_sizes.push(size);
                }
                log.foreign_times.push((data.time.rebase(Frequency::NINETY_KHZ).numer(), Instant::now()));
            }
            Event::MediaData(data) if data.mid == self.video => {
                let mut log = self.log.lock().unwrap();
                match read_vp8_frame(&data.data) {
                    Some((seq, keyframe)) if keyframe == data.is_keyframe() => {
                        log.received.push(Received { seq, keyframe, at: Instant::now() })
                    }
                    _ => log.corrupt += 1,
                }
            }
            Event::MediaData(data) if data.mid == self.audio => {
                let mut log = self.log.lock().unwrap();
                if data.data.len() == AUDIO_BYTES {
                    log.audio_received += 1;
                } else {
                    log.corrupt += 1;
                }
            }
            _ => {}
        }
    }

    fn pt(&mut self, mid: Mid, codec: Codec) -> Option<Pt> {
        let writer = self.rtc.writer(mid)?;
        let pt = writer.payload_params().find(|p| p.spec().codec == codec).map(|p| p.pt());
        pt
    }

    fn write_video(&mut self, now: Instant) {
        let (Some(encoder), Some(pt)) = (self.encoder, self.video_pt) else { return };
        let periodic = encoder.keyframe_every.is_some_and(|n| self.seq.is_multiple_of(n));
        let keyframe = std::mem::take(&mut self.keyframe_owed) || periodic;
        let seq = self.seq;
        let time = self.media_time(now, Frequency::NINETY_KHZ);
        let Some(writer) = self.rtc.writer(self.video) else { return };
        if writer.write(pt, now, time, vp8_frame_sized(seq, keyframe, self.sizes)).is_ok() {
            self.seq += 1;
            let mut log = self.log.lock().unwrap();
            log.sent.push((seq, keyframe));
            log.sent_at.push(now);
        }
    }

    fn write_audio(&mut self, now: Instant) {
        let Some(pt) = self.audio_pt else { return };
        let time = self.media_time(now, Frequency::FORTY_EIGHT_KHZ);
        let Some(writer) = self.rtc.writer(self.audio) else { return };
        if writer.write(pt, now, time, vec![0xfc; AUDIO_BYTES]).is_ok() {
            self.log.lock().unwrap().audio_sent += 1;
        }
    }

    fn media_time(&self, now: Instant, rate: Frequency) -> MediaTime {
        let micros = now.saturating_duration_since(self.started).as_micros() as u64;
        MediaTime::new(micros * rate.get() as u64 / 1_000_000, rate)
    }
}
