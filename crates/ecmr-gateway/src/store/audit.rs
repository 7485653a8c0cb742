//! The append-only audit log: its record, the [`AuditLog`] trait and its SQL for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;
use super::principals::PrincipalKind;
use super::sql::{Conn, Param, Params, Row, insert_rows};

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The document concerned, if any.
    pub document_id: Option<Uuid>,
    /// Who.
    pub principal_id: Uuid,
    /// What kind of principal.
    pub principal_kind: PrincipalKind,
    /// What (`document.created`, `document.read`, `event.appended`, …).
    pub action: String,
    /// Why, as the caller stated it (authorities must).
    pub reason: Option<String>,
    /// Request id, to find the log lines.
    pub request_id: Option<String>,
}

/// The append-only audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry; returns when it is durable.
    async fn append(&self, entry: AuditEntry) -> StoreResult<()>;
    /// The entries for a document, oldest first.
    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
    /// The entries of one principal's actions, oldest first.
    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
    /// The identity mismatches accepted for a document in `warn` mode (`identity.mismatch:<seq>`), oldest first.
    async fn mismatches(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// One audit entry.
pub(crate) const INSERT: &str = "INSERT INTO audit_log (at, document_id, principal_id, principal_kind, action, \
     reason, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// The entries about a document, oldest first.
pub(crate) const FOR_DOCUMENT: &str = "SELECT at, document_id, principal_id, principal_kind, action, reason, \
     request_id FROM audit_log WHERE document_id = $1 ORDER BY id";
/// The identity mismatches accepted for a document, oldest first.
pub(crate) const MISMATCHES: &str = "SELECT at, document_id, principal_id, principal_kind, action, reason, \
     request_id FROM audit_log WHERE document_id = $1 AND action LIKE 'identity.mismatch:%' ORDER BY id";
/// The entries of a principal's actions, oldest first.
pub(crate) const FOR_PRINCIPAL: &str = "SELECT at, document_id, principal_id, principal_kind, action, reason, \
     request_id FROM audit_log WHERE principal_id = $1 ORDER BY id";

fn params(e: &AuditEntry) -> Params<'_> {
    vec![
        e.at.into(),
        e.document_id.into(),
        e.principal_id.into(),
        e.principal_kind.as_str().into(),
        (&e.action).into(),
        (&e.reason).into(),
        (&e.request_id).into(),
    ]
}

fn entry_from(r: &dyn Row) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        at: r.time(0)?,
        document_id: r.opt_uuid(1)?,
        principal_id: r.uuid(2)?,
        principal_kind: super::principals::stored_kind(&r.text(3)?)?,
        action: r.text(4)?,
        reason: r.opt_text(5)?,
        request_id: r.opt_text(6)?,
    })
}

/// Appends entries with multi-row statements.
pub(crate) async fn append_many<C: Conn>(conn: &mut C, entries: &[AuditEntry]) -> StoreResult<()> {
    insert_rows(conn, INSERT, entries, params).await
}

/// Appends the entries behind references (see [`append_many`]).
pub(crate) async fn append_refs<C: Conn>(conn: &mut C, entries: &[&AuditEntry]) -> StoreResult<()> {
    insert_rows(conn, INSERT, entries, |e| params(e)).await
}

/// See [`AuditLog::for_document`] (`query` [`FOR_DOCUMENT`]), [`AuditLog::for_principal`] ([`FOR_PRINCIPAL`]) and
/// [`AuditLog::mismatches`] ([`MISMATCHES`]).
pub(crate) async fn entries<C: Conn>(conn: &mut C, query: &str, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
    conn.fetch(query, &[Param::from(id)], entry_from).await
}
