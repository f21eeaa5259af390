//! `/login`: the admin password form. It posts to the server directly, so it works
//! before the page is hydrated too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.with(|q| q.get("error").is_some());
    view! {
        <Title text="Sign in · OnAir"/>
        <section class="card narrow">
            <h1>"Sign in to the studio"</h1>
            <p class="muted">"The studio is where you go live. Viewers need no account."</p>
            <form method="post" action="/login" class="stack">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required autofocus/>
                <Show when=failed>
                    <p class="error" role="alert" data-testid="login-error">"Wrong password. Try again."</p>
                </Show>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
        </section>
    }
}
