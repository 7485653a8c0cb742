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
use ecmr_gateway::app::router;
use ecmr_gateway::config::Config;
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::state::AppState;
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

/// The name and directory details of the test party whose first key has `seed`: the example note's sender for 1
/// (its VAT number), its carrier for 2 (its licence number), its consignee for 3 (no numbers: its legal name and
/// country), and for any other seed a company of its own (a VAT number of its own), which the example note does
/// not name unless a test puts it there ([`as_party`]).
pub fn directory_entry(seed: u8) -> (String, Value) {
    match seed {
        2 => (
            "party 2".into(),
            json!({"country": "NL", "identifiers": [{"scheme": "transport_licence", "value": "NL-123456"}]}),
        ),
        3 => ("Supermarkt Distributiecentrum Noord".into(), json!({"country": "NL"})),
        1 => {
            ("party 1".into(), json!({"country": "NL", "identifiers": [{"scheme": "vat", "value": "NL812345678B01"}]}))
        }
        s => (
            format!("party {s}"),
            json!({"country": "NL", "identifiers": [{"scheme": "vat", "value": format!("NL9000000{s:02}B01")}]}),
        ),
    }
}

/// The example note with `number`, pinning `carrier` as the carrier's key and naming the carrier's test party
/// ([`directory_entry`]) as the carrier.
pub fn note(number: &str, carrier: Option<&FileKey>) -> Value {
    let mut note: Value = serde_json::from_str(NOTE).expect("example note");
    note["number"] = json!(number);
    if let Some(c) = carrier {
        note["carrier"]["public_keys"] = json!([public(c)]);
        as_party(&mut note["carrier"], seed_of(c));
    }
    note
}

/// Makes the party block `block` name the test party of `seed` as the directory knows it (see
/// [`directory_entry`]): its registration numbers, or its legal name when it has none.
pub fn as_party(block: &mut Value, seed: u8) {
    let (name, details) = directory_entry(seed);
    match details.get("identifiers") {
        Some(ids) => block["identifiers"] = ids.clone(),
        None => {
            block["name"] = json!(name);
            if let Some(map) = block.as_object_mut() {
                map.remove("identifiers");
            }
        }
    }
}

/// The seed of a test key (1 to 99), for the directory entry of its party.
pub fn seed_of(k: &FileKey) -> u8 {
    (1..100).find(|s| key(*s).public_key() == k.public_key()).expect("a test key")
}

/// A document issued by `sender`, pinning `carrier`; the note's sender is the sender's party in the directory.
pub fn issue(number: &str, sender: &FileKey, carrier: Option<&FileKey>) -> Verified<Document> {
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    let mut note = note(number, carrier);
    as_party(&mut note["sender"], seed_of(sender));
    ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, sender).expect("issue")
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
///
/// Every request an authority or a gate makes through [`TestApp::call`] or [`TestApp::send`] that the gateway
/// promises to audit (UIL queries and their answers handed out again, direct reads, identifier hits, follow-ups,
/// gate reads and refusals) is remembered with the audit entries it must have left, and those are looked up in
/// the store's audit log when the app is dropped (or earlier, by [`TestApp::check_audit`]). Dropping an app with
/// reads to check needs a multi-thread runtime (`#[tokio::test(flavor = "multi_thread")]`): `Drop` cannot await,
/// so it blocks in place, which tokio allows there only. A test whose app made no such read may run on the
/// default current-thread runtime.
pub struct TestApp {
    pub store: Store,
    pub state: AppState,
    pub admin: String,
    audited: std::sync::Mutex<Vec<AuditedRead>>,
}

/// An audited request made through a [`TestApp`], with the audit entries it must have left.
#[derive(Debug, Clone)]
struct AuditedRead {
    /// Who made it.
    principal: uuid::Uuid,
    /// Method, path and status, for the failure message.
    request: String,
    /// The `x-request-id` of the answer: the audit entries carry it.
    request_id: String,
    /// The action of the entries and how many there must be.
    action: String,
    count: usize,
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
        TestApp { store, state, admin: token.token, audited: std::sync::Mutex::default() }
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

