//! Client code shared by the load examples (`soak`, `bench`): connecting to `/ws`, signing
//! in, and reading a server process's memory and CPU from `/proc`.
#![allow(dead_code)] // each example uses a part

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Each client socket's read buffer: a few of OnAir's largest messages (an SDP offer is ~4 KiB).
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Opens `/ws`, with a `Cookie` header when given (an admin session).
pub async fn connect(url: &str, cookie: Option<&str>) -> Result<Ws, String> {
    let mut req = url.into_client_request().map_err(|e| format!("bad url {url}: {e}"))?;
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().map_err(|e| format!("bad cookie: {e}"))?);
    }
    // Nagle off, as browsers have it on their WebSockets: a message is sent when written.
    // tungstenite zero-fills its whole read buffer (128 KiB by default) before every read:
    // with thousands of sockets on the load generator's one core that memset was its top
    // cost (14 % of its profile), so the generator, not the server, set the pace. Messages
    // larger than this still arrive whole; the buffer grows for them.
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    Ok(ws)
}

/// Signs in through OnAir's form (`POST /login`) and returns the `Cookie` header value.
pub async fn sign_in(ws_url: &str, username: &str, password: &str) -> Result<String, String> {
    let base = ws_url.replacen("ws://", "http://", 1);
    let base = base.trim_end_matches("/ws");
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .map_err(|e| format!("POST /login: {e}"))?;
    let set_cookie =
        res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            format!("POST /login answered {} without a session cookie (wrong password?)", res.status())
        })?;
    Ok(set_cookie.split(';').next().unwrap_or_default().to_owned())
}

/// Sends `hello` and waits for the message of type `want`; an `error` first is a refusal.
pub async fn handshake(ws: &mut Ws, hello: String, want: &str, within: Duration) -> Result<String, String> {
    ws.send(Message::text(hello)).await.map_err(|e| format!("send: {e}"))?;
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => match kind(&t) {
                k if k == want => return Ok(t.as_str().to_owned()),
                "error" => return Err(format!("refused: {t}")),
                _ => continue,
            },
            Ok(Some(Ok(_))) => continue,
            Ok(other) => return Err(format!("closed before {want}: {other:?}")),
            Err(_) => return Err(format!("no {want} within {within:?}")),
        }
    }
}

/// The top-level `type` of a signaling message without parsing it: both OnAir and the
/// reference server write `type` before any nested object.
pub fn kind(text: &str) -> &str {
    text.split_once(r#""type":""#).and_then(|(_, rest)| rest.split_once('"')).map_or("", |(k, _)| k)
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time a process has used so far (user + system), in seconds.
#[allow(unsafe_code)]
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some((utime + stime) as f64 / if ticks > 0 { ticks as f64 } else { 100.0 })
}

/// Raises this process's open-files soft limit to its hard limit (one socket per client);
/// returns (before, after).
#[allow(unsafe_code)]
pub fn raise_open_files_limit() -> std::io::Result<(u64, u64)> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: as above; only the soft limit changes, up to the hard one.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Thousands of client sockets: the descriptor table grows once now, not three times
    // mid-wave with a stall each (see `onair::server::fd_table`).
    onair::server::fd_table::grow_to_limit();
    Ok((before, lim.rlim_cur))
}
