//! What the studio and the watch page show (plain signals, rendered on the server too) and
//! what they can ask for (commands); the browser's sessions write the one and build the other.

use crate::protocol::{IngestReport, RelayReport, VideoCodec, ViewerId, ViewerReport};
use crate::stats::ReceiverQuality;
use crate::stats::SenderQuality;
use crate::web::status::{BroadcastStatus, IceState, PeerState, StreamStatus};
use leptos::html;
use leptos::prelude::*;

/// Seconds of history in the studio's charts.
pub const CHART_SECONDS: usize = 300;
/// RTT samples in each viewer's sparkline.
pub const SPARK_SAMPLES: usize = 60;

/// What the studio page shows; the broadcast session writes it.
#[derive(Clone, Copy)]
pub struct StudioView {
    pub status: RwSignal<BroadcastStatus>,
    /// An action (going live, ending) is under way: buttons are disabled.
    pub busy: RwSignal<bool>,
    /// A problem to show in words.
    pub message: RwSignal<Option<String>>,
    pub viewers: RwSignal<Vec<ViewerRow>>,
    pub preview: NodeRef<html::Video>,
    /// Wall-clock milliseconds, ticked every second while live (durations follow it).
    pub now_ms: RwSignal<f64>,
    pub live_since_ms: RwSignal<Option<f64>>,
    pub peak_viewers: RwSignal<usize>,
    /// Everything sent to all viewers, audio and video, in kbit/s.
    pub upload_kbps: RwSignal<Option<f64>>,
    /// One value per second, oldest first, at most [`CHART_SECONDS`].
    pub upload_history: RwSignal<Vec<f64>>,
    pub viewer_history: RwSignal<Vec<f64>>,
    /// How many more viewers the uplink can serve at this quality, when known.
    pub capacity: RwSignal<Option<u32>>,
    /// Problems the streamer should act on, in words.
    pub warnings: RwSignal<Vec<String>>,
    /// Why this live goes through the relay; `None` while peer to peer.
    pub relay: RwSignal<Option<String>>,
    /// An external encoder (OBS, ffmpeg over WHIP) is live: its name and codec.
    pub external: RwSignal<Option<ExternalLive>>,
    /// What the relay measures of the encoder's incoming stream.
    pub ingest: RwSignal<Option<IngestReport>>,
    pub stream_key: StreamKeyView,
    pub controls: MediaControls,
}

/// An external encoder's live, as the studio names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalLive {
    /// From its `User-Agent`: "OBS Studio 30.2", "ffmpeg".
    pub client: String,
    pub codec: VideoCodec,
}

/// The stream key panel: where OBS or ffmpeg publishes, with which key.
#[derive(Clone, Copy)]
pub struct StreamKeyView {
    pub whip_url: RwSignal<Option<String>>,
    pub key: RwSignal<Option<String>>,
    /// The key is shown in clear (it is masked by default: streamers share their screens).
    pub shown: RwSignal<bool>,
    /// What the last Copy or Rotate did, or why the key cannot be shown, in words.
    pub note: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
}

/// What a Copy button of the stream key panel copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyTarget {
    WhipUrl,
    StreamKey,
}

/// The studio's camera, microphone and screen-share switches.
#[derive(Clone, Copy)]
pub struct MediaControls {
    pub mic_on: RwSignal<bool>,
    pub camera_on: RwSignal<bool>,
    pub sharing_screen: RwSignal<bool>,
    /// (device id, label) of every camera, for the picker.
    pub cameras: RwSignal<Vec<(String, String)>>,
    pub camera_id: RwSignal<Option<String>>,
    /// The camera stopped by itself (unplugged, taken by another application).
    pub camera_ended: RwSignal<bool>,
}

impl StudioView {
    pub fn new() -> Self {
        StudioView {
            status: RwSignal::new(BroadcastStatus::Off),
            busy: RwSignal::new(false),
            message: RwSignal::new(None),
            viewers: RwSignal::new(Vec::new()),
            preview: NodeRef::new(),
            now_ms: RwSignal::new(0.0),
            live_since_ms: RwSignal::new(None),
            peak_viewers: RwSignal::new(0),
            upload_kbps: RwSignal::new(None),
            upload_history: RwSignal::new(Vec::new()),
            viewer_history: RwSignal::new(Vec::new()),
            capacity: RwSignal::new(None),
            warnings: RwSignal::new(Vec::new()),
            relay: RwSignal::new(None),
            external: RwSignal::new(None),
            ingest: RwSignal::new(None),
            stream_key: StreamKeyView {
                whip_url: RwSignal::new(None),
                key: RwSignal::new(None),
                shown: RwSignal::new(false),
                note: RwSignal::new(None),
                busy: RwSignal::new(false),
            },
            controls: MediaControls {
                mic_on: RwSignal::new(true),
                camera_on: RwSignal::new(true),
                sharing_screen: RwSignal::new(false),
                cameras: RwSignal::new(Vec::new()),
                camera_id: RwSignal::new(None),
                camera_ended: RwSignal::new(false),
            },
        }
    }

