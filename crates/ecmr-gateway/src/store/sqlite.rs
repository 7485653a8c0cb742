//! The embedded store: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Document, event and audit writes go through one writer task that owns the only writing connection. It takes
//! every write waiting in its queue, applies each inside its own savepoint of one transaction, commits once (one
//! fsync for the whole batch) and only then answers each caller. A caller's 2xx therefore always follows a durable
//! commit, and concurrent submissions share the cost of the fsync (group commit). Reads use a pool of their own
//! connections, which WAL lets run beside the writer. Authority requests written with [`Durability::Normal`]
//! commit without the fsync when a batch holds nothing else.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};
use uuid::Uuid;

#[cfg(doc)]
use super::Durability;
use super::sqlite_direct::{ControlWriter, Readers};
use super::writer::{Batcher, Done, WriteOp, Writer, fail_all};
use super::{
    AppendOutcome, AuditEntry, AuditLog, Backend, ControlRequest, ControlStore, ControlWrite, DocumentStore,
    DocumentSummary, EventAppend, FollowUp, Identifier, IdentifierQuery, InsertOutcome, ListQuery, NewDocument,
    NewToken, PlatformDataset, PlatformHit, Principal, PrincipalStore, StoreResult, StoredDataset, StoredDocument,
    TokenInfo,
};

mod q {
    super::super::queries::queries!(sqlx::Sqlite, sqlx::SqliteConnection);
}

/// How often the WAL is checkpointed into the database file, off the writer's path.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// WAL length (in pages) above which a checkpoint also restarts the WAL. Passive checkpoints never finish under a
/// steady stream of commits, so without a restart the WAL grows without bound (about 60 KB per ingested document
/// was measured: 2.9 GB of WAL after 50,000 documents).
const WAL_RESTART_PAGES: i64 = 16_384;

/// SQLite store with a group-committing writer.
pub struct SqliteStore {
    writer: Writer,
    reads: SqlitePool,
    /// The hot eFTI reads, without sqlx's per-statement thread hand-offs.
    fast: Readers,
    checkpointer: tokio::task::JoinHandle<()>,
}

async fn checkpointer(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        let started = std::time::Instant::now();
        let log_pages =
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await {
                Ok((_busy, log, done)) => {
                    tracing::debug!(log, done, ms = started.elapsed().as_millis() as u64, "passive checkpoint");
                    log
                }
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    continue;
                }
            };
        if log_pages > WAL_RESTART_PAGES {
            let started = std::time::Instant::now();
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)").fetch_one(&pool).await {
                Ok((busy, log, done)) => {
                    tracing::debug!(busy, log, done, ms = started.elapsed().as_millis() as u64, "restart checkpoint")
                }
                Err(e) => tracing::warn!(error = %e, "WAL restart checkpoint failed"),
            }
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The writer never checkpoints itself (that would put the database file's fsync on a caller's commit); a
        // background task does it every second from a read connection.
        let mut conn = SqliteConnection::connect_with(&options.clone().pragma("wal_autocheckpoint", "0")).await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        // A connection to a local file cannot go stale, so it is not pinged before each use: for SQLite that ping is
        // a round trip to the connection's worker thread, two context switches on every read.
        let reads =
            SqlitePoolOptions::new().max_connections(4).test_before_acquire(false).connect_with(options).await?;
        let fast = Readers::open(path)?;
        let control = ControlWriter::open(path)?;
        let writer = Writer::start(SqliteBatcher { conn: Some(conn), control });
        let checkpointer = tokio::spawn(checkpointer(reads.clone()));
        Ok(SqliteStore { writer, reads, fast, checkpointer })
    }
}

/// The writer's side: the only connection that writes documents, events and audit entries.
struct SqliteBatcher {
    conn: Option<SqliteConnection>,
    /// Writes batches of only authority requests and audit entries, without sqlx's per-statement hand-offs.
    control: ControlWriter,
}

