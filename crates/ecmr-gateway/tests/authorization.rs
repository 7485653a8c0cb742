//! The authorisation matrix: three parties × two documents × every party route. Each allowed cell works; each
//! forbidden one is refused, with 404 where the document must not be revealed.

mod common;

use axum::http::StatusCode;
use common::{TestApp, cancel, issue, last_event, take_over};

#[tokio::test]
async fn three_parties_two_documents_every_route() {
    for app in TestApp::all("three_parties_two_documents_every_route").await {
        let a = app.party(1).await;
        let b = app.party(2).await;
        // C is a company the notes do not name.
        let c = app.party(4).await;
        // doc1: issued by A, pinning B as carrier. doc2: issued by B, pinning nobody.
        let doc1 = issue("M-1", &a.key, Some(&b.key));
        let doc2 = issue("M-2", &b.key, None);

        // Submitting: only a party whose key signed.
        for (party, doc, expected) in [
            (&c, &doc1, StatusCode::FORBIDDEN),
            (&b, &doc1, StatusCode::FORBIDDEN),
            (&a, &doc1, StatusCode::CREATED),
            (&a, &doc2, StatusCode::FORBIDDEN),
            (&c, &doc2, StatusCode::FORBIDDEN),
            (&b, &doc2, StatusCode::CREATED),
        ] {
            let r = app.post("/v1/documents", &party.token, doc.bytes().to_vec()).await;
            assert_eq!(r.status, expected, "{}: submit {} by party {}", app.backend(), doc.id(), party.key_seed());
        }

        let docs = [&doc1, &doc2];
        let parties = [&a, &b, &c];
        // visible[p][d]
        let visible = [[true, false], [true, true], [false, false]];

        for (pi, party) in parties.iter().enumerate() {
            let listed = app.get("/v1/documents?limit=500", &party.token).await;
            assert_eq!(listed.status, StatusCode::OK);
            let ids: Vec<String> = listed.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect();
            for (di, doc) in docs.iter().enumerate() {
                let cell = format!("{}: party {} doc {}", app.backend(), pi, di + 1);
                let allowed = visible[pi][di];
                assert_eq!(ids.contains(&doc.id().to_owned()), allowed, "list {cell}");
                let expected = if allowed { StatusCode::OK } else { StatusCode::NOT_FOUND };
                let r = app.get(&format!("/v1/documents/{}", doc.id()), &party.token).await;
                assert_eq!(r.status, expected, "get {cell}");
                if allowed {
                    assert!(ecmr::verify::verify(&r.body, None).is_ok(), "get {cell} verifies");
                } else {
                    assert_eq!(r.problem(), "not-found");
                }
                let r = app.get(&format!("/v1/documents/{}/audit", doc.id()), &party.token).await;
                assert_eq!(r.status, expected, "audit {cell}");
            }
        }

        // Appending: invisible documents are 404 even with a well-signed event.
        let c_cancel = {
            // C is nobody's party here; an event C signs for doc2 as if sender.
            let forged = cancel(&issue("M-x", &c.key, None), &c.key);
            last_event(&forged)
        };
        for (party, doc, body) in [
            (&c, &doc1, c_cancel.clone()),
            (&c, &doc2, c_cancel.clone()),
            (&a, &doc2, last_event(&cancel(&doc2, &b.key))),
        ] {
            let r = app.post(&format!("/v1/documents/{}/events", doc.id()), &party.token, body).await;
            assert_eq!((r.status, r.problem().as_str()), (StatusCode::NOT_FOUND, "not-found"), "{}", app.backend());
        }
        // Visible, but the event is someone else's: 403.
        let r = app
            .post(&format!("/v1/documents/{}/events", doc1.id()), &a.token, last_event(&take_over(&doc1, &b.key)))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Allowed cells: B takes doc1 over, B cancels doc2; A's late cancellation of doc1 loses to the take-over.
        let r = app
            .post(&format!("/v1/documents/{}/events", doc1.id()), &b.token, last_event(&take_over(&doc1, &b.key)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = app
            .post(&format!("/v1/documents/{}/events", doc2.id()), &b.token, last_event(&cancel(&doc2, &b.key)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = app
            .post(&format!("/v1/documents/{}/events", doc1.id()), &a.token, last_event(&cancel(&doc1, &a.key)))
            .await;
        assert_eq!((r.status, r.problem().as_str()), (StatusCode::CONFLICT, "event-seq-taken"));

        // Non-party principals may not use the party API at all.
        for (method, uri) in [
            ("GET", "/v1/documents".to_owned()),
            ("GET", format!("/v1/documents/{}", doc1.id())),
            ("GET", format!("/v1/documents/{}/audit", doc1.id())),
            ("POST", format!("/v1/documents/{}/events", doc1.id())),
            ("POST", "/v1/documents".to_owned()),
        ] {
            let r = app.call(method, &uri, Some(&app.admin), Some(b"{}".to_vec())).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "admin {method} {uri}");
        }
        // And parties may not use the admin API.
        for party in parties {
            assert_eq!(app.get("/v1/admin/principals", &party.token).await.status, StatusCode::FORBIDDEN);
        }
    }
}