    /// A principal of `kind` without keys, with `details`: its id and token.
    pub async fn principal(&self, kind: PrincipalKind, name: &str, details: Value) -> (uuid::Uuid, String) {
        let (p, token) = create_principal(
            &self.store,
            NewPrincipal {
                kind,
                name: name.into(),
                public_keys: vec![],
                details: Some(details),
                token_expires_at: None,
            },
        )
        .await
        .expect("principal");
        (p.id, token.token)
    }

    /// An authority principal of the Netherlands entitled to `subsets`, with its token.
    pub async fn authority(&self, name: &str, subsets: &[&str]) -> String {
        self.principal(PrincipalKind::Authority, name, json!({"country": "NL", "subsets": subsets})).await.1
    }

    /// A party principal holding the key of `seed`, in the party directory as the party of the example note
    /// whose role that seed plays in these tests: 2 the carrier, 3 the consignee, any other the sender.
    pub async fn party(&self, seed: u8) -> Party {
        self.party_with_keys(&[seed]).await
    }

    /// A party principal holding the keys of every seed given; the first one's key is `Party::key`.
    pub async fn party_with_keys(&self, seeds: &[u8]) -> Party {
        let (name, details) = directory_entry(seeds[0]);
        let (p, token) = create_principal(
            &self.store,
            NewPrincipal {
                kind: PrincipalKind::Party,
                name,
                public_keys: seeds.iter().map(|s| public(&key(*s))).collect(),
                details: Some(details),
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
            // The media type each API documents for its bodies.
            let content_type = if uri.starts_with("/api/platform/") {
                "application/xml"
            } else if uri.starts_with("/api/gate-api/") {
                "text/plain"
            } else {
                "application/json"
            };
            req = req.header("content-type", content_type);
        }
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).expect("request");
        self.send(req).await
    }

    /// Sends a request as built (for headers [`TestApp::call`] does not set), remembering audited reads.
    pub async fn send(&self, req: Request<Body>) -> Answer {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let reader = match audited_route(&method, &path) {
            Some(_) => self.reader(&req).await,
            None => None,
        };
        let resp = router(self.state.clone()).oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        let answer = Answer { status, headers, body };
        if let (Some(route), Some(principal)) = (audited_route(&method, &path), reader) {
            self.remember(route, principal, &format!("{method} {path}"), &answer);
        }
        answer
    }

    /// The authority or gate whose bearer token a request carries, if any.
    async fn reader(&self, req: &Request<Body>) -> Option<ecmr_gateway::store::Principal> {
        let value = req.headers().get("authorization")?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ")?.trim();
        let hash = ecmr_gateway::service::principals::token_hash(token);
        let now = ecmr_gateway::store::now();
        let principal = self.store.principals.authenticate(&hash, now).await.ok()??;
        matches!(principal.kind, PrincipalKind::Authority | PrincipalKind::Gate).then_some(principal)
    }

    /// Remembers the audit entries an answer to an audited route must have left.
    fn remember(&self, route: AuditedRoute, principal: ecmr_gateway::store::Principal, request: &str, a: &Answer) {
        let ok = a.status.is_success();
        let refused = a.status == StatusCode::FORBIDDEN;
        let body = a.json();
        let (action, count) = match (route, principal.kind) {
            (AuditedRoute::UilQuery, PrincipalKind::Authority) if ok => match body["errorCode"].as_str() {
                None => ("efti.uil.read", 1),
                Some("SUBSET_NOT_ALLOWED") => ("efti.uil.refused", 1),
                Some(_) => ("efti.uil.failed", 1),
            },
            // Handing out an earlier answer again is a read when it has data.
            (AuditedRoute::UilAnswer, PrincipalKind::Authority) if ok && body["data"].is_string() => {
                ("efti.uil.read", 1)
            }
            (AuditedRoute::UilFollowUp, PrincipalKind::Authority) if ok => ("efti.follow_up", 1),
            // One entry per consignment found. (`GET …/identifiers?requestId=` hands out the stored result of a
            // search again without an entry of its own, so it is not remembered here.)
            (AuditedRoute::IdentifierSearch, PrincipalKind::Authority) if ok => {
                ("efti.identifier.hit", body["identifiers"].as_array().map_or(0, Vec::len))
            }
            (AuditedRoute::DirectRead, PrincipalKind::Authority) if ok => {
                let json = a
                    .headers
                    .get("content-type")
                    .is_some_and(|v| v == "application/json" || v == "application/vnd.ecmr.bundle+json");
                (if json { "efti.document.read" } else { "efti.uil.read" }, 1)
            }
            (AuditedRoute::DirectRead, PrincipalKind::Authority) if refused => ("efti.uil.refused", 1),
            (AuditedRoute::GateRead, PrincipalKind::Gate) if ok => ("gate.uil.read", 1),
            (AuditedRoute::GateRead, PrincipalKind::Gate) if refused => ("gate.uil.refused", 1),
            (AuditedRoute::GateFollowUp, PrincipalKind::Gate) if ok => ("gate.follow_up", 1),
            _ => return,
        };
        if count == 0 {
            return;
        }
        let request_id = a.headers.get("x-request-id").and_then(|v| v.to_str().ok());
        let request_id = request_id.unwrap_or_else(|| panic!("{request}: no x-request-id on the answer")).to_owned();
        let read = AuditedRead {
            principal: principal.id,
            request: format!("{request} ({} by {})", a.status, principal.name),
            request_id,
            action: action.to_owned(),
            count,
        };
        self.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(read);
    }

