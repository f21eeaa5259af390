//! The signaling service: the pure hub behind a lock, each connection's queue and the
//! delivery of the hub's messages to them, connections per IP, status and shutdown.

use crate::protocol::{ClientMessage, DecodeError, ErrorCode, ServerMessage, ViewerId};
use crate::server::http::metrics::Metrics;
use crate::server::signaling::hub::{Action, ConnId, Departure, Hub, HubEvent, HubStatus, Outbox};
use crate::server::signaling::limits::{self, MessageBudget, Verdict, WsLimits};
use crate::server::signaling::outgoing::{Held, Outgoing, Payload};
use crate::server::signaling::queue_bounds::{self, Fit, Load, Share};
use crate::server::signaling::resume::{Device, ResumeKey};
use crate::server::signaling::turn::{self, TurnSecret};
use crate::server::store::recorder::Recorder;
use crate::server::websocket::frame::close_code;
use crate::server::websocket::writer::{Now, SharedWriter};
use bytes::Bytes;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// The TURN username of the streamer (viewers use their viewer id).
pub const STREAMER_TURN_NAME: &str = "streamer";
/// The period of the timer that flushes the viewer count; the hub spaces broadcasts further
/// apart for large audiences (`hub::viewer_count_interval`).
pub const VIEWER_COUNT_TICK: Duration = Duration::from_secs(1);

/// What the socket layer enforces and hands out, from the configuration.
#[derive(Clone, Debug, Default)]
pub struct SignalingOptions {
    pub limits: WsLimits,
    /// Origins allowed to open `/ws` (normalized); empty: the request's own `Host`.
    pub public_urls: Vec<String>,
    /// Fills TURN credentials into `welcome` and `streamerReady`.
    pub turn: Option<TurnSecret>,
    /// Signs the watch page's device cookie (the resume key); random without one.
    pub device_key: Option<ResumeKey>,
}

/// What the relay tells signaling about an external encoder (OBS, ffmpeg over WHIP).
#[derive(Clone, Debug, PartialEq)]
pub enum IngestEvent {
    /// Its first video frame arrived.
    Started { client: String, codec: crate::protocol::VideoCodec },
    /// Once a second while it publishes.
    Stats(crate::protocol::IngestReport),
    /// Its session ended, `reason` in words.
    Ended { reason: String },
}

/// Told of hub events that concern media outside the signaling path (the relay).
pub trait MediaObserver: Send + Sync {
    /// The streamer removed this viewer: whatever it plays must stop now.
    fn viewer_removed(&self, viewer_id: &ViewerId);
    /// The studio ended the external encoder's live: its publish must end now.
    fn end_ingest(&self);
}

/// The hub plus the way to reach each connection's task.
pub struct Signaling {
    shared: Mutex<Shared>,
    next_conn: AtomicU64,
    /// The hub's clock origin, for its rate caps (and the message budgets).
    started: Instant,
    metrics: Arc<Metrics>,
    limits: WsLimits,
    public_urls: Vec<String>,
    /// Open `/ws` connections per client IP address.
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    /// Set once on shutdown: every socket says goodbye and closes.
    shutdown: watch::Sender<bool>,
    device_key: ResumeKey,
}

