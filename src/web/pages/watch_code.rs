//! `/watch/code`: where a viewer without the watch code (`--watch-code`) is sent. The form
//! posts to the server directly; the right code sets a cookie and goes on to `/watch`.

use crate::web::page_url::PageUrl;
use crate::web::routes::{FormError, Page};
use leptos::prelude::*;
use leptos_meta::Title;

/// What the page says for `?error=…&wait=…`.
pub fn code_error(error: Option<&str>, wait: Option<&str>) -> Option<String> {
    Some(match FormError::from_query(error, wait, FormError::WrongCode)? {
        FormError::Throttled { wait_secs } => crate::web::pages::login::throttled_message(wait_secs),
        _ => "That is not the code. Check it and try again.".to_owned(),
    })
}

#[component]
pub fn WatchCodePage() -> impl IntoView {
    let url = PageUrl::current();
    let message = code_error(url.query("error").as_deref(), url.query("wait").as_deref());
    view! {
        <Title text="Code needed · OnAir"/>
        <section class="card narrow">
            <h1>"This stream needs a code"</h1>
            <p class="muted">"Ask the streamer for it. You enter it once on this device."</p>
            <form method="post" action=Page::WatchCode.path() class="stack">
                <label for="code">"Code"</label>
                <input id="code" name="code" type="password" autocomplete="off" required autofocus/>
                {message.map(|m| view! {
                    <p class="error" role="alert" data-testid="code-error">{m}</p>
                })}
                <button type="submit" class="button primary">"Watch"</button>
            </form>
        </section>
    }
}
