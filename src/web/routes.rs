//! Every address OnAir serves and every code a redirect carries back to a page, in one place
//! for the server that produces them and the pages that read them (shared).

/// OnAir's pages. Every link between them loads a whole page (`rel="external"`, plain forms),
/// so the page is chosen once from the path, the same way on the server and in the browser:
/// no client-side router, whose navigation nothing used and which weighed on the wasm (the
/// README's bundle figures).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Home,
    Watch,
    WatchCode,
    Admin,
    History,
    Login,
}

impl Page {
    pub const ALL: [Page; 6] = [Page::Home, Page::Watch, Page::WatchCode, Page::Admin, Page::History, Page::Login];

    pub fn path(self) -> &'static str {
        match self {
            Page::Home => "/",
            Page::Watch => "/watch",
            Page::WatchCode => "/watch/code",
            Page::Admin => "/admin",
            Page::History => "/admin/history",
            Page::Login => "/login",
        }
    }

    /// The page at `path`; `None` for any other address.
    pub fn at(path: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|page| page.path() == path)
    }
}

impl Page {
    /// True for the studio's pages (`/admin` and below), which need a signed-in admin.
    pub fn is_studio(path: &str) -> bool {
        let admin = Page::Admin.path();
        path == admin || path.strip_prefix(admin).is_some_and(|rest| rest.starts_with('/'))
    }

    /// This page with `?error=…` (and `&wait=…` seconds when throttled): where a failed form
    /// post sends the browser back.
    pub fn with_error(self, error: FormError) -> String {
        match error {
            FormError::Throttled { wait_secs } => format!("{}?error={}&wait={wait_secs}", self.path(), error.code()),
            _ => format!("{}?error={}", self.path(), error.code()),
        }
    }
}

/// Routes that are not pages.
pub mod endpoint {
    /// The signaling WebSocket.
    pub const WS: &str = "/ws";
    /// Signs the admin out (`GET` or `POST`).
    pub const LOGOUT: &str = "/logout";
    /// The front end's files (wasm, JS, CSS), by content-hashed name.
    pub const PKG: &str = "/pkg";
    pub const HEALTHZ: &str = "/healthz";
    pub const READYZ: &str = "/readyz";
    pub const METRICS: &str = "/metrics";
    /// Publishing to the relay (RFC 9725 WHIP): `POST` an offer; the session is `WHIP/{id}`.
    pub const WHIP: &str = "/whip";
    /// Playing from the relay (WHEP): `POST` an offer; the session is `WHEP/{id}`.
    pub const WHEP: &str = "/whep";
    /// The query parameter of `POST /whep` that ties the session to a `/ws` viewer: its resume token.
    pub const WHEP_VIEWER_PARAM: &str = "viewer";
    /// The admin's WHIP URL and stream key (`GET`), and a new key (`POST …/rotate`).
    pub const STREAM_KEY: &str = "/api/stream-key";
    pub const STREAM_KEY_ROTATE: &str = "/api/stream-key/rotate";
}

/// Why a form post (sign-in, watch code) failed, as carried back in `?error=` and `&wait=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// Too many failures: try again in `wait_secs`.
    Throttled { wait_secs: u64 },
    /// Unknown name or wrong password (one answer for both).
    WrongPassword,
    /// Not the watch code.
    WrongCode,
    /// The server could not check (its database).
    Unavailable,
}

impl FormError {
    /// The word in the query string.
    pub fn code(self) -> &'static str {
        match self {
            FormError::Throttled { .. } => "throttled",
            FormError::WrongPassword => "wrong_password",
            FormError::WrongCode => "wrong_code",
            FormError::Unavailable => "unavailable",
        }
    }

    /// Reads `?error=…&wait=…`; `None` without an error. An unknown word reads as the page's
    /// plain failure (`default`), a missing or bad wait as one second.
    pub fn from_query(error: Option<&str>, wait: Option<&str>, default: FormError) -> Option<FormError> {
        Some(match error? {
            "throttled" => {
                FormError::Throttled { wait_secs: wait.and_then(|w| w.parse::<u64>().ok()).unwrap_or(1).max(1) }
            }
            "wrong_password" => FormError::WrongPassword,
            "wrong_code" => FormError::WrongCode,
            "unavailable" => FormError::Unavailable,
            _ => default,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_its_own_path() {
        for page in Page::ALL {
            assert_eq!(Page::at(page.path()), Some(page));
        }
        assert_eq!(Page::at("/watch/"), None);
        assert_eq!(Page::at("/nothing"), None);
    }

    #[test]
    fn the_studio_is_admin_and_below_only() {
        assert!(Page::is_studio("/admin"));
        assert!(Page::is_studio("/admin/history"));
        assert!(!Page::is_studio("/administrator"));
        assert!(!Page::is_studio("/watch"));
    }

    #[test]
    fn form_errors_round_trip_through_the_query() {
        let all = [
            FormError::Throttled { wait_secs: 8 },
            FormError::WrongPassword,
            FormError::WrongCode,
            FormError::Unavailable,
        ];
        for error in all {
            let url = Page::Login.with_error(error);
            let query = crate::web::page_url::PageUrl::new(Page::Login.path(), url.split_once('?').unwrap().1);
            let back = FormError::from_query(query.query("error").as_deref(), query.query("wait").as_deref(), error);
            assert_eq!(back, Some(error), "{url}");
        }
        assert_eq!(Page::WatchCode.with_error(FormError::WrongCode), "/watch/code?error=wrong_code");
        assert_eq!(FormError::from_query(None, None, FormError::WrongCode), None);
        assert_eq!(FormError::from_query(Some("odd"), None, FormError::WrongCode), Some(FormError::WrongCode));
        assert_eq!(
            FormError::from_query(Some("throttled"), Some("x"), FormError::WrongCode),
            Some(FormError::Throttled { wait_secs: 1 })
        );
    }
}
