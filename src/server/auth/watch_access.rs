//! The optional watch code (`--watch-code`): who may watch, the `/watch` gate and the
//! `POST /watch/code` form handler.
//!
//! A viewer proves the code with the `onair_watch` cookie (set once the code was entered) or
//! `?code=` on `/watch` or `/ws`. The cookie holds a digest of the code, not the code, and
//! stops working when the code changes. A signed-in admin may always watch.

use crate::server::auth::cookies::{cookie, CookiePolicy};
use crate::server::auth::sign_in::Auth;
use crate::server::auth::sign_in::{seconds, wait_secs};
use crate::server::auth::throttle::{Key, Throttle};
use crate::server::secrets::constant_time_eq;
use crate::web::routes::{FormError, Page};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WATCH_COOKIE: &str = "onair_watch";
/// How long an entered code is remembered.
const WATCH_COOKIE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct WatchAccess {
    code: Option<String>,
    /// What the cookie holds when the code was entered.
    pass: Option<String>,
    throttle: Mutex<Throttle>,
    cookies: CookiePolicy,
}

fn pass_for(code: &str) -> String {
    Sha256::digest(format!("onair-watch\0{code}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn query_code(query: Option<&str>) -> Option<String> {
    let query = query?;
    let uri: Uri = format!("/?{query}").parse().ok()?;
    let Query(mut pairs) = Query::<HashMap<String, String>>::try_from_uri(&uri).ok()?;
    pairs.remove("code")
}

impl WatchAccess {
    pub fn new(code: Option<String>, cookies: CookiePolicy) -> Self {
        let pass = code.as_deref().map(pass_for);
        WatchAccess { code, pass, throttle: Mutex::new(Throttle::new()), cookies }
    }

    /// Whether viewers need a code at all.
    pub fn required(&self) -> bool {
        self.code.is_some()
    }

    /// Whether `attempt` is the code (always true without one).
    pub fn code_matches(&self, attempt: &str) -> bool {
        match &self.code {
            None => true,
            Some(code) => constant_time_eq(attempt.trim().as_bytes(), code.as_bytes()),
        }
    }

    /// Whether the request proves the code: its cookie, or `code` in the query string.
    /// Admins are not considered here; ask [`crate::server::auth::sign_in::Auth::is_admin`] too.
    pub fn has_pass(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        let Some(pass) = &self.pass else { return true };
        let by_cookie = cookie(headers, WATCH_COOKIE).is_some_and(|c| constant_time_eq(c.as_bytes(), pass.as_bytes()));
        by_cookie || query_code(query).is_some_and(|c| self.code_matches(&c))
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
    /// For the `/ws` upgrade: whether this connection may take the viewer role.
    pub async fn may_watch(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        self.access.has_pass(headers, uri.query()) || self.auth.is_admin(headers).await
    }
}

/// In front of `GET /watch`: without the code, the viewer goes to the code page. A right
/// `?code=` sets the cookie and comes back to `/watch` without it in the address.
pub async fn gate(State(gate): State<WatchGate>, req: Request, next: Next) -> Response {
    let access = &gate.access;
    if req.uri().path() != Page::Watch.path() || req.method() != Method::GET || !access.required() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let in_query = query_code(req.uri().query());
    if let Some(code) = &in_query {
        if access.code_matches(code) {
            return access.with_pass_cookie(headers, Redirect::to(Page::Watch.path()).into_response());
        }
    }
    if access.has_pass(headers, None) || gate.auth.is_admin(headers).await {
        return next.run(req).await;
    }
    let to = if in_query.is_some() {
        Page::WatchCode.with_error(FormError::WrongCode)
    } else {
        Page::WatchCode.path().to_owned()
    };
    Redirect::to(&to).into_response()
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /watch/code`: checks the code (throttled per address like sign-ins) and lets the
/// viewer in with the cookie.
pub async fn enter_code(
    State(access): State<Arc<WatchAccess>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let key = [Key::WatchCode(peer.ip())];
    let mut throttle = access.throttle.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(wait) = throttle.check(&key, Instant::now()) {
        tracing::info!(peer = %peer.ip(), "watch code refused: too many wrong codes ({})", seconds(wait_secs(wait)));
        return Redirect::to(&Page::WatchCode.with_error(FormError::Throttled { wait_secs: wait_secs(wait) }))
            .into_response();
    }
    if access.code_matches(&form.code) {
        throttle.succeed(&key);
        drop(throttle);
        return access.with_pass_cookie(&headers, Redirect::to(Page::Watch.path()).into_response());
    }
    throttle.fail(&key, Instant::now());
    Redirect::to(&Page::WatchCode.with_error(FormError::WrongCode)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{WATCH_COOKIE}={value}")).unwrap());
        h
    }

    #[test]
    fn without_a_code_everyone_may_watch() {
        let a = WatchAccess::new(None, CookiePolicy::default());
        assert!(!a.required());
        assert!(a.has_pass(&HeaderMap::new(), None));
    }

    #[test]
    fn with_a_code_the_cookie_or_the_query_must_prove_it() {
        let a = WatchAccess::new(Some("open sesame".into()), CookiePolicy::default());
        assert!(a.required());
        assert!(!a.has_pass(&HeaderMap::new(), None));
        assert!(a.has_pass(&HeaderMap::new(), Some("code=open+sesame")));
        assert!(a.has_pass(&HeaderMap::new(), Some("x=1&code=open%20sesame")));
        assert!(!a.has_pass(&HeaderMap::new(), Some("code=open")));
        assert!(a.has_pass(&with_cookie(&pass_for("open sesame")), None));
        assert!(!a.has_pass(&with_cookie(&pass_for("old code")), None), "a cookie for another code");
        assert!(!a.has_pass(&with_cookie("open sesame"), None), "the cookie is not the code itself");
        assert!(a.code_matches(" open sesame "));
        assert!(!a.code_matches("open sesamE"));
    }
}
