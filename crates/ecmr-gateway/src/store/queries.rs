//! The SQL both backends share. Both speak `$N` placeholders, `ON CONFLICT DO NOTHING` and `RETURNING`, and the two
//! schemas use the same column names and value forms, so one body of code serves both: [`queries!`] stamps it out
//! once per connection type.

/// Runs `$body`, a future that uses `$sp`, in a savepoint `$sp` of `$conn`: released when the body succeeds,
/// rolled back when it fails, so that the writes of one failing part of a batch leave the others intact.
macro_rules! in_savepoint {
    ($conn:expr, |$sp:ident| $body:expr) => {
        match $conn.begin().await {
            Ok(mut $sp) => match $body.await {
                Ok(value) => $sp.commit().await.map(|()| value).map_err($crate::store::StoreError::from),
                Err(e) => {
                    let _ = $sp.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err($crate::store::StoreError::from(e)),
        }
    };
}
pub(crate) use in_savepoint;

macro_rules! queries {
    ($db:ty, $conn:ty) => {
        use std::collections::BTreeMap;

        use chrono::{DateTime, Utc};
        use sqlx::{QueryBuilder, Row};
        use uuid::Uuid;

        use crate::store::{
            format_time, parse_time, AppendOutcome, AuditEntry, DocumentKey, DocumentSummary, EventAppend,
            Identifier, InsertOutcome, KeyRelation, ListQuery, NewDocument, NewToken, Principal, PrincipalKey,
            PrincipalKind, StoreError, StoreResult, StoredDocument, StoredEvent, TokenInfo,
        };

        fn uuid(s: &str) -> StoreResult<Uuid> {
            Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("uuid {s:?}: {e}")))
        }

        fn opt_time(s: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
            s.as_deref().map(parse_time).transpose()
        }

        fn summary_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<(DocumentSummary, String)> {
            Ok((
                DocumentSummary {
                    id: uuid(&row.try_get::<String, _>("id")?)?,
                    note_number: row.try_get("note_number")?,
                    state: row.try_get("state")?,
                    last_seq: row.try_get("last_seq")?,
                    last_event_digest: row.try_get("last_event_digest")?,
                    received_at: parse_time(&row.try_get::<String, _>("received_at")?)?,
                    updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
                },
                row.try_get("content_digest")?,
            ))
        }

        pub(crate) async fn summary(
            conn: &mut $conn,
            id: Uuid,
        ) -> StoreResult<Option<(DocumentSummary, String)>> {
            let row = sqlx::query(
                "SELECT id, note_number, state, last_seq, last_event_digest, received_at, updated_at, \
                 content_digest FROM documents WHERE id = $1",
            )
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(summary_from).transpose()
        }

        async fn insert_keys(conn: &mut $conn, id: Uuid, keys: &[DocumentKey]) -> StoreResult<()> {
            for k in keys {
                sqlx::query(
                    "INSERT INTO document_keys (key_id, document_id, role, relation) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&k.key_id)
                .bind(id.to_string())
                .bind(&k.role)
                .bind(k.relation.as_str())
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        async fn insert_event(
            conn: &mut $conn,
            id: Uuid,
            e: &crate::store::NewEvent,
            at: &str,
        ) -> StoreResult<bool> {
            let r = sqlx::query(
                "INSERT INTO events (document_id, seq, kind, role, signer_key_id, digest, body, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(id.to_string())
            .bind(e.seq)
            .bind(&e.kind)
            .bind(&e.role)
            .bind(&e.signer_key_id)
            .bind(&e.digest)
            .bind(&e.body)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            Ok(r.rows_affected() == 1)
        }

        /// Rows per multi-row INSERT, well under SQLite's bound-parameter limit.
        const CHUNK: usize = 100;

        /// Stores identifier rows, a few multi-row statements for many documents.
        async fn insert_identifiers(conn: &mut $conn, idents: &[(Uuid, &Identifier)]) -> StoreResult<()> {
            for chunk in idents.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO identifiers (document_id, kind, value, country, mode_code, dangerous_goods) ",
                );
                qb.push_values(chunk.iter(), |mut b, (id, i)| {
                    b.push_bind(id.to_string())
                        .push_bind(i.kind.clone())
                        .push_bind(i.value.clone())
                        .push_bind(i.country.clone())
                        .push_bind(i.mode_code.clone())
                        .push_bind(i.dangerous_goods);
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Stores many verified documents with a handful of multi-row statements; each gets its own outcome, as
        /// [`insert_document`] would give it.
        pub(crate) async fn insert_documents(
            conn: &mut $conn,
            docs: &[&NewDocument],
        ) -> StoreResult<Vec<InsertOutcome>> {
            let mut inserted = std::collections::HashSet::new();
            for chunk in docs.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO documents (id, content_digest, note_number, sender_ref, note_json, state, \
                     last_seq, last_event_digest, submitted_by, received_at, updated_at, efti_xml) ",
                );
                qb.push_values(chunk.iter(), |mut b, d| {
                    let last = d.events.last();
                    let at = format_time(d.received_at);
                    b.push_bind(d.id.to_string())
                        .push_bind(d.content_digest.clone())
                        .push_bind(d.note_number.clone())
                        .push_bind(d.sender_ref.clone())
                        .push_bind(d.note_json.clone())
                        .push_bind(d.state.clone())
                        .push_bind(last.map(|e| e.seq).unwrap_or(-1))
                        .push_bind(last.map(|e| e.digest.clone()).unwrap_or_default())
                        .push_bind(d.submitted_by.to_string())
                        .push_bind(at.clone())
                        .push_bind(at)
                        .push_bind(d.efti_xml.clone());
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING id");
                for row in qb.build().fetch_all(&mut *conn).await? {
                    inserted.insert(row.try_get::<String, _>("id")?);
                }
            }
            // Which submission made each inserted row: the first with that id (rows are inserted in order).
            let mut made = Vec::with_capacity(docs.len());
            let mut taken = std::collections::HashSet::new();
            for d in docs {
                let id = d.id.to_string();
                made.push(inserted.contains(&id) && taken.insert(id));
            }
            let new: Vec<&NewDocument> =
                docs.iter().zip(&made).filter(|(_, m)| **m).map(|(d, _)| *d).collect();
            if new.iter().any(|d| d.events.is_empty()) {
                return Err(StoreError::Corrupt("a document without events cannot be stored".into()));
            }
            let events: Vec<(&NewDocument, &crate::store::NewEvent)> =
                new.iter().flat_map(|d| d.events.iter().map(move |e| (*d, e))).collect();
            for chunk in events.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO events (document_id, seq, kind, role, signer_key_id, digest, body, received_at) ",
                );
                qb.push_values(chunk.iter(), |mut b, (d, e)| {
                    b.push_bind(d.id.to_string())
                        .push_bind(e.seq)
                        .push_bind(e.kind.clone())
                        .push_bind(e.role.clone())
                        .push_bind(e.signer_key_id.clone())
                        .push_bind(e.digest.clone())
                        .push_bind(e.body.clone())
                        .push_bind(format_time(d.received_at));
                });
                qb.build().execute(&mut *conn).await?;
            }
            let keys: Vec<(&NewDocument, &DocumentKey)> =
                new.iter().flat_map(|d| d.keys.iter().map(move |k| (*d, k))).collect();
            for chunk in keys.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO document_keys (key_id, document_id, role, relation) ");
                qb.push_values(chunk.iter(), |mut b, (d, k)| {
                    b.push_bind(k.key_id.clone())
                        .push_bind(d.id.to_string())
                        .push_bind(k.role.clone())
                        .push_bind(k.relation.as_str());
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut *conn).await?;
            }
            let idents: Vec<(Uuid, &Identifier)> =
                new.iter().flat_map(|d| d.identifiers.iter().map(move |i| (d.id, i))).collect();
            insert_identifiers(conn, &idents).await?;
            let audit: Vec<AuditEntry> = new
                .iter()
                .map(|d| AuditEntry {
                    at: d.received_at,
                    document_id: Some(d.id),
                    principal_id: d.submitted_by,
                    principal_kind: PrincipalKind::Party,
                    action: "document.created".into(),
                    reason: None,
                    request_id: None,
                })
                .collect();
            audit_append_many(conn, &audit).await?;

            let mut out = Vec::with_capacity(docs.len());
            for (d, made) in docs.iter().zip(made) {
                if made {
                    let last = d.events.last();
                    out.push(InsertOutcome::Created(DocumentSummary {
                        id: d.id,
                        note_number: d.note_number.clone(),
                        state: d.state.clone(),
                        last_seq: last.map(|e| e.seq).unwrap_or(-1),
                        last_event_digest: last.map(|e| e.digest.clone()).unwrap_or_default(),
                        received_at: d.received_at,
                        updated_at: d.received_at,
                    }));
                    continue;
                }
                // Not inserted: the same document again, another with its id, or a reused note number.
                if let Some((s, digest)) = summary(conn, d.id).await? {
                    out.push(if digest == d.content_digest { InsertOutcome::Identical(s) } else { InsertOutcome::IdTaken });
                    continue;
                }
                let row = sqlx::query("SELECT id FROM documents WHERE sender_ref = $1 AND note_number = $2")
                    .bind(&d.sender_ref)
                    .bind(&d.note_number)
                    .fetch_optional(&mut *conn)
                    .await?;
                match row {
                    Some(row) => out.push(InsertOutcome::NoteNumberTaken {
                        existing: uuid(&row.try_get::<String, _>("id")?)?,
                    }),
                    None => {
                        return Err(StoreError::Corrupt(format!("document {} was neither stored nor found", d.id)));
                    }
                }
            }
            Ok(out)
        }

        /// Applies a batch of writes inside the open transaction on `conn`: new documents together with a few
        /// multi-row statements, each append in its own savepoint, audit entries together. The caller commits.
        pub(crate) async fn apply_ops(
            conn: &mut $conn,
            ops: Vec<crate::store::writer::WriteOp>,
        ) -> Vec<crate::store::writer::Done> {
            use crate::store::writer::{Done, WriteOp};
            use sqlx::Connection as _;
            let mut done = Vec::with_capacity(ops.len());
            let mut inserts = Vec::new();
            let mut appends = Vec::new();
            let mut audits = Vec::new();
            let mut controls: Vec<(Box<crate::store::ControlWrite>, _)> = Vec::new();
            for op in ops {
                match op {
                    WriteOp::Insert(doc, s) => inserts.push((doc, s)),
                    WriteOp::Append(a, s) => appends.push((a, s)),
                    WriteOp::Audit(e, s) => audits.push((e, s)),
                    WriteOp::Control(c, s) => controls.push((c, s)),
                    WriteOp::Shutdown(_) => {}
                }
            }
            // New documents together, with a few multi-row statements, in one savepoint. Appends and audit entries in a
            // batch never concern a document inserted in the same batch (an append is verified against a stored chain).
            if !inserts.is_empty() {
                let docs: Vec<&NewDocument> = inserts.iter().map(|(d, _)| d.as_ref()).collect();
                let result = $crate::store::queries::in_savepoint!(conn, |sp| insert_documents(&mut sp, &docs));
                match result {
                    Ok(outcomes) => {
                        for ((_, s), o) in inserts.into_iter().zip(outcomes) {
                            done.push(Done::Insert(s, Ok(o)));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a batch of new documents failed");
                        let why = e.to_string();
                        for (_, s) in inserts {
                            done.push(Done::Insert(s, Err(StoreError::Commit(why.clone()))));
                        }
                    }
                }
            }
            for (a, s) in appends {
                // Each append in its own savepoint, so one failing append leaves the others intact.
                let r = $crate::store::queries::in_savepoint!(conn, |sp| append_event(&mut sp, &a));
                done.push(Done::Append(s, r));
            }
            // Authority requests together, with multi-row statements, in one savepoint; if that fails, each in its
            // own savepoint so that one bad write does not take the others with it. Either way a request's answer
            // and its audit entries stand or fall together.
            if controls.len() > 1 {
                let writes: Vec<&crate::store::ControlWrite> = controls.iter().map(|(c, _)| c.as_ref()).collect();
                let together = $crate::store::queries::in_savepoint!(conn, |sp| write_controls(&mut sp, &writes));
                match together {
                    Ok(()) => {
                        for (_, s) in controls.drain(..) {
                            done.push(Done::Control(s, Ok(())));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "a batch of authority requests failed; writing them one by one"),
                }
            }
            for (c, s) in controls {
                let r = $crate::store::queries::in_savepoint!(conn, |sp| write_controls(&mut sp, &[c.as_ref()]));
                done.push(Done::Control(s, r));
            }
            if !audits.is_empty() {
                let entries: Vec<AuditEntry> = audits.iter().map(|(e, _)| (**e).clone()).collect();
                let r = $crate::store::queries::in_savepoint!(conn, |sp| audit_append_many(&mut sp, &entries));
                let why = r.as_ref().err().map(ToString::to_string);
                for (_, s) in audits {
                    done.push(Done::Audit(
                        s,
                        match &why {
                            None => Ok(()),
                            Some(w) => Err(StoreError::Commit(w.clone())),
                        },
                    ));
                }
            }
            done
        }

        /// Appends many audit entries with multi-row statements.
        pub(crate) async fn audit_append_many(conn: &mut $conn, entries: &[AuditEntry]) -> StoreResult<()> {
            for chunk in entries.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO audit_log (at, document_id, principal_id, principal_kind, action, reason, request_id) ",
                );
                qb.push_values(chunk.iter(), |mut b, e| {
                    b.push_bind(format_time(e.at))
                        .push_bind(e.document_id.map(|d| d.to_string()))
                        .push_bind(e.principal_id.to_string())
                        .push_bind(e.principal_kind.as_str())
                        .push_bind(e.action.clone())
                        .push_bind(e.reason.clone())
                        .push_bind(e.request_id.clone());
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        pub(crate) async fn append_event(conn: &mut $conn, a: &EventAppend) -> StoreResult<AppendOutcome> {
            let Some((current, _)) = summary(conn, a.document_id).await? else {
                return Ok(AppendOutcome::NotFound);
            };
            let at = format_time(a.received_at);
            if a.event.seq == current.last_seq + 1 && insert_event(conn, a.document_id, &a.event, &at).await? {
                let r = sqlx::query(
                    "UPDATE documents SET state = $1, last_seq = $2, last_event_digest = $3, updated_at = $4, \
                     efti_xml = $5 WHERE id = $6 AND last_seq = $7",
                )
                .bind(&a.state)
                .bind(a.event.seq)
                .bind(&a.event.digest)
                .bind(&at)
                .bind(&a.efti_xml)
                .bind(a.document_id.to_string())
                .bind(current.last_seq)
                .execute(&mut *conn)
                .await?;
                if r.rows_affected() != 1 {
                    return Err(StoreError::Corrupt(format!(
                        "document {} moved on while event {} was appended",
                        a.document_id, a.event.seq
                    )));
                }
                insert_keys(conn, a.document_id, &a.keys).await?;
                // The roadside index follows the note: an amendment may change the vehicle or the equipment.
                sqlx::query("DELETE FROM identifiers WHERE document_id = $1")
                    .bind(a.document_id.to_string())
                    .execute(&mut *conn)
                    .await?;
                let idents: Vec<(Uuid, &Identifier)> = a.identifiers.iter().map(|i| (a.document_id, i)).collect();
                insert_identifiers(conn, &idents).await?;
                audit_append(conn, &AuditEntry {
                    at: a.received_at,
                    document_id: Some(a.document_id),
                    principal_id: a.submitted_by,
                    principal_kind: PrincipalKind::Party,
                    action: format!("event.appended:{}", a.event.seq),
                    reason: None,
                    request_id: None,
                })
                .await?;
                return Ok(AppendOutcome::Appended(DocumentSummary {
                    state: a.state.clone(),
                    last_seq: a.event.seq,
                    last_event_digest: a.event.digest.clone(),
                    updated_at: a.received_at,
                    ..current
                }));
            }
            // The seq is not free: the same event again is fine, anything else is a conflict.
            let existing = sqlx::query("SELECT digest FROM events WHERE document_id = $1 AND seq = $2")
                .bind(a.document_id.to_string())
                .bind(a.event.seq)
                .fetch_optional(&mut *conn)
                .await?;
            let now = summary(conn, a.document_id).await?.map(|(s, _)| s).unwrap_or(current);
            match existing {
                Some(row) if row.try_get::<String, _>("digest")? == a.event.digest => {
                    Ok(AppendOutcome::Identical(now))
                }
                _ => Ok(AppendOutcome::SeqTaken { last_seq: now.last_seq }),
            }
        }

        pub(crate) async fn get_document(conn: &mut $conn, id: Uuid) -> StoreResult<Option<StoredDocument>> {
            let row = sqlx::query(
                "SELECT id, note_number, state, last_seq, last_event_digest, received_at, updated_at, \
                 content_digest, note_json FROM documents WHERE id = $1",
            )
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let (summary, content_digest) = summary_from(&row)?;
            let note_json: String = row.try_get("note_json")?;
            let rows = sqlx::query(
                "SELECT seq, kind, role, signer_key_id, digest, body, received_at FROM events \
                 WHERE document_id = $1 ORDER BY seq",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let mut events = Vec::with_capacity(rows.len());
            for r in &rows {
                events.push(StoredEvent {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    role: r.try_get("role")?,
                    signer_key_id: r.try_get("signer_key_id")?,
                    digest: r.try_get("digest")?,
                    body: r.try_get("body")?,
                    received_at: parse_time(&r.try_get::<String, _>("received_at")?)?,
                });
            }
            let rows = sqlx::query(
                "SELECT key_id, role, relation FROM document_keys WHERE document_id = $1 \
                 ORDER BY key_id, role, relation",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let mut keys = Vec::with_capacity(rows.len());
            for r in &rows {
                let relation = match r.try_get::<String, _>("relation")?.as_str() {
                    "signer" => KeyRelation::Signer,
                    "pinned" => KeyRelation::Pinned,
                    other => return Err(StoreError::Corrupt(format!("key relation {other:?}"))),
                };
                keys.push(DocumentKey { key_id: r.try_get("key_id")?, role: r.try_get("role")?, relation });
            }
            Ok(Some(StoredDocument { summary, content_digest, note_json, events, keys }))
        }

        pub(crate) async fn is_linked(conn: &mut $conn, id: Uuid, key_ids: &[String]) -> StoreResult<bool> {
            if key_ids.is_empty() {
                return Ok(false);
            }
            let mut qb = QueryBuilder::<$db>::new("SELECT 1 AS one FROM document_keys WHERE document_id = ");
            qb.push_bind(id.to_string());
            qb.push(" AND key_id IN (");
            let mut sep = qb.separated(", ");
            for k in key_ids {
                sep.push_bind(k.clone());
            }
            qb.push(") LIMIT 1");
            Ok(qb.build().fetch_optional(&mut *conn).await?.is_some())
        }

        pub(crate) async fn list_documents(conn: &mut $conn, q: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
            if q.key_ids.is_empty() || q.limit == 0 {
                return Ok(Vec::new());
            }
            let mut qb = QueryBuilder::<$db>::new(
                "SELECT id, note_number, state, last_seq, last_event_digest, received_at, updated_at, \
                 content_digest FROM documents WHERE id IN (SELECT document_id FROM document_keys WHERE key_id IN (",
            );
            let mut sep = qb.separated(", ");
            for k in &q.key_ids {
                sep.push_bind(k.clone());
            }
            qb.push(")");
            if let Some(role) = &q.role {
                qb.push(" AND role = ").push_bind(role.clone());
            }
            qb.push(")");
            if let Some(state) = &q.state {
                qb.push(" AND state = ").push_bind(state.clone());
            }
            if let Some(since) = q.updated_since {
                qb.push(" AND updated_at >= ").push_bind(format_time(since));
            }
            if let Some((t, id)) = q.after {
                let t = format_time(t);
                qb.push(" AND (updated_at > ").push_bind(t.clone());
                qb.push(" OR (updated_at = ").push_bind(t);
                qb.push(" AND id > ").push_bind(id.to_string());
                qb.push("))");
            }
            qb.push(" ORDER BY updated_at, id LIMIT ").push_bind(i64::from(q.limit));
            let rows = qb.build().fetch_all(&mut *conn).await?;
            rows.iter().map(|r| summary_from(r).map(|(s, _)| s)).collect()
        }

        pub(crate) async fn count_documents(conn: &mut $conn) -> StoreResult<i64> {
            Ok(sqlx::query("SELECT COUNT(*) AS n FROM documents").fetch_one(&mut *conn).await?.try_get("n")?)
        }

        pub(crate) async fn identifiers(conn: &mut $conn, id: Uuid) -> StoreResult<Vec<Identifier>> {
            let rows = sqlx::query(
                "SELECT kind, value, country, mode_code, dangerous_goods FROM identifiers \
                 WHERE document_id = $1 ORDER BY kind, value",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(Identifier {
                    kind: r.try_get("kind")?,
                    value: r.try_get("value")?,
                    country: r.try_get("country")?,
                    mode_code: r.try_get("mode_code")?,
                    dangerous_goods: r.try_get("dangerous_goods")?,
                });
            }
            Ok(out)
        }

        // ---------------------------------------------------------------------------------------------------
        // Principals

        pub(crate) async fn add_principal(conn: &mut $conn, p: &Principal, token: &NewToken) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO principals (id, kind, name, details, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(p.id.to_string())
            .bind(p.kind.as_str())
            .bind(&p.name)
            .bind(p.details.to_string())
            .bind(format_time(p.created_at))
            .bind(p.revoked_at.map(format_time))
            .execute(&mut *conn)
            .await?;
            for k in &p.keys {
                sqlx::query("INSERT INTO principal_keys (principal_id, key_id, public_key) VALUES ($1, $2, $3)")
                    .bind(p.id.to_string())
                    .bind(&k.key_id)
                    .bind(&k.public_key)
                    .execute(&mut *conn)
                    .await?;
            }
            add_token(conn, token).await
        }

        pub(crate) async fn add_token(conn: &mut $conn, t: &NewToken) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO tokens (id, token_sha256, principal_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(t.id.to_string())
            .bind(&t.token_sha256)
            .bind(t.principal_id.to_string())
            .bind(format_time(t.created_at))
            .bind(t.expires_at.map(format_time))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        fn principal_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<Principal> {
            let kind: String = row.try_get("kind")?;
            let details: String = row.try_get("details")?;
            Ok(Principal {
                id: uuid(&row.try_get::<String, _>("id")?)?,
                kind: kind.parse::<PrincipalKind>().map_err(StoreError::Corrupt)?,
                name: row.try_get("name")?,
                details: serde_json::from_str(&details)
                    .map_err(|e| StoreError::Corrupt(format!("principal details: {e}")))?,
                keys: Vec::new(),
                created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
                revoked_at: opt_time(row.try_get("revoked_at")?)?,
            })
        }

        async fn with_keys(conn: &mut $conn, mut ps: Vec<Principal>) -> StoreResult<Vec<Principal>> {
            if ps.is_empty() {
                return Ok(ps);
            }
            let mut qb = QueryBuilder::<$db>::new(
                "SELECT principal_id, key_id, public_key FROM principal_keys WHERE principal_id IN (",
            );
            let mut sep = qb.separated(", ");
            for p in &ps {
                sep.push_bind(p.id.to_string());
            }
            qb.push(") ORDER BY principal_id, key_id");
            let rows = qb.build().fetch_all(&mut *conn).await?;
            let mut by: BTreeMap<String, Vec<PrincipalKey>> = BTreeMap::new();
            for r in &rows {
                by.entry(r.try_get("principal_id")?)
                    .or_default()
                    .push(PrincipalKey { key_id: r.try_get("key_id")?, public_key: r.try_get("public_key")? });
            }
            for p in &mut ps {
                p.keys = by.remove(&p.id.to_string()).unwrap_or_default();
            }
            Ok(ps)
        }

        pub(crate) async fn list_principals(conn: &mut $conn) -> StoreResult<Vec<Principal>> {
            let rows = sqlx::query(
                "SELECT p.id, p.kind, p.name, p.details, p.created_at, p.revoked_at FROM principals p \
                 ORDER BY p.created_at, p.id",
            )
            .fetch_all(&mut *conn)
            .await?;
            let ps = rows.iter().map(principal_from).collect::<StoreResult<Vec<_>>>()?;
            with_keys(conn, ps).await
        }

        pub(crate) async fn get_principal(conn: &mut $conn, id: Uuid) -> StoreResult<Option<Principal>> {
            let row = sqlx::query(
                "SELECT p.id, p.kind, p.name, p.details, p.created_at, p.revoked_at FROM principals p \
                 WHERE p.id = $1",
            )
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(with_keys(conn, vec![principal_from(&r)?]).await?.pop()),
            }
        }

        pub(crate) async fn revoke_principal(conn: &mut $conn, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
            let at = format_time(at);
            let r = sqlx::query("UPDATE principals SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(&at)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE principal_id = $2 AND revoked_at IS NULL")
                .bind(&at)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(r.rows_affected() == 1)
        }

        pub(crate) async fn set_details(conn: &mut $conn, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
            let r = sqlx::query("UPDATE principals SET details = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(details.to_string())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(r.rows_affected() == 1)
        }

        pub(crate) async fn revoke_token(conn: &mut $conn, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
            let r = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(format_time(at))
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(r.rows_affected() == 1)
        }

        pub(crate) async fn list_tokens(conn: &mut $conn, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
            let rows = sqlx::query(
                "SELECT id, principal_id, created_at, expires_at, revoked_at FROM tokens \
                 WHERE principal_id = $1 ORDER BY created_at, id",
            )
            .bind(principal_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(TokenInfo {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    principal_id: uuid(&r.try_get::<String, _>("principal_id")?)?,
                    created_at: parse_time(&r.try_get::<String, _>("created_at")?)?,
                    expires_at: opt_time(r.try_get("expires_at")?)?,
                    revoked_at: opt_time(r.try_get("revoked_at")?)?,
                });
            }
            Ok(out)
        }

        pub(crate) async fn authenticate(
            conn: &mut $conn,
            token_sha256: &str,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<Principal>> {
            let row = sqlx::query(
                "SELECT p.id, p.kind, p.name, p.details, p.created_at, p.revoked_at \
                 FROM tokens t JOIN principals p ON p.id = t.principal_id \
                 WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND p.revoked_at IS NULL \
                 AND (t.expires_at IS NULL OR t.expires_at > $2)",
            )
            .bind(token_sha256)
            .bind(format_time(at))
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(with_keys(conn, vec![principal_from(&r)?]).await?.pop()),
            }
        }

        pub(crate) async fn key_owner(conn: &mut $conn, key_id: &str) -> StoreResult<Option<Uuid>> {
            let row = sqlx::query(
                "SELECT k.principal_id FROM principal_keys k JOIN principals p ON p.id = k.principal_id \
                 WHERE k.key_id = $1 AND p.revoked_at IS NULL LIMIT 1",
            )
            .bind(key_id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| uuid(&r.try_get::<String, _>("principal_id")?)).transpose()
        }

        pub(crate) async fn count_principals(conn: &mut $conn) -> StoreResult<i64> {
            Ok(sqlx::query("SELECT COUNT(*) AS n FROM principals").fetch_one(&mut *conn).await?.try_get("n")?)
        }

        // ---------------------------------------------------------------------------------------------------
        // Audit

        pub(crate) async fn audit_append(conn: &mut $conn, e: &AuditEntry) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO audit_log (at, document_id, principal_id, principal_kind, action, reason, request_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(format_time(e.at))
            .bind(e.document_id.map(|d| d.to_string()))
            .bind(e.principal_id.to_string())
            .bind(e.principal_kind.as_str())
            .bind(&e.action)
            .bind(&e.reason)
            .bind(&e.request_id)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn audit_for_document(conn: &mut $conn, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
            let rows = sqlx::query(
                "SELECT at, document_id, principal_id, principal_kind, action, reason, request_id FROM audit_log \
                 WHERE document_id = $1 ORDER BY id",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            audit_rows(&rows)
        }

        pub(crate) async fn audit_for_principal(conn: &mut $conn, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
            let rows = sqlx::query(
                "SELECT at, document_id, principal_id, principal_kind, action, reason, request_id FROM audit_log \
                 WHERE principal_id = $1 ORDER BY id",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            audit_rows(&rows)
        }

        fn audit_rows(rows: &[<$db as sqlx::Database>::Row]) -> StoreResult<Vec<AuditEntry>> {
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let kind: String = r.try_get("principal_kind")?;
                let doc: Option<String> = r.try_get("document_id")?;
                out.push(AuditEntry {
                    at: parse_time(&r.try_get::<String, _>("at")?)?,
                    document_id: doc.as_deref().map(uuid).transpose()?,
                    principal_id: uuid(&r.try_get::<String, _>("principal_id")?)?,
                    principal_kind: kind.parse::<PrincipalKind>().map_err(StoreError::Corrupt)?,
                    action: r.try_get("action")?,
                    reason: r.try_get("reason")?,
                    request_id: r.try_get("request_id")?,
                });
            }
            Ok(out)
        }

        // ---------------------------------------------------------------------------------------------------
        // eFTI control requests

        /// Writes many authority requests with multi-row statements: their requests, their audit entries and,
        /// one by one, their (rare) follow-up messages.
        async fn write_controls(conn: &mut $conn, writes: &[&crate::store::ControlWrite]) -> StoreResult<()> {
            let requests: Vec<&crate::store::ControlRequest> = writes.iter().filter_map(|c| c.request.as_ref()).collect();
            for chunk in requests.chunks(CHUNK) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO control_requests (id, kind, principal_id, document_id, subsets, status, error_code, \
                     error_description, data, answered_seq, created_at) ",
                );
                qb.push_values(chunk.iter(), |mut b, r| {
                    b.push_bind(r.id.to_string())
                        .push_bind(r.kind.clone())
                        .push_bind(r.principal_id.to_string())
                        .push_bind(r.document_id.map(|d| d.to_string()))
                        .push_bind(r.subsets.clone())
                        .push_bind(r.status.clone())
                        .push_bind(r.error_code.clone())
                        .push_bind(r.error_description.clone())
                        .push_bind(r.data.clone())
                        .push_bind(r.answered_seq)
                        .push_bind(format_time(r.created_at));
                });
                qb.build().execute(&mut *conn).await?;
            }
            for f in writes.iter().filter_map(|c| c.follow_up.as_ref()) {
                add_follow_up(conn, f).await?;
            }
            let audit: Vec<AuditEntry> = writes.iter().flat_map(|c| c.audit.iter().cloned()).collect();
            audit_append_many(conn, &audit).await
        }

        pub(crate) async fn add_follow_up(conn: &mut $conn, f: &crate::store::FollowUp) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO follow_ups (request_id, document_id, principal_id, message, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(f.request_id.to_string())
            .bind(f.document_id.to_string())
            .bind(f.principal_id.to_string())
            .bind(&f.message)
            .bind(format_time(f.at))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn follow_ups(conn: &mut $conn, document_id: Uuid) -> StoreResult<Vec<crate::store::FollowUp>> {
            let rows = sqlx::query(
                "SELECT request_id, document_id, principal_id, message, at FROM follow_ups \
                 WHERE document_id = $1 ORDER BY id",
            )
            .bind(document_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(crate::store::FollowUp {
                    request_id: uuid(&r.try_get::<String, _>("request_id")?)?,
                    document_id: uuid(&r.try_get::<String, _>("document_id")?)?,
                    principal_id: uuid(&r.try_get::<String, _>("principal_id")?)?,
                    message: r.try_get("message")?,
                    at: parse_time(&r.try_get::<String, _>("at")?)?,
                });
            }
            Ok(out)
        }

        pub(crate) async fn put_dataset(
            conn: &mut $conn,
            d: &crate::store::PlatformDataset,
            audit: &AuditEntry,
        ) -> StoreResult<bool> {
            let replaced = sqlx::query("SELECT 1 FROM platform_datasets WHERE platform_id = $1 AND dataset_id = $2")
                .bind(&d.platform_id)
                .bind(&d.dataset_id)
                .fetch_optional(&mut *conn)
                .await?
                .is_some();
            sqlx::query(
                "INSERT INTO platform_datasets (platform_id, dataset_id, principal_id, xml, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform_id, dataset_id) DO UPDATE SET \
                 principal_id = excluded.principal_id, xml = excluded.xml, updated_at = excluded.updated_at",
            )
            .bind(&d.platform_id)
            .bind(&d.dataset_id)
            .bind(d.principal_id.to_string())
            .bind(&d.xml)
            .bind(format_time(d.updated_at))
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM platform_identifiers WHERE platform_id = $1 AND dataset_id = $2")
                .bind(&d.platform_id)
                .bind(&d.dataset_id)
                .execute(&mut *conn)
                .await?;
            for i in &d.identifiers {
                sqlx::query(
                    "INSERT INTO platform_identifiers \
                     (platform_id, dataset_id, kind, value, country, mode_code, dangerous_goods) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&d.platform_id)
                .bind(&d.dataset_id)
                .bind(&i.kind)
                .bind(&i.value)
                .bind(&i.country)
                .bind(&i.mode_code)
                .bind(i.dangerous_goods)
                .execute(&mut *conn)
                .await?;
            }
            audit_append(conn, audit).await?;
            Ok(replaced)
        }

    };
}

pub(crate) use queries;
