//! Hostile clients that try to make the gateway work for nothing or grow: badly signed events against a long chain,
//! an event beyond the bound of a document, a read by an authority not entitled to it, registered datasets too
//! large to answer. Bounded in count and time; the attacks on the running binary's health and memory are in
//! `hostile_server.rs`.

mod common;

use axum::http::StatusCode;
use ecmr_gateway::config::Config;
use serde_json::json;

use common::{TestApp, identifier_dataset};
use ecmr_gateway::service::efti::{MAX_DATASET_BYTES, MAX_DATASET_ITEMS, SEARCH_ANSWER_BYTES};
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::store::PrincipalKind;

#[tokio::test]
async fn an_event_beyond_the_bound_of_a_document_is_refused_before_verification() {
    let config = Config { max_events_per_document: 4, ..Config::default() };
    for app in TestApp::all_with("hostile_bound", config).await {
        let sender = app.party(1).await;
        // Four events fit; the fifth is refused, whatever its signature.
        let doc = common::long_chain("H-BOUND", &sender.key, 3);
        let r = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend(), String::from_utf8_lossy(&r.body));
        let fifth = common::amended(&doc, &sender.key, 9000);
        let uri = format!("/v1/documents/{}/events", doc.id());
        let r = app.post(&uri, &sender.token, common::last_event(&fifth)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend());
        assert_eq!(r.problem(), "too-many-events", "{}", app.backend());
        assert!(r.json()["detail"].as_str().unwrap_or_default().contains("at most 4 events"), "{}", r.json());
        // A forged fifth event is refused for its signature, before the stored chain is read.
        let r = app.post(&uri, &sender.token, common::forged_last_event(&fifth)).await;
        assert_eq!(r.problem(), "invalid-event", "{}", app.backend());
        // A whole document of five events is refused the same way, and nothing is stored.
        let five = common::long_chain("H-BOUND-5", &sender.key, 4);
        let r = app.post("/v1/documents", &sender.token, five.bytes().to_vec()).await;
        assert_eq!(r.problem(), "too-many-events", "{}", app.backend());
        let r = app.get(&format!("/v1/documents/{}", five.id()), &sender.token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", app.backend());
        // The stored document is as it was.
        let r = app.get(&format!("/v1/documents/{}", doc.id()), &sender.token).await;
        assert_eq!(r.json()["events"].as_array().map(Vec::len), Some(4), "{}", app.backend());
    }
}

#[tokio::test]
async fn a_badly_signed_event_is_refused_for_its_signature_alone() {
    for app in TestApp::all("hostile_forged").await {
        let sender = app.party(1).await;
        // Longer than what is verified on the request's worker, so that a full check would go to the pool.
        let doc = common::long_chain("H-FORGED", &sender.key, 40);
        let r = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend(), String::from_utf8_lossy(&r.body));
        let next = common::amended(&doc, &sender.key, 9000);
        let pooled = app.state.work.pooled_jobs();
        let uri = format!("/v1/documents/{}/events", doc.id());
        let r = app.post(&uri, &sender.token, common::forged_last_event(&next)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend());
        assert_eq!(r.problem(), "invalid-event");
        assert_eq!(r.json()["failures"], json!([{"failure": "bad_signature", "seq": 41}]), "{}", r.json());
        assert_eq!(app.state.work.pooled_jobs(), pooled, "the stored chain was not verified for a forged event");
        // The honest event is appended: the chain is verified (on the pool) and the event with it.
        let r = app.post(&uri, &sender.token, common::last_event(&next)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend(), String::from_utf8_lossy(&r.body));
        assert_eq!(app.state.work.pooled_jobs(), pooled + 1);
    }
}

