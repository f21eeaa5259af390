//! WebSocket framing (RFC 6455) for a server of small text messages, as pure code: a reader
//! that turns the bytes a client sent into messages, and the encoding of the server's frames.
//!
//! Sized for signaling: the reader keeps no buffer between messages. Bytes are parsed where
//! they were read (the caller's stack buffer) and only the tail of a frame that has not fully
//! arrived is kept, in a vector freed as soon as the frame completes. An idle connection so
//! holds no buffer at all (a general-purpose WebSocket keeps a read and a write buffer of
//! several KiB for each connection for its whole life).

/// A message from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// Binary messages are not part of the protocol; only their arrival is reported.
    Binary,
    Ping(Vec<u8>),
    Pong,
    /// The client's close frame, with its status code when it gave one.
    Close(Option<u16>),
}

/// Why the client's bytes are not a valid WebSocket conversation; each maps to a close code.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message of {len} bytes is over the limit of {max} bytes")]
    TooLarge { len: u64, max: usize },
    #[error("frames from a client must be masked")]
    Unmasked,
    #[error("reserved bits set, but no extension was agreed")]
    Reserved,
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u8),
    #[error("control frames may not be fragmented or longer than 125 bytes")]
    BadControlFrame,
    #[error("a continuation frame without a message to continue")]
    StrayContinuation,
    #[error("a new message started before the previous one was finished")]
    Interleaved,
    #[error("a text message that is not valid UTF-8")]
    NotUtf8,
    #[error("a close frame with a malformed payload")]
    BadClose,
}

/// RFC 6455 close codes used here.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const AWAY: u16 = 1001;
    pub const PROTOCOL: u16 = 1002;
    pub const INVALID_DATA: u16 = 1007;
    pub const POLICY: u16 = 1008;
    pub const SIZE: u16 = 1009;
}

impl FrameError {
    /// The close code that tells the client what it did wrong.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::TooLarge { .. } => close_code::SIZE,
            FrameError::NotUtf8 => close_code::INVALID_DATA,
            _ => close_code::PROTOCOL,
        }
    }
}

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// A server frame's opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opcode {
    Text,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn bits(self) -> u8 {
        match self {
            Opcode::Text => OP_TEXT,
            Opcode::Close => OP_CLOSE,
            Opcode::Ping => OP_PING,
            Opcode::Pong => OP_PONG,
        }
    }
}

/// Appends one unmasked, final server frame to `out`.
pub fn encode(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    out.push(0x80 | opcode.bits());
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if len <= usize::from(u16::MAX) {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// A close frame with `code` and a reason (cut to fit the 125-byte control frame limit).
pub fn encode_close(out: &mut Vec<u8>, code: u16, reason: &str) {
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut payload = Vec::with_capacity(2 + cut);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..cut]);
    encode(out, Opcode::Close, &payload);
}

/// A parsed frame header.
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    len: usize,
    /// Bytes the header itself takes.
    size: usize,
}

/// Parses the header at the start of `buf`; `None` until all of it is there.
fn parse_header(buf: &[u8], max: usize) -> Result<Option<Header>, FrameError> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    let fin = b0 & 0x80 != 0;
    if b0 & 0x70 != 0 {
        return Err(FrameError::Reserved);
    }
    let opcode = b0 & 0x0F;
    if b1 & 0x80 == 0 {
        return Err(FrameError::Unmasked);
    }
    let (len, mut size) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => (u64::from_be_bytes(b.try_into().expect("8 bytes")), 10),
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    match opcode {
        OP_CONTINUATION | OP_TEXT | OP_BINARY => {
            if len > max as u64 {
                return Err(FrameError::TooLarge { len, max });
            }
        }
        OP_CLOSE | OP_PING | OP_PONG => {
            if !fin || len > 125 {
                return Err(FrameError::BadControlFrame);
            }
        }
        other => return Err(FrameError::UnknownOpcode(other)),
    }
    let Some(mask) = buf.get(size..size + 4) else { return Ok(None) };
    let mask = mask.try_into().expect("4 bytes");
    size += 4;
    Ok(Some(Header { fin, opcode, mask, len: len as usize, size }))
}

/// A data message arriving in several frames.
struct Fragments {
    text: bool,
    bytes: Vec<u8>,
}

/// Turns a client's bytes into messages. Holds only the unfinished part of a frame (and of a
/// fragmented message); both are released when they complete.
pub struct FrameReader {
    max_message: usize,
    partial: Vec<u8>,
    fragments: Option<Fragments>,
}

impl FrameReader {
    pub fn new(max_message: usize) -> Self {
        FrameReader { max_message, partial: Vec::new(), fragments: None }
    }

