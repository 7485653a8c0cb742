//! Documents with their events, the keys linked to them and their roadside identifiers: the records, the
//! [`DocumentStore`] trait, and its SQL for both backends.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{self, AuditEntry};
use super::sql::{Builder, CHUNK, Conn, Param, Params, Row, insert_rows, multi_row};
use super::{StoreError, StoreResult};

/// How a key relates to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRelation {
    /// The key signed one of the document's events.
    Signer,
    /// The note pins the key for a role.
    Pinned,
}

impl KeyRelation {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRelation::Signer => "signer",
            KeyRelation::Pinned => "pinned",
        }
    }
}

/// A key linked to a document, in a role (`sender`, `carrier`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    /// Key id: lowercase hex SHA-256 of the 32 public-key bytes.
    pub key_id: String,
    /// The role the key signs or is pinned for.
    pub role: String,
    /// Signer or pinned.
    pub relation: KeyRelation,
}

/// Whom a document names as a party, for access by identity: a party reference (`id:<scheme>:<value>`,
/// `name:<country>:<name>` or `principal:<id>`; see [`crate::service::identity::party_refs_of_block`]) in a role
/// (`sender`, `carrier`, …, or `participant` for a granted principal).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentParty {
    /// The reference.
    pub party_ref: String,
    /// The role.
    pub role: String,
}

/// A vehicle or equipment identifier of a document, for roadside searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// `vehicle`, `equipment` or `carried_equipment`.
    pub kind: String,
    /// The identifier, upper-case without spaces or dashes.
    pub value: String,
    /// Registration country, when known.
    pub country: Option<String>,
    /// Transport mode code, when known.
    pub mode_code: Option<String>,
    /// Whether the consignment carries dangerous goods.
    pub dangerous_goods: bool,
}

/// One verified event ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Position in the chain, from 0.
    pub seq: i64,
    /// Event kind (`issued`, `taken_over`, …).
    pub kind: String,
    /// Role of the signer.
    pub role: String,
    /// Key id of the signer.
    pub signer_key_id: String,
    /// `sha256:<hex>` of the event's canonical form, signature included (the next event's `prev`).
    pub digest: String,
    /// The event as submitted (JSON).
    pub body: String,
}

/// A verified document ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The document id (the eFTI datasetId).
    pub id: Uuid,
    /// `sha256:<hex>` of the canonical form of the whole submitted document: equal digests are the same submission.
    pub content_digest: String,
    /// The note number (box "number"), unique per sender.
    pub note_number: String,
    /// Who the sender is, for note-number uniqueness: `party:<principal id>` when the key that signed `issued` is
    /// bound to a party principal, else `key:<key id>` (see [`super::sender_ref`]).
    pub sender_ref: String,
    /// The note as issued (JSON).
    pub note_json: String,
    /// Lifecycle state after the last event.
    pub state: String,
    /// The events, seq 0 first.
    pub events: Vec<NewEvent>,
    /// Keys that signed or are pinned.
    pub keys: Vec<DocumentKey>,
    /// Whom the note names as its parties.
    pub parties: Vec<DocumentParty>,
    /// Vehicle and equipment identifiers.
    pub identifiers: Vec<Identifier>,
    /// The eFTI common dataset (`full`) of the document, when it reads back exactly (see the `efti_xml` column).
    pub efti_xml: Option<String>,
    /// Principal that submitted it.
    pub submitted_by: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The audit entry written with it (`document.created`), as the service made it.
    pub audit: AuditEntry,
}

/// A document's head: what changes as events are appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// The document id.
    pub id: Uuid,
    /// The note number.
    pub note_number: String,
    /// Lifecycle state after the last event.
    pub state: String,
    /// Seq of the last event.
    pub last_seq: i64,
    /// Digest of the last event.
    pub last_event_digest: String,
    /// When the document was first received.
    pub received_at: DateTime<Utc>,
    /// When the last event was appended.
    pub updated_at: DateTime<Utc>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the chain.
    pub seq: i64,
    /// Event kind.
    pub kind: String,
    /// Role of the signer.
    pub role: String,
    /// Key id of the signer.
    pub signer_key_id: String,
    /// Digest of the event.
    pub digest: String,
    /// The event as submitted (JSON).
    pub body: String,
    /// When the gateway received it.
    pub received_at: DateTime<Utc>,
}

