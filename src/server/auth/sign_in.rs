//! Admin sign-in: checking a name and password (throttled), the database-backed session
//! behind the cookie, and the `/login`, `/logout` and `/admin` guard handlers.
//!
//! [`Auth::is_admin`] is the one place that answers "is this request an admin".

use crate::server::auth::accounts::{AccountError, Accounts};
use crate::server::auth::cookies::{cookie, CookiePolicy};
use crate::server::auth::sessions::{Sessions, SESSION_TTL};
use crate::server::auth::throttle::{Key, Throttle};
use crate::server::clock::now_ms;
use crate::web::routes::{FormError, Page};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::Rng;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "onair_session";

/// Why a sign-in did not succeed, in the words the login page shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The same answer for an unknown name and a wrong password.
    #[error("Wrong username or password. Try again.")]
    WrongCredentials,
    #[error("Too many attempts; try again in {}.", seconds(wait_secs(*.0)))]
    Throttled(Duration),
    #[error("Signing in is not possible right now: {0}")]
    Unavailable(String),
}

/// "1 second", "5 seconds".
pub fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".to_owned()
    } else {
        format!("{n} seconds")
    }
}

/// Whole seconds to wait, rounded up so "0 seconds" is never said.
pub fn wait_secs(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

pub struct Auth {
    accounts: Accounts,
    sessions: Sessions,
    throttle: Mutex<Throttle>,
    cookies: CookiePolicy,
}

impl Auth {
    pub fn new(accounts: Accounts, sessions: Sessions, cookies: CookiePolicy) -> Self {
        Auth { accounts, sessions, throttle: Mutex::new(Throttle::new()), cookies }
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    pub fn cookies(&self) -> CookiePolicy {
        self.cookies
    }

    fn throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.throttle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks `name` and `password` from `peer`, and on success opens a session and returns
    /// its token. Refused early, without checking, while the address or the name is locked.
    pub async fn sign_in(&self, peer: IpAddr, name: &str, password: &str) -> Result<String, SignInError> {
        let name = name.trim().to_owned();
        let keys = [Key::Ip(peer), Key::Account(name.to_lowercase())];
        {
            // Counted as a failure up front, under the same lock as the check, so a burst of
            // concurrent guesses cannot all pass the check before any has failed. A success
            // clears the count again.
            let mut throttle = self.throttle();
            let now = Instant::now();
            throttle.check(&keys, now).map_err(SignInError::Throttled)?;
            throttle.fail(&keys, now);
        }
        let accounts = self.accounts.clone();
        let password = password.to_owned();
        let checked = tokio::task::spawn_blocking(move || accounts.verify(&name, &password))
            .await
            .map_err(|e| SignInError::Unavailable(e.to_string()))?;
        let admin = match checked {
            Ok(Some(admin)) => admin,
            Ok(None) => return Err(SignInError::WrongCredentials),
            Err(e) => {
                tracing::error!("checking a sign-in failed: {e}");
                return Err(SignInError::Unavailable(unavailable(&e)));
            }
        };
        self.throttle().succeed(&keys);
        let sessions = self.sessions.clone();
        tokio::task::spawn_blocking(move || sessions.create(admin, now_ms()))
            .await
            .map_err(|e| SignInError::Unavailable(e.to_string()))?
            .map_err(|e| {
                tracing::error!("storing a session failed: {e}");
                SignInError::Unavailable("the database refused the session".into())
            })
    }

    /// True when the request carries the cookie of a live session.
    pub async fn is_admin(&self, headers: &HeaderMap) -> bool {
        self.admin_session(headers).await.is_some()
    }

    /// The token of the live session behind the request's cookie, if any (for `/ws`, which
    /// checks it again later).
    pub async fn admin_session(&self, headers: &HeaderMap) -> Option<String> {
        let token = cookie(headers, SESSION_COOKIE)?.to_owned();
        (self.session_is_live(&token).await == Some(true)).then_some(token)
    }

    /// Whether `token` is a live session now; `None` when the database cannot tell.
    pub async fn session_is_live(&self, token: &str) -> Option<bool> {
        let sessions = self.sessions.clone();
        let token = token.to_owned();
        match tokio::task::spawn_blocking(move || sessions.lookup(&token, now_ms())).await {
            Ok(Ok(found)) => Some(found.is_some()),
            Ok(Err(e)) => {
                tracing::error!("looking up a session failed: {e}");
                None
            }
            Err(_) => None,
        }
    }

    /// Ends the session behind the request's cookie, if any.
    pub async fn sign_out(&self, headers: &HeaderMap) {
        let Some(token) = cookie(headers, SESSION_COOKIE).map(str::to_owned) else { return };
        let sessions = self.sessions.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || sessions.revoke(&token)).await {
            tracing::error!("revoking a session failed: {e}");
        }
    }
}

fn unavailable(e: &AccountError) -> String {
    match e {
        AccountError::Db(_) => "the database does not answer".into(),
        other => other.to_string(),
    }
}

/// A strong random password for when none is configured.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: a plain form post, so sign-in works before (or without) hydration. Failures
/// go back to `/login` with the reason in the query for the page to say.
pub async fn login(
    State(auth): State<Arc<Auth>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    match auth.sign_in(peer.ip(), &form.username, &form.password).await {
        Ok(token) => {
            tracing::info!(peer = %peer.ip(), "admin signed in");
            let mut res = Redirect::to(Page::Admin.path()).into_response();
            let cookie = auth.cookies.set_cookie(&headers, SESSION_COOKIE, &token, SESSION_TTL);
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(SignInError::Throttled(wait)) => {
            tracing::warn!(peer = %peer.ip(), "sign-in refused: too many failed attempts");
            Redirect::to(&Page::Login.with_error(FormError::Throttled { wait_secs: wait_secs(wait) })).into_response()
        }
        Err(SignInError::WrongCredentials) => {
            tracing::warn!(peer = %peer.ip(), "failed admin sign-in");
            Redirect::to(&Page::Login.with_error(FormError::WrongPassword)).into_response()
        }
        Err(SignInError::Unavailable(_)) => {
            Redirect::to(&Page::Login.with_error(FormError::Unavailable)).into_response()
        }
    }
}

/// `GET|POST /logout`: revokes the session and clears the cookie.
pub async fn logout(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    auth.sign_out(&headers).await;
    let mut res = Redirect::to(Page::Home.path()).into_response();
    res.headers_mut().insert(header::SET_COOKIE, auth.cookies.clear_cookie(&headers, SESSION_COOKIE));
    res
}

/// Sends requests for `/admin` pages to `/login` unless they carry a valid session.
pub async fn require_admin(State(auth): State<Arc<Auth>>, req: Request, next: Next) -> Response {
    if Page::is_studio(req.uri().path()) && !auth.is_admin(req.headers()).await {
        return Redirect::to(Page::Login.path()).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::throttle::FREE_FAILURES;
    use crate::server::store::db::Db;
    use axum::http::HeaderValue;

    fn auth() -> Auth {
        let db = Db::open_in_memory().unwrap();
        let accounts = Accounts::new(db.clone());
        accounts.seed_first("correct horse").unwrap();
        Auth::new(accounts, Sessions::new(db), CookiePolicy::default())
    }

    fn with_cookie(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}")).unwrap());
        h
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn the_right_name_and_password_open_a_session_until_sign_out() {
        let auth = auth();
        let token = auth.sign_in(PEER, " Admin ", "correct horse").await.unwrap();
        let headers = with_cookie(&token);
        assert!(auth.is_admin(&headers).await);
        assert!(!auth.is_admin(&with_cookie("forged")).await);
        assert!(!auth.is_admin(&HeaderMap::new()).await);
        auth.sign_out(&headers).await;
        assert!(!auth.is_admin(&headers).await);
    }

    #[tokio::test]
    async fn unknown_names_and_wrong_passwords_get_the_same_answer() {
        let auth = auth();
        let wrong = auth.sign_in(PEER, "admin", "wrong").await.unwrap_err();
        let unknown = auth.sign_in(PEER, "nobody", "correct horse").await.unwrap_err();
        assert_eq!(wrong, SignInError::WrongCredentials);
        assert_eq!(wrong.to_string(), unknown.to_string());
    }

    #[tokio::test]
    async fn after_five_failures_even_the_right_password_waits() {
        let auth = auth();
        for _ in 0..FREE_FAILURES {
            let _ = auth.sign_in(PEER, "admin", "guess").await;
        }
        let e = auth.sign_in(PEER, "admin", "correct horse").await.unwrap_err();
        assert!(matches!(e, SignInError::Throttled(w) if w <= Duration::from_secs(1)), "{e:?}");
        assert_eq!(e.to_string(), "Too many attempts; try again in 1 second.");
    }

    #[tokio::test]
    async fn a_burst_of_concurrent_guesses_gets_no_more_checks_than_the_free_failures() {
        let auth = Arc::new(auth());
        let guesses: Vec<_> = (0..20)
            .map(|n| {
                let auth = auth.clone();
                tokio::spawn(async move { auth.sign_in(PEER, "admin", &format!("guess {n}")).await })
            })
            .collect();
        let mut checked = 0;
        for g in guesses {
            match g.await.unwrap() {
                Err(SignInError::WrongCredentials) => checked += 1,
                Err(SignInError::Throttled(_)) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(checked, FREE_FAILURES, "the rest were refused unchecked");
    }

    #[tokio::test]
    async fn a_success_clears_the_failures_before_it() {
        let auth = auth();
        for _ in 0..FREE_FAILURES - 1 {
            let _ = auth.sign_in(PEER, "admin", "guess").await;
        }
        auth.sign_in(PEER, "admin", "correct horse").await.unwrap();
        for _ in 0..FREE_FAILURES - 1 {
            assert_eq!(auth.sign_in(PEER, "admin", "typo").await.unwrap_err(), SignInError::WrongCredentials);
        }
        auth.sign_in(PEER, "admin", "correct horse").await.unwrap();
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(wait_secs(Duration::from_millis(1)), 1);
        assert_eq!(wait_secs(Duration::from_millis(1000)), 1);
        assert_eq!(wait_secs(Duration::from_millis(1001)), 2);
        assert_eq!(wait_secs(Duration::ZERO), 1);
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
    }
}
