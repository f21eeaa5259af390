//! The page the browser hydrates, with its code: the watch page's (and its code form's) is in
//! the wasm every visitor downloads; each other page's comes in a file of its own, which that
//! page's HTML preloads (`#[lazy]` in a split build, `make release`; `web::page_code`), so a
//! viewer's download holds the player and not the studio. Each view matches
//! `web::app::server_page`.

use crate::browser::sessions;
use crate::web::app::{app, NotFound};
use crate::web::pages::{
    admin::AdminPage, history::HistoryPage, home::HomePage, login::LoginPage, watch::WatchPage,
    watch_code::WatchCodePage,
};
use crate::web::routes::Page;
use crate::web::view_state::{PlayerStarter, StudioStarter};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Hydrates the page for `page`: at once when its code is in the main wasm, else once its
/// file is in.
pub fn hydrate(page: Option<Page>) {
    match page {
        Some(Page::Watch) => mount(|| view! { <WatchPage/> }),
        Some(Page::WatchCode) => mount(|| view! { <WatchCodePage/> }),
        None => mount(|| view! { <NotFound/> }),
        Some(Page::Admin) => spawn_local(admin()),
        Some(Page::History) => spawn_local(history()),
        Some(Page::Login) => spawn_local(login()),
        Some(Page::Home) => spawn_local(home()),
    }
}

fn mount<V: IntoView + 'static>(page: impl FnOnce() -> V + 'static) {
    leptos::mount::hydrate_body(move || {
        // The watch page starts playback through this; rendered on the server, it has none.
        provide_context(PlayerStarter(sessions::player_commands));
        app(page)
    });
}

// One function per page, so that a split build puts each page's code in a file of its own,
// named as `web::page_code::split_name` says (the server preloads the file by that name).

#[cfg_attr(feature = "split", leptos::lazy)]
async fn admin() {
    mount(|| {
        provide_context(StudioStarter(sessions::studio_commands));
        view! { <AdminPage/> }
    })
}

#[cfg_attr(feature = "split", leptos::lazy)]
async fn history() {
    mount(|| view! { <HistoryPage/> })
}

#[cfg_attr(feature = "split", leptos::lazy)]
async fn login() {
    mount(|| view! { <LoginPage/> })
}

#[cfg_attr(feature = "split", leptos::lazy)]
async fn home() {
    mount(|| view! { <HomePage/> })
}
