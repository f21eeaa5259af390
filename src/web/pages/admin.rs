//! `/admin`: the studio. Go live, watch the health of the broadcast, manage viewers.

use crate::web::components::external_live::ExternalLivePanel;
use crate::web::components::line_chart::LineChart;
use crate::web::components::status_badge::StatusBadge;
use crate::web::components::stream_key_panel::StreamKeyPanel;
use crate::web::components::viewer_table::ViewerTable;
use crate::web::format::{capacity_sentence, elapsed_s, format_duration_hms};
use crate::web::routes::{endpoint, Page};
use crate::web::status::BroadcastStatus;
use crate::web::view_state::{StudioCommands, StudioView, CHART_SECONDS};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let studio = StudioView::new();
    let controls = studio.controls;

    let commands = StudioCommands::for_page(studio);
    let go_live = move |_| commands.go_live.run(());
    let end_live = move |_| commands.end_live.run(());
    let toggle_mic = move |_| commands.toggle_mic.run(());
    let toggle_camera = move |_| commands.toggle_camera.run(());
    let toggle_share = move |_| commands.toggle_share.run(());
    let pick_camera = move |ev: leptos::ev::Event| commands.pick_camera.run(event_target_value(&ev));

    let status = studio.status;
    let is_off = move || status.get() == BroadcastStatus::Off;
    // OBS or ffmpeg is live on this server (and this tab is not).
    let external_live = move || is_off() && studio.external.with(Option::is_some);
    let badge_state = move || if external_live() { "live" } else { status.get().as_str() };
    let badge_label = move || if external_live() { "Live (WHIP)" } else { status.get().label() };
    let live_for =
        move || studio.live_since_ms.get().map(|since| format_duration_hms(elapsed_s(since, studio.now_ms.get())));
    view! {
        <Title text="Studio · OnAir"/>
        <section class="studio">
            <div class="studio-main">
                <div class="stage" data-state=move || status.get().as_str()>
                    <video data-testid="preview" node_ref=studio.preview autoplay playsinline muted></video>
                    <Show when=is_off>
                        <div class="stage-overlay">
                            <Show when=external_live fallback=|| view! { <p>"Your camera preview appears here when you go live."</p> }>
                                <ExternalLivePanel external=studio.external ingest=studio.ingest/>
                            </Show>
                        </div>
                    </Show>
                </div>
                <div class="studio-bar">
                    <StatusBadge
                        testid="broadcast-status"
                        state=Signal::derive(badge_state)
                        label=Signal::derive(badge_label)
                    />
                    <Show
                        when=move || is_off() && !external_live()
                        fallback=move || view! {
                            <button class="button danger" on:click=end_live>"End live"</button>
                        }
                    >
                        <button class="button primary" on:click=go_live disabled=move || studio.busy.get()>
                            {move || if studio.busy.get() { "Starting…" } else { "Go live" }}
                        </button>
                    </Show>
                </div>
                <Show when=move || !is_off()>
                    <div class="controls" role="group" aria-label="Camera and microphone">
                        <button class="button small" data-testid="toggle-mic" aria-pressed=move || (!controls.mic_on.get()).to_string() on:click=toggle_mic>
                            {move || if controls.mic_on.get() { "Mute microphone" } else { "Unmute microphone" }}
                        </button>
                        <button class="button small" data-testid="toggle-camera" aria-pressed=move || (!controls.camera_on.get()).to_string() on:click=toggle_camera>
                            {move || if controls.camera_on.get() { "Camera off" } else { "Camera on" }}
                        </button>
                        <label class="picker">
                            <span class="sr-only">"Camera"</span>
                            <select data-testid="camera-select" on:change=pick_camera disabled=move || controls.sharing_screen.get() || controls.cameras.with(|c| c.len() < 2)>
                                <For each=move || controls.cameras.get() key=|(id, _)| id.clone() let:camera>
                                    <option value=camera.0.clone() selected=move || controls.camera_id.get().as_deref() == Some(camera.0.as_str())>{camera.1.clone()}</option>
                                </For>
                            </select>
                        </label>
                        <button class="button small" data-testid="share-screen" aria-pressed=move || controls.sharing_screen.get().to_string() disabled=move || studio.busy.get() on:click=toggle_share>
                            {move || if controls.sharing_screen.get() { "Stop sharing" } else { "Share screen" }}
                        </button>
                    </div>
                </Show>
                <Show when=move || studio.message.with(Option::is_some)>
                    <p class="error" role="alert" data-testid="studio-message">{move || studio.message.get()}</p>
                </Show>
                <Show when=move || studio.warnings.with(|w| !w.is_empty())>
                    <ul class="warnings" role="alert" data-testid="warnings">
                        <For each=move || studio.warnings.get() key=|w| w.clone() let:warning>
                            <li>{warning}</li>
                        </For>
                    </ul>
                </Show>
            </div>
            <aside class="studio-side card">
                <div class="totals">
                    <div class="total">
                        <span class="total-label">"Watching"</span>
                        <strong class="count" data-testid="viewer-count">{move || studio.viewers.with(Vec::len)}</strong>
                    </div>
                    <div class="total">
                        <span class="total-label">"Upload"</span>
                        <strong
                            data-testid="upload-bitrate"
                            data-kbps=move || studio.upload_kbps.get().map(|k| format!("{k:.0}"))
                        >
                            {move || studio.upload_kbps.get().map_or_else(|| "—".to_owned(), |k| format!("{k:.0} kbit/s"))}
                        </strong>
                    </div>
                    <div class="total">
                        <span class="total-label">"Live for"</span>
                        <strong data-testid="live-duration">{move || live_for().unwrap_or_else(|| "—".to_owned())}</strong>
                    </div>
                    <div class="total">
                        <span class="total-label">"Peak"</span>
                        <strong data-testid="peak-viewers">{move || studio.peak_viewers.get()}</strong>
                    </div>
                </div>
                <p class="media-path" data-testid="media-path" data-path=move || if studio.relay.with(Option::is_some) || external_live() { "relay" } else { "p2p" }>
                    {move || match studio.relay.get() {
                        Some(reason) => format!("Through the relay: {reason}. You upload once; the server sends to every viewer."),
                        None if external_live() => "Through the relay: your encoder uploads once; the server sends to every viewer.".to_owned(),
                        None => "Peer to peer: your browser sends to each viewer.".to_owned(),
                    }}
                </p>
                <p class="capacity" data-testid="capacity">
                    {move || capacity_sentence(
                        studio.capacity.get(),
                        !is_off() || external_live(),
                        studio.relay.with(Option::is_some) || external_live(),
                    )}
                </p>
                <figure class="chart-box">
                    <figcaption>"Upload, last 5 minutes"</figcaption>
                    <LineChart values=studio.upload_history slots=CHART_SECONDS floor=100.0 label="Total upload bitrate over the last 5 minutes" testid="upload-chart"/>
                </figure>
                <figure class="chart-box">
                    <figcaption>"Viewers, last 5 minutes"</figcaption>
                    <LineChart values=studio.viewer_history slots=CHART_SECONDS floor=5.0 label="Viewer count over the last 5 minutes" testid="viewer-chart"/>
                </figure>
                <p class="muted">"Share the watch page: "<a href=Page::Watch.path() target="_blank" rel="external">{Page::Watch.path()}</a></p>
                <p class="muted">"Past lives: "<a href=Page::History.path() target="_blank" rel="external" data-testid="history-link">"History"</a></p>
                <form method="post" action=endpoint::LOGOUT class="signout">
                    <button type="submit" class="button ghost">"Sign out"</button>
                </form>
            </aside>
        </section>
        <StreamKeyPanel panel=studio.stream_key copy=commands.copy rotate=commands.rotate_key/>
        <section class="card viewers-card">
            <h2>"Viewers"</h2>
            <ViewerTable rows=studio.viewers now_ms=studio.now_ms on_remove=commands.remove_viewer/>
        </section>
    }
}
