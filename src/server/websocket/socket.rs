//! One upgraded `/ws` connection: reads client frames without a buffer of its own between
//! messages (each read lands in a stack buffer that only lives during the read) and writes
//! each batch of server frames in one write from a vector freed afterwards, through the write
//! side it shares with the service (`writer.rs`). See `frame.rs`.

use crate::server::websocket::frame::{self, FrameError, FrameReader, Incoming, Opcode};
use crate::server::websocket::writer::SharedWriter;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use tokio::io::{AsyncRead, ReadBuf, ReadHalf};

/// Bytes taken from the kernel per read. On the stack of the read only.
const READ_CHUNK: usize = 8 * 1024;

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    #[error("the client closed the connection")]
    Eof,
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
}

pub struct WsSocket {
    io: ReadHalf<TokioIo<Upgraded>>,
    reader: FrameReader,
    writer: Arc<SharedWriter>,
}

impl WsSocket {
    pub fn new(upgraded: Upgraded, max_message: usize) -> Self {
        let (io, write) = tokio::io::split(TokioIo::new(upgraded));
        WsSocket { io, reader: FrameReader::new(max_message), writer: Arc::new(SharedWriter::new(write)) }
    }

    /// The write side, for messages that may go straight out.
    pub fn writer(&self) -> &Arc<SharedWriter> {
        &self.writer
    }

    /// Waits for the next messages from the client (at least one). Cancel safe: bytes are
    /// only taken from the socket inside a poll that completes.
    pub async fn recv(&mut self) -> Result<Vec<Incoming>, RecvError> {
        let WsSocket { io, reader, .. } = self;
        poll_fn(|cx| loop {
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut chunk);
            match Pin::new(&mut *io).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Err(RecvError::Eof)),
                Poll::Ready(Ok(())) => {
                    let mut out = Vec::new();
                    if let Err(e) = reader.feed(buf.filled_mut(), &mut out) {
                        return Poll::Ready(Err(e.into()));
                    }
                    if !out.is_empty() {
                        return Poll::Ready(Ok(out));
                    }
                    // Only part of a frame so far: read on.
                }
            }
        })
        .await
    }

    /// Sends text messages as one write (after the rest of one written in part straight
    /// away); `taken` items of the queue are then written.
    pub async fn send_texts(&mut self, texts: &[bytes::Bytes], taken: usize) -> io::Result<()> {
        let mut out = Vec::with_capacity(texts.iter().map(|t| t.len() + 4).sum());
        for text in texts {
            frame::encode(&mut out, Opcode::Text, text);
        }
        self.writer.write(&out, taken).await
    }

    pub async fn ping(&mut self) -> io::Result<()> {
        self.control(Opcode::Ping, &[]).await
    }

    pub async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.control(Opcode::Pong, payload).await
    }

    async fn control(&mut self, opcode: Opcode, payload: &[u8]) -> io::Result<()> {
        let mut out = Vec::with_capacity(2 + payload.len());
        frame::encode(&mut out, opcode, payload);
        self.writer.write(&out, 0).await
    }

    /// Starts the end of the conversation: an optional last text message and the close frame.
    pub async fn send_close(&mut self, last: Option<&str>, code: u16, reason: &str) -> io::Result<()> {
        let mut out = Vec::new();
        if let Some(text) = last {
            frame::encode(&mut out, Opcode::Text, text.as_bytes());
        }
        frame::encode_close(&mut out, code, reason);
        self.writer.write_last(&out).await
    }

    /// Finishes the closing handshake: our end of the stream shut, the client's remaining
    /// bytes read and dropped until it closes too. Reading to the end keeps the kernel from
    /// resetting the connection over unread bytes, which could destroy the last message
    /// before the client reads it. Bound it in time: a client may never close.
    pub async fn finish(mut self) {
        if self.writer.shutdown().await.is_err() {
            return;
        }
        let mut sink = [0u8; 512];
        while matches!(tokio::io::AsyncReadExt::read(&mut self.io, &mut sink).await, Ok(n) if n > 0) {}
    }
}
