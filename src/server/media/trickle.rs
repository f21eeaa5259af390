//! Reading a trickle `PATCH` body (`application/trickle-ice-sdpfrag`, RFC 8840): its
//! candidates, and whether it is an ICE restart (a new ufrag), which the relay refuses.

use crate::server::media::handle::RelayError;
use str0m::Candidate;

/// The candidates of `fragment`; `known_ufrag` is the peer's from its offer.
pub fn candidates(fragment: &str, known_ufrag: Option<&str>) -> Result<Vec<Candidate>, RelayError> {
    let mut found = Vec::new();
    for line in fragment.lines().map(str::trim) {
        // A new ufrag is an ICE restart (RFC 9725 §4.4.2), which this relay does not do.
        if let Some(ufrag) = line.strip_prefix("a=ice-ufrag:") {
            if known_ufrag.is_some_and(|known| known != ufrag) {
                return Err(RelayError::RestartUnsupported);
            }
        }
        if let Some(c) = line.strip_prefix("a=").filter(|c| c.starts_with("candidate:")) {
            found.push(Candidate::from_sdp_string(c).map_err(|e| RelayError::BadCandidate(e.to_string()))?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANDIDATE: &str = "a=candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host";

    #[test]
    fn candidates_are_read_and_the_same_ufrag_is_no_restart() {
        let fragment =
            format!("a=ice-ufrag:abcd\r\na=ice-pwd:secret\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n{CANDIDATE}\r\n");
        assert_eq!(candidates(&fragment, Some("abcd")).unwrap().len(), 1);
        assert_eq!(candidates("", Some("abcd")).unwrap().len(), 0, "an empty PATCH asks whether the session exists");
    }

    #[test]
    fn a_new_ufrag_is_a_restart_and_a_bad_line_is_refused_in_words() {
        assert_eq!(candidates("a=ice-ufrag:other\r\n", Some("abcd")), Err(RelayError::RestartUnsupported));
        let err = candidates("a=candidate:garbage\r\n", None).unwrap_err();
        assert!(matches!(err, RelayError::BadCandidate(_)), "{err:?}");
    }
}