    /// Back to the state before going live.
    pub fn reset(&self) {
        self.live_since_ms.set(None);
        self.peak_viewers.set(0);
        self.upload_kbps.set(None);
        self.upload_history.set(Vec::new());
        self.viewer_history.set(Vec::new());
        self.capacity.set(None);
        self.warnings.set(Vec::new());
        self.relay.set(None);
        self.controls.mic_on.set(true);
        self.controls.camera_on.set(true);
        self.controls.sharing_screen.set(false);
        self.controls.camera_ended.set(false);
    }
}

impl Default for StudioView {
    fn default() -> Self {
        Self::new()
    }
}

/// What the watch page shows; the playback session writes it.
#[derive(Clone, Copy)]
pub struct PlayerView {
    pub status: RwSignal<StreamStatus>,
    /// Viewers connected, from the server's `viewerCount`.
    pub watching: RwSignal<Option<usize>>,
    /// The browser refused to start playback by itself: show a Play button.
    pub needs_play: RwSignal<bool>,
    pub muted: RwSignal<bool>,
    pub player: NodeRef<html::Video>,
    /// The "stats for nerds" overlay is open.
    pub show_stats: RwSignal<bool>,
    /// The latest inbound figures from `getStats()`.
    pub stats: RwSignal<Option<ReceiverQuality>>,
    /// Why the stream cannot play here, in the relay's words (with [`StreamStatus::Unplayable`]).
    pub problem: RwSignal<Option<String>>,
}

impl PlayerView {
    pub fn new() -> Self {
        PlayerView {
            status: RwSignal::new(StreamStatus::Connecting),
            watching: RwSignal::new(None),
            needs_play: RwSignal::new(false),
            muted: RwSignal::new(true),
            player: NodeRef::new(),
            show_stats: RwSignal::new(false),
            stats: RwSignal::new(None),
            problem: RwSignal::new(None),
        }
    }

    /// Shows what `earlier` shows (a playback that started before this page hydrated wrote
    /// it), and lets `earlier`'s signals go. The page hydrates with its first state, the one
    /// its HTML was rendered with, and changes to this once hydrated.
    pub fn take_over(self, earlier: PlayerView) {
        self.status.set(earlier.status.get_untracked());
        self.watching.set(earlier.watching.get_untracked());
        self.needs_play.set(earlier.needs_play.get_untracked());
        self.muted.set(earlier.muted.get_untracked());
        self.show_stats.set(earlier.show_stats.get_untracked());
        self.stats.set(earlier.stats.get_untracked());
        self.problem.set(earlier.problem.get_untracked());
        earlier.status.dispose();
        earlier.watching.dispose();
        earlier.needs_play.dispose();
        earlier.muted.dispose();
        earlier.show_stats.dispose();
        earlier.stats.dispose();
        earlier.problem.dispose();
    }
}

impl Default for PlayerView {
    fn default() -> Self {
        Self::new()
    }
}

/// What the studio page can ask of its broadcast session.
#[derive(Clone, Copy)]
pub struct StudioCommands {
    pub go_live: Callback<()>,
    pub end_live: Callback<()>,
    pub toggle_mic: Callback<()>,
    pub toggle_camera: Callback<()>,
    /// Shares the screen, or goes back to the camera.
    pub toggle_share: Callback<()>,
    /// Sends the camera with this device id.
    pub pick_camera: Callback<String>,
    /// Takes a viewer off the live.
    pub remove_viewer: Callback<ViewerId>,
    /// Puts the WHIP URL or the stream key on the clipboard.
    pub copy: Callback<CopyTarget>,
    /// Replaces the stream key (asks first: a live from it ends).
    pub rotate_key: Callback<()>,
}

/// What the watch page can ask of its playback session.
#[derive(Clone, Copy)]
pub struct PlayerCommands {
    /// Starts playback the browser refused to start by itself.
    pub play: Callback<()>,
}

/// How the studio page starts its session: provided as context by the browser with the
/// studio's code (which is loaded with the page). The server provides none, so rendered there
/// every command does nothing.
#[derive(Clone, Copy)]
pub struct StudioStarter(
    /// Starts what the studio page needs (it may go back on air by itself) and returns its
    /// commands; called once per page, inside it, so the session ends with the page.
    pub fn(StudioView) -> StudioCommands,
);

/// How the watch page starts its playback: provided as context by the browser before
/// hydrating; the server provides none.
#[derive(Clone, Copy)]
pub struct PlayerStarter(
    /// Starts playback for the watch page and returns its commands; ends with the page.
    pub fn(PlayerView) -> PlayerCommands,
);

