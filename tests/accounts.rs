//! Admin accounts, sessions, sign-in throttling, the watch code and the security headers,
//! against the real server on an ephemeral port, each test with a data folder of its own.

mod common;

use common::{http, set_cookie, sign_in, Client, Server, TempDir, WAIT};
use futures_util::StreamExt;
use onair::server::clock::now_ms;
use onair::server::config::Config;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "accounts-test-password";

async fn start(data_dir: &Path) -> Server {
    Server::start(Config::for_tests(data_dir, PASSWORD)).await
}

impl Server {
    /// Where `GET path` with `cookie` leads: `Ok(status 200)` or `Err(redirect location)`.
    async fn page(&self, path: &str, cookie: Option<&str>) -> Result<String, String> {
        let mut req = http().get(self.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        match res.status().as_u16() {
            200 => Ok(res.text().await.unwrap()),
            303 | 302 | 307 => Err(res.headers()["location"].to_str().unwrap().to_owned()),
            other => panic!("GET {path}: status {other}"),
        }
    }
}

impl Client {
    /// The first `welcome` or `streamerReady`, or the code of the first error.
    async fn answer(&mut self) -> String {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("no message within 5 s");
            if let Some(Ok(Message::Text(t))) = msg {
                let v: Value = serde_json::from_str(&t).unwrap();
                match v["type"].as_str().unwrap() {
                    "error" => return v["code"].as_str().unwrap().to_owned(),
                    kind @ ("welcome" | "streamerReady") => return kind.to_owned(),
                    _ => {}
                }
            } else {
                panic!("socket ended: {msg:?}");
            }
        }
    }

    async fn try_role(server: &Server, role: &str, query: &str, cookie: Option<&str>) -> String {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        let mut c = Client::connect_with(server, query, &headers).await;
        c.send(json!({ "type": role })).await;
        c.answer().await
    }
}

fn token_of(cookie: &str) -> &str {
    cookie.split_once('=').unwrap().1
}

#[tokio::test]
async fn a_session_survives_a_restart_with_the_same_data_folder() {
    let dir = TempDir::new("restart");
    let server = start(&dir.0).await;
    let cookie = sign_in(&server).await;
    assert!(server.page("/admin", Some(&cookie)).await.is_ok());
    server.stop_gracefully().await;

    let server = start(&dir.0).await;
    let page = server.page("/admin", Some(&cookie)).await.expect("still signed in after the restart");
    assert!(page.contains("Go live"));
    assert_eq!(Client::try_role(&server, "streamer", "", Some(&cookie)).await, "streamerReady");
    // The first account was not created twice, and the password still works.
    assert_eq!(server.state.auth.accounts().count().unwrap(), 1);
    sign_in(&server).await;
    server.stop_gracefully().await;
}