/// A whole stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The head.
    pub summary: DocumentSummary,
    /// Digest of the original submission.
    pub content_digest: String,
    /// The note as issued (JSON).
    pub note_json: String,
    /// Every event, in order.
    pub events: Vec<StoredEvent>,
}

impl StoredDocument {
    /// The signed document as JSON: `{format, id, note, events}` with the note and the events as stored.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(
            self.note_json.len() + self.events.iter().map(|e| e.body.len() + 1).sum::<usize>() + 96,
        );
        out.push_str("{\"format\":\"ecmr-document/1\",\"id\":\"");
        out.push_str(&self.summary.id.to_string());
        out.push_str("\",\"note\":");
        out.push_str(&self.note_json);
        out.push_str(",\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&e.body);
        }
        out.push_str("]}");
        out
    }
}

/// A document's stored eFTI common dataset (see [`NewDocument::efti_xml`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDataset {
    /// The full dataset as XML; `None` when the document has none stored.
    pub xml: Option<String>,
    /// The seq of the document's last event, the state the dataset is of.
    pub last_seq: i64,
}

/// What happened to a document submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now.
    Created(DocumentSummary),
    /// The same content was stored before; nothing changed.
    Identical(DocumentSummary),
    /// A document with that id and other content exists.
    IdTaken,
    /// The sender already used that note number for another document.
    NoteNumberTaken {
        /// The document that has it.
        existing: Uuid,
    },
}

/// Events to append, verified against the chain they extend: one from `POST /events`, or the new tail of a chain
/// synced with `POST /v1/documents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAppend {
    /// The document.
    pub document_id: Uuid,
    /// The events, in order, with consecutive seqs; the first must be at or below the document's `last_seq + 1`.
    /// Those already stored (by an earlier or a concurrent request) must be the very events stored; the others are
    /// appended.
    pub events: Vec<NewEvent>,
    /// State after the last event.
    pub state: String,
    /// New keys (the signers, keys pinned by an amendment).
    pub keys: Vec<DocumentKey>,
    /// The parties the note names after the last event (those not named before are added; none is removed).
    pub parties: Vec<DocumentParty>,
    /// The vehicle and equipment identifiers of the note after the last event; they replace the stored ones (an
    /// amendment may change the vehicle).
    pub identifiers: Vec<Identifier>,
    /// The eFTI common dataset after the last event, replacing the stored one (see [`NewDocument::efti_xml`]).
    pub efti_xml: Option<String>,
    /// When they were received.
    pub received_at: DateTime<Utc>,
    /// The audit entries written with them (`event.appended:<seq>`), one per event in the same order, as the
    /// service made them; only those of events appended now are written.
    pub audit: Vec<AuditEntry>,
}

/// What happened to an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Appended now: the summary after it and the seqs appended (those found stored already are not named).
    Appended(DocumentSummary, Vec<i64>),
    /// Every event is already stored at its seq; nothing changed.
    Identical(DocumentSummary),
    /// Another event already holds one of the seqs, or the first seq is beyond the chain's end: nothing was
    /// written.
    SeqTaken {
        /// The document's last seq now.
        last_seq: i64,
    },
    /// No such document.
    NotFound,
}

/// Filters and paging for listing a party's documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Documents linked to any of these keys.
    pub key_ids: Vec<String>,
    /// Or naming any of these party references.
    pub party_refs: Vec<String>,
    /// Only this state.
    pub state: Option<String>,
    /// Only where one of the keys is linked in this role.
    pub role: Option<String>,
    /// Only documents updated at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Start after this `(updated_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// At most this many.
    pub limit: u32,
}

