//! The relay's I/O: one thread that owns the UDP socket and every `Rtc`, feeds each datagram
//! to the session the demux names, wakes only sessions whose timeout is due, and performs the
//! pure core's decisions (forward a frame, ask for a keyframe, close a session).

use crate::protocol::{RelayReport, ViewerId};
use crate::server::media::demux::{Demux, Route};
use crate::server::media::egress::{EgressStats, EgressTracker};
use crate::server::media::handle::{Command, Created, Direction, RelayError, RelayHandle};
use crate::server::media::ingest::IngestTracker;
use crate::server::media::load::LoadGovernor;
use crate::server::media::metrics::RelayMetrics;
use crate::server::media::offer::Answering;
use crate::server::media::routing::{IncomingFrame, RelayAction, RelayCore, Role, SessionId};
use crate::server::media::session::{Session, SessionFailed};
use crate::server::media::socket::{datagrams, RelaySocket};
use crate::server::media::timers::Timers;
use crate::server::signaling::service::IngestEvent;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::format::PayloadParams;
use str0m::media::KeyframeRequestKind;
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input, Rtc};
use tokio::sync::mpsc;

/// What the relay accepts.
#[derive(Clone, Debug)]
pub struct RelayLimits {
    /// Sessions at once (publisher and viewers).
    pub max_sessions: usize,
    /// Sessions at once from one IP address.
    pub max_sessions_per_ip: usize,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits { max_sessions: 2000, max_sessions_per_ip: 50 }
    }
}

/// Buffers filled by one read (`recvmmsg`).
const READ_BATCH: usize = 8;
/// Reads in a row before timers run again, however much waits.
const READ_ROUNDS: usize = 32;
/// Timeouts served in a row to one session still due (see [`Engine::run_timeouts`]): as many
/// as the frames one turn's reads can write to it, so its queue cannot grow from turn to turn.
const CATCH_UP_ROUNDS: usize = READ_ROUNDS * READ_BATCH;
/// How often the core's timers (keyframe debts, connect deadlines) run at the latest.
const TICK: Duration = Duration::from_millis(50);
/// What a player's video keeps for NACKs: a second (str0m's default is 3 s, 1024 packets). A
/// NACK comes an RTT after the loss; three seconds of every viewer's packets made most of the
/// relay's memory per viewer (the README's relay section has the figures).
const PLAYER_RTX_AGE: Duration = Duration::from_secs(1);
const PLAYER_RTX_PACKETS: usize = 1024;
/// str0m's default: queued resends are dropped while they exceed this share of what is sent.
const PLAYER_RTX_RATIO_CAP: f32 = 0.15;

/// Binds `addr` and starts the relay thread. `announced` are the candidates given to clients.
pub fn start(
    addr: SocketAddr,
    announced: Vec<SocketAddr>,
    limits: RelayLimits,
    metrics: Arc<RelayMetrics>,
    sinks: RelaySinks,
) -> io::Result<RelayHandle> {
    let std_socket = crate::server::media::socket::bind(addr)?;
    let local_addr = std_socket.local_addr()?;
    // Port 0 in `--media-addr` means "any": the announced addresses take the real port.
    let announced: Vec<SocketAddr> = announced
        .into_iter()
        .map(|a| if a.port() == 0 { SocketAddr::new(a.ip(), local_addr.port()) } else { a })
        .collect();
    let (tx, rx) = mpsc::channel(1024);
    let handle =
        RelayHandle { commands: tx, metrics: metrics.clone(), local_addr, announced: Arc::new(announced.clone()) };
    std::thread::Builder::new().name("onair-relay".into()).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let runtime = match runtime {
            Ok(r) => r,
            Err(e) => return tracing::error!("relay thread could not start: {e}"),
        };
        runtime.block_on(async move {
            let socket = match RelaySocket::new(std_socket, metrics.clone()) {
                Ok(s) => s,
                Err(e) => return tracing::error!("relay socket: {e}"),
            };
            Engine::new(socket, announced, limits, metrics, sinks).run(rx).await;
        });
    })?;
    Ok(handle)
}

#[path = "engine_trickle.rs"]
mod patch;
#[path = "engine_publisher.rs"]
mod publisher;
#[path = "engine_second.rs"]
mod second;

