//! A federation of three gateways — NL, BE and LU — each a process of its own on loopback with its own store and
//! key, sharing one gate registry: a BE authority finds and reads a document stored in NL, follows it up to the
//! NL parties, and NL's audit log names BE and its request id; a gate that is down times out without holding up
//! the others, and one restarted during a request still answers it, once; the asking gate keeps its pending
//! requests across a SIGKILL; hostile messages (unknown key, another destination, replay, outside the time
//! window, not gate.xsd) are refused, audited and never acted on; a peer answering more subsets than asked is cut
//! down.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ecmr::keys::{FileKey, Signer as _};
use ecmr_gateway::service::federation::signature;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;
/// Request headers, name and value.
type Headers = Vec<(&'static str, String)>;

const XSD_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd");
const TIMEOUT_SECS: u64 = 6;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// One gate of the test federation.
struct Gate {
    id: &'static str,
    country: &'static str,
    platform: &'static str,
    seed: u8,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    /// A PostgreSQL database instead of SQLite in the data directory.
    database_url: Option<String>,
}

impl Gate {
    fn new(id: &'static str, country: &'static str, platform: &'static str, seed: u8) -> Gate {
        let dir = common::temp_dir(&format!("fed-{id}"));
        let pem = FileKey::from_seed(&[seed; 32]).to_pkcs8_pem().expect("pem");
        std::fs::write(dir.join("gateway-key.pem"), pem).expect("key file");
        Gate { id, country, platform, seed, dir, port: free_port(), child: None, database_url: None }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn key(&self) -> FileKey {
        FileKey::from_seed(&[self.seed; 32])
    }

    /// Starts the gateway; its log goes beside the registry (kept when the test fails).
    fn start(&mut self, registry: &Path) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(registry.with_file_name(format!("{}.log", self.id)))
            .expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"));
        match &self.database_url {
            Some(url) => cmd.env("ECMR_DATABASE_URL", url),
            None => cmd.env_remove("ECMR_DATABASE_URL"),
        };
        let child = cmd
            .arg("serve")
            .env("ECMR_DATA_DIR", &self.dir)
            .env("ECMR_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("ECMR_GATE_ID", self.id)
            .env("ECMR_PLATFORM_ID", self.platform)
            .env("ECMR_FEDERATION_REGISTRY", registry)
            .env("ECMR_FEDERATION_TIMEOUT_SECS", TIMEOUT_SECS.to_string())
            .env("ECMR_FEDERATION_RETRY_MILLIS", "200")
            .env("ECMR_FEDERATION_RETRY_MAX_MILLIS", "400")
            .env("ECMR_FEDERATION_ATTEMPTS", "60")
            .env("ECMR_LOG", "info")
            .env("ECMR_LOG_FORMAT", "text")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start ecmr-gateway");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn admin(&self) -> String {
        std::fs::read_to_string(self.dir.join("admin-token")).expect("admin token").trim().to_owned()
    }

    /// Counts rows of the gate's SQLite database.
    fn count(&self, sql: &str, param: &str) -> i64 {
        let conn = rusqlite::Connection::open_with_flags(
            self.dir.join("ecmr.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the gate's database");
        conn.query_row(sql, [param], |r| r.get(0)).expect("count")
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn registry(gates: &[&Gate], dir: &Path) -> PathBuf {
    let mut text = String::new();
    for g in gates {
        text.push_str(&format!(
            "[[gates]]\nid = \"{}\"\ncountry = \"{}\"\nbase_url = \"{}\"\nsubsets = [\"identifier\", \"EU01\"]\n\
             [[gates.keys]]\npublic_key = \"{}\"\n\n",
            g.id,
            g.country,
            g.base(),
            g.key().public_key().to_b64url()
        ));
    }
    let path = dir.join("gates.toml");
    std::fs::write(&path, text).expect("registry");
    path
}

async fn call(client: &HttpClient, method: &str, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, Bytes) {
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = client.request(req.body(Full::new(Bytes::from(body))).expect("request")).await.expect("answer");
    let status = resp.status().as_u16();
    (status, resp.into_body().collect().await.expect("body").to_bytes())
}

async fn api(client: &HttpClient, method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let auth = [("authorization", format!("Bearer {token}")), ("content-type", "application/json".to_owned())];
    let (status, bytes) =
        call(client, method, url, &auth, body.map(|b| b.to_string().into_bytes()).unwrap_or_default()).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned())))
}

async fn wait_ready(client: &HttpClient, g: &Gate) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let req = hyper::Request::get(format!("{}/readyz", g.base())).body(Full::new(Bytes::new())).expect("req");
        if client.request(req).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gate {} did not become ready", g.id);
}

async fn principal(client: &HttpClient, g: &Gate, body: Value) -> String {
    let (status, created) =
        api(client, "POST", &format!("{}/v1/admin/principals", g.base()), &g.admin(), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["token"].as_str().expect("token").to_owned()
}

/// Asks `GET url` until the answer's status is no longer `PENDING`; returns it and how long it took.
async fn settled(client: &HttpClient, url: &str, token: &str) -> (Value, Duration) {
    let start = Instant::now();
    loop {
        let (status, body) = api(client, "GET", url, token, None).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "PENDING" {
            return (body, start.elapsed());
        }
        assert!(start.elapsed() < Duration::from_secs(40), "still PENDING: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn entry<'a>(answer: &'a Value, gate: &str) -> &'a Value {
    answer["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|g| g["gateId"] == gate)
        .unwrap_or_else(|| panic!("{gate} in {answer}"))
}

/// A message to `to`, signed as `from` with `key`, created at `created`, with message id `id`.
fn signed(
    key: &FileKey,
    from: &str,
    to: &str,
    body: &str,
    created: chrono::DateTime<chrono::Utc>,
    id: &str,
) -> Vec<(&'static str, String)> {
    let auth =
        signature::sign(key, "POST", "/federation/v1/messages", from, to, body.as_bytes(), created, id).expect("sign");
    vec![("authorization", auth), ("content-type", "application/xml".to_owned())]
}

fn identifier_query(request_id: &str) -> String {
    format!(
        "<identifierQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"{request_id}\"><identifier>12BXL4</identifier></identifierQuery>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_gates_answer_as_one() {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let mut nl = Gate::new("gate-nl", "NL", "ecmr-nl", 41);
    let mut be = Gate::new("gate-be", "BE", "ecmr-be", 42);
    // The asking gate on PostgreSQL when there is one to test with: its pending requests live there.
    let pg = match common::postgres_url() {
        Some(url) => Some((url.clone(), fresh_postgres_database(&url).await)),
        None => None,
    };
    be.database_url = pg.as_ref().map(|(_, db)| db.clone());
    let mut lu = Gate::new("gate-lu", "LU", "ecmr-lu", 43);
    let shared = common::temp_dir("fed-registry");
    let reg = registry(&[&nl, &be, &lu], &shared);
    for g in [&mut nl, &mut be, &mut lu] {
        g.start(&reg);
    }
    for g in [&nl, &be, &lu] {
        wait_ready(&client, g).await;
    }

    // A document posted in NL by its sender.
    let key = common::key(1);
    let party = json!({"kind": "party", "name": "sender", "public_keys": [common::public(&key)], "details": common::directory_entry(1).1});
    let sender = principal(&client, &nl, party).await;
    let doc = common::issue("NL-FED-1", &key, None);
    let (status, _) = api(
        &client,
        "POST",
        &format!("{}/v1/documents", nl.base()),
        &sender,
        Some(serde_json::from_slice(doc.bytes()).expect("json")),
    )
    .await;
    assert_eq!(status, 201);
    let doc_id = doc.id().to_owned();
    // A BE authority, entitled at home to more than the registry lets BE's authorities ask of other gates.
    let ilt = principal(&client, &be, json!({"kind": "authority", "name": "SPF Mobilité", "details": {"country": "BE", "subsets": ["identifier", "EU01", "EU02"]}})).await;

    // --- The search across gates: NL finds it, LU and BE answer empty.
    let (status, posted) = api(
        &client,
        "POST",
        &format!("{}/v1/control/identifiers", be.base()),
        &ilt,
        Some(json!({"identifier": "12-BXL-4"})),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["status"], "PENDING", "other gates were asked: {posted}");
    let search_id = posted["requestId"].as_str().expect("id").to_owned();
    let (found, _) =
        settled(&client, &format!("{}/v1/control/identifiers?requestId={search_id}", be.base()), &ilt).await;
    assert_eq!(found["status"], "COMPLETE", "{found}");
    let nl_entry = entry(&found, "gate-nl");
    assert_eq!((nl_entry["status"].as_str(), nl_entry["eFTIGate"].as_str()), (Some("COMPLETE"), Some("NL")), "{found}");
    assert_eq!(nl_entry["identifiers"][0]["datasetId"], doc_id.as_str());
    assert_eq!(nl_entry["identifiers"][0]["gateId"], "gate-nl");
    assert_eq!(nl_entry["identifiers"][0]["platformId"], "ecmr-nl");
    for g in ["gate-lu", "gate-be"] {
        assert_eq!(entry(&found, g)["status"], "COMPLETE", "{found}");
        assert_eq!(entry(&found, g)["identifiers"], json!([]), "{found}");
    }
    assert_eq!(found["identifiers"].as_array().map(Vec::len), Some(1), "{found}");
    // A country with no gate is an ERROR entry, not a failed search.
    let (_, de) = api(
        &client,
        "POST",
        &format!("{}/v1/control/identifiers", be.base()),
        &ilt,
        Some(json!({"identifier": "12BXL4", "eftiGateIndicator": ["DE", "NL"]})),
    )
    .await;
    let (de, _) = settled(
        &client,
        &format!("{}/v1/control/identifiers?requestId={}", be.base(), de["requestId"].as_str().unwrap()),
        &ilt,
    )
    .await;
    let missing = de["gates"].as_array().unwrap().iter().find(|g| g["eFTIGate"] == "DE").expect("DE entry");
    assert_eq!(
        (missing["status"].as_str(), missing["errorCode"].as_str()),
        (Some("ERROR"), Some("GATE_INDICATOR_INCORRECT")),
        "{de}"
    );
    assert_eq!(entry(&de, "gate-nl")["status"], "COMPLETE");
    assert_eq!(de["gates"].as_array().unwrap().len(), 2, "only the gates of the countries named: {de}");

    // --- The UIL read of the entitled subset: XML valid against the RI's XSD.
    let uil = |subsets: &[&str]| json!({"gateId": "gate-nl", "platformId": "ecmr-nl", "datasetId": doc_id, "subsetId": subsets});
    let (status, posted) =
        api(&client, "POST", &format!("{}/v1/control/uil", be.base()), &ilt, Some(uil(&["EU01"]))).await;
    assert_eq!((status, posted["status"].as_str()), (202, Some("PENDING")), "{posted}");
    let uil_id = posted["requestId"].as_str().expect("id").to_owned();
    let (read, _) = settled(&client, &format!("{}/v1/control/uil?requestId={uil_id}", be.base()), &ilt).await;
    assert_eq!(read["status"], "COMPLETE", "{read}");
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD.decode(read["data"].as_str().expect("data")).unwrap(),
    )
    .unwrap();
    assert!(xml.contains("<consignor>"), "EU01 has the consignor: {xml}");
    assert_valid_common_dataset(&xml);
    // BE's authorities may not ask NL for EU02 (the registry), whatever BE lets them read at home.
    let (_, posted) = api(&client, "POST", &format!("{}/v1/control/uil", be.base()), &ilt, Some(uil(&["EU02"]))).await;
    let (refused, _) = settled(
        &client,
        &format!("{}/v1/control/uil?requestId={}", be.base(), posted["requestId"].as_str().unwrap()),
        &ilt,
    )
    .await;
    assert_eq!(
        (refused["status"].as_str(), refused["errorCode"].as_str()),
        (Some("ERROR"), Some("SUBSET_NOT_ALLOWED")),
        "{refused}"
    );

    // --- The follow-up from BE reaches the NL parties.
    let (status, note) = api(
        &client,
        "POST",
        &format!("{}/v1/control/uil/follow-up", be.base()),
        &ilt,
        Some(json!({"requestId": uil_id, "message": "Seal number differs"})),
    )
    .await;
    assert_eq!((status, note["message"].as_str()), (202, Some("Note sent")), "{note}");
    let start = Instant::now();
    loop {
        let (_, list) =
            api(&client, "GET", &format!("{}/v1/documents/{doc_id}/follow-ups", nl.base()), &sender, None).await;
        if list.as_array().is_some_and(|l| !l.is_empty()) {
            assert_eq!(list[0]["message"], "Seal number differs", "{list}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the follow-up did not reach NL: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // --- NL's audit log names BE and its request id.
    let (_, audit) = api(&client, "GET", &format!("{}/v1/documents/{doc_id}/audit", nl.base()), &sender, None).await;
    let entries = audit.as_array().expect("audit entries");
    let by = |action: &str| entries.iter().filter(|e| e["action"] == action).collect::<Vec<_>>();
    let read_by_be = by("gate.uil.read");
    assert_eq!(read_by_be.len(), 1, "{audit}");
    assert_eq!(read_by_be[0]["details"]["peerGate"], "gate-be", "{audit}");
    assert_eq!(read_by_be[0]["details"]["peerRequestId"], uil_id.as_str(), "{audit}");
    assert!(by("efti.identifier.hit").iter().any(|e| e["details"]["peerRequestId"] == search_id.as_str()), "{audit}");
    let follow = by("gate.follow_up");
    assert_eq!((follow.len(), follow[0]["details"]["peerRequestId"].as_str()), (1, Some(uil_id.as_str())), "{audit}");

    // --- Hostile peers, against NL: each refused, audited, never acted on.
    let now = chrono::Utc::now();
    let to_nl = format!("{}/federation/v1/messages", nl.base());
    let cases: Vec<(&str, String, Headers, u16)> = vec![
        ("unknown key", identifier_query("hostile-1"), signed(&FileKey::from_seed(&[99; 32]), "gate-be", "gate-nl", &identifier_query("hostile-1"), now, "m-1"), 401),
        ("other destination", identifier_query("hostile-2"), signed(&be.key(), "gate-be", "gate-lu", &identifier_query("hostile-2"), now, "m-2"), 403),
        ("outside the window", identifier_query("hostile-3"), signed(&be.key(), "gate-be", "gate-nl", &identifier_query("hostile-3"), now - chrono::Duration::seconds(600), "m-3"), 401),
        ("not gate.xsd", "<identifierQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"hostile-4\"><modeCode>3</modeCode></identifierQuery>".into(),
            signed(&be.key(), "gate-be", "gate-nl", "<identifierQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"hostile-4\"><modeCode>3</modeCode></identifierQuery>", now, "m-4"), 400),
        ("unsigned", identifier_query("hostile-5"), vec![("content-type", "application/xml".to_owned())], 401),
    ];
    for (what, body, headers, expected) in &cases {
        let (status, why) = call(&client, "POST", &to_nl, headers, body.clone().into_bytes()).await;
        assert_eq!(status, *expected, "{what}: {}", String::from_utf8_lossy(&why));
    }
    // A replay: the same signed message twice; the first is taken, the second refused.
    let fine = identifier_query("replayed-1");
    let headers = signed(&be.key(), "gate-be", "gate-nl", &fine, now, "m-replay");
    assert_eq!(call(&client, "POST", &to_nl, &headers, fine.clone().into_bytes()).await.0, 202);
    assert_eq!(call(&client, "POST", &to_nl, &headers, fine.into_bytes()).await.0, 409, "a replay is refused");
    let refused = nl.count("SELECT COUNT(*) FROM audit_log WHERE action = ?1", "federation.refused");
    assert_eq!(refused, 6, "every refusal is audited");
    for id in ["hostile-1", "hostile-2", "hostile-3", "hostile-4", "hostile-5"] {
        assert_eq!(
            nl.count("SELECT COUNT(*) FROM federation_inbound WHERE request_id = ?1", id),
            0,
            "{id} was acted on"
        );
    }
    assert_eq!(nl.count("SELECT COUNT(*) FROM federation_inbound WHERE request_id = ?1", "replayed-1"), 1);

    // An answer of another kind than asked (a UIL answer to a search) is taken and ignored.
    let bogus = format!(
        "<uilResponse xmlns=\"http://efti.eu/v1/edelivery\" status=\"404\" requestId=\"{search_id}\"><description>x</description></uilResponse>"
    );
    let headers = signed(&nl.key(), "gate-nl", "gate-be", &bogus, chrono::Utc::now(), "m-bogus");
    let to_be = format!("{}/federation/v1/messages", be.base());
    assert_eq!(call(&client, "POST", &to_be, &headers, bogus.into_bytes()).await.0, 202);
    let (_, unchanged) =
        api(&client, "GET", &format!("{}/v1/control/identifiers?requestId={search_id}", be.base()), &ilt, None).await;
    assert_eq!(unchanged, found, "an answer to nothing asked changes nothing");

    // --- LU stopped: the search answers NL COMPLETE and LU TIMEOUT, as soon as the timeout has run out.
    lu.kill();
    let (_, posted) = api(
        &client,
        "POST",
        &format!("{}/v1/control/identifiers", be.base()),
        &ilt,
        Some(json!({"identifier": "12BXL4"})),
    )
    .await;
    let id = posted["requestId"].as_str().unwrap().to_owned();
    let (answer, took) = settled(&client, &format!("{}/v1/control/identifiers?requestId={id}", be.base()), &ilt).await;
    assert_eq!(entry(&answer, "gate-nl")["status"], "COMPLETE", "{answer}");
    assert_eq!(entry(&answer, "gate-nl")["identifiers"].as_array().map(Vec::len), Some(1), "{answer}");
    assert_eq!(entry(&answer, "gate-lu")["status"], "TIMEOUT", "{answer}");
    assert!(took < Duration::from_secs(TIMEOUT_SECS + 3), "it completed {took:?} after the request");

    // --- A peer answering more subsets than asked is cut down: a UIL request to LU (down) answered, signed as LU,
    // with a whole consignment.
    let to_lu = json!({"gateId": "gate-lu", "platformId": "ecmr-lu", "datasetId": doc_id, "subsetId": ["EU01"]});
    let (_, posted) = api(&client, "POST", &format!("{}/v1/control/uil", be.base()), &ilt, Some(to_lu)).await;
    let lu_req = posted["requestId"].as_str().unwrap().to_owned();
    let full = std::fs::read_to_string(Path::new(XSD_DIR).join("examples/consignment-common.xml")).expect("RI example");
    let full_body =
        full.trim_start().strip_prefix("<?xml").map_or(full.as_str(), |r| &r[r.find("?>").unwrap() + 2..]).trim();
    let answer = format!(
        "<uilResponse xmlns=\"http://efti.eu/v1/edelivery\" status=\"200\" requestId=\"{lu_req}\">{full_body}</uilResponse>"
    );
    let headers = signed(&lu.key(), "gate-lu", "gate-be", &answer, chrono::Utc::now(), "m-lu-1");
    let (status, why) =
        call(&client, "POST", &format!("{}/federation/v1/messages", be.base()), &headers, answer.into_bytes()).await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&why));
    let (read, _) = settled(&client, &format!("{}/v1/control/uil?requestId={lu_req}", be.base()), &ilt).await;
    assert_eq!(read["status"], "COMPLETE", "{read}");
    let got =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(read["data"].as_str().unwrap()).unwrap())
            .unwrap();
    let sent = ecmr::efti::Received::from_xml(&full).expect("the example reads");
    let kept = ecmr::efti::Received::from_xml(&got).expect("the answer reads");
    fn size(e: &ecmr::efti::Element) -> usize {
        1 + e.children.iter().map(size).sum::<usize>()
    }
    assert!(size(&kept.root) > 1 && size(&kept.root) < size(&sent.root), "the answer was cut: {got}");
    fn only_eu01(e: &ecmr::efti::Element, ty: &str) {
        for c in &e.children {
            let def = ecmr::efti::lookup(ecmr::efti::table::COMMON, ty, c.name).expect("a known element");
            assert!(def.subsets.contains(&"EU01"), "{ty}/{} is not in EU01, yet it reached the authority", c.name);
            if !def.ty.contains(':') {
                only_eu01(c, def.ty);
            }
        }
    }
    only_eu01(&kept.root, ecmr::efti::ROOT_TYPE);
    assert_valid_common_dataset(&got);

    // --- LU restarted during a pending request: answered once, not lost; and BE killed with a request pending
    // keeps it across the restart.
    let (_, posted) = api(
        &client,
        "POST",
        &format!("{}/v1/control/identifiers", be.base()),
        &ilt,
        Some(json!({"identifier": "12BXL4", "eftiGateIndicator": ["LU"]})),
    )
    .await;
    let pending_id = posted["requestId"].as_str().unwrap().to_owned();
    assert_eq!(posted["status"], "PENDING");
    be.kill();
    be.start(&reg);
    wait_ready(&client, &be).await;
    lu.start(&reg);
    wait_ready(&client, &lu).await;
    let (answer, _) =
        settled(&client, &format!("{}/v1/control/identifiers?requestId={pending_id}", be.base()), &ilt).await;
    assert_eq!(answer["gates"].as_array().map(Vec::len), Some(1), "{answer}");
    assert_eq!(entry(&answer, "gate-lu")["status"], "COMPLETE", "the answer was not lost: {answer}");
    assert_eq!(lu.count("SELECT COUNT(*) FROM federation_inbound WHERE request_id = ?1", &pending_id), 1, "asked once");
    let asked = lu.count("SELECT COUNT(*) FROM federation_inbound WHERE kind = ?1", "identifiers");
    let answered = lu.count("SELECT COUNT(*) FROM control_requests WHERE kind = ?1", "identifiers");
    assert_eq!((asked, answered), (2, 2), "LU answered each search it was asked (before and after its restart) once");
    let (_, again) =
        api(&client, "GET", &format!("{}/v1/control/identifiers?requestId={pending_id}", be.base()), &ilt, None).await;
    assert_eq!(again, answer, "the answer stays as it was");
    let _ = std::fs::remove_dir_all(&shared);
    be.kill();
    if let Some((url, db)) = pg {
        drop_database(&url, &db).await;
    }
}

/// A fresh database on the test PostgreSQL server, as a URL.
async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection as _;
    let name = format!("ecmr_fed_{}", uuid::Uuid::new_v4().simple());
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

/// Drops a database made by [`fresh_postgres_database`].
async fn drop_database(url: &str, db: &str) {
    use sqlx::Connection as _;
    if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {
        let name = db.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut conn)
            .await;
    }
}

/// The eFTI common dataset XML validates against the RI's consignment-common.xsd (xmllint); skipped (but not under
/// CI) without xmllint or the XSDs.
fn assert_valid_common_dataset(xml: &str) {
    let has_xmllint = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_xmllint || !Path::new(XSD_DIR).join("consignment-common.xsd").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI needs xmllint and the RI's XSDs");
        eprintln!("xmllint check skipped");
        return;
    }
    let file = std::env::temp_dir().join(format!("ecmr-fed-{}.xml", uuid::Uuid::new_v4()));
    std::fs::write(&file, xml).expect("write");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(Path::new(XSD_DIR).join("consignment-common.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}\n{xml}", String::from_utf8_lossy(&out.stderr));
}
