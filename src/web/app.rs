//! The HTML shell, the frame every page shares, and the server's page for each path (see
//! `routes.rs`), each page in `pages/`. The browser picks its page itself (`browser/pages.rs`),
//! so that its wasm holds only the watch page's code up front.

use crate::web::page_url::PageUrl;
use crate::web::pages::{
    admin::AdminPage, history::HistoryPage, home::HomePage, login::LoginPage, watch::WatchPage,
    watch_code::WatchCodePage,
};
use crate::web::routes::Page;
use crate::web::watch_loader::WatchLoader;
use leptos::either::{Either, EitherOf7};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The watch page starts its wasm and socket from a loader of its own (watch_loader.rs),
    // first in <head> so the browser fetches the wasm before the stylesheet.
    let watch_loader = Page::at(PageUrl::current().path()) == Some(Page::Watch);
    let early = watch_loader.then(|| view! { <WatchLoader options=options.clone()/> });
    let hydration = if watch_loader {
        Either::Left(())
    } else {
        Either::Right(view! { <HydrationScripts options=options.clone()/> })
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                {early}
                <HashedStylesheet options id="leptos"/>
                {hydration}
                <MetaTags/>
            </head>
            <body>
                {app(|| server_page(Page::at(PageUrl::current().path())))}
            </body>
        </html>
    }
}

/// The page for each path, as the server renders it: the server holds every page's code. The
/// browser hydrates the same view for the path (`browser::pages`), once it has the page's code.
pub fn server_page(page: Option<Page>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::web::page_code::preload(page);
    match page {
        Some(Page::Home) => EitherOf7::A(view! { <HomePage/> }),
        Some(Page::Watch) => EitherOf7::B(view! { <WatchPage/> }),
        Some(Page::WatchCode) => EitherOf7::C(view! { <WatchCodePage/> }),
        Some(Page::Admin) => EitherOf7::D(view! { <AdminPage/> }),
        Some(Page::History) => EitherOf7::E(view! { <HistoryPage/> }),
        Some(Page::Login) => EitherOf7::F(view! { <LoginPage/> }),
        None => EitherOf7::G(view! { <NotFound/> }),
    }
}

/// The frame every page shares, around the page `page` makes (inside it, so that the page
/// sees the frame's context). Generic rather than one `AnyView`: each page's instance holds
/// only that page's code (an `AnyView` would also bring its async hydration, unused here).
pub fn app<V: IntoView + 'static>(page: impl FnOnce() -> V) -> impl IntoView {
    provide_meta_context();
    // Set once the wasm has taken over the page: tests and benchmarks wait for it.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let page = page();
    view! {
        <Link rel="icon" type_="image/png" sizes="64x64" href="/favicon.png"/>
        <Meta name="description" content="OnAir: live video from a browser tab, peer to peer."/>
        <Meta name="theme-color" content="#111318"/>
        <Title text="OnAir"/>
        <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
        <header class="topbar">
            <a class="brand" href="/" rel="external">
                <span class="brand-dot" aria-hidden="true"></span>
                "OnAir"
            </a>
            <nav>
                <a href=Page::Watch.path() rel="external">"Watch"</a>
                <a href=Page::Admin.path() rel="external">"Studio"</a>
            </nav>
        </header>
        <main>{page}</main>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
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
