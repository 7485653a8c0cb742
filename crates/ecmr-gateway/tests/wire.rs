//! The wire format, pinned: every problem type the gateway answers, every eFTI DTO (of the reference
//! implementation's API) in each of its shapes, and the answers of the party, platform, gate, admin and operations
//! routes, as snapshots of status, headers and body taken through the router (`tests/snapshots/wire__*.snap`).
//!
//! Each snapshot lists the exchanges of one kind of answer: what the case is, the request line, and the answer.
//! Every backend must answer alike, so each snapshot is asserted once per backend against the same file. Only what
//! differs from run to run is redacted: ids and tokens the gateway makes (principals are shown by name, eFTI request
//! ids by the order they were given), request ids and the times the gateway stamps. Documents have fixed ids, so
//! their digests and signatures are stable and stay in. Base64 eFTI XML is shown decoded, and XML indented (its
//! text and element order are as sent).
//!
//! After a deliberate change of the wire format: `INSTA_UPDATE=always cargo test -p ecmr-gateway --test wire`
//! (SQLite only, without `ECMR_TEST_POSTGRES_URL`), read the diff of the `.snap` files, then run again with
//! PostgreSQL to check that it answers the same.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use base64::Engine as _;
use common::{Answer, Party, TestApp, key, public};
use ecmr::document::Document;
use ecmr::verify::Verified;
use ecmr_gateway::store::PrincipalKind;
use insta::internals::Content;
use serde_json::{Value, json};

/// The delivered document: issued, taken over and delivered; found by identifier search.
const DELIVERED: &str = "11111111-1111-4111-8111-111111111111";
/// A document only issued, for conflicts.
const ISSUED: &str = "22222222-2222-4222-8222-222222222222";
/// An id never stored.
const UNKNOWN: &str = "99999999-9999-4999-8999-999999999999";
/// The id of the documents a test submits itself.
const OTHER: &str = "33333333-3333-4333-8333-333333333333";
/// The ids above: they are the same in every run and are never redacted.
const STABLE_IDS: [&str; 4] = [DELIVERED, ISSUED, UNKNOWN, OTHER];

const AT: &str = "2026-11-27T15:00:00Z";
/// An identifier dataset as an external platform registers it (one leg, two containers on a trailer).
const ONE_LEG: &str = include_str!("fixtures/platform/identifiers-one-leg.xml");
const INVALID_IDENTIFIERS: &str = include_str!("fixtures/platform/invalid-identifiers.xml");

// ---------------------------------------------------------------------------------------------------------------
// Taking and asserting snapshots

/// Values that differ from run to run, with the labels they are shown as.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<Vec<(String, String)>>>);

impl Names {
    fn add(&self, value: impl ToString, label: &str) {
        let value = value.to_string();
        let mut names = self.0.lock().expect("names");
        if !names.iter().any(|(v, _)| *v == value) {
            names.push((value, format!("[{label}]")));
        }
    }

    fn known(&self, value: &str) -> bool {
        self.0.lock().expect("names").iter().any(|(v, _)| v == value)
    }

    /// `s` with every named value replaced by its label, then every other id the gateway made (a UUID that is not
    /// one of [`STABLE_IDS`]) by `[uuid]` and every other token by `[token]`.
    fn scrub(&self, s: &str) -> String {
        let mut names = self.0.lock().expect("names").clone();
        names.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        let mut out = s.to_owned();
        for (value, label) in &names {
            out = out.replace(value.as_str(), label);
        }
        replace_tokens(&replace_uuids(&out))
    }

    fn scrub_content(&self, c: Content) -> Content {
        match c {
            Content::String(s) => Content::String(self.scrub(&s)),
            Content::Seq(items) => Content::Seq(items.into_iter().map(|c| self.scrub_content(c)).collect()),
            Content::Map(entries) => {
                Content::Map(entries.into_iter().map(|(k, v)| (self.scrub_content(k), self.scrub_content(v))).collect())
            }
            Content::Some(inner) => Content::Some(Box::new(self.scrub_content(*inner))),
            Content::Struct(name, fields) => {
                Content::Struct(name, fields.into_iter().map(|(k, v)| (k, self.scrub_content(v))).collect())
            }
            other => other,
        }
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn replace_uuids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if rest.len() >= 36
            && rest.is_char_boundary(36)
            && is_uuid(&rest[..36])
            && !STABLE_IDS.contains(&&rest[..36].to_ascii_lowercase()[..])
        {
            out.push_str("[uuid]");
            rest = &rest[36..];
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn replace_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("ecmr_") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 5..];
        let len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(tail.len());
        // `ecmr_` and 32 random bytes in base64url.
        if len == 43 {
            out.push_str("[token]");
            rest = &tail[len..];
        } else {
            out.push_str("ecmr_");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// XML one element a line, indented by depth, for reading: the text of each element, its attributes and escapes are
/// kept as sent; only the whitespace between elements is left out.
fn xml_lines(text: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = Vec::new();
    let pad = |depth: usize| "  ".repeat(depth);
    let mut depth = 0usize;
    // The element whose start tag is not written yet, with the text read in it so far: a leaf is one line.
    let mut open: Option<(String, String)> = None;
    let flush = |open: &mut Option<(String, String)>, lines: &mut Vec<String>, depth: usize| {
        if let Some((tag, text)) = open.take() {
            let text = if text.trim().is_empty() { String::new() } else { text };
            lines.push(format!("{}{tag}{text}", pad(depth)));
        }
    };
    let push_text = |open: &mut Option<(String, String)>, lines: &mut Vec<String>, depth: usize, t: String| match open {
        Some((_, text)) => text.push_str(&t),
        None if t.trim().is_empty() => {}
        None => lines.push(format!("{}{t}", pad(depth))),
    };
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML ({e}): {text}")) {
            Event::Eof => break,
            Event::Decl(d) => lines.push(format!("<?{}?>", &*d)),
            Event::PI(p) => lines.push(format!("{}<?{}?>", pad(depth), &*p)),
            Event::Comment(c) => lines.push(format!("{}<!--{}-->", pad(depth), &*c)),
            Event::DocType(d) => lines.push(format!("<!DOCTYPE {}>", &*d)),
            Event::Start(e) => {
                flush(&mut open, &mut lines, depth.saturating_sub(1));
                open = Some((format!("<{}>", &*e), String::new()));
                depth += 1;
            }
            Event::Empty(e) => {
                flush(&mut open, &mut lines, depth.saturating_sub(1));
                lines.push(format!("{}<{}/>", pad(depth), &*e));
            }
            Event::Text(t) => push_text(&mut open, &mut lines, depth, t.to_string()),
            Event::GeneralRef(r) => push_text(&mut open, &mut lines, depth, format!("&{};", &*r)),
            Event::CData(c) => push_text(&mut open, &mut lines, depth, format!("<![CDATA[{}]]>", &*c)),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match open.take() {
                    Some((tag, text)) => lines.push(format!("{}{tag}{text}</{}>", pad(depth), &*e)),
                    None => lines.push(format!("{}</{}>", pad(depth), &*e)),
                }
            }
        }
    }
    lines
}

/// The exchanges of one snapshot, taken on one backend's app.
struct Wire<'a> {
    app: &'a TestApp,
    names: Names,
}

/// One exchange as snapshotted: what the case is, the request line, and the answer's status, headers (without
/// `content-length`) and body (JSON as JSON, XML and text as lines; absent when empty).
#[derive(serde::Serialize)]
struct Exchange {
    case: String,
    request: String,
    status: u16,
    headers: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
}

