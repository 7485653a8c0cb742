//! The embedded store: SQLite in WAL mode with `synchronous=FULL`, through rusqlite alone.
//!
//! Document, event, audit and authority-request writes go through the group-committing writer shared with
//! PostgreSQL, whose batches run on one thread of their own that owns the only connection writing them: it takes a
//! batch, applies each write inside its own savepoint of one transaction, commits once (one fsync for the whole
//! batch) and only then are the callers answered. A caller's 2xx therefore always follows a durable commit, and
//! concurrent submissions share the cost of the fsync (group commit). Batches made only of authority requests and
//! audit entries asked for with [`Durability::Normal`] commit with `synchronous=NORMAL`, without the fsync.
//!
//! Reads use a small pool of connections of their own, which WAL lets run beside the writer. A statement runs
//! where it is asked for: the reads of a request are point reads on indexes that take microseconds, and a hand-off
//! to another thread for each (as a driver with a worker thread per connection does) was measured as the largest
//! CPU cost of an eFTI read. What may take long runs on a blocking thread instead ([`spawn_blocking`]): reads
//! with no bound on their size (the whole audit trail of a principal, every principal, a count over every
//! document) and the few writes outside the writer (principals, tokens, follow-ups, platform datasets), which may
//! wait for the writer's lock and flush their own commit. A background thread checkpoints the WAL every second,
//! off the writer's path.
//!
//! [`spawn_blocking`]: tokio::task::spawn_blocking

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, params_from_iter};
use tokio::sync::oneshot;
use uuid::Uuid;

#[cfg(doc)]
use super::Durability;
use super::federation::{self, AnswerOutcome, Destination, DestinationAnswer, FederationStore, Inbound};
use super::sql::{Cell, Conn, Kind, Param, Row};
use super::writer::{Batcher, Done, Tx, WriteOp, Writer, commit_batch, fail_all, needs_flush};
use super::{
    AppendOutcome, AuditEntry, AuditLog, Backend, ControlRequest, ControlStore, ControlWrite, DocumentParty,
    DocumentStore, DocumentSummary, EventAppend, FollowUp, Identifier, IdentifierQuery, InsertOutcome, ListQuery,
    NewDocument, NewToken, PlatformDataset, PlatformHit, Principal, PrincipalStore, SessionRecord, SessionStore,
    ShareRecord, ShareStore, StoreError, StoreResult, StoredDataset, StoredDocument, TokenInfo, audit, control,
    datasets, documents, principals, sessions, shares,
};

/// The schema, one migration per file, applied in order; the database remembers the last one applied in
/// `PRAGMA user_version`.
const MIGRATIONS: [(i64, &str); 10] = [
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_control.sql")),
    (3, include_str!("../../migrations/sqlite/0003_platform.sql")),
    (4, include_str!("../../migrations/sqlite/0004_sender_ref.sql")),
    (5, include_str!("../../migrations/sqlite/0005_efti_view.sql")),
    (6, include_str!("../../migrations/sqlite/0006_control_answers.sql")),
    (7, include_str!("../../migrations/sqlite/0007_document_parties.sql")),
    (8, include_str!("../../migrations/sqlite/0008_document_keys_by_time.sql")),
    (9, include_str!("../../migrations/sqlite/0009_inspect.sql")),
    (10, include_str!("../../migrations/sqlite/0010_federation.sql")),
];

/// How often the WAL is checkpointed into the database file, off the writer's path.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// WAL length (in pages) above which a checkpoint also restarts the WAL. Passive checkpoints never finish under a
/// steady stream of commits, so without a restart the WAL grows without bound (about 60 KB per ingested document
/// was measured: 2.9 GB of WAL after 50,000 documents).
const WAL_RESTART_PAGES: i64 = 16_384;

/// How long a statement waits for a lock held by another connection (the writer's, while it commits a batch).
const BUSY: Duration = Duration::from_secs(10);
/// Idle pool connections kept for reuse; more are opened when more requests read at once, and closed after.
const IDLE: usize = 8;
/// Prepared statements kept per pool connection (one per distinct search filter shape).
const STATEMENTS: usize = 64;
/// Prepared statements kept by the writer: one multi-row statement per batch size and table.
const WRITER_STATEMENTS: usize = 512;

