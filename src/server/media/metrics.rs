//! The relay's `/metrics` series (sessions, packets and bytes each way, sends, drops, keyframe
//! requests, the delay a frame spends in the relay, its lag and busy share, the players it
//! shed), registered in the server's registry.

use prometheus::{Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, Registry};

pub struct RelayMetrics {
    pub sessions: IntGauge,
    pub packets_in: IntCounter,
    pub bytes_in: IntCounter,
    pub packets_out: IntCounter,
    pub bytes_out: IntCounter,
    /// System calls that sent datagrams (one sends several with segmentation offload).
    pub sends: IntCounter,
    /// Datagrams from unknown senders or failing their check.
    pub dropped_in: IntCounter,
    /// Datagrams the socket refused (its send buffer was full).
    pub dropped_out: IntCounter,
    pub keyframe_requests: IntCounter,
    /// Sessions that panicked inside str0m and were dropped alone.
    pub panics: IntCounter,
    /// From a frame's last packet arriving to its hand-off to each viewer's session.
    pub forward_delay: Histogram,
    /// Share of the last second the relay's thread worked (not what overload is: `load.rs`).
    pub busy: Gauge,
    /// The longest the socket went without running empty in the last second: how far behind
    /// the relay fell.
    pub lag: Gauge,
    /// Players dropped because the relay was overloaded.
    pub shed: IntCounter,
}

impl RelayMetrics {
    /// Series registered in `registry` (the server's), or unregistered for tests and tools.
    pub fn new(registry: Option<&Registry>) -> Result<RelayMetrics, prometheus::Error> {
        let counter = |name: &str, help: &str| IntCounter::new(name, help);
        let m = RelayMetrics {
            sessions: IntGauge::new("onair_relay_sessions", "Relay sessions now (the publisher and every player).")?,
            packets_in: counter("onair_relay_packets_in_total", "UDP datagrams the relay received.")?,
            bytes_in: counter("onair_relay_bytes_in_total", "UDP bytes the relay received.")?,
            packets_out: counter("onair_relay_packets_out_total", "UDP datagrams the relay sent.")?,
            bytes_out: counter("onair_relay_bytes_out_total", "UDP bytes the relay sent.")?,
            sends: counter(
                "onair_relay_sends_total",
                "System calls that sent datagrams (with segmentation offload, one carries several).",
            )?,
            dropped_in: counter(
                "onair_relay_dropped_in_total",
                "Datagrams dropped on arrival: unknown sender or a failed ICE check.",
            )?,
            dropped_out: counter(
                "onair_relay_dropped_out_total",
                "Datagrams lost because the socket's buffer was full.",
            )?,
            keyframe_requests: counter(
                "onair_relay_keyframe_requests_total",
                "Keyframe requests sent to the publisher.",
            )?,
            panics: counter("onair_relay_session_panics_total", "Relay sessions dropped after a panic inside str0m.")?,
            busy: Gauge::new(
                "onair_relay_busy_ratio",
                "Share of the last second the relay's thread was working (not waiting for datagrams or timers).",
            )?,
            lag: Gauge::new(
                "onair_relay_lag_seconds",
                "The longest the relay's socket went without running empty in the last second: how far behind it fell (from 0.2 it refuses new players; 0.4 for 3 s in a row sheds the newest).",
            )?,
            shed: counter("onair_relay_players_shed_total", "Players the relay dropped because it was overloaded.")?,
            forward_delay: Histogram::with_opts(
                HistogramOpts::new(
                    "onair_relay_forward_delay_seconds",
                    "Time from a frame's arrival to its hand-off to each viewer's session.",
                )
                .buckets(vec![0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]),
            )?,
        };
        if let Some(r) = registry {
            r.register(Box::new(m.sessions.clone()))?;
            for c in [
                &m.packets_in,
                &m.bytes_in,
                &m.packets_out,
                &m.bytes_out,
                &m.sends,
                &m.dropped_in,
                &m.dropped_out,
                &m.keyframe_requests,
                &m.panics,
                &m.shed,
            ] {
                r.register(Box::new(c.clone()))?;
            }
            r.register(Box::new(m.forward_delay.clone()))?;
            r.register(Box::new(m.busy.clone()))?;
            r.register(Box::new(m.lag.clone()))?;
        }
        Ok(m)
    }
}
