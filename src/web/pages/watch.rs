//! `/watch`: the player. It connects by itself, waits while offline and comes back on its own.

use crate::web::components::stats_overlay::StatsOverlay;
use crate::web::components::status_badge::StatusBadge;
use crate::web::player_element::PLAYER_ELEMENT_ID;
use crate::web::status::StreamStatus;
use crate::web::view_state::{PlayerCommands, PlayerView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WatchPage() -> impl IntoView {
    let player = PlayerView::new();

    let commands = PlayerCommands::for_page(player);
    let play = move |_| commands.play.run(());
    let unmute = move |_| {
        player.muted.set(false);
        commands.play.run(());
    };

    let status = player.status;
    view! {
        <Title text="Watch · OnAir"/>
        <section class="watch">
            <div class="stage" data-state=move || status.get().as_str()>
                <video
                    id=PLAYER_ELEMENT_ID
                    data-testid="player"
                    node_ref=player.player
                    autoplay
                    playsinline
                    muted
                    prop:muted=move || player.muted.get()
                ></video>
                <Show when=move || status.get() != StreamStatus::Live>
                    <div class="stage-overlay">
                        <p data-testid="stream-message">{move || match status.get() {
                            StreamStatus::Offline => "The stream is offline. It starts here by itself when it goes live.".to_owned(),
                            StreamStatus::Reconnecting => "Connection lost. Reconnecting…".to_owned(),
                            StreamStatus::Full => "The stream is full right now. You join by yourself as soon as there is room.".to_owned(),
                            StreamStatus::Removed => "The streamer removed you from this live. You can watch again when the next live starts.".to_owned(),
                            StreamStatus::Unplayable => player.problem.get().unwrap_or_else(|| StreamStatus::Unplayable.label().to_owned()),
                            StreamStatus::Unreachable => "Your network blocks the stream's connection, and the server offers no relay (TURN) to get around it. Try another network (or ask the streamer to set up TURN); this page keeps trying.".to_owned(),
                            _ => "Connecting to the stream…".to_owned(),
                        }}</p>
                    </div>
                </Show>
                <div class="stage-controls">
                    <Show when=move || player.needs_play.get()>
                        <button class="button primary" data-testid="play" on:click=play>"Play"</button>
                    </Show>
                    <Show when=move || player.muted.get()>
                        <button class="button" data-testid="unmute" on:click=unmute>"Unmute"</button>
                    </Show>
                </div>
                <Show when=move || player.show_stats.get()>
                    <StatsOverlay stats=player.stats/>
                </Show>
            </div>
            <div class="watch-bar">
                <StatusBadge
                    testid="stream-status"
                    state=Signal::derive(move || status.get().as_str())
                    label=Signal::derive(move || status.get().label())
                />
                <span class="muted" data-testid="watching">
                    {move || player.watching.get().map(|n| format!("{n} watching"))}
                </span>
                <button
                    class="button small ghost push-right"
                    data-testid="stats-toggle"
                    aria-pressed=move || if player.show_stats.get() { "true" } else { "false" }
                    on:click=move |_| player.show_stats.update(|s| *s = !*s)
                >
                    "Stats"
                </button>
            </div>
        </section>
    }
}
