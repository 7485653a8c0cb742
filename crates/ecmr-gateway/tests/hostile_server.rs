//! Hostile clients against the real binary on loopback, with its own process and threads as in production: forged
//! events against a long chain must not make the gateway's health slow, and searches for a plate that platforms
//! registered huge datasets under must not make it big. In a test binary of its own, so that no other test
//! competes with the measurement for the CPU; every figure is measured before any is asserted, so that the same
//! run against another build (`ECMR_HOSTILE_BIN`) prints them all.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Kills the child when dropped, so that a failing test leaves no server behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn try_call(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<(u16, Bytes), String> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        // The platform API's PUT takes XML; everything else here JSON.
        .header("content-type", if method == "PUT" { "application/xml" } else { "application/json" })
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    Ok((status, resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes()))
}

async fn call(client: &HttpClient, method: &str, url: &str, token: &str, body: Vec<u8>) -> (u16, Bytes) {
    try_call(client, method, url, token, body).await.expect("the gateway answers")
}

/// The `q` quantile of `samples` (sorted in place).
fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i.min(samples.len() - 1)]
}

/// What one window of the forged-event attack measured.
struct Window {
    refused: usize,
    probes: usize,
    p50: Duration,
    p99: Duration,
}

/// Four clients post `forged` to `events` for three seconds while `/healthz` is asked every 5 ms.
async fn attack_window(client: &HttpClient, base: &str, events: &str, token: &str, forged: &[u8]) -> Window {
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..4)
        .map(|_| {
            let (client, events, token, forged) =
                (client.clone(), events.to_owned(), token.to_owned(), forged.to_vec());
            let (stop, refused) = (stop.clone(), refused.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = call(&client, "POST", &events, &token, forged.clone()).await;
                    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        let (status, _) = call(client, "GET", &format!("{base}/healthz"), "", vec![]).await;
        latencies.push(t.elapsed());
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.await.expect("attacker");
    }
    let probes = latencies.len();
    let (p50, p99) = (quantile(&mut latencies, 0.5), quantile(&mut latencies, 0.99));
    Window { refused: refused.load(Ordering::Relaxed), probes, p50, p99 }
}

/// Peak and current resident memory of a process, in MB, from `/proc`.
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kb = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .expect("a memory figure")
    };
    (kb("VmHWM:") / 1024.0, kb("VmRSS:") / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_client_makes_the_server_neither_slow_nor_big() {
    let dir = common::temp_dir("hostile-health");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // `ECMR_HOSTILE_BIN` names the binary to measure: `.ci/run` sets it to the release build, as the server runs in
    // production (the unoptimised test build answers a third as many requests); BENCHMARKS.md compares builds so.
    let bin = std::env::var("ECMR_HOSTILE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ecmr-gateway").to_owned());
    let child = Command::new(bin)
        .arg("serve")
        .env("ECMR_DATA_DIR", &dir)
        .env("ECMR_LISTEN", format!("127.0.0.1:{port}"))
        .env("ECMR_LOG", "warn")
        .env_remove("ECMR_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecmr-gateway");
    let pid = child.id();
    let _server = Server(child);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(try_call(&client, "GET", &format!("{base}/readyz"), "", vec![]).await, Ok((200, _))) {
        assert!(Instant::now() < deadline, "the gateway did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let admin = std::fs::read_to_string(dir.join("admin-token")).expect("admin token").trim().to_owned();
    let key = common::key(1);
    let (name, details) = common::directory_entry(1);
    let party = json!({"kind": "party", "name": name, "public_keys": [common::public(&key)], "details": details});
    let (status, body) =
        call(&client, "POST", &format!("{base}/v1/admin/principals"), &admin, party.to_string().into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let token = serde_json::from_slice::<Value>(&body).expect("json")["token"].as_str().expect("token").to_owned();

    // A chain one short of the default bound of 1,000 events, then a forged 1,000th event.
    let doc = common::long_chain("H-HEALTH", &key, 998);
    let (status, body) = call(&client, "POST", &format!("{base}/v1/documents"), &token, doc.bytes().to_vec()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let next = common::amended(&doc, &key, 9000);
    let forged = common::forged_last_event(&next);
    let events = format!("{base}/v1/documents/{}/events", doc.id());

    // Four attackers for three seconds, health asked every 5 ms meanwhile. The machine is shared with other work,
    // so a window whose p99 misses is measured again, at most three windows in all; every window is printed.
    let mut windows = Vec::new();
    for _ in 0..3 {
        let window = attack_window(&client, &base, &events, &token, &forged).await;
        println!(
            "under attack: {} forged events refused in 3 s ({:.0}/s); /healthz over {} probes p50 {:?} p99 {:?}",
            window.refused,
            window.refused as f64 / 3.0,
            window.probes,
            window.p50,
            window.p99
        );
        let done = window.p99 < Duration::from_millis(20);
        windows.push(window);
        if done {
            break;
        }
    }
    let best = windows.iter().map(|w| w.p99).min().expect("a window");
    let fewest = windows.iter().map(|w| w.refused).min().expect("a window");

    // The honest 1,000th event is appended; the 1,001st is beyond the bound.
    let (status, body) = call(&client, "POST", &events, &token, common::last_event(&next)).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let after = common::amended(&next, &key, 9001);
    let (beyond, beyond_body) = call(&client, "POST", &events, &token, common::last_event(&after)).await;

    // Thirty platform datasets under one plate, as large as the gateway takes: 21,000 pieces of equipment (4.1 MB,
    // under the XML reader's own 4 MiB limit) each where it takes that, else its bounds.
    let (memory_before, _) = memory_mb(pid);
    let new = |body: Value| {
        let (client, base, admin) = (client.clone(), base.clone(), admin.clone());
        async move {
            let (status, resp) =
                call(&client, "POST", &format!("{base}/v1/admin/principals"), &admin, body.to_string().into()).await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
            serde_json::from_slice::<Value>(&resp).expect("json")["token"].as_str().expect("token").to_owned()
        }
    };
    let platform =
        new(json!({"kind": "platform", "name": "greedy", "details": {"platformId": "greedy-platform"}})).await;
    let authority =
        new(json!({"kind": "authority", "name": "ILT", "details": {"country": "NL", "subsets": ["identifier"]}})).await;
    let huge = common::identifier_dataset("ABC-123", "0", 21_000, 0);
    let put = format!("{base}/api/platform/v0/consignments");
    let (huge_status, _) = call(&client, "PUT", &format!("{put}/ds-00"), &platform, huge.into_bytes()).await;
    let bounded = |i: usize| {
        let pad = (ecmr_gateway::service::efti::MAX_DATASET_BYTES - 60_000) / 256;
        common::identifier_dataset("ABC-123", &i.to_string(), 256, pad)
    };
    for i in 0..30 {
        let xml = if huge_status == 200 {
            common::identifier_dataset("ABC-123", &i.to_string(), 21_000, 0)
        } else {
            bounded(i)
        };
        let (status, body) = call(&client, "PUT", &format!("{put}/ds-{i:02}"), &platform, xml.into_bytes()).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    let searched = Instant::now();
    let mut answered = 0;
    for _ in 0..9 {
        let (status, body) = call(
            &client,
            "POST",
            &format!("{base}/v1/control/identifiers"),
            &authority,
            br#"{"identifier":"ABC123"}"#.to_vec(),
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        answered += body.len();
    }
    let search_time = searched.elapsed();
    let (peak, rss) = memory_mb(pid);
    println!(
        "search attack: a 4.1 MB dataset answered {huge_status}; 9 searches answered {:.1} MB in {search_time:?}; \
         gateway memory {memory_before:.0} MB before, peak {peak:.0} MB, now {rss:.0} MB",
        answered as f64 / 1e6
    );

    assert!(fewest >= 100, "each forged event costs one signature check: only {fewest} answered in 3 s");
    assert!(
        best < Duration::from_millis(20),
        "/healthz p99 under attack: {best:?} at best of {} windows",
        windows.len()
    );
    assert_eq!(beyond, 422);
    assert!(
        String::from_utf8_lossy(&beyond_body).contains("too-many-events"),
        "{}",
        String::from_utf8_lossy(&beyond_body)
    );
    assert_eq!(huge_status, 413, "a dataset of 21,000 pieces of equipment is refused");
    assert!(peak < 150.0, "peak memory {peak:.0} MB under the search attack");
    let _ = std::fs::remove_dir_all(&dir);
}
