//! The eFTI authority API in-process, on every backend: entitlements, UIL queries and direct reads, audit,
//! follow-ups and identifier search, with the request bodies of the reference implementation's OpenAPI.

mod common;

use axum::http::StatusCode;
use base64::Engine as _;
use common::{TestApp, issue};
use ecmr::efti::Subsets;
use ecmr_gateway::config::Config;
use ecmr_gateway::service::principals::{NewPrincipal, PrincipalError, create_principal};
use ecmr_gateway::store::{Durability, PrincipalKind};
use serde_json::{Value, json};

const UIL_REQUEST: &str = include_str!("fixtures/efti/uil-request.json");
const FOLLOW_UP: &str = include_str!("fixtures/efti/uil-follow-up.json");
const IDENTIFIERS_REQUEST: &str = include_str!("fixtures/efti/identifiers-request.json");
const ADR_NOTE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/adr-fuel.json"));

/// An authority principal granted `subsets`, with its token.
async fn authority(app: &TestApp, name: &str, subsets: &[&str]) -> (uuid::Uuid, String) {
    let (p, token) = create_principal(
        &app.store,
        NewPrincipal {
            kind: PrincipalKind::Authority,
            name: name.into(),
            public_keys: vec![],
            details: Some(json!({"country": "NL", "subsets": subsets})),
            token_expires_at: None,
        },
    )
    .await
    .expect("authority");
    (p.id, token.token)
}