/// Documents and their events. Storing a document or an event also records it in the audit log
/// (`document.created`, `event.appended:<seq>`, given with the write) in the same transaction.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores a verified document, idempotently.
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome>;
    /// Appends verified events whose seqs are still free (see [`EventAppend`]), idempotently.
    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome>;
    /// Reads a whole document.
    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>>;
    /// Reads a document's head (number, state, last event), not its events.
    async fn summary(&self, id: Uuid) -> StoreResult<Option<DocumentSummary>>;
    /// Whether any of the keys is linked to the document.
    async fn is_linked(&self, id: Uuid, key_ids: &[String], party_refs: &[String]) -> StoreResult<bool>;
    /// Adds a party reference (a granted participant) to a stored document, with its audit entry, in one
    /// transaction; false when the document is not stored or already names it so.
    async fn add_party(&self, id: Uuid, party: &DocumentParty, audit: &AuditEntry) -> StoreResult<bool>;
    /// A page of documents linked to the given keys, ordered by `(updated_at, id)`.
    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>>;
    /// How many documents are stored.
    async fn count_documents(&self) -> StoreResult<i64>;
    /// The identifiers stored for a document.
    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>>;
    /// The stored eFTI common dataset of a document with the seq it reflects: `None` when there is no such
    /// document.
    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// A document's head and content digest, read by [`summary_from`].
pub(crate) const SUMMARY: &str = "SELECT id, note_number, state, last_seq, last_event_digest, received_at, \
     updated_at, content_digest FROM documents WHERE id = $1";
/// [`SUMMARY`]'s columns and the note.
pub(crate) const DOCUMENT: &str = "SELECT id, note_number, state, last_seq, last_event_digest, received_at, \
     updated_at, content_digest, note_json FROM documents WHERE id = $1";
/// A document's events, in order.
pub(crate) const EVENTS: &str = "SELECT seq, kind, role, signer_key_id, digest, body, received_at FROM events \
     WHERE document_id = $1 ORDER BY seq";
/// A new document; returns its id only when it was stored (an existing id leaves the row as it was).
pub(crate) const INSERT_DOCUMENT: &str = "INSERT INTO documents (id, content_digest, note_number, sender_ref, \
     note_json, state, last_seq, last_event_digest, submitted_by, received_at, updated_at, efti_xml) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id";
