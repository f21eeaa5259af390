//! The pages' commands, built by the browser: each page starts its session, and the session
//! ends with the page.

use crate::browser::early_playback;
use crate::browser::player::Playback;
use crate::browser::studio::broadcast::{self, Broadcast};
use crate::browser::studio::key_panel;
use crate::browser::studio::monitor::Monitor;
use crate::protocol::ViewerId;
use crate::web::status::BroadcastStatus;
use crate::web::view_state::{PlayerCommands, PlayerView, StudioCommands, StudioView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// The studio page's session ([`crate::web::view_state::StudioStarter`]): provided with the
/// studio page's code (`browser::pages`).
pub fn studio_commands(studio: StudioView) -> StudioCommands {
    let controls = studio.controls;
    let session = StoredValue::new_local(None::<Rc<Broadcast>>);
    // While this tab does not stream, it watches the server: an external encoder's live.
    let monitor = StoredValue::new_local(None::<Rc<Monitor>>);
    let stop_monitor = move || {
        if let Some(Some(m)) = monitor.try_update_value(Option::take) {
            m.stop();
        }
    };
    on_cleanup(move || {
        if let Some(Some(b)) = session.try_update_value(Option::take) {
            b.stop();
        }
        stop_monitor();
    });
    // Runs `f` with the live broadcast, if there is one.
    let with_live = move |f: &dyn Fn(&Rc<Broadcast>)| {
        session.with_value(|s| {
            if let Some(b) = s {
                f(b)
            }
        });
    };
    let start = move || {
        if studio.busy.get_untracked() {
            return;
        }
        // Refused before asking for the camera; the server refuses it too (`externalLive`).
        if let Some(refusal) = monitor.with_value(|m| m.as_ref().and_then(|m| m.go_live_refusal())) {
            studio.message.set(Some(refusal));
            return;
        }
        stop_monitor();
        studio.busy.set(true);
        studio.message.set(None);
        studio.status.set(BroadcastStatus::Starting);
        spawn_local(async move {
            match Broadcast::start(studio).await {
                Ok(b) => session.set_value(Some(b)),
                Err(e) => {
                    studio.status.set(BroadcastStatus::Off);
                    studio.message.set(Some(e.to_string()));
                }
            }
            studio.busy.set(false);
        });
    };
    // A reload (or a crash and reopen) of a studio that was live goes back on air by
    // itself: viewers wait meanwhile and resume without doing anything.
    Effect::new(move |_| {
        key_panel::load(studio.stream_key);
        if broadcast::was_live() {
            start();
        }
    });
    // Off (at first, after End live, or a broadcast that ended by itself): watch the server.
    Effect::new(move |_| {
        if studio.status.get() == BroadcastStatus::Off {
            session.set_value(None);
            if monitor.with_value(Option::is_none) {
                monitor.set_value(Some(Monitor::start(studio)));
            }
        }
    });
    StudioCommands {
        go_live: Callback::new(move |()| start()),
        end_live: Callback::new(move |()| {
            if let Some(Some(b)) = session.try_update_value(Option::take) {
                b.stop();
            } else {
                monitor.with_value(|m| {
                    if let Some(m) = m {
                        m.end_live();
                    }
                });
            }
        }),
        toggle_mic: Callback::new(move |()| with_live(&|b| b.toggle_microphone())),
        toggle_camera: Callback::new(move |()| with_live(&|b| b.toggle_camera())),
        toggle_share: Callback::new(move |()| {
            with_live(&|b| {
                let b = b.clone();
                studio.busy.set(true);
                spawn_local(async move {
                    let result = if controls.sharing_screen.get_untracked() {
                        b.stop_sharing().await
                    } else {
                        b.share_screen().await
                    };
                    if let Err(e) = result {
                        studio.message.set(Some(e.to_string()));
                    }
                    studio.busy.set(false);
                });
            })
        }),
        pick_camera: Callback::new(move |id: String| {
            with_live(&|b| {
                let (b, id) = (b.clone(), id.clone());
                spawn_local(async move {
                    if let Err(e) = b.use_camera(id).await {
                        studio.message.set(Some(e.to_string()));
                    }
                });
            })
        }),
        remove_viewer: Callback::new(move |id: ViewerId| {
            with_live(&|b| b.remove_viewer(id.clone()));
            monitor.with_value(|m| {
                if let Some(m) = m {
                    m.remove_viewer(id.clone());
                }
            });
        }),
        copy: Callback::new(move |what| key_panel::copy(studio.stream_key, what)),
        rotate_key: Callback::new(move |()| key_panel::rotate(studio.stream_key)),
    }
}

/// The watch page's playback ([`crate::web::view_state::PlayerStarter`]).
pub fn player_commands(player: PlayerView) -> PlayerCommands {
    let session = StoredValue::new_local(None::<Rc<Playback>>);
    Effect::new(move |_| {
        if session.with_value(Option::is_none) {
            // Started before hydration by the watch page's loader, or else now.
            let playback = match early_playback::take_early() {
                Some(early) => {
                    early.adopt(player);
                    early
                }
                None => Playback::start(player),
            };
            session.set_value(Some(playback));
        }
    });
    on_cleanup(move || {
        if let Some(Some(s)) = session.try_update_value(Option::take) {
            s.stop();
        }
    });
    PlayerCommands {
        play: Callback::new(move |()| {
            session.with_value(|s| {
                if let Some(s) = s {
                    s.play()
                }
            })
        }),
    }
}