#[async_trait]
impl Batcher for SqliteBatcher {
    async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done> {
        let Some(conn) = self.conn.as_mut() else { return fail_all(ops, "the writer is closed") };
        // Batches of nothing but authority requests and audit entries (the ones that may commit without an fsync)
        // go to the control writer; every other batch holds a document or an event and is flushed here.
        if ControlWriter::takes(&ops) {
            return self.control.commit(ops).await;
        }
        let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "could not begin a write transaction");
                return fail_all(ops, &format!("begin: {e}"));
            }
        };
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

    async fn close(&mut self) {
        if let Some(conn) = self.conn.take()
            && let Err(e) = conn.close().await
        {
            tracing::warn!(error = %e, "closing the SQLite writer connection failed");
        }
    }
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.writer.submit(|tx| WriteOp::Insert(Box::new(doc), tx)).await
    }

    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.writer.submit(|tx| WriteOp::Append(Box::new(append), tx)).await
    }

    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>> {
        // One read transaction: the head and the events from the same snapshot.
        let mut tx = self.reads.begin().await?;
        let r = q::get_document(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn is_linked(&self, id: Uuid, key_ids: &[String]) -> StoreResult<bool> {
        let mut c = self.reads.acquire().await?;
        q::is_linked(&mut c, id, key_ids).await
    }

    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
        let mut c = self.reads.acquire().await?;
        q::list_documents(&mut c, query).await
    }

    async fn count_documents(&self) -> StoreResult<i64> {
        let mut c = self.reads.acquire().await?;
        q::count_documents(&mut c).await
    }

    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>> {
        let mut c = self.reads.acquire().await?;
        q::identifiers(&mut c, id).await
    }

    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>> {
        self.fast.efti_dataset(id)
    }
}

#[async_trait]
impl PrincipalStore for SqliteStore {
    async fn add_principal(&self, principal: &Principal, token: &NewToken) -> StoreResult<()> {
        let mut tx = self.reads.begin_with("BEGIN IMMEDIATE").await?;
        q::add_principal(&mut tx, principal, token).await?;
        Ok(tx.commit().await?)
    }

    async fn add_token(&self, token: &NewToken) -> StoreResult<()> {
        let mut c = self.reads.acquire().await?;
        q::add_token(&mut c, token).await
    }

    async fn list_principals(&self) -> StoreResult<Vec<Principal>> {
        let mut c = self.reads.acquire().await?;
        q::list_principals(&mut c).await
    }

    async fn get_principal(&self, id: Uuid) -> StoreResult<Option<Principal>> {
        let mut c = self.reads.acquire().await?;
        q::get_principal(&mut c, id).await
    }

    async fn revoke_principal(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.reads.begin_with("BEGIN IMMEDIATE").await?;
        let r = q::revoke_principal(&mut tx, id, at).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn set_details(&self, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
        let mut c = self.reads.acquire().await?;
        q::set_details(&mut c, id, details).await
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut c = self.reads.acquire().await?;
        q::revoke_token(&mut c, id, at).await
    }

    async fn list_tokens(&self, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
        let mut c = self.reads.acquire().await?;
        q::list_tokens(&mut c, principal_id).await
    }

    async fn authenticate(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<Option<Principal>> {
        let mut c = self.reads.acquire().await?;
        q::authenticate(&mut c, token_sha256, at).await
    }

    async fn count_principals(&self) -> StoreResult<i64> {
        let mut c = self.reads.acquire().await?;
        q::count_principals(&mut c).await
    }

    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>> {
        let mut c = self.reads.acquire().await?;
        q::key_owner(&mut c, key_id).await
    }
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer.submit(|tx| WriteOp::Audit(Box::new(entry), tx)).await
    }

    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let mut c = self.reads.acquire().await?;
        q::audit_for_document(&mut c, id).await
    }

    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let mut c = self.reads.acquire().await?;
        q::audit_for_principal(&mut c, id).await
    }
}

#[async_trait]
impl ControlStore for SqliteStore {
    async fn record(&self, write: ControlWrite) -> StoreResult<()> {
        self.writer.submit(|tx| WriteOp::Control(Box::new(write), tx)).await
    }

    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>> {
        self.fast.get_request(id)
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        let mut tx = self.reads.begin_with("BEGIN IMMEDIATE").await?;
        q::add_follow_up(&mut tx, follow_up).await?;
        Ok(tx.commit().await?)
    }

    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>> {
        let mut c = self.reads.acquire().await?;
        q::follow_ups(&mut c, document_id).await
    }

    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        self.fast.search_identifiers(query)
    }

    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.reads.begin_with("BEGIN IMMEDIATE").await?;
        let replaced = q::put_dataset(&mut tx, dataset, audit).await?;
        tx.commit().await?;
        Ok(replaced)
    }

    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
        self.fast.search_datasets(query)
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.checkpointer.abort();
        // A last checkpoint so that the database file is complete on its own.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.reads).await;
        self.reads.close().await;
        self.fast.close();
    }
}
