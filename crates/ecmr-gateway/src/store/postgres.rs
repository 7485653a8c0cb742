//! The PostgreSQL store, for several gateway replicas sharing one database.
//!
//! Document, event, audit and authority-request writes go through the same group-committing writer as SQLite's
//! (one transaction per batch of queued writes, on a pooled connection); reads and principal changes use the pool
//! directly. Races between replicas are settled by the primary keys: the second writer of an event `seq` finds it
//! taken and gets [`AppendOutcome::SeqTaken`].

use std::future::Future;
use std::ops::DerefMut;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Row as _, Transaction};
use uuid::Uuid;

use super::federation::{self, AnswerOutcome, Destination, DestinationAnswer, FederationStore, Inbound};
use super::sql::{Cell, Conn, Kind, Param, Row};
use super::writer::{Batcher, Done, Tx, WriteOp, Writer, commit_batch, fail_all, needs_flush};
use super::{
    AppendOutcome, AuditEntry, AuditLog, Backend, ControlRequest, ControlStore, ControlWrite, DocumentStore,
    DocumentSummary, EventAppend, FollowUp, Identifier, IdentifierQuery, InsertOutcome, ListQuery, NewDocument,
    NewToken, PlatformDataset, PlatformHit, Principal, PrincipalStore, SessionRecord, SessionStore, ShareRecord,
    ShareStore, StoreResult, StoredDataset, StoredDocument, TokenInfo, audit, control, datasets, documents, principals,
    sessions, shares,
};

/// PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
    writer: Writer,
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

    /// A pooled connection.
    async fn conn(&self) -> StoreResult<Pg<PoolConnection<Postgres>>> {
        Ok(Pg(self.pool.acquire().await?))
    }

    /// A transaction on a pooled connection.
    async fn tx(&self) -> StoreResult<Pg<Transaction<'static, Postgres>>> {
        Ok(Pg(self.pool.begin().await?))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

/// A pooled connection or a transaction, as the concern modules use it.
pub(crate) struct Pg<C>(C);

/// Binds the parameters in order, each with its SQL type (also when NULL).
fn query<'q>(sql: &'q str, params: &[Param<'_>]) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    params.iter().fold(sqlx::query(AssertSqlSafe(sql)), |q, p| match p {
        Param::Text(s) => q.bind(s.as_deref()),
        Param::Int(i) => q.bind(*i),
        Param::Bool(b) => q.bind(*b),
    })
}

impl<C: DerefMut<Target = PgConnection> + Send> Conn for Pg<C> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send {
        let q = query(sql, params);
        async move { Ok(q.execute(&mut *self.0).await?.rows_affected()) }
    }

    fn fetch<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl Fn(&dyn Row) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send {
        let q = query(sql, params);
        async move { q.fetch_all(&mut *self.0).await?.iter().map(|r| map(r)).collect() }
    }
}

impl Tx for Pg<Transaction<'_, Postgres>> {
    async fn commit(self) -> StoreResult<()> {
        Ok(self.0.commit().await?)
    }
}

impl Row for PgRow {
    fn cell(&self, i: usize, kind: Kind) -> StoreResult<Cell> {
        Ok(match kind {
            Kind::Text => self.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text),
            Kind::Int => self.try_get::<Option<i64>, _>(i)?.map_or(Cell::Null, Cell::Int),
            Kind::Flag => self.try_get::<Option<bool>, _>(i)?.map_or(Cell::Null, Cell::Flag),
        })
    }
}

/// The writer's side: each batch in a transaction on a pooled connection.
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
                return fail_all(ops, e.into());
            }
        };
        // A batch of nothing but authority requests asked for `Durability::Normal` does not wait for its WAL
        // flush; PostgreSQL's WAL writer flushes it shortly after.
        if !needs_flush(&ops)
            && let Err(e) = sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await
        {
            tracing::error!(error = %e, "could not set the durability of a write batch");
            return fail_all(ops, e.into());
        }
        commit_batch(Pg(tx), ops).await
    }

    async fn close(&mut self) {}
}

// ---------------------------------------------------------------------------------------------------------------
// The concerns

#[async_trait]
impl DocumentStore for PgStore {
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.writer.insert(doc).await
    }

    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.writer.append(append).await
    }

    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>> {
        // One snapshot for the head and the events.
        let mut tx = Pg(self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?);
        let r = documents::get_document(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn is_linked(&self, id: Uuid, key_ids: &[String], party_refs: &[String]) -> StoreResult<bool> {
        documents::is_linked(&mut self.conn().await?, id, key_ids, party_refs).await
    }

    async fn add_party(&self, id: Uuid, party: &super::DocumentParty, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let added = documents::add_party(&mut tx, id, party, audit).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
        documents::list_documents(&mut self.conn().await?, query).await
    }

    async fn count_documents(&self) -> StoreResult<i64> {
        documents::count_documents(&mut self.conn().await?).await
    }

    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>> {
        documents::identifiers(&mut self.conn().await?, id).await
    }

    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>> {
        documents::efti_dataset(&mut self.conn().await?, id).await
    }

    async fn summary(&self, id: Uuid) -> StoreResult<Option<DocumentSummary>> {
        Ok(documents::summary(&mut self.conn().await?, id).await?.map(|(s, _)| s))
    }
}

#[async_trait]
impl PrincipalStore for PgStore {
    async fn add_principal(&self, principal: &Principal, token: &NewToken) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        principals::add_principal(&mut tx, principal, token).await?;
        tx.commit().await
    }

    async fn add_token(&self, token: &NewToken) -> StoreResult<()> {
        principals::add_token(&mut self.conn().await?, token).await
    }

    async fn list_principals(&self) -> StoreResult<Vec<Principal>> {
        principals::list_principals(&mut self.conn().await?).await
    }

    async fn get_principal(&self, id: Uuid) -> StoreResult<Option<Principal>> {
        principals::get_principal(&mut self.conn().await?, id).await
    }

    async fn revoke_principal(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let r = principals::revoke_principal(&mut tx, id, at).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn set_details(&self, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
        principals::set_details(&mut self.conn().await?, id, details).await
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        principals::revoke_token(&mut self.conn().await?, id, at).await
    }

    async fn list_tokens(&self, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
        principals::list_tokens(&mut self.conn().await?, principal_id).await
    }

    async fn authenticate_token(
        &self,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, Option<DateTime<Utc>>)>> {
        principals::authenticate(&mut self.conn().await?, token_sha256, at).await
    }

    async fn count_principals(&self) -> StoreResult<i64> {
        principals::count_principals(&mut self.conn().await?).await
    }

    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>> {
        principals::key_owner(&mut self.conn().await?, key_id).await
    }
}

#[async_trait]
impl AuditLog for PgStore {
    async fn append(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer.audit(entry).await
    }

    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        audit::entries(&mut self.conn().await?, audit::FOR_DOCUMENT, id).await
    }

    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        audit::entries(&mut self.conn().await?, audit::FOR_PRINCIPAL, id).await
    }

    async fn mismatches(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        audit::entries(&mut self.conn().await?, audit::MISMATCHES, id).await
    }
}