/// One open connection counted against its IP address; uncounted when dropped.
pub struct IpSlot {
    signaling: Arc<Signaling>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut per_ip = self.signaling.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// The way to one connection: its socket's write side, its task's queue, and the bytes
/// waiting there.
struct ConnQueue {
    tx: mpsc::Sender<Outgoing>,
    writer: Arc<SharedWriter>,
    /// Bytes waiting in this queue.
    waiting: Arc<AtomicUsize>,
    /// Bytes this connection (a viewer) has waiting in the streamer's queue.
    at_streamer: Arc<AtomicUsize>,
}

impl ConnQueue {
    /// Queues an item for the task, counted so that nothing skips ahead of it.
    fn enqueue(&self, item: Outgoing) -> Result<(), mpsc::error::TrySendError<Outgoing>> {
        self.writer.queued();
        let sent = self.tx.try_send(item);
        if sent.is_err() {
            self.writer.not_queued();
        }
        sent
    }
}

/// Who is dropped after a delivery round.
#[derive(Default)]
struct Dropped {
    /// Not reading what waits for them.
    stuck: Vec<ConnId>,
    /// Viewers that sent the streamer more than it can take in.
    offenders: Vec<ConnId>,
}

struct Shared {
    hub: Hub,
    outboxes: HashMap<ConnId, ConnQueue>,
    /// Observers of hub events; neither does I/O here (counters, and a channel to the history thread).
    metrics: Arc<Metrics>,
    recorder: Arc<Recorder>,
    turn: Option<TurnSecret>,
    /// For the outbox limits.
    limits: WsLimits,
    media: Option<Arc<dyn MediaObserver>>,
    /// The admin session token each admin socket was opened with, to check it again.
    admin_sessions: HashMap<ConnId, String>,
}

impl Signaling {
    pub fn new(hub: Hub, metrics: Arc<Metrics>, recorder: Arc<Recorder>, options: SignalingOptions) -> Arc<Self> {
        let SignalingOptions { limits, public_urls, turn, device_key } = options;
        Arc::new(Signaling {
            shared: Mutex::new(Shared {
                hub,
                outboxes: HashMap::new(),
                metrics: metrics.clone(),
                recorder,
                turn,
                limits: limits.clone(),
                media: None,
                admin_sessions: HashMap::new(),
            }),
            next_conn: AtomicU64::new(1),
            started: Instant::now(),
            metrics,
            limits,
            public_urls,
            per_ip: Mutex::new(HashMap::new()),
            device_key: device_key.unwrap_or_else(ResumeKey::random),
            shutdown: watch::channel(false).0,
        })
    }

    pub fn limits(&self) -> &WsLimits {
        &self.limits
    }

    /// Signs and checks the watch page's device cookie.
    pub fn device_key(&self) -> &ResumeKey {
        &self.device_key
    }

    pub(super) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Origins allowed to open `/ws` (normalized); empty: the request's own `Host`.
    pub fn public_urls(&self) -> &[String] {
        &self.public_urls
    }