impl StudioCommands {
    /// The commands of a studio page showing `view`.
    pub fn for_page(view: StudioView) -> Self {
        match use_context::<StudioStarter>() {
            Some(StudioStarter(start)) => start(view),
            None => StudioCommands {
                go_live: Callback::new(|_| {}),
                end_live: Callback::new(|_| {}),
                toggle_mic: Callback::new(|_| {}),
                toggle_camera: Callback::new(|_| {}),
                toggle_share: Callback::new(|_| {}),
                pick_camera: Callback::new(|_| {}),
                remove_viewer: Callback::new(|_| {}),
                copy: Callback::new(|_| {}),
                rotate_key: Callback::new(|_| {}),
            },
        }
    }
}

impl PlayerCommands {
    /// The commands of a watch page showing `view`.
    pub fn for_page(view: PlayerView) -> Self {
        match use_context::<PlayerStarter>() {
            Some(PlayerStarter(start)) => start(view),
            None => PlayerCommands { play: Callback::new(|_| {}) },
        }
    }
}

/// Appends `value`, keeping at most `max` values.
pub fn push_capped(values: &mut Vec<f64>, value: f64, max: usize) {
    values.push(value);
    if values.len() > max {
        let extra = values.len() - max;
        values.drain(..extra);
    }
}

/// One viewer as the studio sees it.
#[derive(Clone, Debug)]
pub struct ViewerRow {
    pub id: ViewerId,
    pub name: Option<String>,
    /// When the studio heard of this viewer (wall-clock ms).
    pub joined_ms: f64,
    pub state: RwSignal<PeerState>,
    pub ice_state: RwSignal<IceState>,
    /// What the studio sends this viewer, from its own `getStats()`.
    pub sent: RwSignal<Option<SenderQuality>>,
    /// What the viewer reports it receives (`viewerStats`).
    pub seen: RwSignal<Option<ViewerReport>>,
    /// Recent round-trip times in ms, oldest first.
    pub rtt_history: RwSignal<Vec<f64>>,
    /// Plays from the relay (the studio has no connection to it).
    pub via_relay: RwSignal<bool>,
    /// Its connection failed and it offered no relay candidate: it cannot connect at all.
    pub no_relay_route: RwSignal<bool>,
}

impl ViewerRow {
    pub fn new(id: ViewerId, name: Option<String>, joined_ms: f64) -> Self {
        ViewerRow {
            id,
            name,
            joined_ms,
            state: RwSignal::new(PeerState::New),
            ice_state: RwSignal::new(IceState::New),
            sent: RwSignal::new(None),
            seen: RwSignal::new(None),
            rtt_history: RwSignal::new(Vec::new()),
            via_relay: RwSignal::new(false),
            no_relay_route: RwSignal::new(false),
        }
    }

    /// The name the viewer gave, or a short form of its id.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("Viewer {}", &self.id.0[..self.id.0.len().min(6)]),
        }
    }

    /// What the relay measures of this viewer's session, in the row's "sent" columns.
    pub fn show_relay_report(&self, report: &RelayReport) {
        if let Some(rtt) = report.rtt_ms {
            self.rtt_history.update(|h| push_capped(h, rtt, SPARK_SAMPLES));
        }
        self.sent.set(Some(SenderQuality {
            video_kbps: report.video_kbps,
            audio_kbps: report.audio_kbps,
            rtt_ms: report.rtt_ms,
            loss_pct: report.loss_pct,
            ..Default::default()
        }));
    }

    /// Frees the row's signals once it is off the table.
    pub fn dispose(self) {
        self.state.dispose();
        self.ice_state.dispose();
        self.sent.dispose();
        self.seen.dispose();
        self.rtt_history.dispose();
        self.via_relay.dispose();
        self.no_relay_route.dispose();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_taking_over_shows_what_the_earlier_view_showed_and_the_earlier_one_is_let_go() {
        // The server build keeps signals in per-request arenas: this gives the test one.
        Owner::new().with(|| {
            let earlier = PlayerView::new();
            earlier.status.set(StreamStatus::Live);
            earlier.watching.set(Some(3));
            earlier.needs_play.set(true);
            earlier.muted.set(false);
            earlier.show_stats.set(true);
            earlier.problem.set(Some("why".into()));
            let page = PlayerView::new();
            assert_eq!(page.status.get_untracked(), StreamStatus::Connecting, "the page hydrates with its first state");
            page.take_over(earlier);
            assert_eq!(page.status.get_untracked(), StreamStatus::Live);
            assert_eq!(page.watching.get_untracked(), Some(3));
            assert!(page.needs_play.get_untracked() && !page.muted.get_untracked() && page.show_stats.get_untracked());
            assert_eq!(page.problem.get_untracked().as_deref(), Some("why"));
            assert!(earlier.status.is_disposed() && earlier.problem.is_disposed());
        });
    }
}
