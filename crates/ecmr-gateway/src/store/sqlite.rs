//! The embedded store: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Document, event and audit writes go through one writer task that owns the only writing connection. It takes
//! every write waiting in its queue, applies each inside its own savepoint of one transaction, commits once (one
//! fsync for the whole batch) and only then answers each caller. A caller's 2xx therefore always follows a durable
//! commit, and concurrent submissions share the cost of the fsync (group commit). Reads use a pool of their own
//! connections, which WAL lets run beside the writer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::{
    AppendOutcome, AuditEntry, AuditLog, Backend, DocumentStore, DocumentSummary, EventAppend, Identifier,
    InsertOutcome, ListQuery, NewDocument, NewToken, Principal, PrincipalStore, StoreError, StoreResult,
    StoredDocument, TokenInfo,
};

mod q {
    super::super::queries::queries!(sqlx::Sqlite, sqlx::SqliteConnection);
}

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 512;
/// Writes that may wait for the writer before callers are held back.
const QUEUE: usize = 8192;
/// A batch smaller than this waits [`GATHER_WAIT`] for more writes before it commits.
const GATHER_BELOW: usize = 4;
/// How long a small batch waits for company.
const GATHER_WAIT: Duration = Duration::from_micros(250);
/// How often the WAL is checkpointed into the database file, off the writer's path.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

enum WriteOp {
    Insert(Box<NewDocument>, oneshot::Sender<StoreResult<InsertOutcome>>),
    Append(Box<EventAppend>, oneshot::Sender<StoreResult<AppendOutcome>>),
    Audit(Box<AuditEntry>, oneshot::Sender<StoreResult<()>>),
    Shutdown(oneshot::Sender<()>),
}

enum Done {
    Insert(oneshot::Sender<StoreResult<InsertOutcome>>, StoreResult<InsertOutcome>),
    Append(oneshot::Sender<StoreResult<AppendOutcome>>, StoreResult<AppendOutcome>),
    Audit(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
}

impl Done {
    fn fail_if_ok(self, why: &str) -> Done {
        let err = || StoreError::Commit(why.to_owned());
        match self {
            Done::Insert(tx, Ok(_)) => Done::Insert(tx, Err(err())),
            Done::Append(tx, Ok(_)) => Done::Append(tx, Err(err())),
            Done::Audit(tx, Ok(_)) => Done::Audit(tx, Err(err())),
            other => other,
        }
    }

    fn send(self) {
        // A caller that went away (timeout, disconnect) no longer needs the answer; the write stands.
        match self {
            Done::Insert(tx, r) => drop(tx.send(r)),
            Done::Append(tx, r) => drop(tx.send(r)),
            Done::Audit(tx, r) => drop(tx.send(r)),
        }
    }
}

/// SQLite store with a group-committing writer.
pub struct SqliteStore {
    writes: mpsc::Sender<WriteOp>,
    reads: SqlitePool,
    writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
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
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
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
        let reads = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        let (writes, rx) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(writer(conn, rx));
        let checkpointer = tokio::spawn(checkpointer(reads.clone()));
        Ok(SqliteStore { writes, reads, writer: Mutex::new(Some(writer)), checkpointer })
    }

    async fn submit<T>(&self, op: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> WriteOp) -> StoreResult<T> {
        let (tx, rx) = oneshot::channel();
        self.writes.send(op(tx)).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

async fn writer(mut conn: SqliteConnection, mut rx: mpsc::Receiver<WriteOp>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        // A lone write usually has company on its way (the callers answered by the last commit are sending their
        // next ones): give them a moment to join this commit rather than pay an fsync each.
        if batch.len() < GATHER_BELOW {
            tokio::time::sleep(GATHER_WAIT).await;
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
        }
        let mut shutdown = None;
        let ops: Vec<WriteOp> = batch
            .drain(..)
            .filter_map(|op| match op {
                WriteOp::Shutdown(ack) => {
                    shutdown = Some(ack);
                    None
                }
                other => Some(other),
            })
            .collect();
        if !ops.is_empty() {
            let n = ops.len();
            let t0 = std::time::Instant::now();
            let done = apply_batch(&mut conn, ops).await;
            tracing::debug!(writes = n, micros = t0.elapsed().as_micros() as u64, "write batch committed");
            for d in done {
                d.send();
            }
        }
        if let Some(ack) = shutdown {
            rx.close();
            // Anything queued after the shutdown request is refused: its sender gets `Closed`.
            while rx.try_recv().is_ok() {}
            close_writer(conn, ack).await;
            return;
        }
    }
    let _ = conn.close().await;
}

async fn close_writer(conn: SqliteConnection, ack: oneshot::Sender<()>) {
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the SQLite writer connection failed");
    }
    let _ = ack.send(());
}

