//! The studio's once-a-second look at every viewer's connection: per-viewer figures from
//! `getStats()`, totals, chart series, the capacity estimate and warnings in words.

use crate::browser::rtc::peer::Peer;
use crate::protocol::ViewerId;
use crate::stats::{self, QualityLimitation, SenderQuality, SenderSample};
use crate::web::status::PeerState;
use crate::web::view_state::{push_capped, StudioView, CHART_SECONDS, SPARK_SAMPLES};
use leptos::prelude::*;
use std::collections::HashMap;
use std::rc::Rc;

/// A connection's first seconds are its congestion control ramping up: its figures say
/// little about the uplink, so the capacity estimate and warnings leave it out.
const SETTLING_MS: f64 = 10_000.0;

/// What one sampling round found, before it is shown.
#[derive(Default)]
struct Round {
    total_kbps: f64,
    /// Viewers connected long enough to judge the uplink by.
    settled: Vec<SenderQuality>,
}

/// Keeps the previous sample of each viewer, for bitrates from byte deltas.
#[derive(Default)]
pub struct Sampler {
    previous: HashMap<ViewerId, SenderSample>,
}

impl Sampler {
    pub fn forget(&mut self, id: &ViewerId) {
        self.previous.remove(id);
    }

    pub fn clear(&mut self) {
        self.previous.clear();
    }
}

/// Samples every peer once and updates the studio. Returns the capacity estimate.
pub async fn sample(
    view: StudioView,
    peers: Vec<(ViewerId, Rc<Peer>)>,
    sampler: &std::cell::RefCell<Sampler>,
) -> Option<u32> {
    let now = js_sys::Date::now();
    view.now_ms.set(now);
    let mut round = Round::default();
    for (id, peer) in peers {
        let Ok(json) = peer.stats_json().await else { continue };
        let Ok(sample) = stats::parse_sender(&json) else { continue };
        let previous = sampler.borrow_mut().previous.insert(id.clone(), sample.clone());
        let quality = stats::sender_quality(previous.as_ref(), &sample);
        round.total_kbps += quality.total_kbps().unwrap_or(0.0);
        let Some(row) = view.viewers.with_untracked(|rows| rows.iter().find(|r| r.id == id).cloned()) else { continue };
        if now - row.joined_ms >= SETTLING_MS {
            round.settled.push(quality.clone());
        }
        row.ice_state.set(peer.ice_connection_state());
        row.state.set(peer.connection_state());
        if let Some(rtt) = quality.rtt_ms {
            row.rtt_history.update(|h| push_capped(h, rtt, SPARK_SAMPLES));
        }
        row.sent.set(Some(quality));
    }
    let viewers = view.viewers.with_untracked(Vec::len);
    view.upload_kbps.set(Some(round.total_kbps));
    view.upload_history.update(|h| push_capped(h, round.total_kbps, CHART_SECONDS));
    view.viewer_history.update(|h| push_capped(h, viewers as f64, CHART_SECONDS));
    if viewers > view.peak_viewers.get_untracked() {
        view.peak_viewers.set(viewers);
    }
    let capacity = stats::capacity_from_qualities(&round.settled);
    view.capacity.set(capacity);
    view.warnings.set(warnings(view, &round));
    capacity
}

/// Whether at least half of the settled viewers are limited by `reason`.
fn mostly_limited(round: &Round, reason: QualityLimitation) -> bool {
    let limited = round.settled.iter().filter(|q| q.limitation == Some(reason)).count();
    limited > 0 && limited * 2 >= round.settled.len()
}

fn warnings(view: StudioView, round: &Round) -> Vec<String> {
    let mut out = Vec::new();
    if view.controls.camera_ended.get_untracked() {
        out.push("Your camera stopped sending video (unplugged, or taken by another application). Pick a camera again below.".to_owned());
    }
    if mostly_limited(round, QualityLimitation::Bandwidth) {
        out.push("Your upload is saturated: most viewers get lower quality. Pause other uploads, or limit the number of viewers.".to_owned());
    }
    if mostly_limited(round, QualityLimitation::Cpu) {
        out.push("Your computer is too busy to encode video for every viewer at full quality.".to_owned());
    }
    let no_route = view.viewers.with_untracked(|rows| rows.iter().filter(|r| r.no_relay_route.get_untracked()).count());
    if no_route > 0 {
        let who = if no_route == 1 { "This viewer".to_owned() } else { format!("{no_route} viewers") };
        out.push(format!(
            "{who} cannot connect: no relay route. Its network blocks direct connections and it got no TURN relay (set --turn-secret and a turn: --ice-server)."
        ));
    }
    let failed = view.viewers.with_untracked(|rows| {
        rows.iter()
            .filter(|r| r.state.get_untracked() == PeerState::Failed && !r.no_relay_route.get_untracked())
            .count()
    });
    if failed > 0 {
        let who = if failed == 1 { "One viewer".to_owned() } else { format!("{failed} viewers") };
        out.push(format!(
            "{who} could not connect. Viewers behind strict firewalls need a TURN relay (see --ice-server)."
        ));
    }
    out
}
