//! The `/ws` socket layer: one task per connection turns frames into hub events and
//! delivers the hub's messages. The upgrade checks (origin, connections per IP), frame and
//! message-rate limits, heartbeat, slow-client handling and shutdown live here; the limits'
//! rules themselves are pure code in `limits.rs`. The WebSocket protocol is OnAir's own,
//! sized for signaling: `handshake.rs` (the upgrade), `frame.rs` (framing, pure) and
//! `socket.rs` (a connection's reads and writes, with no buffer held while it is idle).

use crate::protocol::{self, ErrorCode, ServerMessage, ViewerId};
use crate::server::auth::watch_access::WatchGate;
use crate::server::http::metrics::Metrics;
use crate::server::signaling::hub::{Action, ConnId, Departure, Hub, HubStatus, Outbox};
use crate::server::signaling::limits::{self, MessageBudget, Verdict, WsLimits};
use crate::server::signaling::turn::{self, TurnSecret};
use crate::server::store::recorder::Recorder;
use crate::server::websocket::frame::{close_code, FrameError, Incoming};
use crate::server::websocket::handshake::WsUpgrade;
use crate::server::websocket::socket::{RecvError, WsSocket};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::upgrade::Upgraded;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How long a goodbye (error + close frame) may take to a client that does not read.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);
/// The TURN username of the streamer (viewers use their viewer id).
pub const STREAMER_TURN_NAME: &str = "streamer";
/// The period of the timer that flushes the viewer count; the hub spaces broadcasts further
/// apart for large audiences (`hub::viewer_count_interval`).
pub const VIEWER_COUNT_TICK: Duration = Duration::from_secs(1);

/// Queued messages sent in one flush at most, so one client's burst cannot hold its task
/// away from reading (or from a stop signal) for long.
const WRITE_BATCH: usize = 256;

enum Outgoing {
    Data(Payload),
    Close { code: u16, reason: &'static str },
}

/// A message waiting for one connection.
enum Payload {
    /// Encoded by the receiving connection's task: the 4 KiB SDP of an offer is escaped off
    /// the hub's lock and off the sender's task (the streamer sends an offer to every viewer,
    /// so its task would otherwise encode them all in turn). Boxed: queue slots stay small.
    Message(Box<ServerMessage>),
    /// A broadcast, encoded once for all its recipients.
    Shared(Bytes),
}

impl Payload {
    fn encode(self) -> Bytes {
        match self {
            Payload::Message(msg) => Bytes::from(msg.to_json()),
            Payload::Shared(text) => text,
        }
    }
}

/// What the socket layer enforces and hands out, from the configuration.
#[derive(Clone, Debug, Default)]
pub struct SignalingOptions {
    pub limits: WsLimits,
    /// Origins allowed to open `/ws` (normalized); empty: the request's own `Host`.
    pub public_urls: Vec<String>,
    /// Fills TURN credentials into `welcome` and `streamerReady`.
    pub turn: Option<TurnSecret>,
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

struct Shared {
    hub: Hub,
    outboxes: HashMap<ConnId, mpsc::Sender<Outgoing>>,
    /// Observers of hub events; neither does I/O here (counters, and a channel to the history thread).
    metrics: Arc<Metrics>,
    recorder: Arc<Recorder>,
    turn: Option<TurnSecret>,
    /// For the outbox limits.
    limits: WsLimits,
}

impl Signaling {
    pub fn new(hub: Hub, metrics: Arc<Metrics>, recorder: Arc<Recorder>, options: SignalingOptions) -> Arc<Self> {
        let SignalingOptions { limits, public_urls, turn } = options;
        Arc::new(Signaling {
            shared: Mutex::new(Shared {
                hub,
                outboxes: HashMap::new(),
                metrics: metrics.clone(),
                recorder,
                turn,
                limits: limits.clone(),
            }),
            next_conn: AtomicU64::new(1),
            started: Instant::now(),
            metrics,
            limits,
            public_urls,
            per_ip: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
        })
    }

