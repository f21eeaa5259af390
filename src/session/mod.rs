//! Live sessions: the studio's broadcast to many viewers, and a viewer's playback.
//!
//! The view-state structs are plain signals, shared with server rendering; the sessions
//! that drive them run only in the browser.

#[cfg(feature = "hydrate")]
pub mod broadcast;
#[cfg(feature = "hydrate")]
pub mod playback;

use crate::components::viewer_table::ViewerRow;
use crate::status::{BroadcastStatus, StreamStatus};
use leptos::html;
use leptos::prelude::*;

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
}

impl StudioView {
    pub fn new() -> Self {
        StudioView {
            status: RwSignal::new(BroadcastStatus::Off),
            busy: RwSignal::new(false),
            message: RwSignal::new(None),
            viewers: RwSignal::new(Vec::new()),
            preview: NodeRef::new(),
        }
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
}

impl PlayerView {
    pub fn new() -> Self {
        PlayerView {
            status: RwSignal::new(StreamStatus::Connecting),
            watching: RwSignal::new(None),
            needs_play: RwSignal::new(false),
            muted: RwSignal::new(true),
            player: NodeRef::new(),
        }
    }
}

impl Default for PlayerView {
    fn default() -> Self {
        Self::new()
    }
}
