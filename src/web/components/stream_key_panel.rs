//! The studio's stream key panel: the WHIP URL and the (masked) stream key to paste into OBS or
//! ffmpeg, a Copy button for each, Rotate, and how to set up OBS.

use crate::web::format::masked;
use crate::web::view_state::{CopyTarget, StreamKeyView};
use leptos::prelude::*;

#[component]
pub fn StreamKeyPanel(panel: StreamKeyView, copy: Callback<CopyTarget>, rotate: Callback<()>) -> impl IntoView {
    let StreamKeyView { whip_url, key, shown, note, busy } = panel;
    let key_text = move || match (key.get(), shown.get()) {
        (Some(k), true) => k,
        (Some(k), false) => masked(&k),
        (None, _) => "—".to_owned(),
    };
    view! {
        <section class="card stream-key" data-testid="stream-key-panel" aria-labelledby="stream-key-title">
            <h2 id="stream-key-title">"Stream from OBS or ffmpeg"</h2>
            <dl class="stream-key-fields">
                <dt>"WHIP URL"</dt>
                <dd>
                    <code data-testid="whip-url">{move || whip_url.get().unwrap_or_else(|| "—".to_owned())}</code>
                    <button class="button small" data-testid="copy-whip-url" disabled=move || whip_url.with(Option::is_none) on:click=move |_| copy.run(CopyTarget::WhipUrl)>"Copy"</button>
                </dd>
                <dt>"Stream key"</dt>
                <dd>
                    <code data-testid="stream-key" data-shown=move || shown.get().to_string()>{key_text}</code>
                    <button class="button small ghost" data-testid="show-stream-key" aria-pressed=move || shown.get().to_string() on:click=move |_| shown.update(|s| *s = !*s)>
                        {move || if shown.get() { "Hide" } else { "Show" }}
                    </button>
                    <button class="button small" data-testid="copy-stream-key" disabled=move || key.with(Option::is_none) on:click=move |_| copy.run(CopyTarget::StreamKey)>"Copy"</button>
                    <button class="button small danger" data-testid="rotate-stream-key" disabled=move || busy.get() || key.with(Option::is_none) on:click=move |_| rotate.run(()) title="A new key; a live from OBS or ffmpeg with the current one ends">"Rotate"</button>
                </dd>
            </dl>
            <p class="note" role="status" data-testid="stream-key-note">{move || note.get()}</p>
            <p class="muted">"OBS: Settings → Stream → Service “WHIP”, Server = the WHIP URL, Bearer Token = the stream key."</p>
            <p class="muted">"Set the keyframe interval to 1 s (OBS: Settings → Output → Keyframe Interval; ffmpeg: -g at your frame rate) so viewers start within a second."</p>
        </section>
    }
}
