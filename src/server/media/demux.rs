//! Which session a UDP packet belongs to, in O(1): a STUN request by the ICE username we
//! chose for the session (checked against its password, so nobody binds an address to a
//! session without its credentials), everything else by a source address that passed such a
//! check. Packets from other addresses are dropped. Every table is bounded.

use crate::server::media::routing::SessionId;
use hmac::{Hmac, Mac};
use std::collections::HashMap;
use std::net::SocketAddr;
use str0m::ice::StunMessage;

/// Source addresses one session may use at once (ICE may try several paths).
pub const ADDRESSES_PER_SESSION: usize = 4;

/// What to do with one datagram.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    To(SessionId),
    /// Unknown sender, a STUN request for no session, or one failing its integrity check.
    Drop,
}

#[derive(Debug)]
struct Credentials {
    session: SessionId,
    password: String,
}

/// The lookup tables; sessions are added and removed by the I/O layer.
#[derive(Debug, Default)]
pub struct Demux {
    by_ufrag: HashMap<String, Credentials>,
    by_addr: HashMap<SocketAddr, SessionId>,
    addrs_of: HashMap<SessionId, Vec<SocketAddr>>,
}

impl Demux {
    /// Registers a session under its local ICE username fragment and password.
    pub fn add(&mut self, session: SessionId, ufrag: String, password: String) {
        self.by_ufrag.insert(ufrag, Credentials { session, password });
    }

    /// An ICE restart gave the session new credentials: STUN with the old username no longer
    /// finds it (one name per session, so the table stays bounded). Addresses it checked
    /// stay bound, so media goes on flowing while the peer checks with the new ones.
    pub fn rename(&mut self, session: SessionId, ufrag: String, password: String) {
        self.by_ufrag.retain(|_, c| c.session != session);
        self.add(session, ufrag, password);
    }

    pub fn remove(&mut self, session: SessionId) {
        self.by_ufrag.retain(|_, c| c.session != session);
        for addr in self.addrs_of.remove(&session).unwrap_or_default() {
            self.by_addr.remove(&addr);
        }
    }

    /// Source addresses currently bound (for metrics and tests).
    pub fn bound_addresses(&self) -> usize {
        self.by_addr.len()
    }

    pub fn route(&mut self, source: SocketAddr, packet: &[u8]) -> Route {
        // RFC 7983: STUN starts with 0..=3 in its first byte; DTLS 20..=63, RTP/RTCP 128..=191.
        if packet.first().is_some_and(|b| *b <= 3) {
            return self.route_stun(source, packet);
        }
        match self.by_addr.get(&source) {
            Some(s) => Route::To(*s),
            None => Route::Drop,
        }
    }

    fn route_stun(&mut self, source: SocketAddr, packet: &[u8]) -> Route {
        let Ok(msg) = StunMessage::parse(packet) else { return Route::Drop };
        if !msg.is_binding_request() {
            // Responses and indications only come from a peer we already talk to.
            return self.by_addr.get(&source).map_or(Route::Drop, |s| Route::To(*s));
        }
        let Some((local, _remote)) = msg.split_username() else { return Route::Drop };
        let Some(creds) = self.by_ufrag.get(local) else { return Route::Drop };
        if !msg.verify(creds.password.as_bytes(), sha1_hmac) {
            return Route::Drop;
        }
        let session = creds.session;
        self.bind(source, session);
        Route::To(session)
    }

    fn bind(&mut self, source: SocketAddr, session: SessionId) {
        match self.by_addr.get(&source) {
            Some(s) if *s == session => return,
            // The address moved to another session (a reused port after a rejoin).
            Some(old) => {
                let old = *old;
                if let Some(list) = self.addrs_of.get_mut(&old) {
                    list.retain(|a| *a != source);
                }
            }
            None => {}
        }
        let list = self.addrs_of.entry(session).or_default();
        if list.len() >= ADDRESSES_PER_SESSION {
            let oldest = list.remove(0);
            self.by_addr.remove(&oldest);
        }
        list.push(source);
        self.by_addr.insert(source, session);
    }
}

