//! The route media takes between the two sides: direct, through STUN, or relayed by TURN.

use super::entries::CandidateType;
use serde::{Deserialize, Serialize};

/// How media reaches the other side, from the selected pair's candidate types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// Both sides on host addresses: same machine or network.
    Host,
    /// Through a NAT, with an address learned from STUN.
    Srflx,
    /// Through a NAT, with an address learned during connectivity checks.
    Prflx,
    /// Through a TURN server.
    Relay,
}

impl Route {
    /// Relay if either side is relayed; else reflexive if either side is; else host when both
    /// are host. `None` when the answer depends on a side whose type is unknown.
    pub fn from_candidate_types(local: Option<CandidateType>, remote: Option<CandidateType>) -> Option<Route> {
        let sides = [local, remote];
        let any = |t: CandidateType| sides.contains(&Some(t));
        if any(CandidateType::Relay) {
            Some(Route::Relay)
        } else if any(CandidateType::Srflx) {
            Some(Route::Srflx)
        } else if any(CandidateType::Prflx) {
            Some(Route::Prflx)
        } else if sides.iter().all(|s| *s == Some(CandidateType::Host)) {
            Some(Route::Host)
        } else {
            None
        }
    }

    /// Words for the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Route::Host => "direct",
            Route::Srflx | Route::Prflx => "STUN",
            Route::Relay => "TURN relay",
        }
    }

    /// The `candidateType` spelling, for `data-route` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Host => "host",
            Route::Srflx => "srflx",
            Route::Prflx => "prflx",
            Route::Relay => "relay",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_from_candidate_types() {
        use CandidateType::*;
        let r = |a, b| Route::from_candidate_types(a, b);
        assert_eq!(r(Some(Host), Some(Host)), Some(Route::Host));
        assert_eq!(r(Some(Host), Some(Srflx)), Some(Route::Srflx));
        assert_eq!(r(Some(Prflx), Some(Host)), Some(Route::Prflx));
        assert_eq!(r(Some(Srflx), Some(Relay)), Some(Route::Relay));
        assert_eq!(r(Some(Relay), None), Some(Route::Relay));
        assert_eq!(r(Some(Host), None), None);
        assert_eq!(r(Some(Host), Some(Other)), None);
        assert_eq!(r(None, None), None);
        assert_eq!(Route::Host.label(), "direct");
        assert_eq!(Route::Srflx.label(), "STUN");
        assert_eq!(Route::Prflx.label(), "STUN");
        assert_eq!(Route::Relay.label(), "TURN relay");
        assert_eq!(Route::Relay.as_str(), "relay");
    }
}
