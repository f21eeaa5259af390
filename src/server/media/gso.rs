//! Groups a session's outgoing datagrams into segmentation-offload (GSO) batches: consecutive
//! datagrams to one address, all of one size but the last, within the kernel's limits. Pure:
//! the socket sends each batch with one system call.
//!
//! A frame's packets to one viewer come out of str0m one after another, each the same size but
//! the frame's last, so a whole frame leaves in one send instead of one per packet (README,
//! "Relay" performance, for what it saves).

use std::net::SocketAddr;

/// Largest UDP payload one batch may carry (IPv4 allows 65,507 bytes; some room is kept).
pub const MAX_BATCH_BYTES: usize = 65_000;

/// A batch ready to send: `count` datagrams of `segment` bytes each, the last maybe shorter,
/// back to back in `contents`.
#[derive(Debug)]
pub struct Batch<'a> {
    pub to: SocketAddr,
    pub contents: &'a [u8],
    pub segment: usize,
    pub count: usize,
}

impl Batch<'_> {
    /// The datagrams one by one (for a socket that cannot take the batch whole).
    pub fn datagrams(&self) -> impl Iterator<Item = &[u8]> {
        self.contents.chunks(self.segment.max(1))
    }
}

/// The batch being built.
#[derive(Debug)]
pub struct Outbox {
    to: Option<SocketAddr>,
    bytes: Vec<u8>,
    segment: usize,
    count: usize,
    /// A shorter datagram ended the batch: nothing may follow it.
    closed: bool,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox { to: None, bytes: Vec::with_capacity(MAX_BATCH_BYTES), segment: 0, count: 0, closed: false }
    }
}

impl Outbox {
    /// Adds a datagram for `to`. When it cannot join the batch being built (another address,
    /// a larger size, a shorter one already last, `max_segments` or the byte limit reached),
    /// that batch goes to `send` first. `max_segments` is what the socket takes (1: no GSO).
    pub fn push(&mut self, to: SocketAddr, data: &[u8], max_segments: usize, send: &mut impl FnMut(Batch<'_>)) {
        let joins = self.count > 0
            && self.to == Some(to)
            && !self.closed
            && data.len() <= self.segment
            && self.count < max_segments
            && self.bytes.len() + data.len() <= MAX_BATCH_BYTES;
        if !joins {
            self.flush(send);
            self.to = Some(to);
            self.segment = data.len();
        } else if data.len() < self.segment {
            self.closed = true;
        }
        self.bytes.extend_from_slice(data);
        self.count += 1;
    }

    /// Sends the batch being built, if any.
    pub fn flush(&mut self, send: &mut impl FnMut(Batch<'_>)) {
        if let (Some(to), true) = (self.to, self.count > 0) {
            send(Batch { to, contents: &self.bytes, segment: self.segment, count: self.count });
        }
        self.bytes.clear();
        self.count = 0;
        self.closed = false;
        self.to = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// Pushes `(port, size)` datagrams (byte `i` of the i-th datagram's content) and returns
    /// each batch sent as (port, segment, sizes of its datagrams).
    fn batches(datagrams: &[(u16, usize)], max_segments: usize) -> Vec<(u16, usize, Vec<usize>)> {
        let mut outbox = Outbox::default();
        let mut sent = Vec::new();
        let mut record = |b: Batch<'_>| {
            let sizes: Vec<usize> = b.datagrams().map(<[u8]>::len).collect();
            assert_eq!(sizes.len(), b.count);
            sent.push((b.to.port(), b.segment, sizes));
        };
        for (i, &(port, size)) in datagrams.iter().enumerate() {
            outbox.push(addr(port), &vec![i as u8; size], max_segments, &mut record);
        }
        outbox.flush(&mut record);
        sent
    }

    #[test]
    fn a_frames_packets_to_one_viewer_leave_as_one_batch_with_the_short_one_last() {
        let sent = batches(&[(1, 1200), (1, 1200), (1, 1200), (1, 700)], 64);
        assert_eq!(sent, vec![(1, 1200, vec![1200, 1200, 1200, 700])]);
    }

    #[test]
    fn nothing_follows_a_shorter_datagram_in_its_batch() {
        let sent = batches(&[(1, 1200), (1, 700), (1, 700), (1, 1200)], 64);
        assert_eq!(sent, vec![(1, 1200, vec![1200, 700]), (1, 700, vec![700]), (1, 1200, vec![1200])]);
    }

    #[test]
    fn a_larger_datagram_or_another_address_starts_a_new_batch() {
        let sent = batches(&[(1, 200), (1, 1200), (2, 1200), (1, 1200)], 64);
        assert_eq!(
            sent,
            vec![(1, 200, vec![200]), (1, 1200, vec![1200]), (2, 1200, vec![1200]), (1, 1200, vec![1200])]
        );
    }

    #[test]
    fn batches_keep_to_the_sockets_segment_limit_and_the_byte_limit() {
        let sent = batches(&[(1, 100); 5], 2);
        assert_eq!(sent.iter().map(|b| b.2.len()).collect::<Vec<_>>(), vec![2, 2, 1]);
        let sent = batches(&[(1, 1200); 60], 64);
        let per_batch: Vec<usize> = sent.iter().map(|b| b.2.len()).collect();
        assert_eq!(per_batch, vec![MAX_BATCH_BYTES / 1200, 60 - MAX_BATCH_BYTES / 1200]);
        assert!(sent.iter().all(|b| b.2.iter().sum::<usize>() <= MAX_BATCH_BYTES));
    }

    #[test]
    fn without_offload_every_datagram_is_a_batch_of_one() {
        let sent = batches(&[(1, 1200), (1, 1200), (1, 700)], 1);
        assert_eq!(sent.len(), 3);
    }

    #[test]
    fn the_bytes_arrive_in_order_and_an_empty_outbox_sends_nothing() {
        let mut outbox = Outbox::default();
        let mut contents = Vec::new();
        outbox.flush(&mut |_| panic!("nothing was pushed"));
        for (i, size) in [3usize, 3, 2].into_iter().enumerate() {
            outbox.push(addr(1), &vec![i as u8; size], 64, &mut |_| panic!("one batch"));
        }
        outbox.flush(&mut |b| contents.extend_from_slice(b.contents));
        assert_eq!(contents, vec![0, 0, 0, 1, 1, 1, 2, 2]);
    }
}
