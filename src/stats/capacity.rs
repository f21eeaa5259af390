//! The capacity estimate: how many more viewers the studio's uplink could take.

use super::entries::QualityLimitation;
use super::quality::SenderQuality;

/// How many MORE viewers could join at the current per-viewer bitrate; `None` when there is
/// not enough data (no viewers, no bitrate yet, or no bandwidth estimate).
///
/// * `per_viewer_kbps`: what the studio currently sends to each viewer (video + audio).
///   Non-finite or negative values are ignored.
/// * `available_outgoing_kbps`: the uplink budget shared by all viewers: the *sum* of the
///   connections' `availableOutgoingBitrate` (see [`uplink_budget_kbps`]). Each is that
///   connection's congestion-control estimate of its path. When the studio's uplink is the
///   bottleneck the connections compete for it and converge to fair shares, whose sum is
///   the uplink; when it is not, each estimate exceeds what is sent, and the sum of the
///   headroom is real spare capacity.
/// * `bandwidth_limited_fraction`: the share of connections whose encoder reports
///   `qualityLimitationReason: bandwidth`. At 0.5 or more the uplink is already the
///   bottleneck and the answer is 0, whatever the estimate says.
///
/// Otherwise: `floor((budget - sum of current bitrates) / mean bitrate)`, at least 0.
///
/// Limits, so the number is read as a hint and not a promise:
/// * The estimate (Google congestion control in Chromium) only probes a little above what
///   is being sent, so it understates spare capacity when the encoder is not trying to
///   send more; it lags real changes by seconds.
/// * A connection still ramping up (its first seconds) estimates low; leave such viewers
///   out, or the answer dips at every join. Encoding costs CPU per viewer too (one encoder
///   per connection), which this ignores; `qualityLimitationReason: cpu` shows that instead.
/// * On loopback or a LAN the estimate is large, and so is the answer; that is expected.
pub fn capacity_estimate(
    per_viewer_kbps: &[f64],
    available_outgoing_kbps: Option<f64>,
    bandwidth_limited_fraction: f64,
) -> Option<u32> {
    let rates: Vec<f64> = per_viewer_kbps.iter().copied().filter(|r| r.is_finite() && *r >= 0.0).collect();
    if rates.is_empty() {
        return None;
    }
    if bandwidth_limited_fraction >= 0.5 {
        return Some(0);
    }
    let sum: f64 = rates.iter().sum();
    let mean = sum / rates.len() as f64;
    let budget = available_outgoing_kbps.filter(|b| b.is_finite() && *b >= 0.0)?;
    if mean <= 0.0 {
        return None;
    }
    let more = ((budget - sum) / mean).floor();
    Some(if more <= 0.0 {
        0
    } else if more >= u32::MAX as f64 {
        u32::MAX
    } else {
        more as u32
    })
}

/// The summed `availableOutgoingBitrate` (kbit/s) of the studio's connections: the uplink
/// budget when they share one bottleneck (see [`capacity_estimate`]).
pub fn uplink_budget_kbps(per_viewer_available_kbps: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    per_viewer_available_kbps
        .into_iter()
        .flatten()
        .filter(|b| b.is_finite())
        .fold(None, |sum: Option<f64>, b| Some(sum.unwrap_or(0.0) + b))
}

/// [`capacity_estimate`] from the studio's current per-viewer qualities: viewers without a
/// video rate yet are left out of the bitrates but count towards the limited fraction.
pub fn capacity_from_qualities(viewers: &[SenderQuality]) -> Option<u32> {
    if viewers.is_empty() {
        return None;
    }
    let rates: Vec<f64> = viewers.iter().filter_map(SenderQuality::total_kbps).collect();
    let limited = viewers.iter().filter(|q| q.limitation == Some(QualityLimitation::Bandwidth)).count();
    capacity_estimate(
        &rates,
        uplink_budget_kbps(viewers.iter().map(|q| q.available_outgoing_kbps)),
        limited as f64 / viewers.len() as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quality::sender_quality;
    use crate::stats::sample::parse_sender;
    use crate::stats::test_fixtures::{SENDER_1, SENDER_2};

    #[test]
    fn capacity_estimate_cases() {
        assert_eq!(capacity_estimate(&[], Some(10_000.0), 0.0), None, "no viewers");
        assert_eq!(capacity_estimate(&[500.0, 500.0], None, 0.0), None, "no estimate");
        assert_eq!(capacity_estimate(&[0.0, 0.0], Some(10_000.0), 0.0), None, "no bitrate yet");
        assert_eq!(capacity_estimate(&[f64::NAN], Some(10_000.0), 0.0), None);
        // (3000 - 1000) / 500.
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3000.0), 0.0), Some(4));
        // (3000 - 1000) / 500, floored.
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3499.0), 0.4), Some(4));
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(3000.0), 0.5), Some(0), "mostly bandwidth-limited");
        assert_eq!(capacity_estimate(&[400.0, 600.0], Some(900.0), 0.0), Some(0), "already over budget");
        assert_eq!(capacity_estimate(&[1e-9], Some(1e12), 0.0), Some(u32::MAX));
        assert_eq!(capacity_estimate(&[500.0, f64::INFINITY, -1.0], Some(1000.0), 0.0), Some(1));
        assert_eq!(uplink_budget_kbps([Some(3000.0), None, Some(2500.0)]), Some(5500.0));
        assert_eq!(uplink_budget_kbps([None, None]), None);
    }

    #[test]
    fn capacity_from_chromium_qualities() {
        let q = sender_quality(Some(&parse_sender(SENDER_1).unwrap()), &parse_sender(SENDER_2).unwrap());
        // 3816 kbit/s budget, 513 kbit/s per viewer: 6 more beside this one.
        assert_eq!(capacity_from_qualities(std::slice::from_ref(&q)), Some(6));
        // Two viewers at 513, each path estimated at 3816: 7632 - 1026 = 6606, over 513 = 12.9.
        assert_eq!(capacity_from_qualities(&[q.clone(), q.clone()]), Some(12));
        let limited = SenderQuality { limitation: Some(QualityLimitation::Bandwidth), ..q.clone() };
        assert_eq!(capacity_from_qualities(&[q.clone(), limited.clone()]), Some(0));
        assert_eq!(capacity_from_qualities(&[q.clone(), limited.clone(), q.clone()]), Some(19));
        // A first sample has no rate yet.
        assert_eq!(capacity_from_qualities(&[sender_quality(None, &parse_sender(SENDER_1).unwrap())]), None);
        assert_eq!(capacity_from_qualities(&[]), None);
    }
}
