//! The studio's panel while an external encoder is live: from what, and what the relay measures
//! of the incoming stream (bitrate, frame rate, resolution, codec, packet loss).

use crate::protocol::IngestReport;
use crate::web::format::{format_kbps, format_loss_fraction, format_resolution};
use crate::web::view_state::ExternalLive;
use leptos::prelude::*;

const DASH: &str = "—";

/// "Live from OBS Studio 30.2 (WHIP)".
pub fn live_from(live: &ExternalLive) -> String {
    format!("Live from {} (WHIP)", live.client)
}

/// Why this tab cannot go live while `client` is: one live at a time on a server.
pub fn go_live_refusal(client: &str) -> String {
    format!("{client} is live on this server (WHIP). End that live first to go live from this tab.")
}

#[component]
pub fn ExternalLivePanel(
    external: RwSignal<Option<ExternalLive>>,
    ingest: RwSignal<Option<IngestReport>>,
) -> impl IntoView {
    let figure =
        move |f: fn(&IngestReport) -> String| move || ingest.with(|r| r.as_ref().map_or_else(|| DASH.to_owned(), f));
    view! {
        <Show when=move || external.with(Option::is_some)>
            <div class="external-live" data-testid="external-live">
                <p class="external-client" data-testid="external-client">
                    {move || external.with(|e| e.as_ref().map(live_from))}
                </p>
                <p class="muted" data-testid="go-live-refusal">
                    {move || external.with(|e| e.as_ref().map(|e| go_live_refusal(&e.client)))}
                </p>
                <dl class="ingest-figures">
                    <div><dt>"Incoming"</dt><dd data-testid="ingest-bitrate">{figure(|r| format_kbps(r.bitrate_kbps))}</dd></div>
                    <div><dt>"Frame rate"</dt><dd data-testid="ingest-fps">{figure(|r| format!("{:.0} fps", r.frames_per_second))}</dd></div>
                    <div>
                        <dt>"Resolution"</dt>
                        <dd data-testid="ingest-resolution">
                            {figure(|r| if r.width == 0 { DASH.to_owned() } else { format_resolution(r.width, r.height) })}
                        </dd>
                    </div>
                    <div>
                        <dt>"Codec"</dt>
                        <dd data-testid="ingest-codec">
                            {move || ingest.with(|r| r.as_ref().map(|r| r.codec)).or_else(|| external.with(|e| e.as_ref().map(|e| e.codec))).map_or(DASH, |c| c.words())}
                        </dd>
                    </div>
                    <div><dt>"Packet loss"</dt><dd data-testid="ingest-loss">{figure(|r| format_loss_fraction(r.packet_loss))}</dd></div>
                </dl>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::VideoCodec;

    #[test]
    fn the_studio_names_the_encoder_it_is_live_from() {
        let live = ExternalLive { client: "OBS Studio 30.2".into(), codec: VideoCodec::H264 };
        assert_eq!(live_from(&live), "Live from OBS Studio 30.2 (WHIP)");
        assert_eq!(
            go_live_refusal("ffmpeg"),
            "ffmpeg is live on this server (WHIP). End that live first to go live from this tab."
        );
    }
}
