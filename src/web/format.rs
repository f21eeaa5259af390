//! Every figure as people read it: bitrates, durations, dates and the dashboard's numbers.
//!
//! The pages and end-to-end tests read these exact strings, so a change here is a change
//! of what the pages say. Dates are in UTC, so the server's render and the browser's
//! hydration agree whatever the browser's time zone.

use crate::protocol::TurnTransport;
use crate::stats::Route;

// --- Bitrates ----------------------------------------------------------------------------

/// A bitrate in kbit/s for people: `850 kbit/s`, `1.2 Mbit/s`, `150 Mbit/s`, `2.5 Gbit/s`.
/// Negative values show as 0; NaN and infinities as `–`.
pub fn format_kbps(kbps: f64) -> String {
    if !kbps.is_finite() {
        return "–".to_string();
    }
    if kbps.round() <= 0.0 {
        return "0 kbit/s".to_string();
    }
    if kbps.round() < 1000.0 {
        return format!("{kbps:.0} kbit/s");
    }
    let mbps = kbps / 1000.0;
    if mbps < 99.95 {
        format!("{mbps:.1} Mbit/s")
    } else if mbps.round() < 1000.0 {
        format!("{mbps:.0} Mbit/s")
    } else {
        format!("{:.1} Gbit/s", mbps / 1000.0)
    }
}

// --- Durations ---------------------------------------------------------------------------

/// Whole seconds from `since_ms` to `now_ms` (wall-clock milliseconds); 0 if `now` is earlier.
pub fn elapsed_s(since_ms: f64, now_ms: f64) -> u64 {
    ((now_ms - since_ms) / 1000.0).max(0.0) as u64
}

/// Whole seconds in a span of milliseconds; a negative span is 0.
pub fn whole_seconds(ms: i64) -> u64 {
    (ms.max(0) / 1_000) as u64
}

/// Hours, minutes of the hour, seconds of the minute.
fn hours_minutes_seconds(seconds: u64) -> (u64, u64, u64) {
    (seconds / 3_600, seconds % 3_600 / 60, seconds % 60)
}

/// A running time, as a stopwatch shows it: `0:42`, `12:05`, `1:02:03`.
pub fn format_duration_hms(seconds: u64) -> String {
    let (h, m, s) = hours_minutes_seconds(seconds);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A length of time in words: `45 s`, `12 min 5 s`, `2 h 05 min`.
pub fn format_duration_words(seconds: u64) -> String {
    let (h, m, s) = hours_minutes_seconds(seconds);
    match seconds {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{m} min {s} s"),
        _ => format!("{h} h {m:02} min"),
    }
}

// --- Dates -------------------------------------------------------------------------------

/// Unix milliseconds → (year, month, day, hour, minute, second) in UTC.
fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400) as u32;
    // Days to a proleptic Gregorian date (H. Hinnant's civil_from_days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, of_day / 3_600, of_day % 3_600 / 60, of_day % 60)
}

