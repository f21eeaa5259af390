//! The few messages the watch page's starter reads and writes (`browser::starter`), read from
//! and written to parsed JSON values field by field rather than through serde: with
//! [`ServerMessage`] and serde_json the starter's wasm was 163 KB, with small serde structs
//! through `serde-wasm-bindgen` 127 KB, most of it serde's and its error messages' code (the
//! README, issue 14). The starter's values are the browser's own (`JSON.parse`, `JSON.stringify`);
//! the tests run the same code on serde_json's values and hold it to what the server and the
//! player write.
//!
//! [`ServerMessage`]: crate::protocol::ServerMessage

use crate::protocol::webrtc::{IceCandidate, IceServer, SdpType, SessionDescription, Target};

/// A server message as the starter sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    /// `welcome`: the ICE servers to connect with.
    Welcome(Vec<IceServer>),
    Offer(SessionDescription),
    Candidate(IceCandidate, Target),
    /// `offline`, `removed`, `useRelay` or `error`: the player's rules take it from here.
    Ends,
    /// Anything else, or what does not read as its type says.
    Other,
}

/// A parsed JSON value, as much of it as the starter reads: the browser's in the starter,
/// serde_json's in the tests.
pub trait Json: Sized {
    /// An object's field, unless it is absent or `null`.
    fn field(&self, key: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn elements(&self) -> Option<Vec<Self>>;
}

/// What a server message is to the starter. Like serde, a message whose fields do not read
/// as its type says is [`Seen::Other`]: the player's to report.
pub fn seen<J: Json>(msg: &J) -> Seen {
    let read = || -> Option<Seen> {
        Some(match msg.field("type")?.text()?.as_str() {
            "welcome" => Seen::Welcome(match msg.field("iceServers") {
                Some(servers) => servers.elements()?.iter().map(ice_server).collect::<Option<_>>()?,
                None => Vec::new(),
            }),
            "offer" => Seen::Offer(session_description(&msg.field("offer")?)?),
            "candidate" => Seen::Candidate(ice_candidate(&msg.field("candidate")?)?, target(&msg.field("target")?)?),
            "offline" | "removed" | "useRelay" | "error" => Seen::Ends,
            _ => Seen::Other,
        })
    };
    read().unwrap_or(Seen::Other)
}

/// A field that must be text when present.
fn optional_text<J: Json>(value: &J, key: &str) -> Option<Option<String>> {
    match value.field(key) {
        Some(f) => f.text().map(Some),
        None => Some(None),
    }
}

fn ice_server<J: Json>(value: &J) -> Option<IceServer> {
    let urls = value.field("urls")?.elements()?.iter().map(Json::text).collect::<Option<_>>()?;
    Some(IceServer {
        urls,
        username: optional_text(value, "username")?,
        credential: optional_text(value, "credential")?,
    })
}

fn session_description<J: Json>(value: &J) -> Option<SessionDescription> {
    let kind = SdpType::from_name(&value.field("type")?.text()?)?;
    Some(SessionDescription { kind, sdp: value.field("sdp")?.text()? })
}

fn ice_candidate<J: Json>(value: &J) -> Option<IceCandidate> {
    let sdp_m_line_index = match value.field("sdpMLineIndex") {
        Some(n) => Some(n.number().filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(n))? as u16),
        None => None,
    };
    Some(IceCandidate {
        candidate: value.field("candidate")?.text()?,
        sdp_mid: optional_text(value, "sdpMid")?,
        sdp_m_line_index,
        username_fragment: optional_text(value, "usernameFragment")?,
    })
}

fn target<J: Json>(value: &J) -> Option<Target> {
    match value.text()?.as_str() {
        "viewer" => Some(Target::Viewer),
        "streamer" => Some(Target::Streamer),
        _ => None,
    }
}

/// A JSON value the starter writes: built into the browser's object, then `JSON.stringify`.
#[derive(Clone, Debug, PartialEq)]
pub enum Out<'a> {
    Text(&'a str),
    Number(u16),
    /// Fields in order; an absent optional field is left out, as the player's messages do.
    Object(Vec<(&'static str, Out<'a>)>),
}

/// The viewer's `answer` to the streamer's offer, as [`crate::protocol::ClientMessage`] writes
/// it (no `viewerId`: the server fills in the sender's).
pub fn answer(answer: &SessionDescription) -> Out<'_> {
    let description = Out::Object(vec![("type", Out::Text(answer.kind.as_str())), ("sdp", Out::Text(&answer.sdp))]);
    Out::Object(vec![("type", Out::Text("answer")), ("answer", description)])
}

