//! One relay session: its `Rtc`, its secret resource name, and the drain that follows every
//! change (str0m's rule), each call to str0m inside `catch_unwind` so a peer that trips a bug
//! ends its own session only.

use crate::server::media::handle::Direction;
use crate::server::media::routing::SessionId;
use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;
use str0m::{Event, Output, Rtc, RtcError};

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
    /// The timeout str0m asked for last (the timer heap may hold older ones).
    pub timeout: Instant,
}

impl Session {
    /// Runs `change` on the `Rtc`, then drains it to its next timeout: datagrams go to
    /// `send`, events to `events`.
    pub fn change<T>(
        &mut self,
        change: impl FnOnce(&mut Rtc) -> Result<T, RtcError>,
        send: &mut impl FnMut(&std::net::SocketAddr, &[u8]),
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
}