/// SQLite store with a group-committing writer.
pub struct SqliteStore {
    writer: Writer,
    pool: Arc<Pool>,
    checkpointer: Mutex<Option<Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let path = path.to_owned();
        let (conn, path) = tokio::task::spawn_blocking(move || -> StoreResult<_> {
            let mut conn = connect(&path, WRITER_STATEMENTS)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            migrate(&mut conn)?;
            Ok((conn, path))
        })
        .await??;
        let pool = Arc::new(Pool { path: path.clone(), idle: Mutex::new(Vec::new()), closed: AtomicBool::new(false) });
        drop(pool.get()?);
        let checkpointer = Checkpointer::start(connect(&path, 4)?)?;
        let writer = Writer::start(SqliteBatcher::start(conn)?);
        Ok(SqliteStore { writer, pool, checkpointer: Mutex::new(Some(checkpointer)) })
    }

    /// Runs `work` on a pool connection, on this thread.
    fn read<T>(&self, work: impl AsyncFnOnce(&mut Lite<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.pool.get()?;
        block_on(work(&mut Lite(&mut conn)))
    }

    /// Runs `work` on a pool connection on a blocking thread, in a transaction when `begin` is given (`BEGIN` for a
    /// read of one moment, `BEGIN IMMEDIATE` for a write).
    async fn blocking<T: Send + 'static>(
        &self,
        begin: Option<&'static str>,
        work: impl AsyncFnOnce(&mut Lite<'_>) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            match begin {
                Some(begin) => transaction(&mut conn, begin, work),
                None => block_on(work(&mut Lite(&mut conn))),
            }
        })
        .await?
    }
}

/// Opens a connection to the database at `path` as every connection of the store is set up: foreign keys on,
/// commits flushed (`synchronous=FULL`), and never a checkpoint on a commit (the checkpointer does it, so that
/// the database file's fsync is never on a caller's path).
fn connect(path: &Path, statements: usize) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY)?;
    conn.set_prepared_statement_cache_capacity(statements);
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")?;
    Ok(conn)
}

/// Brings the schema up to date: each migration not yet applied runs in a transaction of its own that also
/// records it in `PRAGMA user_version`, so a migration is applied completely and remembered, or not at all.
///
/// Databases made by earlier versions of the gateway recorded their migrations in the `_sqlx_migrations` table
/// of the driver they used, and left `user_version` at 0: for them the last successful version there is taken,
/// once, and written to `user_version` (the table is left as it is). `user_version` was chosen over keeping that
/// table up to date because it is one integer in the database header, written in the migration's own
/// transaction, and needs neither the table's layout nor its checksums to be reproduced.
fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let mut version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        version = sqlx_history(conn)?;
        if version > 0 {
            conn.pragma_update(None, "user_version", version)?;
        }
    }
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if version > known {
        return Err(StoreError::SchemaTooNew { found: version, known });
    }
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > version) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql).map_err(|source| StoreError::Migrate { version: *v, source })?;
        tx.pragma_update(None, "user_version", v)?;
        tx.commit()?;
        tracing::info!(version = v, "applied a SQLite migration");
    }
    Ok(())
}

/// The last migration the `_sqlx_migrations` table records as applied, or 0 without that table.
fn sqlx_history(conn: &Connection) -> StoreResult<i64> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn.query_row("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success", [], |r| r.get(0))?)
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

/// A connection (or its open transaction) as the concern modules use it.
pub(crate) struct Lite<'c>(&'c mut Connection);

impl Lite<'_> {
    fn run(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        let changed = self.0.prepare_cached(sql)?.execute(params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        map: impl Fn(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut st = self.0.prepare_cached(sql)?;
        let mut rows = st.query(params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(map(row)?);
        }
        Ok(out)
    }
}

impl Conn for Lite<'_> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send {
        std::future::ready(self.run(sql, params))
    }

    fn fetch<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl Fn(&dyn Row) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send {
        std::future::ready(self.query(sql, params, map))
    }
}

