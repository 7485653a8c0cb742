//! Syncing by submitting the whole document: `POST /v1/documents` with a document whose events start with the
//! stored chain, on every backend.

mod common;

use axum::http::StatusCode;
use common::{Party, TestApp, cancel, issue, key, take_over};
use ecmr::document::Document;
use ecmr::verify::Verified;
use serde_json::{Value, json};
use uuid::Uuid;

/// `doc` delivered by `consignee`.
fn deliver(doc: &Verified<Document>, consignee: &ecmr::keys::FileKey) -> Verified<Document> {
    let data = serde_json::from_value(json!({
        "place": {"address": {"city": "Groningen", "country": "NL"}},
        "time": "2026-11-28T11:00:00+01:00"
    }))
    .expect("delivery data");
    doc.deliver(data, "2026-11-28T10:00:00Z".parse().expect("time"), consignee).expect("deliver")
}

async fn stored_seqs(app: &TestApp, doc: &Verified<Document>) -> Vec<i64> {
    let id = Uuid::parse_str(doc.id()).expect("uuid");
    app.store.documents.get_document(id).await.expect("read").expect("stored").events.iter().map(|e| e.seq).collect()
}

async fn appended_entries(app: &TestApp, doc: &Verified<Document>) -> Vec<String> {
    let id = Uuid::parse_str(doc.id()).expect("uuid");
    let entries = app.store.audit.for_document(id).await.expect("audit");
    entries.into_iter().map(|e| e.action).filter(|a| a.starts_with("event.appended")).collect()
}

/// A document issued by `sender` pinning `carrier`, whose consignee is the carrier's own company (the test party
/// of seed 2 holds the carrier's and the consignee's keys).
fn issue_to_carrier_depot(
    number: &str,
    sender: &ecmr::keys::FileKey,
    carrier: &ecmr::keys::FileKey,
) -> Verified<Document> {
    let mut note = common::note(number, Some(carrier));
    common::as_party(&mut note["sender"], common::seed_of(sender));
    common::as_party(&mut note["consignee"], 2);
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, sender).expect("issue")
}

async fn submit(app: &TestApp, who: &Party, doc: &Verified<Document>) -> common::Answer {
    app.post("/v1/documents", &who.token, doc.bytes().to_vec()).await
}

#[tokio::test]
async fn submitting_a_longer_chain_appends_its_new_events() {
    for app in TestApp::all("submitting_a_longer_chain_appends_its_new_events").await {
        let sender = app.party(1).await;
        // One party holding the carrier's and the consignee's keys may sign both new events.
        let carrier = app.party_with_keys(&[2, 3]).await;
        let doc = issue_to_carrier_depot("NL-S1", &sender.key, &carrier.key);
        assert_eq!(submit(&app, &sender, &doc).await.status, StatusCode::CREATED);

        // The same chain again: 200, nothing appended.
        let a = submit(&app, &sender, &doc).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.json().get("appended_seqs").is_none(), "{}", a.json());

        // Two events further: both appended in order, one verification of the whole document.
        let delivered = deliver(&take_over(&doc, &carrier.key), &key(3));
        let a = submit(&app, &carrier, &delivered).await;
        assert_eq!(a.status, StatusCode::OK, "{}: {}", app.backend(), String::from_utf8_lossy(&a.body));
        let r = a.json();
        assert_eq!(r["appended_seqs"], json!([1, 2]));
        assert_eq!((r["last_seq"].as_i64(), r["state"].as_str()), (Some(2), Some("delivered")));
        assert_eq!(r["last_event_digest"], delivered.last_event_digest().unwrap());
        assert_eq!(stored_seqs(&app, &doc).await, [0, 1, 2]);
        assert_eq!(appended_entries(&app, &doc).await, ["event.appended:1", "event.appended:2"]);

        // The stored document is the submitted one, and verifies.
        let got = app.get(&format!("/v1/documents/{}", doc.id()), &sender.token).await;
        let v = ecmr::verify::verify(&got.body, None).expect("the stored document verifies");
        assert_eq!(v.events.len(), 3);
        assert_eq!(v.last_event_digest(), delivered.last_event_digest());

        // Again (a retry after a lost answer): 200, nothing appended, nothing audited twice.
        let a = submit(&app, &carrier, &delivered).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.json().get("appended_seqs").is_none());
        assert_eq!(a.json()["last_seq"], 2);
        // The document as it was before (a client that is behind): 200 with the current summary.
        let a = submit(&app, &sender, &doc).await;
        assert_eq!((a.status, a.json()["last_seq"].as_i64()), (StatusCode::OK, Some(2)));
        assert_eq!(appended_entries(&app, &doc).await.len(), 2);
    }
}

