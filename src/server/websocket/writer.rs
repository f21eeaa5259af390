//! One connection's write side, shared by its task and by whoever has a message for it: a
//! message goes straight to the socket when nothing of that connection waits in its queue or
//! is being written, else through the queue; the order on the wire stays the order of sending.
//!
//! Why: under a flash crowd on one core, each hop through a queue waits for every ready task
//! ahead of it (an offer read from the streamer's socket waited for the viewer's task, its
//! answer for the streamer's), which made offer→answer several times Node's, whose `ws` writes
//! to the recipient's socket inside the callback that read the message. `BENCH_PINNED=1 make
//! bench` measures it (figures in the README).

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::io;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncWrite, AsyncWriteExt, WriteHalf};

pub type WriteSide = WriteHalf<TokioIo<Upgraded>>;

/// Who may write next, as pure rules: the connection's queue and its task's writes in,
/// whether a message may skip the queue out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Turns {
    /// Items queued for the task and not yet written by it (a partial write's rest counts).
    pending: usize,
    /// The task is writing (its write may span several polls).
    task_writing: bool,
    /// The conversation is ending or the socket failed: nothing goes straight out any more.
    closed: bool,
}

impl Turns {
    /// Whether a message may be written now, ahead of nothing.
    pub fn may_skip_queue(&self) -> bool {
        self.pending == 0 && !self.task_writing && !self.closed
    }

    /// An item went into the queue (or a rest waits for the task).
    pub fn queued(&mut self) {
        self.pending += 1;
    }

    /// An item counted by [`Self::queued`] did not fit in the queue after all.
    pub fn not_queued(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// The task starts a write; false once closed.
    pub fn task_begins(&mut self) -> bool {
        self.task_writing = !self.closed;
        self.task_writing
    }

    /// The task wrote `taken` queued items.
    pub fn task_wrote(&mut self, taken: usize) {
        self.task_writing = false;
        self.pending = self.pending.saturating_sub(taken);
    }

    pub fn close(&mut self) {
        self.closed = true;
        self.task_writing = false;
    }
}

/// What happened to a message offered for writing now.
#[derive(Debug, PartialEq, Eq)]
pub enum Now {
    /// All of it is on its way.
    Written,
    /// Part of it went out; the task must write the rest before anything else, and its
    /// queue must wake it for that (an item that counts as queued).
    Partly,
    /// Something waits or is being written: queue it (and count it with [`SharedWriter::queued`]).
    Queue,
}

struct State<W> {
    turns: Turns,
    /// Present unless the task is writing with it, or the socket is done.
    io: Option<W>,
    /// Bytes of a frame written in part straight away, for the task to write first.
    rest: Vec<u8>,
}

/// The write side of one socket, for its task and for the service's deliveries.
pub struct SharedWriter<W = WriteSide> {
    state: Mutex<State<W>>,
}

impl<W: AsyncWrite + Unpin> SharedWriter<W> {
    pub fn new(io: W) -> Self {
        SharedWriter { state: Mutex::new(State { turns: Turns::default(), io: Some(io), rest: Vec::new() }) }
    }

    fn lock(&self) -> MutexGuard<'_, State<W>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the frame `frame()` builds without waiting, if nothing of this connection waits;
    /// the kernel takes what fits in the socket's buffer, the task the rest.
    pub fn write_now(&self, frame: impl FnOnce() -> Vec<u8>) -> Now {
        let mut state = self.lock();
        let State { turns, io, rest } = &mut *state;
        let Some(io) = io.as_mut().filter(|_| turns.may_skip_queue()) else { return Now::Queue };
        let frame = frame();
        let mut cx = Context::from_waker(Waker::noop());
        let mut written = 0;
        while written < frame.len() {
            match Pin::new(&mut *io).poll_write(&mut cx, &frame[written..]) {
                Poll::Ready(Ok(n)) if n > 0 => written += n,
                // A full buffer, or an error the task's next write meets again and ends on.
                _ => break,
            }
        }
        if written == frame.len() {
            return Now::Written;
        }
        rest.extend_from_slice(&frame[written..]);
        turns.queued();
        Now::Partly
    }

    /// An item goes into the task's queue.
    pub fn queued(&self) {
        self.lock().turns.queued();
    }

    /// An item counted with [`Self::queued`] was refused by the queue.
    pub fn not_queued(&self) {
        self.lock().turns.not_queued();
    }

    /// The task writes `bytes` (after any rest of a message written in part), then counts
    /// `taken` queued items as written. Cancel safe: a write dropped midway closes the writer
    /// (a frame cut in half cannot be followed by another).
    pub async fn write(&self, bytes: &[u8], taken: usize) -> io::Result<()> {
        let (mut io, rest) = {
            let mut state = self.lock();
            if !state.turns.task_begins() {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the socket is closing"));
            }
            let io = state.io.take().ok_or_else(|| io::Error::other("the write side is gone"))?;
            (Lease { writer: self, io: Some(io), taken, done: false }, std::mem::take(&mut state.rest))
        };
        let side = io.io.as_mut().expect("leased");
        if !rest.is_empty() {
            side.write_all(&rest).await?;
        }
        side.write_all(bytes).await?;
        side.flush().await?;
        io.done = true;
        Ok(())
    }

