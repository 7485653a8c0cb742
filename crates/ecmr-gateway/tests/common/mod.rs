//! Shared test setup: a fresh store on every backend available.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::str::FromStr;

use ecmr_gateway::store::Store;
use ecmr_gateway::store::postgres::PgStore;
use ecmr_gateway::store::sqlite::SqliteStore;
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmr-gw-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh SQLite store in its own directory.
pub async fn sqlite_store() -> (Store, PathBuf) {
    let dir = temp_dir("sqlite");
    let path = dir.join("ecmr.sqlite3");
    let store = Store::new(std::sync::Arc::new(SqliteStore::open(&path).await.expect("open sqlite")));
    (store, path)
}

/// The PostgreSQL URL for tests, if set.
pub fn postgres_url() -> Option<String> {
    std::env::var("ECMR_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())
}

/// Connect options for a fresh schema of its own on the test PostgreSQL server.
pub async fn postgres_schema(url: &str) -> PgConnectOptions {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to ECMR_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let _ = conn.close().await;
    PgConnectOptions::from_str(url).expect("postgres url").options([("search_path", schema.as_str())])
}

/// A fresh PostgreSQL store in a schema of its own, or `None` (and a "skipped" line) without a server.
pub async fn postgres_store(test: &str) -> Option<Store> {
    let Some(url) = postgres_url() else {
        println!("{test}: postgres skipped (ECMR_TEST_POSTGRES_URL is not set)");
        return None;
    };
    let options = postgres_schema(&url).await;
    Some(Store::new(std::sync::Arc::new(PgStore::connect_with(options).await.expect("open postgres"))))
}

/// Every backend available, each fresh: SQLite always, PostgreSQL when configured.
pub async fn stores(test: &str) -> Vec<Store> {
    let mut out = vec![sqlite_store().await.0];
    if let Some(pg) = postgres_store(test).await {
        out.push(pg);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP test application and signed fixtures

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecmr::document::Document;
use ecmr::keys::{FileKey, Signer as _};
use ecmr::verify::Verified;
use ecmr_gateway::app::{AppState, router};
use ecmr_gateway::auth::{NewPrincipal, create_principal};
use ecmr_gateway::config::Config;
use ecmr_gateway::store::PrincipalKind;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// The example note every fixture starts from.
pub const NOTE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/domestic-pallets.json"));

/// A deterministic key.
pub fn key(seed: u8) -> FileKey {
    FileKey::from_seed(&[seed; 32])
}

/// The base64url public key of a key.
pub fn public(k: &FileKey) -> String {
    k.public_key().to_b64url()
}

/// The example note with `number`, pinning `carrier` as the carrier's key.
pub fn note(number: &str, carrier: Option<&FileKey>) -> Value {
    let mut note: Value = serde_json::from_str(NOTE).expect("example note");
    note["number"] = json!(number);
    if let Some(c) = carrier {
        note["carrier"]["public_keys"] = json!([public(c)]);
    }
    note
}

/// A document issued by `sender`, pinning `carrier`.
pub fn issue(number: &str, sender: &FileKey, carrier: Option<&FileKey>) -> Verified<Document> {
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    ecmr::sign::issue_value(uuid::Uuid::new_v4(), note(number, carrier), at, sender).expect("issue")
}

/// `doc` taken over by `carrier`.
pub fn take_over(doc: &Verified<Document>, carrier: &FileKey) -> Verified<Document> {
    let data = serde_json::from_value(json!({
        "place": {"address": {"city": "Tilburg", "country": "NL"}},
        "time": "2026-11-28T06:10:00+01:00"
    }))
    .expect("take-over data");
    doc.take_over(data, "2026-11-28T05:10:00Z".parse().expect("time"), carrier).expect("take over")
}

/// `doc` cancelled by `sender`.
pub fn cancel(doc: &Verified<Document>, sender: &FileKey) -> Verified<Document> {
    doc.cancel("order withdrawn", "2026-11-28T04:00:00Z".parse().expect("time"), sender).expect("cancel")
}

/// The last event of a document as JSON bytes.
pub fn last_event(doc: &Verified<Document>) -> Vec<u8> {
    serde_json::to_vec(doc.events.last().expect("an event")).expect("event json")
}

/// An answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The problem `type` slug, for problem answers.
    pub fn problem(&self) -> String {
        let ct = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(
            ct,
            "application/problem+json",
            "status {} body {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json()["type"].as_str().unwrap_or("").trim_start_matches("urn:ecmr:problem:").to_owned()
    }
}

/// The router over a fresh store, with an admin.
pub struct TestApp {
    pub store: Store,
    pub state: AppState,
    pub admin: String,
}

/// A party principal with its token.
pub struct Party {
    pub id: uuid::Uuid,
    pub token: String,
    pub key: FileKey,
    pub seed: u8,
}

impl Party {
    pub fn key_seed(&self) -> u8 {
        self.seed
    }
}

impl TestApp {
    pub async fn new(store: Store) -> TestApp {
        TestApp::with_config(store, Config::default()).await
    }

    /// An app with `config` (the body limit set low for the tests).
    pub async fn with_config(store: Store, config: Config) -> TestApp {
        let config = Config { body_limit_bytes: 256 * 1024, ..config };
        let state = AppState::new(store.clone(), config);
        let (_, token) = create_principal(
            &store,
            NewPrincipal {
                kind: PrincipalKind::Admin,
                name: "admin".into(),
                public_keys: vec![],
                details: None,
                token_expires_at: None,
            },
        )
        .await
        .expect("admin");
        TestApp { store, state, admin: token.token }
    }

    /// Every backend, each with a fresh app.
    pub async fn all(test: &str) -> Vec<TestApp> {
        TestApp::all_with(test, Config::default()).await
    }

    /// Every backend, each with a fresh app with `config`.
    pub async fn all_with(test: &str, config: Config) -> Vec<TestApp> {
        let mut out = Vec::new();
        for store in stores(test).await {
            out.push(TestApp::with_config(store, config.clone()).await);
        }
        out
    }

    pub async fn party(&self, seed: u8) -> Party {
        let key = key(seed);
        let (p, token) = create_principal(
            &self.store,
            NewPrincipal {
                kind: PrincipalKind::Party,
                name: format!("party {seed}"),
                public_keys: vec![public(&key)],
                details: None,
                token_expires_at: None,
            },
        )
        .await
        .expect("party");
        Party { id: p.id, token: token.token, key, seed }
    }

    /// A party principal holding the keys of every seed given; the first one's key is `Party::key`.
    pub async fn party_with_keys(&self, seeds: &[u8]) -> Party {
        let (p, token) = create_principal(
            &self.store,
            NewPrincipal {
                kind: PrincipalKind::Party,
                name: format!("party {seeds:?}"),
                public_keys: seeds.iter().map(|s| public(&key(*s))).collect(),
                details: None,
                token_expires_at: None,
            },
        )
        .await
        .expect("party");
        Party { id: p.id, token: token.token, key: key(seeds[0]), seed: seeds[0] }
    }

    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Vec<u8>>) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).expect("request");
        let resp = router(self.state.clone()).oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        Answer { status, headers, body }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call("GET", uri, Some(token), None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Vec<u8>) -> Answer {
        self.call("POST", uri, Some(token), Some(body)).await
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }
}

/// A document whose `issued` event is signed over `note` as it is, with no checks (to make invalid documents
/// that are correctly signed).
pub fn sign_raw(id: uuid::Uuid, note: Value, sender: &FileKey) -> Vec<u8> {
    let mut event = ecmr::document::Event {
        seq: 0,
        kind: ecmr::document::EventKind::Issued,
        document_id: id.to_string(),
        at: "2026-11-27T15:00:00Z".into(),
        prev: None,
        note_digest: ecmr::canonical::digest_value(&note),
        role: ecmr::document::Role::Sender,
        data: json!({}),
        signer: ecmr::document::SignerInfo { alg: String::new(), public_key: String::new() },
        signature: String::new(),
    };
    event.sign(sender).expect("sign");
    serde_json::to_vec(&json!({"format": "ecmr-document/1", "id": id, "note": note, "events": [event]})).expect("json")
}