impl Tx for Lite<'_> {
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send {
        std::future::ready(end_transaction(self.0, true))
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(Some(i)) => ToSqlOutput::Owned(Value::Integer(*i)),
            Param::Bool(Some(b)) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            Param::Text(None) | Param::Int(None) | Param::Bool(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

impl Row for rusqlite::Row<'_> {
    fn cell(&self, i: usize, _: Kind) -> StoreResult<Cell> {
        Ok(match self.get_ref(i)? {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(n) => Cell::Int(n),
            ValueRef::Text(_) => Cell::Text(self.get(i)?),
            ValueRef::Real(_) | ValueRef::Blob(_) => {
                return Err(StoreError::Corrupt { what: "column value", value: format!("column {i}: not text") });
            }
        })
    }
}

/// Runs `work` in a transaction begun with `begin`, committed when it succeeds and rolled back when it fails.
fn transaction<T>(
    conn: &mut Connection,
    begin: &str,
    work: impl AsyncFnOnce(&mut Lite<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    conn.execute_batch(begin)?;
    let result = block_on(work(&mut Lite(conn)));
    let ended = end_transaction(conn, result.is_ok());
    let value = result?;
    ended.map(|()| value)
}

/// Commits (or rolls back) the open transaction; a commit that fails is rolled back, so the connection is left
/// outside any transaction either way.
fn end_transaction(conn: &Connection, commit: bool) -> StoreResult<()> {
    let result = if commit { conn.execute_batch("COMMIT") } else { Ok(()) };
    if (!commit || result.is_err()) && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    Ok(result?)
}

/// Runs a future to its end on this thread. The store's SQLite futures are ready at their first poll (every
/// statement runs before its future is returned), so this never parks in practice; it parks rather than spins
/// if one ever is not.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Connections

/// The reading (and occasionally writing) connections.
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Set when the store is closed: no connection is handed out after.
    closed: AtomicBool,
}

/// A pool connection, given back when dropped.
struct Pooled<'p> {
    pool: &'p Pool,
    conn: Option<Connection>,
}

