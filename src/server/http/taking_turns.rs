//! A listener whose accepts take turns with the connections already open: before each
//! accept, every other task that is ready runs once, and at most [`HANDSHAKES`] connections
//! are accepted and still waiting for their first response at a time.

use axum::serve::Listener;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Connections accepted and not yet answered (a `/ws` handshake's `101`, a page's headers).
/// A flash crowd's clients connect by the hundred at once (the benchmark: 200): with all of
/// them accepted, their handshakes filled the run queue, and every offer and answer already
/// in flight waited behind them; with 50 at a time, a crowd of 1000's offer→answer p99 fell
/// from 25 to 7-10 ms in the same time overall (README, Performance).
pub const HANDSHAKES: usize = 48;

/// How long one connection may hold its turn without being answered: a client that connects
/// and sends nothing must not hold up everyone else's accepts. A client's request follows its
/// TCP handshake at once, so a turn held this long is a silent client or a slow handler (a
/// sign-in's password hash); a flood of silent connections can slow accepts to
/// `HANDSHAKES / PATIENCE` (480 a second) at worst, and holds no one's session.
pub const PATIENCE: Duration = Duration::from_millis(100);

/// Wraps a listener so that a flash crowd's new sockets wait behind the work of the viewers
/// already negotiating instead of going ahead of it. Without it, on one core, the accept loop
/// took every pending connection in a row (up to tokio's budget of 128) and their handshakes
/// ran before the offers and answers already waiting; `BENCH_PINNED=1 make bench` measures
/// the difference (figures in the README, Performance).
pub struct TakingTurns<L> {
    inner: L,
    turns: Arc<Semaphore>,
    /// The turns handed out, oldest first, each taken back at its deadline if still held.
    held: Turns,
}

impl<L> TakingTurns<L> {
    pub fn new(inner: L) -> Self {
        TakingTurns { inner, turns: Arc::new(Semaphore::new(HANDSHAKES)), held: Turns::default() }
    }
}

impl<L: Listener> Listener for TakingTurns<L> {
    type Io = Answering<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        tokio::task::yield_now().await;
        let permit = loop {
            self.held.expire(Instant::now());
            let oldest = self.held.next_deadline();
            tokio::select! {
                permit = self.turns.clone().acquire_owned() => break permit.expect("the semaphore stays open"),
                () = tokio::time::sleep_until(oldest.unwrap_or_else(Instant::now)), if oldest.is_some() => {}
            }
        };
        let (io, addr) = self.inner.accept().await;
        let turn = Arc::new(Mutex::new(Some(permit)));
        self.held.hand_out(Instant::now() + PATIENCE, turn.clone());
        (Answering { io, turn, answered: false }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// One connection's turn; `None` once given back.
type Turn = Arc<Mutex<Option<OwnedSemaphorePermit>>>;

fn give_back(turn: &Turn) {
    drop(turn.lock().unwrap_or_else(|p| p.into_inner()).take());
}

/// The turns handed out, in order of their deadlines (the order they were handed out).
#[derive(Default)]
struct Turns(VecDeque<(Instant, Turn)>);

impl Turns {
    fn hand_out(&mut self, deadline: Instant, turn: Turn) {
        self.0.push_back((deadline, turn));
    }

    /// Takes back the turns past their deadline and forgets those given back.
    fn expire(&mut self, now: Instant) {
        while let Some((deadline, turn)) = self.0.front() {
            let given_back = turn.lock().unwrap_or_else(|p| p.into_inner()).is_none();
            if !given_back && *deadline > now {
                break;
            }
            give_back(turn);
            self.0.pop_front();
        }
    }

    /// When the oldest turn still held must be taken back.
    fn next_deadline(&self) -> Option<Instant> {
        self.0.front().map(|(deadline, _)| *deadline)
    }
}

/// An accepted connection that holds its turn until the server first writes to it.
pub struct Answering<T> {
    io: T,
    turn: Turn,
    /// Written to once: the turn is given back, and later writes need not look.
    answered: bool,
}

impl<T> Answering<T> {
    fn answer(&mut self) {
        if !self.answered {
            self.answered = true;
            give_back(&self.turn);
        }
    }
}

impl<T> Answering<T> {
    pub fn get_ref(&self) -> &T {
        &self.io
    }
}

impl<T> Drop for Answering<T> {
    fn drop(&mut self) {
        give_back(&self.turn);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Answering<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Answering<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.answer();
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.answer();
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::AsyncWriteExt;

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiting_connection_is_accepted_only_after_the_ready_tasks_ran() {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = TakingTurns::new(tcp);
        // A first accept leaves the listener known to be readable, so that the next accept
        // of a connection already waiting would complete without giving way.
        let _first = std::net::TcpStream::connect(addr).unwrap();
        let _ = listener.accept().await;
        let _second = std::net::TcpStream::connect(addr).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        tokio::spawn({
            let ran = ran.clone();
            async move { ran.store(true, Ordering::SeqCst) }
        });
        let _ = listener.accept().await;
        assert!(ran.load(Ordering::SeqCst), "the accept went ahead of a task that was ready to run");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn it_accepts_and_names_its_address() {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = TakingTurns::new(tcp);
        assert_eq!(listener.local_addr().unwrap(), addr);
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (_io, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
    }

    /// A listener and `HANDSHAKES` accepted connections, none answered yet.
    async fn full_listener(
    ) -> (TakingTurns<tokio::net::TcpListener>, Vec<Answering<tokio::net::TcpStream>>, Vec<std::net::TcpStream>) {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = TakingTurns::new(tcp);
        let mut accepted = Vec::new();
        let mut clients = Vec::new();
        for _ in 0..HANDSHAKES {
            clients.push(std::net::TcpStream::connect(addr).unwrap());
            accepted.push(listener.accept().await.0);
        }
        clients.push(std::net::TcpStream::connect(addr).unwrap());
        (listener, accepted, clients)
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_connection_waits_while_the_most_are_unanswered_and_goes_once_one_is_answered() {
        let (mut listener, mut accepted, _clients) = full_listener().await;
        let waited = tokio::time::timeout(PATIENCE / 2, listener.accept()).await;
        assert!(waited.is_err(), "accepted beyond {HANDSHAKES} unanswered connections");
        accepted[3].write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n").await.unwrap();
        let next = tokio::time::timeout(Duration::from_millis(1), listener.accept()).await;
        assert!(next.is_ok(), "an answered connection gives its turn back");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn silent_clients_hold_the_turns_no_longer_than_the_patience() {
        let (mut listener, accepted, _clients) = full_listener().await;
        let started = Instant::now();
        let next = tokio::time::timeout(PATIENCE * 2, listener.accept()).await;
        assert!(next.is_ok(), "the silent connections kept every other client out");
        assert!(started.elapsed() >= PATIENCE, "a turn was taken back before its deadline");
        drop(accepted);
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_closed_connection_gives_its_turn_back() {
        let (mut listener, mut accepted, _clients) = full_listener().await;
        accepted.pop();
        let next = tokio::time::timeout(Duration::from_millis(1), listener.accept()).await;
        assert!(next.is_ok());
    }
}