    pub fn limits(&self) -> &WsLimits {
        &self.limits
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

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn status(&self) -> HubStatus {
        self.lock().hub.status()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic while holding the lock would be a bug in the hub; keep serving the others.
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connect(&self, is_admin: bool, may_watch: bool) -> (ConnId, mpsc::Receiver<Outgoing>) {
        let conn = ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = mpsc::channel(limits::OUTBOX_ROOM);
        let viewer_id = ViewerId(crate::server::secrets::random_token()[..32].to_owned());
        self.metrics.ws_opened();
        let mut shared = self.lock();
        shared.hub.connect(conn, viewer_id, is_admin, may_watch);
        shared.outboxes.insert(conn, tx);
        (conn, rx)
    }

    fn disconnect(&self, conn: ConnId, how: Departure) {
        self.metrics.ws_closed();
        let mut shared = self.lock();
        shared.outboxes.remove(&conn);
        let out = shared.hub.depart(conn, how);
        shared.deliver(out);
    }

    fn on_text(&self, conn: ConnId, text: &str) {
        // Parsing needs no shared state: it runs before the lock, on this socket's own task,
        // so messages from many clients are parsed in parallel.
        let decoded = protocol::decode_client(text);
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
        shared.deliver(out);
    }

    /// Spends one message of `conn`'s budget; the streamer's grows with its viewers. A refused
    /// message is answered with `rate_limited` here.
    fn admit(&self, conn: ConnId, budget: &mut MessageBudget) -> Verdict {
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
            shared.deliver(vec![Action::Send { to: conn, msg: ServerMessage::error(ErrorCode::RateLimited, text) }]);
        }
        verdict
    }

    fn reply(&self, conn: ConnId, msg: ServerMessage) {
        self.lock().deliver(vec![Action::Send { to: conn, msg }]);
    }

    /// Broadcasts the viewer count if it changed.
    pub fn flush_viewer_count(&self) {
        let mut shared = self.lock();
        shared.hub.advance(self.now());
        let out = shared.hub.flush_viewer_count();
        shared.deliver(out);
    }
}

impl Shared {
    /// Queues messages without waiting: a client whose queue is full is cut off, so one stuck
    /// client never holds up the hub or anyone else.
    fn deliver(&mut self, out: Outbox) {
        let mut pending = out;
        while !pending.is_empty() {
            let mut stuck = Vec::new();
            for action in pending.drain(..) {
                match action {
                    Action::Send { to, msg } => {
                        let msg = self.with_turn_credentials(msg);
                        self.metrics.message_out(msg.kind(), error_code(&msg), 1);
                        self.push(to, Outgoing::Data(Payload::Message(Box::new(msg))), &mut stuck);
                    }
                    Action::Broadcast { to, msg } => {
                        self.metrics.message_out(msg.kind(), error_code(&msg), to.len() as u64);
                        let text = Bytes::from(msg.to_json());
                        for conn in to {
                            self.push(conn, Outgoing::Data(Payload::Shared(text.clone())), &mut stuck);
                        }
                    }
                    Action::Close { conn } => {
                        let close = Outgoing::Close { code: close_code::POLICY, reason: "replaced" };
                        self.push(conn, close, &mut stuck);
                    }
                    Action::Event(event) => {
                        self.metrics.observe(&event);
                        self.recorder.record(event);
                    }
                }
            }
            for conn in stuck {
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

    fn push(&self, conn: ConnId, item: Outgoing, stuck: &mut Vec<ConnId>) {
        let Some(tx) = self.outboxes.get(&conn) else { return };
        let queued = tx.max_capacity() - tx.capacity();
        let limit = self.limits.outbox_limit(self.hub.is_streamer(conn), self.hub.status().viewers);
        // A closed queue is a connection on its way out: its task leaves the hub itself.
        if queued >= limit || matches!(tx.try_send(item), Err(mpsc::error::TrySendError::Full(_))) {
            stuck.push(conn);
        }
    }
}

/// `GET /ws`: checks the origin and the connections from the client's IP address before
/// upgrading.
pub async fn upgrade(
    ws: WsUpgrade,
    State(signaling): State<Arc<Signaling>>,
    State(gate): State<WatchGate>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if signaling.is_shutting_down() {
        signaling.metrics.ws_refused("shutdown");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down; try again in a moment".to_owned(),
        );
    }
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("(not text)"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Err(e) = limits::check_origin(origin, host, &signaling.public_urls) {
        tracing::warn!(peer = %peer.ip(), "{e}");
        signaling.metrics.ws_refused("origin");
        return refuse(StatusCode::FORBIDDEN, e.to_string());
    }
    // One client on a dual-stack listener is one address, whichever form it arrives in.
    let Some(slot) = signaling.claim_ip(peer.ip().to_canonical()) else {
        let max = signaling.limits.max_connections_per_ip;
        tracing::warn!(peer = %peer.ip(), "refused a WebSocket: {max} already open from this address");
        signaling.metrics.ws_refused("per_ip");
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many connections from your address (at most {max}); close some and try again"),
        );
    };
    let is_admin = gate.auth.is_admin(&headers).await;
    // The watch code: the `onair_watch` cookie or `?code=`; an admin may always watch.
    let may_watch = is_admin || gate.may_watch(&headers, &uri).await;
    ws.accept(move |upgraded| serve_socket(upgraded, signaling, is_admin, may_watch, slot))
}

fn refuse(status: StatusCode, words: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], words).into_response()
}

/// Resolves once the server is stopping.
async fn stopping(mut rx: watch::Receiver<bool>) {
    // An error means the sender is gone with the server: stop too.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// How a connection ends.
enum End {
    /// The socket failed, the client vanished or stopped reading: nothing more to say.
    Quiet,
    /// A close frame, after a last message when there is something to explain.
    Close { last: Option<ServerMessage>, code: u16, reason: &'static str },
}

async fn serve_socket(upgraded: Upgraded, signaling: Arc<Signaling>, is_admin: bool, may_watch: bool, _slot: IpSlot) {
    let limits = signaling.limits.clone();
    let mut socket = WsSocket::new(upgraded, limits.max_message_bytes);
    let (conn, mut outbox) = signaling.connect(is_admin, may_watch);
    tracing::debug!(conn = conn.0, is_admin, "socket opened");
    let mut budget = MessageBudget::new(limits.viewer_rate(), signaling.now());
    let stop = stopping(signaling.shutdown.subscribe());
    tokio::pin!(stop);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + limits.ping_every, limits.ping_every);
    let mut last_heard = Instant::now();
    let mut departure = Departure::Lost;
    let end = 'serve: loop {
        tokio::select! {
            // In this order: a stop first; then what is queued for the client before reading
            // more from it, so that its own replies (errors included) never pile up behind
            // its incoming messages; the heartbeat last (any incoming message is a sign of life).
            biased;
            () = &mut stop => {
                tracing::debug!(conn = conn.0, "server stopping; closing");
                let last = ServerMessage::error(ErrorCode::Shutdown, "the server is stopping; reconnect in a moment");
                break End::Close { last: Some(last), code: close_code::AWAY, reason: "server stopping" };
            }
            queued = outbox.recv() => match queued {
                Some(Outgoing::Data(first)) => {
                    // What is already queued goes out with it in one write: a burst (going
                    // live to many waiting viewers, their candidates) drains in a few system
                    // calls instead of one per message.
                    let mut batch = vec![first.encode()];
                    let mut then_close = None;
                    while batch.len() < WRITE_BATCH {
                        match outbox.try_recv() {
                            Ok(Outgoing::Data(next)) => batch.push(next.encode()),
                            Ok(Outgoing::Close { code, reason }) => {
                                then_close = Some((code, reason));
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    // A client that takes nothing for this long is gone: without the bound a
                    // client that never reads would hold this task (and its IP slot) forever.
                    match tokio::time::timeout(limits.silence_limit, socket.send_texts(&batch)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break End::Quiet,
                        Err(_) => {
                            tracing::info!(conn = conn.0, "could not write for {:?}; closing", limits.silence_limit);
                            break End::Quiet;
                        }
                    }
                    if let Some((code, reason)) = then_close {
                        break End::Close { last: None, code, reason };
                    }
                }
                Some(Outgoing::Close { code, reason }) => break End::Close { last: None, code, reason },
                // Dropped by the hub as too slow.
                None => break End::Close { last: None, code: close_code::POLICY, reason: "too slow" },
            },
            incoming = socket.recv() => {
                let messages = match incoming {
                    Ok(messages) => messages,
                    Err(RecvError::Frame(e)) => {
                        tracing::info!(conn = conn.0, "closing: {e}");
                        let last = matches!(e, FrameError::TooLarge { .. }).then(|| {
                            let max = limits.max_message_bytes;
                            ServerMessage::error(ErrorCode::TooLarge, format!("messages are limited to {max} bytes"))
                        });
                        let reason = if last.is_some() { "message too large" } else { "protocol error" };
                        break End::Close { last, code: e.close_code(), reason };
                    }
                    Err(RecvError::Eof | RecvError::Io(_)) => break End::Quiet,
                };
                last_heard = Instant::now();
                for msg in messages {
                    if matches!(msg, Incoming::Text(_) | Incoming::Binary) {
                        match signaling.admit(conn, &mut budget) {
                            Verdict::Accept => {}
                            Verdict::Refuse => continue,
                            Verdict::Close => {
                                tracing::warn!(conn = conn.0, "kept sending over its message budget; closing");
                                let last = ServerMessage::error(
                                    ErrorCode::RateLimited,
                                    "too many messages for too long; closing this connection",
                                );
                                break 'serve End::Close { last: Some(last), code: close_code::POLICY, reason: "rate limited" };
                            }
                        }
                    }
                    match msg {
                        Incoming::Text(text) => signaling.on_text(conn, &text),
                        Incoming::Binary => signaling.reply(
                            conn,
                            ServerMessage::error(ErrorCode::Unsupported, "binary frames are not part of the protocol; send JSON text"),
                        ),
                        Incoming::Ping(payload) => {
                            if !matches!(tokio::time::timeout(limits.silence_limit, socket.pong(&payload)).await, Ok(Ok(()))) {
                                break 'serve End::Quiet;
                            }
                        }
                        Incoming::Pong => {}
                        Incoming::Close(code) => {
                            // Only a normal close (1000) ends a live; "going away" is a reload.
                            if code == Some(close_code::NORMAL) {
                                departure = Departure::Clean;
                            }
                            break 'serve End::Close { last: None, code: code.unwrap_or(close_code::NORMAL), reason: "" };
                        }
                    }
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > limits.silence_limit {
                    tracing::info!(conn = conn.0, "no sign of life for {:?}; closing", limits.silence_limit);
                    break End::Quiet;
                }
                if !matches!(tokio::time::timeout(limits.silence_limit, socket.ping()).await, Ok(Ok(()))) {
                    break End::Quiet;
                }
            }
        }
    };
    match end {
        End::Quiet => signaling.disconnect(conn, departure),
        End::Close { last, code, reason } => {
            // The goodbye is written before the hub forgets the connection (a stopping server
            // waits for that), then the closing handshake finishes on its own time.
            if let Some(msg) = &last {
                signaling.metrics.message_out(msg.kind(), error_code(msg), 1);
            }
            let last = last.map(|msg| msg.to_json());
            let said = tokio::time::timeout(GOODBYE_TIMEOUT, socket.send_close(last.as_deref(), code, reason)).await;
            signaling.disconnect(conn, departure);
            if matches!(said, Ok(Ok(()))) {
                let _ = tokio::time::timeout(GOODBYE_TIMEOUT, socket.finish()).await;
            }
        }
    }
    tracing::debug!(conn = conn.0, "socket closed");
}

fn error_code(msg: &ServerMessage) -> Option<ErrorCode> {
    match msg {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}