#[tokio::test]
async fn syncing_needs_the_rights_of_an_append() {
    for app in TestApp::all("syncing_needs_the_rights_of_an_append").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let consignee = app.party(3).await;
        let stranger = app.party(4).await;
        let doc = issue("NL-S2", &sender.key, Some(&carrier.key));
        assert_eq!(submit(&app, &sender, &doc).await.status, StatusCode::CREATED);
        let taken = take_over(&doc, &carrier.key);

        // The sender signed seq 0 but not the new event: 403, nothing stored.
        let a = submit(&app, &sender, &taken).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(stored_seqs(&app, &doc).await, [0]);

        // Two new events of which the caller signed only the first: 403, neither stored.
        let a = submit(&app, &carrier, &deliver(&taken, &consignee.key)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(stored_seqs(&app, &doc).await, [0]);

        // A party that cannot see the stored document, with a chain it signed further: 404.
        // (A note that pins no carrier key, so that the stranger's take-over verifies.)
        let unpinned = issue("NL-S2b", &sender.key, None);
        assert_eq!(submit(&app, &sender, &unpinned).await.status, StatusCode::CREATED);
        let a = submit(&app, &stranger, &take_over(&unpinned, &stranger.key)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"));
        // The carrier appends its take-over; a party the note does not name may not sync a delivery it signed.
        assert_eq!(submit(&app, &carrier, &taken).await.json()["appended_seqs"], json!([1]));
        let unnamed = app.party(5).await;
        let a = submit(&app, &unnamed, &deliver(&taken, &unnamed.key)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"));
        let delivered = deliver(&taken, &consignee.key);
        assert_eq!(stored_seqs(&app, &doc).await, [0, 1]);

        // A tampered new event: the whole document is refused (422), nothing appended.
        let mut forged: Value = serde_json::from_slice(delivered.bytes()).unwrap();
        forged["events"][2]["data"]["place"]["address"]["city"] = json!("Elsewhere");
        let a = app.post("/v1/documents", &carrier.token, serde_json::to_vec(&forged).unwrap()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "verification-failed"));
        assert_eq!(stored_seqs(&app, &doc).await, [0, 1]);
    }
}

#[tokio::test]
async fn a_chain_that_diverges_is_a_conflict_naming_the_seq_and_both_digests() {
    for app in TestApp::all("a_chain_that_diverges_is_a_conflict").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let doc = issue("NL-S3", &sender.key, Some(&carrier.key));
        assert_eq!(submit(&app, &sender, &doc).await.status, StatusCode::CREATED);
        let taken = take_over(&doc, &carrier.key);
        assert_eq!(submit(&app, &carrier, &taken).await.status, StatusCode::OK);

        // The sender's cancellation, signed against seq 0 while the carrier took the goods over: differs at 1.
        let cancelled = cancel(&doc, &sender.key);
        let a = submit(&app, &sender, &cancelled).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "chain-diverged"));
        let p = a.json();
        assert_eq!(p["seq"], 1);
        assert_eq!(p["stored_digest"], taken.last_event_digest().unwrap());
        assert_eq!(p["submitted_digest"], cancelled.last_event_digest().unwrap());
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("seq 1") && detail.contains(p["stored_digest"].as_str().unwrap()), "{detail}");

        // Another note under the same id: differs at seq 0.
        let other = ecmr::sign::issue_value(
            Uuid::parse_str(doc.id()).unwrap(),
            common::note("NL-S3b", None),
            "2026-11-27T15:00:00Z".parse().unwrap(),
            &sender.key,
        )
        .unwrap();
        let a = submit(&app, &sender, &other).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "document-id-taken"));
        assert_eq!(a.json()["seq"], 0);
        assert_eq!(a.json()["stored_digest"], doc.last_event_digest().unwrap());
        assert_eq!(stored_seqs(&app, &doc).await, [0, 1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_of_the_same_longer_document_store_its_events_once() {
    for app in TestApp::all("concurrent_syncs_of_the_same_longer_document").await {
        let sender = app.party(1).await;
        let carrier = app.party_with_keys(&[2, 3]).await;
        for round in 0..6 {
            let doc = issue_to_carrier_depot(&format!("NL-SC{round}"), &sender.key, &carrier.key);
            assert_eq!(submit(&app, &sender, &doc).await.status, StatusCode::CREATED);
            let delivered = deliver(&take_over(&doc, &carrier.key), &key(3));
            let (a, b, c) = tokio::join!(
                submit(&app, &carrier, &delivered),
                submit(&app, &carrier, &delivered),
                submit(&app, &carrier, &delivered)
            );
            let mut appended = Vec::new();
            for x in [&a, &b, &c] {
                assert_eq!(x.status, StatusCode::OK, "{} round {round}: {}", app.backend(), x.json());
                assert_eq!(x.json()["last_seq"], 2);
                if let Some(seqs) = x.json()["appended_seqs"].as_array() {
                    appended.extend(seqs.iter().filter_map(Value::as_i64));
                }
            }
            appended.sort_unstable();
            assert_eq!(appended, [1, 2], "{} round {round}: each event appended by one request", app.backend());
            assert_eq!(stored_seqs(&app, &doc).await, [0, 1, 2]);
            assert_eq!(appended_entries(&app, &doc).await, ["event.appended:1", "event.appended:2"]);
        }
    }
}
