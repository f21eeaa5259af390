//! `/`: what OnAir is, whether the stream is live, and the way in.

use crate::web::api::stream_info;
use crate::web::routes::Page;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let info = Resource::new(|| (), |_| stream_info());
    view! {
        <Title text="OnAir"/>
        <section class="hero">
            <h1>"Live from a browser tab"</h1>
            <p class="lead">
                "OnAir sends your camera straight to every viewer, peer to peer, with sub-second delay. No video service in between."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Checking the stream…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(i) if i.live => EitherOf3::A(view! {
                            <p class="badge" data-testid="home-status" data-state="live">
                                <span class="badge-dot" aria-hidden="true"></span>
                                {format!("Live now · {} watching", i.viewers)}
                            </p>
                        }),
                        Ok(_) => EitherOf3::B(view! {
                            <p class="badge" data-testid="home-status" data-state="offline">
                                <span class="badge-dot" aria-hidden="true"></span>
                                "Offline right now"
                            </p>
                        }),
                        Err(_) => EitherOf3::C(view! { <p class="muted">"The stream status is not available."</p> }),
                    }
                })}
            </Suspense>
            <div class="actions">
                <a class="button primary" href=Page::Watch.path() rel="external">"Watch the stream"</a>
                <a class="button" href=Page::Admin.path() rel="external">"Open the studio"</a>
            </div>
        </section>
    }
}
