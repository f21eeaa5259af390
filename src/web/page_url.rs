//! The address of the page being rendered. Its path picks the page (`app.rs`); its query
//! carries what a form or a link passes on (`?error=…`, `?live=…`). Every link and form in
//! OnAir loads a whole page, so the address does not change while a page is shown, and there
//! is no client-side router in the browser build.

/// A page's path and query string (without the `?`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageUrl {
    path: String,
    query: String,
}

impl PageUrl {
    pub fn new(path: impl Into<String>, query: impl Into<String>) -> PageUrl {
        PageUrl { path: path.into(), query: query.into() }
    }

    /// The address being rendered: the request's on the server, the window's in the browser.
    pub fn current() -> PageUrl {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<axum::http::request::Parts>()
                .map(|parts| PageUrl::new(parts.uri.path(), parts.uri.query().unwrap_or_default()))
                .unwrap_or_default()
        }
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        {
            let location = leptos::prelude::window().location();
            let search = location.search().unwrap_or_default();
            PageUrl::new(location.pathname().unwrap_or_default(), search.trim_start_matches('?'))
        }
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        {
            PageUrl::default()
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first value of `name` in the query, decoded (`+` and `%XX`).
    pub fn query(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::PageUrl;

    #[test]
    fn query_values_are_decoded_and_the_first_one_wins() {
        let url = PageUrl::new("/login", "error=throttled&wait=8&note=a+b%21&wait=9&empty=");
        assert_eq!(url.path(), "/login");
        assert_eq!(url.query("error").as_deref(), Some("throttled"));
        assert_eq!(url.query("wait").as_deref(), Some("8"));
        assert_eq!(url.query("note").as_deref(), Some("a b!"));
        assert_eq!(url.query("empty").as_deref(), Some(""));
        assert_eq!(url.query("missing"), None);
        assert_eq!(PageUrl::new("/", "").query("error"), None);
    }
}