impl Pool {
    fn get(&self) -> StoreResult<Pooled<'_>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Closed);
        }
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => connect(&self.path, STATEMENTS)?,
        };
        Ok(Pooled { pool: self, conn: Some(conn) })
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (a failed statement of one) is not reused.
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE {
            idle.push(conn);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The writer's thread

/// A batch for the writer's thread, with where its answers go.
type Job = (Vec<WriteOp>, oneshot::Sender<Vec<Done>>);

/// The writer's side: hands each batch to the thread that owns the writing connection, one hand-off per batch.
struct SqliteBatcher {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl SqliteBatcher {
    fn start(conn: Connection) -> StoreResult<SqliteBatcher> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("ecmr-sqlite-writer".into())
            .spawn(move || write_batches(conn, rx))
            .map_err(StoreError::Spawn)?;
        Ok(SqliteBatcher { jobs: Some(jobs), thread: Some(thread) })
    }
}

#[async_trait]
impl Batcher for SqliteBatcher {
    async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done> {
        let Some(jobs) = &self.jobs else { return fail_all(ops, StoreError::Closed) };
        let (tx, rx) = oneshot::channel();
        if let Err(mpsc::SendError((ops, _))) = jobs.send((ops, tx)) {
            return fail_all(ops, StoreError::Closed);
        }
        // Nothing comes back only if the thread died; the batch's callers then see the store closed.
        rx.await.unwrap_or_default()
    }

    async fn close(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The writer's thread: one transaction per batch, flushed or not as the batch needs.
fn write_batches(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    let mut flushed = true;
    for (ops, answer) in jobs {
        let flush = needs_flush(&ops);
        let begun = (|| -> StoreResult<()> {
            if flush != flushed {
                conn.pragma_update(None, "synchronous", if flush { "FULL" } else { "NORMAL" })?;
                flushed = flush;
            }
            conn.execute_batch("BEGIN IMMEDIATE")?;
            Ok(())
        })();
        let done = match begun {
            Ok(()) => block_on(commit_batch(Lite(&mut conn), ops)),
            Err(e) => {
                tracing::error!(error = %e, "could not begin a write transaction");
                fail_all(ops, e)
            }
        };
        let _ = answer.send(done);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The checkpointer's thread

/// Checkpoints the WAL every second from a connection of its own, and once more, completely, when stopped.
struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    fn start(conn: Connection) -> StoreResult<Checkpointer> {
        let (stop, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ecmr-sqlite-checkpoint".into())
            .spawn(move || checkpoints(&conn, &rx))
            .map_err(StoreError::Spawn)?;
        Ok(Checkpointer { stop, thread })
    }
}

fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

fn checkpoints(conn: &Connection, stop: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let started = std::time::Instant::now();
        let log_pages = match checkpoint(conn, "PASSIVE") {
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
            match checkpoint(conn, "RESTART") {
                Ok((busy, log, done)) => {
                    tracing::debug!(busy, log, done, ms = started.elapsed().as_millis() as u64, "restart checkpoint")
                }
                Err(e) => tracing::warn!(error = %e, "WAL restart checkpoint failed"),
            }
        }
    }
    // A last checkpoint so that the database file is complete on its own.
    if let Err(e) = checkpoint(conn, "TRUNCATE") {
        tracing::warn!(error = %e, "the last WAL checkpoint failed");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The concerns

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.writer.insert(doc).await
    }

    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.writer.append(append).await
    }

    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>> {
        // One read transaction: the head and the events from the same snapshot.
        let mut conn = self.pool.get()?;
        transaction(&mut conn, "BEGIN", async |c| documents::get_document(c, id).await)
    }

    async fn is_linked(&self, id: Uuid, key_ids: &[String], party_refs: &[String]) -> StoreResult<bool> {
        self.read(async |c| documents::is_linked(c, id, key_ids, party_refs).await)
    }

    async fn add_party(&self, id: Uuid, party: &DocumentParty, audit: &AuditEntry) -> StoreResult<bool> {
        let (party, audit) = (party.clone(), audit.clone());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| documents::add_party(c, id, &party, &audit).await).await
    }

    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>> {
        self.read(async |c| documents::list_documents(c, query).await)
    }

    async fn count_documents(&self) -> StoreResult<i64> {
        self.blocking(None, async |c| documents::count_documents(c).await).await
    }

    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>> {
        self.read(async |c| documents::identifiers(c, id).await)
    }

    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>> {
        self.read(async |c| documents::efti_dataset(c, id).await)
    }

    async fn summary(&self, id: Uuid) -> StoreResult<Option<DocumentSummary>> {
        self.read(async |c| Ok(documents::summary(c, id).await?.map(|(s, _)| s)))
    }
}

#[async_trait]
impl PrincipalStore for SqliteStore {
    async fn add_principal(&self, principal: &Principal, token: &NewToken) -> StoreResult<()> {
        let (p, t) = (principal.clone(), token.clone());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| principals::add_principal(c, &p, &t).await).await
    }

    async fn add_token(&self, token: &NewToken) -> StoreResult<()> {
        let t = token.clone();
        self.blocking(None, async move |c| principals::add_token(c, &t).await).await
    }

    async fn list_principals(&self) -> StoreResult<Vec<Principal>> {
        self.blocking(None, async |c| principals::list_principals(c).await).await
    }

    async fn get_principal(&self, id: Uuid) -> StoreResult<Option<Principal>> {
        self.read(async |c| principals::get_principal(c, id).await)
    }

    async fn revoke_principal(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| principals::revoke_principal(c, id, at).await).await
    }

    async fn set_details(&self, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
        let details = details.clone();
        self.blocking(None, async move |c| principals::set_details(c, id, &details).await).await
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        self.blocking(None, async move |c| principals::revoke_token(c, id, at).await).await
    }

    async fn list_tokens(&self, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
        self.read(async |c| principals::list_tokens(c, principal_id).await)
    }

    async fn authenticate_token(
        &self,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, Option<DateTime<Utc>>)>> {
        self.read(async |c| principals::authenticate(c, token_sha256, at).await)
    }

    async fn count_principals(&self) -> StoreResult<i64> {
        self.read(async |c| principals::count_principals(c).await)
    }

    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>> {
        self.read(async |c| principals::key_owner(c, key_id).await)
    }
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer.audit(entry).await
    }

    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        self.blocking(None, async move |c| audit::entries(c, audit::FOR_DOCUMENT, id).await).await
    }

    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        self.blocking(None, async move |c| audit::entries(c, audit::FOR_PRINCIPAL, id).await).await
    }

    async fn mismatches(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        self.blocking(None, async move |c| audit::entries(c, audit::MISMATCHES, id).await).await
    }
}

