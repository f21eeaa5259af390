//! A whole `getStats()` report: its entries in report order, and finding the ones a sample needs.

use super::entries::{
    CandidatePair, CandidateType, CodecStats, IceCandidateStats, InboundRtp, MediaSourceStats, OutboundRtp,
    RemoteInboundRtp, StatsEntry, TransportStats,
};
use super::error::StatsError;
use super::route::Route;
use serde_json::Value;

/// A parsed stats report: the entries OnAir reads, in report order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub entries: Vec<StatsEntry>,
    /// The latest `timestamp` of any entry (milliseconds since the epoch), known or not.
    pub timestamp_ms: Option<f64>,
}

impl Report {
    /// Parses `JSON.stringify(Array.from(report.values()))`.
    pub fn parse(json: &str) -> Result<Report, StatsError> {
        let value: Value = serde_json::from_str(json).map_err(|e| StatsError::Json(e.to_string()))?;
        Report::from_value(&value)
    }

    /// Reads an already-parsed report: an array of entries, or an object of entries by id
    /// (`Object.fromEntries(report)`).
    pub fn from_value(value: &Value) -> Result<Report, StatsError> {
        match value {
            Value::Array(items) => Report::from_values(items.iter()),
            Value::Object(map) => Report::from_values(map.values()),
            Value::Null => Err(StatsError::NotAReport("null")),
            Value::Bool(_) => Err(StatsError::NotAReport("a boolean")),
            Value::Number(_) => Err(StatsError::NotAReport("a number")),
            Value::String(_) => Err(StatsError::NotAReport("a string")),
        }
    }

    /// Reads entries one by one. Unknown entry types become [`StatsEntry::Other`]; an entry
    /// of a known type whose fields have the wrong JSON type is an error naming it.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Result<Report, StatsError> {
        let mut report = Report::default();
        for (index, value) in values.into_iter().enumerate() {
            let entry = StatsEntry::from_value(value).map_err(|problem| StatsError::BadEntry {
                index,
                id: value.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                kind: value.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
                problem,
            })?;
            if let Some(t) = value.get("timestamp").and_then(Value::as_f64) {
                report.timestamp_ms = Some(report.timestamp_ms.map_or(t, |m| m.max(t)));
            }
            report.entries.push(entry);
        }
        Ok(report)
    }

    pub fn outbound_rtp(&self) -> impl Iterator<Item = &OutboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::OutboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn remote_inbound_rtp(&self) -> impl Iterator<Item = &RemoteInboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::RemoteInboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn inbound_rtp(&self) -> impl Iterator<Item = &InboundRtp> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::InboundRtp(x) => Some(x),
            _ => None,
        })
    }

    pub fn candidate_pairs(&self) -> impl Iterator<Item = &CandidatePair> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::CandidatePair(x) => Some(x),
            _ => None,
        })
    }

    pub fn transports(&self) -> impl Iterator<Item = &TransportStats> {
        self.entries.iter().filter_map(|e| match e {
            StatsEntry::Transport(x) => Some(x),
            _ => None,
        })
    }

    pub fn local_candidate(&self, id: &str) -> Option<&IceCandidateStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::LocalCandidate(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn remote_candidate(&self, id: &str) -> Option<&IceCandidateStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::RemoteCandidate(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn codec(&self, id: &str) -> Option<&CodecStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::Codec(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    pub fn media_source(&self, id: &str) -> Option<&MediaSourceStats> {
        self.entries.iter().find_map(|e| match e {
            StatsEntry::MediaSource(x) if x.id == id => Some(x),
            _ => None,
        })
    }

    /// The candidate pair media flows over: the transport's `selectedCandidatePairId`;
    /// failing that a pair that is `nominated` and `succeeded` (or Firefox's `selected`),
    /// the busiest one if there are several.
    pub fn selected_pair(&self) -> Option<&CandidatePair> {
        let by_transport = self.transports().find_map(|t| {
            let id = t.selected_candidate_pair_id.as_deref()?;
            self.candidate_pairs().find(|p| p.id == id)
        });
        by_transport.or_else(|| {
            self.candidate_pairs()
                .filter(|p| {
                    p.selected == Some(true) || (p.nominated == Some(true) && p.state.as_deref() == Some("succeeded"))
                })
                .max_by_key(|p| p.bytes_sent.unwrap_or(0).saturating_add(p.bytes_received.unwrap_or(0)))
        })
    }

    /// The route and transport protocol of the selected pair.
    pub fn path(&self) -> (Option<Route>, Option<String>) {
        let Some(pair) = self.selected_pair() else {
            return (None, None);
        };
        let local = pair.local_candidate_id.as_deref().and_then(|id| self.local_candidate(id));
        let remote = pair.remote_candidate_id.as_deref().and_then(|id| self.remote_candidate(id));
        let route =
            Route::from_candidate_types(local.and_then(|c| c.candidate_type), remote.and_then(|c| c.candidate_type));
        let protocol = local.and_then(|c| c.protocol.clone()).or_else(|| remote.and_then(|c| c.protocol.clone()));
        let protocol = match (protocol, local.and_then(|c| c.relay_protocol.as_deref())) {
            (Some(p), Some(relay)) if route == Some(Route::Relay) => Some(format!("{p} via TURN/{relay}")),
            (Some(p), _) => Some(p),
            (None, Some(relay)) if route == Some(Route::Relay) => Some(format!("TURN/{relay}")),
            (None, _) => None,
        };
        (route, protocol)
    }

    /// How this side reaches its TURN server (`relayProtocol`), when the selected pair's
    /// local candidate is a relay one.
    pub fn turn_relay_protocol(&self) -> Option<&str> {
        let pair = self.selected_pair()?;
        let local = self.local_candidate(pair.local_candidate_id.as_deref()?)?;
        local.relay_protocol.as_deref().filter(|_| local.candidate_type == Some(CandidateType::Relay))
    }

    /// The `mimeType` of the codec an RTP stream names by `codecId`.
    pub(super) fn codec_mime(&self, codec_id: Option<&str>) -> Option<String> {
        codec_id.and_then(|id| self.codec(id)).and_then(|c| c.mime_type.clone())
    }
}
