//! What one client may hold of a running server: a deadline for its request headers, a cap on its connections,
//! and the metrics behind a token when one is configured. Real sockets on loopback, bounded in count and time.

mod common;

use std::time::Duration;

use ecmr_gateway::app::router;
use ecmr_gateway::config::Config;
use ecmr_gateway::server::{ConnectionLimits, run};
use ecmr_gateway::state::AppState;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A server on a free loopback port with `limits`, stopped when the returned sender is dropped.
async fn serve(config: Config, limits: ConnectionLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (store, _) = common::sqlite_store().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(AppState::new(store, config));
    tokio::spawn(run(listener, app, limits, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Reads until the peer closes the connection or `within` passes; returns what was read and whether it closed.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

async fn get(addr: std::net::SocketAddr, path: &str, auth: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let auth = auth.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\n{auth}connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    String::from_utf8_lossy(&read_to_close(&mut s, Duration::from_secs(5)).await.0).into_owned()
}

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let limits = ConnectionLimits { header_read_timeout: Duration::from_millis(500), per_ip: 0 };
    let (addr, _stop) = serve(Config::default(), limits).await;
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.expect("write");
    // One header line now and then, never the end of the headers.
    let started = std::time::Instant::now();
    let mut closed = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"x-slow: 1\r\n").await.is_err() {
            closed = true;
            break;
        }
        let (_, gone) = read_to_close(&mut slow, Duration::from_millis(1)).await;
        if gone {
            closed = true;
            break;
        }
    }
    assert!(closed, "the connection is closed once the header deadline passes");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // A prompt client is served as usual.
    assert!(get(addr, "/healthz", None).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn one_address_holds_at_most_the_configured_connections() {
    let limits = ConnectionLimits { header_read_timeout: Duration::from_secs(10), per_ip: 3 };
    let (addr, _stop) = serve(Config::default(), limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("answer").expect("read");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "kept alive and answered");
        held.push(s);
    }
    // The fourth is closed at once, without an answer.
    let mut fourth = TcpStream::connect(addr).await.expect("connect");
    let _ = fourth.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let (answer, closed) = read_to_close(&mut fourth, Duration::from_secs(5)).await;
    assert!(closed && answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // A slot given back can be taken again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(get(addr, "/healthz", None).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_configured() {
    let limits = ConnectionLimits { header_read_timeout: Duration::from_secs(10), per_ip: 0 };
    let open = serve(Config::default(), limits).await;
    assert!(get(open.0, "/metrics", None).await.starts_with("HTTP/1.1 200"), "open by default");
    let config = Config { metrics_token: Some("metrics-token-of-the-scraper".into()), ..Config::default() };
    let (addr, _stop) = serve(config, limits).await;
    let refused = get(addr, "/metrics", None).await;
    assert!(refused.starts_with("HTTP/1.1 401") && refused.contains("unauthenticated"), "{refused}");
    assert!(get(addr, "/metrics", Some("wrong-token-wrong-token")).await.starts_with("HTTP/1.1 401"));
    let ok = get(addr, "/metrics", Some("metrics-token-of-the-scraper")).await;
    assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("ecmr_documents_stored"), "{ok}");
}
