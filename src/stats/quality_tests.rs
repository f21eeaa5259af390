//! Tests of the quality between two samples: on real Chromium samples, then on made-up ones.

use super::entries::QualityLimitation;
use super::quality::{receiver_quality, sender_quality, ReceiverQuality};
use super::route::Route;
use super::sample::{parse_receiver, parse_sender, ReceiverSample, SenderSample};
use super::test_fixtures::{assert_near, RECEIVER_1, RECEIVER_2, SENDER_1, SENDER_2};
use serde_json::json;

#[test]
fn sender_quality_between_chromium_samples() {
    let (s1, s2) = (parse_sender(SENDER_1).unwrap(), parse_sender(SENDER_2).unwrap());
    let q = sender_quality(Some(&s1), &s2);
    // (373094 - 312013) bytes × 8 over 1.001579 s = 487.9 kbit/s.
    assert_near(q.video_kbps, 487.87, 0.05);
    // (18007 - 14864) bytes × 8 over 1.001579 s = 25.1 kbit/s.
    assert_near(q.audio_kbps, 25.10, 0.05);
    assert_near(q.total_kbps(), 512.97, 0.1);
    assert_eq!(q.fps, Some(19.0));
    assert_eq!((q.width, q.height), (Some(640), Some(480)));
    assert_near(q.rtt_ms, 1.0, 1e-9);
    // 398 - 333 packets sent, none lost.
    assert_eq!(q.loss_pct, Some(0.0));
    assert_eq!(q.route, Some(Route::Host));
    assert_eq!(q.protocol.as_deref(), Some("udp"));
    assert_eq!(q.limitation, Some(QualityLimitation::None));
    assert_eq!(q.available_outgoing_kbps, Some(3816.0));
}

#[test]
fn receiver_quality_between_chromium_samples() {
    let (r1, r2) = (parse_receiver(RECEIVER_1).unwrap(), parse_receiver(RECEIVER_2).unwrap());
    let q = receiver_quality(Some(&r1), &r2);
    // 61081 video + 3143 audio bytes over 1.001121 s.
    assert_near(q.video_kbps, 488.09, 0.05);
    assert_near(q.audio_kbps, 25.12, 0.05);
    assert_near(q.kbps, 513.21, 0.1);
    assert_eq!(q.fps, Some(20.0));
    assert_eq!((q.width, q.height), (Some(640), Some(480)));
    assert_near(q.rtt_ms, 1.0, 1e-9);
    assert_eq!(q.packets_lost, Some(0));
    assert_eq!(q.loss_pct, Some(0.0));
    assert_eq!(q.freeze_count, Some(0));
    assert_eq!(q.total_freezes_duration_s, Some(0.0));
    // (0.870483 - 0.722288) s over 124 - 104 frames: 7.41 ms per frame.
    assert_near(q.jitter_buffer_delay_ms, 7.40975, 1e-6);
}

#[test]
fn without_a_previous_sample_rates_are_none_and_averages_are_cumulative() {
    let q = sender_quality(None, &parse_sender(SENDER_1).unwrap());
    assert_eq!((q.video_kbps, q.audio_kbps, q.total_kbps()), (None, None, None));
    assert_eq!(q.fps, Some(19.0));
    assert_eq!(q.loss_pct, Some(0.0)); // fractionLost
    let r = receiver_quality(None, &parse_receiver(RECEIVER_1).unwrap());
    assert_eq!((r.kbps, r.video_kbps, r.audio_kbps), (None, None, None));
    // 0.722288 s over 104 frames since the start.
    assert_near(r.jitter_buffer_delay_ms, 6.94508, 1e-5);
    assert_eq!(r.loss_pct, Some(0.0));
}

#[test]
fn counters_going_backwards_give_none_not_negative_rates() {
    // A new peer connection for the same viewer: its counters start again from 0.
    let old = parse_sender(SENDER_2).unwrap();
    let mut restarted = parse_sender(SENDER_1).unwrap();
    restarted.timestamp_ms = old.timestamp_ms + 1000.0;
    let q = sender_quality(Some(&old), &restarted);
    assert_eq!((q.video_kbps, q.audio_kbps), (None, None));
    assert_eq!(q.loss_pct, Some(0.0), "falls back to fractionLost");

    let old = parse_receiver(RECEIVER_2).unwrap();
    let mut restarted = parse_receiver(RECEIVER_1).unwrap();
    restarted.timestamp_ms = old.timestamp_ms + 1000.0;
    let q = receiver_quality(Some(&old), &restarted);
    assert_eq!((q.kbps, q.video_kbps, q.audio_kbps), (None, None, None));
    assert_near(q.jitter_buffer_delay_ms, 6.94508, 1e-5);
}

