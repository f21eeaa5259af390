//! Reading a `PATCH` body (`application/trickle-ice-sdpfrag`, RFC 8840) into trickled
//! candidates or an ICE restart (new credentials, RFC 9725 §4.4.2), and writing the relay's
//! answer to a restart.

use crate::server::media::handle::RelayError;
use str0m::{Candidate, IceCreds};

/// What a `PATCH` asks for.
#[derive(Debug, PartialEq)]
pub enum Patch {
    /// More candidates for the running ICE session (none: "does the session exist?").
    Candidates(Vec<Candidate>),
    /// A new ICE session: the peer's new credentials and its candidates for it.
    Restart { remote: IceCreds, candidates: Vec<Candidate> },
}

/// RFC 8839 §5.4: a ufrag has 4 to 256 ice-chars, a password 22 to 256.
const UFRAG_LENGTH: std::ops::RangeInclusive<usize> = 4..=256;
const PWD_LENGTH: std::ops::RangeInclusive<usize> = 22..=256;

/// Reads `fragment`; `known_ufrag` is the peer's current one (from its offer or last restart).
pub fn read(fragment: &str, known_ufrag: Option<&str>) -> Result<Patch, RelayError> {
    let mut candidates = Vec::new();
    let (mut ufrag, mut pwd) = (None, None);
    for line in fragment.lines().map(str::trim) {
        if let Some(u) = line.strip_prefix("a=ice-ufrag:") {
            ufrag = Some(u);
        } else if let Some(p) = line.strip_prefix("a=ice-pwd:") {
            pwd = Some(p);
        } else if let Some(c) = line.strip_prefix("a=").filter(|c| c.starts_with("candidate:")) {
            candidates.push(Candidate::from_sdp_string(c).map_err(|e| RelayError::BadCandidate(e.to_string()))?);
        }
    }
    // A new ufrag is a restart (RFC 8839 §4.4.1.1.1: a restart changes both ufrag and password).
    let Some(ufrag) = ufrag.filter(|u| known_ufrag.is_some_and(|known| known != *u)) else {
        return Ok(Patch::Candidates(candidates));
    };
    let Some(pwd) = pwd else {
        return Err(RelayError::BadRestart("it has a new a=ice-ufrag but no a=ice-pwd".into()));
    };
    if !is_ice_text(ufrag, UFRAG_LENGTH) {
        return Err(RelayError::BadRestart("its a=ice-ufrag is not 4 to 256 letters, digits, '+' or '/'".into()));
    }
    if !is_ice_text(pwd, PWD_LENGTH) {
        return Err(RelayError::BadRestart("its a=ice-pwd is not 22 to 256 letters, digits, '+' or '/'".into()));
    }
    Ok(Patch::Restart { remote: IceCreds { ufrag: ufrag.to_owned(), pass: pwd.to_owned() }, candidates })
}

/// RFC 8839's `ice-char`: ALPHA / DIGIT / "+" / "/".
fn is_ice_text(text: &str, length: std::ops::RangeInclusive<usize>) -> bool {
    length.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// One media section of a session's answer, as a restart's answer repeats it (RFC 8840 §9:
/// a fragment's candidates belong to the media section they follow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSection {
    /// The answer's `m=` line, payload types included.
    pub m_line: String,
    pub mid: String,
}

/// The accepted media sections of an answer (a rejected one has port 0 and is not bundled).
pub fn media_sections(answer_sdp: &str) -> Vec<MediaSection> {
    let mut sections = Vec::new();
    let mut current: Option<String> = None;
    for line in answer_sdp.lines().map(str::trim) {
        if line.starts_with("m=") {
            current = (line.split_whitespace().nth(1) != Some("0")).then(|| line.to_owned());
        } else if let Some(mid) = line.strip_prefix("a=mid:") {
            if let Some(m_line) = current.take() {
                sections.push(MediaSection { m_line, mid: mid.to_owned() });
            }
        }
    }
    sections
}

