//! The inspector's session (cookie for token, CSRF guard, sign-out, a revoked token ends it), driver share links
//! (make, list, open, revoke, expiry, another party, throttled guessing, audit), the authority's bundle, the
//! layout of a dataset in boxes and the static pages' headers — over HTTP, on every backend.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Answer, TestApp};
use ecmr_gateway::config::Config;
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::store::PrincipalKind;
use serde_json::{Value, json};

/// An authority principal entitled to `subsets`; returns its id and token.
async fn authority(app: &TestApp, subsets: &[&str]) -> (uuid::Uuid, String) {
    let (p, token) = create_principal(
        &app.store,
        NewPrincipal {
            kind: PrincipalKind::Authority,
            name: format!("Inspectie {}", subsets.join("+")),
            public_keys: vec![],
            details: Some(json!({"country": "NL", "subsets": subsets})),
            token_expires_at: None,
        },
    )
    .await
    .expect("authority");
    (p.id, token.token)
}

/// A document issued by party 1 and taken over by party 2 (made on the first call), stored; returns its id and
/// the two parties.
async fn stored_document(app: &TestApp, number: &str) -> (String, common::Party, common::Party) {
    let (sender, carrier) = (app.party(1).await, app.party(2).await);
    let id = store_another(app, number, &sender, &carrier).await;
    (id, sender, carrier)
}

/// A document issued by `sender` and taken over by `carrier`, stored; returns its id.
async fn store_another(app: &TestApp, number: &str, sender: &common::Party, carrier: &common::Party) -> String {
    let doc = common::issue(number, &sender.key, Some(&carrier.key));
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let taken = common::take_over(&doc, &carrier.key);
    let r = app.post(&format!("/v1/documents/{}/events", doc.id()), &carrier.token, common::last_event(&taken)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    doc.id().to_owned()
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)], body: Option<Value>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).expect("request")
}

/// Signs in with `token`; returns the answer and the cookie's `name=value`.
async fn sign_in(app: &TestApp, token: &str) -> (Answer, Option<String>) {
    let a = app
        .send(request("POST", "/inspect/session", &[("x-ecmr-inspector", "1")], Some(json!({"token": token}))))
        .await;
    let cookie = a
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .filter(|c| c.len() > "ecmr_session=".len());
    (a, cookie)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_cookie_stands_for_the_authority_only_from_the_app_and_until_sign_out() {
    for app in TestApp::all("inspect_session").await {
        let (id, _, _) = stored_document(&app, "S-1").await;
        let (authority_id, token) = authority(&app, &["full"]).await;
        let party = app.party(7).await;

        // Another kind's token, a wrong token, and a sign-in without the app's header are refused.
        assert_eq!(sign_in(&app, &party.token).await.0.status, StatusCode::FORBIDDEN);
        assert_eq!(sign_in(&app, "ecmr_nonsense").await.0.status, StatusCode::UNAUTHORIZED);
        let bare = app.send(request("POST", "/inspect/session", &[], Some(json!({"token": token})))).await;
        assert_eq!(bare.status, StatusCode::FORBIDDEN);

        let (a, cookie) = sign_in(&app, &token).await;
        assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
        let set = a.headers["set-cookie"].to_str().expect("cookie");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(set.contains(attr), "{set}");
        }
        assert!(!set.contains("Secure"), "no Secure without an https public_url: {set}");
        assert_eq!(a.json()["subsets"], json!(["full"]));
        let cookie = cookie.expect("a session cookie");
        assert!(!cookie.contains(&token), "the cookie is not the token");

        // The cookie works on authority routes with the app's header, and only then.
        let uil = format!("/v1/uil/ecmr-gate/ecmr-platform/{id}?subsetId=EU01");
        let with = app.send(request("GET", &uil, &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None)).await;
        assert_eq!(with.status, StatusCode::OK);
        let without = app.send(request("GET", &uil, &[("cookie", &cookie)], None)).await;
        assert_eq!(without.status, StatusCode::FORBIDDEN, "no header: a cross-site form could send this");
        let cross = app
            .send(request(
                "GET",
                &uil,
                &[("cookie", &cookie), ("x-ecmr-inspector", "1"), ("sec-fetch-site", "cross-site")],
                None,
            ))
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        // The cookie is no party's: party routes still want a bearer token.
        let party_route =
            app.send(request("GET", "/v1/documents", &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None)).await;
        assert_eq!(party_route.status, StatusCode::UNAUTHORIZED);
        let who =
            app.send(request("GET", "/inspect/session", &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None)).await;
        assert_eq!(who.json()["name"], "Inspectie full");

        // The read made with the cookie is the authority's own, audited.
        let log = app.store.audit.for_principal(authority_id).await.expect("audit");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"inspect.session.started") && actions.contains(&"efti.uil.read"), "{actions:?}");

        // Sign-out ends it and clears the cookie.
        let out = app
            .send(request("DELETE", "/inspect/session", &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None))
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert!(out.headers["set-cookie"].to_str().expect("cookie").contains("Max-Age=0"));
        let after = app.send(request("GET", &uil, &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None)).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        let log = app.store.audit.for_principal(authority_id).await.expect("audit");
        assert!(log.iter().any(|e| e.action == "inspect.session.ended"));

        // Revoking the token ends the sessions made with it.
        let (_, cookie) = sign_in(&app, &token).await;
        let cookie = cookie.expect("cookie");
        let r = app.post(&format!("/v1/admin/principals/{authority_id}/revoke"), &app.admin, Vec::new()).await;
        assert!(r.status.is_success(), "{}", r.status);
        let gone =
            app.send(request("GET", "/inspect/session", &[("cookie", &cookie), ("x-ecmr-inspector", "1")], None)).await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
        app.check_audit().await;
    }
}