/// A request to send.
struct Req {
    method: &'static str,
    uri: String,
    token: Option<String>,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

fn req(method: &'static str, uri: impl Into<String>, token: Option<&str>) -> Req {
    Req { method, uri: uri.into(), token: token.map(str::to_owned), body: None, headers: Vec::new() }
}

fn get(uri: impl Into<String>, token: &str) -> Req {
    req("GET", uri, Some(token))
}

fn post(uri: impl Into<String>, token: &str, body: &Value) -> Req {
    req("POST", uri, Some(token)).json(body)
}

impl Req {
    fn json(mut self, body: &Value) -> Req {
        self.body = Some(serde_json::to_vec(body).expect("json"));
        self.headers.push(("content-type", "application/json".into()));
        self
    }

    fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some(body.into());
        self.headers.push(("content-type", content_type.to_owned()));
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Req {
        self.headers.push((name, value.into()));
        self
    }

    fn build(&self) -> Request<Body> {
        let mut r = Request::builder().method(self.method).uri(&self.uri);
        if let Some(t) = &self.token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in &self.headers {
            r = r.header(*k, v);
        }
        r.body(self.body.clone().map(Body::from).unwrap_or_else(Body::empty)).expect("request")
    }
}

impl<'a> Wire<'a> {
    fn new(app: &'a TestApp, names: &Names) -> Wire<'a> {
        Wire { app, names: names.clone() }
    }

    /// Sends a request and returns the answer with its snapshot entry.
    async fn ask(&self, case: &str, r: Req) -> (Answer, Exchange) {
        let a = self.app.send(r.build()).await;
        let entry = self.entry(case, &format!("{} {}", r.method, r.uri), &a);
        (a, entry)
    }

    /// The snapshot entry of an exchange.
    fn entry(&self, case: &str, request: &str, a: &Answer) -> Exchange {
        let mut headers = serde_json::Map::new();
        for (name, value) in &a.headers {
            if name == "content-length" {
                continue;
            }
            let value = value.to_str().expect("ASCII header").to_owned();
            headers.insert(name.as_str().to_owned(), Value::String(value));
        }
        let content_type = a.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let text = || String::from_utf8(a.body.clone()).expect("a UTF-8 body");
        let body = if a.body.is_empty() {
            None
        } else if content_type.ends_with("json") {
            let v: Value = serde_json::from_slice(&a.body).expect("a JSON body");
            Some(v)
        } else if content_type.ends_with("xml") {
            Some(json!(xml_lines(&text())))
        } else {
            Some(json!(text().lines().collect::<Vec<_>>()))
        };
        // The gateway's own ids: a problem's request id is the one in the header; eFTI request ids are named in the
        // order they were given.
        let header_id = a.headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id");
        if let Some(b) = &body {
            if content_type == "application/problem+json" {
                assert_eq!(b["request_id"], header_id, "{request}: the problem names the request id");
            }
            if let Some(rid) = b.get("requestId").and_then(Value::as_str)
                && is_uuid(rid)
                && !STABLE_IDS.contains(&rid)
                && !self.names.known(rid)
            {
                let n =
                    self.names.0.lock().expect("names").iter().filter(|(_, l)| l.starts_with("[requestId #")).count();
                self.names.add(rid, &format!("requestId #{}", n + 1));
            }
        }
        Exchange { case: case.to_owned(), request: request.to_owned(), status: a.status.as_u16(), headers, body }
    }
}

/// Asserts the snapshot `name` of `entries`, with what varies per run redacted.
fn assert_wire(name: &str, entries: &[Exchange], names: &Names, suffix: Option<&str>) {
    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    settings.set_description(
        "status, headers (without content-length) and body of each exchange; see the header of tests/wire.rs",
    );
    if let Some(s) = suffix {
        settings.set_snapshot_suffix(s);
    }
    // Times the gateway stamps (a null stays null).
    let time = |c: Content, _: insta::internals::ContentPath<'_>| match c {
        Content::String(_) => Content::String("[time]".into()),
        other => other,
    };
    for field in ["received_at", "updated_at", "created_at", "revoked_at"] {
        settings.add_dynamic_redaction(&format!(".**.{field}"), time);
    }
    // Audit entries and follow-ups have an `at` (and so do the events of a signed document, which stay).
    settings.add_dynamic_redaction("[].body[].at", time);
    // A cursor is the update time and id of the last document of the page.
    settings.add_dynamic_redaction("[].body.next_cursor", |c, _| match c.as_str() {
        Some(s) => {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).expect("cursor is base64url");
            let text = String::from_utf8(raw).expect("cursor text");
            let (_, id) = text.split_once('|').expect("time|id");
            Content::String(format!("[cursor: base64url of \"[time]|{id}\"]"))
        }
        None => c,
    });
    // The base64 eFTI XML of a UIL answer, decoded.
    settings.add_dynamic_redaction("[].body.data", |c, _| match c.as_str() {
        Some(s) => {
            let raw = base64::engine::general_purpose::STANDARD.decode(s).expect("data is base64");
            let xml = String::from_utf8(raw).expect("utf-8 XML");
            let lines = xml_lines(&xml).into_iter().map(Content::String).collect();
            Content::Map(vec![(Content::String("base64 of".into()), Content::Seq(lines))])
        }
        None => c,
    });
    // Request ids the gateway made (one a client sent stays).
    let request_id = |c: Content, _: insta::internals::ContentPath<'_>| match c.as_str() {
        Some(s) if is_uuid(s) => Content::String("[x-request-id]".into()),
        _ => c,
    };
    settings.add_dynamic_redaction("[].headers[\"x-request-id\"]", request_id);
    settings.add_dynamic_redaction(".**.request_id", request_id);
    let scrub = names.clone();
    settings.add_dynamic_redaction(".**", move |c, _| scrub.scrub_content(c));
    settings.bind(|| {
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(name, entries);
        }
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/// Who takes part, and the stored documents.
struct Cast {
    sender: Party,
    carrier: Party,
    consignee: Party,
    stranger: Party,
    /// Authority entitled to EU01 and the identifier subset.
    ilt: String,
    /// Authority entitled to everything.
    kmar: String,
    /// Authority entitled to nothing.
    politie: String,
    /// Gate entitled to EU01.
    gate: String,
    /// Platform `acme-platform`.
    acme: String,
    /// Platform principal without a platform id.
    bare_platform: String,
    delivered: Verified<Document>,
    issued: Verified<Document>,
    names: Names,
}

/// The names of a fresh app: its admin.
async fn admin_names(app: &TestApp) -> Names {
    let names = Names::default();
    names.add(&app.admin, "token of admin");
    let principals = app.store.principals.list_principals().await.expect("principals");
    let admin = principals.iter().find(|p| p.kind == PrincipalKind::Admin).expect("the admin");
    names.add(admin.id, "id of admin");
    names
}

async fn principal(app: &TestApp, names: &Names, kind: PrincipalKind, name: &str, details: Value) -> String {
    let (id, token) = app.principal(kind, name, details).await;
    names.add(id, &format!("id of {name}"));
    names.add(&token, &format!("token of {name}"));
    token
}

async fn party(app: &TestApp, names: &Names, seed: u8, role: &str) -> Party {
    let p = app.party(seed).await;
    names.add(p.id, &format!("id of {role}"));
    names.add(&p.token, &format!("token of {role}"));
    p
}

/// A note numbered `number` pinning the carrier's and the consignee's keys, with a container on the trailer.
fn wire_note(number: &str) -> Value {
    let mut note = common::note(number, Some(&key(2)));
    note["consignee"]["public_keys"] = json!([public(&key(3))]);
    note["transport"]["equipment"][0]["carried"] = json!([{"id": "CONT-77"}]);
    note
}

fn issue_as(id: &str, number: &str, seed: u8) -> Verified<Document> {
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    ecmr::sign::issue_value(id, wire_note(number), AT.parse().expect("time"), &key(seed)).expect("issue")
}

fn deliver(doc: &Verified<Document>) -> Verified<Document> {
    let data = serde_json::from_value(json!({
        "place": {"address": {"city": "Groningen", "country": "NL"}},
        "time": "2026-11-28T11:00:00+01:00"
    }))
    .expect("delivery data");
    doc.deliver(data, "2026-11-28T10:00:00Z".parse().expect("time"), &key(3)).expect("deliver")
}

/// The cast on `app`: parties, authorities, a gate and platforms, with the delivered and the issued document
/// stored and one external dataset registered.
async fn cast(app: &TestApp) -> Cast {
    let names = admin_names(app).await;
    let sender = party(app, &names, 1, "sender").await;
    let carrier = party(app, &names, 2, "carrier").await;
    let consignee = party(app, &names, 3, "consignee").await;
    let stranger = party(app, &names, 4, "stranger").await;
    let ilt = principal(
        app,
        &names,
        PrincipalKind::Authority,
        "ILT",
        json!({"country": "NL", "subsets": ["EU01", "identifier"]}),
    )
    .await;
    let kmar =
        principal(app, &names, PrincipalKind::Authority, "KMar", json!({"country": "NL", "subsets": ["full"]})).await;
    let politie =
        principal(app, &names, PrincipalKind::Authority, "Politie", json!({"country": "NL", "subsets": []})).await;
    let gate = principal(app, &names, PrincipalKind::Gate, "RI gate", json!({"subsets": ["EU01"]})).await;
    let acme =
        principal(app, &names, PrincipalKind::Platform, "acme-platform", json!({"platformId": "acme-platform"})).await;
    let bare_platform = principal(app, &names, PrincipalKind::Platform, "platform without id", json!({})).await;

    let issued_first = issue_as(DELIVERED, "NL-WIRE-1", 1);
    let taken = common::take_over(&issued_first, &carrier.key);
    let delivered = deliver(&taken);
    let a = app.post("/v1/documents", &sender.token, issued_first.bytes().to_vec()).await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let events = format!("/v1/documents/{DELIVERED}/events");
    assert_eq!(app.post(&events, &carrier.token, common::last_event(&taken)).await.status, 201);
    assert_eq!(app.post(&events, &consignee.token, common::last_event(&delivered)).await.status, 201);
    let issued = issue_as(ISSUED, "NL-WIRE-2", 1);
    assert_eq!(app.post("/v1/documents", &sender.token, issued.bytes().to_vec()).await.status, 201);
    let a = app.call("PUT", "/api/platform/v0/consignments/ds-1", Some(&acme), Some(ONE_LEG.as_bytes().to_vec())).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    Cast {
        sender,
        carrier,
        consignee,
        stranger,
        ilt,
        kmar,
        politie,
        gate,
        acme,
        bare_platform,
        delivered,
        issued,
        names,
    }
}

fn uil(dataset: &str, subsets: &[&str]) -> Value {
    json!({"gateId": "ecmr-gate", "platformId": "ecmr-platform", "datasetId": dataset, "subsetId": subsets})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    if value.is_null() {
        body.as_object_mut().expect("object").remove(key);
    } else {
        body[key] = value;
    }
    body
}

const DIRECT: &str = "/v1/uil/ecmr-gate/ecmr-platform";
const GATE: &str = "/api/gate-api/v0/consignments";

// ---------------------------------------------------------------------------------------------------------------
// Problems

#[tokio::test(flavor = "multi_thread")]
async fn problems_of_routes_methods_and_sizes() {
    for mut app in TestApp::all("wire_problems_of_routes_methods_and_sizes").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let s = &c.sender.token;

        let mut not_found = Vec::new();
        for (case, r) in [
            ("no such route", req("GET", "/no/such/route", None)),
            ("no such route, with a token", get("/v1/nothing-here", s)),
            ("unknown document", get(format!("/v1/documents/{UNKNOWN}"), s)),
            ("a document the caller may not see", get(format!("/v1/documents/{DELIVERED}"), &c.stranger.token)),
            ("a document id that is no UUID", get("/v1/documents/not-a-uuid", s)),
            ("event for an unknown document", post(format!("/v1/documents/{UNKNOWN}/events"), s, &json!({}))),
            (
                "audit log of a document the caller may not see",
                get(format!("/v1/documents/{DELIVERED}/audit"), &c.stranger.token),
            ),
            ("follow-ups of an unknown document", get(format!("/v1/documents/{UNKNOWN}/follow-ups"), s)),
            ("unknown principal", get(format!("/v1/admin/principals/{UNKNOWN}"), &app.admin)),
            ("principal id that is no UUID", get("/v1/admin/principals/nobody", &app.admin)),
            ("revoke an unknown token", req("POST", format!("/v1/admin/tokens/{UNKNOWN}/revoke"), Some(&app.admin))),
            (
                "subsets of an unknown principal",
                req("PUT", format!("/v1/admin/principals/{UNKNOWN}/subsets"), Some(&app.admin))
                    .json(&json!({"subsets": []})),
            ),
            ("direct read of an unknown dataset", get(format!("{DIRECT}/{UNKNOWN}?subsetId=EU01"), &c.ilt)),
            (
                "direct read at another gate",
                get(format!("/v1/uil/other-gate/ecmr-platform/{DELIVERED}?subsetId=EU01"), &c.ilt),
            ),
            ("gate read of an unknown dataset", get(format!("{GATE}/{UNKNOWN}?subsetId=EU01"), &c.gate)),
            (
                "gate follow-up on an unknown dataset",
                req("POST", format!("{GATE}/{UNKNOWN}/follow-up"), Some(&c.gate)).raw("text/plain", "hello"),
            ),
        ] {
            not_found.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_not-found", &not_found, &c.names, None);

        let mut methods = Vec::new();
        for (case, r) in [
            ("DELETE on the documents", req("DELETE", "/v1/documents", Some(s))),
            ("PUT on a document", req("PUT", format!("/v1/documents/{DELIVERED}"), Some(s)).json(&json!({}))),
            ("GET on the follow-up of a UIL query", get("/v1/control/uil/follow-up", &c.ilt)),
            ("POST on whoami", req("POST", "/api/platform/v0/whoami", Some(&c.acme))),
        ] {
            methods.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_method-not-allowed", &methods, &c.names, None);

        let mut media = Vec::new();
        for (case, r) in [
            ("a document as text", req("POST", "/v1/documents", Some(s)).raw("text/plain", "{}")),
            (
                "a form to the admin API",
                req("POST", "/v1/admin/principals", Some(&app.admin))
                    .raw("application/x-www-form-urlencoded", "kind=admin"),
            ),
            (
                "JSON to the platform API",
                req("PUT", "/api/platform/v0/consignments/ds-9", Some(&c.acme)).raw("application/json", "{}"),
            ),
        ] {
            media.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_unsupported-media-type", &media, &c.names, None);

        // Over the body limit of the router (256 KiB in the tests), and over the cap of strict JSON (4 MiB) when
        // the router takes more (8 MiB, the default).
        let mut sizes = Vec::new();
        let big = vec![b' '; 300 * 1024];
        let announced = req("POST", "/v1/documents", Some(s)).header("content-length", big.len().to_string());
        sizes.push(w.ask("over the body limit, announced", announced.raw("application/json", big.clone())).await.1);
        sizes.push(
            w.ask("over the body limit, streamed", req("POST", "/v1/documents", Some(s)).raw("application/json", big))
                .await
                .1,
        );
        let mut config = (*app.state.config).clone();
        config.body_limit_bytes = 8 * 1024 * 1024;
        app.state.config = Arc::new(config);
        let w = Wire::new(&app, &c.names);
        let huge = vec![b' '; 4 * 1024 * 1024 + 1];
        let r = req("POST", "/v1/documents", Some(s)).raw("application/json", huge);
        sizes.push(w.ask("over the strict JSON cap, within the body limit", r).await.1);
        assert_wire("problem_payload-too-large", &sizes, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_of_authentication_and_entitlement() {
    for app in TestApp::all("wire_problems_of_authentication_and_entitlement").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);

        let mut unauthenticated = Vec::new();
        for (case, r) in [
            ("no authorization header", req("GET", "/v1/documents", None)),
            ("unknown token", req("GET", "/v1/documents", Some("ecmr_not-a-real-token"))),
            ("empty bearer token", req("GET", "/v1/documents", None).header("authorization", "Bearer ")),
            ("other scheme", req("GET", "/v1/documents", None).header("authorization", "Basic YWRtaW46YWRtaW4=")),
            ("authority route without a token", req("POST", "/v1/control/uil", None).json(&uil(DELIVERED, &["EU01"]))),
            ("platform route without a token", req("GET", "/api/platform/v0/whoami", None)),
        ] {
            unauthenticated.push(w.ask(case, r).await.1);
        }
        // A revoked principal's token.
        let created = app
            .post(
                "/v1/admin/principals",
                &app.admin,
                serde_json::to_vec(&json!({"kind": "platform", "name": "gone", "details": {"platformId": "gone"}}))
                    .expect("json"),
            )
            .await
            .json();
        let gone = created["token"].as_str().expect("token").to_owned();
        let gone_id = created["principal"]["id"].as_str().expect("id").to_owned();
        c.names.add(&gone, "token of gone");
        c.names.add(&gone_id, "id of gone");
        let revoke = app.post(&format!("/v1/admin/principals/{gone_id}/revoke"), &app.admin, vec![]).await;
        assert_eq!(revoke.status, 204);
        unauthenticated.push(w.ask("token of a revoked principal", get("/api/platform/v0/whoami", &gone)).await.1);
        assert_wire("problem_unauthenticated", &unauthenticated, &c.names, None);

        let d = c.delivered.bytes().to_vec();
        let mut forbidden = Vec::new();
        for (case, r) in [
            ("a party on an admin route", get("/v1/admin/principals", &c.sender.token)),
            ("the admin on a party route", get("/v1/documents", &app.admin)),
            ("an authority on a party route", get(format!("/v1/documents/{DELIVERED}"), &c.kmar)),
            ("a party on an authority route", post("/v1/control/uil", &c.sender.token, &uil(DELIVERED, &["EU01"]))),
            ("a gate on an authority route", post("/v1/control/identifiers", &c.gate, &json!({"identifier": "ABC"}))),
            ("an authority on the gate route", get(format!("{GATE}/{DELIVERED}?subsetId=EU01"), &c.ilt)),
            ("a party on the platform route", get("/api/platform/v0/whoami", &c.sender.token)),
            ("a platform principal without a platform id", get("/api/platform/v0/whoami", &c.bare_platform)),
            (
                "a document none of the caller's keys signed",
                req("POST", "/v1/documents", Some(&c.stranger.token)).raw("application/json", d),
            ),
            (
                "an event signed by a key the caller does not hold",
                req("POST", format!("/v1/documents/{ISSUED}/events"), Some(&c.sender.token))
                    .raw("application/json", common::last_event(&common::take_over(&c.issued, &c.carrier.key))),
            ),
            (
                "direct read of a subset the authority is not entitled to",
                get(format!("{DIRECT}/{DELIVERED}?subsetId=EU02"), &c.ilt),
            ),
            (
                "the signed document for an authority not entitled to full",
                get(format!("{DIRECT}/{DELIVERED}"), &c.ilt).header("accept", "application/json"),
            ),
            (
                "gate read of a subset the gate is not entitled to",
                get(format!("{GATE}/{DELIVERED}?subsetId=EU03"), &c.gate),
            ),
        ] {
            forbidden.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_forbidden", &forbidden, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_of_requests_and_bodies() {
    for app in TestApp::all("wire_problems_of_requests_and_bodies").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let s = &c.sender.token;

        let mut bad = Vec::new();
        for (case, r) in [
            ("unknown state", get("/v1/documents?state=lost", s)),
            ("unknown role", get("/v1/documents?role=pilot", s)),
            ("limit out of range", get("/v1/documents?limit=501", s)),
            ("limit not a number", get("/v1/documents?limit=x", s)),
            ("unknown query parameter", get("/v1/documents?colour=red", s)),
            ("a cursor the gateway did not issue", get("/v1/documents?cursor=abc", s)),
            ("updated_since not a time", get("/v1/documents?updated_since=yesterday", s)),
            ("a path segment that is not UTF-8", get("/v1/documents/%FF", s)),
            ("UIL answer without requestId", get("/v1/control/uil", &c.ilt)),
            ("identifier answer without requestId", get("/v1/control/identifiers", &c.ilt)),
            ("direct read without subsetId", get(format!("{DIRECT}/{DELIVERED}"), &c.ilt)),
            ("direct read of an unknown subset", get(format!("{DIRECT}/{DELIVERED}?subsetId=EU99"), &c.ilt)),
            (
                "direct read with a subset id that is not one",
                get(format!("{DIRECT}/{DELIVERED}?subsetId=EU-01"), &c.ilt),
            ),
            ("direct read with an unknown query parameter", get(format!("{DIRECT}/{DELIVERED}?other=1"), &c.ilt)),
            ("gate read without subsetId", get(format!("{GATE}/{DELIVERED}"), &c.gate)),
            (
                "gate follow-up that is empty",
                req("POST", format!("{GATE}/{DELIVERED}/follow-up"), Some(&c.gate)).raw("text/plain", "  "),
            ),
            (
                "gate follow-up that is too long",
                req("POST", format!("{GATE}/{DELIVERED}/follow-up"), Some(&c.gate)).raw("text/plain", "x".repeat(256)),
            ),
            (
                "gate follow-up that is not UTF-8",
                req("POST", format!("{GATE}/{DELIVERED}/follow-up"), Some(&c.gate))
                    .raw("text/plain", b"\xff\xfe".to_vec()),
            ),
        ] {
            bad.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_bad-request", &bad, &c.names, None);

        let mut malformed = Vec::new();
        for (case, r) in [
            ("not JSON", req("POST", "/v1/documents", Some(s)).raw("application/json", "{\"format\": ")),
            ("a float", req("POST", "/v1/documents", Some(s)).raw("application/json", "{\"format\": 1.5}")),
            ("a repeated key", req("POST", "/v1/documents", Some(s)).raw("application/json", "{\"a\": 1, \"a\": 2}")),
            ("not UTF-8", req("POST", "/v1/documents", Some(s)).raw("application/json", b"{\"a\": \"\xff\"}".to_vec())),
            ("an empty body", req("POST", "/v1/documents", Some(s))),
            (
                "an event that is not JSON",
                req("POST", format!("/v1/documents/{DELIVERED}/events"), Some(s)).raw("application/json", "["),
            ),
            ("a UIL query that is not JSON", req("POST", "/v1/control/uil", Some(&c.ilt)).raw("application/json", "{")),
            (
                "an identifier search with a trailing comma",
                req("POST", "/v1/control/identifiers", Some(&c.ilt))
                    .raw("application/json", "{\"identifier\": \"A\",}"),
            ),
            (
                "a follow-up that is not JSON",
                req("POST", "/v1/control/uil/follow-up", Some(&c.ilt)).raw("application/json", "message"),
            ),
            (
                "a new principal that is not JSON",
                req("POST", "/v1/admin/principals", Some(&app.admin)).raw("application/json", "{\"kind\": }"),
            ),
        ] {
            malformed.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_malformed-json", &malformed, &c.names, None);

        let mut invalid = Vec::new();
        for (case, body) in [
            ("a party without keys", json!({"kind": "party", "name": "no keys"})),
            ("an admin with keys", json!({"kind": "admin", "name": "x", "public_keys": [public(&key(9))]})),
            ("an authority without country", json!({"kind": "authority", "name": "police"})),
            ("an unknown kind", json!({"kind": "pirate", "name": "x"})),
            ("an unknown member", json!({"kind": "platform", "name": "x", "colour": 1})),
            ("a short key", json!({"kind": "party", "name": "x", "public_keys": ["AAAA"]})),
            (
                "a key bound to another party",
                json!({"kind": "party", "name": "thief", "public_keys": [public(&key(1))]}),
            ),
            (
                "an unknown subset",
                json!({"kind": "authority", "name": "x", "details": {"country": "NL", "subsets": ["XX99"]}}),
            ),
        ] {
            invalid.push(w.ask(case, post("/v1/admin/principals", &app.admin, &body)).await.1);
        }
        let sender_subsets = format!("/v1/admin/principals/{}/subsets", c.sender.id);
        let r = req("PUT", sender_subsets, Some(&app.admin)).json(&json!({"subsets": []}));
        invalid.push(w.ask("subsets of a party", r).await.1);
        let tokens = format!("/v1/admin/principals/{}/tokens", c.sender.id);
        let r = post(&tokens, &app.admin, &json!({"expires_at": "2000-01-01T00:00:00Z"}));
        invalid.push(w.ask("a token that expired already", r).await.1);
        assert_wire("problem_invalid-request", &invalid, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_of_documents_and_events() {
    for app in TestApp::all("wire_problems_of_documents_and_events").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let s = &c.sender.token;
        let submit = |body: Vec<u8>| req("POST", "/v1/documents", Some(s)).raw("application/json", body);

        // Conflicts.
        let other_content = ecmr::sign::issue_value(
            uuid::Uuid::parse_str(ISSUED).expect("uuid"),
            wire_note("NL-WIRE-2b"),
            AT.parse().expect("time"),
            &key(1),
        )
        .expect("issue");
        let id_taken = vec![w.ask("same id, other content", submit(other_content.bytes().to_vec())).await.1];
        assert_wire("problem_document-id-taken", &id_taken, &c.names, None);
        let reuse = issue_as(OTHER, "NL-WIRE-1", 1);
        let number_taken = vec![w.ask("new id, a note number the sender used", submit(reuse.bytes().to_vec())).await.1];
        assert_wire("problem_note-number-taken", &number_taken, &c.names, None);
        let events = format!("/v1/documents/{ISSUED}/events");
        let taken = common::take_over(&c.issued, &c.carrier.key);
        let a = app.post(&events, &c.carrier.token, common::last_event(&taken)).await;
        assert_eq!(a.status, 201);
        let cancelled = common::cancel(&c.issued, &c.sender.key);
        let r = req("POST", &events, Some(s)).raw("application/json", common::last_event(&cancelled));
        let seq_taken = vec![w.ask("a cancellation at the seq the take-over holds", r).await.1];
        assert_wire("problem_event-seq-taken", &seq_taken, &c.names, None);
        let diverged = vec![
            w.ask("the whole document with a cancellation where the take-over is", submit(cancelled.bytes().to_vec()))
                .await
                .1,
        ];
        assert_wire("problem_chain-diverged", &diverged, &c.names, None);

        // Verification.
        let doc = issue_as(OTHER, "NL-WIRE-3", 1);
        let mut bad_signature: Value = serde_json::from_slice(doc.bytes()).expect("json");
        bad_signature["events"][0]["at"] = json!("2026-11-27T15:00:01Z");
        let mut changed_note: Value = serde_json::from_slice(doc.bytes()).expect("json");
        changed_note["note"]["goods"][0]["nature_of_goods"] = json!("something else");
        let mut failed = Vec::new();
        for (case, body) in [
            ("not a signed document", json!({"format": "other/1"})),
            ("a signature over other content", bad_signature),
            ("the note changed after signing", changed_note),
        ] {
            failed.push(w.ask(case, submit(serde_json::to_vec(&body).expect("json"))).await.1);
        }
        assert_wire("problem_verification-failed", &failed, &c.names, None);

        let mut missing = wire_note("NL-WIRE-4");
        missing.as_object_mut().expect("object").remove("sender");
        let mut unknown_country = wire_note("NL-WIRE-5");
        unknown_country["sender"]["address"]["country"] = json!("QQ");
        let id = uuid::Uuid::parse_str(OTHER).expect("uuid");
        let invalid_note = vec![
            w.ask("a required particular missing", submit(common::sign_raw(id, missing, &key(1)))).await.1,
            w.ask("content checks fail", submit(common::sign_raw(id, unknown_country, &key(1)))).await.1,
        ];
        assert_wire("problem_invalid-note", &invalid_note, &c.names, None);

        // An event at seq 2 signed by the carrier in the take-over's role: not allowed now.
        let mut forged: Value = serde_json::from_slice(&common::last_event(&taken)).expect("json");
        forged["seq"] = json!(2);
        forged["prev"] = json!(taken.last_event_digest().expect("digest"));
        let mut unsigned: Value = forged.clone();
        unsigned["signer"] = json!({"alg": "Ed25519"});
        let carrier = Some(c.carrier.token.as_str());
        let invalid_event = vec![
            w.ask("a take-over after the take-over", req("POST", &events, carrier).json(&forged)).await.1,
            w.ask("no readable signer key", req("POST", &events, carrier).json(&unsigned)).await.1,
        ];
        assert_wire("problem_invalid-event", &invalid_event, &c.names, None);
    }
}

/// A stalled body runs into the request timeout; a closed store makes the gateway unready.
#[tokio::test(flavor = "multi_thread")]
async fn problems_of_time_and_availability() {
    for mut app in TestApp::all("wire_problems_of_time_and_availability").await {
        let names = Names::default();
        let sender = party(&app, &names, 1, "sender").await;
        let mut config = (*app.state.config).clone();
        config.request_timeout_secs = 1;
        app.state.config = Arc::new(config);
        let w = Wire::new(&app, &names);
        let stalled = Request::post("/v1/documents")
            .header("authorization", format!("Bearer {}", sender.token))
            .header("content-type", "application/json")
            .body(Body::new(common::Stall(false)))
            .expect("request");
        let a = app.send(stalled).await;
        let timeout = vec![w.entry("a body that stops coming", "POST /v1/documents", &a)];
        assert_wire("problem_timeout", &timeout, &names, None);

        app.store.close().await;
        let unavailable = vec![w.ask("readiness with the store closed", req("GET", "/readyz", None)).await.1];
        assert_wire("problem_unavailable", &unavailable, &names, None);
    }
}

/// A stored document that no longer verifies (changed in the database behind the gateway's back) is not handed
/// out: the gateway fails with a 500 that names only the request id.
#[tokio::test(flavor = "multi_thread")]
async fn problem_of_a_gateway_fault() {
    use sqlx::Connection as _;
    let tamper = "UPDATE documents SET note_json = replace(note_json, 'Groningen', 'Grunningen')";
    let (sqlite, path) = common::sqlite_store().await;
    let mut apps = vec![(TestApp::new(sqlite).await, None)];
    if let Some(url) = common::postgres_url() {
        let options = common::postgres_schema(&url).await;
        let pg = ecmr_gateway::store::postgres::PgStore::connect_with(options.clone()).await.expect("postgres");
        let store = ecmr_gateway::store::Store::new(Arc::new(pg));
        apps.push((TestApp::new(store).await, Some(options)));
    }
    for (app, pg) in apps {
        let c = cast(&app).await;
        match pg {
            None => {
                let conn = rusqlite::Connection::open(&path).expect("sqlite");
                conn.execute(tamper, []).expect("tamper");
            }
            Some(options) => {
                let mut conn = sqlx::PgConnection::connect_with(&options).await.expect("postgres");
                sqlx::query(tamper).execute(&mut conn).await.expect("tamper");
                conn.close().await.expect("close");
            }
        }
        let w = Wire::new(&app, &c.names);
        let r = get(format!("{DIRECT}/{DELIVERED}"), &c.kmar).header("accept", "application/json");
        let internal = vec![w.ask("the signed document, changed behind the gateway's back", r).await.1];
        assert_wire("problem_internal", &internal, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_of_the_platform_api_are_xml() {
    for app in TestApp::all("wire_problems_of_the_platform_api_are_xml").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let put = |dataset: &str, body: Vec<u8>| {
            req("PUT", format!("/api/platform/v0/consignments/{dataset}"), Some(&c.acme)).raw("application/xml", body)
        };
        let mut xml = Vec::new();
        for (case, r) in [
            ("a dataset id with characters the RI does not allow", put("ds%3B1", ONE_LEG.into())),
            ("a dataset id longer than 255 characters", put(&"d".repeat(256), ONE_LEG.into())),
            ("not UTF-8", put("ds-2", b"<consignment>\xff</consignment>".to_vec())),
            ("not XML", put("ds-2", b"{\"identifier\": \"ABC123\"}".to_vec())),
            ("not the identifier dataset", put("ds-2", INVALID_IDENTIFIERS.into())),
            (
                "an element out of order",
                put(
                    "ds-2",
                    ONE_LEG
                        .replace("<modeCode>3</modeCode>", "")
                        .replace(
                            "<dangerousGoodsIndicator>false</dangerousGoodsIndicator>",
                            "<modeCode>3</modeCode><dangerousGoodsIndicator>false</dangerousGoodsIndicator>",
                        )
                        .into_bytes(),
                ),
            ),
        ] {
            xml.push(w.ask(case, r).await.1);
        }
        assert_wire("problem_xml_of_the_platform_api", &xml, &c.names, None);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// eFTI authority API (RI DTOs)

#[tokio::test(flavor = "multi_thread")]
async fn uil_answers() {
    for app in TestApp::all("wire_uil_answers").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);

        let mut complete = Vec::new();
        let (a, e) =
            w.ask("EU01 of the delivered document", post("/v1/control/uil", &c.ilt, &uil(DELIVERED, &["EU01"]))).await;
        complete.push(e);
        let rid = a.json()["requestId"].as_str().expect("requestId").to_owned();
        let (again, e) =
            w.ask("the same answer by its requestId", get(format!("/v1/control/uil?requestId={rid}"), &c.ilt)).await;
        assert_eq!(again.json(), a.json());
        complete.push(e);
        let body = json!({
            "gateId": "ecmr-gate", "platformId": "ecmr-platform", "datasetId": DELIVERED, "subsetIds": ["identifier"]
        });
        complete.push(
            w.ask("the identifier subset, asked for as subsetIds", post("/v1/control/uil", &c.ilt, &body)).await.1,
        );
        assert_wire("efti_uil_complete", &complete, &c.names, None);

        let base = uil(DELIVERED, &["EU01"]);
        let mut errors = Vec::new();
        let mut rids = std::collections::BTreeMap::new();
        for (case, body) in [
            ("gateId missing", with(base.clone(), "gateId", Value::Null)),
            ("gateId blank", with(base.clone(), "gateId", json!("  "))),
            ("gateId longer than 255", with(base.clone(), "gateId", json!("g".repeat(256)))),
            ("gateId with characters the RI does not allow", with(base.clone(), "gateId", json!("gate<1>"))),
            ("gateId not a string", with(base.clone(), "gateId", json!(7))),
            ("platformId missing", with(base.clone(), "platformId", Value::Null)),
            ("platformId longer than 255", with(base.clone(), "platformId", json!("p".repeat(256)))),
            ("platformId with characters the RI does not allow", with(base.clone(), "platformId", json!("plat;form"))),
            ("datasetId missing", with(base.clone(), "datasetId", Value::Null)),
            ("datasetId longer than a UUID", with(base.clone(), "datasetId", json!(format!("{DELIVERED}0")))),
            ("datasetId not a UUID", with(base.clone(), "datasetId", json!("not-a-uuid"))),
            ("subsetId missing", with(base.clone(), "subsetId", Value::Null)),
            ("subsetId empty", with(base.clone(), "subsetId", json!([]))),
            ("subsetId not an array", with(base.clone(), "subsetId", json!("EU01"))),
            ("an unknown subset", with(base.clone(), "subsetId", json!(["EU99"]))),
            ("another gate", with(base.clone(), "gateId", json!("other-gate"))),
            ("another platform", with(base.clone(), "platformId", json!("acme-platform"))),
            ("an unknown dataset", with(base.clone(), "datasetId", json!(UNKNOWN))),
            ("a subset the authority is not entitled to", with(base.clone(), "subsetId", json!(["EU02"]))),
            ("full, which the authority is not entitled to", with(base.clone(), "subsetId", json!(["full"]))),
        ] {
            let (a, e) = w.ask(case, post("/v1/control/uil", &c.ilt, &body)).await;
            rids.insert(case, a.json()["requestId"].as_str().expect("requestId").to_owned());
            errors.push(e);
        }
        let (_, e) = w.ask("an authority entitled to nothing", post("/v1/control/uil", &c.politie, &base)).await;
        errors.push(e);
        let rid = rids["gateId missing"].clone();
        let refused_rid = rids["a subset the authority is not entitled to"].clone();
        errors.push(
            w.ask("an error answer by its requestId", get(format!("/v1/control/uil?requestId={rid}"), &c.ilt)).await.1,
        );
        assert_wire("efti_uil_errors", &errors, &c.names, None);

        let mut not_found = Vec::new();
        for (case, r) in [
            ("an unknown requestId", get(format!("/v1/control/uil?requestId={UNKNOWN}"), &c.ilt)),
            ("a requestId that is no UUID", get("/v1/control/uil?requestId=nonsense", &c.ilt)),
            ("another authority's requestId", get(format!("/v1/control/uil?requestId={rid}"), &c.kmar)),
        ] {
            not_found.push(w.ask(case, r).await.1);
        }
        assert_wire("efti_uil_answer_not_found", &not_found, &c.names, None);

        // The direct read: the XML of the subsets, or the signed document for an authority entitled to `full`.
        let mut direct = Vec::new();
        direct.push(w.ask("EU01", get(format!("{DIRECT}/{DELIVERED}?subsetId=EU01"), &c.ilt)).await.1);
        let r = get(format!("{DIRECT}/{DELIVERED}"), &c.kmar).header("accept", "application/json");
        let (a, mut e) = w.ask("the signed document", r).await;
        let party = app.get(&format!("/v1/documents/{DELIVERED}"), &c.sender.token).await;
        assert_eq!(a.body, party.body, "the signed document as the parties read it");
        e.body = Some(json!("(the signed document as GET /v1/documents/{id} answers it: see party_document)"));
        direct.push(e);
        assert_wire("efti_direct_read", &direct, &c.names, None);

        // Follow-ups: 202 with `Note sent`, or 400 with the RI's error.
        let mut follow_ups = Vec::new();
        let uil_rid = {
            let a = app
                .post("/v1/control/uil", &c.ilt, serde_json::to_vec(&uil(DELIVERED, &["EU01"])).expect("json"))
                .await;
            a.json()["requestId"].as_str().expect("requestId").to_owned()
        };
        c.names.add(&uil_rid, "requestId of the UIL query followed up");
        let fu = "/v1/control/uil/follow-up";
        let message = "Vehicle checked at Hazeldonk; the seal on the trailer was broken.";
        for (case, body) in [
            ("a message about a UIL request", json!({"message": message, "requestId": uil_rid})),
            ("a message longer than 255 characters", json!({"message": "x".repeat(256), "requestId": uil_rid})),
            ("no message", json!({"requestId": uil_rid})),
            ("a message that is not a string", json!({"message": 7, "requestId": uil_rid})),
            ("no requestId", json!({"message": "hello"})),
            ("an unknown requestId", json!({"message": "hello", "requestId": UNKNOWN})),
            ("a requestId that is no UUID", json!({"message": "hello", "requestId": "nonsense"})),
            ("a request refused, about a stored document", json!({"message": "hello", "requestId": refused_rid})),
            ("a request that failed before naming a document", json!({"message": "hello", "requestId": rid})),
        ] {
            follow_ups.push(w.ask(case, post(fu, &c.ilt, &body)).await.1);
        }
        let body = json!({"message": "hello", "requestId": uil_rid});
        follow_ups.push(w.ask("another authority's request", post(fu, &c.kmar, &body)).await.1);
        assert_wire("efti_follow_up", &follow_ups, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn identifier_answers() {
    for app in TestApp::all("wire_identifier_answers").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let search = "/v1/control/identifiers";

        let mut complete = Vec::new();
        let (a, e) = w
            .ask("the vehicle of the delivered document", post(search, &c.ilt, &json!({"identifier": "12bxl4"})))
            .await;
        let hit = &a.json()["identifiers"][0];
        for member in [
            "gateId",
            "platformId",
            "datasetId",
            "carrierAcceptanceDatetime",
            "deliveryEventActualOccurrenceDatetime",
            "mainCarriageTransportMovement",
            "usedTransportEquipment",
        ] {
            assert!(hit.get(member).is_some(), "the hit shows {member}: {hit}");
        }
        complete.push(e);
        let rid = a.json()["requestId"].as_str().expect("requestId").to_owned();
        let (again, e) =
            w.ask("the same answer by its requestId", get(format!("{search}?requestId={rid}"), &c.ilt)).await;
        assert_eq!(again.json(), a.json());
        complete.push(e);
        let body = json!({
            "identifier": "cont77", "identifierType": ["carried"], "modeCode": "3",
            "dangerousGoodsIndicator": false, "eftiGateIndicator": ["NL"]
        });
        complete.push(w.ask("carried equipment, with every filter", post(search, &c.ilt, &body)).await.1);
        let body = json!({"identifier": "abc123", "registrationCountryCode": "FI"});
        complete.push(w.ask("a dataset an external platform registered", post(search, &c.ilt, &body)).await.1);
        complete.push(w.ask("nothing found", post(search, &c.ilt, &json!({"identifier": "UNKNOWN1"}))).await.1);
        assert_wire("efti_identifiers_complete", &complete, &c.names, None);

        let mut errors = Vec::new();
        for (case, body) in [
            ("identifier missing", json!({})),
            ("identifier blank", json!({"identifier": " "})),
            ("identifier not a string", json!({"identifier": 12})),
            ("identifier longer than 17", json!({"identifier": "A".repeat(18)})),
            ("identifier with other characters than letters, digits and separators", json!({"identifier": "12_BXL_4"})),
            ("an unknown identifierType", json!({"identifier": "ABC", "identifierType": ["vehicle"]})),
            ("identifierType not an array", json!({"identifier": "ABC", "identifierType": "means"})),
            ("modeCode of two digits", json!({"identifier": "ABC", "modeCode": "31"})),
            ("modeCode not a string", json!({"identifier": "ABC", "modeCode": 3})),
            ("an unknown registrationCountryCode", json!({"identifier": "ABC", "registrationCountryCode": "XX"})),
            ("dangerousGoodsIndicator not a boolean", json!({"identifier": "ABC", "dangerousGoodsIndicator": "yes"})),
            ("an eftiGateIndicator that is no country code", json!({"identifier": "ABC", "eftiGateIndicator": ["nl"]})),
        ] {
            errors.push(w.ask(case, post(search, &c.ilt, &body)).await.1);
        }
        for (case, r) in [
            ("an unknown requestId", get(format!("{search}?requestId={UNKNOWN}"), &c.ilt)),
            ("another authority's requestId", get(format!("{search}?requestId={rid}"), &c.kmar)),
        ] {
            errors.push(w.ask(case, r).await.1);
        }
        assert_wire("efti_identifiers_errors", &errors, &c.names, None);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Party, platform, gate, admin and operations answers

#[tokio::test(flavor = "multi_thread")]
async fn party_answers() {
    for app in TestApp::all("wire_party_answers").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let s = &c.sender.token;

        let doc = issue_as(OTHER, "NL-WIRE-3", 1);
        let submit = |body: Vec<u8>| req("POST", "/v1/documents", Some(s)).raw("application/json", body);
        let mut receipts = vec![
            w.ask("a new document", submit(doc.bytes().to_vec())).await.1,
            w.ask("the same document again", submit(doc.bytes().to_vec())).await.1,
        ];
        let taken = common::take_over(&doc, &c.carrier.key);
        let events = format!("/v1/documents/{OTHER}/events");
        let carrier = Some(c.carrier.token.as_str());
        let event = common::last_event(&taken);
        receipts.push(w.ask("an event", req("POST", &events, carrier).raw("application/json", event.clone())).await.1);
        receipts
            .push(w.ask("the same event again", req("POST", &events, carrier).raw("application/json", event)).await.1);
        assert_wire("party_receipts", &receipts, &c.names, None);

        let mut pages = Vec::new();
        let (a, e) = w.ask("the first page", get("/v1/documents?limit=2", s)).await;
        pages.push(e);
        let cursor = a.json()["next_cursor"].as_str().expect("a next page").to_owned();
        c.names.add(&cursor, "cursor of the first page");
        pages.push(w.ask("the last page", get(format!("/v1/documents?limit=2&cursor={cursor}"), s)).await.1);
        pages.push(
            w.ask("in transit, as carrier", get("/v1/documents?state=in_transit&role=carrier", &c.carrier.token))
                .await
                .1,
        );
        pages.push(w.ask("nothing updated since", get("/v1/documents?updated_since=2999-01-01T00:00:00Z", s)).await.1);
        assert_wire("party_pages", &pages, &c.names, None);

        let document = vec![
            w.ask("the delivered document", get(format!("/v1/documents/{DELIVERED}"), &c.consignee.token)).await.1,
        ];
        assert_wire("party_document", &document, &c.names, None);

        // Syncing by submitting the whole document.
        let delivered = deliver(&taken);
        let consignee = Some(c.consignee.token.as_str());
        let sync = req("POST", "/v1/documents", consignee).raw("application/json", delivered.bytes().to_vec());
        let synced = vec![
            w.ask("the whole document, one event further than stored", sync).await.1,
            w.ask("the whole document as it was issued, behind the stored chain", submit(doc.bytes().to_vec())).await.1,
        ];
        assert_wire("party_sync", &synced, &c.names, None);

        // What the parties see of authorities and gates: the audit log and the follow-ups.
        let ilt_uil =
            app.post("/v1/control/uil", &c.ilt, serde_json::to_vec(&uil(DELIVERED, &["EU01"])).expect("json")).await;
        let rid = ilt_uil.json()["requestId"].as_str().expect("requestId").to_owned();
        c.names.add(&rid, "requestId of ILT's UIL query");
        let refused =
            app.post("/v1/control/uil", &c.ilt, serde_json::to_vec(&uil(DELIVERED, &["EU02"])).expect("json")).await;
        c.names.add(refused.json()["requestId"].as_str().expect("requestId"), "requestId of ILT's refused UIL query");
        let found = app
            .post(
                "/v1/control/identifiers",
                &c.ilt,
                br#"{"identifier": "12BXL4", "identifierType": ["means"]}"#.to_vec(),
            )
            .await;
        c.names.add(found.json()["requestId"].as_str().expect("requestId"), "requestId of ILT's identifier search");
        let fu = json!({"message": "Seal broken at Hazeldonk.", "requestId": rid});
        assert_eq!(
            app.post("/v1/control/uil/follow-up", &c.ilt, serde_json::to_vec(&fu).expect("json")).await.status,
            202
        );
        let kmar_read = get(format!("{DIRECT}/{DELIVERED}"), &c.kmar).header("accept", "application/json").build();
        assert_eq!(app.send(kmar_read).await.status, 200);
        assert_eq!(app.get(&format!("{GATE}/{DELIVERED}?subsetId=EU01"), &c.gate).await.status, 200);
        let gate_fu =
            req("POST", format!("{GATE}/{DELIVERED}/follow-up"), Some(&c.gate)).raw("text/plain", "Checked at Venlo.");
        assert_eq!(app.send(gate_fu.build()).await.status, 200);
        // A request id the client chose is the one in the audit log.
        let mine =
            get(format!("{DIRECT}/{DELIVERED}?subsetId=EU01"), &c.ilt).header("x-request-id", "roadside-check-0042");
        assert_eq!(app.send(mine.build()).await.status, 200);

        let mut seen = vec![w.ask("the audit log", get(format!("/v1/documents/{DELIVERED}/audit"), s)).await.1];
        seen.push(w.ask("the follow-ups", get(format!("/v1/documents/{DELIVERED}/follow-ups"), s)).await.1);
        assert_wire("party_audit_and_follow_ups", &seen, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_and_gate_answers() {
    for app in TestApp::all("wire_platform_and_gate_answers").await {
        let c = cast(&app).await;
        let w = Wire::new(&app, &c.names);
        let put = |dataset: &str| {
            req("PUT", format!("/api/platform/v0/consignments/{dataset}"), Some(&c.acme))
                .raw("application/xml", ONE_LEG)
        };
        let platform = vec![
            w.ask("register a dataset", put("ds-2")).await.1,
            w.ask("register it again", put("ds-2")).await.1,
            w.ask("who the platform is", get("/api/platform/v0/whoami", &c.acme)).await.1,
        ];
        assert_wire("platform_answers", &platform, &c.names, None);

        let follow_up =
            req("POST", format!("{GATE}/{DELIVERED}/follow-up"), Some(&c.gate)).raw("text/plain", "Checked at Venlo.");
        let gate = vec![
            w.ask("EU01 of the delivered document", get(format!("{GATE}/{DELIVERED}?subsetId=EU01"), &c.gate)).await.1,
            w.ask("a follow-up", follow_up).await.1,
        ];
        assert_wire("gate_answers", &gate, &c.names, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_answers() {
    for app in TestApp::all("wire_admin_answers").await {
        let names = admin_names(&app).await;
        let w = Wire::new(&app, &names);
        let admin = app.admin.as_str();

        let mut answers = Vec::new();
        let body = json!({"kind": "party", "name": "Van Dijk Transport", "public_keys": [public(&key(9))]});
        let (a, e) = w.ask("a new party", post("/v1/admin/principals", admin, &body)).await;
        let party = a.json();
        let party_id = party["principal"]["id"].as_str().expect("id").to_owned();
        names.add(&party_id, "id of Van Dijk Transport");
        names.add(party["token"].as_str().expect("token"), "token of Van Dijk Transport");
        names.add(party["token_id"].as_str().expect("token_id"), "token id of Van Dijk Transport");
        answers.push(e);
        let body = json!({
            "kind": "authority", "name": "KMar",
            "details": {"country": "NL", "legalContact": {"email": "x@kmar.example"}, "subsets": ["EU01"]}
        });
        let (a, e) = w.ask("a new authority", post("/v1/admin/principals", admin, &body)).await;
        let authority = a.json();
        let kmar_id = authority["principal"]["id"].as_str().expect("id").to_owned();
        names.add(&kmar_id, "id of KMar");
        names.add(authority["token"].as_str().expect("token"), "token of KMar");
        names.add(authority["token_id"].as_str().expect("token_id"), "token id of KMar");
        answers.push(e);
        let body = json!({"kind": "platform", "name": "Acme", "details": {"platformId": "acme-platform"}});
        let (a, e) = w.ask("a new platform", post("/v1/admin/principals", admin, &body)).await;
        let platform = a.json();
        names.add(platform["principal"]["id"].as_str().expect("id"), "id of Acme");
        names.add(platform["token"].as_str().expect("token"), "token of Acme");
        names.add(platform["token_id"].as_str().expect("token_id"), "token id of Acme");
        answers.push(e);
        let r = post(
            format!("/v1/admin/principals/{party_id}/tokens"),
            admin,
            &json!({"expires_at": "2999-01-01T00:00:00Z"}),
        );
        let (a, e) = w.ask("a second token, expiring", r).await;
        let second = a.json();
        names.add(second["token"].as_str().expect("token"), "second token of Van Dijk Transport");
        let second_id = second["token_id"].as_str().expect("token_id").to_owned();
        names.add(&second_id, "second token id of Van Dijk Transport");
        answers.push(e);
        let r = req("POST", format!("/v1/admin/principals/{party_id}/tokens"), Some(admin));
        let (a, e) = w.ask("a third token, without a body", r).await;
        names.add(a.json()["token"].as_str().expect("token"), "third token of Van Dijk Transport");
        names.add(a.json()["token_id"].as_str().expect("token_id"), "third token id of Van Dijk Transport");
        answers.push(e);
        answers.push(
            w.ask("revoke the second token", req("POST", format!("/v1/admin/tokens/{second_id}/revoke"), Some(admin)))
                .await
                .1,
        );
        let r = req("PUT", format!("/v1/admin/principals/{kmar_id}/subsets"), Some(admin))
            .json(&json!({"subsets": ["EU01", "EU02"]}));
        answers.push(w.ask("set an authority's subsets", r).await.1);
        answers.push(
            w.ask("one principal with its tokens", get(format!("/v1/admin/principals/{party_id}"), admin)).await.1,
        );
        answers.push(
            w.ask("revoke a principal", req("POST", format!("/v1/admin/principals/{party_id}/revoke"), Some(admin)))
                .await
                .1,
        );
        answers.push(w.ask("every principal", get("/v1/admin/principals", admin)).await.1);
        assert_wire("admin_answers", &answers, &names, None);
    }
}

#[tokio::test]
async fn operations_answers() {
    for app in TestApp::all("wire_operations_answers").await {
        let names = Names::default();
        let w = Wire::new(&app, &names);
        let mut ops = vec![w.ask("liveness", req("GET", "/healthz", None)).await.1];
        let (a, mut e) = w.ask("the OpenAPI description", req("GET", "/openapi.json", None)).await;
        assert!(a.json()["paths"].is_object());
        e.body = Some(json!("(the OpenAPI description: pinned by schemas/openapi.json)"));
        ops.push(e);
        // Metrics: the families and their labels (the values vary).
        let (a, mut e) = w.ask("metrics", req("GET", "/metrics", None)).await;
        let text = String::from_utf8(a.body).expect("utf-8");
        let mut families: Vec<String> = Vec::new();
        for line in text.lines() {
            let shape = if line.starts_with('#') {
                line.to_owned()
            } else {
                let (name, rest) = line.split_once('{').unwrap_or((line.split(' ').next().unwrap_or(""), ""));
                let labels: Vec<&str> = rest.split(',').filter_map(|l| l.split_once('=').map(|(k, _)| k)).collect();
                format!("{name}{{{}}}", labels.join(","))
            };
            if !families.contains(&shape) {
                families.push(shape);
            }
        }
        e.body = Some(json!(families));
        ops.push(e);
        assert_wire("ops_answers", &ops, &names, None);

        // Readiness names the backend.
        let ready = vec![w.ask("readiness", req("GET", "/readyz", None)).await.1];
        assert_wire("ops_readyz", &ready, &names, Some(app.backend()));
    }
}
