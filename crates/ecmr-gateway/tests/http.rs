//! The HTTP API in-process (`oneshot`), on every backend: every route and its errors.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestApp, cancel, issue, last_event, take_over};
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::store::PrincipalKind;
use serde_json::{Value, json};

#[tokio::test]
async fn unauthenticated_requests_get_401_problems() {
    for app in TestApp::all("unauthenticated_requests_get_401_problems").await {
        let id = uuid::Uuid::new_v4();
        for (method, uri) in [
            ("POST", "/v1/documents".to_owned()),
            ("GET", "/v1/documents".to_owned()),
            ("GET", format!("/v1/documents/{id}")),
            ("POST", format!("/v1/documents/{id}/events")),
            ("GET", format!("/v1/documents/{id}/audit")),
            ("GET", "/v1/admin/principals".to_owned()),
            ("POST", "/v1/admin/principals".to_owned()),
        ] {
            for token in [None, Some("ecmr_not-a-real-token"), Some("")] {
                let a = app.call(method, &uri, token, Some(b"{}".to_vec())).await;
                assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {uri} {token:?}");
                assert_eq!(a.problem(), "unauthenticated");
                assert_eq!(a.headers["www-authenticate"], "Bearer");
                assert!(a.json()["request_id"].is_string(), "problems carry the request id");
            }
        }
    }
}

#[tokio::test]
async fn submit_stores_once_and_refuses_conflicts() {
    for app in TestApp::all("submit_stores_once_and_refuses_conflicts").await {
        let sender = app.party(1).await;
        let doc = issue("NL-1", &sender.key, None);
        let a = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}: {}", app.backend(), String::from_utf8_lossy(&a.body));
        let r = a.json();
        assert_eq!(r["id"], doc.id());
        assert_eq!(r["state"], "issued");
        assert_eq!(r["last_seq"], 0);
        assert_eq!(r["last_event_digest"], doc.last_event_digest().unwrap_or_default());
        assert_eq!(r["uil"]["datasetId"], doc.id());
        assert_eq!(r["uil"]["gateId"], "ecmr-gate");
        assert!(r["received_at"].is_string());

        // The roadside-search identifiers are indexed, normalised.
        let idents = app.store.documents.identifiers(uuid::Uuid::parse_str(doc.id()).unwrap()).await.unwrap();
        let got: Vec<(&str, &str, Option<&str>)> =
            idents.iter().map(|i| (i.kind.as_str(), i.value.as_str(), i.country.as_deref())).collect();
        assert_eq!(got, [("equipment", "OR12KL", Some("NL")), ("vehicle", "12BXL4", Some("NL"))]);
        assert!(idents.iter().all(|i| i.mode_code.as_deref() == Some("3") && !i.dangerous_goods));

        // Same bytes again: 200, same receipt.
        let again = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.json()["received_at"], r["received_at"]);
        // Same content, other layout: still the same document.
        let pretty = doc.to_string_pretty().into_bytes();
        assert_eq!(app.post("/v1/documents", &sender.token, pretty).await.status, StatusCode::OK);

        // Same id, other (validly signed) content: 409.
        let other = ecmr::sign::issue_value(
            uuid::Uuid::parse_str(doc.id()).unwrap(),
            common::note("NL-1b", None),
            "2026-11-27T15:00:00Z".parse().unwrap(),
            &sender.key,
        )
        .unwrap();
        let a = app.post("/v1/documents", &sender.token, other.bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "document-id-taken"));

        // New id, note number the sender already used: 409.
        let reuse = issue("NL-1", &sender.key, None);
        let a = app.post("/v1/documents", &sender.token, reuse.bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "note-number-taken"));
    }
}