#[test]
fn a_time_delta_that_is_not_positive_gives_none() {
    let (s1, s2) = (parse_sender(SENDER_1).unwrap(), parse_sender(SENDER_2).unwrap());
    assert_eq!(sender_quality(Some(&s2), &s1).video_kbps, None, "samples swapped");
    assert_eq!(sender_quality(Some(&s2), &s2).video_kbps, None, "same instant");
    let (r1, r2) = (parse_receiver(RECEIVER_1).unwrap(), parse_receiver(RECEIVER_2).unwrap());
    assert_eq!(receiver_quality(Some(&r2), &r1).kbps, None);
}

#[test]
fn sender_loss_over_the_interval_then_fraction_then_cumulative() {
    let prev =
        SenderSample { timestamp_ms: 0.0, packets_sent: Some(1000), packets_lost: Some(10), ..Default::default() };
    let cur = SenderSample {
        timestamp_ms: 1000.0,
        packets_sent: Some(2000),
        packets_lost: Some(60),
        fraction_lost: Some(0.02),
        ..Default::default()
    };
    assert_near(sender_quality(Some(&prev), &cur).loss_pct, 5.0, 1e-9);
    assert_near(sender_quality(None, &cur).loss_pct, 2.0, 1e-9);
    let no_fraction = SenderSample { fraction_lost: None, ..cur.clone() };
    assert_near(sender_quality(None, &no_fraction).loss_pct, 3.0, 1e-9);
    // Duplicates make packetsLost drop: never a negative loss.
    let dup = SenderSample { packets_lost: Some(5), ..no_fraction.clone() };
    assert_eq!(sender_quality(Some(&prev), &dup).loss_pct, Some(0.0));
    let negative = SenderSample { packets_lost: Some(-3), ..no_fraction };
    assert_eq!(sender_quality(None, &negative).loss_pct, Some(0.0));
}

#[test]
fn fps_falls_back_to_the_frame_counter() {
    let prev = SenderSample { timestamp_ms: 0.0, frames_sent: Some(100), ..Default::default() };
    let cur = SenderSample { timestamp_ms: 2000.0, frames_sent: Some(160), ..Default::default() };
    assert_near(sender_quality(Some(&prev), &cur).fps, 30.0, 1e-9);
    let prev = ReceiverSample { timestamp_ms: 0.0, frames_decoded: Some(10), ..Default::default() };
    let cur = ReceiverSample { timestamp_ms: 500.0, frames_decoded: Some(22), ..Default::default() };
    assert_near(receiver_quality(Some(&prev), &cur).fps, 24.0, 1e-9);
}

#[test]
fn receiver_rates_loss_and_jitter_buffer() {
    let prev = ReceiverSample {
        timestamp_ms: 10_000.0,
        video_bytes_received: Some(1_000_000),
        packets_received: Some(900),
        packets_lost: Some(0),
        jitter_buffer_delay_s: Some(1.0),
        jitter_buffer_emitted_count: Some(100),
        ..Default::default()
    };
    let cur = ReceiverSample {
        timestamp_ms: 12_000.0,
        video_bytes_received: Some(1_250_000),
        packets_received: Some(1090),
        packets_lost: Some(10),
        jitter_buffer_delay_s: Some(4.0),
        jitter_buffer_emitted_count: Some(160),
        ..Default::default()
    };
    let q = receiver_quality(Some(&prev), &cur);
    // No audio stream at all: the total is the video rate.
    assert_eq!(q.kbps, Some(1000.0));
    assert_eq!(q.audio_kbps, None);
    assert_near(q.loss_pct, 5.0, 1e-9); // 10 of 200
    assert_near(q.jitter_buffer_delay_ms, 50.0, 1e-9); // 3 s over 60 frames
    assert_near(receiver_quality(None, &cur).loss_pct, 10.0 / 1100.0 * 100.0, 1e-9);
    // Audio present now but not before: no total rather than a video-only one.
    let with_audio = ReceiverSample { audio_bytes_received: Some(5), ..cur };
    assert_eq!(receiver_quality(Some(&prev), &with_audio).kbps, None);
}

#[test]
fn quality_survives_a_json_round_trip() {
    // Viewers may send their quality to the studio over signaling.
    let q = receiver_quality(Some(&parse_receiver(RECEIVER_1).unwrap()), &parse_receiver(RECEIVER_2).unwrap());
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["jitterBufferDelayMs"], json!(q.jitter_buffer_delay_ms.unwrap()));
    assert_eq!(v["route"], json!("host"));
    let back: ReceiverQuality = serde_json::from_value(v).unwrap();
    assert_eq!(back, q);
    assert_eq!(serde_json::to_value(Route::Relay).unwrap(), json!("relay"));
    assert_eq!(QualityLimitation::Bandwidth.label(), "limited by bandwidth");
}
