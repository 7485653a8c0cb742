//! eFTI authority requests with their answers, follow-up messages, and the identifier search of our own
//! documents: the records, the [`ControlStore`] trait and its SQL for both backends. The datasets that external
//! platforms register, which the same trait stores and searches, are in [`super::datasets`].

use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{self, AuditEntry};
use super::datasets::{PlatformDataset, PlatformHit};
use super::sql::{Builder, Conn, Param, insert_rows};
use super::{Durability, StoreResult};

/// An authority's request (UIL or identifier query) with the answer the gateway gave, kept so that
/// `GET …?requestId=` returns the same result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRequest {
    /// The eFTI requestId.
    pub id: Uuid,
    /// `uil` or `identifiers`.
    pub kind: String,
    /// The authority that asked.
    pub principal_id: Uuid,
    /// The document asked for, when the request named a stored one.
    pub document_id: Option<Uuid>,
    /// Subset ids asked for, comma-separated (UIL requests).
    pub subsets: String,
    /// `PENDING`, `COMPLETE`, `ERROR` or `TIMEOUT`.
    pub status: String,
    /// RI error code, for `ERROR`.
    pub error_code: Option<String>,
    /// What went wrong, for `ERROR`.
    pub error_description: Option<String>,
    /// The answer: base64 of the XML (UIL) or the JSON of the results (identifiers). `None` for a UIL answer
    /// recorded with [`ControlRequest::answered_seq`].
    pub data: Option<String>,
    /// For a UIL answer not kept in `data`: the seq of the document's last event when it was answered. The answer
    /// is the dataset of the document with its events up to this one, which the append-only chain keeps.
    pub answered_seq: Option<i64>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
}

/// A follow-up message of an authority about a control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// The control request it follows up.
    pub request_id: Uuid,
    /// The document concerned.
    pub document_id: Uuid,
    /// The authority that sent it.
    pub principal_id: Uuid,
    /// The message.
    pub message: String,
    /// When it was received.
    pub at: DateTime<Utc>,
}

/// What an identifier search looks for. `value` is normalised like the stored identifiers (upper case, letters
/// and digits only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentifierQuery {
    /// The normalised identifier.
    pub value: String,
    /// Stored kinds to match (`vehicle`, `equipment`, `carried_equipment`); empty means all.
    pub kinds: Vec<String>,
    /// Only consignments of this transport mode.
    pub mode_code: Option<String>,
    /// Only identifiers registered in this country; carried equipment, which has no registration country of its
    /// own, is not filtered by it (as the reference implementation's search).
    pub country: Option<String>,
    /// Only consignments with (true) or without (false) dangerous goods.
    pub dangerous_goods: Option<bool>,
    /// At most this many documents.
    pub limit: u32,
}

/// What one authority request writes, committed together: the request with its answer, a follow-up message, and
/// the audit entries saying who read what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlWrite {
    /// The request and its answer.
    pub request: Option<ControlRequest>,
    /// A follow-up message.
    pub follow_up: Option<FollowUp>,
    /// Audit entries.
    pub audit: Vec<AuditEntry>,
    /// How durable it must be before [`ControlStore::record`] returns.
    pub durability: Durability,
}

/// Authority requests, their answers and follow-up messages. Writes go through the group-committing writer (a
/// batch of them together, each [`ControlWrite`] standing or falling as a whole), so that an answer is never sent
/// before its audit entries are committed, as durably as [`ControlWrite::durability`] asks.
#[async_trait]
pub trait ControlStore: Send + Sync {
    /// Writes a request, follow-up and audit entries in one commit; returns when they are as durable as
    /// `write.durability` asks.
    async fn record(&self, write: ControlWrite) -> StoreResult<()>;
    /// Stores a request with its answer.
    async fn put_request(&self, request: &ControlRequest) -> StoreResult<()> {
        self.record(ControlWrite { request: Some(request.clone()), ..ControlWrite::default() }).await
    }
    /// One request.
    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>>;
    /// Stores a follow-up message.
    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        self.record(ControlWrite { follow_up: Some(follow_up.clone()), ..ControlWrite::default() }).await
    }
    /// The follow-up messages about a document, oldest first.
    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>>;
    /// Documents with a matching identifier, each with its stored eFTI common dataset (see
    /// [`super::DocumentStore::efti_dataset`]), ordered by document id.
    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>>;
    /// Registers or replaces an external platform's dataset with its index rows and the audit entry, in one
    /// transaction; returns whether it replaced an earlier registration.
    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool>;
    /// Registered datasets with a matching index row, ordered by platform and dataset id.
    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// A request with its answer.
pub(crate) const INSERT_REQUEST: &str = "INSERT INTO control_requests (id, kind, principal_id, document_id, \
     subsets, status, error_code, error_description, data, answered_seq, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// One request.
pub(crate) const REQUEST: &str = "SELECT id, kind, principal_id, document_id, subsets, status, error_code, \
     error_description, data, answered_seq, created_at FROM control_requests WHERE id = $1";
/// A follow-up message.
pub(crate) const INSERT_FOLLOW_UP: &str = "INSERT INTO follow_ups (request_id, document_id, principal_id, \
     message, at) VALUES ($1, $2, $3, $4, $5)";