/// A date and time to the minute: `2026-11-25 14:02 UTC`.
pub fn format_utc_date_time(ms: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// A time to the second, `14:02:31`, with the date in front when it is not the same UTC day
/// as `first_day_ms` (e.g. the start of a live).
pub fn format_utc_time_of_day(ms: i64, first_day_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    let (sy, smo, sd, ..) = civil(first_day_ms);
    if (y, mo, d) == (sy, smo, sd) {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

// --- The dashboard's other figures ---------------------------------------------------------

/// Milliseconds, rounded: `12 ms`.
pub fn format_ms(ms: f64) -> String {
    format!("{ms:.0} ms")
}

/// A picture size: `640×480`.
pub fn format_resolution(width: u32, height: u32) -> String {
    format!("{width}×{height}")
}

/// Video freezes and their total length: `2 (1.5 s)`.
pub fn format_freezes(count: u64, total_s: f64) -> String {
    format!("{count} ({total_s:.1} s)")
}

// --- Routes ------------------------------------------------------------------------------

/// A viewer's route in the dashboard: `STUN (udp)`, `TURN relay (udp)`. A viewer that reaches
/// its TURN server over TCP or TLS says so in its report (the studio sees only the relay's
/// UDP side): `TURN relay over TCP`.
pub fn format_route(route: Route, protocol: Option<&str>, viewer_turn: Option<TurnTransport>) -> String {
    match (route, viewer_turn) {
        (Route::Relay, Some(TurnTransport::Tcp)) => "TURN relay over TCP".to_owned(),
        (Route::Relay, Some(TurnTransport::Tls)) => "TURN relay over TLS".to_owned(),
        (_, _) => match protocol {
            Some(p) => format!("{} ({p})", route.label()),
            None => route.label().to_owned(),
        },
    }
}

/// The studio's capacity line. Through the relay the streamer uploads one copy whatever the
/// audience, so the uplink estimate (a per-viewer share of it) says nothing there.
pub fn capacity_sentence(capacity: Option<u32>, live: bool, through_relay: bool) -> String {
    match (capacity, live, through_relay) {
        (_, false, _) => "Go live to see how many viewers your connection can serve.".to_owned(),
        (_, true, true) => "Your upload carries one copy: the relay serves every viewer, however many join.".to_owned(),
        (None, true, false) => "Estimating how many more viewers can join…".to_owned(),
        (Some(0), true, false) => "Your upload is full: new viewers would lower everyone's quality.".to_owned(),
        (Some(n), true, false) => format!("≈ {n} more viewers can join at this quality"),
    }
}

// --- The external encoder --------------------------------------------------------------

/// A share of packets lost (0..=1) as a percentage: `0.2 %`.
pub fn format_loss_fraction(fraction: f64) -> String {
    format!("{:.1} %", (fraction * 100.0).clamp(0.0, 100.0))
}

/// A secret as shown while hidden: as many dots as it has characters (within a line's
/// worth), so a shared screen shows that a key is there without showing it.
pub fn masked(secret: &str) -> String {
    "•".repeat(secret.chars().count().clamp(8, 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_in_words() {
        assert_eq!(format_route(Route::Srflx, Some("udp"), None), "STUN (udp)");
        assert_eq!(format_route(Route::Host, None, None), "direct");
        assert_eq!(format_route(Route::Relay, Some("udp"), Some(TurnTransport::Udp)), "TURN relay (udp)");
        assert_eq!(format_route(Route::Relay, Some("udp"), Some(TurnTransport::Tcp)), "TURN relay over TCP");
        assert_eq!(format_route(Route::Relay, Some("udp"), Some(TurnTransport::Tls)), "TURN relay over TLS");
        assert_eq!(
            format_route(Route::Srflx, Some("udp"), Some(TurnTransport::Tcp)),
            "STUN (udp)",
            "the studio's own path"
        );
    }

    #[test]
    fn format_kbps_cases() {
        assert_eq!(format_kbps(850.0), "850 kbit/s");
        assert_eq!(format_kbps(487.87), "488 kbit/s");
        assert_eq!(format_kbps(999.4), "999 kbit/s");
        assert_eq!(format_kbps(999.6), "1.0 Mbit/s");
        assert_eq!(format_kbps(1234.0), "1.2 Mbit/s");
        assert_eq!(format_kbps(12_345.0), "12.3 Mbit/s");
        assert_eq!(format_kbps(99_960.0), "100 Mbit/s");
        assert_eq!(format_kbps(150_000.0), "150 Mbit/s");
        assert_eq!(format_kbps(2_500_000.0), "2.5 Gbit/s");
        assert_eq!(format_kbps(0.0), "0 kbit/s");
        assert_eq!(format_kbps(0.4), "0 kbit/s");
        assert_eq!(format_kbps(-0.0), "0 kbit/s");
        assert_eq!(format_kbps(-12.0), "0 kbit/s");
        assert_eq!(format_kbps(f64::NAN), "–");
        assert_eq!(format_kbps(f64::INFINITY), "–");
    }

    #[test]
    fn elapsed_and_whole_seconds_truncate_and_never_go_negative() {
        assert_eq!(elapsed_s(1_000.0, 43_999.0), 42);
        assert_eq!(elapsed_s(5_000.0, 1_000.0), 0);
        assert_eq!(elapsed_s(0.0, f64::NAN), 0);
        assert_eq!(whole_seconds(59_999), 59);
        assert_eq!(whole_seconds(-5), 0);
    }

    #[test]
    fn format_duration_hms_cases() {
        assert_eq!(format_duration_hms(0), "0:00");
        assert_eq!(format_duration_hms(42), "0:42");
        assert_eq!(format_duration_hms(60), "1:00");
        assert_eq!(format_duration_hms(725), "12:05");
        assert_eq!(format_duration_hms(3599), "59:59");
        assert_eq!(format_duration_hms(3600), "1:00:00");
        assert_eq!(format_duration_hms(3723), "1:02:03");
        assert_eq!(format_duration_hms(100 * 3600 + 1), "100:00:01");
    }

    #[test]
    fn durations_read_naturally() {
        let words = |ms| format_duration_words(whole_seconds(ms));
        assert_eq!(words(0), "0 s");
        assert_eq!(words(59_999), "59 s");
        assert_eq!(words(60_000), "1 min 0 s");
        assert_eq!(words(725_000), "12 min 5 s");
        assert_eq!(words(7_500_000), "2 h 05 min");
        assert_eq!(words(-5), "0 s");
    }

    #[test]
    fn times_are_utc_dates_across_leap_days_and_before_1970() {
        assert_eq!(format_utc_date_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc_date_time(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_utc_date_time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc_date_time(4_102_444_799_000), "2099-12-31 23:59 UTC");
        assert_eq!(format_utc_date_time(-1_000), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn clock_times_name_the_day_only_when_it_changed() {
        let start = 1_700_000_000_000; // 2023-11-14 22:13:20
        assert_eq!(format_utc_time_of_day(start + 1_000, start), "22:13:21");
        assert_eq!(format_utc_time_of_day(start + 2 * 3_600_000, start), "2023-11-15 00:13:20");
    }

    #[test]
    fn dashboard_figures() {
        assert_eq!(format_ms(41.6), "42 ms");
        assert_eq!(format_ms(0.0), "0 ms");
        assert_eq!(format_resolution(640, 480), "640×480");
        assert_eq!(format_freezes(2, 1.54), "2 (1.5 s)");
        assert_eq!(format_freezes(0, 0.0), "0 (0.0 s)");
    }

    #[test]
    fn loss_shares_read_as_percentages() {
        assert_eq!(format_loss_fraction(0.002), "0.2 %");
        assert_eq!(format_loss_fraction(0.0), "0.0 %");
        assert_eq!(format_loss_fraction(3.0), "100.0 %");
    }

    #[test]
    fn the_capacity_line_through_the_relay_does_not_wait_for_an_uplink_estimate() {
        assert!(capacity_sentence(None, true, true).contains("relay serves every viewer"));
        assert!(capacity_sentence(Some(0), true, true).contains("relay serves every viewer"));
        assert_eq!(capacity_sentence(None, true, false), "Estimating how many more viewers can join…");
        assert_eq!(capacity_sentence(Some(3), true, false), "≈ 3 more viewers can join at this quality");
        assert!(capacity_sentence(Some(0), true, false).starts_with("Your upload is full"));
        assert!(capacity_sentence(Some(3), false, true).starts_with("Go live"));
    }

    #[test]
    fn the_mask_hides_every_character() {
        let key = "0123456789abcdef0123456789abcdef";
        assert!(!masked(key).contains('0'));
        assert_eq!(masked(key).chars().count(), 32);
        assert_eq!(masked("ab").chars().count(), 8);
        assert_eq!(masked(&"k".repeat(64)).chars().count(), 32);
    }
}
