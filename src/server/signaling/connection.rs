//! One `/ws` connection's task: turns the client's frames into hub events, writes what the
//! hub queued for it, keeps the heartbeat and says goodbye when it ends.

use crate::protocol::{ErrorCode, ServerMessage};
use crate::server::signaling::hub::Departure;
use crate::server::signaling::limits::{MessageBudget, Verdict};
use crate::server::signaling::outgoing::Outgoing;
use crate::server::signaling::service::{IpSlot, Signaling};
use crate::server::websocket::frame::{close_code, FrameError, Incoming};
use crate::server::websocket::socket::{RecvError, WsSocket};
use hyper::upgrade::Upgraded;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How long a goodbye (error + close frame) may take to a client that does not read.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Queued messages sent in one flush at most, so one client's burst cannot hold its task
/// away from reading (or from a stop signal) for long.
const WRITE_BATCH: usize = 256;

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

pub async fn serve(upgraded: Upgraded, signaling: Arc<Signaling>, is_admin: bool, may_watch: bool, _slot: IpSlot) {
    let limits = signaling.limits().clone();
    let mut socket = WsSocket::new(upgraded, limits.max_message_bytes);
    let (conn, mut outbox) = signaling.connect(is_admin, may_watch);
    tracing::debug!(conn = conn.0, is_admin, "socket opened");
    let mut budget = MessageBudget::new(limits.viewer_rate(), signaling.now());
    let stop = stopping(signaling.stop_signal());
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
                signaling.count_sent(msg);
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
