//! What one `/ws` connection does next, as pure code: each event of its task (the stop
//! signal, its queue, the client's frames, the heartbeat, how a write went) in, one step out.
//! No sockets here; `connection.rs` performs the steps.

use crate::protocol::{ErrorCode, ServerMessage};
use crate::server::signaling::hub::{ConnId, Departure};
use crate::server::signaling::limits::{Verdict, WsLimits};
use crate::server::signaling::outgoing::Outgoing;
use crate::server::websocket::frame::{close_code, FrameError, Incoming};
use crate::server::websocket::socket::RecvError;
use bytes::Bytes;
use std::ops::ControlFlow;
use std::time::Duration;
use tokio::time::Instant;

/// Queued messages sent in one flush at most, so one client's burst cannot hold its task
/// away from reading (or from a stop signal) for long.
pub const WRITE_BATCH: usize = 256;

/// How a connection ends.
#[derive(Debug, PartialEq)]
pub enum End {
    /// The socket failed, the client vanished or stopped reading: nothing more to say.
    Quiet,
    /// A close frame, after a last message when there is something to explain.
    Close { last: Option<ServerMessage>, code: u16, reason: &'static str },
}

/// A close the hub queued behind messages (a connection replaced by another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedClose {
    pub code: u16,
    pub reason: &'static str,
}

/// What the connection's task does next.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Nothing (a pong; a message over the budget, already answered by the service).
    Ignore,
    /// Hand a text message to the hub.
    ToHub(String),
    /// Answer the client through its queue, behind what already waits there.
    Reply(ServerMessage),
    /// Answer the client's ping with its payload.
    Pong(Vec<u8>),
    /// Check that the client is still there.
    Ping,
    /// Write queued messages in one go (after the rest of one written in part straight away),
    /// `taken` items of the queue in all, then close when the queue said so.
    Write { batch: Vec<Bytes>, taken: usize, then_close: Option<QueuedClose> },
    /// Stop serving.
    End(End),
}

/// How a write to the client went, within the silence limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Done,
    Failed,
    TimedOut,
}

/// One connection's decisions and the little it remembers for them.
#[derive(Debug)]
pub struct ConnectionRules {
    conn: ConnId,
    max_message_bytes: usize,
    silence_limit: Duration,
    /// When the client last sent anything (any frame is a sign of life).
    last_heard: Instant,
    /// Lost unless the client closes normally.
    departure: Departure,
}

impl ConnectionRules {
    pub fn new(conn: ConnId, limits: &WsLimits, now: Instant) -> Self {
        ConnectionRules {
            conn,
            max_message_bytes: limits.max_message_bytes,
            silence_limit: limits.silence_limit,
            last_heard: now,
            departure: Departure::Lost,
        }
    }

    /// How the hub should see this connection leave.
    pub fn departure(&self) -> Departure {
        self.departure
    }

    /// The server is stopping: tell the client to come back.
    pub fn on_stop(&self) -> Step {
        tracing::debug!(conn = self.conn.0, "server stopping; closing");
        let last = ServerMessage::error(ErrorCode::Shutdown, "the server is stopping; reconnect in a moment");
        Step::End(End::Close { last: Some(last), code: close_code::AWAY, reason: "server stopping" })
    }

    /// The first item out of the queue (`None`: the service dropped it), and a way to take
    /// what else is already queued without waiting.
    pub fn on_queued(&self, first: Option<Outgoing>, mut next: impl FnMut() -> Option<Outgoing>) -> Step {
        match first {
            Some(first @ (Outgoing::Data(..) | Outgoing::Flush)) => {
                // What is already queued goes out with it in one write: a burst (going
                // live to many waiting viewers, their candidates) drains in a few system
                // calls instead of one per message.
                let mut batch = Vec::new();
                let mut taken = 0;
                let mut then_close = None;
                let mut item = Some(first);
                while let Some(current) = item.take() {
                    match current {
                        Outgoing::Data(more, _held) => batch.push(more.encode()),
                        Outgoing::Flush => {}
                        Outgoing::Close { code, reason } => {
                            then_close = Some(QueuedClose { code, reason });
                            break;
                        }
                    }
                    taken += 1;
                    if taken < WRITE_BATCH {
                        item = next();
                    }
                }
                Step::Write { batch, taken, then_close }
            }
            Some(Outgoing::Close { code, reason }) => Step::End(End::Close { last: None, code, reason }),
            // Dropped by the service as too slow.
            None => Step::End(End::Close { last: None, code: close_code::POLICY, reason: "too slow" }),
        }
    }