struct Engine {
    socket: RelaySocket,
    announced: Vec<SocketAddr>,
    limits: RelayLimits,
    metrics: Arc<RelayMetrics>,
    started: Instant,
    core: RelayCore,
    demux: Demux,
    sessions: HashMap<SessionId, Session>,
    by_resource: HashMap<String, SessionId>,
    per_ip: HashMap<IpAddr, usize>,
    timers: Timers,
    next_id: u64,
    /// Events drained from sessions, handled after each drain (never while an `Rtc` is borrowed).
    events: Vec<(SessionId, Event)>,
    egress: EgressTracker,
    load: LoadGovernor,
    /// Since when the socket has had datagrams waiting (none: it ran empty at the last read).
    backlog_since: Option<Instant>,
    /// New players are refused while the relay is overloaded.
    refusing_players: bool,
    /// One DTLS certificate for every session: generating one per session is most of the
    /// cost of opening it (a flash crowd opens hundreds at once). Keys are still exchanged
    /// afresh per session; only the identity is shared, as SFUs do.
    dtls_cert: Option<str0m::config::DtlsCert>,
    /// Where viewers' figures (the studio's rows), an external encoder's start, figures and
    /// end, and shed players go (the hub).
    sinks: RelaySinks,
    ingest: IngestTracker,
    /// The publisher's video codec, from its first frame: what viewers are offered.
    publisher_video: Option<(SessionId, PayloadParams)>,
}

/// Receives, once a second, what the relay measured of each `/ws` viewer's session.
pub type ReportSink = Arc<dyn Fn(Vec<(ViewerId, RelayReport)>) + Send + Sync>;

/// Receives what the relay sees of an external encoder.
pub type IngestSink = Arc<dyn Fn(IngestEvent) + Send + Sync>;

/// Receives the `/ws` viewers whose sessions the relay dropped because it was overloaded
/// (so that their pages hear it now, not when their connection times out).
pub type ShedSink = Arc<dyn Fn(Vec<ViewerId>) + Send + Sync>;

/// Where the relay's news for signaling goes.
pub struct RelaySinks {
    pub reports: ReportSink,
    pub ingest: IngestSink,
    pub shed: ShedSink,
}

/// How often viewers' figures go to the studio.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// What ended the relay loop's wait.
enum Wake {
    Command(Option<Command>),
    /// The socket has datagrams (`false`: polling it failed).
    Readable(bool),
    Timer,
}

