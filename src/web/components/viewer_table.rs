//! The studio's list of viewers: one row per peer connection, each cell following its own
//! signal so a stats tick updates numbers in place without re-rendering the table.

use crate::protocol::ViewerId;
use crate::stats::SenderQuality;
use crate::web::components::line_chart::LineChart;
use crate::web::format::{
    elapsed_s, format_duration_hms, format_freezes, format_kbps, format_ms, format_resolution, format_route,
};
use crate::web::view_state::{ViewerRow, SPARK_SAMPLES};
use leptos::prelude::*;

const DASH: &str = "—";

#[component]
pub fn ViewerTable(
    rows: RwSignal<Vec<ViewerRow>>,
    /// Wall-clock ms, for "connected for".
    now_ms: RwSignal<f64>,
    /// Takes a viewer off the live.
    on_remove: Callback<ViewerId>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="viewers">
                <thead>
                    <tr>
                        <th scope="col">"Viewer"</th>
                        <th scope="col">"For"</th>
                        <th scope="col">"Connection"</th>
                        <th scope="col" class="num">"Bitrate"</th>
                        <th scope="col" class="num">"FPS sent"</th>
                        <th scope="col" class="num">"Resolution"</th>
                        <th scope="col" class="num">"RTT"</th>
                        <th scope="col" class="num">"Loss"</th>
                        <th scope="col">"Route"</th>
                        <th scope="col" class="num" title="What the viewer reports it plays">"FPS seen"</th>
                        <th scope="col" class="num" title="Video freezes the viewer saw">"Freezes"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|row| row.id.clone() let:row>
                        <Row row=row now_ms=now_ms on_remove=on_remove/>
                    </For>
                </tbody>
            </table>
        </div>
        <Show when=move || rows.with(Vec::is_empty)>
            <p class="empty">"No one is watching yet. Share the watch link to invite viewers."</p>
        </Show>
    }
}

#[component]
fn Row(row: ViewerRow, now_ms: RwSignal<f64>, on_remove: Callback<ViewerId>) -> impl IntoView {
    let ViewerRow { sent, seen, state, ice_state, rtt_history, joined_ms, via_relay, no_relay_route, .. } = row.clone();
    let num = |v: Option<f64>, digits: usize| v.map_or_else(|| DASH.to_owned(), |v| format!("{v:.digits$}"));
    let kbps = move || sent.with(|q| q.as_ref().and_then(SenderQuality::total_kbps));
    let id = row.id.clone();
    view! {
        <tr
            data-testid="viewer-row"
            data-viewer-id=row.id.0.clone()
            data-state=move || state.get().as_str()
            data-path=move || if via_relay.get() { "relay" } else { "p2p" }
            data-no-relay-route=move || no_relay_route.get().then_some("true")
        >
            <td class="name">{row.display_name()}</td>
            <td class="num">{move || format_duration_hms(elapsed_s(joined_ms, now_ms.get()))}</td>
            <td>
                <span class="badge" data-state=move || state.get().as_str() title=move || format!("ICE: {}", ice_state.get().as_str())>
                    <span class="badge-dot" aria-hidden="true"></span>
                    {move || if via_relay.get() {
                        "Via relay"
                    } else if no_relay_route.get() {
                        "Cannot connect: no relay route"
                    } else {
                        state.get().label()
                    }}
                </span>
            </td>
            <td class="num" data-testid="row-bitrate" data-kbps=move || kbps().map(|k| format!("{k:.0}"))>
                {move || kbps().map_or_else(|| DASH.to_owned(), format_kbps)}
            </td>
            <td class="num">{move || sent.with(|q| num(q.as_ref().and_then(|q| q.fps), 0))}</td>
            <td class="num">
                {move || sent.with(|q| match q.as_ref().and_then(|q| q.width.zip(q.height)) {
                    Some((w, h)) => format_resolution(w, h),
                    None => DASH.to_owned(),
                })}
            </td>
            <td class="num">
                <span class="rtt">
                    {move || sent.with(|q| q.as_ref().and_then(|q| q.rtt_ms).map_or_else(|| DASH.to_owned(), format_ms))}
                    <LineChart values=rtt_history slots=SPARK_SAMPLES height=20.0 floor=10.0 label="Round-trip time, last minute" class="spark"/>
                </span>
            </td>
            <td class="num">{move || sent.with(|q| q.as_ref().and_then(|q| q.loss_pct).map_or_else(|| DASH.to_owned(), |l| format!("{l:.1} %")))}</td>
            <td data-testid="row-route">
                {move || sent.with(|q| match q.as_ref().and_then(|q| q.route) {
                    Some(route) => {
                        let viewer_turn = seen.with(|r| r.as_ref().and_then(|r| r.turn_transport));
                        format_route(route, q.as_ref().and_then(|q| q.protocol.as_deref()), viewer_turn)
                    }
                    None => DASH.to_owned(),
                })}
            </td>
            <td class="num" data-testid="row-viewer-fps" data-fps=move || seen.with(|r| r.as_ref().and_then(|r| r.fps).map(|f| format!("{f:.1}")))>
                {move || seen.with(|r| num(r.as_ref().and_then(|r| r.fps), 0))}
            </td>
            <td class="num">
                {move || seen.with(|r| match r.as_ref() {
                    Some(r) => format_freezes(r.freeze_count.unwrap_or(0), r.total_freezes_duration.unwrap_or(0.0)),
                    None => DASH.to_owned(),
                })}
            </td>
            <td>
                <button
                    class="button small ghost"
                    data-testid="remove-viewer"
                    title="Disconnect this viewer from this live"
                    on:click=move |_| on_remove.run(id.clone())
                >
                    "Remove"
                </button>
            </td>
        </tr>
    }
}
