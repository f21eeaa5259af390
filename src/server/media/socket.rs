//! The relay's UDP socket: bound non-blocking, with kernel buffers big enough for the bursts
//! of a relay (a keyframe to every viewer at once, a crowd's handshakes), its batched reads
//! and its counted, segmentation-offloaded sends.

use crate::server::media::gso::{Batch, Outbox};
use crate::server::media::metrics::RelayMetrics;
use quinn_udp::{RecvMeta, Transmit};
use std::io::{self, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

/// Asked for each way; Linux caps it at `net.core.rmem_max`/`wmem_max` (4 MiB on common
/// distributions) and doubles it for its bookkeeping. The default (208 KiB) overflowed in
/// the relay benchmark at 200 viewers: the publisher's packets and viewers' ICE checks were
/// lost while the relay thread sent a keyframe to everyone (README, "Relay" performance).
const BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// Binds `addr` for the relay thread.
pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    for option in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // A smaller buffer only costs loss under load, which str0m repairs: not fatal.
        if let Err(e) = set_buffer(&socket, option, BUFFER_BYTES) {
            tracing::warn!("the relay's UDP socket keeps its default buffer size: {e}");
        }
    }
    Ok(socket)
}

#[allow(unsafe_code)]
fn set_buffer(socket: &UdpSocket, option: libc::c_int, bytes: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let value: libc::c_int = bytes.try_into().unwrap_or(libc::c_int::MAX);
    // SAFETY: a valid socket descriptor, and a pointer to a c_int with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The relay thread's socket: reads in batches (`recvmmsg`) and sends each session's datagrams
/// in segmentation-offload batches (`gso`), through quinn-udp, which also finds out whether
/// the kernel and the route take GSO and falls back to one datagram a send when they do not.
pub struct RelaySocket {
    io: tokio::net::UdpSocket,
    state: quinn_udp::UdpSocketState,
    outbox: Outbox,
    metrics: Arc<RelayMetrics>,
}

impl RelaySocket {
    /// Takes over a socket from `bind`; call inside the relay thread's runtime.
    pub fn new(socket: UdpSocket, metrics: Arc<RelayMetrics>) -> io::Result<RelaySocket> {
        let state = quinn_udp::UdpSocketState::new((&socket).into())?;
        let io = tokio::net::UdpSocket::from_std(socket)?;
        match state.max_gso_segments() {
            1 => tracing::info!("the relay sends one datagram per system call (no UDP segmentation offload here)"),
            n => tracing::debug!(
                "the relay sends up to {n} datagrams to a peer per system call (UDP segmentation offload)"
            ),
        }
        Ok(RelaySocket { io, state, outbox: Outbox::default(), metrics })
    }

    /// How many datagrams one send may carry (1: the kernel takes no segmentation offload).
    pub fn offload_segments(&self) -> usize {
        self.state.max_gso_segments()
    }

    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// How large each receive buffer must be: the kernel may coalesce up to this many
    /// datagrams from one sender into one buffer (GRO); `datagrams` splits them again.
    pub fn receive_buffer_bytes(&self) -> usize {
        RECEIVE_DATAGRAM * self.state.gro_segments()
    }

    /// Reads what is waiting into `bufs` (`WouldBlock` when nothing is); returns how many
    /// buffers were filled, each described by its `RecvMeta`.
    pub fn receive(&self, bufs: &mut [IoSliceMut<'_>], metas: &mut [RecvMeta]) -> io::Result<usize> {
        self.io.try_io(tokio::io::Interest::READABLE, || self.state.recv((&self.io).into(), bufs, metas))
    }

    /// Queues a datagram; it leaves with the ones queued before it to the same address, at
    /// the latest at the next `flush`.
    pub fn queue(&mut self, to: &SocketAddr, data: &[u8]) {
        let max_segments = self.state.max_gso_segments();
        let (io, state, metrics) = (&self.io, &self.state, &self.metrics);
        self.outbox.push(*to, data, max_segments, &mut |batch| send_batch(io, state, metrics, batch));
    }

    /// Sends everything queued. Called after each session's drain, so a batch never waits.
    pub fn flush(&mut self) {
        let (io, state, metrics) = (&self.io, &self.state, &self.metrics);
        self.outbox.flush(&mut |batch| send_batch(io, state, metrics, batch));
    }
}

/// Largest datagram read; WebRTC keeps packets under the path MTU.
const RECEIVE_DATAGRAM: usize = 2048;

/// The datagrams in one receive buffer: one, or several of `stride` bytes that GRO coalesced.
pub fn datagrams<'a>(meta: &RecvMeta, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    buf[..meta.len].chunks(meta.stride.max(1))
}

/// Sends one batch, counted. A batch the kernel refused whole because of segmentation (quinn-udp
/// has then turned GSO off for the socket) goes again one datagram at a time.
fn send_batch(io: &tokio::net::UdpSocket, state: &quinn_udp::UdpSocketState, metrics: &RelayMetrics, batch: Batch<'_>) {
    let send = |contents: &[u8], segment_size: Option<usize>| {
        let transmit = Transmit { destination: batch.to, ecn: None, contents, segment_size, src_ip: None };
        io.try_io(tokio::io::Interest::WRITABLE, || state.try_send(io.into(), &transmit))
    };
    let count = |r: &io::Result<()>, packets: usize, bytes: usize| match r {
        Ok(()) => {
            metrics.sends.inc();
            metrics.packets_out.inc_by(packets as u64);
            metrics.bytes_out.inc_by(bytes as u64);
        }
        // A full socket buffer loses the batch, like the network would; str0m's NACK and
        // keyframe handling repair it.
        Err(_) => metrics.dropped_out.inc_by(packets as u64),
    };
    if batch.count == 1 {
        return count(&send(batch.contents, None), 1, batch.contents.len());
    }
    let whole = send(batch.contents, Some(batch.segment));
    if whole.as_ref().is_err_and(|e| e.kind() != io::ErrorKind::WouldBlock) && state.max_gso_segments() == 1 {
        for datagram in batch.datagrams() {
            count(&send(datagram, None), 1, datagram.len());
        }
        return;
    }
    count(&whole, batch.count, batch.contents.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffers_are_larger_than_the_default() {
        let socket = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        #[allow(unsafe_code)]
        // SAFETY: as in `set_buffer`, reading the option back.
        let rc = unsafe {
            use std::os::fd::AsRawFd;
            libc::getsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        // Linux reports twice what it keeps for data; the default is 208 KiB, reported 416.
        assert!(value > 1024 * 1024, "SO_RCVBUF is {value}");
    }

    fn relay_socket() -> (RelaySocket, Arc<RelayMetrics>) {
        let metrics = Arc::new(RelayMetrics::new(None).unwrap());
        let socket = RelaySocket::new(bind("127.0.0.1:0".parse().unwrap()).unwrap(), metrics.clone()).unwrap();
        (socket, metrics)
    }

    #[tokio::test]
    async fn a_batch_leaves_in_one_send_and_arrives_as_its_datagrams_in_order() {
        let (mut socket, metrics) = relay_socket();
        assert!(socket.offload_segments() > 1, "this kernel takes no UDP segmentation offload on loopback");
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        // tokio knows the socket writable once its driver has run (the relay's loop awaits).
        socket.io.writable().await.unwrap();
        let sizes = [1200, 1200, 1200, 500, 1200];
        for (i, size) in sizes.iter().enumerate() {
            socket.queue(&peer.local_addr().unwrap(), &vec![i as u8; *size]);
        }
        socket.flush();
        for (i, size) in sizes.iter().enumerate() {
            let mut buf = [0u8; 2048];
            let (n, _) = peer.recv_from(&mut buf).unwrap();
            assert_eq!(n, *size, "datagram {i}");
            assert!(buf[..n].iter().all(|b| *b == i as u8), "datagram {i} carries another's bytes");
        }
        // The first four in one send (the shorter one ends a batch), the fifth alone.
        assert_eq!(metrics.sends.get(), 2);
        assert_eq!(metrics.packets_out.get(), sizes.len() as u64);
        assert_eq!(metrics.bytes_out.get(), sizes.iter().sum::<usize>() as u64);
    }

    #[tokio::test]
    async fn reads_return_each_datagram_with_its_sender() {
        let (socket, _) = relay_socket();
        let to = socket.io.local_addr().unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        for size in [100, 1200, 7] {
            peer.send_to(&vec![size as u8; size], to).unwrap();
        }
        let mut got = Vec::new();
        let mut bufs: [Vec<u8>; 4] = std::array::from_fn(|_| vec![0u8; socket.receive_buffer_bytes()]);
        let mut metas = [RecvMeta::default(); 4];
        while got.len() < 3 {
            socket.readable().await.unwrap();
            let mut slices = bufs.each_mut().map(|b| IoSliceMut::new(b));
            let Ok(filled) = socket.receive(&mut slices, &mut metas) else { continue };
            for (meta, buf) in metas.iter().zip(bufs.iter()).take(filled) {
                assert_eq!(meta.addr, peer.local_addr().unwrap());
                got.extend(datagrams(meta, buf).map(|d| (d.len(), d[0])));
            }
        }
        assert_eq!(got, vec![(100, 100), (1200, 1200u16 as u8), (7, 7)]);
    }
}
