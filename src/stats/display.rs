//! Figures for people: bitrates and durations.

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

/// A duration for people: `0:42`, `12:05`, `1:02:03`.
pub fn format_duration_s(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn format_duration_cases() {
        assert_eq!(format_duration_s(0), "0:00");
        assert_eq!(format_duration_s(42), "0:42");
        assert_eq!(format_duration_s(60), "1:00");
        assert_eq!(format_duration_s(725), "12:05");
        assert_eq!(format_duration_s(3599), "59:59");
        assert_eq!(format_duration_s(3600), "1:00:00");
        assert_eq!(format_duration_s(3723), "1:02:03");
        assert_eq!(format_duration_s(100 * 3600 + 1), "100:00:01");
    }
}
