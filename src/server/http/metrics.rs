//! `/metrics` in the Prometheus text format. The registry belongs to the app state, not to a
//! process-wide global, so several servers in one process (the integration tests) keep apart.

use crate::protocol::ErrorCode;
use crate::server::signaling::hub::HubEvent;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use std::sync::Arc;

pub struct Metrics {
    registry: Registry,
    viewers: IntGauge,
    streamer_connected: IntGauge,
    messages: IntCounterVec,
    error_replies: IntCounterVec,
    ws_opened: IntCounter,
    ws_closed: IntCounter,
    ws_refused: IntCounterVec,
    lives_started: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let viewers = IntGauge::new("onair_viewers", "Viewers connected now, live or waiting.")?;
        let streamer_connected =
            IntGauge::new("onair_streamer_connected", "1 while a streamer is connected (the stream is live), else 0.")?;
        let messages = IntCounterVec::new(
            Opts::new(
                "onair_signaling_messages_total",
                "Signaling messages by JSON type: decoded from clients (in) and queued to clients (out, one per recipient).",
            ),
            &["type", "direction"],
        )?;
        let error_replies = IntCounterVec::new(
            Opts::new("onair_error_replies_total", "Error messages sent to clients, by error code."),
            &["code"],
        )?;
        let ws_opened = IntCounter::new("onair_ws_connections_opened_total", "WebSocket connections opened on /ws.")?;
        let ws_closed = IntCounter::new("onair_ws_connections_closed_total", "WebSocket connections closed on /ws.")?;
        let ws_refused = IntCounterVec::new(
            Opts::new("onair_ws_upgrades_refused_total", "/ws upgrades refused before opening, by reason."),
            &["reason"],
        )?;
        let lives_started = IntCounter::new("onair_lives_started_total", "Times the stream went live.")?;
        registry.register(Box::new(viewers.clone()))?;
        registry.register(Box::new(streamer_connected.clone()))?;
        registry.register(Box::new(messages.clone()))?;
        registry.register(Box::new(error_replies.clone()))?;
        registry.register(Box::new(ws_opened.clone()))?;
        registry.register(Box::new(ws_closed.clone()))?;
        registry.register(Box::new(ws_refused.clone()))?;
        registry.register(Box::new(lives_started.clone()))?;
        Ok(Metrics {
            registry,
            viewers,
            streamer_connected,
            messages,
            error_replies,
            ws_opened,
            ws_closed,
            ws_refused,
            lives_started,
        })
    }

    /// Where other parts (the relay) register their series.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// A client message of JSON type `kind` was decoded.
    pub fn message_in(&self, kind: &'static str) {
        self.messages.with_label_values(&[kind, "in"]).inc();
    }

    /// A server message was queued to `recipients` connections. Errors also count by code.
    pub fn message_out(&self, kind: &'static str, error: Option<ErrorCode>, recipients: u64) {
        self.messages.with_label_values(&[kind, "out"]).inc_by(recipients);
        if let Some(code) = error {
            self.error_replies.with_label_values(&[code.as_str()]).inc_by(recipients);
        }
    }

    pub fn ws_opened(&self) {
        self.ws_opened.inc();
    }

    pub fn ws_closed(&self) {
        self.ws_closed.inc();
    }

    /// A `/ws` upgrade was refused: `origin`, `per_ip` or `shutdown`.
    pub fn ws_refused(&self, reason: &'static str) {
        self.ws_refused.with_label_values(&[reason]).inc();
    }

    /// Follows the hub: who is connected, whether the stream is live.
    pub fn observe(&self, event: &HubEvent) {
        match event {
            HubEvent::LiveStarted | HubEvent::ExternalLiveStarted { .. } => {
                self.lives_started.inc();
                self.streamer_connected.set(1);
            }
            HubEvent::LiveEnded => self.streamer_connected.set(0),
            HubEvent::ViewerJoined { .. } => self.viewers.inc(),
            HubEvent::ViewerLeft { .. } => self.viewers.dec(),
            // Counted by the `ViewerLeft` that comes with it.
            HubEvent::ViewerRemoved { .. } => {}
            HubEvent::IngestEndRequested => {}
        }
    }

    /// Every series in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }
}

/// `GET /metrics`.
pub async fn handler(State(metrics): State<Arc<Metrics>>) -> Response {
    match metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, TextEncoder::new().format_type().to_owned())], text).into_response(),
        Err(e) => {
            tracing::error!("cannot render the metrics: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("the metrics could not be rendered: {e}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ViewerId;

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
    }

    #[test]
    fn counts_show_up_in_the_text_format() {
        let m = Metrics::new().unwrap();
        m.message_in("viewer");
        m.message_in("viewer");
        m.message_out("viewerCount", None, 3);
        m.message_out("error", Some(ErrorCode::WrongRole), 1);
        m.ws_opened();
        m.ws_refused("origin");
        m.observe(&HubEvent::LiveStarted);
        m.observe(&HubEvent::ViewerJoined { viewer_id: ViewerId("a".into()), name: None });
        m.observe(&HubEvent::ViewerJoined { viewer_id: ViewerId("b".into()), name: None });
        m.observe(&HubEvent::ViewerLeft { viewer_id: ViewerId("a".into()) });
        let text = m.render().unwrap();
        assert_eq!(
            line(&text, r#"onair_signaling_messages_total{direction="in",type="viewer"}"#).unwrap().split(' ').nth(1),
            Some("2")
        );
        assert!(line(&text, r#"onair_signaling_messages_total{direction="out",type="viewerCount"}"#)
            .unwrap()
            .ends_with(" 3"));
        assert!(line(&text, r#"onair_error_replies_total{code="wrong_role"}"#).unwrap().ends_with(" 1"));
        assert!(line(&text, "onair_viewers").unwrap().ends_with(" 1"));
        assert!(line(&text, "onair_streamer_connected").unwrap().ends_with(" 1"));
        assert!(line(&text, "onair_lives_started_total").unwrap().ends_with(" 1"));
        assert!(line(&text, "onair_ws_connections_opened_total").unwrap().ends_with(" 1"));
        assert!(line(&text, "onair_ws_connections_closed_total").unwrap().ends_with(" 0"));
        assert!(line(&text, r#"onair_ws_upgrades_refused_total{reason="origin"}"#).unwrap().ends_with(" 1"));
        m.observe(&HubEvent::LiveEnded);
        assert!(line(&m.render().unwrap(), "onair_streamer_connected").unwrap().ends_with(" 0"));
    }

    #[test]
    fn two_registries_do_not_share_counts() {
        let a = Metrics::new().unwrap();
        let b = Metrics::new().unwrap();
        a.ws_opened();
        assert!(line(&b.render().unwrap(), "onair_ws_connections_opened_total").unwrap().ends_with(" 0"));
    }
}