    /// Turns true once the server is stopping.
    pub(super) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every socket, open or opening, to send `shutdown` and close. Idempotent.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Waits until every connection has left the hub, or until `deadline`. Whether they all did.
    pub async fn wait_closed(&self, deadline: Instant) -> bool {
        loop {
            if self.status().connections == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Counts one more connection from `ip`, or `None` when it already has the most allowed.
    pub fn claim_ip(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= self.limits.max_connections_per_ip {
            return None;
        }
        *n += 1;
        Some(IpSlot { signaling: self.clone(), ip })
    }

    /// Open connections counted for `ip` (for tests and logs).
    pub fn connections_from(&self, ip: IpAddr) -> usize {
        self.per_ip.lock().unwrap_or_else(|p| p.into_inner()).get(&ip).copied().unwrap_or(0)
    }

    /// The hub's time: since the service started.
    pub(super) fn now(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn status(&self) -> HubStatus {
        self.lock().hub.status()
    }

    /// The relay, told of removals.
    pub fn observe_media(&self, observer: Arc<dyn MediaObserver>) {
        self.lock().media = Some(observer);
    }

    /// The relay's once-a-second figures of viewers' sessions, to the streamer.
    pub fn relay_reports(&self, reports: Vec<(ViewerId, crate::protocol::RelayReport)>) {
        let mut shared = self.lock();
        let out = shared.hub.relay_reports(reports);
        shared.deliver(out, None);
    }

    /// Whether a browser studio is live (an external encoder's publish is then refused).
    pub fn browser_live(&self) -> bool {
        self.lock().hub.browser_live()
    }

    /// The relay dropped these viewers' sessions (it was overloaded): their pages try again.
    pub fn relay_shed(&self, viewers: &[ViewerId]) {
        let mut shared = self.lock();
        let out = shared.hub.relay_shed(viewers);
        shared.deliver(out, None);
    }

    /// What the relay saw of an external encoder: its live started, its figures, its end.
    pub fn ingest(&self, event: IngestEvent) {
        let mut shared = self.lock();
        shared.hub.advance(self.now());
        let out = match event {
            IngestEvent::Started { client, codec } => shared.hub.external_live_started(client, codec),
            IngestEvent::Stats(report) => shared.hub.ingest_stats(report),
            IngestEvent::Ended { reason } => shared.hub.external_live_ended(&reason),
        };
        shared.deliver(out, None);
    }

    /// The connected viewer a resume token names (a WHEP request proving its `/ws` viewer).
    pub fn connected_viewer(&self, token: &str) -> Option<ViewerId> {
        self.lock().hub.connected_viewer(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic while holding the lock would be a bug in the hub; keep serving the others.
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a connection in the hub; its task reads what the hub sends it from the queue.
    /// `admin_session` is the token of the live admin session the socket was opened with.
    pub(super) fn connect(
        &self,
        admin_session: Option<&String>,
        may_watch: bool,
        address: IpAddr,
        device: Option<Device>,
        writer: Arc<SharedWriter>,
    ) -> (ConnId, mpsc::Receiver<Outgoing>) {
        let conn = ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = mpsc::channel(limits::OUTBOX_ROOM);
        let viewer_id = ViewerId(crate::server::secrets::random_token()[..32].to_owned());
        self.metrics.ws_opened();
        let mut shared = self.lock();
        shared.hub.connect(conn, viewer_id, admin_session.is_some(), may_watch);
        shared.hub.identify(conn, address, device);
        let queue = ConnQueue { tx, writer, waiting: Arc::default(), at_streamer: Arc::default() };
        shared.outboxes.insert(conn, queue);
        if let Some(token) = admin_session {
            shared.admin_sessions.insert(conn, token.clone());
        }
        (conn, rx)
    }

    pub(super) fn disconnect(&self, conn: ConnId, how: Departure) {
        self.metrics.ws_closed();
        let mut shared = self.lock();
        shared.outboxes.remove(&conn);
        shared.admin_sessions.remove(&conn);
        let out = shared.hub.depart(conn, how);
        shared.deliver(out, None);
    }

    /// The admin sockets and the session token each was opened with.
    pub(super) fn admin_sockets(&self) -> Vec<(ConnId, String)> {
        self.lock().admin_sessions.iter().map(|(conn, token)| (*conn, token.clone())).collect()
    }

    /// The session behind admin socket `conn` ended: the hub takes its admin right and closes it.
    pub(super) fn admin_session_ended(&self, conn: ConnId) {
        let mut shared = self.lock();
        if shared.admin_sessions.remove(&conn).is_some() {
            tracing::info!(conn = conn.0, "an admin socket's session ended; closing it");
        }
        let out = shared.hub.admin_session_ended(conn);
        shared.deliver(out, None);
    }

    /// One message from `conn`, decoded on its own task before the lock, so that messages from
    /// many clients are parsed in parallel.
    pub(super) fn on_decoded(&self, conn: ConnId, decoded: Result<ClientMessage, DecodeError>) {
        let mut shared = self.lock();
        shared.hub.advance(self.now());
        let out = match decoded {
            Ok(msg) => {
                self.metrics.message_in(msg.kind());
                shared.hub.handle(conn, msg)
            }
            Err(e) => {
                tracing::debug!(conn = conn.0, code = e.code().as_str(), "refused a message: {e}");
                vec![Action::Send { to: conn, msg: ServerMessage::error(e.code(), e.to_string()) }]
            }
        };
        // What the hub sends the streamer for this message counts against this sender's share.
        shared.deliver(out, Some(conn));
    }

    /// Spends one message of `conn`'s budget; the streamer's grows with its viewers. A refused
    /// message is answered with `rate_limited` here.
    pub(super) fn admit(&self, conn: ConnId, budget: &mut MessageBudget) -> Verdict {
        let mut shared = self.lock();
        let rate = if shared.hub.is_streamer(conn) {
            self.limits.streamer_rate(shared.hub.status().viewers)
        } else {
            self.limits.viewer_rate()
        };
        let verdict = budget.check(rate, self.now(), &self.limits);
        if verdict == Verdict::Refuse {
            tracing::debug!(conn = conn.0, "over its message budget; message dropped");
            let text = format!(
                "too many messages: at most {:.0} a second (bursts of {:.0}); this one was dropped",
                rate.per_second, rate.burst
            );
            let refusal = ServerMessage::error(ErrorCode::RateLimited, text);
            shared.deliver(vec![Action::Send { to: conn, msg: refusal }], None);
        }
        verdict
    }

    pub(super) fn reply(&self, conn: ConnId, msg: ServerMessage) {
        self.lock().deliver(vec![Action::Send { to: conn, msg }], None);
    }

    /// Counts a message written straight to the socket (a goodbye), not through the queue.
    pub(super) fn count_sent(&self, msg: &ServerMessage) {
        self.metrics.message_out(msg.kind(), error_code(msg), 1);
    }

    /// Broadcasts the viewer count if it changed.
    pub fn flush_viewer_count(&self) {
        let mut shared = self.lock();
        shared.hub.advance(self.now());
        let out = shared.hub.flush_viewer_count();
        shared.deliver(out, None);
    }
}

impl Shared {
    /// Queues messages without waiting: a client whose queue is full is cut off, so one stuck
    /// client never holds up the hub or anyone else. `from` sent the message these actions
    /// answer: what they queue for the streamer counts against its share.
    fn deliver(&mut self, out: Outbox, from: Option<ConnId>) {
        let mut pending = out;
        let mut from = from;
        while !pending.is_empty() {
            let mut dropped = Dropped::default();
            for action in pending.drain(..) {
                match action {
                    Action::Send { to, msg } => {
                        let msg = self.with_turn_credentials(msg);
                        self.metrics.message_out(msg.kind(), error_code(&msg), 1);
                        let bytes = queue_bounds::message_bytes(&msg);
                        // Each step of a negotiation waits for the one before: those go out at
                        // once. Candidates come in bursts, which the queue writes in batches.
                        let now = !matches!(msg, ServerMessage::Candidate { .. });
                        self.push(to, Payload::Message(Box::new(msg)), bytes, from, &mut dropped, now);
                    }
                    Action::Broadcast { to, msg } => {
                        self.metrics.message_out(msg.kind(), error_code(&msg), to.len() as u64);
                        let text = Bytes::from(msg.to_json());
                        let bytes = text.len() + queue_bounds::MESSAGE_OVERHEAD_BYTES;
                        for conn in to {
                            // Through the queues: their writes are then spread over the
                            // recipients' tasks (and cores) instead of all under the hub's lock.
                            self.push(conn, Payload::Shared(text.clone()), bytes, None, &mut dropped, false);
                        }
                    }
                    Action::Close { conn } => {
                        // The message before it says why.
                        if let Some(q) = self.outboxes.get(&conn) {
                            let close = Outgoing::Close { code: close_code::POLICY, reason: "closed by the server" };
                            let _ = q.enqueue(close);
                        }
                    }
                    Action::Event(event) => {
                        match (&event, &self.media) {
                            (HubEvent::ViewerRemoved { viewer_id }, Some(media)) => media.viewer_removed(viewer_id),
                            (HubEvent::IngestEndRequested, Some(media)) => media.end_ingest(),
                            _ => {}
                        }
                        self.metrics.observe(&event);
                        self.recorder.record(event);
                    }
                }
            }
            // What the departures below cause is nobody's message.
            from = None;
            dropped.offenders.sort();
            dropped.offenders.dedup();
            for conn in dropped.offenders {
                tracing::warn!(conn = conn.0, "a viewer sent the streamer more than it can take in; dropped");
                let words = "you sent the streamer more than it can take in; closing this connection";
                let goodbye = ServerMessage::error(ErrorCode::RateLimited, words);
                self.metrics.message_out(goodbye.kind(), error_code(&goodbye), 1);
                // Its task says goodbye and ends; the hub forgets it now.
                if let Some(q) = self.outboxes.get(&conn) {
                    let _ = q.enqueue(Outgoing::Data(Payload::Message(Box::new(goodbye)), Held::default()));
                    let _ = q.enqueue(Outgoing::Close { code: close_code::POLICY, reason: "flooding the streamer" });
                }
                pending.extend(self.hub.depart(conn, Departure::Lost));
            }
            for conn in dropped.stuck {
                tracing::warn!(conn = conn.0, "client too slow to read its messages; dropped");
                // Dropping the sender ends that connection's task.
                self.outboxes.remove(&conn);
                pending.extend(self.hub.depart(conn, Departure::Lost));
            }
        }
    }

    /// The hub is clock-free and hands out the configured ICE servers; the TURN ones get
    /// credentials for this viewer (or the streamer) here, valid from now.
    fn with_turn_credentials(&self, msg: ServerMessage) -> ServerMessage {
        let Some(secret) = &self.turn else { return msg };
        let now = crate::server::clock::unix_secs();
        match msg {
            ServerMessage::Welcome { viewer_id, mut ice_servers, resume_token } => {
                turn::fill(&mut ice_servers, secret, &viewer_id.0, now);
                ServerMessage::Welcome { viewer_id, ice_servers, resume_token }
            }
            ServerMessage::StreamerReady { mut ice_servers } => {
                turn::fill(&mut ice_servers, secret, STREAMER_TURN_NAME, now);
                ServerMessage::StreamerReady { ice_servers }
            }
            other => other,
        }
    }

    /// Writes `payload` to `conn`'s socket now when `now` allows and nothing of `conn` waits
    /// (as much as the socket takes; its task writes the rest). Otherwise queues it (holding
    /// `bytes`) when it fits, or notes who is dropped: `conn`, or for the streamer's queue the
    /// viewer `from` that sent it.
    fn push(
        &self,
        conn: ConnId,
        payload: Payload,
        bytes: usize,
        from: Option<ConnId>,
        dropped: &mut Dropped,
        now: bool,
    ) {
        let Some(q) = self.outboxes.get(&conn) else { return };
        if now {
            match q.writer.write_now(|| payload.frame()) {
                Now::Written => return,
                Now::Partly => {
                    // The nudge is counted already; the queue is empty, so it fits unless the
                    // task is gone, which then leaves the hub by itself.
                    let _ = q.tx.try_send(Outgoing::Flush);
                    return;
                }
                Now::Queue => {}
            }
        }
        let is_streamer = self.hub.is_streamer(conn);
        let bound = queue_bounds::bound(&self.limits, is_streamer, self.hub.status().viewers);
        let waiting =
            Load { messages: q.tx.max_capacity() - q.tx.capacity(), bytes: q.waiting.load(Ordering::Relaxed) };
        let sender = from.filter(|from| is_streamer && *from != conn).and_then(|from| self.outboxes.get(&from));
        let share = sender.map(|s| Share {
            bytes: s.at_streamer.load(Ordering::Relaxed),
            limit: self.limits.streamer_bytes_per_viewer,
        });
        match queue_bounds::fit(waiting, bound, bytes, share) {
            Fit::Queue => {
                let held = Held::new(bytes, [Some(q.waiting.clone()), sender.map(|s| s.at_streamer.clone())]);
                // A closed queue is a connection on its way out: its task leaves the hub itself.
                if let Err(mpsc::error::TrySendError::Full(_)) = q.enqueue(Outgoing::Data(payload, held)) {
                    dropped.stuck.push(conn);
                }
            }
            Fit::DropSender => dropped.offenders.extend(from),
            Fit::DropRecipient => dropped.stuck.push(conn),
        }
    }
}

fn error_code(msg: &ServerMessage) -> Option<ErrorCode> {
    match msg {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}
