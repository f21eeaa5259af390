//! Admin sign-in: checking a name and password (throttled), the database-backed session
//! behind the cookie, and the `/login`, `/logout` and `/admin` guard handlers.
//!
//! [`Auth::is_admin`] is the one place that answers "is this request an admin".

use crate::server::auth::accounts::{check_name, AccountError, Accounts, AdminId};
use crate::server::auth::cookie_key::CookieKey;
use crate::server::auth::cookies::{cookie, CookiePolicy};
use crate::server::auth::devices::{self, DeviceId, DEVICE_COOKIE, DEVICE_TTL};
use crate::server::auth::sessions::{Sessions, SESSION_TTL};
use crate::server::auth::throttle::{AddressGroup, Throttle, ThrottleKey};
use crate::server::clock::{now_ms, unix_secs};
use crate::server::http::client_addr::ClientAddr;
use crate::web::routes::{FormError, Page};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::Rng;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "onair_session";

/// Failures one address may make on one account before it waits: an attacker's own budget.
pub const PAIR_FREE_FAILURES: u32 = 5;
/// Failures one address may make over every name (guessing names as well as passwords).
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// Failures on one account from everywhere: a ceiling on guessing from many addresses, high
/// enough that reaching it takes many of them (and known devices do not count it).
pub const ACCOUNT_FREE_FAILURES: u32 = 100;

/// What a sign-in from a device not known for the account counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SignInKey {
    /// One address (IPv6: one /64) trying one account name.
    Pair(AddressGroup, String),
    /// One address trying any name.
    Address(AddressGroup),
    /// One account name (lowercased, whether or not it exists) from anywhere.
    Account(String),
}

impl ThrottleKey for SignInKey {
    fn free_failures(&self) -> u32 {
        match self {
            SignInKey::Pair(..) => PAIR_FREE_FAILURES,
            SignInKey::Address(_) => ADDRESS_FREE_FAILURES,
            SignInKey::Account(_) => ACCOUNT_FREE_FAILURES,
        }
    }

    fn is_shared(&self) -> bool {
        matches!(self, SignInKey::Account(_))
    }
}

impl SignInKey {
    /// The keys of a sign-in from `client` to `account` (valid and lowercased).
    pub fn of(client: IpAddr, account: &str) -> [SignInKey; 3] {
        let group = AddressGroup::of(client);
        [SignInKey::Pair(group, account.to_owned()), SignInKey::Address(group), SignInKey::Account(account.to_owned())]
    }
}

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

/// What a successful sign-in hands back: the cookie values to set.
#[derive(Debug)]
pub struct SignedIn {
    pub session: String,
    /// A fresh `onair_device` value: this device is known for the account from now on.
    pub device: String,
}

/// A throttle table behind a lock that a panic elsewhere does not poison for good.
fn lock<T>(table: &Mutex<T>) -> MutexGuard<'_, T> {
    table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct Auth {
    accounts: Accounts,
    sessions: Sessions,
    /// Sign-ins from devices not known for the account.
    throttle: Mutex<Throttle<SignInKey>>,
    /// Sign-ins from known devices, each with its own budget. Apart from the other table, so
    /// attackers, who cannot mint device cookies, cannot crowd known devices out of it.
    known_devices: Mutex<Throttle<DeviceId>>,
    cookies: CookiePolicy,
    cookie_key: CookieKey,
}

