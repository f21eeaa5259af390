//! Guessing watch codes and admin passwords, against the real server on an ephemeral port:
//! every path that checks a code shares one budget, an attacker's sign-in failures slow the
//! attacker and not the owner, and `--trust-proxy` tells clients apart by `X-Forwarded-For`.

mod common;

use common::{http, set_cookie, sign_in, temp_path, Client, Server};
use onair::server::config::Config;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

const PASSWORD: &str = "guessing-test-password";
const CODE: &str = "open sesame";
const OWNER: &str = "198.51.100.7";
const ATTACKER: &str = "203.0.113.66";

fn config() -> Config {
    Config::for_tests(&temp_path("server"), PASSWORD)
}

async fn start_with(config: Config) -> Server {
    Server::start_and_clean(config).await
}

async fn with_code() -> Server {
    start_with(Config { watch_code: Some(CODE.into()), ..config() }).await
}

async fn behind_a_proxy() -> Server {
    start_with(Config { trust_proxy: true, ..config() }).await
}

/// Where a response sends the browser.
fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

impl Server {
    /// `GET path` with these headers.
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = http().get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Posts the code form.
    async fn enter_code(&self, code: &str) -> reqwest::Response {
        http().post(self.url("/watch/code")).form(&[("code", code)]).send().await.unwrap()
    }