/// An event, unless its seq is taken.
pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (document_id, seq, kind, role, signer_key_id, digest, \
     body, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";
/// A key linked to a document.
/// A party reference of a document.
pub(crate) const INSERT_PARTY: &str = "INSERT INTO document_parties (party_ref, received_at, document_id, role) \
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
pub(crate) const INSERT_KEY: &str = "INSERT INTO document_keys (key_id, received_at, document_id, role, relation) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
/// A roadside identifier of a document.
pub(crate) const INSERT_IDENTIFIER: &str = "INSERT INTO identifiers (document_id, kind, value, country, \
     mode_code, dangerous_goods) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
/// The document of a sender with a note number.
pub(crate) const BY_NOTE_NUMBER: &str = "SELECT id FROM documents WHERE sender_ref = $1 AND note_number = $2";
/// Moves a document's head to an appended event, if the head is still where the append found it.
pub(crate) const ADVANCE: &str = "UPDATE documents SET state = $1, last_seq = $2, last_event_digest = $3, \
     updated_at = $4, efti_xml = $5 WHERE id = $6 AND last_seq = $7";
/// A document's identifiers go, to be written again after an event.
pub(crate) const DELETE_IDENTIFIERS: &str = "DELETE FROM identifiers WHERE document_id = $1";
/// The digest of the event at a seq.
pub(crate) const EVENT_DIGEST: &str = "SELECT digest FROM events WHERE document_id = $1 AND seq = $2";
/// How many documents are stored.
pub(crate) const COUNT: &str = "SELECT COUNT(*) FROM documents";
/// A document's identifiers.
pub(crate) const IDENTIFIERS: &str = "SELECT kind, value, country, mode_code, dangerous_goods FROM identifiers \
     WHERE document_id = $1 ORDER BY kind, value";
/// A document's stored eFTI dataset.
pub(crate) const EFTI_DATASET: &str = "SELECT efti_xml, last_seq FROM documents WHERE id = $1";

/// Whether any of the keys is linked to a document, or the document names any of the party references.
pub(crate) fn is_linked_sql<'a>(id: Uuid, key_ids: &'a [String], party_refs: &'a [String]) -> Builder<'a> {
    // A document's rows are found by each key and the document's received_at (the key's prefix).
    let mut b = Builder::new("SELECT 1 FROM document_keys WHERE key_id IN ");
    b.bind_list(key_ids);
    b.push(" AND received_at = (SELECT received_at FROM documents WHERE id = ").bind(id);
    b.push(") AND document_id = ").bind(id);
    if !party_refs.is_empty() {
        // The document's rows are found by each reference and the document's received_at (the key's prefix).
        b.push(" UNION ALL SELECT 1 FROM document_parties WHERE party_ref IN ").bind_list(party_refs);
        b.push(" AND received_at = (SELECT received_at FROM documents WHERE id = ").bind(id);
        b.push(") AND document_id = ").bind(id);
    }
    b.push(" LIMIT 1");
    b
}

/// A page of documents linked to the query's keys, in [`SUMMARY`]'s columns.
pub(crate) fn list_sql(q: &ListQuery) -> Builder<'_> {
    let mut b = Builder::new(
        "SELECT id, note_number, state, last_seq, last_event_digest, received_at, updated_at, content_digest \
         FROM documents WHERE (id IN (SELECT document_id FROM document_keys WHERE key_id IN ",
    );
    b.bind_list(&q.key_ids);
    if let Some(role) = &q.role {
        b.push(" AND role = ").bind(role);
    }
    b.push(")");
    if !q.party_refs.is_empty() {
        b.push(" OR id IN (SELECT document_id FROM document_parties WHERE party_ref IN ").bind_list(&q.party_refs);
        if let Some(role) = &q.role {
            b.push(" AND role = ").bind(role);
        }
        b.push(")");
    }
    b.push(")");
    if let Some(state) = &q.state {
        b.push(" AND state = ").bind(state);
    }
    if let Some(since) = q.updated_since {
        b.push(" AND updated_at >= ").bind(since);
    }
    if let Some((t, id)) = q.after {
        b.push(" AND (updated_at > ").bind(t).push(" OR (updated_at = ").bind(t).push(" AND id > ").bind(id).push("))");
    }
    b.push(" ORDER BY updated_at, id LIMIT ").bind(i64::from(q.limit));
    b
}

/// Reads a [`SUMMARY`] row.
fn summary_from(row: &dyn Row) -> StoreResult<(DocumentSummary, String)> {
    Ok((
        DocumentSummary {
            id: row.uuid(0)?,
            note_number: row.text(1)?,
            state: row.text(2)?,
            last_seq: row.int(3)?,
            last_event_digest: row.text(4)?,
            received_at: row.time(5)?,
            updated_at: row.time(6)?,
        },
        row.text(7)?,
    ))
}

/// A document's head and content digest.
pub(crate) async fn summary<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Option<(DocumentSummary, String)>> {
    conn.fetch_optional(SUMMARY, &[id.into()], summary_from).await
}

fn event_params<'a>(id: Uuid, e: &'a NewEvent, at: DateTime<Utc>) -> Params<'a> {
    vec![
        id.into(),
        e.seq.into(),
        (&e.kind).into(),
        (&e.role).into(),
        (&e.signer_key_id).into(),
        (&e.digest).into(),
        (&e.body).into(),
        at.into(),
    ]
}