/// The body of a restart's `200 OK`, shaped like RFC 9725 §4.4.2's example: the relay is
/// ICE-lite, its new credentials, the BUNDLE group, and each media section with its `mid`;
/// the candidates (all of them at once, so the list ends) under the first, which carries
/// the bundle's transport.
pub fn restart_answer(local: &IceCreds, media: &[MediaSection], candidates: &[Candidate]) -> String {
    let mut fragment = format!("a=ice-lite\r\na=ice-ufrag:{}\r\na=ice-pwd:{}\r\n", local.ufrag, local.pass);
    let candidate_lines = || {
        let mut lines: String = candidates.iter().map(|c| format!("a={}\r\n", c.to_sdp_string())).collect();
        lines.push_str("a=end-of-candidates\r\n");
        lines
    };
    if media.is_empty() {
        fragment.push_str(&candidate_lines());
        return fragment;
    }
    let mids: Vec<&str> = media.iter().map(|m| m.mid.as_str()).collect();
    fragment.push_str(&format!("a=group:BUNDLE {}\r\n", mids.join(" ")));
    for (i, section) in media.iter().enumerate() {
        fragment.push_str(&format!("{}\r\na=mid:{}\r\n", section.m_line, section.mid));
        if i == 0 {
            fragment.push_str(&candidate_lines());
        }
    }
    fragment
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANDIDATE: &str = "a=candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host";
    const PWD: &str = "abcdefghijklmnopqrstuvwxyz";

    fn candidates(patch: Patch) -> Vec<Candidate> {
        match patch {
            Patch::Candidates(c) => c,
            Patch::Restart { .. } => panic!("not a restart"),
        }
    }

    #[test]
    fn candidates_are_read_and_the_same_ufrag_is_no_restart() {
        let fragment =
            format!("a=ice-ufrag:abcd\r\na=ice-pwd:{PWD}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n{CANDIDATE}\r\n");
        assert_eq!(candidates(read(&fragment, Some("abcd")).unwrap()).len(), 1);
        assert_eq!(
            candidates(read("", Some("abcd")).unwrap()).len(),
            0,
            "an empty PATCH asks whether the session exists"
        );
    }

    #[test]
    fn a_new_ufrag_and_password_are_a_restart_with_its_candidates() {
        let fragment = format!("a=ice-ufrag:newone\r\na=ice-pwd:{PWD}\r\n{CANDIDATE}\r\n");
        let Patch::Restart { remote, candidates } = read(&fragment, Some("abcd")).unwrap() else { panic!("a restart") };
        assert_eq!((remote.ufrag.as_str(), remote.pass.as_str()), ("newone", PWD));
        assert_eq!(candidates.len(), 1);
    }

    #[test]
    fn a_restart_without_a_good_password_or_ufrag_is_refused_in_words() {
        for (fragment, words) in [
            ("a=ice-ufrag:newone\r\n".to_owned(), "no a=ice-pwd"),
            ("a=ice-ufrag:newone\r\na=ice-pwd:short\r\n".to_owned(), "a=ice-pwd is not"),
            (format!("a=ice-ufrag:new one!\r\na=ice-pwd:{PWD}\r\n"), "a=ice-ufrag is not"),
        ] {
            match read(&fragment, Some("abcd")) {
                Err(RelayError::BadRestart(why)) => assert!(why.contains(words), "{why}"),
                other => panic!("{fragment:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_candidate_line_is_refused_in_words() {
        let err = read("a=candidate:garbage\r\n", None).unwrap_err();
        assert!(matches!(err, RelayError::BadCandidate(_)), "{err:?}");
    }

    const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n\
        m=video 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:2\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n";

    #[test]
    fn the_media_sections_are_the_accepted_m_lines_with_their_mids() {
        assert_eq!(
            media_sections(ANSWER),
            [
                MediaSection { m_line: "m=audio 9 UDP/TLS/RTP/SAVPF 111".into(), mid: "0".into() },
                MediaSection { m_line: "m=video 9 UDP/TLS/RTP/SAVPF 96 97".into(), mid: "1".into() },
            ]
        );
    }

    #[test]
    fn the_restart_answer_is_shaped_like_rfc_9725s_example() {
        let creds = IceCreds { ufrag: "relayufrag".into(), pass: PWD.into() };
        let host = Candidate::host("192.0.2.1:9090".parse().unwrap(), "udp").unwrap();
        let answer = restart_answer(&creds, &media_sections(ANSWER), &[host]);
        let lines: Vec<&str> = answer.lines().collect();
        assert_eq!(lines[..3], ["a=ice-lite", "a=ice-ufrag:relayufrag", &format!("a=ice-pwd:{PWD}")]);
        assert_eq!(lines[3..6], ["a=group:BUNDLE 0 1", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0"]);
        assert!(lines[6].starts_with("a=candidate:") && lines[6].contains("192.0.2.1 9090 typ host"), "{answer}");
        assert_eq!(lines[7..], ["a=end-of-candidates", "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:1"]);
        let Patch::Candidates(read_back) = read(&answer, Some("relayufrag")).unwrap() else { panic!() };
        assert_eq!(read_back.len(), 1, "a client can read it as a fragment");
    }

    #[test]
    fn without_media_sections_the_candidates_stand_alone() {
        let creds = IceCreds { ufrag: "relayufrag".into(), pass: PWD.into() };
        let host = Candidate::host("192.0.2.1:9090".parse().unwrap(), "udp").unwrap();
        let answer = restart_answer(&creds, &[], &[host]);
        let lines: Vec<&str> = answer.lines().collect();
        assert!(
            lines[3].starts_with("a=candidate:") && lines[4] == "a=end-of-candidates" && lines.len() == 5,
            "{answer}"
        );
    }
}