    /// After a batch of queued messages was written.
    pub fn after_batch(&self, written: Written, then_close: Option<QueuedClose>) -> ControlFlow<End> {
        match written {
            Written::Done => match then_close {
                Some(QueuedClose { code, reason }) => ControlFlow::Break(End::Close { last: None, code, reason }),
                None => ControlFlow::Continue(()),
            },
            Written::Failed => ControlFlow::Break(End::Quiet),
            // A client that takes nothing for this long is gone: without the bound a
            // client that never reads would hold its task (and its IP slot) forever.
            Written::TimedOut => {
                tracing::info!(conn = self.conn.0, "could not write for {:?}; closing", self.silence_limit);
                ControlFlow::Break(End::Quiet)
            }
        }
    }

    /// After a ping or a pong was written.
    pub fn after_control_frame(&self, written: Written) -> ControlFlow<End> {
        match written {
            Written::Done => ControlFlow::Continue(()),
            Written::Failed | Written::TimedOut => ControlFlow::Break(End::Quiet),
        }
    }

    /// A read from the client, at `now`: its messages to go through [`Self::on_message`] one
    /// by one, or the end of the connection.
    pub fn on_received(
        &mut self,
        received: Result<Vec<Incoming>, RecvError>,
        now: Instant,
    ) -> ControlFlow<End, Vec<Incoming>> {
        match received {
            Ok(messages) => {
                self.last_heard = now;
                ControlFlow::Continue(messages)
            }
            Err(RecvError::Frame(e)) => {
                tracing::info!(conn = self.conn.0, "closing: {e}");
                let last = matches!(e, FrameError::TooLarge { .. }).then(|| {
                    let max = self.max_message_bytes;
                    ServerMessage::error(ErrorCode::TooLarge, format!("messages are limited to {max} bytes"))
                });
                let reason = if last.is_some() { "message too large" } else { "protocol error" };
                ControlFlow::Break(End::Close { last, code: e.close_code(), reason })
            }
            Err(RecvError::Eof | RecvError::Io(_)) => ControlFlow::Break(End::Quiet),
        }
    }

    /// One message from the client. `admit` spends one message of its budget; only data
    /// messages (text, binary) ask it, control frames are free.
    pub fn on_message(&mut self, msg: Incoming, admit: impl FnOnce() -> Verdict) -> Step {
        if matches!(msg, Incoming::Text(_) | Incoming::Binary) {
            match admit() {
                Verdict::Accept => {}
                Verdict::Refuse => return Step::Ignore,
                Verdict::Close => {
                    tracing::warn!(conn = self.conn.0, "kept sending over its message budget; closing");
                    let last = ServerMessage::error(
                        ErrorCode::RateLimited,
                        "too many messages for too long; closing this connection",
                    );
                    return Step::End(End::Close {
                        last: Some(last),
                        code: close_code::POLICY,
                        reason: "rate limited",
                    });
                }
            }
        }
        match msg {
            Incoming::Text(text) => Step::ToHub(text),
            Incoming::Binary => Step::Reply(ServerMessage::error(
                ErrorCode::Unsupported,
                "binary frames are not part of the protocol; send JSON text",
            )),
            Incoming::Ping(payload) => Step::Pong(payload),
            Incoming::Pong => Step::Ignore,
            Incoming::Close(code) => {
                // Only a normal close (1000) ends a live; "going away" is a reload.
                if code == Some(close_code::NORMAL) {
                    self.departure = Departure::Clean;
                }
                Step::End(End::Close { last: None, code: code.unwrap_or(close_code::NORMAL), reason: "" })
            }
        }
    }