fn party_params(id: Uuid, received_at: DateTime<Utc>, p: &DocumentParty) -> Params<'_> {
    vec![(&p.party_ref).into(), received_at.into(), id.into(), (&p.role).into()]
}

/// Adds a party reference to a stored document with its audit entry; false when the document is not stored or
/// already names it so.
pub(crate) async fn add_party<C: Conn>(
    conn: &mut C,
    id: Uuid,
    party: &DocumentParty,
    entry: &AuditEntry,
) -> StoreResult<bool> {
    let Some((head, _)) = summary(conn, id).await? else {
        return Ok(false);
    };
    if conn.execute(INSERT_PARTY, &party_params(id, head.received_at, party)).await? != 1 {
        return Ok(false);
    }
    audit::append_refs(conn, &[entry]).await?;
    Ok(true)
}

fn key_params(id: Uuid, received_at: DateTime<Utc>, k: &DocumentKey) -> Params<'_> {
    vec![(&k.key_id).into(), received_at.into(), id.into(), (&k.role).into(), k.relation.as_str().into()]
}

fn identifier_params(id: Uuid, i: &Identifier) -> Params<'_> {
    vec![
        id.into(),
        (&i.kind).into(),
        (&i.value).into(),
        (&i.country).into(),
        (&i.mode_code).into(),
        i.dangerous_goods.into(),
    ]
}

/// The summary of a document just stored from `d`.
fn created(d: &NewDocument) -> DocumentSummary {
    let last = d.events.last();
    DocumentSummary {
        id: d.id,
        note_number: d.note_number.clone(),
        state: d.state.clone(),
        last_seq: last.map_or(-1, |e| e.seq),
        last_event_digest: last.map(|e| e.digest.clone()).unwrap_or_default(),
        received_at: d.received_at,
        updated_at: d.received_at,
    }
}

/// Stores many verified documents with a handful of multi-row statements; each gets its own outcome, as a single
/// insert would give it.
pub(crate) async fn insert_documents<C: Conn>(conn: &mut C, docs: &[&NewDocument]) -> StoreResult<Vec<InsertOutcome>> {
    let mut inserted = HashSet::new();
    for chunk in docs.chunks(CHUNK) {
        let mut params = Vec::with_capacity(chunk.len() * 12);
        for d in chunk {
            let last = d.events.last();
            params.extend([
                Param::from(d.id),
                (&d.content_digest).into(),
                (&d.note_number).into(),
                (&d.sender_ref).into(),
                (&d.note_json).into(),
                (&d.state).into(),
                last.map_or(-1, |e| e.seq).into(),
                last.map_or("", |e| e.digest.as_str()).into(),
                d.submitted_by.into(),
                d.received_at.into(),
                d.received_at.into(),
                (&d.efti_xml).into(),
            ]);
        }
        inserted.extend(conn.fetch(&multi_row(INSERT_DOCUMENT, chunk.len()), &params, |r| r.uuid(0)).await?);
    }
    // Which submission made each inserted row: the first with that id (rows are inserted in order).
    let mut taken = HashSet::new();
    let made: Vec<bool> = docs.iter().map(|d| inserted.contains(&d.id) && taken.insert(d.id)).collect();
    let new: Vec<&NewDocument> = docs.iter().zip(&made).filter(|(_, m)| **m).map(|(d, _)| *d).collect();
    if let Some(d) = new.iter().find(|d| d.events.is_empty()) {
        return Err(StoreError::Corrupt { what: "document without events", value: d.id.to_string() });
    }
    let events: Vec<(&NewDocument, &NewEvent)> =
        new.iter().flat_map(|d| d.events.iter().map(move |e| (*d, e))).collect();
    insert_rows(conn, INSERT_EVENT, &events, |(d, e)| event_params(d.id, e, d.received_at)).await?;
    let keys: Vec<(&NewDocument, &DocumentKey)> =
        new.iter().flat_map(|d| d.keys.iter().map(move |k| (*d, k))).collect();
    insert_rows(conn, INSERT_KEY, &keys, |(d, k)| key_params(d.id, d.received_at, k)).await?;
    let parties: Vec<(&NewDocument, &DocumentParty)> =
        new.iter().flat_map(|d| d.parties.iter().map(move |p| (*d, p))).collect();
    insert_rows(conn, INSERT_PARTY, &parties, |(d, p)| party_params(d.id, d.received_at, p)).await?;
    let idents: Vec<(Uuid, &Identifier)> =
        new.iter().flat_map(|d| d.identifiers.iter().map(move |i| (d.id, i))).collect();
    insert_rows(conn, INSERT_IDENTIFIER, &idents, |(id, i)| identifier_params(*id, i)).await?;
    let entries: Vec<AuditEntry> = new.iter().map(|d| d.audit.clone()).collect();
    audit::append_many(conn, &entries).await?;

    let mut out = Vec::with_capacity(docs.len());
    for (d, made) in docs.iter().zip(made) {
        if made {
            out.push(InsertOutcome::Created(created(d)));
            continue;
        }
        // Not inserted: the same document again, another with its id, or a reused note number.
        if let Some((s, digest)) = summary(conn, d.id).await? {
            out.push(if digest == d.content_digest { InsertOutcome::Identical(s) } else { InsertOutcome::IdTaken });
            continue;
        }
        let params = [Param::from(&d.sender_ref), (&d.note_number).into()];
        match conn.fetch_optional(BY_NOTE_NUMBER, &params, |r| r.uuid(0)).await? {
            Some(existing) => out.push(InsertOutcome::NoteNumberTaken { existing }),
            None => {
                return Err(StoreError::Corrupt { what: "document neither stored nor found", value: d.id.to_string() });
            }
        }
    }
    Ok(out)
}

