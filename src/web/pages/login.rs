//! `/login`: the admin sign-in form. It posts to the server directly, so it works before the
//! page is hydrated too. Why the last attempt failed comes back in the query string.

use crate::web::page_url::PageUrl;
use crate::web::routes::{FormError, Page};
use leptos::prelude::*;
use leptos_meta::Title;

/// "Too many attempts; try again in N seconds."
pub fn throttled_message(wait_secs: u64) -> String {
    let unit = if wait_secs == 1 { "second" } else { "seconds" };
    format!("Too many attempts; try again in {wait_secs} {unit}.")
}

/// What the page says for `?error=…&wait=…` (the words the server's errors use).
pub fn login_error(error: Option<&str>, wait: Option<&str>) -> Option<String> {
    Some(match FormError::from_query(error, wait, FormError::WrongPassword)? {
        FormError::Throttled { wait_secs } => throttled_message(wait_secs),
        FormError::Unavailable => "Signing in is not possible right now. Try again shortly.".to_owned(),
        FormError::WrongPassword | FormError::WrongCode => "Wrong username or password. Try again.".to_owned(),
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let url = PageUrl::current();
    let message = login_error(url.query("error").as_deref(), url.query("wait").as_deref());
    view! {
        <Title text="Sign in · OnAir"/>
        <section class="card narrow">
            <h1>"Sign in to the studio"</h1>
            <p class="muted">"The studio is where you go live. Viewers need no account."</p>
            <form method="post" action=Page::Login.path() class="stack">
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" value="admin" placeholder="admin"
                    autocomplete="username" autocapitalize="none" spellcheck="false" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required autofocus/>
                {message.map(|m| view! {
                    <p class="error" role="alert" data-testid="login-error">{m}</p>
                })}
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::login_error;

    #[test]
    fn each_failure_has_its_words() {
        assert_eq!(login_error(None, None), None);
        assert_eq!(login_error(Some("wrong_password"), None).unwrap(), "Wrong username or password. Try again.");
        assert_eq!(login_error(Some("throttled"), Some("8")).unwrap(), "Too many attempts; try again in 8 seconds.");
        assert_eq!(login_error(Some("throttled"), Some("1")).unwrap(), "Too many attempts; try again in 1 second.");
        assert_eq!(login_error(Some("throttled"), Some("x")).unwrap(), "Too many attempts; try again in 1 second.");
    }
}