    /// Posts the sign-in form with these headers.
    async fn login_with(&self, headers: &[(&str, &str)], name: &str, password: &str) -> reqwest::Response {
        let mut req = http().post(self.url("/login")).form(&[("username", name), ("password", password)]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Posts the sign-in form from `client`, as the proxy names it in `X-Forwarded-For`.
    async fn login_from(&self, client: &str, name: &str, password: &str) -> reqwest::Response {
        self.login_with(&[("x-forwarded-for", client)], name, password).await
    }
}

impl Client {
    /// The first error code the viewer role gets on `/ws{query}`, or `welcome`.
    async fn viewer_answer(server: &Server, query: &str) -> String {
        let mut c = Client::connect_with(server, query, &[]).await;
        c.send(json!({"type": "viewer"})).await;
        loop {
            let v = c.next().await.expect("an answer");
            match v["type"].as_str().unwrap() {
                "error" => return v["code"].as_str().unwrap().to_owned(),
                "welcome" => return "welcome".to_owned(),
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn every_path_that_checks_a_watch_code_shares_one_budget() {
    let server = with_code().await;
    // Five wrong codes spread over the three paths that take one.
    for guess in ["guess-one", "guess-two"] {
        let res = server.get(&format!("/watch?code={guess}"), &[]).await;
        assert_eq!(location(&res), "/watch/code?error=wrong_code");
        assert_eq!(Client::viewer_answer(&server, &format!("?code={guess}")).await, "code_required");
    }
    assert_eq!(location(&server.enter_code("guess-five").await), "/watch/code?error=wrong_code");

    // Now even the right code waits, whichever path brings it.
    let res = server.get("/watch?code=open+sesame", &[]).await;
    assert_eq!(location(&res), "/watch/code?error=throttled&wait=1");
    // (The watch page also marks the browser with its viewer cookie; the pass is what matters.)
    assert!(!res.headers().get_all("set-cookie").iter().any(|c| c.as_bytes().starts_with(b"onair_watch=")));
    let (status, words) = Client::try_connect_with(&server, "?code=open%20sesame", &[]).await.unwrap_err();
    assert_eq!(status, 429);
    assert!(words.contains("too many wrong codes; try again in 1 second"), "{words}");
    assert_eq!(location(&server.enter_code(CODE).await), "/watch/code?error=throttled&wait=1");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = server.get("/watch?code=open+sesame", &[]).await;
    assert_eq!(location(&res), "/watch");
    set_cookie(&res, "onair_watch");
    assert_eq!(Client::viewer_answer(&server, "?code=open%20sesame").await, "welcome");
}

#[tokio::test]
async fn the_code_link_leaves_the_code_out_of_the_address_once_in() {
    let server = with_code().await;
    let res = server.get("/watch?code=open+sesame", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/watch");
    let pass = set_cookie(&res, "onair_watch");
    // With the cookie, a link with a code (right or not) only cleans the address…
    for query in ["?code=open+sesame", "?code=whatever"] {
        let res = server.get(&format!("/watch{query}"), &[("cookie", &pass)]).await;
        assert_eq!((res.status().as_u16(), location(&res)), (303, "/watch".to_owned()), "{query}");
    }
    // …and the clean address plays.
    assert_eq!(server.get("/watch", &[("cookie", &pass)]).await.status(), 200);
}

#[tokio::test]
async fn the_watch_cookie_cannot_be_computed_from_a_guess() {
    let server = with_code().await;
    // The digest of the code alone: anyone could compute it for each guess, unthrottled.
    let digest: String =
        Sha256::digest(format!("onair-watch\0{CODE}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let cookie = format!("onair_watch={digest}");
    assert_eq!(location(&server.get("/watch", &[("cookie", &cookie)]).await), "/watch/code");
    let headers = [("cookie", cookie.as_str())];
    let mut c = Client::connect_with(&server, "", &headers).await;
    c.send(json!({"type": "viewer"})).await;
    assert_eq!(c.error_code().await, "code_required");
}

/// Runs `onair <args>`: whether it exited with success, and what it said on stderr. A server
/// still running after the test's wait is killed and reported as started.
fn onair(args: &[&str]) -> (bool, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + common::WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.is_some_and(|s| s.success()), if status.is_none() { format!("still serving: {err}") } else { err })
}

#[test]
fn a_watch_code_under_8_characters_is_refused_at_start_in_words() {
    let dir = temp_path("short-code");
    let (ok, err) = onair(&["--watch-code", "1234567", "--addr", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("the watch code has 7 characters; it needs at least 8"), "{err}");
    assert!(!dir.exists(), "refused before anything was created");
}

#[tokio::test]
async fn an_attacker_behind_the_same_proxy_does_not_lock_the_owner_out() {
    let server = behind_a_proxy().await;
    for _ in 0..5 {
        assert_eq!(location(&server.login_from(ATTACKER, "admin", "guess").await), "/login?error=wrong_password");
    }
    let res = server.login_from(ATTACKER, "admin", PASSWORD).await;
    assert_eq!(location(&res), "/login?error=throttled&wait=1", "the attacker waits");
    // The proxy's hop is the client, whatever the client wrote before it.
    let res = server.login_from(&format!("{OWNER}, {ATTACKER}"), "admin", PASSWORD).await;
    assert_eq!(location(&res), "/login?error=throttled&wait=1", "a spoofed hop changes nothing");
    // The owner, from elsewhere, gets in at once.
    let res = server.login_from(OWNER, "admin", PASSWORD).await;
    assert_eq!(location(&res), "/admin");
}

#[tokio::test]
async fn without_trust_proxy_a_forwarded_for_header_does_not_dodge_the_throttle() {
    let server = start_with(config()).await;
    for n in 0..5 {
        let res = server.login_from(&format!("203.0.113.{n}"), "admin", "guess").await;
        assert_eq!(location(&res), "/login?error=wrong_password");
    }
    let res = server.login_from("198.51.100.99", "admin", PASSWORD).await;
    assert_eq!(location(&res), "/login?error=throttled&wait=1");
}

#[tokio::test]
async fn ipv6_clients_are_throttled_by_their_64() {
    let server = behind_a_proxy().await;
    for n in 1..=5 {
        let res = server.login_from(&format!("2001:db8:1:2::{n}"), "admin", "guess").await;
        assert_eq!(location(&res), "/login?error=wrong_password");
    }
    let res = server.login_from("2001:db8:1:2:dead:beef::1", "admin", PASSWORD).await;
    assert_eq!(location(&res), "/login?error=throttled&wait=1", "a new address in the same /64");
    let res = server.login_from("2001:db8:1:3::1", "admin", PASSWORD).await;
    assert_eq!(location(&res), "/admin", "another /64");
}

#[tokio::test]
async fn a_device_that_signed_in_before_is_not_throttled() {
    // No proxy trust: the attacker and the owner share one address, as behind a plain proxy.
    let server = start_with(config()).await;
    let res = server.login("admin", PASSWORD).await;
    let device = set_cookie(&res, "onair_device");
    for _ in 0..6 {
        let _ = server.login("admin", "guess").await;
    }
    assert_eq!(location(&server.login("admin", PASSWORD).await), "/login?error=throttled&wait=1");
    let known = [("cookie", device.as_str())];
    let res = server.login_with(&known, "admin", PASSWORD).await;
    assert_eq!(location(&res), "/admin", "the known device signs in at once");
    assert!(!set_cookie(&res, "onair_session").is_empty());
    // The device cookie is no key: a wrong password from it still fails.
    let res = server.login_with(&known, "admin", "guess").await;
    assert_eq!(location(&res), "/login?error=wrong_password");
}

#[tokio::test]
async fn names_no_account_can_have_do_not_lock_the_address() {
    let server = start_with(config()).await;
    let long = "x".repeat(65);
    for n in 0..25 {
        let name = if n % 2 == 0 { format!("name with spaces {n}") } else { long.clone() };
        let res = server.login(&name, "guess").await;
        assert_eq!(location(&res), "/login?error=wrong_password");
    }
    sign_in(&server).await;
}