/// Appends the events whose seqs are still free, after checking that those already stored are the very events
/// given, with their keys, the identifiers after the last one and the audit entries of those appended now. Runs
/// inside the writer's transaction, so that two appends of the same events cannot both write them.
pub(crate) async fn append_event<C: Conn>(conn: &mut C, a: &EventAppend) -> StoreResult<AppendOutcome> {
    let Some((current, _)) = summary(conn, a.document_id).await? else {
        return Ok(AppendOutcome::NotFound);
    };
    let id = a.document_id;
    let taken = || Ok(AppendOutcome::SeqTaken { last_seq: current.last_seq });
    let (Some(first), Some(last)) = (a.events.first(), a.events.last()) else { return taken() };
    if first.seq > current.last_seq + 1 || a.events.windows(2).any(|w| w[1].seq != w[0].seq + 1) {
        return taken();
    }
    // The events already stored must be exactly these.
    for e in a.events.iter().filter(|e| e.seq <= current.last_seq) {
        let stored = conn.fetch_optional(EVENT_DIGEST, &[id.into(), e.seq.into()], |r| r.text(0)).await?;
        if stored.as_deref() != Some(e.digest.as_str()) {
            return taken();
        }
    }
    let new: Vec<usize> = (0..a.events.len()).filter(|i| a.events[*i].seq > current.last_seq).collect();
    if new.is_empty() {
        return Ok(AppendOutcome::Identical(current));
    }
    for e in new.iter().map(|i| &a.events[*i]) {
        if conn.execute(INSERT_EVENT, &event_params(id, e, a.received_at)).await? != 1 {
            return Err(StoreError::Corrupt { what: "event seq taken during an append", value: id.to_string() });
        }
    }
    let params = [
        Param::from(&a.state),
        last.seq.into(),
        (&last.digest).into(),
        a.received_at.into(),
        (&a.efti_xml).into(),
        id.into(),
        current.last_seq.into(),
    ];
    if conn.execute(ADVANCE, &params).await? != 1 {
        return Err(StoreError::Corrupt { what: "document moved on during an append", value: id.to_string() });
    }
    let keys: Vec<&DocumentKey> = a.keys.iter().collect();
    insert_rows(conn, INSERT_KEY, &keys, |k| key_params(id, current.received_at, k)).await?;
    let parties: Vec<&DocumentParty> = a.parties.iter().collect();
    insert_rows(conn, INSERT_PARTY, &parties, |p| party_params(id, current.received_at, p)).await?;
    // The roadside index follows the note: an amendment may change the vehicle or the equipment.
    conn.execute(DELETE_IDENTIFIERS, &[id.into()]).await?;
    let idents: Vec<(Uuid, &Identifier)> = a.identifiers.iter().map(|i| (id, i)).collect();
    insert_rows(conn, INSERT_IDENTIFIER, &idents, |(id, i)| identifier_params(*id, i)).await?;
    let entries: Vec<AuditEntry> = new.iter().filter_map(|i| a.audit.get(*i).cloned()).collect();
    audit::append_many(conn, &entries).await?;
    let seqs = new.iter().map(|i| a.events[*i].seq).collect();
    Ok(AppendOutcome::Appended(
        DocumentSummary {
            state: a.state.clone(),
            last_seq: last.seq,
            last_event_digest: last.digest.clone(),
            updated_at: a.received_at,
            ..current
        },
        seqs,
    ))
}

