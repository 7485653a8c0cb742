//! Who signed, at the gateway: the identity check of posted events against the party directory (`enforce` and
//! `warn`), on every backend.

mod common;

use axum::http::StatusCode;
use common::{TestApp, issue, key, take_over};
use ecmr_gateway::config::Config;
use ecmr_gateway::service::identity::IdentityCheck;
use serde_json::json;

/// The note names Brabant Zuivel (its VAT number) as sender; an unrelated party signs and posts it.
fn forged(number: &str, by: &ecmr::keys::FileKey) -> ecmr::verify::Verified<ecmr::document::Document> {
    let note = common::note(number, None); // Brabant Zuivel's VAT, whoever signs
    ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, "2026-11-27T15:00:00Z".parse().expect("time"), by)
        .expect("issue")
}

#[tokio::test]
async fn a_note_in_another_companys_name_is_refused() {
    for app in TestApp::all("identity_forged_sender").await {
        // Party 2 is Van Dijk Transport in the directory (its licence number), not Brabant Zuivel.
        let stranger = app.party(2).await;
        let r = app.post("/v1/documents", &stranger.token, forged("F-1", &stranger.key).bytes().to_vec()).await;
        assert_eq!((r.status, r.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "sender-identity-mismatch"));
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains("Brabant Zuivel") && detail.contains("NL812345678B01"), "{detail}");
        assert!(detail.contains("Van Dijk") || detail.contains("NL-123456"), "{detail}");
        // A party with no directory entry at all.
        let (p, token) = ecmr_gateway::service::principals::create_principal(
            &app.store,
            ecmr_gateway::service::principals::NewPrincipal {
                kind: ecmr_gateway::store::PrincipalKind::Party,
                name: "Brabant Zuivel B.V.".into(),
                public_keys: vec![common::public(&key(31))],
                details: None,
                token_expires_at: None,
            },
        )
        .await
        .expect("party");
        let r = app.post("/v1/documents", &token.token, forged("F-2", &key(31)).bytes().to_vec()).await;
        assert_eq!(r.problem(), "sender-identity-mismatch", "{}", p.id);
        assert!(r.json()["detail"].as_str().unwrap_or_default().contains("no directory identity"));
        // The real sender's document goes through.
        let sender = app.party(1).await;
        let r = app.post("/v1/documents", &sender.token, issue("F-3", &sender.key, None).bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn a_take_over_by_a_party_that_is_not_the_carrier_is_refused() {
    for app in TestApp::all("identity_wrong_carrier").await {
        let sender = app.party(1).await;
        let other = app.party(5).await; // in the directory as Brabant Zuivel, not as the carrier
        // The note pins the other party's key, but names Van Dijk Transport as the carrier.
        let mut note = common::note("W-1", None);
        common::as_party(&mut note["sender"], 1);
        note["carrier"]["public_keys"] = json!([common::public(&other.key)]);
        let at = "2026-11-27T15:00:00Z".parse().expect("time");
        let doc = ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, &sender.key).expect("issue");
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let event = common::last_event(&take_over(&doc, &other.key));
        let r = app.post(&format!("/v1/documents/{}/events", doc.id()), &other.token, event).await;
        assert_eq!((r.status, r.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "signer-identity-mismatch"));
        assert!(r.json()["detail"].as_str().unwrap_or_default().contains("as the carrier"), "{}", r.json());
        // The carrier the directory knows takes over.
        let carrier = app.party(2).await;
        let doc = issue("W-2", &sender.key, Some(&carrier.key));
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let event = common::last_event(&take_over(&doc, &carrier.key));
        let r = app.post(&format!("/v1/documents/{}/events", doc.id()), &carrier.token, event).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn warn_mode_accepts_records_and_says_so() {
    let config = Config { identity_check: IdentityCheck::Warn, ..Config::default() };
    for app in TestApp::all_with("identity_warn", config.clone()).await {
        let stranger = app.party(2).await;
        let doc = forged("F-W", &stranger.key);
        let r = app.post("/v1/documents", &stranger.token, doc.bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let warnings = r.json()["identity_warnings"].clone();
        assert_eq!(warnings.as_array().map(Vec::len), Some(1), "{}", r.json());
        assert!(warnings[0].as_str().unwrap_or_default().starts_with("event 0: the note names Brabant Zuivel"));
        let audit = app.get(&format!("/v1/documents/{}/audit", doc.id()), &stranger.token).await.json();
        let entry = audit.as_array().into_iter().flatten().find(|e| e["action"] == "identity.mismatch:0");
        let entry = entry.unwrap_or_else(|| panic!("no identity.mismatch entry in {audit}"));
        assert_eq!(entry["details"]["message"], warnings[0]);
        // The same document again: nothing new is stored, nothing new recorded.
        let again = app.post("/v1/documents", &stranger.token, doc.bytes().to_vec()).await;
        assert_eq!((again.status, again.json().get("identity_warnings")), (StatusCode::OK, None));
        // An inspector who finds the note sees the mismatch beside it; a note without one shows none.
        let honest = app.party(1).await;
        let fine = issue("F-OK", &honest.key, None);
        assert_eq!(app.post("/v1/documents", &honest.token, fine.bytes().to_vec()).await.status, StatusCode::CREATED);
        let inspector = app.authority("NL", &["full"]).await;
        let plate = doc.get().note["transport"]["vehicles"][0]["registration"].clone();
        let body = serde_json::to_vec(&json!({"identifier": plate, "identifierType": ["means"]})).expect("json");
        let found = app.post("/inspect/search", &inspector, body).await.json();
        let hits = found["answer"]["identifiers"].as_array().cloned().unwrap_or_default();
        let note_of = |id: &str| {
            let i = hits.iter().position(|h| h["datasetId"] == id).unwrap_or_else(|| panic!("{id} not in {found}"));
            found["notes"][i].clone()
        };
        assert_eq!(note_of(doc.id())["identity_warnings"], warnings, "{found}");
        assert_eq!(note_of(fine.id()).get("identity_warnings"), None, "{found}");
        // The same mode from the configuration file an operator writes.
        let from_file = Config::from_toml("identity_check = \"warn\"").expect("config");
        assert_eq!(from_file.identity_check, config.identity_check);
        assert!(Config::from_toml("identity_check = \"lenient\"").is_err());
    }
}

/// The bundle: the document, a receipt per event and an attestation per known signer, all checkable offline
/// with nothing but the gateway's published keys.
#[tokio::test]
async fn a_bundle_checks_offline_with_the_published_gateway_keys() {
    use ecmr::attest::{Bundle, Receipt};
    use ecmr::trust::{GatewayKey, TrustStore};
    for app in TestApp::all("identity_bundle").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        // Signed now, after the parties were registered: an attestation covers what its key signs from the
        // party's registration on.
        let mut note = common::note("B-1", Some(&carrier.key));
        common::as_party(&mut note["sender"], 1);
        let now = chrono::Utc::now();
        let doc = ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, now, &sender.key).expect("issue");
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let data = serde_json::from_value(json!({"place": {"address": {"city": "Tilburg", "country": "NL"}},
            "time": "2026-11-28T06:10:00+01:00"}))
        .expect("data");
        let taken = doc.take_over(data, chrono::Utc::now(), &carrier.key).expect("take over");
        let event = common::last_event(&taken);
        let r = app.post(&format!("/v1/documents/{}/events", doc.id()), &carrier.token, event).await;
        assert_eq!(r.status, StatusCode::CREATED);

        let req = axum::http::Request::get(format!("/v1/documents/{}", doc.id()))
            .header("authorization", format!("Bearer {}", sender.token))
            .header("accept", "application/vnd.ecmr.bundle+json")
            .body(axum::body::Body::empty())
            .expect("request");
        let answer = app.send(req).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["content-type"], "application/vnd.ecmr.bundle+json");
        let bundle = Bundle::from_slice(&answer.body).expect("a strict bundle");
        assert_eq!((bundle.receipts.len(), bundle.attestations.len()), (2, 2));

        // What a verifier knows: the keys at /.well-known/ecmr-gateway, nothing else.
        let published = app.call("GET", "/.well-known/ecmr-gateway", None, None).await.json();
        let mut store = TrustStore::new();
        for k in serde_json::from_value::<Vec<GatewayKey>>(published["gateway_keys"].clone()).expect("keys") {
            store.add_gateway_key(k);
        }
        for a in &bundle.attestations {
            store.add_attestation_value(a).expect("attestation accepted");
        }
        let verified = ecmr::verify::verify(&bundle.document_bytes(), Some(&store)).expect("verifies");
        assert!(verified.report().all_trusted(), "{:?}", verified.report().events);
        for (seq, value) in bundle.receipts.iter().enumerate() {
            let r = Receipt::verify_value(value, &store).expect("receipt");
            r.check_against(&verified).expect("fits the document");
            assert_eq!(r.seq, seq as u64);
            let poster = if seq == 0 { "party 1" } else { "party 2" };
            assert_eq!(r.posted_by.name, poster);
            assert!(r.signer_identity.is_some());
        }
        // One changed byte of a receipt: refused.
        let text = String::from_utf8(answer.body.clone()).expect("utf8");
        let digest = bundle.receipts[1]["event_digest"].as_str().expect("digest").to_owned();
        let mut flipped = digest.clone();
        let last = flipped.pop().expect("a digit");
        flipped.push(if last == '0' { '1' } else { '0' });
        let tampered = Bundle::from_slice(text.replacen(&digest, &flipped, 1).as_bytes()).expect("still a bundle");
        let refused = tampered.receipts.iter().filter(|r| Receipt::verify_value(r, &store).is_err()).count();
        assert_eq!(refused, 1);
        // Without the gateway's key nothing in it is accepted.
        assert!(Receipt::verify_value(&bundle.receipts[0], &TrustStore::new()).is_err());
        // The plain read is unchanged.
        let plain = app.get(&format!("/v1/documents/{}", doc.id()), &sender.token).await;
        assert_eq!(plain.headers["content-type"], "application/json");
    }
}

/// A party principal in the directory as the note's party block describes it.
async fn party_for(app: &TestApp, block: &serde_json::Value, seed: u8) -> common::Party {
    let details = json!({"country": block["address"]["country"],
        "identifiers": block.get("identifiers").cloned().unwrap_or_else(|| json!([]))});
    let (p, token) = ecmr_gateway::service::principals::create_principal(
        &app.store,
        ecmr_gateway::service::principals::NewPrincipal {
            kind: ecmr_gateway::store::PrincipalKind::Party,
            name: block["name"].as_str().expect("name").to_owned(),
            public_keys: vec![common::public(&key(seed))],
            details: Some(details),
            token_expires_at: None,
        },
    )
    .await
    .expect("party");
    common::Party { id: p.id, token: token.token, key: key(seed), seed }
}

/// The examples pin no keys: the carrier and the consignee reach the note the sender posted because the
/// directory matches them to the note's party blocks, and each signs its step; a stranger sees nothing until a
/// participant gives it access.
#[tokio::test]
async fn parties_named_by_the_note_reach_it_without_pins() {
    for app in TestApp::all("identity_access").await {
        for (i, example) in ["domestic-pallets", "international-cod", "adr-fuel"].iter().enumerate() {
            let text = std::fs::read_to_string(format!("{}/../../examples/{example}.json", env!("CARGO_MANIFEST_DIR")))
                .expect("example");
            let note: serde_json::Value = serde_json::from_str(&text).expect("json");
            assert!(note["carrier"].get("public_keys").is_none(), "{example} pins no keys");
            let base = 40 + 4 * i as u8;
            let sender = party_for(&app, &note["sender"], base).await;
            let carrier = party_for(&app, &note["carrier"], base + 1).await;
            let consignee = party_for(&app, &note["consignee"], base + 2).await;
            let elsewhere = json!({"name": "Elsewhere Logistics B.V.", "address": {"country": "NL"},
                "identifiers": [{"scheme": "vat", "value": "NL000000000B01"}]});
            let stranger = party_for(&app, &elsewhere, base + 3).await;

            let doc =
                ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, chrono::Utc::now(), &sender.key).expect("issue");
            let r = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
            assert_eq!(r.status, StatusCode::CREATED, "{example}: {}", r.json());
            let uri = format!("/v1/documents/{}", doc.id());
            assert_eq!(app.get(&uri, &carrier.token).await.status, StatusCode::OK, "{example}: the carrier reads");
            assert_eq!(app.get(&uri, &stranger.token).await.status, StatusCode::NOT_FOUND, "{example}");
            let listed = app.get("/v1/documents?role=carrier", &carrier.token).await.json();
            assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{example}: {listed}");

            let taken = take_over(&doc, &carrier.key);
            let r = app.post(&format!("{uri}/events"), &carrier.token, common::last_event(&taken)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{example}: {}", r.json());
            let data = serde_json::from_value(json!({"place": {"address": {"city": "Groningen", "country": "NL"}},
                "time": "2026-11-28T11:00:00+01:00"}))
            .expect("data");
            let delivered = taken.deliver(data, chrono::Utc::now(), &consignee.key).expect("deliver");
            let r = app.post(&format!("{uri}/events"), &consignee.token, common::last_event(&delivered)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{example}: {}", r.json());

            // The consignee gives the stranger access: audited, and only to a party principal.
            let grant = |who: uuid::Uuid| serde_json::to_vec(&json!({"principal_id": who})).expect("json");
            let r = app.post(&format!("{uri}/participants"), &stranger.token, grant(stranger.id)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{example}: a stranger cannot give itself access");
            let r = app.post(&format!("{uri}/participants"), &consignee.token, grant(stranger.id)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{example}: {}", r.json());
            assert_eq!(r.json()["name"], "Elsewhere Logistics B.V.");
            let again = app.post(&format!("{uri}/participants"), &consignee.token, grant(stranger.id)).await;
            assert_eq!(again.status, StatusCode::OK);
            let r = app.post(&format!("{uri}/participants"), &consignee.token, grant(uuid::Uuid::new_v4())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(app.get(&uri, &stranger.token).await.status, StatusCode::OK, "{example}: granted");
            let audit = app.get(&format!("{uri}/audit"), &sender.token).await.json();
            let grants: Vec<_> =
                audit.as_array().into_iter().flatten().filter(|e| e["action"] == "participant.added").collect();
            assert_eq!(grants.len(), 1, "{example}: {audit}");
            assert_eq!(grants[0]["principal"]["id"], consignee.id.to_string());
        }
    }
}