    /// The last write: nothing goes straight out after this. The rest of a message written
    /// in part goes first, so that the last frames follow whole ones.
    pub async fn write_last(&self, bytes: &[u8]) -> io::Result<()> {
        let (io, rest) = {
            let mut state = self.lock();
            state.turns.close();
            (state.io.take(), std::mem::take(&mut state.rest))
        };
        let Some(mut io) = io else { return Err(io::Error::other("the write side is gone")) };
        io.write_all(&rest).await?;
        io.write_all(bytes).await?;
        io.flush().await?;
        self.lock().io = Some(io);
        Ok(())
    }

    /// Shuts the write direction after [`Self::write_last`].
    pub async fn shutdown(&self) -> io::Result<()> {
        let io = {
            let mut state = self.lock();
            state.turns.close();
            state.io.take()
        };
        match io {
            Some(mut io) => io.shutdown().await,
            None => Err(io::Error::other("the write side is gone")),
        }
    }
}

/// The write side lent to the task for one write; given back when it completes, dropped
/// (and the writer closed) when the write was abandoned.
struct Lease<'a, W: AsyncWrite + Unpin> {
    writer: &'a SharedWriter<W>,
    io: Option<W>,
    taken: usize,
    done: bool,
}

impl<W: AsyncWrite + Unpin> Drop for Lease<'_, W> {
    fn drop(&mut self) {
        let mut state = self.writer.lock();
        if self.done {
            state.io = self.io.take();
            state.turns.task_wrote(self.taken);
        } else {
            state.turns.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_skips_the_queue_only_when_nothing_waits_or_is_being_written() {
        let mut t = Turns::default();
        assert!(t.may_skip_queue());
        t.queued();
        assert!(!t.may_skip_queue(), "something waits in the queue");
        assert!(t.task_begins());
        t.task_wrote(0);
        assert!(!t.may_skip_queue(), "a write of nothing queued leaves the item waiting");
        assert!(t.task_begins());
        assert!(!t.may_skip_queue(), "the task is writing");
        t.task_wrote(1);
        assert!(t.may_skip_queue());
    }

    #[test]
    fn items_queued_while_the_task_writes_keep_their_turn() {
        let mut t = Turns::default();
        t.queued();
        assert!(t.task_begins());
        t.queued(); // arrives mid-write: behind the one being written
        t.task_wrote(1);
        assert!(!t.may_skip_queue(), "the second item still waits");
        assert!(t.task_begins());
        t.task_wrote(1);
        assert!(t.may_skip_queue());
    }

    #[test]
    fn a_refused_item_does_not_hold_the_turn() {
        let mut t = Turns::default();
        t.queued();
        t.not_queued();
        assert!(t.may_skip_queue());
        t.not_queued();
        t.queued();
        assert!(!t.may_skip_queue(), "counts never go below zero");
    }

    #[tokio::test]
    async fn what_the_socket_does_not_take_at_once_goes_out_first_and_whole() {
        // A pipe that holds 64 bytes: a frame of 100 goes out in part.
        let (io, mut peer) = tokio::io::duplex(64);
        let writer = SharedWriter::new(io);
        let first = vec![b'a'; 100];
        assert_eq!(writer.write_now(|| first.clone()), Now::Partly);
        assert_eq!(writer.write_now(|| b"late".to_vec()), Now::Queue, "the rest comes first");
        writer.queued();
        let reading = tokio::spawn(async move {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut peer, &mut got).await.unwrap();
            got
        });
        // The task takes the nudge and the queued message: the rest, then the message.
        writer.write(b"late", 2).await.unwrap();
        assert_eq!(writer.write_now(|| b"now".to_vec()), Now::Written, "nothing waits any more");
        writer.write_last(b"bye").await.unwrap();
        assert_eq!(writer.write_now(|| b"after".to_vec()), Now::Queue, "nothing skips the queue after the last");
        writer.shutdown().await.unwrap();
        let want: Vec<u8> = [&first[..], b"late", b"now", b"bye"].concat();
        assert_eq!(reading.await.unwrap(), want);
    }

    #[tokio::test]
    async fn a_write_abandoned_midway_closes_the_writer() {
        let (io, _peer) = tokio::io::duplex(8);
        let writer = SharedWriter::new(io);
        let stuck = tokio::time::timeout(std::time::Duration::from_millis(10), writer.write(&[0; 100], 0)).await;
        assert!(stuck.is_err(), "nobody reads: the write cannot finish");
        assert_eq!(writer.write_now(|| b"x".to_vec()), Now::Queue, "half a frame is on the wire");
        assert!(writer.write(b"x", 0).await.is_err());
    }

    #[test]
    fn once_closed_nothing_skips_the_queue_and_the_task_cannot_write() {
        let mut t = Turns::default();
        t.close();
        assert!(!t.may_skip_queue());
        assert!(!t.task_begins());
    }
}
