//! The store test suite, run against every backend: SQLite always, PostgreSQL when `ECMR_TEST_POSTGRES_URL` is set.

mod common;

use chrono::Duration;
use ecmr_gateway::store::{
    AppendOutcome, AuditEntry, DocumentKey, EventAppend, Identifier, InsertOutcome, KeyRelation, ListQuery,
    NewDocument, NewEvent, NewToken, Principal, PrincipalKey, PrincipalKind, Store, now,
};
use uuid::Uuid;

fn event(seq: i64, kind: &str, role: &str, key: &str) -> NewEvent {
    NewEvent {
        seq,
        kind: kind.into(),
        role: role.into(),
        signer_key_id: key.into(),
        digest: format!("sha256:{seq:064x}{kind}"),
        body: format!(r#"{{"seq":{seq},"kind":"{kind}"}}"#),
    }
}

fn document(number: &str, sender: &str, carrier: &str) -> NewDocument {
    NewDocument {
        id: Uuid::new_v4(),
        content_digest: format!("sha256:{}", Uuid::new_v4().simple()),
        note_number: number.into(),
        sender_ref: format!("key:{sender}"),
        note_json: r#"{"number":"x"}"#.into(),
        state: "issued".into(),
        events: vec![event(0, "issued", "sender", sender)],
        keys: vec![
            DocumentKey { key_id: sender.into(), role: "sender".into(), relation: KeyRelation::Signer },
            DocumentKey { key_id: carrier.into(), role: "carrier".into(), relation: KeyRelation::Pinned },
        ],
        identifiers: vec![Identifier {
            kind: "vehicle".into(),
            value: "AB123C".into(),
            country: Some("NL".into()),
            mode_code: Some("3".into()),
            dangerous_goods: true,
        }],
        efti_xml: Some(format!("<consignment>{number}</consignment>")),
        submitted_by: Uuid::new_v4(),
        received_at: now(),
    }
}

fn append(doc: Uuid, seq: i64, kind: &str, key: &str) -> EventAppend {
    EventAppend {
        document_id: doc,
        event: event(seq, kind, "carrier", key),
        state: "in_transit".into(),
        keys: vec![DocumentKey { key_id: key.into(), role: "carrier".into(), relation: KeyRelation::Signer }],
        identifiers: vec![Identifier {
            kind: "vehicle".into(),
            value: format!("NEW{seq}"),
            country: Some("BE".into()),
            mode_code: Some("3".into()),
            dangerous_goods: false,
        }],
        efti_xml: Some(format!("<consignment>after {seq}</consignment>")),
        submitted_by: Uuid::new_v4(),
        received_at: now(),
    }
}

#[tokio::test]
async fn insert_is_idempotent_and_refuses_conflicts() {
    for store in common::stores("insert_is_idempotent_and_refuses_conflicts").await {
        let doc = document("N-1", "k-sender", "k-carrier");
        let created = match store.documents.insert_document(doc.clone()).await.unwrap() {
            InsertOutcome::Created(s) => s,
            other => panic!("{}: expected Created, got {other:?}", store.backend()),
        };
        assert_eq!(created.id, doc.id);
        assert_eq!(created.last_seq, 0);
        assert_eq!(created.state, "issued");

        // Same content again: identical, nothing changes.
        match store.documents.insert_document(doc.clone()).await.unwrap() {
            InsertOutcome::Identical(s) => assert_eq!(s, created),
            other => panic!("expected Identical, got {other:?}"),
        }
        // Same id, other content.
        let mut other = doc.clone();
        other.content_digest = "sha256:other".into();
        assert_eq!(store.documents.insert_document(other).await.unwrap(), InsertOutcome::IdTaken);
        // Same sender, same note number, new id.
        let again = document("N-1", "k-sender", "k-carrier");
        assert_eq!(
            store.documents.insert_document(again).await.unwrap(),
            InsertOutcome::NoteNumberTaken { existing: doc.id }
        );
        // Another sender may use the same number.
        let other_sender = document("N-1", "k-sender-2", "k-carrier");
        assert!(matches!(store.documents.insert_document(other_sender).await.unwrap(), InsertOutcome::Created(_)));

        let stored = store.documents.get_document(doc.id).await.unwrap().expect("stored");
        assert_eq!(stored.summary, created);
        assert_eq!(stored.content_digest, doc.content_digest);
        assert_eq!(stored.events.len(), 1);
        assert_eq!(stored.events[0].body, doc.events[0].body);
        assert_eq!(stored.keys.len(), 2);
        let json: serde_json::Value = serde_json::from_str(&stored.to_json()).expect("valid JSON");
        assert_eq!(json["id"], doc.id.to_string());
        assert_eq!(json["events"][0]["kind"], "issued");
        assert_eq!(store.documents.identifiers(doc.id).await.unwrap(), doc.identifiers);
        let dataset = store.documents.efti_dataset(doc.id).await.unwrap().expect("stored");
        assert_eq!((dataset.xml, dataset.last_seq), (doc.efti_xml.clone(), 0));
        assert_eq!(store.documents.efti_dataset(Uuid::new_v4()).await.unwrap(), None);
        assert_eq!(store.documents.count_documents().await.unwrap(), 2);
        assert!(store.documents.get_document(Uuid::new_v4()).await.unwrap().is_none());
        store.close().await;
    }
}

#[tokio::test]
async fn append_extends_the_chain_once_per_seq() {
    for store in common::stores("append_extends_the_chain_once_per_seq").await {
        let doc = document("N-2", "k-s", "k-c");
        store.documents.insert_document(doc.clone()).await.unwrap();

        let a = append(doc.id, 1, "taken_over", "k-c");
        let s = match store.documents.append_event(a.clone()).await.unwrap() {
            AppendOutcome::Appended(s) => s,
            other => panic!("{}: expected Appended, got {other:?}", store.backend()),
        };
        assert_eq!((s.last_seq, s.state.as_str()), (1, "in_transit"));
        assert_eq!(s.last_event_digest, a.event.digest);
        assert!(s.updated_at >= s.received_at);
        // The eFTI dataset and the roadside index follow the note to its latest state.
        let dataset = store.documents.efti_dataset(doc.id).await.unwrap().expect("stored");
        assert_eq!((dataset.xml, dataset.last_seq), (a.efti_xml.clone(), 1));
        assert_eq!(store.documents.identifiers(doc.id).await.unwrap(), a.identifiers);
        // The same event again is harmless.
        assert!(matches!(store.documents.append_event(a.clone()).await.unwrap(), AppendOutcome::Identical(_)));
        // Another event at the same seq is refused; so is one that skips ahead.
        let mut b = append(doc.id, 1, "delivered", "k-other");
        b.event.digest = "sha256:different".into();
        assert_eq!(store.documents.append_event(b).await.unwrap(), AppendOutcome::SeqTaken { last_seq: 1 });
        assert_eq!(
            store.documents.append_event(append(doc.id, 5, "delivered", "k-x")).await.unwrap(),
            AppendOutcome::SeqTaken { last_seq: 1 }
        );
        assert_eq!(
            store.documents.append_event(append(Uuid::new_v4(), 1, "taken_over", "k-c")).await.unwrap(),
            AppendOutcome::NotFound
        );
        let stored = store.documents.get_document(doc.id).await.unwrap().unwrap();
        assert_eq!(stored.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(stored.events[1].body, a.event.body);
        // The signer of the new event is now linked.
        assert!(store.documents.is_linked(doc.id, &["k-c".into()]).await.unwrap());
        store.close().await;
    }
}

#[tokio::test]
async fn concurrent_appends_to_one_seq_have_exactly_one_winner() {
    for store in common::stores("concurrent_appends_to_one_seq_have_exactly_one_winner").await {
        let doc = document("N-3", "k-s", "k-c");
        store.documents.insert_document(doc.clone()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            let mut a = append(doc.id, 1, "taken_over", &format!("k-{i}"));
            a.event.digest = format!("sha256:contender-{i}");
            tasks.push(tokio::spawn(async move { store.documents.append_event(a).await.unwrap() }));
        }
        let mut won = 0;
        let mut lost = 0;
        for t in tasks {
            match t.await.unwrap() {
                AppendOutcome::Appended(_) => won += 1,
                AppendOutcome::SeqTaken { last_seq: 1 } => lost += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((won, lost), (1, 7), "{}", store.backend());
        let stored = store.documents.get_document(doc.id).await.unwrap().unwrap();
        assert_eq!(stored.events.len(), 2);
        store.close().await;
    }
}

#[tokio::test]
async fn many_concurrent_inserts_all_land() {
    for store in common::stores("many_concurrent_inserts_all_land").await {
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let doc = document(&format!("N-{i}"), "k-bulk", "k-c");
                (doc.id, store.documents.insert_document(doc).await.unwrap())
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            let (id, outcome) = t.await.unwrap();
            assert!(matches!(outcome, InsertOutcome::Created(_)));
            ids.push(id);
        }
        assert_eq!(store.documents.count_documents().await.unwrap(), 200);
        for id in ids {
            assert!(store.documents.get_document(id).await.unwrap().is_some());
        }
        store.close().await;
    }
}

#[tokio::test]
async fn listing_filters_and_pages_by_keyset() {
    for store in common::stores("listing_filters_and_pages_by_keyset").await {
        let mut mine = Vec::new();
        for i in 0..5 {
            let doc = document(&format!("L-{i}"), "k-me", "k-carrier");
            mine.push(doc.id);
            store.documents.insert_document(doc).await.unwrap();
        }
        store.documents.insert_document(document("L-x", "k-stranger", "k-nobody")).await.unwrap();
        // Move one forward in the lifecycle.
        store.documents.append_event(append(mine[0], 1, "taken_over", "k-carrier")).await.unwrap();

        let q = ListQuery { key_ids: vec!["k-me".into()], limit: 2, ..Default::default() };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store.documents.list_documents(&ListQuery { after, ..q.clone() }).await.unwrap();
            assert!(page.len() <= 2);
            let Some(last) = page.last() else { break };
            after = Some((last.updated_at, last.id));
            seen.extend(page.iter().map(|s| s.id));
        }
        let mut expected = mine.clone();
        expected.sort();
        let mut got = seen.clone();
        got.sort();
        assert_eq!(got, expected, "{}: every document of mine exactly once", store.backend());
        // The updated one comes last (ordered by update time).
        assert_eq!(seen.last(), Some(&mine[0]));

        let in_transit = ListQuery { state: Some("in_transit".into()), limit: 50, ..q.clone() };
        let r = store.documents.list_documents(&in_transit).await.unwrap();
        assert_eq!(r.iter().map(|s| s.id).collect::<Vec<_>>(), vec![mine[0]]);

        let as_carrier =
            ListQuery { key_ids: vec!["k-carrier".into()], role: Some("carrier".into()), limit: 50, ..q.clone() };
        assert_eq!(store.documents.list_documents(&as_carrier).await.unwrap().len(), 5);
        let as_sender = ListQuery { role: Some("sender".into()), ..as_carrier.clone() };
        assert!(store.documents.list_documents(&as_sender).await.unwrap().is_empty());

        let future = ListQuery { updated_since: Some(now() + Duration::hours(1)), limit: 50, ..q.clone() };
        assert!(store.documents.list_documents(&future).await.unwrap().is_empty());
        let none = ListQuery { key_ids: vec![], limit: 50, ..q.clone() };
        assert!(store.documents.list_documents(&none).await.unwrap().is_empty());

        assert!(store.documents.is_linked(mine[1], &["k-me".into()]).await.unwrap());
        assert!(!store.documents.is_linked(mine[1], &["k-stranger".into()]).await.unwrap());
        assert!(!store.documents.is_linked(mine[1], &[]).await.unwrap());
        store.close().await;
    }
}

fn principal(kind: PrincipalKind, keys: &[&str]) -> Principal {
    Principal {
        id: Uuid::new_v4(),
        kind,
        name: format!("{kind:?} test"),
        details: serde_json::json!({"country": "NL"}),
        keys: keys.iter().map(|k| PrincipalKey { key_id: format!("id-{k}"), public_key: (*k).into() }).collect(),
        created_at: now(),
        revoked_at: None,
    }
}

fn token(p: &Principal, hash: &str, expires: Option<chrono::DateTime<chrono::Utc>>) -> NewToken {
    NewToken {
        id: Uuid::new_v4(),
        token_sha256: hash.into(),
        principal_id: p.id,
        created_at: now(),
        expires_at: expires,
    }
}

#[tokio::test]
async fn principals_and_tokens() {
    for store in common::stores("principals_and_tokens").await {
        let ps = &store.principals;
        assert_eq!(ps.count_principals().await.unwrap(), 0);
        let party = principal(PrincipalKind::Party, &["pk1", "pk2"]);
        let t1 = token(&party, "h1", None);
        ps.add_principal(&party, &t1).await.unwrap();
        let authority = principal(PrincipalKind::Authority, &[]);
        ps.add_principal(&authority, &token(&authority, "h2", Some(now() + Duration::hours(1)))).await.unwrap();

        let got = ps.authenticate("h1", now()).await.unwrap().expect("valid token");
        assert_eq!(got, party);
        assert_eq!(got.keys.len(), 2);
        assert_eq!(ps.authenticate("h2", now()).await.unwrap().map(|p| p.id), Some(authority.id));
        // Expired at a later time; unknown hashes find nobody.
        assert!(ps.authenticate("h2", now() + Duration::hours(2)).await.unwrap().is_none());
        assert!(ps.authenticate("nope", now()).await.unwrap().is_none());

        // A second token, then revoke only it.
        let t3 = token(&party, "h3", None);
        ps.add_token(&t3).await.unwrap();
        assert!(ps.authenticate("h3", now()).await.unwrap().is_some());
        assert!(ps.revoke_token(t3.id, now()).await.unwrap());
        assert!(!ps.revoke_token(t3.id, now()).await.unwrap(), "already revoked");
        assert!(ps.authenticate("h3", now()).await.unwrap().is_none());
        assert!(ps.authenticate("h1", now()).await.unwrap().is_some());
        let tokens = ps.list_tokens(party.id).await.unwrap();
        assert_eq!(tokens.len(), 2);
        assert!(tokens.iter().any(|t| t.id == t3.id && t.revoked_at.is_some()));

        assert_eq!(ps.key_owner("id-pk2").await.unwrap(), Some(party.id));
        assert_eq!(ps.key_owner("id-unknown").await.unwrap(), None);

        // Revoking the principal ends all its tokens and frees its keys.
        assert!(ps.revoke_principal(party.id, now()).await.unwrap());
        assert!(!ps.revoke_principal(party.id, now()).await.unwrap());
        assert!(ps.authenticate("h1", now()).await.unwrap().is_none());
        assert!(ps.get_principal(party.id).await.unwrap().unwrap().revoked_at.is_some());
        assert_eq!(ps.key_owner("id-pk2").await.unwrap(), None);
        assert!(ps.get_principal(Uuid::new_v4()).await.unwrap().is_none());

        let all = ps.list_principals().await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(ps.count_principals().await.unwrap(), 2);
        // Token hashes are unique.
        assert!(ps.add_token(&token(&authority, "h1", None)).await.is_err());
        store.close().await;
    }
}

#[tokio::test]
async fn audit_log_keeps_entries_in_order() {
    for store in common::stores("audit_log_keeps_entries_in_order").await {
        let doc = Uuid::new_v4();
        assert!(store.audit.for_document(doc).await.unwrap().is_empty());
        for (i, action) in ["document.created", "document.read", "document.read"].iter().enumerate() {
            store
                .audit
                .append(AuditEntry {
                    at: now(),
                    document_id: Some(doc),
                    principal_id: Uuid::new_v4(),
                    principal_kind: if i == 2 { PrincipalKind::Authority } else { PrincipalKind::Party },
                    action: (*action).into(),
                    reason: (i == 2).then(|| "roadside check".to_owned()),
                    request_id: Some(format!("req-{i}")),
                })
                .await
                .unwrap();
        }
        let entries = store.audit.for_document(doc).await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["document.created", "document.read", "document.read"]
        );
        assert_eq!(entries[2].reason.as_deref(), Some("roadside check"));
        assert_eq!(entries[2].principal_kind, PrincipalKind::Authority);
        assert!(store.audit.for_document(Uuid::new_v4()).await.unwrap().is_empty());
        store.close().await;
    }
}

async fn refuses(store_url_sql: impl std::future::Future<Output = Result<(), sqlx::Error>>) -> bool {
    store_url_sql.await.is_err()
}

#[tokio::test]
async fn events_and_audit_are_append_only_in_the_schema() {
    use sqlx::Connection;
    // SQLite: open the file directly and try to rewrite history.
    let (store, path) = common::sqlite_store().await;
    let doc = document("A-1", "k", "c");
    store.documents.insert_document(doc.clone()).await.unwrap();
    store
        .audit
        .append(AuditEntry {
            at: now(),
            document_id: Some(doc.id),
            principal_id: Uuid::new_v4(),
            principal_kind: PrincipalKind::Party,
            action: "document.created".into(),
            reason: None,
            request_id: None,
        })
        .await
        .unwrap();
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    for sql in [
        "UPDATE events SET body = '{}'",
        "DELETE FROM events",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
    ] {
        assert!(refuses(async { sqlx::query(sql).execute(&mut conn).await.map(|_| ()) }).await, "sqlite: {sql}");
    }

    if let Some(url) = common::postgres_url() {
        let options = common::postgres_schema(&url).await;
        let pg = Store::new(std::sync::Arc::new(
            ecmr_gateway::store::postgres::PgStore::connect_with(options.clone()).await.unwrap(),
        ));
        pg.documents.insert_document(doc.clone()).await.unwrap();
        pg.close().await;
        let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
        for sql in ["UPDATE events SET body = '{}'", "DELETE FROM events"] {
            assert!(refuses(async { sqlx::query(sql).execute(&mut conn).await.map(|_| ()) }).await, "pg: {sql}");
        }
    } else {
        println!("events_and_audit_are_append_only_in_the_schema: postgres skipped");
    }
}

#[tokio::test]
async fn sqlite_writes_survive_reopening() {
    let (store, path) = common::sqlite_store().await;
    let doc = document("R-1", "k", "c");
    store.documents.insert_document(doc.clone()).await.unwrap();
    store.documents.append_event(append(doc.id, 1, "taken_over", "c")).await.unwrap();
    store.close().await;
    // Writes after close are refused, not lost silently.
    assert!(store.documents.insert_document(document("R-2", "k", "c")).await.is_err());
    let reopened = Store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    let stored = reopened.documents.get_document(doc.id).await.unwrap().expect("still there");
    assert_eq!(stored.summary.last_seq, 1);
    assert_eq!(reopened.backend(), "sqlite");
    reopened.ping().await.unwrap();
    reopened.close().await;
    assert!(Store::open("mysql://nope").await.is_err());
}

#[tokio::test]
async fn concurrent_duplicates_resolve_like_sequential_ones() {
    for store in common::stores("concurrent_duplicates_resolve_like_sequential_ones").await {
        // The same document 10 times, and 10 different documents reusing one note number, all at once: they are
        // likely to share a write batch.
        let same = document("D-1", "k-dup", "k-c");
        let mut tasks = Vec::new();
        for i in 0..20 {
            let store = store.clone();
            let doc = if i % 2 == 0 { same.clone() } else { document("D-2", "k-dup", "k-c") };
            tasks.push(tokio::spawn(async move { store.documents.insert_document(doc).await.unwrap() }));
        }
        let mut created = 0;
        let mut identical = 0;
        let mut number_taken = 0;
        for t in tasks {
            match t.await.unwrap() {
                InsertOutcome::Created(_) => created += 1,
                InsertOutcome::Identical(_) => identical += 1,
                InsertOutcome::NoteNumberTaken { .. } => number_taken += 1,
                InsertOutcome::IdTaken => panic!("no id was reused with other content"),
            }
        }
        assert_eq!((created, identical, number_taken), (2, 9, 9), "{}", store.backend());
        assert_eq!(store.documents.count_documents().await.unwrap(), 2);
        store.close().await;
    }
}
