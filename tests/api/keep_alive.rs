//! Idle keep-alive connections: announced and kept for `http.keep_alive`.

use std::time::Duration;

use ferrid::config::Span;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_app_with};

/// Sends one HTTP/1.1 GET on `stream` and returns the response head, or
/// `None` when the server has closed the connection.
async fn get_on(stream: &mut TcpStream, port: u16) -> Option<String> {
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut read = 0;
    loop {
        let n = stream.read(&mut buf[read..]).await.ok()?;
        if n == 0 {
            return None;
        }
        read += n;
        let text = String::from_utf8_lossy(&buf[..read]).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if read >= end + 4 + length {
                return Some(head);
            }
        }
    }
}

fn port_of(address: &str) -> u16 {
    address.rsplit(':').next().unwrap().parse().unwrap()
}

/// Whether the server closed the connection (reads end of stream).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), stream.read(&mut byte)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test]
async fn responses_announce_the_default_keep_alive_of_75_seconds() {
    let app = spawn_app().await;
    let port = port_of(&app.address);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = get_on(&mut stream, port).await.expect("a response");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("\r\nkeep-alive: timeout=75"), "{head}");
}

#[tokio::test]
async fn an_idle_connection_stays_usable_until_the_announced_timeout_and_only_then_closes() {
    // A tiny keep-alive stands in for the default: the same rule, without a
    // test that sleeps for more than a few seconds.
    let app = spawn_app_with(|s| s.http.keep_alive = Span(Duration::from_secs(2))).await;
    let port = port_of(&app.address);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = get_on(&mut stream, port).await.expect("a response");
    assert!(head.contains("\r\nkeep-alive: timeout=2"), "{head}");

    // Idle for most of the announced time: the same connection still serves.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let head = get_on(&mut stream, port)
        .await
        .expect("the idle connection is still usable");
    assert!(head.starts_with("http/1.1 200"), "{head}");

    // Idle past it: the server closes, as it said it would.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(closed_by_server(&mut stream).await);
}

#[tokio::test]
async fn a_request_asking_to_close_gets_no_keep_alive_announcement() {
    let app = spawn_app().await;
    let port = port_of(&app.address);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    let head = text.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("keep-alive:"), "{head}");
}