    /// How many audited reads are waiting to be checked.
    pub fn audited_reads(&self) -> usize {
        self.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Moves the audited reads waiting to be checked to `other`, whose store is then expected to hold their entries
    /// (to show that the check finds a missing one).
    pub fn move_audited_reads_to(&self, other: &TestApp) {
        let reads = std::mem::take(&mut *self.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        other.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(reads);
    }

    /// Checks that every audited read made so far left its entries in the audit log, and forgets them.
    ///
    /// # Panics
    /// When an entry is missing (or there are more than one per expected entry), naming the request.
    pub async fn check_audit(&self) {
        let reads = std::mem::take(&mut *self.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let missing = missing_audit(&self.store, &reads).await;
        assert!(
            missing.is_empty(),
            "{}: audited reads without their audit entries:\n{}",
            self.backend(),
            missing.join("\n")
        );
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

/// The routes whose answers to authorities and gates are audited.
#[derive(Debug, Clone, Copy)]
enum AuditedRoute {
    UilQuery,
    UilAnswer,
    UilFollowUp,
    IdentifierSearch,
    DirectRead,
    GateRead,
    GateFollowUp,
}

fn audited_route(method: &str, path: &str) -> Option<AuditedRoute> {
    let gate = path.strip_prefix("/api/gate-api/v0/consignments/");
    match (method, path) {
        ("POST", "/v1/control/uil") => Some(AuditedRoute::UilQuery),
        ("GET", "/v1/control/uil") => Some(AuditedRoute::UilAnswer),
        ("POST", "/v1/control/uil/follow-up") => Some(AuditedRoute::UilFollowUp),
        ("POST", "/v1/control/identifiers") => Some(AuditedRoute::IdentifierSearch),
        ("GET", p) if p.starts_with("/v1/uil/") => Some(AuditedRoute::DirectRead),
        ("GET", _) if gate.is_some_and(|rest| !rest.contains('/')) => Some(AuditedRoute::GateRead),
        ("POST", _) if gate.is_some_and(|rest| rest.ends_with("/follow-up")) => Some(AuditedRoute::GateFollowUp),
        _ => None,
    }
}

/// The audited reads whose entries (action and request id, by the principal who read) are not in the audit log
/// as many times as expected.
async fn missing_audit(store: &Store, reads: &[AuditedRead]) -> Vec<String> {
    use std::collections::BTreeMap;
    // Expected entries per principal, request id and action (a client may send the same request id twice).
    let mut expected: BTreeMap<(uuid::Uuid, &str, &str), (usize, Vec<&str>)> = BTreeMap::new();
    for r in reads {
        let e = expected.entry((r.principal, r.request_id.as_str(), r.action.as_str())).or_default();
        e.0 += r.count;
        e.1.push(r.request.as_str());
    }
    let mut logs: BTreeMap<uuid::Uuid, Vec<ecmr_gateway::store::AuditEntry>> = BTreeMap::new();
    let mut missing = Vec::new();
    for ((principal, request_id, action), (count, requests)) in expected {
        let log = match logs.entry(principal) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(store.audit.for_principal(principal).await.expect("the audit log reads"))
            }
        };
        let found = log.iter().filter(|e| e.action == action && e.request_id.as_deref() == Some(request_id)).count();
        if found != count {
            missing.push(format!(
                "  {}: {count} {action} entr{} with request id {request_id} expected, {found} found",
                requests.join(", "),
                if count == 1 { "y" } else { "ies" }
            ));
        }
    }
    missing
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let reads = std::mem::take(self.audited.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        if reads.is_empty() {
            return;
        }
        let handle = tokio::runtime::Handle::try_current()
            .expect("a TestApp with audited reads to check is dropped outside a tokio runtime");
        assert!(
            matches!(handle.runtime_flavor(), tokio::runtime::RuntimeFlavor::MultiThread),
            "a TestApp checks the audit log of its {} audited reads when dropped, which needs a multi-thread \
             runtime: use #[tokio::test(flavor = \"multi_thread\")] or await TestApp::check_audit before the drop",
            reads.len()
        );
        let missing = tokio::task::block_in_place(|| handle.block_on(missing_audit(&self.store, &reads)));
        assert!(
            missing.is_empty(),
            "{}: audited reads without their audit entries:\n{}",
            self.backend(),
            missing.join("\n")
        );
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

/// A body that sends one chunk and then stalls without ending.
pub struct Stall(pub bool);

impl hyper::body::Body for Stall {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if self.0 {
            std::task::Poll::Pending
        } else {
            self.0 = true;
            std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(axum::body::Bytes::from_static(b"{\"format\":")))))
        }
    }
}

/// A document issued by `sender` and amended `amendments` times by it.
pub fn long_chain(number: &str, sender: &FileKey, amendments: usize) -> Verified<Document> {
    let mut doc = issue(number, sender, None);
    for i in 0..amendments {
        doc = amended(&doc, sender, i);
    }
    doc
}

/// `doc` amended by `sender`: the vehicle changed to one numbered `i`.
pub fn amended(doc: &Verified<Document>, sender: &FileKey, i: usize) -> Verified<Document> {
    let at = "2026-11-27T16:00:00Z".parse().expect("time");
    let patch = json!({"transport": {"vehicles": [{"registration": format!("AM-{i:04}"), "country": "NL"}]}});
    doc.amend(patch, "vehicle changed", at, sender).expect("amend")
}

/// The last event of `doc` with its signature damaged (one character of the base64url changed).
pub fn forged_last_event(doc: &Verified<Document>) -> Vec<u8> {
    let mut event: Value = serde_json::from_slice(&last_event(doc)).expect("event");
    let sig = event["signature"].as_str().expect("signature").to_owned();
    let flipped = match sig.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", sig.get(1..).unwrap_or_default()),
    };
    event["signature"] = json!(flipped);
    serde_json::to_vec(&event).expect("json")
}