#[tokio::test]
async fn sessions_end_when_idle_and_the_cookie_is_secure_over_https() {
    let config = Config {
        public_url: Some("https://gate.example.eu".into()),
        session_idle_minutes: 1,
        session_max_minutes: 2,
        ..Config::default()
    };
    for app in TestApp::all_with("inspect_idle", config).await {
        let (_, token) = authority(&app, &["EU01"]).await;
        let (a, cookie) = sign_in(&app, &token).await;
        let set = a.headers["set-cookie"].to_str().expect("cookie").to_owned();
        assert!(set.contains("; Secure") && set.contains("Max-Age=120"), "{set}");
        let cookie = cookie.expect("cookie");
        let hash = {
            use sha2::Digest as _;
            let id = cookie.strip_prefix("ecmr_session=").expect("name");
            ecmr::canonical::hex(&sha2::Sha256::digest(id.as_bytes()))
        };
        let s = app.store.sessions.get_session(&hash).await.expect("read").expect("stored by its hash");
        assert_eq!(s.expires_at - s.created_at, chrono::Duration::minutes(2));
        // Sessions as the store holds them, by the hash of their id: one used just now, one idle for longer than
        // a minute, one past its end.
        let hash_of = |id: &str| {
            use sha2::Digest as _;
            ecmr::canonical::hex(&sha2::Sha256::digest(id.as_bytes()))
        };
        let now = chrono::Utc::now();
        let fresh = ecmr_gateway::store::SessionRecord { id_sha256: hash_of("fresh-session"), ..s.clone() };
        let idle = ecmr_gateway::store::SessionRecord {
            id_sha256: hash_of("idle-session"),
            last_seen_at: now - chrono::Duration::seconds(61),
            ..s.clone()
        };
        let over = ecmr_gateway::store::SessionRecord {
            id_sha256: hash_of("over-session"),
            expires_at: now - chrono::Duration::seconds(1),
            ..s.clone()
        };
        for r in [&fresh, &idle, &over] {
            app.store.sessions.add_session(r).await.expect("add");
        }
        assert!(app.state.sessions.authenticate("fresh-session").await.expect("auth").is_some());
        assert!(app.state.sessions.authenticate("idle-session").await.expect("auth").is_none(), "idle too long");
        assert!(app.state.sessions.authenticate("over-session").await.expect("auth").is_none(), "past its end");
        // Rows past their end are deleted by the purge sign-ins run; the others stay.
        assert_eq!(app.store.sessions.purge_sessions(chrono::Utc::now()).await.expect("purge"), 1);
        assert!(app.store.sessions.get_session(&over.id_sha256).await.expect("read").is_none());
        assert!(app.store.sessions.get_session(&idle.id_sha256).await.expect("read").is_some());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn share_links_show_one_document_until_revoked_or_expired() {
    let config = Config { public_url: Some("https://gate.example.eu/ecmr".into()), ..Config::default() };
    for app in TestApp::all_with("inspect_shares", config).await {
        let (id, sender, carrier) = stored_document(&app, "SH-1").await;
        let other_id = store_another(&app, "SH-2", &sender, &carrier).await;
        let stranger = app.party(8).await;

        // Making one: a party that may see the document; bad lifetimes and strangers are refused.
        let uri = format!("/v1/documents/{id}/shares");
        let made = app.post(&uri, &carrier.token, json!({"label": "driver Jan"}).to_string().into_bytes()).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&made.body));
        let made = made.json();
        let url = made["url"].as_str().expect("url");
        let token = url.strip_prefix("https://gate.example.eu/ecmr/share/#t=").expect("a link to the driver view");
        assert_eq!(token.len(), 43, "256 bits in base64url");
        let expires: chrono::DateTime<chrono::Utc> =
            made["expires_at"].as_str().expect("expiry").parse().expect("time");
        let hours = (expires - chrono::Utc::now()).num_minutes();
        assert!((71 * 60..=72 * 60).contains(&hours), "72 hours by default: {hours} minutes");
        for bad in [json!({"expires_in": 2_592_001}), json!({"expires_in": 5}), json!({"label": "x".repeat(101)})] {
            let r = app.post(&uri, &carrier.token, bad.to_string().into_bytes()).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let r = app.post(&uri, &carrier.token, json!({"what": 1}).to_string().into_bytes()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown members are refused");
        assert_eq!(app.post(&uri, &stranger.token, b"{}".to_vec()).await.status, StatusCode::NOT_FOUND);
        let (_, auth) = authority(&app, &["full"]).await;
        assert_eq!(app.post(&uri, &auth, b"{}".to_vec()).await.status, StatusCode::FORBIDDEN);
        // Only the hash is stored.
        let listed = app.get(&uri, &sender.token).await.json();
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(listed["items"][0]["status"], "active");
        assert_eq!(listed["items"][0]["label"], "driver Jan");
        assert!(!listed.to_string().contains(token));
        assert_eq!(app.get(&uri, &stranger.token).await.status, StatusCode::NOT_FOUND);

        // The driver view: this document, in the language asked for, with the inspector link in its QR code.
        let open =
            |t: &str, lang: &str| request("POST", &format!("/share/open?lang={lang}"), &[], Some(json!({"token": t})));
        let view = app.send(open(token, "de")).await;
        assert_eq!(view.status, StatusCode::OK, "{}", String::from_utf8_lossy(&view.body));
        let v = view.json();
        assert_eq!(v["document_id"], id.as_str());
        assert_eq!((v["note_number"].as_str(), v["state"].as_str()), (Some("SH-1"), Some("in_transit")));
        assert_eq!(v["note"]["boxes"][0]["label"], ecmr::render::Labels::GERMAN.boxes[0]);
        let payload = ecmr::qr::QrPayload::parse(v["qr_payload"].as_str().expect("payload")).expect("a QR payload");
        assert_eq!(payload.gateway_url.as_deref(), Some("https://gate.example.eu/ecmr"));
        assert_eq!((payload.dataset_id.as_str(), payload.seq), (id.as_str(), 1));
        assert!(v["qr_svg"].as_str().is_some_and(|s| s.starts_with("<svg")));
        assert_eq!(v["events"].as_array().map(Vec::len), Some(2));
        assert!(!v.to_string().contains(&other_id), "one document only");
        let log = app.store.audit.for_document(uuid::Uuid::parse_str(&id).expect("id")).await.expect("audit");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"share.created") && actions.contains(&"share.read"), "{actions:?}");
        // A share token is nobody's bearer token.
        assert_eq!(app.get(&format!("/v1/documents/{id}"), token).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{id}?subsetId=full"), token).await.status,
            StatusCode::UNAUTHORIZED
        );

        // Revoked: gone, and gone for good.
        let share_id = made["id"].as_str().expect("id");
        let revoke = format!("/v1/documents/{id}/shares/{share_id}");
        assert_eq!(app.call("DELETE", &revoke, Some(&stranger.token), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.call("DELETE", &format!("/v1/documents/{other_id}/shares/{share_id}"), Some(&carrier.token), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.call("DELETE", &revoke, Some(&sender.token), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(app.call("DELETE", &revoke, Some(&sender.token), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.send(open(token, "en")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&uri, &sender.token).await.json()["items"][0]["status"], "revoked");

        // Expired: a link of one minute, looked up after its end.
        let short = app.post(&uri, &carrier.token, json!({"expires_in": 60}).to_string().into_bytes()).await.json();
        let short_token = short["url"].as_str().expect("url").rsplit("#t=").next().expect("token").to_owned();
        assert_eq!(app.send(open(&short_token, "en")).await.status, StatusCode::OK);
        let hash = ecmr_gateway::service::shares::share_token_hash(&short_token);
        let mut record = app.store.shares.share_by_token(&hash).await.expect("read").expect("stored");
        // The store never moves an expiry; an expired twin of the link stands for it.
        record.id = uuid::Uuid::now_v7();
        record.token_sha256 = ecmr_gateway::service::shares::share_token_hash("expired-twin");
        record.expires_at = chrono::Utc::now() - chrono::Duration::seconds(1);
        let entry = app.store.audit.for_document(record.document_id).await.expect("audit").remove(0);
        app.store.shares.add_share(&record, &entry).await.expect("add");
        assert_eq!(app.send(open("expired-twin", "en")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.send(open(&short_token, "xx")).await.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn guessing_share_tokens_is_throttled_per_address() {
    let app = TestApp::new(common::sqlite_store().await.0).await;
    let (id, _, carrier) = stored_document(&app, "G-1").await;
    let made = app.post(&format!("/v1/documents/{id}/shares"), &carrier.token, b"{}".to_vec()).await.json();
    let token = made["url"].as_str().expect("url").rsplit("#t=").next().expect("token").to_owned();
    let open = |t: &str| request("POST", "/share/open", &[], Some(json!({"token": t})));
    for i in 0..ecmr_gateway::service::shares::MAX_FAILURES {
        assert_eq!(app.send(open(&format!("guess-{i}"))).await.status, StatusCode::NOT_FOUND);
    }
    let throttled = app.send(open("guess-again")).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.problem(), "too-many-requests");
    // Even the right token waits: the check comes before any look-up.
    assert_eq!(app.send(open(&token)).await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// The inspector's search answers the RI's identifier search (stored and read back the same) and, beside each
/// consignment found, its note number, sender, carrier and state — the parties and the number only as far as the
/// authority's subsets include them.
#[tokio::test(flavor = "multi_thread")]
async fn the_search_lists_number_parties_and_state_within_the_subsets() {
    for app in TestApp::all("inspect_search").await {
        let (id, sender, _) = stored_document(&app, "NL-SEARCH-1").await;
        let doc = app.get(&format!("/v1/documents/{id}"), &sender.token).await.json();
        let note = &doc["note"];
        let plate = note["transport"]["vehicles"][0]["registration"].as_str().expect("a vehicle").to_owned();
        // The plate as painted, with its separators.
        let body = serde_json::to_vec(&json!({"identifier": plate, "identifierType": ["means"]})).unwrap();

        let (_, full) = authority(&app, &["full"]).await;
        let a = app.post("/inspect/search", &full, body.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
        let found = a.json();
        let hits = found["answer"]["identifiers"].as_array().expect("identifiers").clone();
        assert_eq!(found["notes"].as_array().map(Vec::len), Some(hits.len()), "{found}");
        let i = hits.iter().position(|h| h["datasetId"] == id.as_str()).expect("the document is found");
        assert_eq!(
            found["notes"][i],
            json!({"number": "NL-SEARCH-1", "sender": note["sender"]["name"], "carrier": note["carrier"]["name"],
                   "state": "in_transit"})
        );
        // The answer is the RI's, stored as any identifier search.
        let rid = found["answer"]["requestId"].as_str().expect("requestId");
        assert_eq!(app.get(&format!("/v1/control/identifiers?requestId={rid}"), &full).await.json(), found["answer"]);

        // Entitled to the identifier subset alone: the state, not the parties nor the number.
        let (_, identifier) = authority(&app, &["identifier"]).await;
        let found = app.post("/inspect/search", &identifier, body.clone()).await.json();
        let hits = found["answer"]["identifiers"].as_array().unwrap_or_else(|| panic!("{found}"));
        let i = hits.iter().position(|h| h["datasetId"] == id.as_str()).expect("the document is found");
        assert_eq!(found["notes"][i], json!({"state": "in_transit"}));

        // Only authorities search.
        let a = app.post("/inspect/search", &sender.token, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authority_entitled_to_full_gets_the_bundle_as_stored() {
    for app in TestApp::all("inspect_bundle").await {
        let (id, _, _) = stored_document(&app, "B-1").await;
        let (_, full) = authority(&app, &["full"]).await;
        let (_, eu01) = authority(&app, &["EU01"]).await;
        let uri = format!("/v1/uil/ecmr-gate/ecmr-platform/{id}");
        let bundle = |token: &str| {
            request(
                "GET",
                &uri,
                &[("authorization", &format!("Bearer {token}")), ("accept", "application/vnd.ecmr.bundle+json")],
                None,
            )
        };
        let a = app.send(bundle(&full)).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers["content-type"], "application/vnd.ecmr.bundle+json");
        let b = ecmr::attest::Bundle::from_slice(&a.body).expect("a strict bundle");
        assert_eq!(b.receipts.len(), 2);
        assert_eq!(app.send(bundle(&eu01)).await.status, StatusCode::FORBIDDEN);
        let wrong = request(
            "GET",
            &format!("/v1/uil/other-gate/ecmr-platform/{id}"),
            &[("authorization", &format!("Bearer {full}")), ("accept", "application/vnd.ecmr.bundle+json")],
            None,
        );
        assert_eq!(app.send(wrong).await.status, StatusCode::NOT_FOUND);
        app.check_audit().await;
    }
}

#[tokio::test]
async fn a_dataset_is_laid_out_in_boxes_for_an_authority() {
    let app = TestApp::new(common::sqlite_store().await.0).await;
    let (_, token) = authority(&app, &["EU01"]).await;
    let xml = r#"<consignment xmlns="http://efti.eu/v1/consignment/common"><consignor><name>Brabant Zuivel B.V.</name></consignor></consignment>"#;
    let req = |lang: &str, t: Option<&str>| {
        let mut r = Request::post(format!("/inspect/layout?lang={lang}")).header("content-type", "application/xml");
        if let Some(t) = t {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        r.body(Body::from(xml)).expect("request")
    };
    let a = app.send(req("nl", Some(&token))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["boxes"][0]["label"], ecmr::render::Labels::DUTCH.boxes[0]);
    assert_eq!(a.json()["boxes"][0]["lines"], json!(["Brabant Zuivel B.V."]));
    assert_eq!(app.send(req("nl", None)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(req("xx", Some(&token))).await.status, StatusCode::BAD_REQUEST);
    let labels = app.call("GET", "/inspect/labels/fr.json", None, None).await;
    assert_eq!(labels.json()["boxes"].as_array().map(Vec::len), Some(24));
    assert_eq!(app.call("GET", "/inspect/labels/xx.json", None, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_are_served_with_a_strict_policy() {
    let app = TestApp::new(common::sqlite_store().await.0).await;
    for (path, ct) in [
        ("/inspect/", "text/html; charset=utf-8"),
        ("/share/", "text/html; charset=utf-8"),
        ("/inspect/app.js", "text/javascript; charset=utf-8"),
        ("/inspect/verify.js", "text/javascript; charset=utf-8"),
        ("/share/share.js", "text/javascript; charset=utf-8"),
        ("/inspect/app.css", "text/css; charset=utf-8"),
    ] {
        let a = app.call("GET", path, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.headers["content-type"], ct, "{path}");
        let csp = a.headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
        assert_eq!(a.headers["referrer-policy"], "no-referrer");
    }
    assert_eq!(app.call("GET", "/inspect/nothing.js", None, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call("GET", "/inspect/index.html", None, None).await.status, StatusCode::NOT_FOUND);
    let root = app.call("GET", "/", None, None).await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.headers["location"], "/inspect/");
}