impl Auth {
    pub fn new(accounts: Accounts, sessions: Sessions, cookies: CookiePolicy, cookie_key: CookieKey) -> Self {
        Auth {
            accounts,
            sessions,
            throttle: Mutex::new(Throttle::new()),
            known_devices: Mutex::new(Throttle::new()),
            cookies,
            cookie_key,
        }
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

    /// Checks `name` and `password` from `client` and on success opens a session. `device` is
    /// the request's `onair_device` cookie: when it is known for this account, only that
    /// device's own budget applies; otherwise the address's and the account's. Refused early,
    /// without checking, while one of those is locked. A name no account can have is refused
    /// before it reaches a throttle table, with the answer a wrong password gets.
    pub async fn sign_in(
        &self,
        client: IpAddr,
        name: &str,
        password: &str,
        device: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        let name = name.trim().to_owned();
        if check_name(&name).is_err() {
            return Err(SignInError::WrongCredentials);
        }
        let account = name.to_lowercase();
        let known = device.and_then(|value| devices::recognise(&self.cookie_key, value, &account, unix_secs()));
        let keys = SignInKey::of(client, &account);
        // Counted as a failure up front, under the same lock as the check, so a burst of
        // concurrent guesses cannot all pass the check before any has failed. A success takes
        // the charge back.
        let now = Instant::now();
        match &known {
            Some(device) => lock(&self.known_devices).charge(std::slice::from_ref(device), now),
            None => lock(&self.throttle).charge(&keys, now),
        }
        .map_err(SignInError::Throttled)?;
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
        match &known {
            Some(device) => lock(&self.known_devices).succeed(std::slice::from_ref(device)),
            None => lock(&self.throttle).succeed(&keys),
        }
        let sessions = self.sessions.clone();
        let session = tokio::task::spawn_blocking(move || sessions.create(admin, now_ms()))
            .await
            .map_err(|e| SignInError::Unavailable(e.to_string()))?
            .map_err(|e| {
                tracing::error!("storing a session failed: {e}");
                SignInError::Unavailable("the database refused the session".into())
            })?;
        Ok(SignedIn { session, device: devices::issue(&self.cookie_key, &account, unix_secs()) })
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
        self.session_admin(token).await.map(|admin| admin.is_some())
    }

    /// The admin whose live session the request's cookie carries (who publishes to the relay).
    pub async fn admin(&self, headers: &HeaderMap) -> Option<AdminId> {
        let token = cookie(headers, SESSION_COOKIE)?;
        self.session_admin(token).await.flatten()
    }

    /// The admin of a live session `token`; the outer `None` when the database cannot tell.
    async fn session_admin(&self, token: &str) -> Option<Option<AdminId>> {
        let sessions = self.sessions.clone();
        let token = token.to_owned();
        match tokio::task::spawn_blocking(move || sessions.lookup(&token, now_ms())).await {
            Ok(Ok(found)) => Some(found),
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
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let device = cookie(&headers, DEVICE_COOKIE);
    match auth.sign_in(client, &form.username, &form.password, device).await {
        Ok(signed_in) => {
            tracing::info!(peer = %client, "admin signed in");
            let mut res = Redirect::to(Page::Admin.path()).into_response();
            let cookies = [
                auth.cookies.set_cookie(&headers, SESSION_COOKIE, &signed_in.session, SESSION_TTL),
                auth.cookies.set_cookie(&headers, DEVICE_COOKIE, &signed_in.device, DEVICE_TTL),
            ];
            for cookie in cookies {
                res.headers_mut().append(header::SET_COOKIE, cookie);
            }
            res
        }
        Err(SignInError::Throttled(wait)) => {
            tracing::warn!(peer = %client, "sign-in refused: too many failed attempts");
            Redirect::to(&Page::Login.with_error(FormError::Throttled { wait_secs: wait_secs(wait) })).into_response()
        }
        Err(SignInError::WrongCredentials) => {
            tracing::warn!(peer = %client, "failed admin sign-in");
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
    use crate::server::store::db::Db;
    use axum::http::HeaderValue;

    fn auth() -> Auth {
        let db = Db::open_in_memory().unwrap();
        let accounts = Accounts::new(db.clone());
        accounts.seed_first("correct horse").unwrap();
        Auth::new(accounts, Sessions::new(db), CookiePolicy::default(), CookieKey::random())
    }

    fn with_cookie(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}")).unwrap());
        h
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 66));

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    async fn guess(auth: &Auth, from: IpAddr, name: &str) -> SignInError {
        auth.sign_in(from, name, "guess", None).await.unwrap_err()
    }

    #[tokio::test]
    async fn the_right_name_and_password_open_a_session_until_sign_out() {
        let auth = auth();
        let token = auth.sign_in(PEER, " Admin ", "correct horse", None).await.unwrap().session;
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
        let wrong = auth.sign_in(PEER, "admin", "wrong", None).await.unwrap_err();
        let unknown = auth.sign_in(PEER, "nobody", "correct horse", None).await.unwrap_err();
        let impossible = auth.sign_in(PEER, "no such name!", "correct horse", None).await.unwrap_err();
        assert_eq!(wrong, SignInError::WrongCredentials);
        assert_eq!(wrong.to_string(), unknown.to_string());
        assert_eq!(wrong.to_string(), impossible.to_string());
    }

    #[tokio::test]
    async fn after_five_failures_from_one_address_even_the_right_password_waits_there() {
        let auth = auth();
        for _ in 0..PAIR_FREE_FAILURES {
            guess(&auth, ATTACKER, "admin").await;
        }
        let e = auth.sign_in(ATTACKER, "admin", "correct horse", None).await.unwrap_err();
        assert!(matches!(e, SignInError::Throttled(w) if w <= Duration::from_secs(1)), "{e:?}");
        assert_eq!(e.to_string(), "Too many attempts; try again in 1 second.");
    }

    #[tokio::test]
    async fn an_attackers_failures_do_not_slow_the_owner_elsewhere() {
        let auth = auth();
        for _ in 0..PAIR_FREE_FAILURES + 3 {
            let _ = auth.sign_in(ATTACKER, "admin", "guess", None).await;
        }
        assert!(matches!(guess(&auth, ATTACKER, "admin").await, SignInError::Throttled(_)));
        auth.sign_in(PEER, "admin", "correct horse", None).await.expect("another address is not locked");
    }

    #[tokio::test]
    async fn ipv6_guesses_from_one_64_share_a_budget() {
        let auth = auth();
        for n in 0..PAIR_FREE_FAILURES {
            guess(&auth, ip(&format!("2001:db8:1:2::{n:x}")), "admin").await;
        }
        assert!(matches!(guess(&auth, ip("2001:db8:1:2:abcd::9"), "admin").await, SignInError::Throttled(_)));
        assert_eq!(guess(&auth, ip("2001:db8:1:3::1"), "admin").await, SignInError::WrongCredentials);
    }

    #[tokio::test]
    async fn a_known_device_signs_in_while_its_address_is_locked() {
        let auth = auth();
        let device = auth.sign_in(ATTACKER, "admin", "correct horse", None).await.unwrap().device;
        // The same address (say, everyone behind one proxy) locked by someone else's guesses.
        for _ in 0..PAIR_FREE_FAILURES {
            guess(&auth, ATTACKER, "admin").await;
        }
        assert!(matches!(guess(&auth, ATTACKER, "admin").await, SignInError::Throttled(_)));
        let again = auth.sign_in(ATTACKER, "admin", "correct horse", Some(&device)).await;
        assert!(again.is_ok(), "the known device is not throttled: {again:?}");
        // A forged cookie is no known device.
        assert!(matches!(
            auth.sign_in(ATTACKER, "admin", "correct horse", Some("0.0.0")).await,
            Err(SignInError::Throttled(_))
        ));
    }

    #[tokio::test]
    async fn a_known_device_has_a_budget_of_its_own() {
        let auth = auth();
        let device = auth.sign_in(PEER, "admin", "correct horse", None).await.unwrap().device;
        for _ in 0..PAIR_FREE_FAILURES {
            let e = auth.sign_in(PEER, "admin", "guess", Some(&device)).await.unwrap_err();
            assert_eq!(e, SignInError::WrongCredentials);
        }
        let e = auth.sign_in(PEER, "admin", "correct horse", Some(&device)).await.unwrap_err();
        assert!(matches!(e, SignInError::Throttled(_)), "a stolen device cookie is one more slow guesser");
        assert_eq!(lock(&auth.throttle).len(), 0, "the device's failures count against no one else");
    }

    #[tokio::test]
    async fn names_no_account_can_have_never_reach_the_throttle() {
        let auth = auth();
        let long = "a".repeat(65);
        for name in ["", "   ", "two words", "semi;colon", "null\0byte", long.as_str()] {
            for _ in 0..PAIR_FREE_FAILURES + 1 {
                assert_eq!(guess(&auth, ATTACKER, name).await, SignInError::WrongCredentials, "{name:?}");
            }
        }
        assert!(lock(&auth.throttle).is_empty());
    }

    #[test]
    fn guessing_many_names_from_one_address_locks_that_address_only() {
        let mut table = Throttle::new();
        let now = Instant::now();
        for n in 0..ADDRESS_FREE_FAILURES {
            table.charge(&SignInKey::of(ATTACKER, &format!("user{n}")), now).unwrap();
        }
        assert!(table.check(&SignInKey::of(ATTACKER, "fresh"), now).is_err());
        assert_eq!(table.check(&SignInKey::of(PEER, "user1"), now), Ok(()), "no account reached its ceiling");
    }

    #[test]
    fn guessing_one_account_from_many_addresses_reaches_its_ceiling() {
        let mut table = Throttle::new();
        let now = Instant::now();
        for n in 0..ACCOUNT_FREE_FAILURES {
            let from = IpAddr::from([198, 51, (n / 250) as u8, (n % 250) as u8]);
            table.charge(&SignInKey::of(from, "admin"), now).unwrap();
        }
        assert!(table.check(&SignInKey::of(PEER, "admin"), now).is_err(), "locked for unknown devices");
        assert_eq!(table.check(&SignInKey::of(PEER, "alice"), now), Ok(()));
    }

    #[tokio::test]
    async fn a_burst_of_concurrent_guesses_gets_no_more_checks_than_the_free_failures() {
        let auth = Arc::new(auth());
        let guesses: Vec<_> = (0..20)
            .map(|n| {
                let auth = auth.clone();
                tokio::spawn(async move { auth.sign_in(PEER, "admin", &format!("guess {n}"), None).await })
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
        assert_eq!(checked, PAIR_FREE_FAILURES, "the rest were refused unchecked");
    }

    #[tokio::test]
    async fn a_success_clears_the_failures_before_it() {
        let auth = auth();
        for _ in 0..PAIR_FREE_FAILURES - 1 {
            guess(&auth, PEER, "admin").await;
        }
        auth.sign_in(PEER, "admin", "correct horse", None).await.unwrap();
        for _ in 0..PAIR_FREE_FAILURES - 1 {
            assert_eq!(guess(&auth, PEER, "admin").await, SignInError::WrongCredentials);
        }
        auth.sign_in(PEER, "admin", "correct horse", None).await.unwrap();
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
