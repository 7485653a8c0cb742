//! The PostgreSQL store, for several gateway replicas sharing one database.
//!
//! Document, event and audit writes go through the same group-committing writer as SQLite's (one transaction
//! per batch of queued writes, on a pooled connection); reads and principal changes use the pool directly. Races
//! between replicas are settled by the primary keys: the second writer of an event `seq` finds it taken and gets
//! [`AppendOutcome::SeqTaken`].

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use super::writer::{Batcher, Done, WriteOp, Writer, fail_all, needs_flush};
use super::{
    AppendOutcome, AuditEntry, AuditLog, Backend, ControlRequest, ControlStore, ControlWrite, DocumentStore,
    DocumentSummary, EventAppend, FollowUp, Identifier, IdentifierQuery, InsertOutcome, ListQuery, NewDocument,
    NewToken, PlatformDataset, PlatformHit, Principal, PrincipalStore, StoreResult, StoredDataset, StoredDocument,
    TokenInfo,
};

mod q {
    super::super::queries::queries!(sqlx::Postgres, sqlx::PgConnection);

    // The reads of an eFTI request; SQLite serves them from `sqlite_direct` instead.

    pub(crate) async fn efti_dataset(
        conn: &mut sqlx::PgConnection,
        id: Uuid,
    ) -> StoreResult<Option<crate::store::StoredDataset>> {
        let row = sqlx::query("SELECT efti_xml, last_seq FROM documents WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(crate::store::StoredDataset { xml: r.try_get("efti_xml")?, last_seq: r.try_get("last_seq")? }))
    }

    pub(crate) async fn get_request(
        conn: &mut sqlx::PgConnection,
        id: Uuid,
    ) -> StoreResult<Option<crate::store::ControlRequest>> {
        let row = sqlx::query(
            "SELECT id, kind, principal_id, document_id, subsets, status, error_code, error_description, data, \
             answered_seq, created_at FROM control_requests WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let doc: Option<String> = r.try_get("document_id")?;
        Ok(Some(crate::store::ControlRequest {
            id: uuid(&r.try_get::<String, _>("id")?)?,
            kind: r.try_get("kind")?,
            principal_id: uuid(&r.try_get::<String, _>("principal_id")?)?,
            document_id: doc.as_deref().map(uuid).transpose()?,
            subsets: r.try_get("subsets")?,
            status: r.try_get("status")?,
            error_code: r.try_get("error_code")?,
            error_description: r.try_get("error_description")?,
            data: r.try_get("data")?,
            answered_seq: r.try_get("answered_seq")?,
            created_at: parse_time(&r.try_get::<String, _>("created_at")?)?,
        }))
    }

    pub(crate) async fn search_identifiers(
        conn: &mut sqlx::PgConnection,
        q: &crate::store::IdentifierQuery,
    ) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        if q.value.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        // The match runs on the index of the normalised value; the filters on the few rows it finds.
        let mut qb = QueryBuilder::<sqlx::Postgres>::new("SELECT DISTINCT document_id FROM identifiers WHERE value = ");
        qb.push_bind(q.value.clone());
        if !q.kinds.is_empty() {
            qb.push(" AND kind IN (");
            let mut sep = qb.separated(", ");
            for k in &q.kinds {
                sep.push_bind(k.clone());
            }
            qb.push(")");
        }
        if let Some(mode) = &q.mode_code {
            qb.push(" AND mode_code = ").push_bind(mode.clone());
        }
        if let Some(dg) = q.dangerous_goods {
            qb.push(" AND dangerous_goods = ").push_bind(dg);
        }
        if let Some(country) = &q.country {
            qb.push(" AND country = ").push_bind(country.clone());
        }
        qb.push(" ORDER BY document_id LIMIT ").push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("document_id")).collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<sqlx::Postgres>::new("SELECT id, efti_xml FROM documents WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in &ids {
            sep.push_bind(id.clone());
        }
        qb.push(") ORDER BY id");
        let rows = qb.build().fetch_all(&mut *conn).await?;
        rows.iter().map(|r| Ok((uuid(&r.try_get::<String, _>("id")?)?, r.try_get("efti_xml")?))).collect()
    }

    pub(crate) async fn search_datasets(
        conn: &mut sqlx::PgConnection,
        q: &crate::store::IdentifierQuery,
    ) -> StoreResult<Vec<crate::store::PlatformHit>> {
        if q.value.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        // The same lookup as for our own documents, on the registered datasets' rows.
        let mut qb = QueryBuilder::<sqlx::Postgres>::new(
            "SELECT d.platform_id, d.dataset_id, d.xml FROM platform_datasets d WHERE EXISTS \
             (SELECT 1 FROM platform_identifiers i WHERE i.platform_id = d.platform_id \
             AND i.dataset_id = d.dataset_id AND i.value = ",
        );
        qb.push_bind(q.value.clone());
        if !q.kinds.is_empty() {
            qb.push(" AND i.kind IN (");
            let mut sep = qb.separated(", ");
            for k in &q.kinds {
                sep.push_bind(k.clone());
            }
            qb.push(")");
        }
        if let Some(mode) = &q.mode_code {
            qb.push(" AND i.mode_code = ").push_bind(mode.clone());
        }
        if let Some(dg) = q.dangerous_goods {
            qb.push(" AND i.dangerous_goods = ").push_bind(dg);
        }
        if let Some(country) = &q.country {
            qb.push(" AND i.country = ").push_bind(country.clone());
        }
        qb.push(") ORDER BY d.platform_id, d.dataset_id LIMIT ").push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        rows.iter()
            .map(|r| {
                Ok(crate::store::PlatformHit {
                    platform_id: r.try_get("platform_id")?,
                    dataset_id: r.try_get("dataset_id")?,
                    xml: r.try_get("xml")?,
                })
            })
            .collect()
    }
}

/// PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
    writer: Writer,
}

struct PgBatcher {
    pool: PgPool,
}

#[async_trait]
impl Batcher for PgBatcher {
    async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done> {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "could not begin a write transaction");
                return fail_all(ops, &format!("begin: {e}"));
            }
        };
        // A batch of nothing but authority requests asked for `Durability::Normal` does not wait for its WAL
        // flush; PostgreSQL's WAL writer flushes it shortly after.
        if !needs_flush(&ops)
            && let Err(e) = sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await
        {
            tracing::error!(error = %e, "could not set the durability of a write batch");
            return fail_all(ops, &format!("synchronous_commit: {e}"));
        }
        let done = q::apply_ops(&mut tx, ops).await;
        match tx.commit().await {
            Ok(()) => done,
            Err(e) => {
                tracing::error!(error = %e, "a write batch failed to commit");
                let why = e.to_string();
                done.into_iter().map(|d| d.fail_if_ok(&why)).collect()
            }
        }
    }

    async fn close(&mut self) {}
}

impl PgStore {
    /// Connects to `url` and brings the schema up to date.
    ///
    /// # Errors
    /// When the database cannot be reached or migrated.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        PgStore::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with the given options (e.g. a `search_path` to keep to one schema) and migrates.
    ///
    /// # Errors
    /// When the database cannot be reached or migrated.
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let writer = Writer::start(PgBatcher { pool: pool.clone() });
        Ok(PgStore { pool, writer })
    }
}

#[async_trait]
impl DocumentStore for PgStore {
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.writer.submit(|tx| WriteOp::Insert(Box::new(doc), tx)).await
    }

    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.writer.submit(|tx| WriteOp::Append(Box::new(append), tx)).await
    }

    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>> {
        // One snapshot for the head and the events.
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        let r = q::get_document(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn is_linked(&self, id: Uuid, key_ids: &[String]) -> StoreResult<bool> {
        let mut c = self.pool.acquire().await?;
        q::is_linked(&mut c, id, key_ids).await
    }

    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
        let mut c = self.pool.acquire().await?;
        q::list_documents(&mut c, query).await
    }

    async fn count_documents(&self) -> StoreResult<i64> {
        let mut c = self.pool.acquire().await?;
        q::count_documents(&mut c).await
    }

    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>> {
        let mut c = self.pool.acquire().await?;
        q::identifiers(&mut c, id).await
    }

    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>> {
        let mut c = self.pool.acquire().await?;
        q::efti_dataset(&mut c, id).await
    }
}

#[async_trait]
impl PrincipalStore for PgStore {
    async fn add_principal(&self, principal: &Principal, token: &NewToken) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        q::add_principal(&mut tx, principal, token).await?;
        Ok(tx.commit().await?)
    }

    async fn add_token(&self, token: &NewToken) -> StoreResult<()> {
        let mut c = self.pool.acquire().await?;
        q::add_token(&mut c, token).await
    }

    async fn list_principals(&self) -> StoreResult<Vec<Principal>> {
        let mut c = self.pool.acquire().await?;
        q::list_principals(&mut c).await
    }

    async fn get_principal(&self, id: Uuid) -> StoreResult<Option<Principal>> {
        let mut c = self.pool.acquire().await?;
        q::get_principal(&mut c, id).await
    }

    async fn revoke_principal(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let r = q::revoke_principal(&mut tx, id, at).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn set_details(&self, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
        let mut c = self.pool.acquire().await?;
        q::set_details(&mut c, id, details).await
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut c = self.pool.acquire().await?;
        q::revoke_token(&mut c, id, at).await
    }

    async fn list_tokens(&self, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
        let mut c = self.pool.acquire().await?;
        q::list_tokens(&mut c, principal_id).await
    }

    async fn authenticate(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<Option<Principal>> {
        let mut c = self.pool.acquire().await?;
        q::authenticate(&mut c, token_sha256, at).await
    }

    async fn count_principals(&self) -> StoreResult<i64> {
        let mut c = self.pool.acquire().await?;
        q::count_principals(&mut c).await
    }

    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>> {
        let mut c = self.pool.acquire().await?;
        q::key_owner(&mut c, key_id).await
    }
}

#[async_trait]
impl AuditLog for PgStore {
    async fn append(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer.submit(|tx| WriteOp::Audit(Box::new(entry), tx)).await
    }

    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let mut c = self.pool.acquire().await?;
        q::audit_for_document(&mut c, id).await
    }

    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let mut c = self.pool.acquire().await?;
        q::audit_for_principal(&mut c, id).await
    }
}

#[async_trait]
impl ControlStore for PgStore {
    async fn record(&self, write: ControlWrite) -> StoreResult<()> {
        self.writer.submit(|tx| WriteOp::Control(Box::new(write), tx)).await
    }

    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>> {
        let mut c = self.pool.acquire().await?;
        q::get_request(&mut c, id).await
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        q::add_follow_up(&mut tx, follow_up).await?;
        Ok(tx.commit().await?)
    }

    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>> {
        let mut c = self.pool.acquire().await?;
        q::follow_ups(&mut c, document_id).await
    }

    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        let mut c = self.pool.acquire().await?;
        q::search_identifiers(&mut c, query).await
    }

    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let replaced = q::put_dataset(&mut tx, dataset, audit).await?;
        tx.commit().await?;
        Ok(replaced)
    }

    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
        let mut c = self.pool.acquire().await?;
        q::search_datasets(&mut c, query).await
    }
}

#[async_trait]
impl Backend for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.pool.close().await;
    }
}
