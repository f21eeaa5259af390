//! Property tests of the client decoder: it never panics, every refusal has a code and words,
//! and what it accepts re-encodes to the same message.

use crate::protocol::client_message::CLIENT_TYPES;
use crate::protocol::{
    decode_client, ClientMessage, IceCandidate, SdpType, SessionDescription, Target, ViewerId, ViewerReport,
};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,10}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects shaped like messages: a known (or near) type and fields with protocol names.
fn message_like() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![prop::sample::select(CLIENT_TYPES.to_vec()).prop_map(str::to_owned), ".{0,12}"];
    let field = prop::sample::select(vec![
        "viewerId",
        "offer",
        "answer",
        "candidate",
        "target",
        "sdp",
        "type",
        "remaining",
        "fps",
        "sdpMid",
        "sdpMLineIndex",
        "packetsLost",
    ]);
    (kind, prop::collection::btree_map(field, json_value(), 0..5)).prop_map(|(kind, fields)| {
        let mut m: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        m.insert("type".into(), Value::String(kind));
        Value::Object(m)
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match decode_client(text) {
        Ok(msg) => {
            // Whatever is accepted encodes back to the same message (floats in reports may
            // move by a last digit through JSON, so those compare by type).
            let back = decode_client(&msg.to_json()).unwrap();
            if matches!(msg, ClientMessage::ViewerStats(_)) {
                prop_assert_eq!(back.kind(), msg.kind());
            } else {
                prop_assert_eq!(back, msg);
            }
        }
        Err(e) => {
            prop_assert!(!e.code().as_str().is_empty());
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}

fn sdp() -> impl Strategy<Value = SessionDescription> {
    (prop::sample::select(vec![SdpType::Offer, SdpType::Answer, SdpType::Pranswer, SdpType::Rollback]), ".{0,200}")
        .prop_map(|(kind, sdp)| SessionDescription { kind, sdp })
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    let id = "[a-zA-Z0-9]{1,40}".prop_map(ViewerId);
    let candidate =
        (".{0,300}", prop::option::of(".{0,10}"), prop::option::of(any::<u16>()), prop::option::of("[a-z]{4}"))
            .prop_map(|(candidate, sdp_mid, sdp_m_line_index, username_fragment)| IceCandidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
                username_fragment,
            });
    let target = prop::sample::select(vec![Target::Viewer, Target::Streamer]);
    prop_oneof![
        Just(ClientMessage::Streamer),
        (prop::option::of(".{0,60}"), prop::option::of("[0-9a-f]{1,40}\\.[0-9a-f]{0,64}"))
            .prop_map(|(name, resume_token)| ClientMessage::Viewer { name, resume_token }),
        (sdp(), id.clone()).prop_map(|(offer, viewer_id)| ClientMessage::Offer { offer, viewer_id }),
        (sdp(), prop::option::of(id.clone()))
            .prop_map(|(answer, viewer_id)| ClientMessage::Answer { answer, viewer_id }),
        (candidate, target, prop::option::of(id.clone()))
            .prop_map(|(candidate, target, viewer_id)| ClientMessage::Candidate { candidate, target, viewer_id }),
        id.prop_map(|viewer_id| ClientMessage::RemoveViewer { viewer_id }),
        prop::option::of(any::<u32>()).prop_map(|remaining| ClientMessage::Capacity { remaining }),
        (
            prop::option::of((0u32..2000).prop_map(|n| f64::from(n) / 2.0)),
            prop::option::of(any::<u64>()),
            prop::option::of(any::<i64>())
        )
            .prop_map(|(fps, frames_decoded, packets_lost)| ClientMessage::ViewerStats(ViewerReport {
                fps,
                frames_decoded,
                packets_lost,
                ..Default::default()
            })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        check(&text)?;
    }

    #[test]
    fn arbitrary_bytes_as_lossy_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        check(&value.to_string())?;
    }

    #[test]
    fn message_shaped_json_never_panics(value in message_like()) {
        check(&value.to_string())?;
    }

    #[test]
    fn valid_messages_round_trip(msg in client_message()) {
        prop_assert_eq!(decode_client(&msg.to_json()).unwrap(), msg);
    }
}
