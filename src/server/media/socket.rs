//! The relay's UDP socket: bound non-blocking, with kernel buffers big enough for the bursts
//! of a relay (a keyframe to every viewer at once, a crowd's handshakes), and its counted sends.

use crate::server::media::metrics::RelayMetrics;
use std::io;
use std::net::{SocketAddr, UdpSocket};

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

/// Sends one datagram of a session, counted.
pub fn send_datagram(socket: &tokio::net::UdpSocket, metrics: &RelayMetrics, to: &SocketAddr, data: &[u8]) {
    match socket.try_send_to(data, *to) {
        Ok(n) => {
            metrics.packets_out.inc();
            metrics.bytes_out.inc_by(n as u64);
        }
        // A full socket buffer loses this datagram, like the network would; str0m's NACK and
        // keyframe handling repair it.
        Err(_) => metrics.dropped_out.inc(),
    }
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
}
