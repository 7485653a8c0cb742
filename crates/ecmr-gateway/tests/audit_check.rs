//! The test app's own audit check (`tests/common`): the reads an authority or a gate makes through it are
//! remembered, and a read whose entry is not in the audit log fails the test, whether the check runs when the app
//! is dropped or when the test asks for it.

mod common;

use std::any::Any;

use axum::http::StatusCode;
use common::{TestApp, issue};
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::store::PrincipalKind;
use serde_json::json;

/// A fresh SQLite app with a stored document and an authority entitled to everything; the document id and the
/// authority's token.
async fn app_with_a_document() -> (TestApp, String, String) {
    let app = TestApp::new(common::sqlite_store().await.0).await;
    let sender = app.party(1).await;
    let doc = issue("NL-AC-1", &sender.key, None);
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let (_, token) = create_principal(
        &app.store,
        NewPrincipal {
            kind: PrincipalKind::Authority,
            name: "ILT".into(),
            public_keys: vec![],
            details: Some(json!({"country": "NL", "subsets": ["full"]})),
            token_expires_at: None,
        },
    )
    .await
    .expect("authority");
    (app, doc.id().to_owned(), token.token)
}

async fn uil_read(app: &TestApp, token: &str, dataset: &str) {
    let body =
        json!({"gateId": "ecmr-gate", "platformId": "ecmr-platform", "datasetId": dataset, "subsetId": ["EU01"]});
    let a = app.post("/v1/control/uil", token, serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(a.json()["status"], "COMPLETE", "{}", String::from_utf8_lossy(&a.body));
}

fn message(panic: Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_with_their_entries_pass_and_a_missing_entry_fails() {
    let (app, doc, ilt) = app_with_a_document().await;
    uil_read(&app, &ilt, &doc).await;
    let a = app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{doc}?subsetId=EU01"), &ilt).await;
    assert_eq!(a.status, StatusCode::OK);
    let found = app.post("/v1/control/identifiers", &ilt, br#"{"identifier": "12bxl4"}"#.to_vec()).await.json();
    assert_eq!(found["identifiers"].as_array().map(Vec::len), Some(1));
    // Answers without data and routes that are not audited are not remembered.
    let a = app.get("/v1/control/uil?requestId=nonsense", &ilt).await;
    assert_eq!(a.json()["errorCode"], "ID_NOT_FOUND");
    assert_eq!(app.get("/healthz", &ilt).await.status, StatusCode::OK);
    assert_eq!(app.audited_reads(), 3);
    app.check_audit().await;
    assert_eq!(app.audited_reads(), 0);

    // The same kind of read, checked against a store that never saw it: an explicit check fails…
    uil_read(&app, &ilt, &doc).await;
    let elsewhere = TestApp::new(common::sqlite_store().await.0).await;
    app.move_audited_reads_to(&elsewhere);
    let failed = tokio::spawn(async move { elsewhere.check_audit().await }).await.expect_err("the check fails");
    let text = message(failed.into_panic());
    assert!(text.contains("1 efti.uil.read entry with request id") && text.contains("0 found"), "{text}");
    assert!(text.contains("POST /v1/control/uil (202 Accepted by ILT)"), "{text}");

    // …and so does the drop of an app whose reads were not checked.
    let a = app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{doc}?subsetId=EU02"), &ilt).await;
    assert_eq!(a.status, StatusCode::OK);
    let elsewhere = TestApp::new(common::sqlite_store().await.0).await;
    app.move_audited_reads_to(&elsewhere);
    let failed = tokio::spawn(async move { drop(elsewhere) }).await.expect_err("the drop fails");
    let text = message(failed.into_panic());
    assert!(text.contains("1 efti.uil.read entry") && text.contains("GET /v1/uil/"), "{text}");
}

/// On a current-thread runtime the drop cannot block for the check: it says so instead of passing unchecked.
#[test]
fn a_drop_with_unchecked_reads_needs_a_multi_thread_runtime() {
    let failed = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (app, doc, ilt) = app_with_a_document().await;
            uil_read(&app, &ilt, &doc).await;
            drop(app);
        });
    })
    .join()
    .expect_err("the drop fails");
    let text = message(failed);
    assert!(text.contains("needs a multi-thread runtime"), "{text}");
}
