//! One `/ws` connection's task: waits for the next event (stop signal, queue, client frames,
//! heartbeat), performs the step `connection_rules.rs` decides, and says goodbye at the end.

use crate::protocol::{decode_client, ClientMessage};
use crate::server::auth::sign_in::Auth;
use crate::server::signaling::admin_sessions;
use crate::server::signaling::connection_rules::{ConnectionRules, End, Step, Written};
use crate::server::signaling::hub::ConnId;
use crate::server::signaling::limits::MessageBudget;
use crate::server::signaling::outgoing::Outgoing;
use crate::server::signaling::resume::Device;
use crate::server::signaling::service::{IpSlot, Signaling};
use crate::server::websocket::frame::Incoming;
use crate::server::websocket::socket::{RecvError, WsSocket};
use hyper::upgrade::Upgraded;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How long a goodbye (error + close frame) may take to a client that does not read.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Who opened a socket, as the upgrade found out.
pub struct Opener {
    /// The token of the admin session the socket was opened with, checked again before it
    /// may stream.
    pub admin_session: Option<String>,
    pub may_watch: bool,
    pub auth: Arc<Auth>,
    /// The client's address, and the watch page's device cookie if it brought a genuine one.
    pub address: IpAddr,
    pub device: Option<Device>,
    /// A message the URL stands for (a join, `protocol::join_in_url`), taken as the client's
    /// first.
    pub first_message: Option<String>,
}

/// Serves one upgraded socket until it ends; `_slot` counts it against its IP meanwhile.
pub async fn serve(upgraded: Upgraded, signaling: Arc<Signaling>, opener: Opener, _slot: IpSlot) {
    let limits = signaling.limits().clone();
    let socket = WsSocket::new(upgraded, limits.max_message_bytes);
    let Opener { admin_session, may_watch, auth, address, device, first_message } = opener;
    let (conn, outbox) = signaling.connect(admin_session.as_ref(), may_watch, address, device, socket.writer().clone());
    tracing::debug!(conn = conn.0, is_admin = admin_session.is_some(), "socket opened");
    let mut task = ConnectionTask {
        admin_session,
        auth,
        budget: MessageBudget::new(limits.viewer_rate(), signaling.now()),
        rules: ConnectionRules::new(conn, &limits, Instant::now()),
        silence_limit: limits.silence_limit,
        signaling,
        conn,
        socket,
    };
    let first = match first_message {
        Some(text) => task.on_received(Ok(vec![Incoming::Text(text)])).await,
        None => ControlFlow::Continue(()),
    };
    let end = match first {
        ControlFlow::Continue(()) => task.run(outbox, limits.ping_every).await,
        ControlFlow::Break(end) => end,
    };
    task.say_goodbye(end).await;
    tracing::debug!(conn = conn.0, "socket closed");
}

/// What one connection's task holds while it runs.
struct ConnectionTask {
    signaling: Arc<Signaling>,
    auth: Arc<Auth>,
    admin_session: Option<String>,
    conn: ConnId,
    socket: WsSocket,
    budget: MessageBudget,
    rules: ConnectionRules,
    /// The longest any write may take.
    silence_limit: Duration,
}

impl ConnectionTask {
    async fn run(&mut self, mut outbox: mpsc::Receiver<Outgoing>, ping_every: Duration) -> End {
        let stop = stopping(self.signaling.stop_signal());
        tokio::pin!(stop);
        let mut heartbeat = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        loop {
            let flow = tokio::select! {
                // In this order: a stop first; then what is queued for the client before reading
                // more from it, so that its own replies (errors included) never pile up behind
                // its incoming messages; the heartbeat last (any incoming message is a sign of life).
                biased;
                () = &mut stop => self.perform(self.rules.on_stop()).await,
                queued = outbox.recv() => {
                    let step = self.rules.on_queued(queued, || outbox.try_recv().ok());
                    self.perform(step).await
                }
                received = self.socket.recv() => self.on_received(received).await,
                _ = heartbeat.tick() => self.perform(self.rules.on_heartbeat(Instant::now())).await,
            };
            if let ControlFlow::Break(end) = flow {
                return end;
            }
        }
    }

    /// The client's messages, in order, each admitted against its budget.
    async fn on_received(&mut self, received: Result<Vec<Incoming>, RecvError>) -> ControlFlow<End> {
        let messages = self.rules.on_received(received, Instant::now())?;
        for msg in messages {
            let step = self.rules.on_message(msg, || self.signaling.admit(self.conn, &mut self.budget));
            self.perform(step).await?;
        }
        ControlFlow::Continue(())
    }

    async fn perform(&mut self, step: Step) -> ControlFlow<End> {
        match step {
            Step::Ignore => ControlFlow::Continue(()),
            Step::ToHub(text) => {
                let decoded = decode_client(&text);
                if matches!(decoded, Ok(ClientMessage::Streamer | ClientMessage::Studio)) {
                    if let Some(token) = &self.admin_session {
                        // The session may have ended since the upgrade.
                        if !admin_sessions::may_stream(&self.auth, token).await {
                            self.admin_session = None;
                            self.signaling.admin_session_ended(self.conn);
                            return ControlFlow::Continue(());
                        }
                    }
                }
                self.signaling.on_decoded(self.conn, decoded);
                ControlFlow::Continue(())
            }
            Step::Reply(msg) => {
                self.signaling.reply(self.conn, msg);
                ControlFlow::Continue(())
            }
            Step::Pong(payload) => {
                let written = within(self.silence_limit, self.socket.pong(&payload)).await;
                self.rules.after_control_frame(written)
            }
            Step::Ping => {
                let written = within(self.silence_limit, self.socket.ping()).await;
                self.rules.after_control_frame(written)
            }
            Step::Write { batch, taken, then_close } => {
                let written = within(self.silence_limit, self.socket.send_texts(&batch, taken)).await;
                self.rules.after_batch(written, then_close)
            }
            Step::End(end) => ControlFlow::Break(end),
        }
    }

    async fn say_goodbye(self, end: End) {
        let departure = self.rules.departure();
        match end {
            End::Quiet => self.signaling.disconnect(self.conn, departure),
            End::Close { last, code, reason } => {
                // The goodbye is written before the hub forgets the connection (a stopping server
                // waits for that), then the closing handshake finishes on its own time.
                if let Some(msg) = &last {
                    self.signaling.count_sent(msg);
                }
                let last = last.map(|msg| msg.to_json());
                let mut socket = self.socket;
                let said =
                    tokio::time::timeout(GOODBYE_TIMEOUT, socket.send_close(last.as_deref(), code, reason)).await;
                self.signaling.disconnect(self.conn, departure);
                if matches!(said, Ok(Ok(()))) {
                    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, socket.finish()).await;
                }
            }
        }
    }
}

/// Runs a write with a time limit.
async fn within(limit: Duration, write: impl Future<Output = io::Result<()>>) -> Written {
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(())) => Written::Done,
        Ok(Err(_)) => Written::Failed,
        Err(_) => Written::TimedOut,
    }
}

/// Resolves once the server is stopping.
async fn stopping(mut rx: watch::Receiver<bool>) {
    // An error means the sender is gone with the server: stop too.
    let _ = rx.wait_for(|stop| *stop).await;
}