#[async_trait]
impl ControlStore for PgStore {
    async fn record(&self, write: ControlWrite) -> StoreResult<()> {
        self.writer.control(write).await
    }

    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>> {
        control::get_request(&mut self.conn().await?, id).await
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        control::add_follow_up(&mut tx, follow_up).await?;
        tx.commit().await
    }

    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>> {
        control::follow_ups(&mut self.conn().await?, document_id).await
    }

    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        control::search_identifiers(&mut self.conn().await?, query).await
    }

    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let replaced = datasets::put_dataset(&mut tx, dataset, audit).await?;
        tx.commit().await?;
        Ok(replaced)
    }

    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
        datasets::search_datasets(&mut self.conn().await?, query).await
    }
}

#[async_trait]
impl FederationStore for PgStore {
    async fn add_destinations(&self, destinations: &[Destination]) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        federation::add_destinations(&mut tx, destinations).await?;
        tx.commit().await
    }

    async fn destinations(&self, request_id: Uuid) -> StoreResult<Vec<Destination>> {
        federation::destinations(&mut self.conn().await?, request_id).await
    }

    async fn record_attempt(
        &self,
        request_id: Uuid,
        gate_id: &str,
        attempts: i64,
        error: Option<&str>,
        delivered_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        federation::record_attempt(&mut self.conn().await?, request_id, gate_id, attempts, error, delivered_at).await
    }

    async fn record_answer(
        &self,
        request_id: Uuid,
        gate_id: &str,
        answer: &DestinationAnswer,
        at: DateTime<Utc>,
    ) -> StoreResult<AnswerOutcome> {
        let mut tx = self.tx().await?;
        let outcome = federation::record_answer(&mut tx, request_id, gate_id, answer, at).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn late_answers(&self, request_id: Uuid) -> StoreResult<Vec<(String, String)>> {
        federation::late_answers(&mut self.conn().await?, request_id).await
    }

    async fn undelivered(&self, now: DateTime<Utc>) -> StoreResult<Vec<Destination>> {
        federation::undelivered(&mut self.conn().await?, now).await
    }

    async fn see_message(&self, message_id: &str, origin: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let new = federation::see_message(&mut tx, message_id, origin, at).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn add_inbound(&self, inbound: &Inbound) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let new = federation::add_inbound(&mut tx, inbound).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn set_inbound_answer(&self, origin: &str, request_id: &str, kind: &str, answer: &str) -> StoreResult<()> {
        federation::set_inbound_answer(&mut self.conn().await?, origin, request_id, kind, answer).await
    }

    async fn inbound_answered(&self, origin: &str, request_id: &str, kind: &str, at: DateTime<Utc>) -> StoreResult<()> {
        federation::inbound_answered(&mut self.conn().await?, origin, request_id, kind, at).await
    }

    async fn unanswered_inbound(&self) -> StoreResult<Vec<Inbound>> {
        federation::unanswered_inbound(&mut self.conn().await?).await
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

#[async_trait]
impl SessionStore for PgStore {
    async fn add_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sessions::add(&mut self.conn().await?, session).await
    }

    async fn get_session(&self, id_sha256: &str) -> StoreResult<Option<SessionRecord>> {
        sessions::get(&mut self.conn().await?, id_sha256).await
    }

    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sessions::touch(&mut self.conn().await?, id_sha256, at).await
    }

    async fn end_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        sessions::end(&mut self.conn().await?, id_sha256, at).await
    }

    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        sessions::purge(&mut self.conn().await?, before).await
    }
}

#[async_trait]
impl ShareStore for PgStore {
    async fn add_share(&self, share: &ShareRecord, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        shares::add(&mut tx, share, audit).await?;
        tx.commit().await
    }

    async fn shares_of(&self, document_id: Uuid) -> StoreResult<Vec<ShareRecord>> {
        shares::of_document(&mut self.conn().await?, document_id).await
    }

    async fn share_by_token(&self, token_sha256: &str) -> StoreResult<Option<ShareRecord>> {
        shares::by_token(&mut self.conn().await?, token_sha256).await
    }

    async fn revoke_share(
        &self,
        document_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let revoked = shares::revoke(&mut tx, document_id, id, at, audit).await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
