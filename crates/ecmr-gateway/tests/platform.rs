//! The eFTI platform API: external platforms register identifier datasets, which the authority identifier search
//! then finds, on every backend.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use ecmr::efti::identifiers;
use ecmr::efti::search::{IdentifierQuery, IdentifierType, index_keys, matches};
use ecmr_gateway::service::principals::{NewPrincipal, create_principal};
use ecmr_gateway::store::PrincipalKind;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd/examples");
const INVALID: &str = include_str!("fixtures/platform/invalid-identifiers.xml");
const LEGS: [&str; 4] = ["one-leg", "two-legs", "three-legs", "four-legs"];

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{EXAMPLES}/consignment-identifiers-{name}.xml")).expect("RI example")
}

async fn principal(app: &TestApp, kind: PrincipalKind, name: &str, details: Value) -> String {
    app.principal(kind, name, details).await.1
}

async fn platform(app: &TestApp, platform_id: &str) -> String {
    principal(app, PrincipalKind::Platform, platform_id, json!({ "platformId": platform_id })).await
}

async fn authority(app: &TestApp) -> String {
    principal(app, PrincipalKind::Authority, "ILT", json!({"country": "NL", "subsets": ["full"]})).await
}

async fn put(app: &TestApp, token: &str, dataset: &str, xml: &str) -> common::Answer {
    app.call("PUT", &format!("/api/platform/v0/consignments/{dataset}"), Some(token), Some(xml.as_bytes().to_vec()))
        .await
}

/// The datasets (platform/dataset) a search finds.
async fn search(app: &TestApp, token: &str, body: Value) -> Vec<String> {
    let r = app.post("/v1/control/identifiers", token, serde_json::to_vec(&body).expect("json")).await.json();
    assert_eq!(r["status"], "COMPLETE", "{r}");
    let mut out: Vec<String> = r["identifiers"]
        .as_array()
        .expect("identifiers")
        .iter()
        .map(|c| {
            assert_eq!(c["gateId"], "ecmr-gate");
            format!("{}/{}", c["platformId"].as_str().unwrap_or(""), c["datasetId"].as_str().unwrap_or(""))
        })
        .collect();
    out.sort();
    out
}

fn body_of(q: &IdentifierQuery) -> Value {
    let mut b = json!({ "identifier": q.identifier });
    if !q.identifier_types.is_empty() {
        b["identifierType"] = json!(q.identifier_types.iter().map(|t| t.as_str()).collect::<Vec<_>>());
    }
    if let Some(m) = &q.mode_code {
        b["modeCode"] = json!(m);
    }
    if let Some(c) = &q.registration_country_code {
        b["registrationCountryCode"] = json!(c);
    }
    if let Some(d) = q.dangerous_goods_indicator {
        b["dangerousGoodsIndicator"] = json!(d);
    }
    b
}

