//! The optional watch code (`--watch-code`): who may watch, the `/watch` gate and the `POST /watch/code` form.
//!
//! A viewer proves the code with the `onair_watch` cookie (set once the code was entered) or by
//! sending the code: `?code=` on `/watch` or `/ws`, the form, and any later route that takes
//! one. Every check of a sent code goes through [`WatchAccess::check_code`], one budget per
//! address (IPv6: per /64) and one for the stream, so no path guesses for free. The cookie
//! holds an HMAC of the code under the server's cookie key (not the code, and not something a
//! guesser can compute), and stops working when the code changes. A signed-in admin may always
//! watch.

use crate::server::auth::cookie_key::CookieKey;
use crate::server::auth::cookies::{cookie, CookiePolicy};
use crate::server::auth::sign_in::Auth;
use crate::server::auth::sign_in::{seconds, wait_secs};
use crate::server::auth::throttle::{AddressGroup, Throttle, ThrottleKey};
use crate::server::http::client_addr::ClientAddr;
use crate::server::http::query::query_param;
use crate::server::secrets::constant_time_eq;
use crate::web::routes::{FormError, Page};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const WATCH_COOKIE: &str = "onair_watch";
/// How long an entered code is remembered.
const WATCH_COOKIE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The shortest code OnAir starts with: shorter ones are guessed too quickly.
pub const MIN_CODE_CHARS: usize = 8;
/// Wrong codes one address may send before it waits.
pub const ADDRESS_FREE_FAILURES: u32 = 5;
/// Wrong codes from everywhere before code entry waits for everyone: a ceiling on guessing from
/// many addresses. Viewers who entered the code before keep watching through their cookie.
pub const STREAM_FREE_FAILURES: u32 = 100;

/// What a sent code counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CodeKey {
    Address(AddressGroup),
    /// The stream's code, from anywhere.
    Stream,
}

impl ThrottleKey for CodeKey {
    fn free_failures(&self) -> u32 {
        match self {
            CodeKey::Address(_) => ADDRESS_FREE_FAILURES,
            CodeKey::Stream => STREAM_FREE_FAILURES,
        }
    }

    fn is_shared(&self) -> bool {
        *self == CodeKey::Stream
    }
}

/// Why a request may not watch, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchRefused {
    #[error("this stream needs a code")]
    NoCode,
    #[error("that is not the code")]
    WrongCode,
    #[error("too many wrong codes; try again in {}", seconds(wait_secs(*.0)))]
    Throttled(Duration),
}

impl WatchRefused {
    /// What the code form says about it.
    pub fn form_error(&self) -> FormError {
        match self {
            WatchRefused::Throttled(wait) => FormError::Throttled { wait_secs: wait_secs(*wait) },
            WatchRefused::NoCode | WatchRefused::WrongCode => FormError::WrongCode,
        }
    }
}

pub struct WatchAccess {
    code: Option<String>,
    /// What the cookie holds once the code was entered.
    pass: Option<String>,
    throttle: Mutex<Throttle<CodeKey>>,
    cookies: CookiePolicy,
}

/// The `code` in a query string, if any (an empty one counts as none).
pub fn code_in_query(query: Option<&str>) -> Option<String> {
    query_param(query, "code").filter(|code| !code.trim().is_empty())
}

impl WatchAccess {
    pub fn new(code: Option<String>, cookie_key: &CookieKey, cookies: CookiePolicy) -> Self {
        let pass = code.as_deref().map(|code| cookie_key.sign("watch", &[code]));
        WatchAccess { code, pass, throttle: Mutex::new(Throttle::new()), cookies }
    }

    /// Whether viewers need a code at all.
    pub fn required(&self) -> bool {
        self.code.is_some()
    }