fn uil_body(dataset: &str) -> Value {
    serde_json::from_str(&UIL_REQUEST.replace("{datasetId}", dataset)).expect("fixture")
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

/// Asserts that an object has only members the RI's OpenAPI gives its DTO (`simulator-api.yaml`).
fn only_members(v: &Value, dto: &str, allowed: &[&str]) {
    let obj = v.as_object().unwrap_or_else(|| panic!("{dto} is not an object: {v}"));
    for k in obj.keys() {
        assert!(allowed.contains(&k.as_str()), "{dto} has member {k:?}, which the RI's OpenAPI does not define");
    }
}

const REQUEST_ID_DTO: &[&str] = &["requestId", "status", "errorCode", "errorDescription", "data"];

fn decode(data: &Value) -> String {
    let raw =
        base64::engine::general_purpose::STANDARD.decode(data.as_str().expect("data is a string")).expect("base64");
    String::from_utf8(raw).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread")]
async fn entitlements_are_checked_when_principals_are_made() {
    for app in TestApp::all("entitlements_are_checked_when_principals_are_made").await {
        let make = |kind, details: Value| NewPrincipal {
            kind,
            name: "x".into(),
            public_keys: vec![],
            details: Some(details),
            token_expires_at: None,
        };
        let ok = create_principal(
            &app.store,
            make(PrincipalKind::Authority, json!({"country": "NL", "subsets": ["EU01", "identifier", "full"]})),
        )
        .await;
        assert!(ok.is_ok());
        for (kind, details, needle) in [
            (PrincipalKind::Authority, json!({"country": "NL", "subsets": ["eu01"]}), "unknown subset id \"eu01\""),
            (PrincipalKind::Authority, json!({"country": "NL", "subsets": "EU01"}), "must be an array"),
            (PrincipalKind::Authority, json!({"country": "NL", "subsets": [1]}), "subsets[0] is not a string"),
            (PrincipalKind::Platform, json!({"subsets": ["EU01"]}), "only an authority"),
        ] {
            match create_principal(&app.store, make(kind, details)).await {
                Err(PrincipalError::Invalid(m)) => assert!(m.contains(needle), "{m}"),
                other => panic!("expected refusal, got {other:?}"),
            }
        }
        // Over HTTP too.
        let body = json!({"kind": "authority", "name": "ILT", "details": {"country": "NL", "subsets": ["EU02"]}});
        let a = app.post("/v1/admin/principals", &app.admin, bytes(&body)).await;
        assert_eq!(a.status, StatusCode::CREATED);
        assert_eq!(a.json()["principal"]["details"]["subsets"], json!(["EU02"]));
        let body = json!({"kind": "authority", "name": "ILT", "details": {"country": "NL", "subsets": ["XX99"]}});
        let a = app.post("/v1/admin/principals", &app.admin, bytes(&body)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.problem(), "invalid-request");

        // Entitlements change; the next request is judged by the new list.
        let sender = app.party(1).await;
        let doc = issue("NL-ENT-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (ilt_id, ilt) = authority(&app, "ILT", &[]).await;
        let ask = || async { app.post("/v1/control/uil", &ilt, bytes(&uil_body(doc.id()))).await.json() };
        let r = ask().await;
        assert_eq!(r["errorCode"], "SUBSET_NOT_ALLOWED");
        assert!(r["errorDescription"].as_str().unwrap_or("").contains("nothing"), "{r}");
        let uri = format!("/v1/admin/principals/{ilt_id}/subsets");
        let a = app.call("PUT", &uri, Some(&app.admin), Some(bytes(&json!({"subsets": ["EU01"]})))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
        assert_eq!(a.json()["details"], json!({"country": "NL", "subsets": ["EU01"]}));
        assert_eq!(ask().await["status"], "COMPLETE");
        for (uri, token, body, status) in [
            (uri.clone(), &app.admin, json!({"subsets": ["EU1"]}), StatusCode::UNPROCESSABLE_ENTITY),
            (uri.clone(), &app.admin, json!({"subsets": "EU01"}), StatusCode::UNPROCESSABLE_ENTITY),
            (
                format!("/v1/admin/principals/{}/subsets", sender.id),
                &app.admin,
                json!({"subsets": []}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                format!("/v1/admin/principals/{}/subsets", uuid::Uuid::new_v4()),
                &app.admin,
                json!({"subsets": []}),
                StatusCode::NOT_FOUND,
            ),
            (uri.clone(), &ilt, json!({"subsets": ["full"]}), StatusCode::FORBIDDEN),
        ] {
            let a = app.call("PUT", &uri, Some(token), Some(bytes(&body))).await;
            assert_eq!(a.status, status, "{uri} {body}");
            a.problem();
        }
        assert_eq!(ask().await["status"], "COMPLETE", "refused changes leave the list as it was");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uil_query_answers_the_xml_of_the_requested_subsets() {
    for app in TestApp::all("uil_query_answers_the_xml_of_the_requested_subsets").await {
        let sender = app.party(1).await;
        let doc = issue("NL-UIL-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (_, ilt) = authority(&app, "ILT", &["EU01", "EU02"]).await;

        let a = app.post("/v1/control/uil", &ilt, bytes(&uil_body(doc.id()))).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&a.body));
        let r = a.json();
        assert_eq!(r["status"], "COMPLETE");
        assert!(r.get("errorCode").is_none());
        only_members(&r, "RequestIdDto", REQUEST_ID_DTO);
        let xml = decode(&r["data"]);
        let expected = ecmr::efti::to_xml(&doc, &Subsets::parse(["EU01"]).expect("subsets")).expect("xml");
        assert_eq!(xml, expected);
        assert!(xml.contains("http://efti.eu/v1/consignment/common"));

        // The same answer later, by request id; other authorities do not see it.
        let rid = r["requestId"].as_str().expect("requestId").to_owned();
        let again = app.get(&format!("/v1/control/uil?requestId={rid}"), &ilt).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.json(), r);
        let (_, other) = authority(&app, "Politie", &["full"]).await;
        let hidden = app.get(&format!("/v1/control/uil?requestId={rid}"), &other).await.json();
        assert_eq!(hidden["status"], "ERROR");
        assert_eq!(hidden["errorCode"], "ID_NOT_FOUND");
        let unknown = app.get("/v1/control/uil?requestId=nonsense", &ilt).await.json();
        assert_eq!(unknown["errorCode"], "ID_NOT_FOUND");
        assert_eq!(app.get("/v1/control/uil", &ilt).await.status, StatusCode::BAD_REQUEST);

        // Two subsets, and `subsetIds` as another name.
        let mut body = uil_body(doc.id());
        body["subsetId"] = json!(["EU01", "EU02"]);
        let two = decode(&app.post("/v1/control/uil", &ilt, bytes(&body)).await.json()["data"]);
        assert_eq!(two, ecmr::efti::to_xml(&doc, &Subsets::parse(["EU01", "EU02"]).expect("s")).expect("xml"));
        let mut body = uil_body(doc.id());
        body.as_object_mut().expect("object").remove("subsetId");
        body["subsetIds"] = json!(["EU02"]);
        assert_eq!(app.post("/v1/control/uil", &ilt, bytes(&body)).await.json()["status"], "COMPLETE");

        // Parties and admins are not authorities.
        for token in [&sender.token, &app.admin] {
            let a = app.post("/v1/control/uil", token, bytes(&uil_body(doc.id()))).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN);
            assert_eq!(a.problem(), "forbidden");
        }
        assert_eq!(
            app.call("POST", "/v1/control/uil", None, Some(b"{}".to_vec())).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uil_query_errors_carry_the_reference_error_codes() {
    for app in TestApp::all("uil_query_errors_carry_the_reference_error_codes").await {
        let sender = app.party(1).await;
        let doc = issue("NL-UIL-2", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (_, ilt) = authority(&app, "ILT", &["EU01"]).await;
        let id = doc.id().to_owned();
        let with = |key: &str, v: Value| {
            let mut b = uil_body(&id);
            if v.is_null() {
                b.as_object_mut().expect("object").remove(key);
            } else {
                b[key] = v;
            }
            b
        };
        let cases = [
            (with("gateId", Value::Null), "UIL_GATE_MISSING"),
            (with("gateId", json!("  ")), "UIL_GATE_MISSING"),
            (with("gateId", json!("g".repeat(256))), "UIL_GATE_TOO_LONG"),
            (with("gateId", json!("gate<1>")), "UIL_GATE_INCORRECT_FORMAT"),
            (with("gateId", json!(7)), "UIL_GATE_INCORRECT_FORMAT"),
            (with("platformId", Value::Null), "UIL_PLATFORM_MISSING"),
            (with("platformId", json!("p".repeat(256))), "UIL_PLATFORM_TOO_LONG"),
            (with("platformId", json!("plat;form")), "UIL_PLATFORM_INCORRECT_FORMAT"),
            (with("datasetId", Value::Null), "UIL_UUID_MISSING"),
            (with("datasetId", json!(format!("{id}0"))), "UIL_UUID_TOO_LONG"),
            (with("datasetId", json!("not-a-uuid")), "UIL_UUID_INCORRECT_FORMAT"),
            (with("subsetId", Value::Null), "SUBSET_ID_MISSING"),
            (with("subsetId", json!([])), "SUBSET_ID_MISSING"),
            (with("subsetId", json!(["EU99"])), "SUBSET_ID_INCORRECT"),
            (with("gateId", json!("other-gate")), "UIL_GATE_NOT_LOCAL"),
            (with("platformId", json!("other-platform")), "UIL_PLATFORM_NOT_LOCAL"),
            (with("datasetId", json!(uuid::Uuid::new_v4().to_string())), "DATA_NOT_FOUND"),
            (with("subsetId", json!(["EU02"])), "SUBSET_NOT_ALLOWED"),
            (with("subsetId", json!(["full"])), "SUBSET_NOT_ALLOWED"),
        ];
        for (body, code) in cases {
            let a = app.post("/v1/control/uil", &ilt, bytes(&body)).await;
            assert_eq!(a.status, StatusCode::ACCEPTED, "{code}");
            let r = a.json();
            assert_eq!(r["status"], "ERROR", "{code}: {r}");
            assert_eq!(r["errorCode"], code, "{r}");
            assert!(r["errorDescription"].as_str().is_some_and(|d| !d.is_empty()));
            assert!(r.get("data").is_none());
            only_members(&r, "RequestIdDto", REQUEST_ID_DTO);
            // Stored like any other answer.
            let rid = r["requestId"].as_str().expect("requestId");
            assert_eq!(app.get(&format!("/v1/control/uil?requestId={rid}"), &ilt).await.json(), r);
        }
        // Not JSON at all is a problem document.
        let a = app.post("/v1/control/uil", &ilt, b"{".to_vec()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.problem(), "malformed-json");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn authority_reads_are_audited_for_the_parties() {
    // At either durability: committed to the log (the default) or flushed before the answer.
    let mut apps = TestApp::all("authority_reads_are_audited_for_the_parties").await;
    let full = Config { control_durability: Durability::Full, ..Config::default() };
    apps.extend(TestApp::all_with("authority_reads_are_audited_for_the_parties_full", full).await);
    for app in apps {
        let sender = app.party(1).await;
        let doc = issue("NL-AUD-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (ilt_id, ilt) = authority(&app, "ILT", &["EU01"]).await;
        let ok = app.post("/v1/control/uil", &ilt, bytes(&uil_body(doc.id()))).await.json();
        let mut body = uil_body(doc.id());
        body["subsetId"] = json!(["EU03"]);
        let refused = app.post("/v1/control/uil", &ilt, bytes(&body)).await.json();
        assert_eq!(refused["errorCode"], "SUBSET_NOT_ALLOWED");
        assert!(refused["errorDescription"].as_str().unwrap_or("").contains("EU01"), "says what is allowed");
        let rid = ok["requestId"].as_str().expect("requestId");
        assert_eq!(app.get(&format!("/v1/control/uil?requestId={rid}"), &ilt).await.status, StatusCode::OK);

        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await;
        assert_eq!(log.status, StatusCode::OK);
        let entries = log.json();
        let efti: Vec<&Value> =
            entries.as_array().expect("array").iter().filter(|e| e["principal"]["kind"] == "authority").collect();
        assert_eq!(efti.len(), 3, "{entries}");
        assert_eq!(efti[0]["action"], "efti.uil.read");
        assert_eq!(efti[1]["action"], "efti.uil.refused");
        assert_eq!(efti[2]["action"], "efti.uil.read");
        let again = &efti[2]["details"];
        assert_eq!(again["outcome"], "COMPLETE (earlier answer)");
        assert_eq!(again["requestId"], ok["requestId"]);
        assert_eq!(efti[0]["principal"], json!({"id": ilt_id, "kind": "authority", "name": "ILT", "country": "NL"}));
        let reason = &efti[0]["details"];
        assert!(reason.get("authority").is_none(), "the principal is named once: {reason}");
        assert_eq!(reason["requestId"], ok["requestId"]);
        assert_eq!(reason["subsets"], json!(["EU01"]));
        assert_eq!(reason["outcome"], "COMPLETE");
        let reason = &efti[1]["details"];
        assert_eq!(reason["outcome"], "ERROR SUBSET_NOT_ALLOWED");
        assert_eq!(reason["requestId"], refused["requestId"]);
        assert!(efti.iter().all(|e| e["at"].is_string()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_read_answers_xml_or_the_signed_document() {
    for app in TestApp::all("direct_read_answers_xml_or_the_signed_document").await {
        let sender = app.party(1).await;
        let doc = issue("NL-DIR-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (_, limited) = authority(&app, "ILT", &["EU01", "identifier"]).await;
        let (_, full) = authority(&app, "KMar", &["full"]).await;
        let base = format!("/v1/uil/ecmr-gate/ecmr-platform/{}", doc.id());

        let a = app.get(&format!("{base}?subsetId=EU01"), &limited).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers["content-type"], "application/xml");
        let expected = ecmr::efti::to_xml(&doc, &Subsets::parse(["EU01"]).expect("s")).expect("xml");
        assert_eq!(String::from_utf8(a.body.clone()).expect("utf-8"), expected);
        let a = app.get(&format!("{base}?subsetId=identifier"), &limited).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&a.body).contains("http://efti.eu/v1/consignment/identifier"));
        // Repeated and comma-separated ids.
        let both = ecmr::efti::to_xml(&doc, &Subsets::parse(["EU01", "EU02"]).expect("s")).expect("xml");
        for q in ["subsetId=EU01,EU02", "subsetId=EU01&subsetId=EU02", "subsetId=EU01%2CEU02"] {
            let a = app.get(&format!("{base}?{q}"), &full).await;
            assert_eq!(String::from_utf8(a.body).expect("utf-8"), both, "{q}");
        }

        // The signed document, for an authority entitled to `full`; it verifies on its own.
        let json_read = |token: String| {
            let uri = base.clone();
            let app = &app;
            async move {
                let req = axum::http::Request::builder()
                    .uri(uri)
                    .header("authorization", format!("Bearer {token}"))
                    .header("accept", "application/json")
                    .body(axum::body::Body::empty())
                    .expect("request");
                let resp = tower::ServiceExt::oneshot(ecmr_gateway::app::router(app.state.clone()), req)
                    .await
                    .expect("infallible");
                let status = resp.status();
                let body = http_body_util::BodyExt::collect(resp.into_body()).await.expect("body").to_bytes();
                (status, body.to_vec())
            }
        };
        let (status, body) = json_read(full.clone()).await;
        assert_eq!(status, StatusCode::OK);
        let verified = ecmr::verify::verify(&body, None).expect("the signed document verifies");
        assert_eq!(verified.id(), doc.id());
        let (status, _) = json_read(limited.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        for (uri, token, status) in [
            (format!("{base}?subsetId=EU02"), &limited, StatusCode::FORBIDDEN),
            (base.clone(), &limited, StatusCode::BAD_REQUEST),
            (format!("{base}?subsetId=EU99"), &limited, StatusCode::BAD_REQUEST),
            (format!("{base}?other=1"), &limited, StatusCode::BAD_REQUEST),
            (format!("/v1/uil/other-gate/ecmr-platform/{}?subsetId=EU01", doc.id()), &limited, StatusCode::NOT_FOUND),
            (format!("/v1/uil/ecmr-gate/other/{}?subsetId=EU01", doc.id()), &limited, StatusCode::NOT_FOUND),
            (
                format!("/v1/uil/ecmr-gate/ecmr-platform/{}?subsetId=EU01", uuid::Uuid::new_v4()),
                &limited,
                StatusCode::NOT_FOUND,
            ),
            ("/v1/uil/ecmr-gate/ecmr-platform/nope?subsetId=EU01".to_owned(), &limited, StatusCode::NOT_FOUND),
            (format!("{base}?subsetId=EU01"), &sender.token, StatusCode::FORBIDDEN),
        ] {
            let a = app.get(&uri, token).await;
            assert_eq!(a.status, status, "{uri}: {}", String::from_utf8_lossy(&a.body));
            a.problem();
        }

        // Reads and the refusals are in the parties' audit log.
        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        let actions: Vec<&str> = log
            .as_array()
            .expect("array")
            .iter()
            .filter(|e| e["principal"]["kind"] == "authority")
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "efti.uil.read",
                "efti.uil.read",
                "efti.uil.read",
                "efti.uil.read",
                "efti.uil.read",
                "efti.document.read",
                "efti.uil.refused",
                "efti.uil.refused"
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_ups_reach_the_parties() {
    for app in TestApp::all("follow_ups_reach_the_parties").await {
        let sender = app.party(1).await;
        let stranger = app.party(9).await;
        let doc = issue("NL-FU-1", &sender.key, None);
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (ilt_id, ilt) = authority(&app, "ILT", &["EU01"]).await;
        let (_, other) = authority(&app, "Politie", &["EU01"]).await;
        let r = app.post("/v1/control/uil", &ilt, bytes(&uil_body(doc.id()))).await.json();
        let rid = r["requestId"].as_str().expect("requestId").to_owned();

        let body: Value = serde_json::from_str(&FOLLOW_UP.replace("{requestId}", &rid)).expect("fixture");
        let a = app.post("/v1/control/uil/follow-up", &ilt, bytes(&body)).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&a.body));
        assert_eq!(a.json(), json!({"message": "Note sent"}));
        only_members(&a.json(), "NoteResponseDto", &["message", "errorCode", "errorDescription"]);

        let list = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await;
        assert_eq!(list.status, StatusCode::OK);
        let items = list.json();
        assert_eq!(items.as_array().map(Vec::len), Some(1));
        assert_eq!(items[0]["message"], body["message"]);
        assert_eq!(items[0]["requestId"], rid);
        assert_eq!(items[0]["principal"], json!({"id": ilt_id, "kind": "authority", "name": "ILT", "country": "NL"}));
        assert_eq!(items[0]["documentId"], doc.id());
        let hidden = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &stranger.token).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &ilt).await.status,
            StatusCode::FORBIDDEN
        );

        let log = app.get(&format!("/v1/documents/{}/audit", doc.id()), &sender.token).await.json();
        assert!(log.as_array().expect("array").iter().any(|e| e["action"] == "efti.follow_up"));

        let failed = app.post("/v1/control/uil", &ilt, bytes(&json!({"gateId": "ecmr-gate"}))).await.json();
        for (body, code) in [
            (json!({"message": "x".repeat(256), "requestId": rid}), "NOTE_TOO_LONG"),
            (json!({"message": "hello", "requestId": uuid::Uuid::new_v4().to_string()}), "ID_NOT_FOUND"),
            (json!({"message": "hello", "requestId": "nonsense"}), "ID_NOT_FOUND"),
            (json!({"message": "hello"}), "ID_NOT_FOUND"),
            (json!({"message": "hello", "requestId": failed["requestId"]}), "ID_NOT_FOUND"),
            (json!({"requestId": rid}), "DEFAULT_ERROR"),
        ] {
            let a = app.post("/v1/control/uil/follow-up", &ilt, bytes(&body)).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{code}");
            assert_eq!(a.headers["content-type"], "application/json");
            let r = a.json();
            assert_eq!(r["errorCode"], code, "{r}");
            assert!(r["message"].is_string());
        }
        // Another authority cannot follow up this authority's request.
        let body: Value = serde_json::from_str(&FOLLOW_UP.replace("{requestId}", &rid)).expect("fixture");
        let a = app.post("/v1/control/uil/follow-up", &other, bytes(&body)).await;
        assert_eq!(a.json()["errorCode"], "ID_NOT_FOUND");
        let items = app.get(&format!("/v1/documents/{}/follow-ups", doc.id()), &sender.token).await.json();
        assert_eq!(items.as_array().map(Vec::len), Some(1));
    }
}

/// Two documents sharing the identifier 12-BXL-4: the domestic note's vehicle (NL, no dangerous goods, with a
/// carried container CONT-77) and the ADR note's carried equipment (BE, dangerous goods).
async fn search_fixture(app: &TestApp) -> (common::Party, String, String) {
    let sender = app.party(1).await;
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    let mut a = common::note("NL-S-1", None);
    a["transport"]["equipment"][0]["carried"] = json!([{"id": "CONT-77"}]);
    let a = ecmr::sign::issue_value(uuid::Uuid::new_v4(), a, at, &sender.key).expect("issue a");
    let mut b: Value = serde_json::from_str(ADR_NOTE).expect("adr note");
    b["number"] = json!("NL-S-2");
    b["transport"]["equipment"][0]["carried"] = json!([{"id": "12-BXL-4"}]);
    // The ADR note's sender is the test sender's company, as the party directory knows it.
    common::as_party(&mut b["sender"], 1);
    let b = ecmr::sign::issue_value(uuid::Uuid::new_v4(), b, at, &sender.key).expect("issue b");
    for d in [&a, &b] {
        let r = app.post("/v1/documents", &sender.token, d.bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    }
    (sender, a.id().to_owned(), b.id().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn identifier_search_matches_and_filters_as_the_reference() {
    for app in TestApp::all("identifier_search_matches_and_filters_as_the_reference").await {
        let (sender, a, b) = search_fixture(&app).await;
        let (_, ilt) = authority(&app, "ILT", &["identifier"]).await;
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"identifier": "12bxl4"}), vec![a.as_str(), b.as_str()]),
            (json!({"identifier": "12BXL4", "identifierType": []}), vec![a.as_str(), b.as_str()]),
            (json!({"identifier": "12Bxl4", "identifierType": ["means"]}), vec![a.as_str()]),
            (json!({"identifier": "12bxl4", "identifierType": ["carried"]}), vec![b.as_str()]),
            (json!({"identifier": "12bxl4", "identifierType": ["equipment"]}), vec![]),
            (json!({"identifier": "12bxl4", "identifierType": ["equipment", "carried"]}), vec![b.as_str()]),
            // The country filters a means or equipment; carried equipment has no country of its own and is found
            // whatever country is asked for, as the reference implementation finds it.
            (json!({"identifier": "12bxl4", "registrationCountryCode": "NL"}), vec![a.as_str(), b.as_str()]),
            (json!({"identifier": "12bxl4", "registrationCountryCode": "BE"}), vec![b.as_str()]),
            (json!({"identifier": "12bxl4", "identifierType": ["means"], "registrationCountryCode": "BE"}), vec![]),
            (json!({"identifier": "12 BXL-4", "identifierType": ["means"]}), vec![a.as_str()]),
            (
                json!({"identifier": "12.bxl.4", "identifierType": ["carried"], "registrationCountryCode": "CA"}),
                vec![b.as_str()],
            ),
            (json!({"identifier": "2adr417", "registrationCountryCode": "BE"}), vec![b.as_str()]),
            (json!({"identifier": "12bxl4", "modeCode": "3"}), vec![a.as_str(), b.as_str()]),
            (json!({"identifier": "12bxl4", "modeCode": "1"}), vec![]),
            (json!({"identifier": "12bxl4", "dangerousGoodsIndicator": true}), vec![b.as_str()]),
            (json!({"identifier": "12bxl4", "dangerousGoodsIndicator": false}), vec![a.as_str()]),
            (json!({"identifier": "or12kl", "identifierType": ["equipment"]}), vec![a.as_str()]),
            (json!({"identifier": "cont77", "identifierType": ["carried"]}), vec![a.as_str()]),
            (json!({"identifier": "cont77", "identifierType": ["means"]}), vec![]),
            (json!({"identifier": "UNKNOWN1"}), vec![]),
            (json!({"identifier": "A".repeat(17)}), vec![]),
        ];
        for (body, expected) in cases {
            let r = app.post("/v1/control/identifiers", &ilt, bytes(&body)).await;
            assert_eq!(r.status, StatusCode::OK);
            let r = r.json();
            assert_eq!(r["status"], "COMPLETE", "{body}: {r}");
            let mut got: Vec<&str> =
                r["identifiers"].as_array().expect("array").iter().filter_map(|c| c["datasetId"].as_str()).collect();
            got.sort_unstable();
            let mut want = expected.clone();
            want.sort_unstable();
            assert_eq!(got, want, "{body}");
        }

        // The RI body as its OpenAPI gives it, and the shape of the answer.
        let body: Value = serde_json::from_str(IDENTIFIERS_REQUEST).expect("fixture");
        let r = app.post("/v1/control/identifiers", &ilt, bytes(&body)).await.json();
        assert_eq!(r["status"], "COMPLETE");
        only_members(
            &r,
            "IdentifiersResponseDto",
            &["eFTIGate", "requestId", "status", "errorCode", "errorDescription", "identifiers"],
        );
        let found = &r["identifiers"][0];
        only_members(
            found,
            "ConsignmentApiDto",
            &[
                "platformId",
                "datasetId",
                "gateId",
                "carrierAcceptanceDatetime",
                "deliveryEventActualOccurrenceDatetime",
                "mainCarriageTransportMovement",
                "usedTransportEquipment",
            ],
        );
        only_members(
            &found["mainCarriageTransportMovement"][0],
            "MainCarriageTransportMovementApiDto",
            &["id", "schemeAgencyId", "modeCode", "dangerousGoodsIndicator", "registrationCountryCode"],
        );
        only_members(
            &found["usedTransportEquipment"][0],
            "UsedTransportEquipmentApiDto",
            &[
                "id",
                "sequenceNumber",
                "schemeAgencyId",
                "registrationCountry",
                "categoryCode",
                "carriedTransportEquipment",
            ],
        );
        assert_eq!(found["gateId"], "ecmr-gate");
        assert_eq!(found["platformId"], "ecmr-platform");
        assert_eq!(found["datasetId"], a.as_str());
        assert_eq!(
            found["mainCarriageTransportMovement"],
            json!([{"id": "12-BXL-4", "modeCode": 3, "dangerousGoodsIndicator": false, "registrationCountryCode": "NL"}])
        );
        assert_eq!(
            found["usedTransportEquipment"],
            json!([{"id": "OR-12-KL", "sequenceNumber": 1, "registrationCountry": "NL", "categoryCode": "TE",
                    "carriedTransportEquipment": [{"id": "CONT-77", "sequenceNumber": 1}]}])
        );
        let rid = r["requestId"].as_str().expect("requestId");
        assert_eq!(app.get(&format!("/v1/control/identifiers?requestId={rid}"), &ilt).await.json(), r);
        let (_, other) = authority(&app, "Politie", &[]).await;
        assert_eq!(
            app.get(&format!("/v1/control/identifiers?requestId={rid}"), &other).await.json()["errorCode"],
            "ID_NOT_FOUND"
        );

        // Each hit is in the document's audit log.
        let log = app.get(&format!("/v1/documents/{a}/audit"), &sender.token).await.json();
        let hits: Vec<&Value> =
            log.as_array().expect("array").iter().filter(|e| e["action"] == "efti.identifier.hit").collect();
        assert_eq!(hits.len(), 10, "{log}");
        let reason = &hits[0]["details"];
        assert_eq!(reason["identifier"], "12BXL4");
        assert_eq!(hits[0]["principal"]["name"], "ILT");
        assert!(reason["requestId"].is_string());

        // Request errors, with the RI's codes.
        for (body, code) in [
            (json!({}), "IDENTIFIER_MISSING"),
            (json!({"identifier": ""}), "IDENTIFIER_MISSING"),
            (json!({"identifier": "12_BXL_4"}), "IDENTIFIER_INCORRECT_FORMAT"),
            (json!({"identifier": "12/BXL/4"}), "IDENTIFIER_INCORRECT_FORMAT"),
            (json!({"identifier": " - . "}), "IDENTIFIER_MISSING"),
            (json!({"identifier": "A".repeat(18)}), "IDENTIFIER_TOO_LONG"),
            (json!({"identifier": " "}), "IDENTIFIER_MISSING"),
            (json!({"identifier": "ABC", "identifierType": ["vehicle"]}), "IDENTIFIER_TYPE_INCORRECT"),
            (json!({"identifier": "ABC", "modeCode": "31"}), "MODE_CODE_INCORRECT_FORMAT"),
            (json!({"identifier": "ABC", "modeCode": "x"}), "MODE_CODE_INCORRECT_FORMAT"),
            (json!({"identifier": "ABC", "registrationCountryCode": "XX"}), "REGISTRATION_COUNTRY_INCORRECT"),
            (json!({"identifier": "ABC", "eftiGateIndicator": ["nl"]}), "GATE_INDICATOR_INCORRECT"),
        ] {
            let r = app.post("/v1/control/identifiers", &ilt, bytes(&body)).await.json();
            assert_eq!(r["status"], "ERROR", "{body}");
            assert_eq!(r["errorCode"], code, "{body}: {r}");
            assert_eq!(r["identifiers"], json!([]));
        }
        let party = app.party(9).await;
        let a = app.post("/v1/control/identifiers", &party.token, bytes(&json!({"identifier": "ABC"}))).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn identifier_lookup_uses_the_index() {
    let (_store, path) = common::sqlite_store().await;
    use sqlx::Connection as _;
    let conn = rusqlite::Connection::open(&path).expect("connect");
    let mut plan = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT DISTINCT document_id FROM identifiers WHERE value = ?1 AND kind IN ('vehicle') \
             AND mode_code = '3' ORDER BY document_id LIMIT 100",
        )
        .expect("plan");
    let plan: Vec<String> =
        plan.query_map(["12BXL4"], |r| r.get(3)).expect("plan").collect::<Result<_, _>>().expect("plan");
    let text: Vec<&str> = plan.iter().map(String::as_str).collect();
    assert!(text.iter().any(|l| l.contains("USING INDEX identifiers_by_value")), "{text:?}");
    assert!(!text.iter().any(|l| l.starts_with("SCAN identifiers")), "{text:?}");

    if let Some(url) = common::postgres_url() {
        let options = common::postgres_schema(&url).await;
        let store = ecmr_gateway::store::postgres::PgStore::connect_with(options.clone()).await.expect("pg");
        drop(store);
        let mut pg = sqlx::PgConnection::connect_with(&options).await.expect("connect");
        sqlx::query("SET enable_seqscan = off").execute(&mut pg).await.expect("set");
        let rows: Vec<(String,)> = sqlx::query_as(
            "EXPLAIN SELECT DISTINCT document_id FROM identifiers WHERE value = $1 AND kind IN ('vehicle') \
             ORDER BY document_id LIMIT 100",
        )
        .bind("12BXL4")
        .fetch_all(&mut pg)
        .await
        .expect("plan");
        let text: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        assert!(text.iter().any(|l| l.contains("identifiers_by_value")), "{text:?}");
    }
}

/// A request, a follow-up on it, and attempts to rewrite the follow-up, straight on a store.
async fn control_store_round_trip(store: &ecmr_gateway::store::Store) -> (uuid::Uuid, uuid::Uuid) {
    use ecmr_gateway::store::{ControlRequest, FollowUp, now};
    let app = TestApp::new(store.clone()).await;
    let sender = app.party(1).await;
    let doc = issue("NL-ST-1", &sender.key, None);
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let (who, _) = authority(&app, "ILT", &["EU01"]).await;
    let doc_id = uuid::Uuid::parse_str(doc.id()).expect("uuid");
    let request = ControlRequest {
        id: uuid::Uuid::new_v4(),
        kind: "uil".into(),
        principal_id: who,
        document_id: Some(doc_id),
        subsets: "EU01,EU02".into(),
        status: "COMPLETE".into(),
        error_code: None,
        error_description: None,
        data: Some("PHg+PC94Pg==".into()),
        answered_seq: None,
        created_at: now(),
    };
    store.control.put_request(&request).await.expect("put");
    assert_eq!(store.control.get_request(request.id).await.expect("get"), Some(request.clone()));
    // An answer recorded by the seq it was given from, not stored.
    let by_seq = ControlRequest { id: uuid::Uuid::now_v7(), data: None, answered_seq: Some(0), ..request.clone() };
    store.control.put_request(&by_seq).await.expect("put");
    assert_eq!(store.control.get_request(by_seq.id).await.expect("get"), Some(by_seq));
    assert_eq!(store.control.get_request(uuid::Uuid::new_v4()).await.expect("get"), None);
    assert!(store.control.put_request(&request).await.is_err(), "request ids are unique");
    let mut bad = request.clone();
    bad.id = uuid::Uuid::new_v4();
    bad.status = "DONE".into();
    assert!(store.control.put_request(&bad).await.is_err(), "the schema knows the RI statuses only");

    for message in ["first", "second"] {
        let f = FollowUp {
            request_id: request.id,
            document_id: doc_id,
            principal_id: who,
            message: message.into(),
            at: now(),
        };
        store.control.add_follow_up(&f).await.expect("follow-up");
    }
    let got = store.control.follow_ups(doc_id).await.expect("list");
    assert_eq!(got.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(), ["first", "second"]);
    assert!(store.control.follow_ups(uuid::Uuid::new_v4()).await.expect("list").is_empty());
    let orphan = FollowUp {
        request_id: uuid::Uuid::new_v4(),
        document_id: doc_id,
        principal_id: who,
        message: "x".into(),
        at: now(),
    };
    assert!(store.control.add_follow_up(&orphan).await.is_err(), "a follow-up needs its request");
    (doc_id, who)
}

#[tokio::test(flavor = "multi_thread")]
async fn control_store_keeps_requests_and_append_only_follow_ups() {
    use sqlx::Connection as _;
    let (store, path) = common::sqlite_store().await;
    control_store_round_trip(&store).await;
    store.close().await;
    let conn = rusqlite::Connection::open(&path).expect("connect");
    for sql in ["UPDATE follow_ups SET message = 'rewritten'", "DELETE FROM follow_ups"] {
        assert!(conn.execute(sql, []).is_err(), "sqlite: {sql}");
    }

    if let Some(url) = common::postgres_url() {
        let options = common::postgres_schema(&url).await;
        let pg = ecmr_gateway::store::Store::new(std::sync::Arc::new(
            ecmr_gateway::store::postgres::PgStore::connect_with(options.clone()).await.expect("pg"),
        ));
        control_store_round_trip(&pg).await;
        pg.close().await;
        let mut conn = sqlx::PgConnection::connect_with(&options).await.expect("connect");
        for sql in ["UPDATE follow_ups SET message = 'rewritten'", "DELETE FROM follow_ups"] {
            assert!(sqlx::query(sql).execute(&mut conn).await.is_err(), "pg: {sql}");
        }
    } else {
        println!("control_store_keeps_requests_and_append_only_follow_ups: postgres skipped");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_authority_route_needs_a_token() {
    for app in TestApp::all("every_authority_route_needs_a_token").await {
        let id = uuid::Uuid::new_v4();
        for (method, uri) in [
            ("POST", "/v1/control/uil".to_owned()),
            ("GET", format!("/v1/control/uil?requestId={id}")),
            ("POST", "/v1/control/uil/follow-up".to_owned()),
            ("POST", "/v1/control/identifiers".to_owned()),
            ("GET", format!("/v1/control/identifiers?requestId={id}")),
            ("GET", format!("/v1/uil/ecmr-gate/ecmr-platform/{id}?subsetId=EU01")),
            ("GET", format!("/v1/documents/{id}/follow-ups")),
            ("PUT", format!("/v1/admin/principals/{id}/subsets")),
        ] {
            for token in [None, Some("ecmr_not-a-real-token")] {
                let a = app.call(method, &uri, token, Some(b"{}".to_vec())).await;
                assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {uri} {token:?}");
                assert_eq!(a.problem(), "unauthenticated");
            }
        }
    }
}

/// The eFTI answers follow the document to its latest event: the UIL answer of every subset equals the projection
/// of the signed document, search results carry the take-over time, and an amendment that changes the vehicle
/// moves the document in the roadside index.
#[tokio::test(flavor = "multi_thread")]
async fn answers_follow_the_latest_event() {
    for app in TestApp::all("answers_follow_the_latest_event").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let issued = issue("NL-LATEST-1", &sender.key, Some(&carrier.key));
        assert_eq!(app.post("/v1/documents", &sender.token, issued.bytes().to_vec()).await.status, StatusCode::CREATED);
        let (_, full) = authority(&app, "KMar", &["full"]).await;
        let search = |id: &str| json!({"identifier": id, "identifierType": ["means"]});
        let found = app.post("/v1/control/identifiers", &full, bytes(&search("12BXL4"))).await.json();
        assert_eq!(found["identifiers"].as_array().map(Vec::len), Some(1), "{found}");
        assert!(found["identifiers"][0].get("carrierAcceptanceDatetime").is_none(), "not taken over yet: {found}");
        // Answers given now, asked for again by request id after the document has moved on (below).
        let mut earlier = Vec::new();
        for ids in [&["full"][..], &["EU01", "EU02"]] {
            let mut body = uil_body(issued.id());
            body["subsetId"] = json!(ids);
            let a = app.post("/v1/control/uil", &full, bytes(&body)).await.json();
            let expected =
                ecmr::efti::to_xml(&issued, &Subsets::parse(ids.iter().copied()).expect("ids")).expect("xml");
            assert_eq!(decode(&a["data"]), expected, "{}: {ids:?}", app.backend());
            earlier.push(a);
        }

        let taken = common::take_over(&issued, &carrier.key);
        let uri = format!("/v1/documents/{}/events", issued.id());
        let r = app.post(&uri, &carrier.token, common::last_event(&taken)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
        let at = "2026-11-28T07:00:00Z".parse().expect("time");
        let patch = json!({"transport": {"vehicles": [{"registration": "ZZ-999-Z", "country": "BE"}]}});
        let amended = taken.amend(patch, "tractor replaced after a breakdown", at, &sender.key).expect("amend");
        let r = app.post(&uri, &sender.token, common::last_event(&amended)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));

        // Every subset answered equals the projection of the signed document as it now stands.
        for ids in [&["full"][..], &["identifier"], &["EU01"], &["EU02", "EU05a"], &["EU06"]] {
            let mut body = uil_body(amended.id());
            body["subsetId"] = json!(ids);
            let a = app.post("/v1/control/uil", &full, bytes(&body)).await.json();
            assert_eq!(a["status"], "COMPLETE", "{a}");
            let expected =
                ecmr::efti::to_xml(&amended, &Subsets::parse(ids.iter().copied()).expect("ids")).expect("xml");
            assert_eq!(decode(&a["data"]), expected, "{}: {ids:?}", app.backend());
            let direct = app
                .get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{}?subsetId={}", amended.id(), ids.join(",")), &full)
                .await;
            assert_eq!(String::from_utf8_lossy(&direct.body), expected, "{}: direct {ids:?}", app.backend());
        }

        // An earlier request is answered as it was, from the document as it stood then.
        for a in &earlier {
            let rid = a["requestId"].as_str().expect("requestId");
            let again = app.get(&format!("/v1/control/uil?requestId={rid}"), &full).await.json();
            assert_eq!(&again, a, "{}: the earlier answer, not the current dataset", app.backend());
        }

        // The roadside index follows the amendment; the result says when the carrier took the goods over.
        let old = app.post("/v1/control/identifiers", &full, bytes(&search("12BXL4"))).await.json();
        assert_eq!(old["identifiers"], json!([]), "{}: the replaced vehicle no longer finds it", app.backend());
        let new = app.post("/v1/control/identifiers", &full, bytes(&search("zz999Z"))).await.json();
        let hit = &new["identifiers"][0];
        assert_eq!(hit["datasetId"], amended.id(), "{new}");
        assert_eq!(hit["mainCarriageTransportMovement"][0]["id"], "ZZ-999-Z");
        assert_eq!(hit["mainCarriageTransportMovement"][0]["registrationCountryCode"], "BE");
        let projected = ecmr::efti::identifiers::from_document(&amended).expect("projects");
        let accepted = projected.carrier_acceptance_date_time.and_then(|t| t.to_rfc3339()).expect("taken over");
        assert_eq!(hit["carrierAcceptanceDatetime"], accepted.as_str());
        assert!(hit.get("deliveryEventActualOccurrenceDatetime").is_none(), "not delivered: {hit}");
        only_members(
            hit,
            "ConsignmentApiDto",
            &[
                "gateId",
                "platformId",
                "datasetId",
                "carrierAcceptanceDatetime",
                "deliveryEventActualOccurrenceDatetime",
                "mainCarriageTransportMovement",
                "usedTransportEquipment",
            ],
        );
    }
}

/// Documents stored without an eFTI dataset (before the column existed) or with one that no longer reads are
/// verified and projected again: the answers are the same.
#[tokio::test(flavor = "multi_thread")]
async fn documents_without_a_stored_dataset_are_projected_again() {
    let (store, path) = common::sqlite_store().await;
    let app = TestApp::new(store).await;
    let sender = app.party(1).await;
    let doc = issue("NL-OLD-1", &sender.key, None);
    assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
    let (_, full) = authority(&app, "ILT", &["full"]).await;
    let raw = rusqlite::Connection::open(&path).expect("open");
    raw.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    for stored in [None, Some("<consignment xmlns=\"http://efti.eu/v1/consignment/common\"><bogus/></consignment>")] {
        raw.execute(
            "UPDATE documents SET efti_xml = ?1 WHERE id = ?2",
            rusqlite::params![stored, doc.id().to_string()],
        )
        .expect("update");
        for ids in [&["full"][..], &["EU01"]] {
            let mut body = uil_body(doc.id());
            body["subsetId"] = json!(ids);
            let a = app.post("/v1/control/uil", &full, bytes(&body)).await.json();
            let expected = ecmr::efti::to_xml(&doc, &Subsets::parse(ids.iter().copied()).expect("ids")).expect("xml");
            assert_eq!(decode(&a["data"]), expected, "{stored:?} {ids:?}");
        }
        let r = app.post("/v1/control/identifiers", &full, bytes(&json!({"identifier": "12bxl4"}))).await.json();
        assert_eq!(r["identifiers"][0]["datasetId"], doc.id(), "{stored:?}: {r}");
    }
    drop(raw);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_answers_keep_the_seconds_of_the_signed_times() {
    for app in TestApp::all("search_answers_keep_the_seconds").await {
        let sender = app.party(1).await;
        let carrier = app.party(2).await;
        let doc = issue("NL-SECONDS-1", &sender.key, Some(&carrier.key));
        assert_eq!(app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await.status, StatusCode::CREATED);
        let data = serde_json::from_value(json!({
            "place": {"address": {"city": "Tilburg", "country": "NL"}},
            "time": "2026-11-28T04:43:27+01:00"
        }))
        .expect("take-over data");
        let taken =
            doc.take_over(data, "2026-11-28T03:44:00Z".parse().expect("time"), &carrier.key).expect("take over");
        let uri = format!("/v1/documents/{}/events", doc.id());
        assert_eq!(app.post(&uri, &carrier.token, common::last_event(&taken)).await.status, StatusCode::CREATED);
        let (_, ilt) = authority(&app, "ILT", &["identifier"]).await;
        let r = app.post("/v1/control/identifiers", &ilt, bytes(&json!({"identifier": "12 BXL 4"}))).await.json();
        let hit = r["identifiers"].as_array().expect("hits").iter().find(|h| h["datasetId"] == doc.id()).cloned();
        let hit = hit.unwrap_or_else(|| panic!("found: {r}"));
        assert_eq!(hit["carrierAcceptanceDatetime"], "2026-11-28T04:43:27+01:00", "{hit}");
        // The stored answer, asked for again, is the same.
        let rid = r["requestId"].as_str().expect("requestId");
        let again = app.get(&format!("/v1/control/identifiers?requestId={rid}"), &ilt).await.json();
        assert_eq!(again["identifiers"], r["identifiers"]);
        app.check_audit().await;
    }
}
