//! The client's address: the TCP peer, or with `--trust-proxy` the last hop the proxy wrote in `X-Forwarded-For`.
//!
//! Behind a proxy every connection comes from the proxy, so throttles and per-address limits
//! would lump every client together. A proxy appends the address it saw to `X-Forwarded-For`,
//! so the rightmost hop is the one it vouches for; hops to its left came from the client and
//! could say anything. Loopback hops are skipped (a second proxy on the same machine); a hop
//! that is not an address means the header is not what we expect, and the peer is used.

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// Who sent a request, as far as OnAir can tell: taken by handlers as an extractor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Whether `X-Forwarded-For` is believed (`--trust-proxy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrustProxy(pub bool);

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client of a request from `peer` with these headers.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trust: TrustProxy) -> IpAddr {
    let peer = peer.to_canonical();
    if !trust.0 {
        return peer;
    }
    // Several header lines read as one list, in order.
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if ip.is_loopback() => continue,
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`[2001:db8::1]:443`) as some proxies write.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let ip = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

/// The middleware that works the address out once per request, for [`ClientAddr`] to read.
pub async fn resolve(
    State(trust): State<TrustProxy>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let client = client_address(peer.ip(), req.headers(), trust);
    req.extensions_mut().insert(ClientAddr(client));
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ClientAddr>().copied().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server does not know the client's address (the client_addr layer is missing)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn forwarded(lines: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for line in lines {
            h.append(FORWARDED_FOR, HeaderValue::from_static(line));
        }
        h
    }

    fn client(lines: &[&'static str], trust: bool) -> String {
        client_address(PROXY, &forwarded(lines), TrustProxy(trust)).to_string()
    }

    #[test]
    fn without_trust_the_header_is_ignored() {
        assert_eq!(client(&["203.0.113.7"], false), "127.0.0.1");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(client_address(mapped, &HeaderMap::new(), TrustProxy(false)).to_string(), "10.1.2.3");
    }

    #[test]
    fn with_trust_the_rightmost_hop_is_the_client_whatever_the_client_wrote_before_it() {
        assert_eq!(client(&["203.0.113.7"], true), "203.0.113.7");
        assert_eq!(
            client(&["198.51.100.1, 203.0.113.7"], true),
            "203.0.113.7",
            "the left hop is the client's own claim"
        );
        assert_eq!(client(&["198.51.100.1", "203.0.113.7"], true), "203.0.113.7", "several lines are one list");
        assert_eq!(client(&["not an address, 203.0.113.7"], true), "203.0.113.7");
        assert_eq!(client(&["2001:db8::5"], true), "2001:db8::5");
        assert_eq!(client(&["[2001:db8::5]:443"], true), "2001:db8::5");
        assert_eq!(client(&["203.0.113.7:5000"], true), "203.0.113.7");
    }

    #[test]
    fn loopback_hops_are_skipped_and_a_broken_header_falls_back_to_the_peer() {
        assert_eq!(client(&["203.0.113.7, 127.0.0.1"], true), "203.0.113.7", "a second proxy on this machine");
        assert_eq!(client(&["127.0.0.1, ::1"], true), "127.0.0.1");
        assert_eq!(client(&[], true), "127.0.0.1", "no header: the peer");
        assert_eq!(client(&["203.0.113.7, unknown"], true), "127.0.0.1", "the proxy's hop must be an address");
        assert_eq!(client(&["203.0.113.7, "], true), "127.0.0.1");
    }
}