#[async_trait]
impl ControlStore for SqliteStore {
    async fn record(&self, write: ControlWrite) -> StoreResult<()> {
        self.writer.control(write).await
    }

    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>> {
        self.read(async |c| control::get_request(c, id).await)
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        let f = follow_up.clone();
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| control::add_follow_up(c, &f).await).await
    }

    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>> {
        self.read(async |c| control::follow_ups(c, document_id).await)
    }

    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        self.read(async |c| control::search_identifiers(c, query).await)
    }

    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool> {
        let (d, a) = (dataset.clone(), audit.clone());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| datasets::put_dataset(c, &d, &a).await).await
    }

    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
        self.read(async |c| datasets::search_datasets(c, query).await)
    }
}

#[async_trait]
impl FederationStore for SqliteStore {
    async fn add_destinations(&self, destinations: &[Destination]) -> StoreResult<()> {
        let ds = destinations.to_vec();
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| federation::add_destinations(c, &ds).await).await
    }

    async fn destinations(&self, request_id: Uuid) -> StoreResult<Vec<Destination>> {
        self.read(async |c| federation::destinations(c, request_id).await)
    }

    async fn record_attempt(
        &self,
        request_id: Uuid,
        gate_id: &str,
        attempts: i64,
        error: Option<&str>,
        delivered_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let (g, e) = (gate_id.to_owned(), error.map(str::to_owned));
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| {
            federation::record_attempt(c, request_id, &g, attempts, e.as_deref(), delivered_at).await
        })
        .await
    }

    async fn record_answer(
        &self,
        request_id: Uuid,
        gate_id: &str,
        answer: &DestinationAnswer,
        at: DateTime<Utc>,
    ) -> StoreResult<AnswerOutcome> {
        let (g, a) = (gate_id.to_owned(), answer.clone());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| {
            federation::record_answer(c, request_id, &g, &a, at).await
        })
        .await
    }

    async fn late_answers(&self, request_id: Uuid) -> StoreResult<Vec<(String, String)>> {
        self.read(async |c| federation::late_answers(c, request_id).await)
    }

    async fn undelivered(&self, now: DateTime<Utc>) -> StoreResult<Vec<Destination>> {
        self.read(async |c| federation::undelivered(c, now).await)
    }

    async fn see_message(&self, message_id: &str, origin: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let (m, o) = (message_id.to_owned(), origin.to_owned());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| federation::see_message(c, &m, &o, at).await).await
    }

    async fn add_inbound(&self, inbound: &Inbound) -> StoreResult<bool> {
        let i = inbound.clone();
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| federation::add_inbound(c, &i).await).await
    }

    async fn set_inbound_answer(&self, origin: &str, request_id: &str, kind: &str, answer: &str) -> StoreResult<()> {
        let (o, r, k, a) = (origin.to_owned(), request_id.to_owned(), kind.to_owned(), answer.to_owned());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| federation::set_inbound_answer(c, &o, &r, &k, &a).await)
            .await
    }

    async fn inbound_answered(&self, origin: &str, request_id: &str, kind: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let (o, r, k) = (origin.to_owned(), request_id.to_owned(), kind.to_owned());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| federation::inbound_answered(c, &o, &r, &k, at).await)
            .await
    }

    async fn unanswered_inbound(&self) -> StoreResult<Vec<Inbound>> {
        self.read(async |c| federation::unanswered_inbound(c).await)
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(async |c| c.fetch("SELECT 1", &[], |_| Ok(())).await).map(|_| ())
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        let checkpointer = self.checkpointer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(Checkpointer { stop, thread }) = checkpointer {
            drop(stop);
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        self.pool.close();
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn add_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let s = session.clone();
        self.blocking(None, async move |c| sessions::add(c, &s).await).await
    }

    async fn get_session(&self, id_sha256: &str) -> StoreResult<Option<SessionRecord>> {
        self.read(async |c| sessions::get(c, id_sha256).await)
    }

    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let id = id_sha256.to_owned();
        self.blocking(None, async move |c| sessions::touch(c, &id, at).await).await
    }

    async fn end_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let id = id_sha256.to_owned();
        self.blocking(None, async move |c| sessions::end(c, &id, at).await).await
    }

    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.blocking(None, async move |c| sessions::purge(c, before).await).await
    }
}

