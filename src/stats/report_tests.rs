//! Tests of reading a whole report: entry types, shapes, errors, and the selected pair and route.

use super::entries::{MediaKind, QualityLimitation, StatsEntry};
use super::error::StatsError;
use super::report::Report;
use super::route::Route;
use super::sample::{parse_receiver, parse_sender, SenderSample};
use super::test_fixtures::{entry_mut, sender_from, value, RECEIVER_1, RECEIVER_2, SENDER_1, SENDER_2};
use serde_json::{json, Value};

#[test]
fn fixtures_hold_every_entry_type_the_parser_reads() {
    for json in [SENDER_1, SENDER_2] {
        let r = Report::parse(json).unwrap();
        let kinds: Vec<_> = r.outbound_rtp().map(|o| o.kind).collect();
        assert!(kinds.contains(&Some(MediaKind::Video)) && kinds.contains(&Some(MediaKind::Audio)), "{kinds:?}");
        assert_eq!(r.remote_inbound_rtp().count(), 2);
        assert!(r.candidate_pairs().any(|p| p.nominated == Some(true) && p.state.as_deref() == Some("succeeded")));
        assert!(r.transports().any(|t| t.selected_candidate_pair_id.is_some()));
        assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::LocalCandidate(_))));
        assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::RemoteCandidate(_))));
        assert_eq!(r.entries.iter().filter(|e| matches!(e, StatsEntry::MediaSource(_))).count(), 2);
        assert!(r.entries.iter().any(|e| matches!(e, StatsEntry::Codec(_))));
        // certificate ×2, peer-connection: read as Other, not dropped, not an error.
        assert_eq!(r.entries.iter().filter(|e| **e == StatsEntry::Other).count(), 3);
    }
    for json in [RECEIVER_1, RECEIVER_2] {
        let r = Report::parse(json).unwrap();
        let kinds: Vec<_> = r.inbound_rtp().map(|i| i.kind).collect();
        assert!(kinds.contains(&Some(MediaKind::Video)) && kinds.contains(&Some(MediaKind::Audio)), "{kinds:?}");
        // certificate ×2, peer-connection, media-playout, remote-outbound-rtp ×2.
        assert_eq!(r.entries.iter().filter(|e| **e == StatsEntry::Other).count(), 6);
    }
}

#[test]
fn a_report_keyed_by_id_reads_the_same_as_an_array() {
    let by_id: serde_json::Map<String, Value> = value(SENDER_1)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e.clone()))
        .collect();
    let from_object = SenderSample::from_report(&Report::from_value(&Value::Object(by_id)).unwrap()).unwrap();
    assert_eq!(from_object, parse_sender(SENDER_1).unwrap());
}

#[test]
fn selected_pair_falls_back_to_the_busiest_nominated_succeeded_pair() {
    let mut v = value(SENDER_1);
    entry_mut(&mut v, "transport", None).as_object_mut().unwrap().remove("selectedCandidatePairId");
    // Chromium sometimes reports a second, idle pair as nominated and succeeded too.
    for e in v.as_array_mut().unwrap().iter_mut().filter(|e| e["type"] == "candidate-pair") {
        e["nominated"] = json!(true);
    }
    let report = Report::from_value(&v).unwrap();
    assert_eq!(report.selected_pair().unwrap().id, "CPAvnIA3Lb_DBIN/KSl");
    let s = SenderSample::from_report(&report).unwrap();
    assert_eq!(s.route, Some(Route::Host));
    assert_eq!(s.available_outgoing_bitrate, Some(3_816_000.0));

    // No transport hint and nothing nominated: no route, no pair figures.
    for e in v.as_array_mut().unwrap().iter_mut().filter(|e| e["type"] == "candidate-pair") {
        e["nominated"] = json!(false);
    }
    let s = sender_from(&v);
    assert_eq!((s.route, s.protocol, s.available_outgoing_bitrate), (None, None, None));
}

#[test]
fn a_relayed_pair_is_a_turn_route_with_its_relay_protocol() {
    let mut v = value(SENDER_1);
    let local = v.as_array_mut().unwrap().iter_mut().find(|e| e["id"] == "IAvnIA3Lb").unwrap();
    local["candidateType"] = json!("relay");
    local["relayProtocol"] = json!("tls");
    let s = sender_from(&v);
    assert_eq!(s.route, Some(Route::Relay));
    assert_eq!(s.protocol.as_deref(), Some("udp via TURN/tls"));
    assert_eq!(s.route.unwrap().label(), "TURN relay");
    assert_eq!(Report::from_value(&v).unwrap().turn_relay_protocol(), Some("tls"));

    // A relayProtocol on a candidate that is not the relay one says nothing about our route.
    let local = v.as_array_mut().unwrap().iter_mut().find(|e| e["id"] == "IAvnIA3Lb").unwrap();
    local["candidateType"] = json!("srflx");
    assert_eq!(Report::from_value(&v).unwrap().turn_relay_protocol(), None);
    assert_eq!(Report::from_value(&value(SENDER_1)).unwrap().turn_relay_protocol(), None);
}

#[test]
fn unknown_entry_types_and_values_are_ignored() {
    let json = r#"[
        {"id":"X","type":"something-new","timestamp":1,"nested":{"a":[1,2,3]}},
        {"id":"C","type":"codec","mimeType":"video/AV1","timestamp":1},
        {"id":"O","type":"outbound-rtp","kind":"video","timestamp":2,"codecId":"C",
         "qualityLimitationReason":"thermal","bytesSent":10,"somethingElse":true}
    ]"#;
    let r = Report::parse(json).unwrap();
    assert_eq!(r.entries[0], StatsEntry::Other);
    assert_eq!(r.timestamp_ms, Some(2.0));
    let s = SenderSample::from_report(&r).unwrap();
    assert_eq!(s.quality_limitation_reason, Some(QualityLimitation::Other));
    assert_eq!(s.video_bytes_sent, Some(10));
    assert_eq!(s.video_codec.as_deref(), Some("video/AV1"));
}

#[test]
fn broken_input_is_an_error_with_words() {
    assert!(matches!(parse_sender("not json"), Err(StatsError::Json(_))));
    assert!(matches!(parse_sender(r#"[{"type":"codec""#), Err(StatsError::Json(_))));
    assert_eq!(parse_sender("42"), Err(StatsError::NotAReport("a number")));
    assert_eq!(parse_receiver("null"), Err(StatsError::NotAReport("null")));
    assert_eq!(parse_sender("[]"), Err(StatsError::NoTimestamp));
    assert_eq!(parse_receiver("{}"), Err(StatsError::NoTimestamp));
    let err = parse_sender(
        r#"[{"id":"P","type":"peer-connection","timestamp":1},
                               {"id":"O1","type":"outbound-rtp","bytesSent":"lots"}]"#,
    )
    .unwrap_err();
    let StatsError::BadEntry { index, id, kind, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*index, id.as_str(), kind.as_str()), (1, "O1", "outbound-rtp"));
    assert!(err.to_string().contains("does not have the expected shape"), "{err}");
    assert!(matches!(parse_sender("[1]"), Err(StatsError::BadEntry { index: 0, .. })));
    assert!(matches!(parse_sender(r#"[{"id":"no type"}]"#), Err(StatsError::BadEntry { .. })));
    assert!(StatsError::Json("x".into()).to_string().starts_with("the stats report is not valid JSON"));
}
