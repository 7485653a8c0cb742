//! The gate→platform API: an eFTI gate reads our documents as eFTI XML and passes on follow-ups, on every backend;
//! and the gate→gate route, which takes only XML.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestApp, issue};
use ecmr_gateway::store::PrincipalKind;
use serde_json::json;

fn text(a: &common::Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn gates_read_our_documents_as_the_authority_read_does() {
    for app in TestApp::all("gate_reads").await {
        let sender = app.party(1).await;
        let doc = issue("NL-GATE-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (gate_id, gate) = app.principal(PrincipalKind::Gate, "RI gate", json!({"subsets": ["EU01"]})).await;
        let (_, ilt) =
            app.principal(PrincipalKind::Authority, "ILT", json!({"country": "NL", "subsets": ["EU01"]})).await;

        let uri = format!("/api/gate-api/v0/consignments/{}?subsetId=EU01", doc.id());
        let r = app.get(&uri, &gate).await;
        assert_eq!(r.status, StatusCode::OK, "{} on {}", text(&r), app.backend());
        assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/xml"));
        let direct = app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{}?subsetId=EU01", doc.id()), &ilt).await;
        assert_eq!(direct.status, StatusCode::OK);
        assert_eq!(text(&r), text(&direct), "the same projection as the authority's read");
        assert!(text(&r).contains("<consignment"), "{}", text(&r));

        let cases: &[(String, StatusCode)] = &[
            (format!("/api/gate-api/v0/consignments/{}?subsetId=EU03", doc.id()), StatusCode::FORBIDDEN),
            (format!("/api/gate-api/v0/consignments/{}", doc.id()), StatusCode::BAD_REQUEST),
            (format!("/api/gate-api/v0/consignments/{}?subsetId=NOPE99", doc.id()), StatusCode::BAD_REQUEST),
            (format!("/api/gate-api/v0/consignments/{}?subsetId=EU01", uuid::Uuid::new_v4()), StatusCode::NOT_FOUND),
            ("/api/gate-api/v0/consignments/not-a-uuid?subsetId=EU01".to_owned(), StatusCode::NOT_FOUND),
        ];
        for (uri, status) in cases {
            let r = app.get(uri, &gate).await;
            assert_eq!(r.status, *status, "{uri}: {}", text(&r));
            assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
        }
        // Other kinds are refused.
        for token in [&ilt, &sender.token, &app.admin] {
            assert_eq!(app.get(&uri, token).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(app.call("GET", &uri, None, None).await.status, StatusCode::UNAUTHORIZED);
        // The read and the refusal are audited for the document's parties.
        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        let actions: Vec<&str> = log
            .as_array()
            .expect("audit")
            .iter()
            .filter(|e| e["principal"]["id"] == gate_id.to_string())
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["gate.uil.read", "gate.uil.refused"], "{log}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_follow_ups_reach_the_parties() {
    for app in TestApp::all("gate_follow_ups").await {
        let sender = app.party(1).await;
        let stranger = app.party(9).await;
        let doc = issue("NL-GATE-2", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (gate_id, gate) = app.principal(PrincipalKind::Gate, "RI gate", json!({})).await;
        let uri = format!("/api/gate-api/v0/consignments/{}/follow-up", doc.id());
        let msg = "Trailer checked at Venlo; seal intact.";
        let r = app.call("POST", &uri, Some(&gate), Some(msg.as_bytes().to_vec())).await;
        assert_eq!(r.status, StatusCode::OK, "{} on {}", text(&r), app.backend());

        let list = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await.json();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["message"], msg);
        assert_eq!(list[0]["principal"]["id"], gate_id.to_string());
        assert_eq!(list[0]["principal"]["kind"], "gate");
        assert_eq!(list[0]["principal"]["name"], "RI gate");
        assert_eq!(list[0]["documentId"], doc.id());
        assert_eq!(
            app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &stranger.token).await.status,
            StatusCode::NOT_FOUND
        );
        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        assert!(
            log.as_array()
                .expect("audit")
                .iter()
                .any(|e| e["action"] == "gate.follow_up" && e["principal"]["id"] == gate_id.to_string()),
            "{log}"
        );

        let long = "x".repeat(256);
        let cases: Vec<(String, Vec<u8>, StatusCode)> = vec![
            (uri.clone(), b"   ".to_vec(), StatusCode::BAD_REQUEST),
            (uri.clone(), long.into_bytes(), StatusCode::BAD_REQUEST),
            (uri.clone(), b"\xff\xfe".to_vec(), StatusCode::BAD_REQUEST),
            (
                format!("/api/gate-api/v0/consignments/{}/follow-up", uuid::Uuid::new_v4()),
                b"hi".to_vec(),
                StatusCode::NOT_FOUND,
            ),
            ("/api/gate-api/v0/consignments/nope/follow-up".to_owned(), b"hi".to_vec(), StatusCode::NOT_FOUND),
        ];
        for (u, body, status) in cases {
            assert_eq!(app.call("POST", &u, Some(&gate), Some(body)).await.status, status, "{u}");
        }
        let (_, ilt) = app.principal(PrincipalKind::Authority, "ILT", json!({"country": "NL"})).await;
        for token in [&ilt, &sender.token, &app.admin] {
            let r = app.call("POST", &uri, Some(token), Some(b"hi".to_vec())).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        let list = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await.json();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "refused follow-ups are not stored");
    }
}

/// A POST of `body` to `uri`, with `content_type` when given and a bearer `token` when given.
fn with_type(uri: &str, token: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Request<Body> {
    let mut req = Request::builder().method("POST").uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.body(Body::from(body.to_vec())).expect("request")
}

/// A follow-up is plain text: a body of another media type is refused with 415 before it is read, and nothing is
/// stored; `text/plain` (with a charset, or no type at all) is taken.
#[tokio::test(flavor = "multi_thread")]
async fn gate_follow_ups_are_plain_text_only() {
    for app in TestApp::all("gate_follow_up_media").await {
        let sender = app.party(1).await;
        let doc = issue("NL-GATE-3", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (_, gate) = app.principal(PrincipalKind::Gate, "RI gate", json!({})).await;
        let uri = format!("/api/gate-api/v0/consignments/{}/follow-up", doc.id());
        for ct in ["application/json", "application/xml", "text/html", "application/x-www-form-urlencoded"] {
            let a = app.send(with_type(&uri, Some(&gate), Some(ct), br#"{"message":"hi"}"#)).await;
            assert_eq!(
                (a.status, a.problem().as_str()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
                "{ct} on {}",
                app.backend()
            );
            let detail = a.json()["detail"].as_str().unwrap_or_default().to_owned();
            assert!(detail.contains("text/plain") && detail.contains(ct), "{detail}");
        }
        let list = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await.json();
        assert_eq!(list.as_array().map(Vec::len), Some(0), "refused follow-ups are not stored: {list}");

        for ct in [Some("text/plain"), Some("text/plain; charset=utf-8"), Some("Text/Plain"), None] {
            let a = app.send(with_type(&uri, Some(&gate), ct, b"Seal checked.")).await;
            assert_eq!(a.status, StatusCode::OK, "{ct:?}: {}", text(&a));
        }
        let list = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await.json();
        assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
    }
}

/// The messages of other gates are XML: in a federation, a body of another media type is refused with 415 before
/// its signature is looked at; an XML body (or one without a type) reaches the signature check.
#[tokio::test(flavor = "multi_thread")]
async fn federation_messages_are_xml_only() {
    use ecmr_gateway::service::federation::registry::Registry;
    use ecmr_gateway::service::federation::transport::HttpTransport;
    use ecmr_gateway::service::federation::{Federation, Settings};
    use std::sync::Arc;

    for app in TestApp::all("federation_message_media").await {
        let key = ecmr::keys::FileKey::from_seed(&[7; 32]);
        let transport =
            HttpTransport::new("ecmr-gate", key, std::time::Duration::from_secs(5), Vec::new()).expect("transport");
        let federation = Federation::new(
            "ecmr-gate",
            Registry::empty(),
            Arc::new(transport),
            app.store.clone(),
            Settings::default(),
        );
        app.state.efti.set_federation(Arc::new(federation));

        let uri = "/federation/v1/messages";
        let xml = b"<?xml version=\"1.0\"?><uilQuery/>";
        for ct in ["application/json", "text/plain", "application/x-www-form-urlencoded"] {
            let a = app.send(with_type(uri, None, Some(ct), xml)).await;
            assert_eq!(
                (a.status, a.problem().as_str()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
                "{ct} on {}",
                app.backend()
            );
        }
        for ct in [Some("application/xml"), Some("text/xml; charset=utf-8"), Some("application/soap+xml"), None] {
            let a = app.send(with_type(uri, None, ct, xml)).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{ct:?}: unsigned, {}", text(&a));
        }
    }
}
