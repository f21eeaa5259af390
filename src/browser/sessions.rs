//! The pages' commands, built by the browser: each page starts its session, and the session
//! ends with the page.

use crate::browser::player::Playback;
use crate::browser::studio::broadcast::{self, Broadcast};
use crate::protocol::ViewerId;
use crate::web::status::BroadcastStatus;
use crate::web::view_state::{PlayerCommands, PlayerView, SessionStarters, StudioCommands, StudioView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// What the hydrate entry provides as context to the pages.
pub fn starters() -> SessionStarters {
    SessionStarters { studio: studio_commands, player: player_commands }
}

fn studio_commands(studio: StudioView) -> StudioCommands {
    let controls = studio.controls;
    let session = StoredValue::new_local(None::<Rc<Broadcast>>);
    on_cleanup(move || {
        if let Some(Some(b)) = session.try_update_value(Option::take) {
            b.stop();
        }
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
        if broadcast::was_live() {
            start();
        }
    });
    StudioCommands {
        go_live: Callback::new(move |()| start()),
        end_live: Callback::new(move |()| {
            if let Some(Some(b)) = session.try_update_value(Option::take) {
                b.stop();
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
        remove_viewer: Callback::new(move |id: ViewerId| with_live(&|b| b.remove_viewer(id.clone()))),
    }
}

fn player_commands(player: PlayerView) -> PlayerCommands {
    let session = StoredValue::new_local(None::<Rc<Playback>>);
    Effect::new(move |_| {
        if session.with_value(Option::is_none) {
            session.set_value(Some(Playback::start(player)));
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