/// STUN's MESSAGE-INTEGRITY (HMAC-SHA1), in the shape str0m's STUN functions take.
pub fn sha1_hmac(key: &[u8], payloads: &[&[u8]]) -> [u8; 20] {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in payloads {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use str0m::ice::{StunMessage, TransId};

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    /// A binding request as a browser sends it: USERNAME `ours:theirs`, signed with our password.
    fn binding(ufrag: &str, password: &str) -> Vec<u8> {
        let username = format!("{ufrag}:remote");
        let msg = StunMessage::binding_request(&username, TransId::new(), true, 0, 1234, true);
        let mut buf = vec![0u8; 1500];
        let n = msg.to_bytes(Some(password.as_bytes()), &mut buf, sha1_hmac).unwrap();
        buf.truncate(n);
        buf
    }

    fn demux() -> Demux {
        let mut d = Demux::default();
        d.add(SessionId(1), "ufragone".into(), "passwordone".into());
        d.add(SessionId(2), "ufragtwo".into(), "passwordtwo".into());
        d
    }

    const RTP: &[u8] = &[0x80, 96, 0, 1, 0, 0, 0, 0];

    #[test]
    fn a_signed_binding_request_finds_its_session_and_binds_the_address() {
        let mut d = demux();
        assert_eq!(d.route(addr(5000), RTP), Route::Drop, "unknown sender");
        assert_eq!(d.route(addr(5000), &binding("ufragtwo", "passwordtwo")), Route::To(SessionId(2)));
        assert_eq!(d.route(addr(5000), RTP), Route::To(SessionId(2)), "media from the checked address");
        assert_eq!(d.route(addr(5001), RTP), Route::Drop, "another port is another sender");
    }

    #[test]
    fn a_request_with_the_wrong_password_binds_nothing() {
        let mut d = demux();
        assert_eq!(d.route(addr(5000), &binding("ufragtwo", "passwordone")), Route::Drop);
        assert_eq!(d.route(addr(5000), RTP), Route::Drop);
        assert_eq!(d.route(addr(5000), &binding("nobody", "passwordone")), Route::Drop);
    }

    #[test]
    fn garbage_is_dropped() {
        let mut d = demux();
        for packet in [&[][..], &[0, 1, 2], &[1; 40], &[0xff; 100]] {
            assert_eq!(d.route(addr(7), packet), Route::Drop);
        }
    }

    #[test]
    fn removing_a_session_forgets_its_names_and_addresses() {
        let mut d = demux();
        d.route(addr(5000), &binding("ufragone", "passwordone"));
        d.remove(SessionId(1));
        assert_eq!(d.route(addr(5000), RTP), Route::Drop);
        assert_eq!(d.route(addr(5000), &binding("ufragone", "passwordone")), Route::Drop);
        assert_eq!(d.bound_addresses(), 0);
    }

    #[test]
    fn a_renamed_session_is_found_by_its_new_credentials_only_and_keeps_its_addresses() {
        let mut d = demux();
        d.route(addr(5000), &binding("ufragone", "passwordone"));
        d.rename(SessionId(1), "ufragnew".into(), "passwordnew".into());
        assert_eq!(d.route(addr(5000), RTP), Route::To(SessionId(1)), "media goes on");
        assert_eq!(d.route(addr(5001), &binding("ufragone", "passwordone")), Route::Drop, "the old name is gone");
        assert_eq!(d.route(addr(5001), &binding("ufragnew", "passwordone")), Route::Drop, "the old password too");
        assert_eq!(d.route(addr(5001), &binding("ufragnew", "passwordnew")), Route::To(SessionId(1)));
        assert_eq!(d.by_ufrag.len(), 2, "one name per session");
    }

    #[test]
    fn a_session_holds_a_bounded_number_of_addresses() {
        let mut d = demux();
        for port in 0..10 {
            d.route(addr(6000 + port), &binding("ufragone", "passwordone"));
        }
        assert_eq!(d.bound_addresses(), ADDRESSES_PER_SESSION);
        assert_eq!(d.route(addr(6009), RTP), Route::To(SessionId(1)), "the newest stay");
        assert_eq!(d.route(addr(6000), RTP), Route::Drop, "the oldest went");
    }

    #[test]
    fn an_address_checked_by_another_session_moves_to_it() {
        let mut d = demux();
        d.route(addr(5000), &binding("ufragone", "passwordone"));
        d.route(addr(5000), &binding("ufragtwo", "passwordtwo"));
        assert_eq!(d.route(addr(5000), RTP), Route::To(SessionId(2)));
        d.remove(SessionId(1));
        assert_eq!(d.route(addr(5000), RTP), Route::To(SessionId(2)), "removing the old owner keeps it");
    }
}
