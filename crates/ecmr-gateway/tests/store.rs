//! The store test suite, run against every backend: SQLite always, PostgreSQL when `ECMR_TEST_POSTGRES_URL` is set.

mod common;

use chrono::Duration;
use ecmr_gateway::store::{
    AppendOutcome, AuditEntry, DocumentKey, DocumentParty, EventAppend, Identifier, InsertOutcome, KeyRelation,
    ListQuery, NewDocument, NewEvent, NewToken, Principal, PrincipalKey, PrincipalKind, Store, now,
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
    let id = Uuid::new_v4();
    NewDocument {
        id,
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
        parties: vec![DocumentParty { party_ref: format!("id:vat:{carrier}"), role: "carrier".into() }],
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
        audit: AuditEntry { document_id: Some(id), ..party_entry("document.created") },
    }
}

/// A party's audit entry, written with a document or an event.
fn party_entry(action: &str) -> AuditEntry {
    AuditEntry {
        at: now(),
        document_id: None,
        principal_id: Uuid::new_v4(),
        principal_kind: PrincipalKind::Party,
        action: action.into(),
        reason: None,
        request_id: None,
    }
}

fn append(doc: Uuid, seq: i64, kind: &str, key: &str) -> EventAppend {
    EventAppend {
        document_id: doc,
        events: vec![event(seq, kind, "carrier", key)],
        state: "in_transit".into(),
        keys: vec![DocumentKey { key_id: key.into(), role: "carrier".into(), relation: KeyRelation::Signer }],
        parties: vec![DocumentParty { party_ref: format!("name:NL:consignee of {seq}"), role: "consignee".into() }],
        identifiers: vec![Identifier {
            kind: "vehicle".into(),
            value: format!("NEW{seq}"),
            country: Some("BE".into()),
            mode_code: Some("3".into()),
            dangerous_goods: false,
        }],
        efti_xml: Some(format!("<consignment>after {seq}</consignment>")),
        received_at: now(),
        audit: vec![AuditEntry { document_id: Some(doc), ..party_entry(&format!("event.appended:{seq}")) }],
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
        // Both keys are linked: the signer and the pinned carrier.
        for key in ["k-sender", "k-carrier"] {
            assert!(store.documents.is_linked(doc.id, &[key.into()], &[]).await.unwrap(), "{key}");
        }
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
            AppendOutcome::Appended(s, _) => s,
            other => panic!("{}: expected Appended, got {other:?}", store.backend()),
        };
        assert_eq!((s.last_seq, s.state.as_str()), (1, "in_transit"));
        assert_eq!(s.last_event_digest, a.events[0].digest);
        assert!(s.updated_at >= s.received_at);
        // The eFTI dataset and the roadside index follow the note to its latest state.
        let dataset = store.documents.efti_dataset(doc.id).await.unwrap().expect("stored");
        assert_eq!((dataset.xml, dataset.last_seq), (a.efti_xml.clone(), 1));
        assert_eq!(store.documents.identifiers(doc.id).await.unwrap(), a.identifiers);
        // The same event again is harmless.
        assert!(matches!(store.documents.append_event(a.clone()).await.unwrap(), AppendOutcome::Identical(_)));
        // Another event at the same seq is refused; so is one that skips ahead.
        let mut b = append(doc.id, 1, "delivered", "k-other");
        b.events[0].digest = "sha256:different".into();
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
        assert_eq!(stored.events[1].body, a.events[0].body);
        // The signer of the new event is now linked.
        assert!(store.documents.is_linked(doc.id, &["k-c".into()], &[]).await.unwrap());
        // The parties the note names after the event are added (by identity), the earlier ones kept.
        let other = ["k-none".to_owned()];
        assert!(store.documents.is_linked(doc.id, &other, &["name:NL:consignee of 1".into()]).await.unwrap());
        assert!(store.documents.is_linked(doc.id, &other, &[format!("id:vat:{}", "k-c")]).await.unwrap());
        assert!(!store.documents.is_linked(doc.id, &other, &["id:vat:someone-else".into()]).await.unwrap());
        // A granted participant: once, with its audit entry in the same transaction.
        let grant = DocumentParty { party_ref: "principal:p-1".into(), role: "participant".into() };
        let entry = AuditEntry { document_id: Some(doc.id), ..party_entry("participant.added") };
        assert!(store.documents.add_party(doc.id, &grant, &entry).await.unwrap());
        assert!(!store.documents.add_party(doc.id, &grant, &entry).await.unwrap(), "already granted");
        assert!(!store.documents.add_party(Uuid::new_v4(), &grant, &entry).await.unwrap(), "no such document");
        assert!(store.documents.is_linked(doc.id, &other, &["principal:p-1".into()]).await.unwrap());
        let entries = store.audit.for_document(doc.id).await.unwrap();
        assert_eq!(entries.iter().filter(|e| e.action == "participant.added").count(), 1);
        store.close().await;
    }
}

