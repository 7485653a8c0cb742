//! The gateway over a real socket, spoken to by `ecmr-client`: every API through the typed client, on every
//! backend, with the answers and the refusals as the client's types.

mod common;

use std::time::Duration;

use common::{TestApp, issue, key, public, take_over};
use ecmr_client::wire::admin::{NewPrincipal, NewTokenRequest, SubsetsRequest};
use ecmr_client::wire::control::{PostFollowUpRequestDto, SearchWithIdentifiersRequestDto, UilDto};
use ecmr_client::wire::inspect::ShareRequest;
use ecmr_client::wire::party::PrincipalKind;
use ecmr_client::{Client, Error, ListQuery, SubmitOutcome};
use ecmr_gateway::app::router;
use ecmr_gateway::server::{ConnectionLimits, run};
use serde_json::json;

/// Serves `app` on a loopback port; the base URL and the sender that stops the server.
async fn serve(app: &TestApp) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = ConnectionLimits { header_read_timeout: Duration::from_secs(5), per_ip: 0 };
    tokio::spawn(run(listener, router(app.state.clone()), limits, async move {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop)
}

fn client(base: &str, token: &str) -> Client {
    Client::builder(base).token(token).timeout(Duration::from_secs(10)).build().expect("client")
}

async fn principal(
    admin: &Client,
    kind: PrincipalKind,
    name: &str,
    keys: Vec<String>,
    details: serde_json::Value,
) -> (uuid::Uuid, String) {
    let created = admin
        .add_principal(&NewPrincipal {
            kind,
            name: name.into(),
            public_keys: keys,
            details: Some(details),
            token_expires_at: None,
        })
        .await
        .expect("principal");
    (created.principal.id, created.token)
}

fn api_code(e: &Error) -> String {
    e.api().map(|a| a.code()).unwrap_or_else(|| panic!("not an answer of the gateway: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_through_the_client_over_a_socket() {
    for app in TestApp::all("every_api_through_the_client_over_a_socket").await {
        let (base, _stop) = serve(&app).await;
        let admin = client(&base, &app.admin);
        let (carrier_key, sender_key) = (key(2), key(1));
        // Parties as the gateway's directory knows them: the names and numbers the notes carry.
        let party = |seed: u8| {
            let (name, details) = common::directory_entry(seed);
            let admin = admin.clone();
            async move { principal(&admin, PrincipalKind::Party, &name, vec![public(&key(seed))], details).await }
        };
        let (_, sender) = party(1).await;
        let (_, carrier) = party(2).await;
        let (stranger_id, stranger) = party(4).await;
        let (ilt_id, ilt) = principal(
            &admin,
            PrincipalKind::Authority,
            "ILT",
            vec![],
            json!({"country": "NL", "subsets": ["EU01", "full"]}),
        )
        .await;
        let (_, acme) =
            principal(&admin, PrincipalKind::Platform, "acme", vec![], json!({"platformId": "acme-platform"})).await;
        let (_, gate) = principal(&admin, PrincipalKind::Gate, "RI gate", vec![], json!({"subsets": ["EU01"]})).await;
        let (sender, carrier, stranger) = (client(&base, &sender), client(&base, &carrier), client(&base, &stranger));
        let (ilt, acme, gate) = (client(&base, &ilt), client(&base, &acme), client(&base, &gate));

        // Party: submit, submit again, sync one event further, a diverging chain.
        let doc = issue("NL-CL-1", &sender_key, Some(&carrier_key));
        let id = uuid::Uuid::parse_str(doc.id()).unwrap();
        let s = sender.submit(doc.bytes()).await.expect("submit");
        assert_eq!((s.outcome, s.receipt.last_seq, s.receipt.id), (SubmitOutcome::Created, 0, id), "{}", app.backend());
        assert_eq!(sender.submit(doc.bytes()).await.expect("again").outcome, SubmitOutcome::Unchanged);
        let taken = take_over(&doc, &carrier_key);
        let s = carrier.submit(taken.bytes()).await.expect("sync");
        assert_eq!(
            (s.outcome, s.receipt.appended_seqs.clone(), s.receipt.state.as_str()),
            (SubmitOutcome::Extended, vec![1], "in_transit")
        );
        let cancelled = common::cancel(&doc, &sender_key);
        let e = sender.submit(cancelled.bytes()).await.expect_err("diverges");
        assert_eq!(api_code(&e), "chain-diverged");
        let p = e.api().and_then(|a| a.problem.clone()).expect("problem");
        assert_eq!((p.seq, p.stored_digest.as_deref()), (Some(1), taken.last_event_digest()));
        assert!(!e.is_retry_safe(), "a refusal is final");
        // One event through the events route: refused as the seq is taken.
        let e = sender.append_event(id, &common::last_event(&cancelled)).await.expect_err("seq taken");
        assert_eq!((api_code(&e).as_str(), e.api().map(|a| a.status)), ("event-seq-taken", Some(409)));

        // Reading, listing (paged one by one), audit.
        let bytes = carrier.document(id).await.expect("document");
        let v = ecmr::verify::verify(&bytes, None).expect("verifies");
        assert_eq!(v.events.len(), 2);
        let e = stranger.document(id).await.expect_err("stranger");
        assert!(e.is_not_found() && api_code(&e) == "not-found", "{e}");
        // The bundle: the document with a receipt for each event, as the gateway signed them.
        let bundle = ecmr::attest::Bundle::from_slice(&carrier.bundle(id).await.expect("bundle")).expect("a bundle");
        assert_eq!(bundle.receipts.len(), 2);
        assert_eq!(ecmr::verify::verify(&bundle.document_bytes(), None).expect("verifies").events.len(), 2);
        // A participant the sender names reaches the document; naming it again changes nothing.
        let (added, answer) = sender.add_participant(id, stranger_id).await.expect("participant");
        assert!(added);
        assert_eq!((answer.document_id, answer.principal_id), (id, stranger_id));
        assert!(!sender.add_participant(id, stranger_id).await.expect("again").0);
        stranger.document(id).await.expect("the participant reads it");
        // A share link for the driver: made, listed, opened without a token, revoked.
        let share = carrier
            .create_share(id, &ShareRequest { expires_in: Some(3600), label: Some("driver".into()) })
            .await
            .expect("share");
        let token = share.url.rsplit("#t=").next().expect("token").to_owned();
        assert_eq!(carrier.shares(id).await.expect("list").items[0].status, "active");
        let driver = Client::builder(base.as_str()).build().expect("client without a token");
        let view = driver.open_share(&token, "nl").await.expect("driver view");
        assert_eq!((view.document_id, view.note.lang.as_str()), (id, "nl"));
        carrier.revoke_share(id, share.id).await.expect("revoke");
        assert!(driver.open_share(&token, "nl").await.expect_err("revoked").is_not_found());
        assert!(carrier.revoke_share(id, share.id).await.expect_err("again").is_not_found());
        let e = sender.add_participant(id, uuid::Uuid::new_v4()).await.expect_err("no such principal");
        assert!(e.api().is_some_and(|a| a.status == 422 || a.status == 404), "{e}");
        sender.submit(issue("NL-CL-2", &sender_key, None).bytes()).await.expect("second document");
        let first = sender.list(&ListQuery { limit: Some(1), ..ListQuery::default() }).await.expect("page");
        assert_eq!(first.items.len(), 1);
        assert!(first.next_cursor.is_some());
        let all = sender.list_all(&ListQuery { limit: Some(1), ..ListQuery::default() }).await.expect("all pages");
        assert_eq!(all.len(), 2);
        let in_transit =
            carrier.list_all(&ListQuery { state: Some("in_transit".into()), ..ListQuery::default() }).await.unwrap();
        assert_eq!(in_transit.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
        let e = sender
            .list(&ListQuery { state: Some("lost".into()), ..ListQuery::default() })
            .await
            .expect_err("bad state");
        assert_eq!(api_code(&e), "bad-request");
        let audit = sender.audit(id).await.expect("audit");
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert!(actions.contains(&"document.created") && actions.contains(&"event.appended:1"), "{actions:?}");

        // Authority: a UIL query, one refused the RI's way, a search, a follow-up, the direct reads.
        let uil = UilDto {
            gate_id: "ecmr-gate".into(),
            platform_id: "ecmr-platform".into(),
            dataset_id: id.to_string(),
            subset_id: vec!["EU01".into()],
        };
        let answer = ilt.request_uil(&uil).await.expect("uil");
        assert_eq!((answer.status.as_str(), answer.data.is_some()), ("COMPLETE", true));
        assert_eq!(ilt.uil_answer(&answer.request_id).await.expect("again").data, answer.data);
        let e = ilt.request_uil(&UilDto { gate_id: "elsewhere".into(), ..uil.clone() }).await.expect_err("not local");
        assert_eq!(api_code(&e), "UIL_GATE_NOT_LOCAL");
        let e = ilt.uil_answer(&uuid::Uuid::new_v4().to_string()).await.expect_err("unknown");
        assert_eq!(api_code(&e), "ID_NOT_FOUND");
        let search = SearchWithIdentifiersRequestDto {
            identifier: "12-bxl-4".into(),
            identifier_type: vec![],
            mode_code: Some("3".into()),
            registration_country_code: Some("NL".into()),
            dangerous_goods_indicator: None,
            efti_gate_indicator: vec![],
        };
        let found = ilt.search_identifiers(&search).await.expect("search");
        assert!(found.identifiers.iter().any(|h| h.dataset_id == id.to_string()));
        let e = ilt
            .search_identifiers(&SearchWithIdentifiersRequestDto { identifier: "!".into(), ..search.clone() })
            .await
            .expect_err("bad identifier");
        assert_eq!(api_code(&e), "IDENTIFIER_INCORRECT_FORMAT");
        let note = PostFollowUpRequestDto { message: "Seal broken.".into(), request_id: answer.request_id.clone() };
        assert_eq!(ilt.follow_up(&note).await.expect("follow-up").message, "Note sent");
        let e = ilt
            .follow_up(&PostFollowUpRequestDto { message: "x".into(), request_id: uuid::Uuid::new_v4().to_string() })
            .await
            .expect_err("unknown request");
        assert_eq!(api_code(&e), "ID_NOT_FOUND");
        let ups = carrier.follow_ups(id).await.expect("follow-ups");
        assert_eq!(ups.iter().map(|m| m.message.as_str()).collect::<Vec<_>>(), ["Seal broken."]);
        assert_eq!(ups[0].principal.name, "ILT");
        let xml = ilt.read_uil("ecmr-gate", "ecmr-platform", &id.to_string(), &["EU01"]).await.expect("read");
        assert!(xml.starts_with(b"<?xml"));
        let signed = ilt.read_uil_signed("ecmr-gate", "ecmr-platform", &id.to_string()).await.expect("signed");
        ecmr::verify::verify(&signed, None).expect("the signed document verifies");
        let e = sender.search_identifiers(&search).await.expect_err("a party is no authority");
        assert_eq!((api_code(&e).as_str(), e.api().map(|a| a.status)), ("forbidden", Some(403)));

        // Platform and gate.
        let one_leg = include_bytes!("fixtures/platform/identifiers-one-leg.xml");
        acme.put_identifiers("ds-1", one_leg).await.expect("registered");
        acme.put_identifiers("ds-1", one_leg).await.expect("replaced: PUT is idempotent");
        let who = acme.whoami().await.expect("whoami");
        assert_eq!((who.app_id.as_str(), who.role.as_str()), ("acme-platform", "PLATFORM"));
        let e = acme
            .put_identifiers("ds-2", include_bytes!("fixtures/platform/invalid-identifiers.xml"))
            .await
            .expect_err("invalid");
        let a = e.api().expect("answer");
        assert_eq!(a.status, 400);
        assert!(!a.detail().is_empty() && a.body.contains("line"), "{}", a.body);
        let xml = gate.gate_read(&id.to_string(), &["EU01"]).await.expect("gate read");
        assert!(xml.starts_with(b"<?xml"));
        gate.gate_follow_up(&id.to_string(), "Checked at the border.").await.expect("gate follow-up");
        assert_eq!(carrier.follow_ups(id).await.unwrap().len(), 2);

        // Administration: the principals, subsets, tokens; a revoked token is refused.
        let principals = admin.principals().await.expect("principals");
        assert!(principals.iter().any(|p| p.name == "ILT"));
        let view = admin.set_subsets(ilt_id, &SubsetsRequest { subsets: vec!["EU02".into()] }).await.expect("subsets");
        assert_eq!(view.details["subsets"], json!(["EU02"]));
        let e = ilt.request_uil(&uil).await.expect_err("EU01 no longer granted");
        assert_eq!(api_code(&e), "SUBSET_NOT_ALLOWED");
        let token = admin.add_token(ilt_id, &NewTokenRequest { expires_at: None }).await.expect("token");
        let detail = admin.principal(ilt_id).await.expect("principal");
        assert_eq!(detail.tokens.len(), 2);
        admin.revoke_token(token.token_id).await.expect("revoked");
        let e = client(&base, &token.token).uil_answer("x").await.expect_err("revoked token");
        assert_eq!((api_code(&e).as_str(), e.api().map(|a| a.status)), ("unauthenticated", Some(401)));
        admin.revoke_principal(ilt_id).await.expect("revoked");
        let e = admin.principal(uuid::Uuid::new_v4()).await.expect_err("unknown");
        assert!(e.is_not_found());
        let e = sender.principals().await.expect_err("not an admin");
        assert_eq!(api_code(&e), "forbidden");

        // Operations.
        assert_eq!(admin.health().await.expect("health")["status"], "ok");
        let anonymous = Client::builder(base.as_str()).build().expect("client without a token");
        let known = anonymous.well_known().await.expect("well-known");
        assert_eq!(known["gate_id"], "ecmr-gate");
        assert!(!known["gateway_keys"].as_array().expect("keys").is_empty(), "{known}");
        assert!(anonymous.metrics().await.expect("metrics").contains("ecmr_http_requests_total"));
        assert_eq!(admin.ready().await.expect("ready")["status"], "ready");
        assert!(admin.openapi().await.expect("openapi")["paths"]["/v1/documents"].is_object());
    }
}