#[tokio::test]
async fn note_numbers_are_unique_per_sender_party_whichever_key_signs() {
    for app in TestApp::all("note_numbers_are_unique_per_sender_party").await {
        let sender = app.party_with_keys(&[21, 22]).await;
        let other = app.party(23).await;
        let first = issue("NL-77", &common::key(21), None);
        assert_eq!(app.post("/v1/documents", &sender.token, first.bytes().to_vec()).await.status, StatusCode::CREATED);
        // The same party signing with its second key may not reuse the number.
        let mut note = common::note("NL-77", None);
        common::as_party(&mut note["sender"], 21);
        let at = "2026-11-27T15:00:00Z".parse().unwrap();
        let second_key = ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, &common::key(22)).unwrap();
        let a = app.post("/v1/documents", &sender.token, second_key.bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "note-number-taken"));
        // Another sender may use the same number for its own note.
        let elsewhere = issue("NL-77", &other.key, None);
        assert_eq!(
            app.post("/v1/documents", &other.token, elsewhere.bytes().to_vec()).await.status,
            StatusCode::CREATED
        );
        // A new number from the second key is fine.
        let mut note = common::note("NL-78", None);
        common::as_party(&mut note["sender"], 21);
        let fresh = ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, &common::key(22)).unwrap();
        assert_eq!(app.post("/v1/documents", &sender.token, fresh.bytes().to_vec()).await.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn malformed_and_invalid_documents_are_refused_with_reasons() {
    for app in TestApp::all("malformed_and_invalid_documents_are_refused_with_reasons").await {
        let sender = app.party(1).await;
        // Not JSON.
        let a = app.post("/v1/documents", &sender.token, b"{\"format\": ".to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "malformed-json"));
        // A float where signed JSON must not have one.
        let a = app.post("/v1/documents", &sender.token, br#"{"format": 1.5}"#.to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "malformed-json"));
        assert_eq!(a.json()["pointer"], "/format");
        // JSON, but not a document.
        let a = app.post("/v1/documents", &sender.token, br#"{"format": "other/1"}"#.to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "verification-failed"));
        assert_eq!(a.json()["failures"][0]["failure"], "unknown_format");

        let doc = issue("NL-2", &sender.key, None);
        // Bad signature: change the signed time.
        let mut v: Value = serde_json::from_slice(doc.bytes()).unwrap();
        v["events"][0]["at"] = json!("2026-11-27T15:00:01Z");
        let a = app.post("/v1/documents", &sender.token, serde_json::to_vec(&v).unwrap()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "verification-failed"));
        let failures = a.json()["failures"].clone();
        assert_eq!(failures[0]["seq"], 0);
        assert_eq!(failures[0]["failure"], "bad_signature", "{failures}");

        // The note changed after signing: the digest no longer matches.
        let mut v: Value = serde_json::from_slice(doc.bytes()).unwrap();
        v["note"]["goods"][0]["nature_of_goods"] = json!("something else");
        let a = app.post("/v1/documents", &sender.token, serde_json::to_vec(&v).unwrap()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.json()["failures"].as_array().unwrap().iter().any(|f| f["failure"] == "wrong_note_digest"));

        // A note that is not a consignment note (a required particular missing): refused with the place.
        let mut note = common::note("NL-3", None);
        note.as_object_mut().unwrap().remove("sender");
        let bad = common::sign_raw(uuid::Uuid::new_v4(), note, &sender.key);
        let a = app.post("/v1/documents", &sender.token, bad).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid-note"));
        let f = a.json()["failures"][0].clone();
        assert_eq!(f["failure"], "invalid_note", "{f}");
        assert!(f["pointer"].is_string(), "{f}");
        // A note that parses but fails the content checks: every finding is returned.
        let mut note = common::note("NL-3b", None);
        note["sender"]["address"]["country"] = json!("QQ");
        let bytes = common::sign_raw(uuid::Uuid::new_v4(), note, &sender.key);
        let a = app.post("/v1/documents", &sender.token, bytes).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid-note"));
        let findings = a.json()["findings"].clone();
        assert!(
            findings
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "country.unknown" && f["path"] == "/sender/address/country"),
            "{findings}"
        );
        // Nothing of this was stored.
        assert_eq!(app.store.documents.count_documents().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn only_parties_whose_key_signed_may_submit() {
    for app in TestApp::all("only_parties_whose_key_signed_may_submit").await {
        let sender = app.party(1).await;
        let stranger = app.party(4).await;
        let doc = issue("NL-4", &sender.key, None);
        let a = app.post("/v1/documents", &stranger.token, doc.bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
        let a = app.post("/v1/documents", &app.admin, doc.bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(app.store.documents.count_documents().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn events_extend_the_chain() {
    for app in TestApp::all("events_extend_the_chain").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let stranger = app.party(4).await;
        let doc = issue("NL-5", &sender.key, Some(&carrier.key));
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let uri = format!("/v1/documents/{}/events", doc.id());

        // Malformed body.
        let a = app.post(&uri, &carrier.token, b"[".to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "malformed-json"));

        let taken = take_over(&doc, &carrier.key);
        // Someone who cannot see the document: 404, whatever they send.
        let a = app.post(&uri, &stranger.token, last_event(&taken)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"));
        // The sender may see it but did not sign this event.
        let a = app.post(&uri, &sender.token, last_event(&taken)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::FORBIDDEN, "forbidden"));

        let a = app.post(&uri, &carrier.token, last_event(&taken)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}: {}", app.backend(), String::from_utf8_lossy(&a.body));
        assert_eq!(a.json()["state"], "in_transit");
        assert_eq!(a.json()["last_seq"], 1);
        assert_eq!(a.json()["last_event_digest"], taken.last_event_digest().unwrap());
        // Replay: harmless 200.
        let a = app.post(&uri, &carrier.token, last_event(&taken)).await;
        assert_eq!(a.status, StatusCode::OK);
        // Another event at seq 1 (the sender's cancellation, signed against seq 0): 409.
        let cancelled = cancel(&doc, &sender.key);
        let a = app.post(&uri, &sender.token, last_event(&cancelled)).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "event-seq-taken"));

        // Broken chain: a seq-2 event whose prev is wrong.
        let delivered = taken
            .deliver(
                serde_json::from_value(json!({
                    "place": {"address": {"city": "Groningen", "country": "NL"}},
                    "time": "2026-11-28T11:00:00+01:00"
                }))
                .unwrap(),
                "2026-11-28T10:00:00Z".parse().unwrap(),
                &common::key(3),
            )
            .unwrap();
        let mut ev: Value = serde_json::from_slice(&last_event(&delivered)).unwrap();
        ev["prev"] = json!(format!("sha256:{}", "0".repeat(64)));
        // A party the note does not name, holding the key that signed: 404.
        let unnamed = app.party_with_keys(&[6, 3]).await;
        let a = app.post(&uri, &unnamed.token, serde_json::to_vec(&ev).unwrap()).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        // The carrier signs a delivery (wrong role) : not allowed, 422.
        let wrong = taken.append(
            ecmr::document::Role::Carrier,
            ecmr::document::EventData::Cancelled(ecmr::document::Cancel { reason: "x".into() }),
            "2026-11-28T10:00:00Z".parse().unwrap(),
            &carrier.key,
        );
        assert!(wrong.is_err(), "the builder refuses it too");
        let mut forged: Value = serde_json::from_slice(&last_event(&taken)).unwrap();
        forged["seq"] = json!(2);
        forged["prev"] = json!(taken.last_event_digest().unwrap());
        let a = app.post(&uri, &carrier.token, serde_json::to_vec(&forged).unwrap()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid-event"));
        assert!(!a.json()["failures"].as_array().unwrap().is_empty());

        // Unknown document.
        let a = app
            .post(&format!("/v1/documents/{}/events", uuid::Uuid::new_v4()), &carrier.token, last_event(&taken))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = app.post("/v1/documents/not-a-uuid/events", &carrier.token, last_event(&taken)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);

        // The stored document verifies as a whole and has both events.
        let got = app.get(&format!("/v1/documents/{}", doc.id()), &carrier.token).await;
        assert_eq!(got.status, StatusCode::OK);
        let v = ecmr::verify::verify(&got.body, None).expect("the stored document verifies");
        assert_eq!(v.events.len(), 2);
        assert_eq!(v.state().as_str(), "in_transit");
    }
}

#[tokio::test]
async fn concurrent_appends_exactly_one_wins() {
    for app in TestApp::all("concurrent_appends_exactly_one_wins").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        for round in 0..5 {
            let doc = issue(&format!("NL-C{round}"), &sender.key, Some(&carrier.key));
            app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
            let uri = format!("/v1/documents/{}/events", doc.id());
            let (a, b) = tokio::join!(
                app.post(&uri, &carrier.token, last_event(&take_over(&doc, &carrier.key))),
                app.post(&uri, &sender.token, last_event(&cancel(&doc, &sender.key))),
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} round {round}", app.backend());
            let loser = if a.status == StatusCode::CONFLICT { a } else { b };
            assert_eq!(loser.problem(), "event-seq-taken");
            let stored =
                app.store.documents.get_document(uuid::Uuid::parse_str(doc.id()).unwrap()).await.unwrap().unwrap();
            assert_eq!(stored.events.len(), 2);
        }
    }
}

#[tokio::test]
async fn get_list_and_audit() {
    for app in TestApp::all("get_list_and_audit").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let stranger = app.party(4).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let doc = issue(&format!("NL-L{i}"), &sender.key, Some(&carrier.key));
            app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
            if i == 0 {
                let t = take_over(&doc, &carrier.key);
                let a = app.post(&format!("/v1/documents/{}/events", doc.id()), &carrier.token, last_event(&t)).await;
                assert_eq!(a.status, StatusCode::CREATED);
            }
            ids.push(doc.id().to_owned());
        }
        // GET: the signed document, as stored.
        let a = app.get(&format!("/v1/documents/{}", ids[1]), &sender.token).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers["content-type"], "application/json");
        assert_eq!(ecmr::verify::verify(&a.body, None).unwrap().id(), ids[1]);
        for uri in [
            format!("/v1/documents/{}", ids[1]),
            format!("/v1/documents/{}", uuid::Uuid::new_v4()),
            "/v1/documents/x".into(),
        ] {
            let a = app.get(&uri, &stranger.token).await;
            assert_eq!((a.status, a.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"), "{uri}");
        }
        assert_eq!(app.get(&format!("/v1/documents/{}", ids[1]), &app.admin).await.status, StatusCode::FORBIDDEN);

        // List with keyset paging.
        let mut seen = Vec::new();
        let mut uri = "/v1/documents?limit=2".to_owned();
        loop {
            let a = app.get(&uri, &sender.token).await;
            assert_eq!(a.status, StatusCode::OK);
            let page = a.json();
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/documents?limit=2&cursor={c}"),
                None => break,
            }
        }
        seen.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(seen, expected);
        let a = app.get("/v1/documents?state=in_transit", &carrier.token).await;
        assert_eq!(a.json()["items"].as_array().unwrap().len(), 1);
        assert_eq!(a.json()["items"][0]["id"], ids[0]);
        let a = app.get("/v1/documents?role=carrier", &carrier.token).await;
        assert_eq!(a.json()["items"].as_array().unwrap().len(), 5);
        let a = app.get("/v1/documents?role=sender", &carrier.token).await;
        assert!(a.json()["items"].as_array().unwrap().is_empty());
        let a = app.get("/v1/documents?updated_since=2999-01-01T00:00:00Z", &sender.token).await;
        assert!(a.json()["items"].as_array().unwrap().is_empty());
        let a = app.get("/v1/documents", &stranger.token).await;
        assert!(a.json()["items"].as_array().unwrap().is_empty());
        for bad in
            ["state=lost", "role=pilot", "limit=0", "limit=501", "limit=x", "updated_since=yesterday", "colour=red"]
        {
            let a = app.get(&format!("/v1/documents?{bad}"), &sender.token).await;
            assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "bad-request"), "{bad}");
        }
        // A cursor is opaque: one the gateway did not issue fits the description and breaks a rule.
        for bad in ["cursor=%%%", "cursor=abc"] {
            let a = app.get(&format!("/v1/documents?{bad}"), &sender.token).await;
            assert_eq!(
                (a.status, a.problem().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request"),
                "{bad}"
            );
        }

        // Audit: creation and the read above, for the parties only.
        let a = app.get(&format!("/v1/documents/{}/audit", ids[1]), &carrier.token).await;
        assert_eq!(a.status, StatusCode::OK);
        let actions: Vec<String> =
            a.json().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert_eq!(actions, ["document.created", "document.read"]);
        assert_eq!(a.json()[1]["principal"]["id"], sender.id.to_string());
        assert_eq!(a.json()[1]["principal"]["kind"], "party");
        assert_eq!(a.json()[1]["details"], Value::Null, "a party's own read carries no details");
        let a = app.get(&format!("/v1/documents/{}/audit", ids[0]), &sender.token).await;
        let actions: Vec<String> =
            a.json().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert_eq!(actions, ["document.created", "event.appended:1"]);
        assert_eq!(
            app.get(&format!("/v1/documents/{}/audit", ids[1]), &stranger.token).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let (store, _) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let sender = app.party(1).await;
    let big = vec![b' '; 300 * 1024];
    let a = app.post("/v1/documents", &sender.token, big).await;
    assert_eq!((a.status, a.problem().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"));
    let a = app
        .post(&format!("/v1/documents/{}/events", uuid::Uuid::new_v4()), &sender.token, vec![b' '; 300 * 1024])
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn admin_routes_manage_principals_and_tokens() {
    for app in TestApp::all("admin_routes_manage_principals_and_tokens").await {
        let key = common::public(&common::key(9));
        let body = json!({"kind": "party", "name": "Van Dijk Transport", "public_keys": [key]});
        let a = app.post("/v1/admin/principals", &app.admin, serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&a.body));
        let created = a.json();
        let token = created["token"].as_str().unwrap().to_owned();
        let pid = created["principal"]["id"].as_str().unwrap().to_owned();
        assert_eq!(created["principal"]["keys"][0]["public_key"], key);
        // The new token works, and a party may not administer.
        assert_eq!(app.get("/v1/documents", &token).await.status, StatusCode::OK);
        assert_eq!(app.get("/v1/admin/principals", &token).await.status, StatusCode::FORBIDDEN);

        for (bad, why) in [
            (json!({"kind": "party", "name": "no keys"}), "party without keys"),
            (json!({"kind": "admin", "name": "x", "public_keys": [key]}), "admin with keys"),
            (json!({"kind": "authority", "name": "police"}), "authority without country"),
            (json!({"kind": "pirate", "name": "x"}), "unknown kind"),
            (json!({"kind": "platform", "name": "x", "colour": 1}), "unknown field"),
            (json!({"kind": "party", "name": "x", "public_keys": ["AAAA"]}), "short key"),
            (json!({"kind": "party", "name": "thief", "public_keys": [key]}), "key bound to another party"),
        ] {
            let a = app.post("/v1/admin/principals", &app.admin, serde_json::to_vec(&bad).unwrap()).await;
            assert_eq!(
                (a.status, a.problem().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request"),
                "{why}"
            );
        }
        let authority = json!({"kind": "authority", "name": "KMar", "details": {"country": "NL", "legalContact": {"email": "x@kmar.example"}}});
        assert_eq!(
            app.post("/v1/admin/principals", &app.admin, serde_json::to_vec(&authority).unwrap()).await.status,
            StatusCode::CREATED
        );

        let list = app.get("/v1/admin/principals", &app.admin).await;
        assert_eq!(list.json().as_array().unwrap().len(), 3);
        let one = app.get(&format!("/v1/admin/principals/{pid}"), &app.admin).await;
        assert_eq!(one.json()["tokens"].as_array().unwrap().len(), 1);
        assert_eq!(
            app.get(&format!("/v1/admin/principals/{}", uuid::Uuid::new_v4()), &app.admin).await.status,
            StatusCode::NOT_FOUND
        );

        // A second token, revoked on its own.
        let a = app
            .post(
                &format!("/v1/admin/principals/{pid}/tokens"),
                &app.admin,
                br#"{"expires_at": "2999-01-01T00:00:00Z"}"#.to_vec(),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED);
        let second = a.json()["token"].as_str().unwrap().to_owned();
        let second_id = a.json()["token_id"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/v1/documents", &second).await.status, StatusCode::OK);
        let a = app
            .post(
                &format!("/v1/admin/principals/{pid}/tokens"),
                &app.admin,
                br#"{"expires_at": "2000-01-01T00:00:00Z"}"#.to_vec(),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.post(&format!("/v1/admin/tokens/{second_id}/revoke"), &app.admin, vec![]).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.post(&format!("/v1/admin/tokens/{second_id}/revoke"), &app.admin, vec![]).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get("/v1/documents", &second).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get("/v1/documents", &token).await.status, StatusCode::OK);

        // Revoking the principal ends every token.
        assert_eq!(
            app.post(&format!("/v1/admin/principals/{pid}/revoke"), &app.admin, vec![]).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.get("/v1/documents", &token).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.post(&format!("/v1/admin/principals/{pid}/revoke"), &app.admin, vec![]).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post(&format!("/v1/admin/principals/{pid}/tokens"), &app.admin, vec![]).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn operations_routes() {
    for app in TestApp::all("operations_routes").await {
        let a = app.call("GET", "/healthz", None, None).await;
        assert_eq!((a.status, a.json()["status"].clone()), (StatusCode::OK, json!("ok")));
        let a = app.call("GET", "/readyz", None, None).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.json()["backend"], app.backend());
        let a = app.call("GET", "/metrics", None, None).await;
        assert_eq!(a.status, StatusCode::OK);
        let text = String::from_utf8(a.body).unwrap();
        assert!(text.contains("ecmr_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"), "{text}");
        assert!(text.contains("ecmr_documents_stored"));
        let a = app.call("GET", "/no/such/route", None, None).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"));
        let a = app.call("DELETE", "/v1/documents", None, None).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"));
        // Readiness fails once the store is closed.
        app.store.close().await;
        let a = app.call("GET", "/readyz", None, None).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    }
}

#[tokio::test]
async fn openapi_is_served_and_kept_in_schemas() {
    let (store, _) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let a = app.call("GET", "/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let served = String::from_utf8(a.body).unwrap();
    let doc: Value = serde_json::from_str(&served).unwrap();
    for path in [
        "/v1/documents",
        "/v1/documents/{id}",
        "/v1/documents/{id}/events",
        "/v1/documents/{id}/audit",
        "/v1/admin/principals",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/openapi.json");
    let on_disk = std::fs::read_to_string(file).unwrap_or_default();
    if on_disk != format!("{served}\n") {
        if std::env::var_os("ECMR_UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas")).unwrap();
            std::fs::write(file, format!("{served}\n")).unwrap();
        } else {
            panic!(
                "schemas/openapi.json is out of date; run `ECMR_UPDATE_SCHEMAS=1 cargo test -p ecmr-gateway --test http openapi` and commit it"
            );
        }
    }
}

/// What every route of a shape may answer is in the description of each: 400/413/415 (problem documents) for a
/// route that takes a body, 401/403 behind a token; a subset parameter lists the subset ids, required.
#[tokio::test]
async fn openapi_describes_the_answers_every_route_of_a_shape_gives() {
    let doc: Value = serde_json::from_str(&ecmr_gateway::api::openapi_json()).unwrap();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let answers = &op["responses"];
            if op.get("requestBody").is_some() {
                bodies += 1;
                for status in ["400", "413", "415"] {
                    let problem = &answers[status]["content"]["application/problem+json"];
                    assert!(problem.is_object(), "{method} {path} describes {status} as a problem document");
                }
            }
            if op.get("security").is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty())) {
                for status in ["401", "403"] {
                    assert!(answers[status].is_object(), "{method} {path} describes {status}");
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["name"] == "subsetId") {
                assert_eq!(p["required"], true, "{method} {path}");
                let ids = p["schema"]["items"]["enum"].as_array().unwrap();
                assert!(ids.contains(&json!("EU01")) && ids.contains(&json!("full")), "{method} {path}");
            }
        }
    }
    assert!(bodies >= 15, "{bodies} routes with a body");
    // The free-form values the gateway takes are strict JSON: no fractional numbers.
    let strict = &doc["components"]["schemas"]["StrictJson"]["anyOf"];
    assert_eq!(strict.as_array().map(Vec::len), Some(4), "{strict}");
    assert!(!strict.to_string().contains("\"number\""), "{strict}");
}

/// Bodies the description refuses are refused, and bodies it allows are taken: a struct is not filled from an
/// array, a whole number written `880.0` is the integer 880, a cursor the gateway did not issue is a 422.
#[tokio::test]
async fn the_server_takes_what_its_description_says() {
    let (store, _) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let sender = app.party(1).await;
    let doc = issue("NL-S", &sender.key, None);
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let shares = format!("/v1/documents/{}/shares", doc.id());
    for body in ["[null, null]", "[]", "\"x\"", "7"] {
        let a = app.post(&shares, &sender.token, body.as_bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request"), "{body}");
        assert!(a.json()["detail"].as_str().unwrap().contains("must be a JSON object"), "{body}");
    }
    let a = app.post(&shares, &sender.token, br#"{"expires_in": 880.0}"#.to_vec()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&a.body));
    let made = a.json();
    let expires = chrono::DateTime::parse_from_rfc3339(made["expires_at"].as_str().unwrap()).unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((870..=880).contains(&left), "{left} s left of 880");
    for body in [r#"{"expires_in": 880.5}"#, r#"{"expires_in": 1e400}"#] {
        let a = app.post(&shares, &sender.token, body.as_bytes().to_vec()).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "malformed-json"), "{body}");
    }
    let tokens = format!("/v1/admin/principals/{}/tokens", sender.id);
    let a = app.post(&tokens, &app.admin, b"[]".to_vec()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = app.get("/v1/documents?cursor=bm90LW91cnM", &sender.token).await;
    assert_eq!((a.status, a.problem().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request"));
    // The reference implementation's routes read JSON as it does: a member they do not name may hold any number.
    let authority = app.authority("BE", &["full"]).await;
    let search = br#"{"identifier": "AB123CD", "identifierType": ["means"], "extra": 1.5}"#.to_vec();
    let a = app.post("/v1/control/identifiers", &authority, search).await;
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["status"], "COMPLETE", "{}", a.json());
}

/// Deterministic xorshift, so failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test]
async fn damaged_submissions_never_get_a_5xx() {
    let (store, _) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let sender = app.party(1).await;
    let carrier = app.party(2).await;
    let doc = issue("NL-F", &sender.key, Some(&carrier.key));
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let event = last_event(&take_over(&doc, &carrier.key));
    let events_uri = format!("/v1/documents/{}/events", doc.id());
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..300 {
        let (uri, token, original) = if round % 2 == 0 {
            ("/v1/documents", &sender.token, doc.bytes().to_vec())
        } else {
            (events_uri.as_str(), &carrier.token, event.clone())
        };
        let mut body = original;
        let edits = 1 + next(&mut seed) % 4;
        for _ in 0..edits {
            let len = body.len() as u64;
            let at = (next(&mut seed) % len) as usize;
            match next(&mut seed) % 3 {
                0 => body[at] = (next(&mut seed) % 256) as u8,
                1 => {
                    body.remove(at);
                }
                _ => body.truncate(at.max(1)),
            }
        }
        let a = app.post(uri, token, body.clone()).await;
        assert!(
            !a.status.is_server_error(),
            "round {round}: {} for {}: {}",
            a.status,
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&a.body)
        );
        if !a.status.is_success() {
            a.problem();
        }
    }
}

#[tokio::test]
async fn a_stalled_request_times_out_with_a_problem() {
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    let (store, _) = common::sqlite_store().await;
    let mut app = TestApp::new(store).await;
    let mut config = (*app.state.config).clone();
    config.request_timeout_secs = 1;
    app.state.config = std::sync::Arc::new(config);
    let sender = app.party(1).await;

    let req = axum::http::Request::post("/v1/documents")
        .header("authorization", format!("Bearer {}", sender.token))
        .body(Body::new(common::Stall(false)))
        .unwrap();
    let started = std::time::Instant::now();
    let resp = ecmr_gateway::app::router(app.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let p: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(p["type"], "urn:ecmr:problem:timeout");
}

/// A request with a body of the given media type.
fn with_type(method: &str, uri: &str, token: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn bodies_of_another_media_type_get_415() {
    for app in TestApp::all("bodies_of_another_media_type_get_415").await {
        let sender = app.party(1).await;
        let doc = common::issue("N-415", &sender.key, None);
        for ct in ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"] {
            let a = app.send(with_type("POST", "/v1/documents", &sender.token, ct, doc.bytes().to_vec())).await;
            assert_eq!(
                (a.status, a.problem().as_str()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
            );
            let detail = a.json()["detail"].as_str().unwrap_or_default().to_owned();
            assert!(detail.contains("application/json") && detail.contains(ct), "{detail}");
        }
        // Nothing was stored by the refused requests.
        let page = app.get("/v1/documents", &sender.token).await.json();
        assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
        // JSON under its own name, with a charset, or a +json type, and no type at all are taken.
        for ct in
            ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.ecmr+json"]
        {
            let a = app.send(with_type("POST", "/v1/documents", &sender.token, ct, doc.bytes().to_vec())).await;
            assert!(a.status.is_success(), "{ct}: {}", a.status);
        }
        let req = Request::builder()
            .method("POST")
            .uri("/v1/documents")
            .header("authorization", format!("Bearer {}", sender.token))
            .body(Body::from(doc.bytes().to_vec()))
            .expect("request");
        assert_eq!(app.send(req).await.status, StatusCode::OK, "no content type: the same document again");
        // The other JSON routes and the XML route of the platform API.
        let uri = format!("/v1/documents/{}/events", doc.id());
        let a = app.send(with_type("POST", &uri, &sender.token, "text/plain", b"{}".to_vec())).await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let a = app.send(with_type("POST", "/v1/admin/principals", &app.admin, "text/plain", b"{}".to_vec())).await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (_, platform) = create_principal(
            &app.store,
            NewPrincipal {
                kind: PrincipalKind::Platform,
                name: "acme".into(),
                public_keys: vec![],
                details: Some(json!({"platformId": "acme-platform"})),
                token_expires_at: None,
            },
        )
        .await
        .expect("platform");
        let uri = "/api/platform/v0/consignments/ds-1";
        let a = app.send(with_type("PUT", uri, &platform.token, "application/json", b"<x/>".to_vec())).await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for ct in ["application/xml", "text/xml; charset=utf-8"] {
            let a = app.send(with_type("PUT", uri, &platform.token, ct, b"<x/>".to_vec())).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{ct}: an XML body, read and refused as no dataset");
        }
    }
}

#[tokio::test]
async fn the_413_names_the_limit_and_the_401_the_scheme() {
    let (store, _) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let sender = app.party(1).await;
    let a = app.post("/v1/documents", &sender.token, vec![b' '; 300 * 1024]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let detail = a.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(&(256 * 1024).to_string()), "{detail}");
    let a = app.call("GET", "/v1/documents", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let detail = a.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("Authorization: Bearer"), "{detail}");
}

/// A GET with an `X-Request-Id` header.
fn with_request_id(uri: &str, token: &str, id: &[u8]) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("x-request-id", axum::http::HeaderValue::from_bytes(id).expect("header value"))
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn request_ids_are_the_gateways_own_and_a_clients_is_kept_apart() {
    for app in TestApp::all("request_ids_are_the_gateways_own").await {
        let sender = app.party(1).await;
        let doc = issue("N-RID", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let uri = format!("/v1/documents/{}", doc.id());
        // A plain client id is kept apart: the answer carries the gateway's own id and echoes the client's.
        let a = app.send(with_request_id(&uri, &sender.token, b"tms-42.retry_1")).await;
        assert_eq!(a.status, StatusCode::OK);
        let ours = a.headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id").to_owned();
        assert_ne!(ours, "tms-42.retry_1");
        assert!(uuid::Uuid::parse_str(&ours).is_ok(), "{ours}");
        assert_eq!(a.headers.get("x-client-request-id").and_then(|v| v.to_str().ok()), Some("tms-42.retry_1"));
        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        let read = log.as_array().expect("audit").iter().find(|e| e["action"] == "document.read").expect("read");
        assert_eq!(read["request_id"], ours.as_str());
        assert_eq!(read["details"]["clientRequestId"], "tms-42.retry_1");
        // Someone else's id cannot be written: the gateway's id differs on every request.
        let b = app.send(with_request_id(&uri, &sender.token, ours.as_bytes())).await;
        assert_ne!(b.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(ours.as_str()));
        // Long or unusual ids are refused before anything is done, and nothing is audited for them.
        let entries = log.as_array().map(Vec::len).unwrap_or(0);
        for bad in [
            vec![b'a'; 65],
            vec![b'a'; 420 * 1024],
            b"has space".to_vec(),
            b"semi;colon".to_vec(),
            b"\xc3\xa9".to_vec(),
        ] {
            let a = app.send(with_request_id(&uri, &sender.token, &bad)).await;
            assert_eq!((a.status, a.problem().as_str()), (StatusCode::BAD_REQUEST, "bad-request"), "{}", bad.len());
            assert!(a.json()["request_id"].is_string());
        }
        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        assert_eq!(log.as_array().map(Vec::len), Some(entries + 1), "only the second read above was added");
        // Without a client id, the gateway's own alone.
        let a = app.get(&uri, &sender.token).await;
        assert!(a.headers.get("x-request-id").is_some() && a.headers.get("x-client-request-id").is_none());
    }
}

#[tokio::test]
async fn the_last_admin_cannot_lock_everyone_out() {
    for app in TestApp::all("the_last_admin_cannot_lock_everyone_out").await {
        let me = app.get("/v1/admin/principals", &app.admin).await.json();
        let admin_id = me[0]["id"].as_str().expect("admin id").to_owned();
        let detail = app.get(&format!("/v1/admin/principals/{admin_id}"), &app.admin).await.json();
        let token_id = detail["tokens"][0]["id"].as_str().expect("token id").to_owned();
        let revoke_self = format!("/v1/admin/principals/{admin_id}/revoke");
        let a = app.post(&revoke_self, &app.admin, vec![]).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "last-admin"));
        let a = app.post(&format!("/v1/admin/tokens/{token_id}/revoke"), &app.admin, vec![]).await;
        assert_eq!((a.status, a.problem().as_str()), (StatusCode::CONFLICT, "last-admin"));
        assert_eq!(app.get("/v1/admin/principals", &app.admin).await.status, StatusCode::OK, "still in");
        // With a second admin holding a token, the first may go.
        let body = json!({"kind": "admin", "name": "second admin"});
        let second = app.post("/v1/admin/principals", &app.admin, serde_json::to_vec(&body).expect("json")).await;
        assert_eq!(second.status, StatusCode::CREATED);
        let second_token = second.json()["token"].as_str().expect("token").to_owned();
        assert_eq!(app.post(&revoke_self, &app.admin, vec![]).await.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/v1/admin/principals", &app.admin).await.status, StatusCode::UNAUTHORIZED);
        let second_id = second.json()["principal"]["id"].as_str().expect("id").to_owned();
        let a = app.post(&format!("/v1/admin/principals/{second_id}/revoke"), &second_token, vec![]).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "now the second is the last");
    }
}

#[tokio::test]
async fn a_cached_token_stops_working_when_it_expires() {
    let config = ecmr_gateway::config::Config { auth_cache_millis: 60_000, ..Default::default() };
    for app in TestApp::all_with("a_cached_token_stops_working_when_it_expires", config).await {
        let expires = chrono::Utc::now() + chrono::Duration::milliseconds(1200);
        let (_, token) = create_principal(
            &app.store,
            NewPrincipal {
                kind: PrincipalKind::Party,
                name: "short-lived".into(),
                public_keys: vec![common::public(&common::key(9))],
                details: None,
                token_expires_at: Some(expires),
            },
        )
        .await
        .expect("party");
        // Authenticated once, so remembered for a minute …
        assert_eq!(app.get("/v1/documents", &token.token).await.status, StatusCode::OK);
        let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(50);
        tokio::time::sleep(wait).await;
        // … but not past its expiry.
        assert_eq!(app.get("/v1/documents", &token.token).await.status, StatusCode::UNAUTHORIZED);
    }
}