    /// Checks a code `client` sent, against the budgets of its address and of the stream: every
    /// path that takes a code calls this. Refused without comparing while a budget is locked.
    pub fn check_code(&self, client: IpAddr, attempt: &str) -> Result<(), WatchRefused> {
        let Some(code) = &self.code else { return Ok(()) };
        let keys = [CodeKey::Address(AddressGroup::of(client)), CodeKey::Stream];
        let mut throttle = self.throttle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        throttle.charge(&keys, Instant::now()).map_err(WatchRefused::Throttled)?;
        if constant_time_eq(attempt.trim().as_bytes(), code.as_bytes()) {
            throttle.succeed(&keys);
            Ok(())
        } else {
            Err(WatchRefused::WrongCode)
        }
    }

    /// Whether the request carries the cookie the code leaves. Not a guess: the cookie is a MAC
    /// no one computes without the server's key.
    pub fn has_pass_cookie(&self, headers: &HeaderMap) -> bool {
        let Some(pass) = &self.pass else { return true };
        cookie(headers, WATCH_COOKIE).is_some_and(|c| constant_time_eq(c.as_bytes(), pass.as_bytes()))
    }

    /// Whether a request may watch: no code needed, the cookie, or `code` (from `?code=`, a
    /// bearer token…) through [`WatchAccess::check_code`]. Admins are not considered here: see
    /// [`WatchGate::admit`].
    pub fn admit(&self, headers: &HeaderMap, client: IpAddr, code: Option<&str>) -> Result<(), WatchRefused> {
        if self.has_pass_cookie(headers) {
            return Ok(());
        }
        match code {
            Some(code) => self.check_code(client, code),
            None => Err(WatchRefused::NoCode),
        }
    }

