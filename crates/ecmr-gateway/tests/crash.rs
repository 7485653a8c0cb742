//! Durability of the real binary: SIGKILL it while clients submit, restart it, and every document that had been
//! answered 201 is there and verifies; SIGKILL it while authorities read (their records are committed to the
//! database's log, not flushed, by default), and every read that had been answered is on record with its audit
//! entry and gives the same answer again.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn start(data_dir: &Path, port: u16, database_url: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"));
    cmd.arg("serve")
        .env("ECMR_DATA_DIR", data_dir)
        .env("ECMR_LISTEN", format!("127.0.0.1:{port}"))
        .env("ECMR_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match database_url {
        Some(url) => cmd.env("ECMR_DATABASE_URL", url),
        None => cmd.env_remove("ECMR_DATABASE_URL"),
    };
    cmd.spawn().expect("start ecmr-gateway")
}

/// A fresh database on the test PostgreSQL server, as a URL.
async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection as _;
    let name = format!("ecmr_crash_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to ECMR_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create db");
    let _ = conn.close().await;
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    format!("{server}/{name}{query}")
}

async fn call(
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
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

async fn wait_ready(client: &HttpClient, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok((200, _)) = call(client, "GET", &format!("{base}/readyz"), "", vec![]).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_document_survives_sigkill_sqlite() {
    crash_and_recover(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_document_survives_sigkill_postgres() {
    let Some(url) = common::postgres_url() else {
        println!("every_acknowledged_document_survives_sigkill_postgres: skipped (ECMR_TEST_POSTGRES_URL is not set)");
        return;
    };
    let db = fresh_postgres_database(&url).await;
    crash_and_recover(Some(db.clone())).await;
    drop_database(&url, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_authority_read_survives_sigkill_sqlite() {
    reads_crash_and_recover(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_authority_read_survives_sigkill_postgres() {
    let Some(url) = common::postgres_url() else {
        println!(
            "every_answered_authority_read_survives_sigkill_postgres: skipped (ECMR_TEST_POSTGRES_URL is not set)"
        );
        return;
    };
    let db = fresh_postgres_database(&url).await;
    reads_crash_and_recover(Some(db.clone())).await;
    drop_database(&url, &db).await;
}

/// Drops a database made by [`fresh_postgres_database`], leaving the server as it was.
async fn drop_database(url: &str, db: &str) {
    use sqlx::Connection as _;
    if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {
        let name = db.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut conn)
            .await;
    }
}

/// A gateway started on a fresh data directory, ready, with its admin token.
struct Launched {
    dir: std::path::PathBuf,
    port: u16,
    base: String,
    client: HttpClient,
    child: Child,
    admin: String,
}

async fn launch(tag: &str, database_url: Option<&str>) -> Launched {
    let dir = common::temp_dir(tag);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let child = start(&dir, port, database_url);
    wait_ready(&client, &base).await;
    let admin = std::fs::read_to_string(dir.join("admin-token")).expect("admin token file").trim().to_owned();
    Launched { dir, port, base, client, child, admin }
}

/// A new principal made through the admin API, with its token.
async fn principal(client: &HttpClient, base: &str, admin: &str, body: serde_json::Value) -> String {
    let (status, resp) =
        call(client, "POST", &format!("{base}/v1/admin/principals"), admin, body.to_string().into_bytes())
            .await
            .expect("admin API");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
    let created: serde_json::Value = serde_json::from_slice(&resp).expect("json");
    created["token"].as_str().expect("token").to_owned()
}

/// SIGKILLs the gateway once `answered` holds `at_least` answers (or after a minute), while its clients are still
/// sending, and waits for the clients to notice.
async fn kill_once<T>(
    child: &mut Child,
    clients: Vec<tokio::task::JoinHandle<()>>,
    answered: &Mutex<Vec<T>>,
    at_least: usize,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < at_least && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    for t in clients {
        t.await.expect("client task");
    }
}

async fn reads_crash_and_recover(database_url: Option<String>) {
    let Launched { dir, port, base, client, mut child, admin } = launch("crash-reads", database_url.as_deref()).await;
    let key = common::key(8);
    let party = serde_json::json!({"kind": "party", "name": "sender", "public_keys": [common::public(&key)],
        "details": common::directory_entry(8).1});
    let sender = principal(&client, &base, &admin, party).await;
    let authority = serde_json::json!({"kind": "authority", "name": "ILT",
        "details": {"country": "NL", "subsets": ["EU01"]}});
    let authority = principal(&client, &base, &admin, authority).await;
    let docs: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..8 {
            let doc = common::issue(&format!("R-{i}"), &key, None);
            let (status, _) =
                call(&client, "POST", &format!("{base}/v1/documents"), &sender, doc.bytes().to_vec()).await.unwrap();
            assert_eq!(status, 201);
            ids.push(doc.id().to_owned());
        }
        ids
    };

    // 16 authorities' clients read until the process is killed; every COMPLETE answer is noted.
    let answered = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (client, answered, authority, base, docs) =
            (client.clone(), answered.clone(), authority.clone(), base.clone(), docs.clone());
        tasks.push(tokio::spawn(async move {
            for i in t.. {
                let Some(doc) = docs.get(i % docs.len()) else { break };
                let body = serde_json::json!({"gateId": "ecmr-gate", "platformId": "ecmr-platform",
                    "datasetId": doc, "subsetId": ["EU01"]});
                match call(
                    &client,
                    "POST",
                    &format!("{base}/v1/control/uil"),
                    &authority,
                    body.to_string().into_bytes(),
                )
                .await
                {
                    Ok((202, resp)) => {
                        let r: serde_json::Value = serde_json::from_slice(&resp).expect("json");
                        assert_eq!(r["status"], "COMPLETE", "{r}");
                        answered.lock().unwrap().push((doc.clone(), r));
                    }
                    Ok((status, body)) => panic!("unexpected {status}: {}", String::from_utf8_lossy(&body)),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    kill_once(&mut child, tasks, &answered, 500).await;
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 500, "only {} reads were answered", answered.len());

    // Restart: every answered read is in the documents' audit logs, and its request gives the same answer.
    let mut child = start(&dir, port, database_url.as_deref());
    wait_ready(&client, &base).await;
    let mut audited = std::collections::HashSet::new();
    for doc in &docs {
        let (status, body) =
            call(&client, "GET", &format!("{base}/v1/documents/{doc}/audit"), &sender, vec![]).await.unwrap();
        assert_eq!(status, 200);
        let entries: serde_json::Value = serde_json::from_slice(&body).expect("json");
        for e in entries.as_array().expect("array").iter().filter(|e| e["action"] == "efti.uil.read") {
            let reason = &e["details"];
            audited.insert(reason["requestId"].as_str().expect("requestId").to_owned());
        }
    }
    for (doc, r) in &answered {
        let rid = r["requestId"].as_str().expect("requestId");
        assert!(audited.contains(rid), "read {rid} of {doc} was answered but is not in the audit log");
        let (status, body) =
            call(&client, "GET", &format!("{base}/v1/control/uil?requestId={rid}"), &authority, vec![]).await.unwrap();
        assert_eq!(status, 200);
        let again: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(&again, r, "read {rid} was answered but is not on record as it was");
    }
    child.kill().ok();
    let _ = child.wait();
    println!("{} answered authority reads survived SIGKILL", answered.len());
}

async fn crash_and_recover(database_url: Option<String>) {
    let Launched { dir, port, base, client, mut child, admin } = launch("crash", database_url.as_deref()).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("admin-token")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the admin token file is private");
    }
    let key = common::key(7);
    let party = serde_json::json!({"kind": "party", "name": "crash", "public_keys": [common::public(&key)],
        "details": common::directory_entry(7).1});
    let token = principal(&client, &base, &admin, party).await;

    // Sign ahead, then submit from 16 clients until the process is killed.
    let docs: Vec<_> = (0..1000).map(|i| common::issue(&format!("K-{i}"), &key, None)).collect();
    let docs = Arc::new(docs);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, docs, acked, next, token, base) =
            (client.clone(), docs.clone(), acked.clone(), next.clone(), token.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(doc) = docs.get(i) else { break };
                match call(&client, "POST", &format!("{base}/v1/documents"), &token, doc.bytes().to_vec()).await {
                    Ok((201, _)) => acked.lock().unwrap().push(doc.id().to_owned()),
                    Ok((status, body)) => panic!("unexpected {status}: {}", String::from_utf8_lossy(&body)),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Kill once a good number have been acknowledged, while submissions are in flight.
    kill_once(&mut child, tasks, &acked, 250).await;
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 250, "only {} documents were acknowledged", acked.len());
    assert!(acked.len() < docs.len(), "the kill came after everything was sent; nothing was tested");

    // Restart on the same data and read every acknowledged document back.
    let mut child = start(&dir, port, database_url.as_deref());
    wait_ready(&client, &base).await;
    for id in &acked {
        let (status, body) = call(&client, "GET", &format!("{base}/v1/documents/{id}"), &token, vec![]).await.unwrap();
        assert_eq!(status, 200, "document {id} was acknowledged but is gone");
        let v = ecmr::verify::verify(&body, None).expect("it verifies");
        assert_eq!(v.id(), id);
    }
    child.kill().ok();
    let _ = child.wait();
    println!("{} acknowledged documents survived SIGKILL", acked.len());
}