/// One of the viewer's candidates, for the streamer.
pub fn candidate(c: &IceCandidate) -> Out<'_> {
    let mut fields = vec![("candidate", Out::Text(&c.candidate))];
    if let Some(mid) = &c.sdp_mid {
        fields.push(("sdpMid", Out::Text(mid)));
    }
    if let Some(index) = c.sdp_m_line_index {
        fields.push(("sdpMLineIndex", Out::Number(index)));
    }
    if let Some(ufrag) = &c.username_fragment {
        fields.push(("usernameFragment", Out::Text(ufrag)));
    }
    Out::Object(vec![
        ("type", Out::Text("candidate")),
        ("candidate", Out::Object(fields)),
        ("target", Out::Text("streamer")),
    ])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{ClientMessage, ErrorCode, ServerMessage, ViewerId, ViewerReport};
    use serde_json::Value;

    impl Json for Value {
        fn field(&self, key: &str) -> Option<Value> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn elements(&self) -> Option<Vec<Value>> {
            self.as_array().cloned()
        }
    }

    /// A message's text as the starter reads it (serde_json here; the browser's JSON there).
    pub(crate) fn read(text: &str) -> Seen {
        serde_json::from_str::<Value>(text).map_or(Seen::Other, |v| seen(&v))
    }

    /// The messages after which everything is the player's.
    pub(crate) fn ends() -> [ServerMessage; 4] {
        [
            ServerMessage::Offline,
            ServerMessage::Removed,
            ServerMessage::UseRelay { reason: "many viewers".into() },
            ServerMessage::error(ErrorCode::Full, "full"),
        ]
    }

    fn json(out: &Out) -> Value {
        match out {
            Out::Text(t) => Value::from(*t),
            Out::Number(n) => Value::from(*n),
            Out::Object(fields) => fields.iter().map(|(k, v)| ((*k).to_owned(), json(v))).collect(),
        }
    }

    fn written(msg: &ClientMessage) -> Value {
        serde_json::from_str(&msg.to_json()).unwrap()
    }

    fn sdp(kind: SdpType) -> SessionDescription {
        SessionDescription { kind, sdp: "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n".into() }
    }

    fn candidate_with(sdp_mid: Option<&str>, index: Option<u16>, ufrag: Option<&str>) -> IceCandidate {
        IceCandidate {
            candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host".into(),
            sdp_mid: sdp_mid.map(Into::into),
            sdp_m_line_index: index,
            username_fragment: ufrag.map(Into::into),
        }
    }

    fn full_candidate() -> IceCandidate {
        candidate_with(Some("0"), Some(0), Some("u"))
    }

    fn id() -> ViewerId {
        ViewerId("v1".into())
    }

    #[test]
    fn it_reads_what_the_server_writes() {
        let turn = IceServer { urls: vec!["turn:t".into()], username: Some("u".into()), credential: Some("c".into()) };
        let stun = IceServer { urls: vec!["stun:a".into(), "stun:b".into()], username: None, credential: None };
        let welcome = ServerMessage::Welcome {
            viewer_id: id(),
            ice_servers: vec![turn.clone(), stun.clone()],
            resume_token: "r".into(),
        };
        assert_eq!(read(&welcome.to_json()), Seen::Welcome(vec![turn, stun]));
        let none = ServerMessage::Welcome { viewer_id: id(), ice_servers: vec![], resume_token: "r".into() };
        assert_eq!(read(&none.to_json()), Seen::Welcome(vec![]));
        for kind in SdpType::ALL {
            let offer = ServerMessage::Offer { offer: sdp(kind), viewer_id: id() };
            assert_eq!(read(&offer.to_json()), Seen::Offer(sdp(kind)));
        }
        let candidates =
            [full_candidate(), candidate_with(None, None, None), candidate_with(Some("1"), Some(65535), None)];
        for target in [Target::Viewer, Target::Streamer] {
            for candidate in &candidates {
                let c = ServerMessage::Candidate { candidate: candidate.clone(), target, viewer_id: id() };
                assert_eq!(read(&c.to_json()), Seen::Candidate(candidate.clone(), target));
            }
        }
        for msg in ends() {
            assert_eq!(read(&msg.to_json()), Seen::Ends, "{msg:?}");
        }
        let others = [
            ServerMessage::Live,
            ServerMessage::StreamerLost,
            ServerMessage::ViewerCount { count: 2 },
            ServerMessage::ViewerStats {
                viewer_id: id(),
                report: ViewerReport { fps: Some(29.97), ..Default::default() },
            },
        ];
        for msg in others {
            assert_eq!(read(&msg.to_json()), Seen::Other, "{msg:?}");
        }
    }

    #[test]
    fn what_does_not_read_as_its_type_says_is_left_to_the_player() {
        for text in [
            "",
            "[]",
            "{}",
            "7",
            r#"{"type":7}"#,
            r#"{"type":"offer"}"#,
            r#"{"type":"offer","offer":7}"#,
            r#"{"type":"offer","offer":{"type":"offer"}}"#,
            r#"{"type":"offer","offer":{"type":"final","sdp":"v=0"}}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c"}}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c"},"target":"everyone"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":-1},"target":"viewer"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":0.5},"target":"viewer"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":65536},"target":"viewer"}"#,
            r#"{"type":"candidate","candidate":{"candidate":"c","sdpMid":0},"target":"viewer"}"#,
            r#"{"type":"welcome","iceServers":{}}"#,
            r#"{"type":"welcome","iceServers":[{"urls":"stun:a"}]}"#,
            r#"{"type":"welcome","iceServers":[{"urls":["stun:a"],"username":1}]}"#,
        ] {
            assert_eq!(read(text), Seen::Other, "{text}");
        }
    }

    #[test]
    fn null_fields_read_as_absent_ones_as_serde_reads_them() {
        let text = r#"{"type":"candidate","candidate":{"candidate":"c","sdpMid":null,"sdpMLineIndex":null},"target":"viewer"}"#;
        let expected =
            IceCandidate { candidate: "c".into(), sdp_mid: None, sdp_m_line_index: None, username_fragment: None };
        assert_eq!(read(text), Seen::Candidate(expected, Target::Viewer));
        assert_eq!(read(r#"{"type":"welcome","iceServers":null}"#), Seen::Welcome(vec![]));
    }

    #[test]
    fn it_writes_what_the_client_messages_write() {
        for kind in SdpType::ALL {
            let expected = written(&ClientMessage::Answer { answer: sdp(kind), viewer_id: None });
            assert_eq!(json(&answer(&sdp(kind))), expected);
        }
        for c in [full_candidate(), candidate_with(None, None, None), candidate_with(Some("1"), Some(3), None)] {
            let expected =
                written(&ClientMessage::Candidate { candidate: c.clone(), target: Target::Streamer, viewer_id: None });
            assert_eq!(json(&candidate(&c)), expected);
        }
    }
}