    /// Bytes held for an unfinished frame or message.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.partial.capacity() + self.fragments.as_ref().map_or(0, |f| f.bytes.capacity())
    }

    /// Takes bytes just read (unmasked in place, hence `&mut`) and appends the messages they
    /// complete to `out`. After an error the connection is beyond repair: close it.
    pub fn feed(&mut self, data: &mut [u8], out: &mut Vec<Incoming>) -> Result<(), FrameError> {
        if self.partial.is_empty() {
            let used = self.parse(data, out)?;
            self.partial.extend_from_slice(&data[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.partial);
            buf.extend_from_slice(data);
            let used = self.parse(&mut buf, out)?;
            buf.drain(..used);
            // Release the vector once the frame it held is complete.
            self.partial = if buf.is_empty() { Vec::new() } else { buf };
        }
        Ok(())
    }

    /// Parses every complete frame at the start of `buf`; returns how many bytes they took.
    fn parse(&mut self, buf: &mut [u8], out: &mut Vec<Incoming>) -> Result<usize, FrameError> {
        let mut at = 0;
        while let Some(header) = parse_header(&buf[at..], self.max_message)? {
            let start = at + header.size;
            let Some(payload) = buf.get_mut(start..start + header.len) else { break };
            unmask(payload, header.mask);
            self.frame(&header, payload, out)?;
            at = start + header.len;
        }
        Ok(at)
    }

    fn frame(&mut self, header: &Header, payload: &[u8], out: &mut Vec<Incoming>) -> Result<(), FrameError> {
        match header.opcode {
            OP_PING => out.push(Incoming::Ping(payload.to_vec())),
            OP_PONG => out.push(Incoming::Pong),
            OP_CLOSE => out.push(Incoming::Close(close_payload(payload)?)),
            OP_TEXT | OP_BINARY => {
                if self.fragments.is_some() {
                    return Err(FrameError::Interleaved);
                }
                let text = header.opcode == OP_TEXT;
                if header.fin {
                    out.push(message(text, payload.to_vec())?);
                } else {
                    self.fragments = Some(Fragments { text, bytes: payload.to_vec() });
                }
            }
            _ => {
                let Some(fragments) = self.fragments.as_mut() else {
                    return Err(FrameError::StrayContinuation);
                };
                let len = fragments.bytes.len() + payload.len();
                if len > self.max_message {
                    return Err(FrameError::TooLarge { len: len as u64, max: self.max_message });
                }
                fragments.bytes.extend_from_slice(payload);
                if header.fin {
                    let Fragments { text, bytes } = self.fragments.take().expect("checked above");
                    out.push(message(text, bytes)?);
                }
            }
        }
        Ok(())
    }
}

