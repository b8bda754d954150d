//! Slow and greedy clients over a real socket (port 0): a client that sends its headers a byte
//! at a time, or never finishes them, is cut off; a body that trickles in is answered 408; the
//! connections one client may hold are bounded; everyone else is served meanwhile.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fdg_server::ServerConfig;
use fdg_server::conn::Limits;
use fdg_store::testing::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

async fn serve(db: &TestDatabase, limits: Limits) -> std::net::SocketAddr {
    let (state, _) = common::app_state(
        db,
        ServerConfig {
            secure_cookies: false,
            citizen_dev_login: false,
            oidc: None,
            staff_oidc: None,
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(fdg_server::serve_with(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Sends `request` and reads the whole answer (the server closes: `Connection: close`).
async fn answer(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: fdg\r\nConnection: close\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let db = TestDatabase::new("limits-test").unwrap();
    let addr = serve(
        &db,
        Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        },
    )
    .await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: fdg\r\nX-Slow: ")
        .await
        .unwrap();
    // Everyone else is served meanwhile.
    assert!(answer(addr, HEALTH).await.starts_with("HTTP/1.1 200"));
    // The slow client is disconnected once the header deadline has passed.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was still open after 3 s");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_answered_408() {
    let db = TestDatabase::new("limits-test").unwrap();
    let addr = serve(
        &db,
        Limits {
            request_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
    )
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: fdg\r\nConnection: close\r\n\
          Content-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 1000\r\n\r\nusername=anne",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("urn:fdg:problem:request-timeout"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connections_open_at_once_are_bounded() {
    let db = TestDatabase::new("limits-test").unwrap();
    let addr = serve(
        &db,
        Limits {
            max_connections: 2,
            ..Limits::default()
        },
    )
    .await;
    // Two clients hold a connection each without sending anything.
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A third is not served while they hold them …
    let third = tokio::spawn(async move { answer(addr, HEALTH).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "served beyond the limit");
    // … and is, once one lets go.
    drop(first);
    let text = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .unwrap()
        .unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}
