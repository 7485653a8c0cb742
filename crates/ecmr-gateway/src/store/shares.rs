//! Share links of documents: their record, the [`ShareStore`] trait and its SQL for both backends. Only the
//! SHA-256 of a link's token is stored. Making and revoking a link is written with its audit entry in one
//! transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;
use super::audit::{AuditEntry, append_refs};
use super::sql::{Conn, Param, Row};

/// A stored share link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// The link's id (not secret: it names the link in lists and revocations).
    pub id: Uuid,
    /// SHA-256 of the link's token (lower-case hex).
    pub token_sha256: String,
    /// The one document the link shows.
    pub document_id: Uuid,
    /// The party that made it.
    pub created_by: Uuid,
    /// A label for the party's own use (e.g. the driver's name).
    pub label: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Share links.
#[async_trait]
pub trait ShareStore: Send + Sync {
    /// Stores a new link with its audit entry, in one transaction.
    async fn add_share(&self, share: &ShareRecord, audit: &AuditEntry) -> StoreResult<()>;
    /// The links of a document, oldest first.
    async fn shares_of(&self, document_id: Uuid) -> StoreResult<Vec<ShareRecord>>;
    /// The link with this token hash, if any (revoked and expired ones included).
    async fn share_by_token(&self, token_sha256: &str) -> StoreResult<Option<ShareRecord>>;
    /// Revokes a link of a document with its audit entry, in one transaction; false (and nothing written) when
    /// the document has no such link not yet revoked.
    async fn revoke_share(
        &self,
        document_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

const INSERT: &str = "INSERT INTO share_links (id, token_sha256, document_id, created_by, label, created_at, \
     expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const COLUMNS: &str = "id, token_sha256, document_id, created_by, label, created_at, expires_at, revoked_at";
const REVOKE: &str = "UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND document_id = $3 AND revoked_at IS NULL";

fn record(r: &dyn Row) -> StoreResult<ShareRecord> {
    Ok(ShareRecord {
        id: r.uuid(0)?,
        token_sha256: r.text(1)?,
        document_id: r.uuid(2)?,
        created_by: r.uuid(3)?,
        label: r.opt_text(4)?,
        created_at: r.time(5)?,
        expires_at: r.time(6)?,
        revoked_at: r.opt_time(7)?,
    })
}

/// See [`ShareStore::add_share`]; run in a transaction.
pub(crate) async fn add<C: Conn>(conn: &mut C, s: &ShareRecord, audit: &AuditEntry) -> StoreResult<()> {
    let params = [
        Param::from(s.id),
        (&s.token_sha256).into(),
        s.document_id.into(),
        s.created_by.into(),
        (&s.label).into(),
        s.created_at.into(),
        s.expires_at.into(),
        s.revoked_at.into(),
    ];
    conn.execute(INSERT, &params).await?;
    append_refs(conn, &[audit]).await
}

/// See [`ShareStore::shares_of`].
pub(crate) async fn of_document<C: Conn>(conn: &mut C, document_id: Uuid) -> StoreResult<Vec<ShareRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM share_links WHERE document_id = $1 ORDER BY created_at, id");
    conn.fetch(&sql, &[Param::from(document_id)], record).await
}

/// See [`ShareStore::share_by_token`].
pub(crate) async fn by_token<C: Conn>(conn: &mut C, token_sha256: &str) -> StoreResult<Option<ShareRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM share_links WHERE token_sha256 = $1");
    conn.fetch_optional(&sql, &[Param::from(token_sha256)], record).await
}

/// See [`ShareStore::revoke_share`]; run in a transaction.
pub(crate) async fn revoke<C: Conn>(
    conn: &mut C,
    document_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    if conn.execute(REVOKE, &[at.into(), id.into(), document_id.into()]).await? != 1 {
        return Ok(false);
    }
    append_refs(conn, &[audit]).await?;
    Ok(true)
}