fn message(text: bool, bytes: Vec<u8>) -> Result<Incoming, FrameError> {
    if !text {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(bytes).map(Incoming::Text).map_err(|_| FrameError::NotUtf8)
}

fn close_payload(payload: &[u8]) -> Result<Option<u16>, FrameError> {
    match payload {
        [] => Ok(None),
        [_] => Err(FrameError::BadClose),
        [a, b, reason @ ..] => {
            std::str::from_utf8(reason).map_err(|_| FrameError::BadClose)?;
            Ok(Some(u16::from_be_bytes([*a, *b])))
        }
    }
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 64 * 1024;
    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// A client frame: masked, as browsers send them.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        let len = payload.len();
        if len < 126 {
            out.push(0x80 | len as u8);
        } else if len <= 65535 {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        out
    }

    fn text(s: &str) -> Vec<u8> {
        client_frame(0x81, s.as_bytes())
    }

    fn feed_all(reader: &mut FrameReader, bytes: &[u8]) -> Result<Vec<Incoming>, FrameError> {
        let mut out = Vec::new();
        reader.feed(&mut bytes.to_vec(), &mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_the_rfc_example_hello() {
        // RFC 6455 section 5.7: a masked "Hello".
        let bytes = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let mut reader = FrameReader::new(MAX);
        assert_eq!(feed_all(&mut reader, &bytes).unwrap(), vec![Incoming::Text("Hello".into())]);
        assert_eq!(reader.held(), 0);
    }

    #[test]
    fn reads_several_frames_from_one_read_and_lengths_of_every_size() {
        let medium = "m".repeat(300);
        let large = "l".repeat(70_000);
        let mut bytes = text("a");
        bytes.extend(text(&medium));
        bytes.extend(text(&large));
        let mut reader = FrameReader::new(100_000);
        let got = feed_all(&mut reader, &bytes).unwrap();
        assert_eq!(got, vec![Incoming::Text("a".into()), Incoming::Text(medium), Incoming::Text(large)]);
    }

    #[test]
    fn a_frame_split_at_every_byte_arrives_whole_and_leaves_nothing_held() {
        let msg = r#"{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host"}}"#;
        let mut bytes = text(msg);
        bytes.extend(text("second"));
        for split in 1..bytes.len() {
            let mut reader = FrameReader::new(MAX);
            let mut got = feed_all(&mut reader, &bytes[..split]).unwrap();
            got.extend(feed_all(&mut reader, &bytes[split..]).unwrap());
            assert_eq!(got, vec![Incoming::Text(msg.into()), Incoming::Text("second".into())], "split at {split}");
            assert_eq!(reader.held(), 0, "split at {split}");
        }
    }

    #[test]
    fn byte_by_byte_works_too() {
        let bytes = text(&"x".repeat(200));
        let mut reader = FrameReader::new(MAX);
        let mut got = Vec::new();
        for b in bytes {
            got.extend(feed_all(&mut reader, &[b]).unwrap());
        }
        assert_eq!(got, vec![Incoming::Text("x".repeat(200))]);
    }

    #[test]
    fn fragmented_text_with_a_ping_in_between() {
        let mut bytes = client_frame(0x01, b"Hel"); // text, not final
        bytes.extend(client_frame(0x89, b"p")); // ping between the fragments
        bytes.extend(client_frame(0x80, b"lo")); // continuation, final
        let mut reader = FrameReader::new(MAX);
        let got = feed_all(&mut reader, &bytes).unwrap();
        assert_eq!(got, vec![Incoming::Ping(b"p".to_vec()), Incoming::Text("Hello".into())]);
        assert_eq!(reader.held(), 0);
    }

    #[test]
    fn control_and_binary_frames() {
        let mut bytes = client_frame(0x82, &[1, 2, 3]);
        bytes.extend(client_frame(0x8A, b""));
        bytes.extend(client_frame(0x88, &[0x03, 0xE8, b'b', b'y', b'e']));
        let got = feed_all(&mut FrameReader::new(MAX), &bytes).unwrap();
        assert_eq!(got, vec![Incoming::Binary, Incoming::Pong, Incoming::Close(Some(1000))]);
        assert_eq!(
            feed_all(&mut FrameReader::new(MAX), &client_frame(0x88, b"")).unwrap(),
            vec![Incoming::Close(None)]
        );
    }

    #[test]
    fn refuses_what_the_rfc_forbids() {
        let refuse = |bytes: Vec<u8>| feed_all(&mut FrameReader::new(MAX), &bytes).unwrap_err();
        let mut unmasked = text("hi");
        unmasked[1] &= 0x7F;
        assert_eq!(refuse(unmasked), FrameError::Unmasked);
        assert_eq!(refuse(client_frame(0xC1, b"x")), FrameError::Reserved); // RSV1 (deflate) not agreed
        assert_eq!(refuse(client_frame(0x83, b"x")), FrameError::UnknownOpcode(3));
        assert_eq!(refuse(client_frame(0x09, b"x")), FrameError::BadControlFrame); // fragmented ping
        assert_eq!(refuse(client_frame(0x89, &[0; 126])), FrameError::BadControlFrame);
        assert_eq!(refuse(client_frame(0x80, b"x")), FrameError::StrayContinuation);
        let mut interleaved = client_frame(0x01, b"a");
        interleaved.extend(text("b"));
        assert_eq!(refuse(interleaved), FrameError::Interleaved);
        assert_eq!(refuse(client_frame(0x81, &[0xff, 0xfe])), FrameError::NotUtf8);
        assert_eq!(refuse(client_frame(0x88, &[3])), FrameError::BadClose);
        assert_eq!(refuse(client_frame(0x88, &[3, 0xE8, 0xff])), FrameError::BadClose);
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_from_its_header_alone() {
        let mut reader = FrameReader::new(1000);
        let frame = text(&"x".repeat(1001));
        // Only the header has arrived: refused before any payload is buffered.
        let err = feed_all(&mut reader, &frame[..8]).unwrap_err();
        assert_eq!(err, FrameError::TooLarge { len: 1001, max: 1000 });
        assert_eq!(err.close_code(), close_code::SIZE);
        // The 64-bit length form is checked the same way.
        let mut huge = vec![0x81, 0xFF];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(feed_all(&mut FrameReader::new(1000), &huge), Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn fragments_count_against_the_limit_together() {
        let mut bytes = client_frame(0x01, &[b'a'; 600]);
        bytes.extend(client_frame(0x80, &[b'b'; 600]));
        let err = feed_all(&mut FrameReader::new(1000), &bytes).unwrap_err();
        assert_eq!(err, FrameError::TooLarge { len: 1200, max: 1000 });
    }

    #[test]
    fn encodes_server_frames_unmasked_in_every_length_form() {
        for len in [0usize, 125, 126, 65_535, 65_536] {
            let payload = vec![b'z'; len];
            let mut out = Vec::new();
            encode(&mut out, Opcode::Text, &payload);
            assert_eq!(out[0], 0x81);
            let (header, body) = match len {
                0..=125 => (2, out[1] as usize),
                126..=65_535 => (4, u16::from_be_bytes([out[2], out[3]]) as usize),
                _ => (10, u64::from_be_bytes(out[2..10].try_into().unwrap()) as usize),
            };
            assert_eq!(out[1] & 0x80, 0, "server frames are not masked");
            assert_eq!(body, len);
            assert_eq!(out.len(), header + len);
        }
    }

    #[test]
    fn close_frames_fit_the_control_frame_limit() {
        let mut out = Vec::new();
        encode_close(&mut out, close_code::POLICY, &"é".repeat(100));
        assert_eq!(out[0], 0x88);
        let len = out[1] as usize;
        assert!(len <= 125);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), close_code::POLICY);
        assert!(std::str::from_utf8(&out[4..]).is_ok(), "the reason is cut on a character boundary");
    }
}