/// Every query variant for one identifier: case, each type, country, mode and dangerous-goods filters.
fn variants(identifier: &str) -> Vec<IdentifierQuery> {
    let mut out = Vec::new();
    for id in [identifier.to_ascii_uppercase(), identifier.to_ascii_lowercase()] {
        out.push(IdentifierQuery::new(id.clone()));
        for t in IdentifierType::ALL {
            let mut q = IdentifierQuery::new(id.clone());
            q.identifier_types = vec![t];
            out.push(q);
        }
        for c in ["FI", "DE"] {
            let mut q = IdentifierQuery::new(id.clone());
            q.registration_country_code = Some(c.into());
            out.push(q);
        }
        for m in ["3", "4", "1"] {
            let mut q = IdentifierQuery::new(id.clone());
            q.mode_code = Some(m.into());
            out.push(q);
        }
        for d in [true, false] {
            let mut q = IdentifierQuery::new(id.clone());
            q.dangerous_goods_indicator = Some(d);
            out.push(q);
            let mut q = IdentifierQuery::new(id.clone());
            q.dangerous_goods_indicator = Some(d);
            q.mode_code = Some("4".into());
            q.identifier_types = vec![IdentifierType::Means];
            out.push(q);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ri_example_registers_and_is_found_as_the_library_matches() {
    for app in TestApp::all("platform_examples").await {
        let acme = platform(&app, "acme-platform").await;
        let ilt = authority(&app).await;
        let mut datasets = Vec::new();
        for name in LEGS {
            let xml = example(name);
            let r = put(&app, &acme, name, &xml).await;
            assert_eq!(r.status, StatusCode::OK, "{name} on {}: {}", app.backend(), String::from_utf8_lossy(&r.body));
            datasets.push((format!("acme-platform/{name}"), identifiers::parse(&xml).expect("example parses")));
        }
        let mut checked = 0;
        let mut found_any = 0;
        for (_, c) in &datasets {
            for key in index_keys(c) {
                for q in variants(&key.identifier) {
                    let mut want: Vec<String> =
                        datasets.iter().filter(|(_, c)| matches(c, &q)).map(|(d, _)| d.clone()).collect();
                    want.sort();
                    let got = search(&app, &ilt, body_of(&q)).await;
                    assert_eq!(got, want, "{q:?} on {}", app.backend());
                    checked += 1;
                    found_any += usize::from(!got.is_empty());
                }
            }
        }
        assert!(checked > 300 && found_any > 100 && found_any < checked, "{checked} queries, {found_any} found");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn searches_find_registered_datasets_with_their_platform() {
    for app in TestApp::all("platform_search").await {
        let acme = platform(&app, "acme-platform").await;
        let ilt = authority(&app).await;
        assert_eq!(put(&app, &acme, "ds-3", &example("three-legs")).await.status, StatusCode::OK);
        let cases: &[(Value, &[&str])] = &[
            (json!({"identifier": "bb12"}), &["acme-platform/ds-3"]),
            (json!({"identifier": "BB12", "identifierType": ["equipment"]}), &[]),
            (json!({"identifier": "abc123", "modeCode": "4"}), &[]),
            (
                json!({"identifier": "abc123", "modeCode": "3", "registrationCountryCode": "FI"}),
                &["acme-platform/ds-3"],
            ),
            (json!({"identifier": "ABC123", "registrationCountryCode": "SE"}), &[]),
            (json!({"identifier": "BB12", "dangerousGoodsIndicator": true}), &["acme-platform/ds-3"]),
            (json!({"identifier": "ABC124", "dangerousGoodsIndicator": true}), &[]),
            (json!({"identifier": "12341", "identifierType": ["carried"]}), &["acme-platform/ds-3"]),
            (json!({"identifier": "12341", "identifierType": ["means", "equipment"]}), &[]),
            (
                json!({"identifier": "XYZ123", "identifierType": ["equipment"], "registrationCountryCode": "FI"}),
                &["acme-platform/ds-3"],
            ),
            (json!({"identifier": "NOPE1"}), &[]),
        ];
        for (body, want) in cases {
            assert_eq!(search(&app, &ilt, body.clone()).await, *want, "{body} on {}", app.backend());
        }
        // The result carries the registered identifiers.
        let r = app.post("/v1/control/identifiers", &ilt, br#"{"identifier":"BB12"}"#.to_vec()).await.json();
        let found = &r["identifiers"][0];
        assert_eq!(found["datasetId"], "ds-3");
        let means = found["mainCarriageTransportMovement"].as_array().expect("means");
        assert!(
            means.iter().any(|m| m
                == &json!({"id": "BB12", "modeCode": 4, "dangerousGoodsIndicator": true,
            "registrationCountryCode": "FI"})),
            "{found}"
        );
        assert_eq!(found["usedTransportEquipment"].as_array().map(Vec::len), Some(2), "{found}");
        // A UIL query for the external dataset says it is not fetched from platforms.
        let uil = json!({"gateId": "ecmr-gate", "platformId": "acme-platform", "datasetId": uuid::Uuid::new_v4(), "subsetId": ["full"]});
        let r = app.post("/v1/control/uil", &ilt, serde_json::to_vec(&uil).expect("json")).await.json();
        assert_eq!(r["status"], "ERROR");
        assert_eq!(r["errorCode"], "UIL_PLATFORM_NOT_LOCAL", "{r}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn re_put_replaces_and_platforms_are_kept_apart() {
    for app in TestApp::all("platform_replace").await {
        let acme = platform(&app, "acme-platform").await;
        let other = platform(&app, "other-platform").await;
        let ilt = authority(&app).await;
        assert_eq!(put(&app, &acme, "ds", &example("four-legs")).await.status, StatusCode::OK);
        assert_eq!(put(&app, &other, "ds", &example("one-leg")).await.status, StatusCode::OK);
        assert_eq!(
            search(&app, &ilt, json!({"identifier": "ABC123"})).await,
            ["acme-platform/ds", "other-platform/ds"]
        );
        assert_eq!(search(&app, &ilt, json!({"identifier": "BB12"})).await, ["acme-platform/ds"]);
        // Replacing with a dataset without BB12 removes its rows; the other platform's dataset is untouched.
        assert_eq!(put(&app, &acme, "ds", &example("two-legs")).await.status, StatusCode::OK);
        assert!(search(&app, &ilt, json!({"identifier": "BB12"})).await.is_empty());
        assert_eq!(search(&app, &ilt, json!({"identifier": "ABC124"})).await, ["acme-platform/ds"]);
        assert_eq!(
            search(&app, &ilt, json!({"identifier": "ABC123"})).await,
            ["acme-platform/ds", "other-platform/ds"]
        );
        // A refused re-PUT leaves the stored dataset as it was.
        assert_eq!(put(&app, &acme, "ds", INVALID).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(search(&app, &ilt, json!({"identifier": "ABC124"})).await, ["acme-platform/ds"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_datasets_are_problem_xml_with_the_position() {
    for app in TestApp::all("platform_invalid").await {
        let acme = platform(&app, "acme-platform").await;
        let r = put(&app, &acme, "bad", INVALID).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+xml"));
        let body = String::from_utf8_lossy(&r.body).into_owned();
        let expected = identifiers::parse(INVALID).expect_err("fixture is invalid");
        assert!(body.contains("<problem xmlns=\"urn:ietf:rfc:7807\">"), "{body}");
        assert!(body.contains("<status>400</status>"), "{body}");
        assert!(body.contains(&format!("<line>{}</line>", expected.line)), "{body}");
        assert!(body.contains(&format!("<column>{}</column>", expected.column)), "{body}");
        assert!(body.contains(&format!("<path>{}</path>", expected.path)), "{body}");
        assert!(expected.path.contains("registrationCountry"), "{expected:?}");
        for (bad, what) in [
            (&b"<consignment"[..], "not well-formed"),
            (b"<consignment xmlns=\"urn:other\"/>", "wrong namespace"),
            (b"\xff\xfe", "not UTF-8"),
            (b"", "empty"),
        ] {
            let r = app.call("PUT", "/api/platform/v0/consignments/bad", Some(&acme), Some(bad.to_vec())).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}");
            assert_eq!(
                r.headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/problem+xml"),
                "{what}"
            );
        }
        let long = "d".repeat(256);
        assert_eq!(put(&app, &acme, &long, &example("one-leg")).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(put(&app, &acme, "a;b", &example("one-leg")).await.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_platforms_with_a_platform_id_may_register() {
    for app in TestApp::all("platform_kinds").await {
        let xml = example("one-leg");
        let party = app.party(1).await;
        let ilt = authority(&app).await;
        let gate = principal(&app, PrincipalKind::Gate, "gate", json!({})).await;
        let anonymous = principal(&app, PrincipalKind::Platform, "no id", json!({})).await;
        for (token, what) in [
            (&party.token, "party"),
            (&ilt, "authority"),
            (&gate, "gate"),
            (&app.admin, "admin"),
            (&anonymous, "no platformId"),
        ] {
            let r = put(&app, token, "ds", &xml).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
            assert_eq!(r.problem(), "forbidden", "{what}");
            assert_eq!(app.get("/api/platform/v0/whoami", token).await.status, StatusCode::FORBIDDEN, "{what}");
        }
        let r = app.call("PUT", "/api/platform/v0/consignments/ds", None, Some(xml.into_bytes())).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        // Headers a proxy could set do not make a caller a platform: only the bearer token counts.
        for (name, value) in [
            ("x-forwarded-user", "acme-platform"),
            ("x-client-cert", "CN=acme-platform"),
            ("x-ssl-client-s-dn", "CN=acme-platform"),
            ("x-platform-id", "acme-platform"),
        ] {
            let req = axum::http::Request::builder()
                .method("GET")
                .uri("/api/platform/v0/whoami")
                .header(name, value)
                .body(axum::body::Body::empty())
                .expect("request");
            let resp = ecmr_gateway::app::router(app.state.clone()).oneshot(req).await.expect("infallible");
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{name}");
            let req = axum::http::Request::builder()
                .method("PUT")
                .uri("/api/platform/v0/consignments/ds")
                .header("authorization", format!("Bearer {}", party.token))
                .header(name, value)
                .body(axum::body::Body::from(example("one-leg")))
                .expect("request");
            let resp = ecmr_gateway::app::router(app.state.clone()).oneshot(req).await.expect("infallible");
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}");
        }
        assert!(search(&app, &ilt, json!({"identifier": "ABC123"})).await.is_empty());
        // A platform id must be usable in a UIL path: no spaces, `/` or `..`; and it is one platform's only.
        let acme = platform(&app, "acme-platform").await;
        // Dataset ids too: no spaces, `/` or `..`, so that the UIL path stays unambiguous.
        for bad in ["ds%201", "a..b", "a%2Fb"] {
            assert_eq!(put(&app, &acme, bad, &example("one-leg")).await.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let taken = [json!("acme-platform"), json!("ACME-platform"), json!(" acme-platform ")];
        let malformed = [json!("a b"), json!("a/b"), json!("a..b"), json!("plat-p ")];
        for bad in [json!("a;b"), json!(""), json!(7), json!("p".repeat(256))].into_iter().chain(taken).chain(malformed)
        {
            let r = create_principal(
                &app.store,
                NewPrincipal {
                    kind: PrincipalKind::Platform,
                    name: "bad".into(),
                    public_keys: vec![],
                    details: Some(json!({ "platformId": bad })),
                    token_expires_at: None,
                },
            )
            .await;
            assert!(matches!(r, Err(ecmr_gateway::service::principals::PrincipalError::Invalid(_))), "{bad}");
        }
        // Nor may a platform take this gateway's own platform id, over the admin API or offline.
        let body = json!({"kind": "platform", "name": "squatter", "details": {"platformId": "ecmr-platform"}});
        let r = app.post("/v1/admin/principals", &app.admin, serde_json::to_vec(&body).expect("json")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["detail"].as_str().unwrap_or_default().contains("this gateway's own"), "{}", r.json());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn whoami_names_the_platform_and_registrations_are_audited() {
    for app in TestApp::all("platform_whoami").await {
        let (acme_id, acme) = app.principal(PrincipalKind::Platform, "acme", json!({ "platformId": "acme&co" })).await;
        let r = app.get("/api/platform/v0/whoami", &acme).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/xml"));
        let body = String::from_utf8_lossy(&r.body).into_owned();
        assert!(
            body.ends_with("<whoamiResponse><appId>acme&amp;co</appId><role>PLATFORM</role></whoamiResponse>"),
            "{body}"
        );
        assert_eq!(put(&app, &acme, "ds-1", &example("one-leg")).await.status, StatusCode::OK);
        assert_eq!(put(&app, &acme, "ds-1", &example("two-legs")).await.status, StatusCode::OK);
        let entries = app.store.audit.for_principal(acme_id).await.expect("audit");
        assert_eq!(entries.len(), 2, "{}", app.backend());
        for e in &entries {
            assert_eq!(e.action, "platform.dataset.put");
            assert_eq!(e.principal_kind, PrincipalKind::Platform);
            let reason: Value = serde_json::from_str(e.reason.as_deref().unwrap_or("")).expect("reason");
            assert_eq!(reason["platform"]["platformId"], "acme&co");
            assert_eq!(reason["datasetId"], "ds-1");
        }
    }
}

/// Figures: `cargo test --release -p ecmr-gateway --test platform -- --ignored --nocapture` (SQLite; PostgreSQL too
/// with `ECMR_TEST_POSTGRES_URL`).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement"]
async fn measure_registration_and_search() {
    const N: usize = 2000;
    for app in TestApp::all("platform_measure").await {
        let acme = platform(&app, "acme-platform").await;
        let ilt = authority(&app).await;
        let xml = example("four-legs");
        let start = std::time::Instant::now();
        for i in 0..N {
            let r = put(&app, &acme, &format!("ds-{i}"), &xml.replace("XYZ123", &format!("XYZ{i}"))).await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let put_each = start.elapsed() / N as u32;
        let start = std::time::Instant::now();
        for i in (0..N).step_by(10) {
            assert_eq!(search(&app, &ilt, json!({"identifier": format!("XYZ{i}")})).await.len(), 1);
        }
        let one_hit = start.elapsed() / (N / 10) as u32;
        let start = std::time::Instant::now();
        for _ in 0..20 {
            assert_eq!(search(&app, &ilt, json!({"identifier": "ABC123"})).await.len(), 100);
        }
        let hundred_hits = start.elapsed() / 20;
        println!(
            "{}: {N} datasets; PUT {put_each:?} each (sequential); search with 1 hit {one_hit:?}, with 100 hits {hundred_hits:?}",
            app.backend()
        );
    }
}
