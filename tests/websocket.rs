//! `/ws` at the WebSocket level, against the real server: OnAir speaks the protocol itself
//! (src/server/websocket/), so the handshake, control frames, fragments and protocol errors are
//! checked here with a standard client (tungstenite) and with hand-made bytes.

mod common;

use common::{temp_path, Client, Server, WAIT};
use futures_util::StreamExt;
use onair::server::config::Config;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::Message;

async fn start() -> Server {
    Server::start_and_clean(Config::for_tests(&temp_path("server"), "websocket-test-password")).await
}

#[tokio::test]
async fn a_request_that_is_not_an_upgrade_is_refused_in_words() {
    let server = start().await;
    let res = common::http().get(server.url("/ws")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("WebSocket endpoint"));

    let old = common::http()
        .get(server.url("/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "8")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 426);
    assert_eq!(old.headers()["sec-websocket-version"], "13");
}

#[tokio::test]
async fn a_ping_gets_its_pong_and_a_fragmented_message_counts_as_one() {
    let server = start().await;
    let mut c = Client::connect(&server, None).await;
    c.send_raw(Message::Ping(b"are you there".to_vec().into())).await;
    let pong = tokio::time::timeout(WAIT, c.ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(pong, Message::Pong(b"are you there".to_vec().into()));

    // `{"type":"viewer"}` in three frames, a ping between two of them.
    let hello = br#"{"type":"viewer"}"#;
    let part = |op: OpCode, fin: bool, bytes: &[u8]| {
        Message::Frame(Frame::from_payload(
            FrameHeader { is_final: fin, opcode: op, ..FrameHeader::default() },
            bytes.to_vec().into(),
        ))
    };
    c.send_raw(part(OpCode::Data(Data::Text), false, &hello[..5])).await;
    c.send_raw(part(OpCode::Data(Data::Continue), false, &hello[5..9])).await;
    c.send_raw(Message::Ping(b"mid".to_vec().into())).await;
    c.send_raw(part(OpCode::Data(Data::Continue), true, &hello[9..])).await;
    let welcome = c.next_of("welcome").await;
    assert!(welcome["viewerId"].as_str().is_some_and(|id| !id.is_empty()));
}

/// Upgrades a plain TCP connection by hand; returns it with the response head.
async fn raw_upgrade(server: &Server) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    (tcp, String::from_utf8(head).unwrap())
}

/// One server frame: its first byte and its payload. Server frames are never masked.
async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.unwrap();
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7F {
        126 => usize::from(tcp.read_u16().await.unwrap()),
        127 => tcp.read_u64().await.unwrap() as usize,
        n => usize::from(n),
    };
    let mut body = vec![0u8; len];
    tcp.read_exact(&mut body).await.unwrap();
    (head[0], body)
}

/// Everything the server sends until it closes the connection.
async fn read_to_end(tcp: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut out)).await.expect("closed within 5 s").unwrap();
    out
}

#[tokio::test]
async fn the_handshake_answer_and_a_message_trickling_in_byte_by_byte() {
    let server = start().await;
    let (mut tcp, head) = raw_upgrade(&server).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // RFC 6455 section 1.3's example key and answer.
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");

    let mask = [1u8, 2, 3, 4];
    let hello = br#"{"type":"viewer"}"#;
    let mut frame = vec![0x81, 0x80 | hello.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(hello.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    for byte in frame {
        tcp.write_all(&[byte]).await.unwrap();
        tcp.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let (first, body) = tokio::time::timeout(WAIT, read_frame(&mut tcp)).await.unwrap();
    assert_eq!(first, 0x81, "a final text frame");
    let welcome: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(welcome["type"], "welcome");
}

#[tokio::test]
async fn an_unmasked_frame_is_a_protocol_error_that_closes_only_that_socket() {
    let server = start().await;
    let (mut other, _) = Client::viewer(&server, None).await;
    let (mut tcp, _) = raw_upgrade(&server).await;
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    let bytes = read_to_end(&mut tcp).await;
    // A close frame with 1002 (protocol error), then the connection ends.
    assert_eq!(&bytes[..1], &[0x88]);
    assert_eq!(u16::from_be_bytes([bytes[2], bytes[3]]), 1002);
    // The other viewer is untouched.
    other.send(json!({"type": "viewerStats", "stats": {}})).await;
    other.send_raw(Message::Ping(b"still".to_vec().into())).await;
    loop {
        match tokio::time::timeout(WAIT, other.ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Pong(p) => break assert_eq!(&p[..], b"still"),
            _ => continue,
        }
    }
}

#[tokio::test]
async fn a_client_close_is_answered_and_the_connection_ends() {
    let server = start().await;
    let (mut c, _) = Client::viewer(&server, None).await;
    c.ws.close(None).await.unwrap();
    let mut answered = false;
    while let Ok(Some(msg)) = tokio::time::timeout(WAIT, c.ws.next()).await {
        match msg {
            Ok(Message::Close(_)) => answered = true,
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    assert!(answered, "the server echoes the close frame");
    common::wait_until(|| server.state.signaling.status().connections == 0).await;
}