async fn apply_batch(conn: &mut SqliteConnection, ops: Vec<WriteOp>) -> Vec<Done> {
    let mut done = Vec::with_capacity(ops.len());
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            let why = format!("begin: {e}");
            tracing::error!(error = %e, "could not begin a write transaction");
            for op in ops {
                let d = match op {
                    WriteOp::Insert(_, s) => Done::Insert(s, Err(StoreError::Commit(why.clone()))),
                    WriteOp::Append(_, s) => Done::Append(s, Err(StoreError::Commit(why.clone()))),
                    WriteOp::Audit(_, s) => Done::Audit(s, Err(StoreError::Commit(why.clone()))),
                    WriteOp::Shutdown(_) => continue,
                };
                done.push(d);
            }
            return done;
        }
    };
    let mut inserts = Vec::new();
    let mut appends = Vec::new();
    let mut audits = Vec::new();
    for op in ops {
        match op {
            WriteOp::Insert(doc, s) => inserts.push((doc, s)),
            WriteOp::Append(a, s) => appends.push((a, s)),
            WriteOp::Audit(e, s) => audits.push((e, s)),
            WriteOp::Shutdown(_) => {}
        }
    }
    // New documents together, with a few multi-row statements, in one savepoint. Appends and audit entries in a
    // batch never concern a document inserted in the same batch (an append is verified against a stored chain).
    if !inserts.is_empty() {
        let docs: Vec<&NewDocument> = inserts.iter().map(|(d, _)| d.as_ref()).collect();
        let result = match tx.begin().await {
            Ok(mut sp) => match q::insert_documents(&mut sp, &docs).await {
                Ok(outcomes) => sp.commit().await.map(|()| outcomes).map_err(StoreError::from),
                Err(e) => {
                    let _ = sp.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(StoreError::from(e)),
        };
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
        let r = match tx.begin().await {
            Ok(mut sp) => match q::append_event(&mut sp, &a).await {
                Ok(o) => sp.commit().await.map(|()| o).map_err(StoreError::from),
                Err(e) => {
                    let _ = sp.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(StoreError::from(e)),
        };
        done.push(Done::Append(s, r));
    }
    if !audits.is_empty() {
        let entries: Vec<AuditEntry> = audits.iter().map(|(e, _)| (**e).clone()).collect();
        let r = match tx.begin().await {
            Ok(mut sp) => match q::audit_append_many(&mut sp, &entries).await {
                Ok(()) => sp.commit().await.map_err(StoreError::from),
                Err(e) => {
                    let _ = sp.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(StoreError::from(e)),
        };
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
    match tx.commit().await {
        Ok(()) => done,
        Err(e) => {
            tracing::error!(error = %e, "a write batch failed to commit");
            let why = format!("{e}");
            done.into_iter().map(|d| d.fail_if_ok(&why)).collect()
        }
    }
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.submit(|tx| WriteOp::Insert(Box::new(doc), tx)).await
    }

    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.submit(|tx| WriteOp::Append(Box::new(append), tx)).await
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
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append(&self, entry: AuditEntry) -> StoreResult<()> {
        self.submit(|tx| WriteOp::Audit(Box::new(entry), tx)).await
    }

    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let mut c = self.reads.acquire().await?;
        q::audit_for_document(&mut c, id).await
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
        let (tx, rx) = oneshot::channel();
        if self.writes.send(WriteOp::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
        if let Some(handle) = self.writer.lock().await.take() {
            let _ = handle.await;
        }
        self.checkpointer.abort();
        // A last checkpoint so that the database file is complete on its own.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.reads).await;
        self.reads.close().await;
    }
}