/// Events 1..=n of a document as one append (a synced chain's tail), each with its audit entry.
fn tail(doc: Uuid, seqs: std::ops::RangeInclusive<i64>) -> EventAppend {
    let mut a = append(doc, *seqs.start(), "taken_over", "k-c");
    a.events =
        seqs.clone().map(|s| event(s, if s == 1 { "taken_over" } else { "delivered" }, "carrier", "k-c")).collect();
    a.audit =
        seqs.map(|s| AuditEntry { document_id: Some(doc), ..party_entry(&format!("event.appended:{s}")) }).collect();
    a.state = "delivered".into();
    a
}

async fn appended_actions(store: &Store, doc: Uuid) -> Vec<String> {
    let entries = store.audit.for_document(doc).await.unwrap();
    entries.into_iter().map(|e| e.action).filter(|a| a.starts_with("event.appended")).collect()
}

#[tokio::test]
async fn an_append_of_several_events_writes_those_missing_and_checks_the_others() {
    for store in common::stores("an_append_of_several_events").await {
        let doc = document("N-T", "k-s", "k-c");
        store.documents.insert_document(doc.clone()).await.unwrap();

        // Seq 1 alone first, then 1..=3: only 2 and 3 are written, with their audit entries.
        store.documents.append_event(tail(doc.id, 1..=1)).await.unwrap();
        let s = match store.documents.append_event(tail(doc.id, 1..=3)).await.unwrap() {
            AppendOutcome::Appended(s, seqs) => {
                assert_eq!(seqs, [2, 3], "{}", store.backend());
                s
            }
            other => panic!("{}: expected Appended, got {other:?}", store.backend()),
        };
        assert_eq!((s.last_seq, s.state.as_str()), (3, "delivered"));
        assert_eq!(
            appended_actions(&store, doc.id).await,
            ["event.appended:1", "event.appended:2", "event.appended:3"]
        );
        // The same tail again, or a part of it: nothing changes.
        assert!(matches!(
            store.documents.append_event(tail(doc.id, 1..=3)).await.unwrap(),
            AppendOutcome::Identical(_)
        ));
        assert!(matches!(
            store.documents.append_event(tail(doc.id, 2..=2)).await.unwrap(),
            AppendOutcome::Identical(_)
        ));

        // A tail whose stored part differs, one with a gap, one beyond the end, and an empty one: nothing written.
        let mut differs = tail(doc.id, 2..=4);
        differs.events[0].digest = "sha256:other".into();
        // (4 follows the stored 3, but 6 does not follow 4.)
        let mut gap = tail(doc.id, 4..=4);
        gap.events.push(event(6, "delivered", "carrier", "k-c"));
        let mut empty = tail(doc.id, 4..=4);
        empty.events.clear();
        for bad in [differs, tail(doc.id, 5..=6), gap, empty] {
            assert_eq!(store.documents.append_event(bad).await.unwrap(), AppendOutcome::SeqTaken { last_seq: 3 });
        }
        let stored = store.documents.get_document(doc.id).await.unwrap().unwrap();
        assert_eq!(stored.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(appended_actions(&store, doc.id).await.len(), 3);
        store.close().await;
    }
}

#[tokio::test]
async fn concurrent_appends_of_the_same_tail_write_it_once() {
    for store in common::stores("concurrent_appends_of_the_same_tail").await {
        let doc = document("N-TT", "k-s", "k-c");
        store.documents.insert_document(doc.clone()).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                // Some start at seq 1, some repeat it and go on.
                let a = if i % 2 == 0 { tail(doc.id, 1..=3) } else { tail(doc.id, 1..=2) };
                tokio::spawn(async move { store.documents.append_event(a).await.unwrap() })
            })
            .collect();
        let mut written = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                AppendOutcome::Appended(_, seqs) => written.extend(seqs),
                AppendOutcome::Identical(_) => {}
                other => panic!("{}: unexpected {other:?}", store.backend()),
            }
        }
        written.sort_unstable();
        assert_eq!(written, [1, 2, 3], "{}: each seq written by exactly one append", store.backend());
        assert_eq!(appended_actions(&store, doc.id).await.len(), 3);
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
            a.events[0].digest = format!("sha256:contender-{i}");
            tasks.push(tokio::spawn(async move { store.documents.append_event(a).await.unwrap() }));
        }
        let mut won = 0;
        let mut lost = 0;
        for t in tasks {
            match t.await.unwrap() {
                AppendOutcome::Appended(..) => won += 1,
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

        assert!(store.documents.is_linked(mine[1], &["k-me".into()], &[]).await.unwrap());
        assert!(!store.documents.is_linked(mine[1], &["k-stranger".into()], &[]).await.unwrap());
        assert!(!store.documents.is_linked(mine[1], &[], &[]).await.unwrap());
        // Found by the party the notes name, without a key of theirs.
        let by_identity = ListQuery {
            key_ids: vec!["k-none".into()],
            party_refs: vec!["id:vat:k-carrier".into()],
            limit: 50,
            ..Default::default()
        };
        let found = store.documents.list_documents(&by_identity).await.unwrap();
        assert_eq!(found.len(), 5);
        assert!(found.iter().all(|d| mine.contains(&d.id)), "{found:?}");
        let as_sender = ListQuery { role: Some("sender".into()), ..by_identity.clone() };
        assert!(store.documents.list_documents(&as_sender).await.unwrap().is_empty());
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
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE events SET body = '{}'",
        "DELETE FROM events",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
    ] {
        assert!(conn.execute(sql, []).is_err(), "sqlite: {sql}");
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

fn destination(
    request_id: Uuid,
    gate: &str,
    deadline: chrono::DateTime<chrono::Utc>,
) -> ecmr_gateway::store::Destination {
    ecmr_gateway::store::Destination {
        request_id,
        gate_id: gate.into(),
        kind: "identifiers".into(),
        message: "<identifierQuery/>".into(),
        status: "PENDING".into(),
        error_code: None,
        error_description: None,
        answer: None,
        attempts: 0,
        last_error: None,
        delivered_at: None,
        deadline,
        answered_at: None,
        created_at: now(),
    }
}

fn answer(status: &str, data: &str) -> ecmr_gateway::store::DestinationAnswer {
    ecmr_gateway::store::DestinationAnswer {
        status: status.into(),
        error_code: None,
        error_description: None,
        answer: Some(data.into()),
        raw: format!("<raw>{data}</raw>"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn federation_answers_once_before_the_deadline_and_keeps_the_rest_aside() {
    use ecmr_gateway::store::{AnswerOutcome, Inbound};
    for store in common::stores("federation_answers_once").await {
        let f = &store.federation;
        let id = Uuid::now_v7();
        let later = now() + Duration::seconds(60);
        f.add_destinations(&[
            destination(id, "gate-nl", later),
            destination(id, "gate-lu", now() - Duration::seconds(1)),
        ])
        .await
        .expect("stored");
        // Both undelivered; only the one whose deadline is ahead is sent again after a restart.
        let undelivered: Vec<String> = f.undelivered(now()).await.unwrap().into_iter().map(|d| d.gate_id).collect();
        assert_eq!(undelivered, ["gate-nl"], "{}", store.backend());
        f.record_attempt(id, "gate-nl", 1, Some("refused"), None).await.unwrap();
        f.record_attempt(id, "gate-nl", 2, None, Some(now())).await.unwrap();
        assert!(f.undelivered(now()).await.unwrap().is_empty(), "delivered: not sent again");

        assert_eq!(
            f.record_answer(id, "gate-nl", &answer("COMPLETE", "[1]"), now()).await.unwrap(),
            AnswerOutcome::Applied
        );
        assert_eq!(
            f.record_answer(id, "gate-nl", &answer("COMPLETE", "[2]"), now()).await.unwrap(),
            AnswerOutcome::Duplicate
        );
        assert_eq!(
            f.record_answer(id, "gate-lu", &answer("COMPLETE", "[3]"), now()).await.unwrap(),
            AnswerOutcome::Late
        );
        assert_eq!(
            f.record_answer(id, "gate-xx", &answer("COMPLETE", "[4]"), now()).await.unwrap(),
            AnswerOutcome::Unknown
        );
        let ds = f.destinations(id).await.unwrap();
        let lu = ds.iter().find(|d| d.gate_id == "gate-lu").unwrap();
        let nl = ds.iter().find(|d| d.gate_id == "gate-nl").unwrap();
        assert_eq!((nl.status.as_str(), nl.answer.as_deref(), nl.attempts), ("COMPLETE", Some("[1]"), 2));
        assert_eq!(nl.last_error, None);
        assert_eq!(lu.status_at(now()), "TIMEOUT", "a late answer changes nothing");
        let aside = f.late_answers(id).await.unwrap();
        assert_eq!(aside, [("gate-nl".to_owned(), "duplicate".to_owned()), ("gate-lu".to_owned(), "late".to_owned())]);

        // Message ids: the second sight is a replay.
        let m = Uuid::new_v4().to_string();
        assert!(f.see_message(&m, "gate-be", now()).await.unwrap());
        assert!(!f.see_message(&m, "gate-be", now()).await.unwrap());

        // A peer's request is kept once, with the answer owed, until the peer has it.
        let inbound = Inbound {
            origin: "gate-be".into(),
            request_id: id.to_string(),
            kind: "uil".into(),
            message: "<uilQuery/>".into(),
            received_at: now(),
            answer: None,
            answered_at: None,
        };
        assert!(f.add_inbound(&inbound).await.unwrap());
        assert!(!f.add_inbound(&inbound).await.unwrap(), "asked twice, kept once");
        f.set_inbound_answer("gate-be", &inbound.request_id, "uil", "<uilResponse/>").await.unwrap();
        let open = f.unanswered_inbound().await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].answer.as_deref(), Some("<uilResponse/>"));
        f.inbound_answered("gate-be", &inbound.request_id, "uil", now()).await.unwrap();
        assert!(f.unanswered_inbound().await.unwrap().is_empty());
        store.close().await;
    }
}
