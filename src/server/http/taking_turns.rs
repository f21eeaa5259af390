//! A listener whose accepts take turns with the connections already open: before each
//! accept, every other task that is ready runs once.

use axum::serve::Listener;
use std::io;

/// Wraps a listener so that a flash crowd's new sockets wait behind the work of the viewers
/// already negotiating instead of going ahead of it. Without it, on one core, the accept loop
/// took every pending connection in a row (up to tokio's budget of 128) and their handshakes
/// ran before the offers and answers already waiting; `BENCH_PINNED=1 make bench` measures
/// the difference (figures in the README, Performance).
pub struct TakingTurns<L>(pub L);

impl<L: Listener> Listener for TakingTurns<L> {
    type Io = L::Io;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        tokio::task::yield_now().await;
        self.0.accept().await
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiting_connection_is_accepted_only_after_the_ready_tasks_ran() {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = TakingTurns(tcp);
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
        let mut listener = TakingTurns(tcp);
        assert_eq!(listener.local_addr().unwrap(), addr);
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (_io, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
    }
}