/// The follow-up messages about a document, oldest first.
pub(crate) const FOLLOW_UPS: &str = "SELECT request_id, document_id, principal_id, message, at FROM follow_ups \
     WHERE document_id = $1 ORDER BY id";

/// Appends the conditions of an identifier query on the index rows `i` after `i.value = `: the value, then the
/// optional filters, each bound in turn.
pub(crate) fn identifier_filters<'a>(b: &mut Builder<'a>, q: &'a IdentifierQuery) {
    b.bind(&q.value);
    if !q.kinds.is_empty() {
        b.push(" AND i.kind IN ").bind_list(&q.kinds);
    }
    if let Some(mode) = &q.mode_code {
        b.push(" AND i.mode_code = ").bind(mode);
    }
    if let Some(dg) = q.dangerous_goods {
        b.push(" AND i.dangerous_goods = ").bind(dg);
    }
    if let Some(country) = &q.country {
        // Carried equipment has no registration country of its own: the filter does not apply to it.
        b.push(" AND (i.kind = 'carried_equipment' OR i.country = ").bind(country);
        b.push(")");
    }
}

/// The identifier search of our documents. The match runs on the index of the normalised value, the filters on
/// the few rows it finds. The limit is written into the statement: SQLite prepares a statement with a bound
/// LIMIT again on every execution with other values.
pub(crate) fn search_sql(q: &IdentifierQuery) -> Builder<'_> {
    let mut b = Builder::new(
        "SELECT d.id, d.efti_xml FROM documents d WHERE d.id IN (SELECT DISTINCT i.document_id FROM identifiers i \
         WHERE i.value = ",
    );
    identifier_filters(&mut b, q);
    let _ = write!(b.sql, " ORDER BY i.document_id LIMIT {}) ORDER BY d.id", q.limit);
    b
}

/// Writes many authority requests with multi-row statements: their requests, their audit entries and, one by one,
/// their (rare) follow-up messages.
pub(crate) async fn write_controls<C: Conn>(conn: &mut C, writes: &[&ControlWrite]) -> StoreResult<()> {
    let requests: Vec<&ControlRequest> = writes.iter().filter_map(|c| c.request.as_ref()).collect();
    insert_rows(conn, INSERT_REQUEST, &requests, |r| {
        vec![
            r.id.into(),
            (&r.kind).into(),
            r.principal_id.into(),
            r.document_id.into(),
            (&r.subsets).into(),
            (&r.status).into(),
            (&r.error_code).into(),
            (&r.error_description).into(),
            (&r.data).into(),
            r.answered_seq.into(),
            r.created_at.into(),
        ]
    })
    .await?;
    for f in writes.iter().filter_map(|c| c.follow_up.as_ref()) {
        add_follow_up(conn, f).await?;
    }
    let entries: Vec<&AuditEntry> = writes.iter().flat_map(|c| c.audit.iter()).collect();
    audit::append_refs(conn, &entries).await
}

/// See [`ControlStore::add_follow_up`].
pub(crate) async fn add_follow_up<C: Conn>(conn: &mut C, f: &FollowUp) -> StoreResult<()> {
    let params =
        [Param::from(f.request_id), f.document_id.into(), f.principal_id.into(), (&f.message).into(), f.at.into()];
    conn.execute(INSERT_FOLLOW_UP, &params).await.map(|_| ())
}

/// See [`ControlStore::follow_ups`].
pub(crate) async fn follow_ups<C: Conn>(conn: &mut C, document_id: Uuid) -> StoreResult<Vec<FollowUp>> {
    conn.fetch(FOLLOW_UPS, &[document_id.into()], |r| {
        Ok(FollowUp {
            request_id: r.uuid(0)?,
            document_id: r.uuid(1)?,
            principal_id: r.uuid(2)?,
            message: r.text(3)?,
            at: r.time(4)?,
        })
    })
    .await
}

/// See [`ControlStore::get_request`].
pub(crate) async fn get_request<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Option<ControlRequest>> {
    conn.fetch_optional(REQUEST, &[id.into()], |r| {
        Ok(ControlRequest {
            id: r.uuid(0)?,
            kind: r.text(1)?,
            principal_id: r.uuid(2)?,
            document_id: r.opt_uuid(3)?,
            subsets: r.text(4)?,
            status: r.text(5)?,
            error_code: r.opt_text(6)?,
            error_description: r.opt_text(7)?,
            data: r.opt_text(8)?,
            answered_seq: r.opt_int(9)?,
            created_at: r.time(10)?,
        })
    })
    .await
}

/// See [`ControlStore::search_identifiers`].
pub(crate) async fn search_identifiers<C: Conn>(
    conn: &mut C,
    q: &IdentifierQuery,
) -> StoreResult<Vec<(Uuid, Option<String>)>> {
    if q.value.is_empty() || q.limit == 0 {
        return Ok(Vec::new());
    }
    let b = search_sql(q);
    conn.fetch(&b.sql, &b.params, |r| Ok((r.uuid(0)?, r.opt_text(1)?))).await
}
