//! Admin sign-in: the password check, in-memory sessions, the session cookie and the
//! `/login`, `/logout` and `/admin` guard handlers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::Rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "onair_session";
const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Slows password guessing down without a per-IP table (real throttling is in the hardening work).
const FAILED_LOGIN_DELAY: Duration = Duration::from_millis(400);

pub struct Auth {
    password: String,
    /// Session token → expiry.
    sessions: Mutex<HashMap<String, Instant>>,
}

impl Auth {
    pub fn new(password: String) -> Self {
        Auth { password, sessions: Mutex::new(HashMap::new()) }
    }

    pub fn check_password(&self, attempt: &str) -> bool {
        constant_time_eq(attempt.as_bytes(), self.password.as_bytes())
    }

    pub fn create_session(&self) -> String {
        let token = random_token();
        let mut sessions = self.sessions.lock().expect("sessions lock");
        let now = Instant::now();
        sessions.retain(|_, expiry| *expiry > now);
        sessions.insert(token.clone(), now + SESSION_TTL);
        token
    }

    pub fn is_valid(&self, token: &str) -> bool {
        let sessions = self.sessions.lock().expect("sessions lock");
        sessions.get(token).is_some_and(|expiry| *expiry > Instant::now())
    }

    pub fn revoke(&self, token: &str) {
        self.sessions.lock().expect("sessions lock").remove(token);
    }

    /// True when the request carries a valid admin session cookie.
    pub fn is_admin(&self, headers: &HeaderMap) -> bool {
        session_token(headers).is_some_and(|t| self.is_valid(t))
    }
}

/// A strong random password for when none is configured.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// 256 random bits, hex-encoded.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret enough to hide; the content is compared without early exit.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of our session cookie in a request, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

fn session_cookie(token: &str, max_age: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        max_age.as_secs()
    ))
    .expect("token is hex")
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
}

/// `POST /login`: a plain form post, so sign-in works before (or without) hydration.
pub async fn login(State(auth): State<Arc<Auth>>, Form(form): Form<LoginForm>) -> Response {
    if auth.check_password(&form.password) {
        let token = auth.create_session();
        tracing::info!("admin signed in");
        let mut res = Redirect::to("/admin").into_response();
        res.headers_mut().insert(header::SET_COOKIE, session_cookie(&token, SESSION_TTL));
        res
    } else {
        tracing::warn!("failed admin sign-in");
        tokio::time::sleep(FAILED_LOGIN_DELAY).await;
        Redirect::to("/login?error=wrong_password").into_response()
    }
}

/// `GET|POST /logout`: revokes the session and clears the cookie.
pub async fn logout(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        auth.revoke(token);
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie("", Duration::ZERO));
    res
}

/// Sends requests for `/admin` pages to `/login` unless they carry a valid session.
pub async fn require_admin(State(auth): State<Arc<Auth>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let guarded = path == "/admin" || path.starts_with("/admin/");
    if guarded && !auth.is_admin(req.headers()) {
        return Redirect::to("/login").into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_password_passes() {
        let auth = Auth::new("correct horse".into());
        assert!(auth.check_password("correct horse"));
        assert!(!auth.check_password("correct hors"));
        assert!(!auth.check_password("correct horse "));
        assert!(!auth.check_password(""));
    }

    #[test]
    fn sessions_are_random_and_revocable() {
        let auth = Auth::new("pw".into());
        let a = auth.create_session();
        let b = auth.create_session();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(auth.is_valid(&a) && auth.is_valid(&b));
        assert!(!auth.is_valid("forged"));
        auth.revoke(&a);
        assert!(!auth.is_valid(&a));
        assert!(auth.is_valid(&b));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; onair_session=abc; b=2"));
        assert_eq!(session_token(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("not_onair_session=abc"));
        assert_eq!(session_token(&h), None);
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
    }
}
