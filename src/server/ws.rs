//! The `/ws` socket layer: one task per connection turns frames into hub events and
//! delivers the hub's messages. Frame limits, heartbeat and slow-client handling live here.

use super::hub::{Action, ConnId, Hub, HubStatus, Outbox};
use super::metrics::Metrics;
use super::recorder::Recorder;
use super::AppState;
use crate::protocol::{self, ErrorCode, ServerMessage, ViewerId};
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Largest frame or message accepted: an SDP with many codecs is a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Messages queued for one client before it counts as stuck and is dropped.
const OUTBOX_CAPACITY: usize = 4096;
const PING_EVERY: Duration = Duration::from_secs(15);
/// A client silent (not even a pong) for this long is gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// How often the viewer count is broadcast at most.
pub const VIEWER_COUNT_EVERY: Duration = Duration::from_secs(1);

enum Outgoing {
    Text(Utf8Bytes),
    Close { code: u16, reason: &'static str },
}

/// The hub plus the way to reach each connection's task.
pub struct Signaling {
    shared: Mutex<Shared>,
    next_conn: AtomicU64,
    /// The hub's clock origin, for its rate caps.
    started: Instant,
    metrics: Arc<Metrics>,
}

struct Shared {
    hub: Hub,
    outboxes: HashMap<ConnId, mpsc::Sender<Outgoing>>,
    /// Observers of hub events; neither does I/O here (counters, and a channel to the history thread).
    metrics: Arc<Metrics>,
    recorder: Arc<Recorder>,
}

impl Signaling {
    pub fn new(hub: Hub, metrics: Arc<Metrics>, recorder: Arc<Recorder>) -> Arc<Self> {
        Arc::new(Signaling {
            shared: Mutex::new(Shared { hub, outboxes: HashMap::new(), metrics: metrics.clone(), recorder }),
            next_conn: AtomicU64::new(1),
            started: Instant::now(),
            metrics,
        })
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
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let viewer_id = ViewerId(super::auth::random_token()[..32].to_owned());
        self.metrics.ws_opened();
        let mut shared = self.lock();
        shared.hub.connect(conn, viewer_id, is_admin, may_watch);
        shared.outboxes.insert(conn, tx);
        (conn, rx)
    }

    fn disconnect(&self, conn: ConnId) {
        self.metrics.ws_closed();
        let mut shared = self.lock();
        shared.outboxes.remove(&conn);
        let out = shared.hub.disconnect(conn);
        shared.deliver(out);
    }

    fn on_text(&self, conn: ConnId, text: &str) {
        let mut shared = self.lock();
        shared.hub.advance(self.started.elapsed());
        let out = match protocol::decode_client(text) {
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

    fn reply(&self, conn: ConnId, msg: ServerMessage) {
        self.lock().deliver(vec![Action::Send { to: conn, msg }]);
    }

    /// Broadcasts the viewer count if it changed.
    pub fn flush_viewer_count(&self) {
        let mut shared = self.lock();
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
                        self.metrics.message_out(msg.kind(), error_code(&msg), 1);
                        let text = Utf8Bytes::from(msg.to_json());
                        self.push(to, Outgoing::Text(text), &mut stuck);
                    }
                    Action::Broadcast { to, msg } => {
                        self.metrics.message_out(msg.kind(), error_code(&msg), to.len() as u64);
                        let text = Utf8Bytes::from(msg.to_json());
                        for conn in to {
                            self.push(conn, Outgoing::Text(text.clone()), &mut stuck);
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
                pending.extend(self.hub.disconnect(conn));
            }
        }
    }

    fn push(&self, conn: ConnId, item: Outgoing, stuck: &mut Vec<ConnId>) {
        if let Some(tx) = self.outboxes.get(&conn) {
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(item) {
                stuck.push(conn);
            }
        }
    }
}

/// `GET /ws`: upgrades with limits sized for signaling, not for bulk data.
pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let is_admin = state.auth.is_admin(&headers).await;
    // The watch code: the `onair_watch` cookie or `?code=`; an admin may always watch.
    let may_watch = is_admin || super::watch_access::may_watch(&state, &headers, &uri).await;
    let signaling = state.signaling.clone();
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve_socket(socket, signaling, is_admin, may_watch))
}

async fn serve_socket(mut socket: WebSocket, signaling: Arc<Signaling>, is_admin: bool, may_watch: bool) {
    let (conn, mut outbox) = signaling.connect(is_admin, may_watch);
    tracing::debug!(conn = conn.0, is_admin, "socket opened");
    let mut heartbeat = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let msg = match incoming {
                    Some(Ok(msg)) => msg,
                    Some(Err(e)) => {
                        if is_too_large(e) {
                            tracing::info!(conn = conn.0, "frame over {MAX_MESSAGE_BYTES} bytes; closing");
                            let err = ServerMessage::error(ErrorCode::TooLarge, format!("messages are limited to {MAX_MESSAGE_BYTES} bytes"));
                            signaling.metrics.message_out(err.kind(), Some(ErrorCode::TooLarge), 1);
                            let _ = socket.send(Message::Text(err.to_json().into())).await;
                            let _ = socket.send(close(close_code::SIZE, "message too large")).await;
                        }
                        break;
                    }
                    None => break,
                };
                last_heard = Instant::now();
                match msg {
                    Message::Text(text) => signaling.on_text(conn, text.as_str()),
                    Message::Binary(_) => signaling.reply(
                        conn,
                        ServerMessage::error(ErrorCode::Unsupported, "binary frames are not part of the protocol; send JSON text"),
                    ),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            queued = outbox.recv() => match queued {
                Some(Outgoing::Text(text)) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Close { code, reason }) => {
                    let _ = socket.send(close(code, reason)).await;
                    break;
                }
                // Dropped by the hub as too slow.
                None => {
                    let _ = socket.send(close(close_code::POLICY, "too slow")).await;
                    break;
                }
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    tracing::info!(conn = conn.0, "no sign of life for {SILENCE_LIMIT:?}; closing");
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    signaling.disconnect(conn);
    tracing::debug!(conn = conn.0, "socket closed");
}

fn error_code(msg: &ServerMessage) -> Option<ErrorCode> {
    match msg {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))
}

fn is_too_large(e: axum::Error) -> bool {
    matches!(
        e.into_inner().downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    )
}