/// An identifier dataset of the RI's schema: one movement by vehicle `plate` (FI, mode 3), then `equipment` pieces
/// of transport equipment (ids `EQ-<tag>-<n>`), each followed by a comment of `pad` bytes (none when 0) to make it
/// as large as a test needs.
pub fn identifier_dataset(plate: &str, tag: &str, equipment: usize, pad: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<consignment xmlns=\"http://efti.eu/v1/consignment/identifier\">\
         <mainCarriageTransportMovement><dangerousGoodsIndicator>false</dangerousGoodsIndicator><modeCode>3</modeCode>\
         <usedTransportMeans><id>{plate}</id><registrationCountry><code>FI</code></registrationCountry>\
         </usedTransportMeans></mainCarriageTransportMovement>"
    );
    let padding = if pad == 0 { String::new() } else { format!("<!--{}-->", "x".repeat(pad)) };
    for n in 0..equipment {
        xml.push_str(&format!(
            "<usedTransportEquipment><categoryCode>AE</categoryCode><id>EQ-{tag}-{n}</id><registrationCountry>\
             <code>FI</code></registrationCountry><sequenceNumber>{}</sequenceNumber></usedTransportEquipment>\
             {padding}",
            n + 1
        ));
    }
    xml.push_str("</consignment>");
    xml
}