    /// The heartbeat, at `now`: ping a client that was heard from lately, drop a silent one.
    pub fn on_heartbeat(&self, now: Instant) -> Step {
        if now.saturating_duration_since(self.last_heard) > self.silence_limit {
            tracing::info!(conn = self.conn.0, "no sign of life for {:?}; closing", self.silence_limit);
            return Step::End(End::Quiet);
        }
        Step::Ping
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::signaling::outgoing::{Held, Payload};
    use std::collections::VecDeque;

    const MAX: usize = 1000;
    const SILENCE: Duration = Duration::from_secs(45);

    fn rules(start: Instant) -> ConnectionRules {
        let limits = WsLimits { max_message_bytes: MAX, silence_limit: SILENCE, ..WsLimits::default() };
        ConnectionRules::new(ConnId(7), &limits, start)
    }

    fn data(text: &'static str) -> Outgoing {
        Outgoing::Data(Payload::Shared(Bytes::from_static(text.as_bytes())), Held::default())
    }

    fn close(last: Option<ServerMessage>, code: u16, reason: &'static str) -> End {
        End::Close { last, code, reason }
    }

    fn never_asked() -> Verdict {
        panic!("control frames do not spend the budget")
    }

    #[test]
    fn the_stop_signal_says_shutdown_and_closes_as_going_away() {
        let last = ServerMessage::error(ErrorCode::Shutdown, "the server is stopping; reconnect in a moment");
        assert_eq!(rules(Instant::now()).on_stop(), Step::End(close(Some(last), close_code::AWAY, "server stopping")));
    }

    #[test]
    fn queued_messages_go_out_together_up_to_the_batch_size() {
        let r = rules(Instant::now());
        let mut queue: VecDeque<Outgoing> = (0..WRITE_BATCH + 10).map(|_| data("m")).collect();
        let first = queue.pop_front();
        let Step::Write { batch, taken, then_close } = r.on_queued(first, || queue.pop_front()) else {
            panic!("a write")
        };
        assert_eq!((batch.len(), taken), (WRITE_BATCH, WRITE_BATCH));
        assert_eq!(then_close, None);
        assert_eq!(queue.len(), 10, "the rest waits for the next round");

        let mut queue = VecDeque::from([data("b")]);
        let step = r.on_queued(Some(data("a")), || queue.pop_front());
        let batch = vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")];
        assert_eq!(step, Step::Write { batch, taken: 2, then_close: None }, "an empty queue ends the batch");
    }

    #[test]
    fn a_nudge_to_finish_a_message_writes_with_what_follows_it_and_counts_as_taken() {
        let r = rules(Instant::now());
        let mut queue = VecDeque::from([data("b")]);
        let step = r.on_queued(Some(Outgoing::Flush), || queue.pop_front());
        assert_eq!(step, Step::Write { batch: vec![Bytes::from_static(b"b")], taken: 2, then_close: None });
        let step = r.on_queued(Some(Outgoing::Flush), || None);
        assert_eq!(step, Step::Write { batch: vec![], taken: 1, then_close: None }, "the rest alone is written");
    }

    #[test]
    fn a_close_queued_behind_messages_follows_them_and_ends_the_batch() {
        let r = rules(Instant::now());
        let mut queue = VecDeque::from([
            data("b"),
            Outgoing::Close { code: close_code::POLICY, reason: "replaced" },
            data("not sent"),
        ]);
        let step = r.on_queued(Some(data("a")), || queue.pop_front());
        let batch = vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")];
        let then_close = Some(QueuedClose { code: close_code::POLICY, reason: "replaced" });
        assert_eq!(step, Step::Write { batch, taken: 2, then_close });
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn a_queued_close_or_a_dropped_queue_closes() {
        let r = rules(Instant::now());
        let replaced = Outgoing::Close { code: close_code::POLICY, reason: "replaced" };
        assert_eq!(r.on_queued(Some(replaced), || None), Step::End(close(None, close_code::POLICY, "replaced")));
        assert_eq!(r.on_queued(None, || None), Step::End(close(None, close_code::POLICY, "too slow")));
    }

    #[test]
    fn after_a_batch_go_on_close_as_queued_or_end_quietly() {
        let r = rules(Instant::now());
        let replaced = QueuedClose { code: close_code::POLICY, reason: "replaced" };
        assert_eq!(r.after_batch(Written::Done, None), ControlFlow::Continue(()));
        assert_eq!(r.after_batch(Written::Done, Some(replaced)), ControlFlow::Break(close(None, 1008, "replaced")));
        for written in [Written::Failed, Written::TimedOut] {
            assert_eq!(r.after_batch(written, Some(replaced)), ControlFlow::Break(End::Quiet), "{written:?}");
        }
    }

    #[test]
    fn a_ping_or_pong_that_cannot_be_written_ends_quietly() {
        let r = rules(Instant::now());
        assert_eq!(r.after_control_frame(Written::Done), ControlFlow::Continue(()));
        assert_eq!(r.after_control_frame(Written::Failed), ControlFlow::Break(End::Quiet));
        assert_eq!(r.after_control_frame(Written::TimedOut), ControlFlow::Break(End::Quiet));
    }

    #[test]
    fn a_message_over_the_size_limit_is_explained_before_the_close() {
        let mut r = rules(Instant::now());
        let too_large = RecvError::Frame(FrameError::TooLarge { len: 5000, max: MAX });
        let last = ServerMessage::error(ErrorCode::TooLarge, "messages are limited to 1000 bytes");
        assert_eq!(
            r.on_received(Err(too_large), Instant::now()),
            ControlFlow::Break(close(Some(last), close_code::SIZE, "message too large"))
        );
    }

    #[test]
    fn other_frame_errors_close_with_their_code_and_no_message() {
        let mut r = rules(Instant::now());
        for (e, code) in [(FrameError::Unmasked, close_code::PROTOCOL), (FrameError::NotUtf8, close_code::INVALID_DATA)]
        {
            assert_eq!(
                r.on_received(Err(RecvError::Frame(e)), Instant::now()),
                ControlFlow::Break(close(None, code, "protocol error"))
            );
        }
    }

    #[test]
    fn a_vanished_client_ends_quietly() {
        let mut r = rules(Instant::now());
        assert_eq!(r.on_received(Err(RecvError::Eof), Instant::now()), ControlFlow::Break(End::Quiet));
        let reset = RecvError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(r.on_received(Err(reset), Instant::now()), ControlFlow::Break(End::Quiet));
    }

    #[test]
    fn the_heartbeat_pings_until_the_client_is_silent_past_the_limit() {
        let start = Instant::now();
        let r = rules(start);
        assert_eq!(r.on_heartbeat(start + Duration::from_secs(15)), Step::Ping);
        assert_eq!(r.on_heartbeat(start + SILENCE), Step::Ping, "at the limit exactly it still waits");
        assert_eq!(r.on_heartbeat(start + SILENCE + Duration::from_millis(1)), Step::End(End::Quiet));
    }

    #[test]
    fn anything_read_is_a_sign_of_life() {
        let start = Instant::now();
        let mut r = rules(start);
        let heard = start + Duration::from_secs(40);
        assert_eq!(r.on_received(Ok(vec![Incoming::Pong]), heard), ControlFlow::Continue(vec![Incoming::Pong]));
        assert_eq!(r.on_heartbeat(start + SILENCE + Duration::from_secs(1)), Step::Ping);
        assert_eq!(r.on_heartbeat(heard + SILENCE + Duration::from_secs(1)), Step::End(End::Quiet));
    }

    #[test]
    fn admitted_text_goes_to_the_hub() {
        let mut r = rules(Instant::now());
        assert_eq!(r.on_message(Incoming::Text("{}".into()), || Verdict::Accept), Step::ToHub("{}".into()));
    }

    #[test]
    fn binary_frames_are_answered_as_unsupported() {
        let mut r = rules(Instant::now());
        let answer =
            ServerMessage::error(ErrorCode::Unsupported, "binary frames are not part of the protocol; send JSON text");
        assert_eq!(r.on_message(Incoming::Binary, || Verdict::Accept), Step::Reply(answer));
    }

    #[test]
    fn data_over_the_budget_is_dropped_and_abuse_closes() {
        let mut r = rules(Instant::now());
        assert_eq!(r.on_message(Incoming::Text("{}".into()), || Verdict::Refuse), Step::Ignore);
        assert_eq!(r.on_message(Incoming::Binary, || Verdict::Refuse), Step::Ignore);
        let last =
            ServerMessage::error(ErrorCode::RateLimited, "too many messages for too long; closing this connection");
        let closed = Step::End(close(Some(last), close_code::POLICY, "rate limited"));
        assert_eq!(r.on_message(Incoming::Text("{}".into()), || Verdict::Close), closed);
        assert_eq!(r.departure(), Departure::Lost);
    }

    #[test]
    fn control_frames_are_free_a_ping_is_answered_a_pong_ignored() {
        let mut r = rules(Instant::now());
        assert_eq!(r.on_message(Incoming::Ping(b"hi".to_vec()), never_asked), Step::Pong(b"hi".to_vec()));
        assert_eq!(r.on_message(Incoming::Pong, never_asked), Step::Ignore);
    }

    #[test]
    fn only_a_normal_close_is_a_clean_departure() {
        let mut r = rules(Instant::now());
        assert_eq!(
            r.on_message(Incoming::Close(Some(close_code::AWAY)), never_asked),
            Step::End(close(None, 1001, ""))
        );
        assert_eq!(r.departure(), Departure::Lost, "going away is a reload");
        let mut r = rules(Instant::now());
        assert_eq!(r.on_message(Incoming::Close(None), never_asked), Step::End(close(None, close_code::NORMAL, "")));
        assert_eq!(r.departure(), Departure::Lost, "no code is not a normal close");
        let mut r = rules(Instant::now());
        assert_eq!(
            r.on_message(Incoming::Close(Some(close_code::NORMAL)), never_asked),
            Step::End(close(None, 1000, ""))
        );
        assert_eq!(r.departure(), Departure::Clean);
    }
}