#[async_trait]
impl ShareStore for SqliteStore {
    async fn add_share(&self, share: &ShareRecord, audit: &AuditEntry) -> StoreResult<()> {
        let (s, a) = (share.clone(), audit.clone());
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| shares::add(c, &s, &a).await).await
    }

    async fn shares_of(&self, document_id: Uuid) -> StoreResult<Vec<ShareRecord>> {
        self.read(async |c| shares::of_document(c, document_id).await)
    }

    async fn share_by_token(&self, token_sha256: &str) -> StoreResult<Option<ShareRecord>> {
        self.read(async |c| shares::by_token(c, token_sha256).await)
    }

    async fn revoke_share(
        &self,
        document_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let a = audit.clone();
        self.blocking(Some("BEGIN IMMEDIATE"), async move |c| shares::revoke(c, document_id, id, at, &a).await).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{Builder, SAVEPOINT, multi_row};
    use crate::store::{ListQuery, Store};

    fn temp_db(tag: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("ecmr-sqlite-{tag}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("store.sqlite3");
        (dir, path)
    }

    /// SQLite takes `$N` as a named parameter and numbers named parameters by first appearance; the store binds
    /// parameters by position. Every statement must therefore have `$N` at position N, which this checks on the
    /// statements as SQLite prepares them.
    #[tokio::test]
    async fn every_statement_binds_parameter_n_to_placeholder_n() {
        let (dir, path) = temp_db("params");
        let store = SqliteStore::open(&path).await.expect("store");
        let full = IdentifierQuery {
            value: "AB12CD".into(),
            kinds: vec!["vehicle".into(), "equipment".into()],
            mode_code: Some("3".into()),
            country: Some("NL".into()),
            dangerous_goods: Some(true),
            limit: 10,
        };
        let keys = vec!["k1".to_owned(), "k2".to_owned()];
        let refs = vec!["id:vat:NL1".to_owned(), "principal:x".to_owned()];
        let list = ListQuery {
            key_ids: keys.clone(),
            party_refs: refs.clone(),
            state: Some("issued".into()),
            role: Some("carrier".into()),
            updated_since: Some(crate::store::now()),
            after: Some((crate::store::now(), Uuid::new_v4())),
            limit: 5,
        };
        let built: Vec<Builder<'_>> = vec![
            documents::is_linked_sql(Uuid::new_v4(), &keys, &[]),
            documents::is_linked_sql(Uuid::new_v4(), &keys, &refs),
            documents::list_sql(&list),
            principals::keys_sql(&[Uuid::new_v4(), Uuid::new_v4()]),
            control::search_sql(&full),
            datasets::search_sql(&full),
        ];
        let inserts = [
            documents::INSERT_DOCUMENT,
            documents::INSERT_EVENT,
            documents::INSERT_KEY,
            documents::INSERT_PARTY,
            documents::INSERT_IDENTIFIER,
            principals::INSERT_KEY,
            audit::INSERT,
            control::INSERT_REQUEST,
            datasets::INSERT_IDENTIFIER,
        ];
        let mut statements: Vec<(String, usize)> = [
            documents::SUMMARY,
            documents::DOCUMENT,
            documents::EVENTS,
            documents::BY_NOTE_NUMBER,
            documents::ADVANCE,
            documents::DELETE_IDENTIFIERS,
            documents::EVENT_DIGEST,
            documents::COUNT,
            documents::IDENTIFIERS,
            documents::EFTI_DATASET,
            principals::INSERT,
            principals::INSERT_TOKEN,
            principals::ALL,
            principals::ONE,
            principals::REVOKE,
            principals::REVOKE_TOKENS,
            principals::SET_DETAILS,
            principals::REVOKE_TOKEN,
            principals::TOKENS,
            principals::AUTHENTICATE,
            principals::KEY_OWNER,
            principals::COUNT,
            audit::FOR_DOCUMENT,
            audit::FOR_PRINCIPAL,
            control::REQUEST,
            control::INSERT_FOLLOW_UP,
            control::FOLLOW_UPS,
            datasets::EXISTS,
            datasets::UPSERT,
            datasets::DELETE_IDENTIFIERS,
            SAVEPOINT,
        ]
        .iter()
        .chain(&inserts)
        .map(|s| (s.to_string(), s.matches('$').count()))
        .collect();
        statements.extend(inserts.iter().map(|s| (multi_row(s, 3), 3 * s.matches('$').count())));
        statements.extend(built.iter().map(|b| (b.sql.clone(), b.params.len())));
        let conn = store.pool.get().expect("connection");
        for (sql, params) in &statements {
            let st = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(st.parameter_count(), *params, "{sql}");
            for n in 1..=*params {
                assert_eq!(st.parameter_name(n), Some(format!("${n}").as_str()), "{sql}");
            }
        }
        drop(conn);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A search statement is prepared once per filter shape, not again for every identifier searched.
    #[tokio::test]
    async fn searches_reuse_their_prepared_statement() {
        let (dir, path) = temp_db("search");
        let store = SqliteStore::open(&path).await.expect("store");
        let mut q = IdentifierQuery {
            kinds: vec!["vehicle".into()],
            mode_code: Some("3".into()),
            limit: 100,
            ..IdentifierQuery::default()
        };
        for value in ["12BXL4", "ZZ999Z", "AB12CD", "XY34ZZ"] {
            q.value = value.into();
            assert_eq!(store.search_identifiers(&q).await.expect("search"), Vec::new());
        }
        let sql = control::search_sql(&q).sql;
        let conn = store.pool.get().expect("connection");
        let reprepared = conn.prepare_cached(&sql).expect("cached").get_status(rusqlite::StatementStatus::RePrepare);
        assert_eq!(reprepared, 0, "{sql}");
        drop(conn);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A database made by the gateway before it migrated SQLite itself: the schema applied and recorded in
    /// `_sqlx_migrations` (as that driver lays the table out), `user_version` left at 0, data in it.
    fn database_migrated_by_sqlx(path: &Path) {
        let conn = Connection::open(path).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT \
             NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);",
        )
        .expect("history table");
        for (version, sql) in MIGRATIONS {
            conn.execute_batch(&format!("BEGIN; {sql}; COMMIT;")).expect("migration");
            conn.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (?1, ?2, TRUE, ?3, 1000)",
                rusqlite::params![version, format!("migration {version}"), vec![0_u8; 48]],
            )
            .expect("history row");
        }
        conn.execute(
            "INSERT INTO principals (id, kind, name, details, created_at) \
             VALUES ('00000000-0000-0000-0000-000000000001', 'admin', 'before', '{}', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .expect("a principal");
    }

    #[tokio::test]
    async fn a_database_migrated_by_sqlx_opens_without_migrating_again() {
        let (dir, path) = temp_db("sqlx");
        database_migrated_by_sqlx(&path);
        let store = Arc::new(SqliteStore::open(&path).await.expect("opens"));
        let principals = store.list_principals().await.expect("principals");
        assert_eq!(principals.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["before"]);
        let handle = Store::new(store.clone());
        handle.close().await;
        let conn = Connection::open(&path).expect("open");
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
        assert_eq!(version, MIGRATIONS[MIGRATIONS.len() - 1].0, "the sqlx history moved to user_version");
        let history: i64 = conn.query_row("SELECT COUNT(*) FROM _sqlx_migrations", [], |r| r.get(0)).expect("rows");
        assert_eq!(history, MIGRATIONS.len() as i64, "the old history is left as it was");
        drop(conn);
        // Opened again, from user_version this time: still nothing to apply, and the data is there.
        let store = SqliteStore::open(&path).await.expect("opens again");
        assert_eq!(store.count_principals().await.expect("count"), 1);
        Store::new(Arc::new(store)).close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_new_database_gets_every_migration_and_a_newer_one_is_refused() {
        let (dir, path) = temp_db("fresh");
        Store::new(Arc::new(SqliteStore::open(&path).await.expect("opens"))).close().await;
        let conn = Connection::open(&path).expect("open");
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
        assert_eq!(version, MIGRATIONS[MIGRATIONS.len() - 1].0);
        conn.pragma_update(None, "user_version", 99).expect("newer");
        drop(conn);
        match SqliteStore::open(&path).await {
            Err(StoreError::SchemaTooNew { found: 99, known }) => assert_eq!(known, MIGRATIONS[MIGRATIONS.len() - 1].0),
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("a newer schema was opened"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
