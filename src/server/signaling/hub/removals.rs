//! Who the streamer removed from the live in progress, and whether a new socket is one of them:
//! by its resume token's viewer id, by its device cookie, and as a last resort by its address.

use crate::protocol::ViewerId;
use crate::server::signaling::resume::Device;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// The removals of one live; cleared when it ends.
#[derive(Debug, Default)]
pub struct Removals {
    ids: HashSet<ViewerId>,
    devices: HashSet<String>,
    /// Addresses removed viewers came from, and when (Unix seconds).
    addresses: HashMap<IpAddr, u64>,
}

impl Removals {
    /// Keeps `viewer_id`, its device and its address out of this live from `now_unix`.
    pub fn add(&mut self, viewer_id: ViewerId, device: Option<&Device>, address: Option<IpAddr>, now_unix: u64) {
        self.ids.insert(viewer_id);
        if let Some(d) = device {
            self.devices.insert(d.id.clone());
        }
        if let Some(a) = address {
            self.addresses.entry(a).or_insert(now_unix);
        }
    }

    /// Whether a socket claiming `viewer_id` (from a genuine token), with this device cookie,
    /// from this address, is someone removed. The address alone counts only for a socket
    /// without a device cookie older than the removal: viewers already watching from the same
    /// address (a household, a proxy) keep watching, but a cleared cookie does not get back in.
    pub fn refuses(&self, viewer_id: Option<&ViewerId>, device: Option<&Device>, address: Option<IpAddr>) -> bool {
        viewer_id.is_some_and(|id| self.ids.contains(id))
            || device.is_some_and(|d| self.devices.contains(&d.id))
            || address
                .and_then(|a| self.addresses.get(&a))
                .is_some_and(|removed_at| device.is_none_or(|d| d.issued_at >= *removed_at))
    }

    pub fn clear(&mut self) {
        *self = Removals::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));

    fn device(id: &str, issued_at: u64) -> Device {
        Device { id: id.to_owned(), issued_at }
    }

    fn removed_at_1000() -> Removals {
        let mut r = Removals::default();
        r.add(ViewerId("v1".into()), Some(&device("d1", 10)), Some(HOME), 1000);
        r
    }

    #[test]
    fn a_removed_viewer_is_known_by_its_token_or_its_cookie_from_anywhere() {
        let r = removed_at_1000();
        assert!(r.refuses(Some(&ViewerId("v1".into())), None, Some(ELSEWHERE)));
        assert!(r.refuses(None, Some(&device("d1", 10)), Some(ELSEWHERE)));
        assert!(!r.refuses(Some(&ViewerId("v2".into())), Some(&device("d2", 10)), Some(ELSEWHERE)));
    }

    #[test]
    fn its_address_keeps_out_new_cookies_and_none_but_not_those_already_there() {
        let r = removed_at_1000();
        assert!(r.refuses(None, None, Some(HOME)), "no cookie");
        assert!(r.refuses(None, Some(&device("fresh", 1000)), Some(HOME)), "a cookie made after the removal");
        assert!(!r.refuses(None, Some(&device("housemate", 999)), Some(HOME)), "already watching from there");
        assert!(!r.refuses(None, None, Some(ELSEWHERE)));
    }

    #[test]
    fn the_next_live_starts_with_nobody_removed() {
        let mut r = removed_at_1000();
        r.clear();
        assert!(!r.refuses(Some(&ViewerId("v1".into())), Some(&device("d1", 10)), Some(HOME)));
    }
}
