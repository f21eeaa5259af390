//! The watch page's "stats for nerds": what this browser receives, from its `getStats()`.

use crate::stats::ReceiverQuality;
use crate::web::format::{format_freezes, format_kbps, format_ms, format_resolution};
use leptos::prelude::*;

#[component]
pub fn StatsOverlay(stats: RwSignal<Option<ReceiverQuality>>) -> impl IntoView {
    let field = move |f: fn(&ReceiverQuality) -> Option<String>| {
        move || stats.with(|s| s.as_ref().and_then(f)).unwrap_or_else(|| "—".to_owned())
    };
    view! {
        <dl class="stats-overlay" data-testid="stats-overlay">
            <dt>"Bitrate"</dt>
            <dd data-testid="stats-bitrate" data-kbps=move || stats.with(|s| s.as_ref().and_then(|q| q.kbps).map(|k| format!("{k:.0}")))>
                {field(|q| q.kbps.map(format_kbps))}
            </dd>
            <dt>"Frames"</dt>
            <dd>{field(|q| q.fps.map(|f| format!("{f:.0} fps")))}</dd>
            <dt>"Resolution"</dt>
            <dd>{field(|q| q.width.zip(q.height).map(|(w, h)| format_resolution(w, h)))}</dd>
            <dt>"Round trip"</dt>
            <dd>{field(|q| q.rtt_ms.map(format_ms))}</dd>
            <dt>"Packets lost"</dt>
            <dd>{field(|q| q.packets_lost.map(|p| p.to_string()))}</dd>
            <dt>"Jitter buffer"</dt>
            <dd>{field(|q| q.jitter_buffer_delay_ms.map(format_ms))}</dd>
            <dt>"Freezes"</dt>
            <dd>{field(|q| q.freeze_count.map(|n| format_freezes(n, q.total_freezes_duration_s.unwrap_or(0.0))))}</dd>
        </dl>
    }
}