    fn with_pass_cookie(&self, headers: &HeaderMap, mut res: Response) -> Response {
        if let Some(pass) = &self.pass {
            let cookie = self.cookies.set_cookie(headers, WATCH_COOKIE, pass, WATCH_COOKIE_TTL);
            res.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        res
    }
}

/// What decides whether a request may watch: the code, or an admin's session (an admin may
/// always watch).
#[derive(Clone)]
pub struct WatchGate {
    pub access: Arc<WatchAccess>,
    pub auth: Arc<Auth>,
}

impl WatchGate {
    /// For a route that lets a viewer watch (WHEP, …): an admin, or [`WatchAccess::admit`] with
    /// the code the request sent, if any.
    pub async fn admit(&self, headers: &HeaderMap, client: IpAddr, code: Option<&str>) -> Result<(), WatchRefused> {
        if !self.access.required() || self.auth.is_admin(headers).await {
            return Ok(());
        }
        self.access.admit(headers, client, code)
    }
}

/// In front of `GET /watch`: without the code, the viewer goes to the code page. `?code=` sets
/// the cookie and comes back to `/watch` without the code in the address, so it stays out of
/// the history, bookmarks and the proxy's log of later visits.
pub async fn gate(State(gate): State<WatchGate>, ClientAddr(client): ClientAddr, req: Request, next: Next) -> Response {
    let access = &gate.access;
    if req.uri().path() != Page::Watch.path() || req.method() != Method::GET || !access.required() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let in_query = code_in_query(req.uri().query());
    let let_in = access.has_pass_cookie(headers) || gate.auth.is_admin(headers).await;
    match (in_query, let_in) {
        // Already in: only the address is cleaned; the code is not checked (nor counted).
        (Some(_), true) => Redirect::to(Page::Watch.path()).into_response(),
        (None, true) => next.run(req).await,
        (None, false) => Redirect::to(Page::WatchCode.path()).into_response(),
        (Some(code), false) => match access.check_code(client, &code) {
            Ok(()) => access.with_pass_cookie(headers, Redirect::to(Page::Watch.path()).into_response()),
            Err(refused) => refused_code(client, &refused),
        },
    }
}

/// Back to the code form, saying why.
fn refused_code(client: IpAddr, refused: &WatchRefused) -> Response {
    if let WatchRefused::Throttled(_) = refused {
        tracing::info!(peer = %client, "watch code refused: {refused}");
    }
    Redirect::to(&Page::WatchCode.with_error(refused.form_error())).into_response()
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /watch/code`: checks the code and lets the viewer in with the cookie.
pub async fn enter_code(
    State(access): State<Arc<WatchAccess>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    match access.check_code(client, &form.code) {
        Ok(()) => access.with_pass_cookie(&headers, Redirect::to(Page::Watch.path()).into_response()),
        Err(refused) => refused_code(client, &refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const CODE: &str = "open sesame";

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([203, 0, 113, n])
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{WATCH_COOKIE}={value}")).unwrap());
        h
    }

    fn access(key: &CookieKey) -> WatchAccess {
        WatchAccess::new(Some(CODE.into()), key, CookiePolicy::default())
    }

    #[test]
    fn without_a_code_everyone_may_watch() {
        let a = WatchAccess::new(None, &CookieKey::random(), CookiePolicy::default());
        assert!(!a.required());
        assert_eq!(a.admit(&HeaderMap::new(), ip(1), None), Ok(()));
    }

    #[test]
    fn with_a_code_the_cookie_or_the_code_must_prove_it() {
        let key = CookieKey::random();
        let a = access(&key);
        let none = HeaderMap::new();
        assert!(a.required());
        assert_eq!(a.admit(&none, ip(1), None), Err(WatchRefused::NoCode));
        assert_eq!(a.admit(&none, ip(1), Some(" open sesame ")), Ok(()));
        assert_eq!(a.admit(&none, ip(1), Some("open sesamE")), Err(WatchRefused::WrongCode));
        let pass = key.sign("watch", &[CODE]);
        assert_eq!(a.admit(&with_cookie(&pass), ip(1), None), Ok(()));
        assert!(!a.has_pass_cookie(&with_cookie(&key.sign("watch", &["old code"]))), "a cookie for another code");
        assert!(!a.has_pass_cookie(&with_cookie(CODE)), "the cookie is not the code itself");
        assert!(!access(&CookieKey::random()).has_pass_cookie(&with_cookie(&pass)), "another server's key");
    }

    #[test]
    fn codes_in_the_query_are_read_and_empty_ones_ignored() {
        assert_eq!(code_in_query(Some("code=open+sesame")).as_deref(), Some(CODE));
        assert_eq!(code_in_query(Some("x=1&code=open%20sesame")).as_deref(), Some(CODE));
        assert_eq!(code_in_query(Some("code=")), None);
        assert_eq!(code_in_query(Some("x=1")), None);
        assert_eq!(code_in_query(None), None);
    }

    #[test]
    fn wrong_codes_lock_the_address_whatever_path_sent_them() {
        let a = access(&CookieKey::random());
        for _ in 0..ADDRESS_FREE_FAILURES {
            assert_eq!(a.check_code(ip(1), "guess"), Err(WatchRefused::WrongCode));
        }
        let refused = a.check_code(ip(1), CODE).unwrap_err();
        assert!(matches!(refused, WatchRefused::Throttled(wait) if wait <= Duration::from_secs(1)), "{refused:?}");
        assert_eq!(refused.to_string(), "too many wrong codes; try again in 1 second");
        assert_eq!(refused.form_error(), FormError::Throttled { wait_secs: 1 });
        assert!(matches!(a.admit(&HeaderMap::new(), ip(1), Some(CODE)), Err(WatchRefused::Throttled(_))));
        assert_eq!(a.check_code(ip(2), CODE), Ok(()), "another address is not slowed");
    }

    #[test]
    fn wrong_codes_from_many_addresses_reach_the_streams_ceiling_and_cookies_still_pass() {
        let key = CookieKey::random();
        let a = access(&key);
        for n in 0..STREAM_FREE_FAILURES {
            let from = IpAddr::from([198, 51, (n / 250) as u8, (n % 250) as u8]);
            assert_eq!(a.check_code(from, "guess"), Err(WatchRefused::WrongCode));
        }
        assert!(matches!(a.check_code(ip(9), CODE), Err(WatchRefused::Throttled(_))));
        let pass = with_cookie(&key.sign("watch", &[CODE]));
        assert_eq!(a.admit(&pass, ip(9), None), Ok(()), "who entered the code before keeps watching");
    }
}
