//! Which addresses the relay announces as its candidates, and the warning OnAir prints when
//! they cannot work for the audience it serves (the most common trouble with any relay).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use str0m::Candidate;

/// The candidates to announce: every `--public-ip` on the media port, else the bound address,
/// else (bound to every interface) the address this machine uses to reach the internet.
pub fn announced_addresses(bound: SocketAddr, public_ips: &[IpAddr], outbound: Option<IpAddr>) -> Vec<SocketAddr> {
    if !public_ips.is_empty() {
        return public_ips.iter().map(|ip| SocketAddr::new(*ip, bound.port())).collect();
    }
    if !bound.ip().is_unspecified() {
        return vec![bound];
    }
    let ip = outbound.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    vec![SocketAddr::new(ip, bound.port())]
}

/// The relay's ICE candidates for `announced`, in order: the SDP answer and an ICE restart's
/// answer carry the same ones, and ffmpeg uses only the first.
pub fn relay_candidates(announced: &[SocketAddr]) -> Vec<Candidate> {
    announced.iter().filter_map(|addr| Candidate::host(*addr, "udp").ok()).collect()
}

/// The local address the kernel would send from toward the internet. A UDP `connect` only
/// picks a route: no packet leaves the machine.
pub fn outbound_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// Whether an address can only be reached from this machine or its private network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.octets()[0] == 100 && (v.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v) => {
            v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00 || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A warning in words when every announced address is private while a public URL names a
/// host on the internet: viewers out there would never connect to the relay.
pub fn reachability_warning(announced: &[SocketAddr], public_hosts: &[String]) -> Option<String> {
    let all_private = announced.iter().all(|a| is_private(a.ip()));
    let public_host = public_hosts.iter().find(|h| !host_is_local(h))?;
    all_private.then(|| {
        let list: Vec<String> = announced.iter().map(|a| a.to_string()).collect();
        format!(
            "the relay announces only private addresses ({}) but OnAir is published as {public_host}: \
             viewers outside this network cannot reach the relay. Pass --public-ip with the address \
             they reach this machine at, and open UDP port {} there",
            list.join(", "),
            announced.first().map_or(0, |a| a.port())
        )
    })
}

fn host_is_local(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => {
            bare == "localhost" || bare.ends_with(".localhost") || bare.ends_with(".local") || !bare.contains('.')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_ips_are_announced_on_the_media_port() {
        let ips: Vec<IpAddr> = vec!["203.0.113.5".parse().unwrap(), "2001:db8::1".parse().unwrap()];
        assert_eq!(
            announced_addresses(addr("0.0.0.0:9090"), &ips, None),
            vec![addr("203.0.113.5:9090"), addr("[2001:db8::1]:9090")]
        );
    }

    #[test]
    fn a_specific_bound_address_is_announced_as_it_is() {
        assert_eq!(announced_addresses(addr("127.0.0.1:7000"), &[], None), vec![addr("127.0.0.1:7000")]);
    }

    #[test]
    fn every_interface_announces_the_outbound_address_or_loopback() {
        let out = Some("192.168.1.20".parse().unwrap());
        assert_eq!(announced_addresses(addr("0.0.0.0:9090"), &[], out), vec![addr("192.168.1.20:9090")]);
        assert_eq!(announced_addresses(addr("0.0.0.0:9090"), &[], None), vec![addr("127.0.0.1:9090")]);
    }

    #[test]
    fn the_candidates_keep_the_announced_order() {
        let announced = [addr("203.0.113.5:9090"), addr("[2001:db8::1]:9090")];
        let addrs: Vec<SocketAddr> = relay_candidates(&announced).iter().map(|c| c.addr()).collect();
        assert_eq!(addrs, announced);
    }

    #[test]
    fn private_ranges_are_recognized() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "100.64.0.1", "::1", "fd00::1", "fe80::1"] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["203.0.113.5", "8.8.8.8", "100.128.0.1", "2001:db8::1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn private_candidates_for_a_public_site_are_warned_about() {
        let announced = [addr("192.168.1.20:9090")];
        let warning = reachability_warning(&announced, &["live.example.com".into()]).unwrap();
        assert!(
            warning.contains("192.168.1.20:9090")
                && warning.contains("--public-ip")
                && warning.contains("UDP port 9090")
        );
        assert_eq!(reachability_warning(&announced, &[]), None, "no public URL: a LAN setup");
        assert_eq!(reachability_warning(&announced, &["localhost".into(), "192.168.1.20".into()]), None);
        assert_eq!(reachability_warning(&[addr("203.0.113.5:9090")], &["live.example.com".into()]), None);
    }
}
