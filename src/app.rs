//! The HTML shell and the routes: one page per route, each in `pages/`.

use crate::pages::{admin::AdminPage, history::HistoryPage, home::HomePage, login::LoginPage, watch::WatchPage,
    watch_code::WatchCodePage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, StaticSegment};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set once the wasm has taken over the page: tests and benchmarks wait for it.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="OnAir: live video from a browser tab, peer to peer."/>
        <Meta name="theme-color" content="#111318"/>
        <Title text="OnAir"/>
        <Router>
            <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <header class="topbar">
                <a class="brand" href="/" rel="external">
                    <span class="brand-dot" aria-hidden="true"></span>
                    "OnAir"
                </a>
                <nav>
                    <a href="/watch" rel="external">"Watch"</a>
                    <a href="/admin" rel="external">"Studio"</a>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=StaticSegment("watch") view=WatchPage/>
                    <Route path=path!("/watch/code") view=WatchCodePage/>
                    <Route path=StaticSegment("admin") view=AdminPage/>
                    <Route path=path!("/admin/history") view=HistoryPage/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                </Routes>
            </main>
            </div>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · OnAir"/>
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/" rel="external">"Back to the start"</a></p>
        </section>
    }
}