#[tokio::test]
async fn logout_and_expiry_end_a_session() {
    let dir = TempDir::new("revoke");
    let server = start(&dir.0).await;

    let cookie = sign_in(&server).await;
    let res = http().post(server.url("/logout")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let cleared = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("onair_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    // Replaying the old cookie does not work: the session is gone on the server.
    assert_eq!(server.page("/admin", Some(&cookie)).await.unwrap_err(), "/login");

    let cookie = sign_in(&server).await;
    assert!(server.page("/admin", Some(&cookie)).await.is_ok());
    server.state.auth.sessions().set_expiry(token_of(&cookie), now_ms() - 1).unwrap();
    assert_eq!(server.page("/admin", Some(&cookie)).await.unwrap_err(), "/login");
    server.stop_gracefully().await;
}

#[tokio::test]
async fn forged_and_unknown_session_cookies_are_refused_everywhere() {
    let dir = TempDir::new("forged");
    let server = start(&dir.0).await;
    let real = sign_in(&server).await;
    let forged = format!("onair_session={}", "ab".repeat(32));
    let garbage = "onair_session=not-a-token".to_owned();
    // The real token with one digit changed.
    let mut tampered = real.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();

    for cookie in [&forged, &garbage, &tampered] {
        assert_eq!(server.page("/admin", Some(cookie)).await.unwrap_err(), "/login", "{cookie}");
        assert_eq!(server.page("/admin/history", Some(cookie)).await.unwrap_err(), "/login", "{cookie}");
        assert_eq!(Client::try_role(&server, "streamer", "", Some(cookie)).await, "unauthorized", "{cookie}");
        let res = http().post(server.url("/api/history/lives")).header("cookie", cookie.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 401, "{cookie}");
    }
    // The real one still works.
    assert!(server.page("/admin", Some(&real)).await.is_ok());
    let res = http().post(server.url("/api/history/lives")).header("cookie", &real).send().await.unwrap();
    assert_eq!(res.status(), 200);
    server.stop_gracefully().await;
}

#[tokio::test]
async fn an_unknown_name_and_a_wrong_password_get_the_same_answer() {
    let dir = TempDir::new("same");
    let server = start(&dir.0).await;
    let wrong = server.login("admin", "not the password").await;
    let unknown = server.login("mallory", PASSWORD).await;
    for res in [&wrong, &unknown] {
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/login?error=wrong_password");
        assert!(res.headers().get("set-cookie").is_none());
    }
    let page = server.page("/login?error=wrong_password", None).await.unwrap();
    assert!(page.contains("Wrong username or password"));
    // The form asks for the name, defaulting to the first account.
    assert!(page.contains(">Username</label>") && page.contains("value=\"admin\""));
    server.stop_gracefully().await;
}

#[tokio::test]
async fn guessing_is_throttled_until_the_window_passes_even_for_the_right_password() {
    let dir = TempDir::new("throttle");
    let server = start(&dir.0).await;
    for _ in 0..5 {
        let res = server.login("admin", "guess").await;
        assert_eq!(res.headers()["location"], "/login?error=wrong_password");
    }
    // Locked now: the right password is refused without being checked.
    let res = server.login("admin", PASSWORD).await;
    assert_eq!(res.headers()["location"], "/login?error=throttled&wait=1");
    assert!(res.headers().get("set-cookie").is_none());
    // The lock is on this address trying this account: another name is still checked.
    let res = server.login("mallory", "guess").await;
    assert_eq!(res.headers()["location"], "/login?error=wrong_password");
    let page = server.page("/login?error=throttled&wait=1", None).await.unwrap();
    assert!(page.contains("Too many attempts; try again in 1 second."), "the page says how long");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The honest admin gets in once the window has passed…
    let cookie = sign_in(&server).await;
    assert!(server.page("/admin", Some(&cookie)).await.is_ok());
    // …and the success cleared the count: one more mistake is not locked out.
    let res = server.login("admin", "typo").await;
    assert_eq!(res.headers()["location"], "/login?error=wrong_password");
    server.stop_gracefully().await;
}

#[tokio::test]
async fn the_watch_code_gates_the_page_and_the_viewer_role() {
    let dir = TempDir::new("code");
    let config = Config { watch_code: Some("open sesame".into()), ..Config::for_tests(&dir.0, PASSWORD) };
    let server = Server::start(config).await;

    // Without the code: the form, and no viewer role on the socket.
    assert_eq!(server.page("/watch", None).await.unwrap_err(), "/watch/code");
    let form = server.page("/watch/code", None).await.unwrap();
    assert!(form.contains("This stream needs a code"));
    assert!(form.contains(">Code</label>") && form.contains(">Watch</button>"));
    assert_eq!(Client::try_role(&server, "viewer", "", None).await, "code_required");
    assert_eq!(Client::try_role(&server, "viewer", "?code=wrong", None).await, "code_required");

    // A wrong code goes back to the form saying so.
    let res = http().post(server.url("/watch/code")).form(&[("code", "open")]).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/watch/code?error=wrong_code");
    assert!(res.headers().get("set-cookie").is_none());
    assert!(server.page("/watch/code?error=wrong_code", None).await.unwrap().contains("not the code"));

    // The right code sets the cookie, which opens the page and the viewer role.
    let res = http().post(server.url("/watch/code")).form(&[("code", "open sesame")]).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/watch");
    let pass = set_cookie(&res, "onair_watch");
    assert!(!pass.contains("sesame"), "the cookie is not the code");
    assert!(server.page("/watch", Some(&pass)).await.unwrap().contains("data-testid=\"player\""));
    assert_eq!(Client::try_role(&server, "viewer", "", Some(&pass)).await, "welcome");

    // `?code=` works for the socket, and on the page it sets the cookie.
    assert_eq!(Client::try_role(&server, "viewer", "?code=open%20sesame", None).await, "welcome");
    let res = http().get(server.url("/watch?code=open+sesame")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/watch");
    assert_eq!(set_cookie(&res, "onair_watch"), pass);

    // The admin may always watch.
    let admin = sign_in(&server).await;
    assert!(server.page("/watch", Some(&admin)).await.is_ok());
    assert_eq!(Client::try_role(&server, "viewer", "", Some(&admin)).await, "welcome");
    server.stop_gracefully().await;
}

#[tokio::test]
async fn without_a_watch_code_anyone_watches() {
    let dir = TempDir::new("nocode");
    let server = start(&dir.0).await;
    assert!(server.page("/watch", None).await.is_ok());
    assert_eq!(Client::try_role(&server, "viewer", "", None).await, "welcome");
    server.stop_gracefully().await;
}

/// The value of `attr="…"` on every `<script` tag of a page.
fn script_nonces(page: &str) -> Vec<Option<String>> {
    page.split("<script")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            tag.split_once("nonce=\"").map(|(_, rest)| rest[..rest.find('"').unwrap()].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn security_headers_on_every_page_with_a_fresh_nonce_on_the_scripts() {
    let dir = TempDir::new("headers");
    let server = start(&dir.0).await;
    let admin = sign_in(&server).await;
    let mut seen = Vec::new();
    for (path, capture) in
        [("/", "()"), ("/watch", "()"), ("/login", "()"), ("/admin", "(self)"), ("/admin/history", "(self)")]
    {
        let res = http().get(server.url(path)).header("cookie", &admin).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers().clone();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let pp = h["permissions-policy"].to_str().unwrap();
        assert_eq!(pp, format!("camera={capture}, microphone={capture}, display-capture={capture}"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        for part in
            ["'strict-dynamic'", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]
        {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
        let page = res.text().await.unwrap();
        let nonces = script_nonces(&page);
        assert!(!nonces.is_empty(), "{path} has scripts");
        for n in nonces {
            assert_eq!(n.as_deref(), Some(nonce.as_str()), "every script on {path} carries the header's nonce");
        }
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "a new nonce per response");
    // Redirects and other answers get the headers too.
    let res = http().get(server.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    server.stop_gracefully().await;
}

/// Runs `onair <args>` with `stdin` piped in; returns whether it succeeded and its stderr.
fn onair(args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn accounts_added_and_changed_from_the_shell_sign_in() {
    let dir = TempDir::new("cli");
    let data = dir.0.to_str().unwrap();
    let (ok, err) = onair(&["admin", "add", "carol", "--data-dir", data], "carol's long password\n");
    assert!(ok, "{err}");
    let (ok, err) = onair(&["--data-dir", data, "admin", "add", "Carol"], "another long password\n");
    assert!(!ok && err.contains("already an account"), "{err}");
    let (ok, err) = onair(&["--data-dir", data, "admin", "add", "dave"], "short\n");
    assert!(!ok && err.contains("too short"), "{err}");

    let server = start(&dir.0).await;
    let res = server.login("carol", "carol's long password").await;
    assert_eq!(res.headers()["location"], "/admin");
    let cookie = set_cookie(&res, "onair_session");
    // Accounts existed, so the first start did not add `admin`.
    assert_eq!(server.login("admin", PASSWORD).await.headers()["location"], "/login?error=wrong_password");

    // A new password from the shell, with the server running: the old one and carol's
    // sessions stop working, the new one signs in.
    let (ok, err) = onair(&["--data-dir", data, "admin", "passwd", "carol"], "carol's new password\n");
    assert!(ok, "{err}");
    assert_eq!(server.page("/admin", Some(&cookie)).await.unwrap_err(), "/login");
    assert_eq!(
        server.login("carol", "carol's long password").await.headers()["location"],
        "/login?error=wrong_password"
    );
    assert_eq!(server.login("carol", "carol's new password").await.headers()["location"], "/admin");
    server.stop_gracefully().await;
}
