//! One relay session: its `Rtc`, its secret resource name, and the drain that follows every
//! change (str0m's rule), each call to str0m inside `catch_unwind` so a peer that trips a bug
//! ends its own session only.

use crate::server::media::handle::Direction;
use crate::server::media::routing::SessionId;
use crate::server::media::trickle::MediaSection;
use std::net::IpAddr;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;
use str0m::{Event, IceCreds, Input, Output, Rtc, RtcError};

/// How many times a closing session is woken to flush what `Rtc::close` queued: enough for
/// the RTCP BYE and the DTLS close_notify, never a wait on the peer.
const CLOSE_ROUNDS: usize = 4;

/// Why a session cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SessionFailed {
    #[error("str0m: {0}")]
    Rtc(#[from] RtcError),
    #[error("str0m panicked")]
    Panicked,
    #[error("the connection closed")]
    Closed,
}

pub struct Session {
    pub id: SessionId,
    pub direction: Direction,
    pub rtc: Rtc,
    pub resource: String,
    pub etag: String,
    pub peer_ip: IpAddr,
    /// The peer's ICE username fragment from its offer (a different one in a PATCH is a restart).
    pub remote_ufrag: Option<String>,
    /// The answer's media sections, which the answer to an ICE restart repeats.
    pub media: Vec<MediaSection>,
    /// The timeout str0m asked for last (the timer heap may hold older ones).
    pub timeout: Instant,
}

impl Session {
    /// Fresh local ICE credentials: the ufrag names the session in STUN (the demux), the
    /// password keeps others from binding an address to it.
    pub fn new_local_creds() -> IceCreds {
        let ufrag = crate::server::secrets::random_token()[..16].to_owned();
        IceCreds { ufrag, pass: crate::server::secrets::random_token() }
    }

    /// A fresh entity tag for the session's ICE state (RFC 9725 `ETag`, quoted).
    pub fn new_etag() -> String {
        format!("\"{}\"", &crate::server::secrets::random_token()[..16])
    }

    /// Runs `change` on the `Rtc`, then drains it to its next timeout: datagrams go to
    /// `send`, events to `events`.
    pub fn change<T>(
        &mut self,
        change: impl FnOnce(&mut Rtc) -> Result<T, RtcError>,
        send: &mut impl FnMut(&SocketAddr, &[u8]),
        events: &mut Vec<(SessionId, Event)>,
    ) -> Result<T, SessionFailed> {
        let rtc = &mut self.rtc;
        let id = self.id;
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<(T, Instant), SessionFailed> {
            let value = change(rtc)?;
            loop {
                if !rtc.is_alive() {
                    return Err(SessionFailed::Closed);
                }
                match rtc.poll_output()? {
                    Output::Timeout(t) => return Ok((value, t)),
                    Output::Transmit(t) => send(&t.destination, &t.contents),
                    Output::Event(e) => events.push((id, e)),
                }
            }
        }));
        match result {
            Ok(Ok((value, timeout))) => {
                self.timeout = timeout;
                Ok(value)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SessionFailed::Panicked),
        }
    }

    /// Ends the session so that the peer learns it at once: str0m queues an RTCP BYE and a
    /// DTLS close_notify, and they go out now. Without them an encoder would keep sending
    /// into a session the relay forgot. What is not flushed within `CLOSE_ROUNDS` is dropped.
    pub fn close(&mut self, now: Instant, send: &mut impl FnMut(&SocketAddr, &[u8])) {
        let rtc = &mut self.rtc;
        let flushed = catch_unwind(AssertUnwindSafe(|| -> Result<(), RtcError> {
            rtc.close()?;
            for _ in 0..CLOSE_ROUNDS {
                while rtc.is_alive() {
                    match rtc.poll_output()? {
                        Output::Transmit(t) => send(&t.destination, &t.contents),
                        Output::Event(_) => {}
                        Output::Timeout(_) => break,
                    }
                }
                if !rtc.is_alive() {
                    return Ok(());
                }
                rtc.handle_input(Input::Timeout(now))?;
            }
            Ok(())
        }));
        if !matches!(flushed, Ok(Ok(()))) {
            tracing::debug!(session = self.id.0, "a closing relay session could not say goodbye");
        }
        let _ = catch_unwind(AssertUnwindSafe(|| self.rtc.disconnect()));
    }
}