#[tokio::test]
async fn entitlements_are_checked_before_a_stored_document_is_verified() {
    for app in TestApp::all("hostile_entitled").await {
        let sender = app.party(1).await;
        let doc = common::long_chain("H-ENTITLED", &sender.key, 40);
        let r = app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", app.backend());
        let eu01 = app.authority("ILT-EU01", &["EU01"]).await;
        let full = app.authority("ILT-FULL", &["full"]).await;
        let uri = format!("/v1/uil/ecmr-gate/ecmr-platform/{}", doc.id());
        let pooled = app.state.work.pooled_jobs();
        let req = |token: &str| {
            axum::http::Request::get(&uri)
                .header("authorization", format!("Bearer {token}"))
                .header("accept", "application/json")
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let r = app.send(req(&eu01)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.backend());
        assert_eq!(app.state.work.pooled_jobs(), pooled, "refused before the stored chain was verified");
        // An unknown document is still "not found", not "forbidden".
        let unknown = format!("/v1/uil/ecmr-gate/ecmr-platform/{}", uuid::Uuid::new_v4());
        let r = app.get(&format!("{unknown}?subsetId=EU02"), &eu01).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", app.backend());
        // The entitled authority reads it, verified.
        let r = app.send(req(&full)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", app.backend());
        assert_eq!(app.state.work.pooled_jobs(), pooled + 1);
        app.check_audit().await;
    }
}

#[tokio::test]
async fn registered_datasets_and_search_answers_are_bounded() {
    for app in TestApp::all("hostile_datasets").await {
        let (_, platform) = create_principal(
            &app.store,
            NewPrincipal {
                kind: PrincipalKind::Platform,
                name: "greedy".into(),
                public_keys: vec![],
                details: Some(json!({"platformId": "greedy-platform"})),
                token_expires_at: None,
            },
        )
        .await
        .expect("platform");
        let put = |id: String, xml: String| {
            let uri = format!("/api/platform/v0/consignments/{id}");
            let token = platform.token.clone();
            let app = &app;
            async move { app.call("PUT", &uri, Some(&token), Some(xml.into_bytes())).await }
        };
        // More equipment than a dataset may hold: 400, with the count.
        let r = put("too-many".into(), identifier_dataset("ABC-123", "m", MAX_DATASET_ITEMS + 1, 0)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", app.backend());
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert!(text.contains("too-many-items") && text.contains(&format!("{}", MAX_DATASET_ITEMS + 1)), "{text}");
        // More bytes than a dataset may have: 413, before it is parsed.
        let r = put("too-big".into(), identifier_dataset("ABC-123", "b", 10, MAX_DATASET_BYTES / 10)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", app.backend());
        // At the bounds: taken. Forty such datasets share one plate.
        let pad = (MAX_DATASET_BYTES - 60_000) / MAX_DATASET_ITEMS;
        for i in 0..40 {
            let xml = identifier_dataset("ABC-123", &i.to_string(), MAX_DATASET_ITEMS, pad);
            assert!(xml.len() <= MAX_DATASET_BYTES && xml.len() > MAX_DATASET_BYTES / 2, "{}", xml.len());
            let r = put(format!("ds-{i:02}"), xml).await;
            assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend(), String::from_utf8_lossy(&r.body));
        }
        // One search answers as many of them as fit its byte bound, each with what the identifier subset holds.
        let ilt = app.authority("ILT", &["identifier"]).await;
        let r = app.post("/v1/control/identifiers", &ilt, br#"{"identifier":"ABC123"}"#.to_vec()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", app.backend());
        let answer = r.json();
        let hits = answer["identifiers"].as_array().map_or(0, Vec::len);
        let largest = identifier_dataset("ABC-123", "39", MAX_DATASET_ITEMS, pad).len();
        let smallest = identifier_dataset("ABC-123", "0", MAX_DATASET_ITEMS, pad).len();
        assert!(
            (SEARCH_ANSWER_BYTES / largest..=SEARCH_ANSWER_BYTES / smallest).contains(&hits),
            "{}: {hits} hits of datasets of {smallest}–{largest} bytes within {SEARCH_ANSWER_BYTES}",
            app.backend()
        );
        assert!(r.body.len() < SEARCH_ANSWER_BYTES, "{} bytes", r.body.len());
        let equipment = answer["identifiers"][0]["usedTransportEquipment"].as_array().map_or(0, Vec::len);
        assert_eq!(equipment, MAX_DATASET_ITEMS);
        // The stored answer is the same, read again by the RI's polling GET.
        let id = answer["requestId"].as_str().expect("requestId");
        let again = app.get(&format!("/v1/control/identifiers?requestId={id}"), &ilt).await.json();
        assert_eq!(again["identifiers"], answer["identifiers"], "{}", app.backend());
        app.check_audit().await;
    }
}