impl Engine {
    fn new(
        socket: RelaySocket,
        announced: Vec<SocketAddr>,
        limits: RelayLimits,
        metrics: Arc<RelayMetrics>,
        sinks: RelaySinks,
    ) -> Self {
        Engine {
            socket,
            announced,
            limits,
            metrics,
            started: Instant::now(),
            core: RelayCore::new(),
            demux: Demux::default(),
            sessions: HashMap::new(),
            by_resource: HashMap::new(),
            per_ip: HashMap::new(),
            timers: Timers::default(),
            next_id: 1,
            events: Vec::new(),
            egress: EgressTracker::default(),
            load: LoadGovernor::default(),
            backlog_since: None,
            refusing_players: false,
            dtls_cert: str0m::crypto::from_feature_flags().dtls_provider.generate_certificate(),
            sinks,
            ingest: IngestTracker::default(),
            publisher_video: None,
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut bufs: [Vec<u8>; READ_BATCH] = std::array::from_fn(|_| vec![0u8; self.socket.receive_buffer_bytes()]);
        let mut next_tick = Instant::now() + TICK;
        let mut next_report = Instant::now() + REPORT_EVERY;
        let mut last_report = Instant::now();
        loop {
            let wake = self.timers.next().map_or(next_tick, |t| t.min(next_tick));
            // Only the wait is in the select: what woke the loop is handled after `woke`, so the
            // busy share counts it as work (reading the socket is most of the relay's work).
            let woken_by = tokio::select! {
                command = commands.recv() => Wake::Command(command),
                ready = self.socket.readable() => Wake::Readable(ready.is_ok()),
                _ = tokio::time::sleep_until(wake.into()) => Wake::Timer,
            };
            let woke = Instant::now();
            match woken_by {
                Wake::Command(Some(c)) => self.command(c),
                Wake::Command(None) => break,
                Wake::Readable(true) => self.read_all(&mut bufs),
                Wake::Readable(false) | Wake::Timer => {}
            }
            let now = Instant::now();
            self.run_timeouts(now);
            if now >= next_tick {
                next_tick = now + TICK;
                let actions = self.core.tick(self.clock(now));
                self.perform(actions);
            }
            if now >= next_report {
                next_report = now + REPORT_EVERY;
                self.send_reports();
                let figures = self.ingest.second(now.duration_since(last_report));
                self.tell(figures);
                self.govern_load(now.duration_since(last_report));
                last_report = now;
            }
            self.load.worked(woke.elapsed());
        }
        tracing::info!("relay stopped");
    }

    fn clock(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    /// Reads what waits on the socket, up to [`READ_ROUNDS`] batches (then timers get their
    /// turn and the loop comes back), and notes how long the socket has not run empty: the
    /// relay's lag, which the load governor watches.
    fn read_all(&mut self, bufs: &mut [Vec<u8>; READ_BATCH]) {
        let mut metas = [quinn_udp::RecvMeta::default(); READ_BATCH];
        let started = *self.backlog_since.get_or_insert_with(Instant::now);
        for _ in 0..READ_ROUNDS {
            let mut slices = bufs.each_mut().map(|b| std::io::IoSliceMut::new(b));
            match self.socket.receive(&mut slices, &mut metas) {
                Ok(filled) => {
                    for (meta, buf) in metas.iter().zip(bufs.iter()).take(filled) {
                        for packet in datagrams(meta, buf) {
                            self.datagram(meta.addr, packet);
                        }
                    }
                }
                Err(e) => {
                    if e.kind() != io::ErrorKind::WouldBlock {
                        // ICMP errors for one peer surface here on Linux; they are that peer's problem.
                        tracing::debug!("relay socket: {e}");
                    }
                    self.load.lagged(started.elapsed());
                    self.backlog_since = None;
                    return;
                }
            }
        }
        self.load.lagged(started.elapsed());
    }

    fn datagram(&mut self, source: SocketAddr, packet: &[u8]) {
        self.metrics.packets_in.inc();
        self.metrics.bytes_in.inc_by(packet.len() as u64);
        let Route::To(id) = self.demux.route(source, packet) else {
            self.metrics.dropped_in.inc();
            return;
        };
        let Ok(contents) = packet.try_into() else {
            self.metrics.dropped_in.inc();
            return;
        };
        // Every announced candidate is this one socket: tell str0m it arrived on the first.
        let destination = self.announced[0];
        let now = Instant::now();
        let input = Input::Receive(now, Receive { proto: Protocol::Udp, source, destination, contents });
        self.change(id, |rtc| rtc.handle_input(input));
        self.handle_events();
    }

    /// Serves every session whose timer is due. str0m payloads one queued frame per track per
    /// timeout, so a session that was written several frames since its last one (a busy loop
    /// turn, a keyframe's fan-out) is served again at once while it says it is still due and
    /// each round sends something, up to [`CATCH_UP_ROUNDS`]. Served once per loop turn, its
    /// queue grew whenever a turn lasted longer than a frame (20 ms of audio), until str0m
    /// refused the next write and the session ended (`WriteWithoutPoll`); the README's relay
    /// section has the measurement.
    fn run_timeouts(&mut self, now: Instant) {
        while let Some(id) = self.timers.due(now) {
            for _ in 0..CATCH_UP_ROUNDS {
                let sent = self.metrics.packets_out.get();
                self.change(id, |rtc| rtc.handle_input(Input::Timeout(now)));
                let still_due = self.sessions.get(&id).is_some_and(|s| s.timeout <= now);
                // A round that sent nothing had no frame to payload: str0m repeats a deadline
                // it is still working through, and that waits for the next turn.
                if !still_due || self.metrics.packets_out.get() == sent {
                    break;
                }
            }
        }
        self.handle_events();
    }

    /// Runs one change on a session and drains it; a session that fails is closed alone.
    fn change<T>(&mut self, id: SessionId, change: impl FnOnce(&mut Rtc) -> Result<T, str0m::RtcError>) -> Option<T> {
        let session = self.sessions.get_mut(&id)?;
        let socket = &mut self.socket;
        let mut send = |to: &SocketAddr, data: &[u8]| socket.queue(to, data);
        let changed = session.change(change, &mut send, &mut self.events);
        self.socket.flush();
        match changed {
            Ok(value) => {
                self.timers.want(id, session.timeout, Instant::now());
                Some(value)
            }
            Err(e) => {
                if matches!(e, SessionFailed::Panicked) {
                    self.metrics.panics.inc();
                    tracing::error!(session = id.0, "a relay session panicked inside str0m; it alone is dropped");
                } else {
                    tracing::debug!(session = id.0, "relay session ended: {e}");
                }
                self.drop_session(id, &format!("its connection closed ({e})"));
                None
            }
        }
    }

    fn handle_events(&mut self) {
        while !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            for (id, event) in events {
                self.event(id, event);
            }
        }
    }

    fn event(&mut self, id: SessionId, event: Event) {
        let now = self.clock(Instant::now());
        match event {
            Event::Connected => {
                tracing::debug!(session = id.0, "relay session connected");
                let actions = self.core.connected(id, now);
                self.perform(actions);
            }
            Event::MediaAdded(added) => {
                if added.kind == str0m::media::MediaKind::Video
                    && self.sessions.get(&id).is_some_and(|s| s.direction == Direction::Play)
                {
                    self.change(id, |rtc| {
                        if let Some(stream) = rtc.direct_api().stream_tx_by_mid(added.mid, None) {
                            stream.set_rtx_cache(PLAYER_RTX_PACKETS, PLAYER_RTX_AGE, Some(PLAYER_RTX_RATIO_CAP));
                        }
                        Ok(())
                    });
                }
                let actions = self.core.track(id, added.mid, added.kind, now);
                self.perform(actions);
            }
            // An ICE-lite relay sends no checks of its own: str0m calls the path dead 15 s after
            // the peer's last one (fixed for ICE-lite). That is how an encoder killed without a
            // DELETE ends its live; encoders check every few seconds, so a lost check or two
            // does not cut a live one.
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                tracing::debug!(session = id.0, "relay session lost its ICE connection");
                self.drop_session(id, "its connection was lost (no answer for several seconds)");
            }
            Event::MediaEgressStats(stats) => {
                if let Some(kind) = self.core.track_kind(id, stats.mid) {
                    let at = self.clock(stats.timestamp);
                    let (rtt, loss, nacks, plis) = (stats.rtt, stats.loss, stats.nacks, stats.plis);
                    self.egress.update(id, EgressStats { kind, bytes: stats.bytes, at, rtt, loss, nacks, plis });
                }
            }
            Event::MediaIngressStats(stats)
                if self.core.track_kind(id, stats.mid) == Some(str0m::media::MediaKind::Video) =>
            {
                self.ingest.loss(id, stats.loss);
            }
            Event::KeyframeRequest(_) => {
                let actions = self.core.viewer_wants_keyframe(id, now);
                self.perform(actions);
            }
            Event::MediaData(data) => {
                if self.core.publisher() == Some(id) {
                    self.publisher_frame(id, &data);
                }
                let frame =
                    IncomingFrame { keyframe: data.is_keyframe(), contiguous: data.contiguous, bytes: data.data.len() };
                let route = self.core.frame(id, data.mid, frame, now);
                if route.request_keyframe {
                    self.request_keyframe(id, data.mid);
                }
                for (viewer, mid) in route.targets {
                    self.metrics.forward_delay.observe(data.network_time.elapsed().as_secs_f64());
                    let frame = data.data.clone();
                    let (params, network_time, time) = (data.params, data.network_time, data.time);
                    self.change(viewer, |rtc| {
                        let Some(writer) = rtc.writer(mid) else { return Ok(()) };
                        // The viewer negotiated its own payload type for the publisher's codec.
                        let Some(pt) = writer.match_params(params) else { return Ok(()) };
                        writer.write(pt, network_time, time, frame)
                    });
                }
            }
            _ => {}
        }
    }