/// Reads a whole document; the caller gives a connection in one read transaction, so that the head and the
/// events are of the same moment.
pub(crate) async fn get_document<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Option<StoredDocument>> {
    let params = [Param::from(id)];
    let head = conn.fetch_optional(DOCUMENT, &params, |r| Ok((summary_from(r)?, r.text(8)?))).await?;
    let Some(((summary, content_digest), note_json)) = head else { return Ok(None) };
    let events = conn
        .fetch(EVENTS, &params, |r| {
            Ok(StoredEvent {
                seq: r.int(0)?,
                kind: r.text(1)?,
                role: r.text(2)?,
                signer_key_id: r.text(3)?,
                digest: r.text(4)?,
                body: r.text(5)?,
                received_at: r.time(6)?,
            })
        })
        .await?;
    Ok(Some(StoredDocument { summary, content_digest, note_json, events }))
}

/// See [`DocumentStore::is_linked`].
pub(crate) async fn is_linked<C: Conn>(
    conn: &mut C,
    id: Uuid,
    key_ids: &[String],
    party_refs: &[String],
) -> StoreResult<bool> {
    if key_ids.is_empty() {
        return Ok(false);
    }
    let b = is_linked_sql(id, key_ids, party_refs);
    Ok(conn.fetch_optional(&b.sql, &b.params, |_| Ok(())).await?.is_some())
}

/// See [`DocumentStore::list_documents`].
pub(crate) async fn list_documents<C: Conn>(conn: &mut C, q: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
    if q.key_ids.is_empty() || q.limit == 0 {
        return Ok(Vec::new());
    }
    let b = list_sql(q);
    conn.fetch(&b.sql, &b.params, |r| summary_from(r).map(|(s, _)| s)).await
}

/// See [`DocumentStore::count_documents`].
pub(crate) async fn count_documents<C: Conn>(conn: &mut C) -> StoreResult<i64> {
    Ok(conn.fetch_optional(COUNT, &[], |r| r.int(0)).await?.unwrap_or(0))
}

/// See [`DocumentStore::identifiers`].
pub(crate) async fn identifiers<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Vec<Identifier>> {
    conn.fetch(IDENTIFIERS, &[id.into()], |r| {
        Ok(Identifier {
            kind: r.text(0)?,
            value: r.text(1)?,
            country: r.opt_text(2)?,
            mode_code: r.opt_text(3)?,
            dangerous_goods: r.flag(4)?,
        })
    })
    .await
}

/// See [`DocumentStore::efti_dataset`].
pub(crate) async fn efti_dataset<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Option<StoredDataset>> {
    conn.fetch_optional(EFTI_DATASET, &[id.into()], |r| Ok(StoredDataset { xml: r.opt_text(0)?, last_seq: r.int(1)? }))
        .await
}
