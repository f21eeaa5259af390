//! Tests of boiling a report down to a sender or receiver sample.

use super::entries::QualityLimitation;
use super::quality::{receiver_quality, sender_quality, ReceiverQuality, SenderQuality};
use super::route::Route;
use super::sample::{parse_receiver, parse_sender, ReceiverSample, SenderSample};
use super::test_fixtures::{assert_near, entry_mut, sender_from, value, RECEIVER_1, SENDER_1};
use serde_json::json;

#[test]
fn sender_sample_reads_chromium_report() {
    let s = parse_sender(SENDER_1).unwrap();
    assert_eq!(s.timestamp_ms, 1795616231698.236);
    assert_eq!(s.video_bytes_sent, Some(312013));
    assert_eq!(s.audio_bytes_sent, Some(14864));
    assert_eq!(s.frames_per_second, Some(19.0));
    assert_eq!((s.frame_width, s.frame_height), (Some(640), Some(480)));
    assert_eq!(s.frames_sent, Some(104));
    assert_eq!(s.quality_limitation_reason, Some(QualityLimitation::None));
    // From the video remote-inbound-rtp (1 ms); the pair's currentRoundTripTime says 0.
    assert_near(s.rtt_ms, 1.0, 1e-9);
    assert_eq!(s.packets_lost, Some(0));
    assert_eq!(s.packets_sent, Some(333));
    assert_eq!(s.fraction_lost, Some(0.0));
    assert_eq!(s.route, Some(Route::Host));
    assert_eq!(s.protocol.as_deref(), Some("udp"));
    assert_eq!(s.available_outgoing_bitrate, Some(3_816_000.0));
    assert_eq!(s.video_codec.as_deref(), Some("video/VP8"));
}

#[test]
fn receiver_sample_reads_chromium_report() {
    let r = parse_receiver(RECEIVER_1).unwrap();
    assert_eq!(r.timestamp_ms, 1795616231698.813);
    assert_eq!(r.video_bytes_received, Some(312013));
    assert_eq!(r.audio_bytes_received, Some(14864));
    assert_eq!(r.frames_decoded, Some(104));
    assert_eq!(r.frames_per_second, Some(20.0));
    assert_eq!((r.frame_width, r.frame_height), (Some(640), Some(480)));
    assert_eq!(r.freeze_count, Some(0));
    assert_eq!(r.total_freezes_duration_s, Some(0.0));
    // The video stream's, in seconds; not the audio one's (9772.8 over 251520 samples).
    assert_eq!(r.jitter_buffer_delay_s, Some(0.7222879999999999));
    assert_eq!(r.jitter_buffer_emitted_count, Some(104));
    assert_eq!(r.packets_lost, Some(0));
    assert_eq!(r.packets_received, Some(333));
    assert_near(r.rtt_ms, 1.0, 1e-9);
    assert_eq!(r.route, Some(Route::Host));
    assert_eq!(r.protocol.as_deref(), Some("udp"));
    assert_eq!(r.video_codec.as_deref(), Some("video/VP8"));
}

#[test]
fn rtt_falls_back_to_the_candidate_pair() {
    let mut v = value(SENDER_1);
    entry_mut(&mut v, "remote-inbound-rtp", Some("video")).as_object_mut().unwrap().remove("roundTripTime");
    let pair = v.as_array_mut().unwrap().iter_mut().find(|e| e["id"] == "CPAvnIA3Lb_DBIN/KSl").unwrap();
    pair["currentRoundTripTime"] = json!(0.042);
    assert_near(sender_from(&v).rtt_ms, 42.0, 1e-9);
}

#[test]
fn simulcast_sums_bytes_and_shows_the_largest_active_layer() {
    let s = parse_sender(
        r#"[
        {"id":"hi","type":"outbound-rtp","kind":"video","timestamp":9,"active":false,
         "frameWidth":1280,"frameHeight":720,"bytesSent":100,"packetsSent":1},
        {"id":"mid","type":"outbound-rtp","kind":"video","timestamp":9,"active":true,
         "frameWidth":640,"frameHeight":360,"framesPerSecond":30,"bytesSent":2000,"packetsSent":20},
        {"id":"lo","type":"outbound-rtp","kind":"video","timestamp":9,"active":true,
         "frameWidth":320,"frameHeight":180,"framesPerSecond":15,"bytesSent":500,"packetsSent":5},
        {"id":"RI-lo","type":"remote-inbound-rtp","kind":"video","localId":"lo","roundTripTime":0.5,
         "packetsLost":1},
        {"id":"RI-mid","type":"remote-inbound-rtp","kind":"video","localId":"mid","roundTripTime":0.02,
         "packetsLost":3}
    ]"#,
    )
    .unwrap();
    assert_eq!(s.video_bytes_sent, Some(2600));
    assert_eq!(s.packets_sent, Some(26));
    assert_eq!((s.frame_width, s.frame_height, s.frames_per_second), (Some(640), Some(360), Some(30.0)));
    assert_near(s.rtt_ms, 20.0, 1e-9);
    assert_eq!(s.packets_lost, Some(4), "summed over layers, like packets_sent");
    assert_eq!(s.audio_bytes_sent, None);
}

#[test]
fn missing_fields_give_none_not_panics() {
    // Early in a connection: entries with little more than their type.
    let s = parse_sender(
        r#"[{"type":"outbound-rtp","kind":"video","timestamp":1000},
                             {"type":"remote-inbound-rtp"},{"type":"candidate-pair"},
                             {"type":"transport","selectedCandidatePairId":"gone"}]"#,
    )
    .unwrap();
    assert_eq!(s, SenderSample { timestamp_ms: 1000.0, ..SenderSample::default() });
    let q = sender_quality(Some(&SenderSample { timestamp_ms: 0.0, ..s.clone() }), &s);
    assert_eq!(q, SenderQuality::default());

    let r = parse_receiver(r#"[{"type":"inbound-rtp","kind":"video","timestamp":5}]"#).unwrap();
    assert_eq!(r, ReceiverSample { timestamp_ms: 5.0, ..ReceiverSample::default() });
    assert_eq!(receiver_quality(Some(&r), &r), ReceiverQuality::default());

    // Only the report-level entries (before negotiation): a timestamp and nothing else.
    let s = parse_sender(r#"[{"id":"P","type":"peer-connection","timestamp":7.5}]"#).unwrap();
    assert_eq!(s, SenderSample { timestamp_ms: 7.5, ..SenderSample::default() });
}
