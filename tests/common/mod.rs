//! The harness every integration test file shares: the real server on an ephemeral port with a
//! data folder of its own, an HTTP client that does not follow redirects, the admin sign-in,
//! and a WebSocket client for `/ws`.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use onair::server::config::Config;
use onair::server::{serve, AppState};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A path under the system temp dir, not used before in this run; its name tells the test
/// file and `tag`.
pub fn temp_path(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let name = format!("onair-{}-{tag}-{}-{n}-{nanos}", env!("CARGO_CRATE_NAME"), std::process::id());
    std::env::temp_dir().join(name)
}

/// A folder under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir(temp_path(tag))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server, serving until `stop` is sent or dropped (that is, until the `Server` is).
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<()>,
    pub data_dir: PathBuf,
    /// The first admin's password, for `sign_in`.
    pub password: String,
    /// The data folder, when this server is the one to remove it.
    _data: Option<TempDir>,
}

impl Server {
    /// Serves `config` on an ephemeral port; its data folder is left as it is.
    pub async fn start(config: Config) -> Server {
        let state = AppState::new(&config).unwrap();
        let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn({
            let state = state.clone();
            async move {
                serve(listener, state, async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            }
        });
        let password = config.admin_password.clone().unwrap_or_default();
        Server { addr, state, stop: Some(stop), task, data_dir: config.data_dir, password, _data: None }
    }

    /// Serves `config` and removes its data folder when dropped.
    pub async fn start_and_clean(config: Config) -> Server {
        let data = TempDir(config.data_dir.clone());
        Server { _data: Some(data), ..Server::start(config).await }
    }

    /// Stops the server the way SIGTERM does and waits until it has.
    pub async fn stop_gracefully(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, &mut self.task).await.expect("server stopped within 5 s").unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Posts the sign-in form.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        http().post(self.url("/login")).form(&[("username", username), ("password", password)]).send().await.unwrap()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in as `admin` through the real form endpoint and returns the `Cookie` header value.
pub async fn sign_in(server: &Server) -> String {
    let res = server.login("admin", &server.password).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin");
    set_cookie(&res, "onair_session")
}

/// The `name=value` of the `Set-Cookie` for `name`, checking its flags.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    let header = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"));
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(flag), "{flag} in {header}");
    }
    header.split(';').next().unwrap().to_owned()
}

/// Polls `cond` until it holds.
pub async fn wait_until(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "condition not met within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn sdp(kind: &str, body: &str) -> Value {
    json!({"type": kind, "sdp": body})
}

pub fn candidate(n: u32) -> Value {
    json!({"candidate": format!("candidate:{n} 1 udp 2122260223 127.0.0.1 {} typ host", 50000 + n), "sdpMid": "0", "sdpMLineIndex": 0})
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug)]
pub struct Client {
    pub ws: Ws,
}

impl Client {
    /// Opens `/ws{query}` with these extra headers; the HTTP refusal (status, body) when refused.
    pub async fn try_connect_with(
        server: &Server,
        query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Client, (u16, String)> {
        let mut req = format!("ws://{}/ws{query}", server.addr).into_client_request().unwrap();
        for (k, v) in headers {
            let name = tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
            req.headers_mut().insert(name, v.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => Ok(Client { ws }),
            Err(tungstenite::Error::Http(res)) => {
                let body = res.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                Err((res.status().as_u16(), body))
            }
            Err(e) => panic!("unexpected connection error: {e}"),
        }
    }

    pub async fn connect_with(server: &Server, query: &str, headers: &[(&str, &str)]) -> Client {
        Client::try_connect_with(server, query, headers).await.expect("connection accepted")
    }

    /// Opens `/ws`, with this `Cookie` header if any.
    pub async fn connect(server: &Server, cookie: Option<&str>) -> Client {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        Client::connect_with(server, "", &headers).await
    }

    /// Takes the streamer role; the client with its `streamerReady`.
    pub async fn streamer_ready(server: &Server, cookie: &str) -> (Client, Value) {
        let mut c = Client::connect(server, Some(cookie)).await;
        c.send(json!({"type": "streamer"})).await;
        let ready = c.next_of("streamerReady").await;
        (c, ready)
    }

    pub async fn streamer(server: &Server, cookie: &str) -> Client {
        Client::streamer_ready(server, cookie).await.0
    }

    /// Joins as a viewer; the client with its `welcome`.
    pub async fn viewer_welcome(server: &Server, name: Option<&str>) -> (Client, Value) {
        let mut c = Client::connect(server, None).await;
        c.send(json!({"type": "viewer", "viewerId": name})).await;
        let welcome = c.next_of("welcome").await;
        (c, welcome)
    }

    /// Joins as a viewer and returns the client with its server-assigned id.
    pub async fn viewer(server: &Server, name: Option<&str>) -> (Client, String) {
        let (c, welcome) = Client::viewer_welcome(server, name).await;
        (c, welcome["viewerId"].as_str().unwrap().to_owned())
    }

    /// Ends as the studio's End live does: a normal close.
    pub async fn end(mut self) {
        let close = CloseFrame { code: CloseCode::Normal, reason: "".into() };
        self.ws.send(Message::Close(Some(close))).await.unwrap();
        // Read until the server answers the close.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, self.ws.next()).await {}
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.unwrap();
    }

    /// The next JSON message; `None` once the socket is closed.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("no message within 5 s");
            match msg {
                Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next message of type `kind`, skipping others (such as `viewerCount`).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await.unwrap_or_else(|| panic!("socket closed while waiting for {kind}"));
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// The next message of any of these types, skipping others.
    pub async fn next_of_any(&mut self, kinds: &[&str]) -> Value {
        loop {
            let v = self.next().await.expect("socket closed");
            if kinds.iter().any(|k| v["type"] == *k) {
                return v;
            }
        }
    }

    pub async fn error_code(&mut self) -> String {
        self.next_of("error").await["code"].as_str().unwrap().to_owned()
    }

    /// Waits until the socket is closed by the server.
    pub async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await {
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Every message until the server closes the socket.
    pub async fn until_closed(&mut self) -> Vec<Value> {
        let mut seen = Vec::new();
        while let Some(v) = self.next().await {
            seen.push(v);
        }
        seen
    }
}

/// The ffmpeg build with a WHIP muxer that `make tools-test` installs (Debian's ffmpeg has none);
/// its one home, matched by `scripts/install-tools.sh`. Missing, it fails the test in words
/// rather than skipping it: CI runs the installer first, so a missing binary is a broken setup.
pub fn ffmpeg_for_whip() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2");
    assert!(path.is_file(), "{} is missing: run `make tools-test` (it installs ffmpeg with WHIP)", path.display());
    path
}