    fn perform(&mut self, actions: Vec<RelayAction>) {
        for action in actions {
            match action {
                RelayAction::RequestKeyframe { session, mid } => self.request_keyframe(session, mid),
                RelayAction::Close { session, reason } => {
                    tracing::debug!(session = session.0, ?reason, "relay closes a session");
                    self.drop_session(session, reason.words());
                }
            }
        }
    }

    fn request_keyframe(&mut self, publisher: SessionId, mid: str0m::media::Mid) {
        self.metrics.keyframe_requests.inc();
        self.change(publisher, |rtc| match rtc.writer(mid) {
            Some(mut writer) => writer.request_keyframe(None, KeyframeRequestKind::Pli),
            None => Ok(()),
        });
    }

    /// Ends a session, telling its peer (`Session::close`); `why` in words, for an external
    /// encoder's live it ends.
    fn drop_session(&mut self, id: SessionId, why: &str) {
        let Some(mut session) = self.sessions.remove(&id) else { return };
        self.timers.forget(id);
        let ended = self.ingest.ended(id, &format!("the encoder's session ended: {why}"));
        self.tell(ended);
        if self.publisher_video.is_some_and(|(s, _)| s == id) {
            self.publisher_video = None;
        }
        session.close(Instant::now(), &mut |to, data| self.socket.queue(to, data));
        self.socket.flush();
        self.core.remove(id);
        self.demux.remove(id);
        self.egress.forget(id);
        self.by_resource.remove(&session.resource);
        if let Some(n) = self.per_ip.get_mut(&session.peer_ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&session.peer_ip);
            }
        }
        self.metrics.sessions.set(self.sessions.len() as i64);
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open { direction, offer, viewer_id, owner, encoder, peer, reply } => {
                let result = self.open(direction, &offer, viewer_id, owner, encoder, peer);
                let _ = reply.send(result);
                self.handle_events();
            }
            Command::Trickle { direction, resource, if_match, fragment, reply } => {
                let _ = reply.send(self.trickle(direction, &resource, if_match, &fragment));
                self.handle_events();
            }
            Command::Close { direction, resource, reply } => {
                let result = match self.lookup(direction, &resource) {
                    Ok(id) => {
                        self.drop_session(id, "the client deleted it (DELETE)");
                        Ok(())
                    }
                    Err(e) => Err(e),
                };
                let _ = reply.send(result);
            }
            Command::RemoveViewer { viewer_id } => self.remove_viewer(&viewer_id),
            Command::EndPublisher { owner, reason } => self.end_publisher(owner.as_deref(), &reason),
        }
    }

    fn remove_viewer(&mut self, viewer_id: &ViewerId) {
        let actions = self.core.remove_viewer(viewer_id);
        self.perform(actions);
    }

    fn lookup(&self, direction: Direction, resource: &str) -> Result<SessionId, RelayError> {
        let id = self.by_resource.get(resource).copied().ok_or(RelayError::NoSuchSession)?;
        match self.sessions.get(&id) {
            Some(s) if s.direction == direction => Ok(id),
            _ => Err(RelayError::NoSuchSession),
        }
    }

    fn open(
        &mut self,
        direction: Direction,
        offer: &str,
        viewer_id: Option<ViewerId>,
        owner: Option<String>,
        encoder: Option<String>,
        peer: IpAddr,
    ) -> Result<Created, RelayError> {
        if direction == Direction::Play && self.refusing_players {
            return Err(RelayError::Overloaded);
        }
        if self.sessions.len() >= self.limits.max_sessions {
            return Err(RelayError::Full(self.limits.max_sessions));
        }
        if self.per_ip.get(&peer).copied().unwrap_or(0) >= self.limits.max_sessions_per_ip {
            return Err(RelayError::TooManyFromAddress(self.limits.max_sessions_per_ip));
        }
        let remote_ufrag = offer.lines().find_map(|l| l.trim().strip_prefix("a=ice-ufrag:")).map(str::to_owned);
        if direction == Direction::Publish && !self.core.may_publish(owner.as_deref().unwrap_or_default()) {
            return Err(RelayError::AnotherPublisher);
        }
        let now = Instant::now();
        let creds = Session::new_local_creds();
        let answering = Answering {
            direction,
            dtls_cert: self.dtls_cert.as_ref(),
            announced: &self.announced,
            creds: creds.clone(),
            publisher_video: self.publisher_video.map(|(_, params)| params),
            now,
        };
        let (rtc, answer_sdp) = answering.answer(offer)?;
        let id = SessionId(self.next_id);
        self.next_id += 1;
        let resource = crate::server::secrets::random_token();
        let etag = Session::new_etag();
        let role = match direction {
            Direction::Publish => Role::Publisher { owner: owner.unwrap_or_default() },
            Direction::Play => Role::Viewer { viewer_id },
        };
        let session = Session {
            id,
            direction,
            rtc,
            resource: resource.clone(),
            etag: etag.clone(),
            peer_ip: peer,
            remote_ufrag,
            media: crate::server::media::trickle::media_sections(&answer_sdp),
            timeout: now,
        };
        self.sessions.insert(id, session);
        self.by_resource.insert(resource.clone(), id);
        *self.per_ip.entry(peer).or_insert(0) += 1;
        self.demux.add(id, creds.ufrag, creds.pass);
        self.metrics.sessions.set(self.sessions.len() as i64);
        // Before the core closes a session this one takes over: the tracker then knows the
        // old session as replaced, and its end does not end the live.
        if let Some(client) = encoder {
            self.ingest.opened(id, client);
        }
        let actions = self.core.add(id, role, self.clock(now));
        self.perform(actions);
        // The first drain: str0m reports the offer's media now.
        self.change(id, |_| Ok(()));
        Ok(Created { resource, etag, answer_sdp })
    }
}
