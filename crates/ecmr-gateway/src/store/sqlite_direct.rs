//! The embedded store's hot paths, straight on SQLite (rusqlite, linking the same library as sqlx): the reads of
//! an eFTI request (datasets, identifier searches, stored requests) and the writes of authority requests.
//!
//! sqlx runs every SQLite statement on a worker thread per connection and hands each statement and each row over a
//! channel: two context switches or more per statement, which measured as the largest CPU cost of an eFTI read
//! (more than the XML and the HTTP together). The reads here are point reads on indexes that take microseconds, so
//! they run where the request is, over read-only connections (a read never waits for the writer in WAL mode). A
//! batch of authority requests is written by [`ControlWriter`] in one hand-off to a blocking thread instead of
//! one per statement.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params_from_iter};
use uuid::Uuid;

use super::writer::{Done, WriteOp, fail_all, needs_flush};
use super::{
    AuditEntry, ControlRequest, ControlWrite, FollowUp, IdentifierQuery, PlatformHit, StoreError, StoreResult,
    StoredDataset, format_time, parse_time,
};

/// Idle connections kept for reuse; more are opened when more requests read at once, and closed after.
const IDLE: usize = 8;
/// How long a read waits on a lock (only during a WAL reset; never in normal operation).
const BUSY: Duration = Duration::from_secs(2);
/// Prepared statements kept per connection (one per distinct search filter shape).
const STATEMENTS: usize = 64;

/// Read-only connections to the database file.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Embedded(e.to_string())
    }
}

/// A connection to the database at `path`, for reading only or for writing, waiting up to `busy` for a lock and
/// keeping up to `statements` prepared statements.
fn connect(path: &Path, write: bool, busy: Duration, statements: usize) -> StoreResult<Connection> {
    let access = if write { OpenFlags::SQLITE_OPEN_READ_WRITE } else { OpenFlags::SQLITE_OPEN_READ_ONLY };
    let conn =
        Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)?;
    conn.busy_timeout(busy)?;
    conn.set_prepared_statement_cache_capacity(statements);
    Ok(conn)
}

fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("uuid {s:?}: {e}")))
}

impl Readers {
    /// Readers of the (existing, migrated) database at `path`; one connection is opened now to fail early.
    pub(crate) fn open(path: &Path) -> StoreResult<Readers> {
        let readers = Readers { path: path.to_owned(), idle: Mutex::new(Vec::new()) };
        let first = readers.connect()?;
        readers.give_back(first);
        Ok(readers)
    }

    fn connect(&self) -> StoreResult<Connection> {
        connect(&self.path, false, BUSY, STATEMENTS)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE {
            idle.push(conn);
        }
    }

    /// Runs `f` on an idle connection (or a new one), on this thread.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => self.connect()?,
        };
        let r = f(&conn);
        self.give_back(conn);
        r
    }

    /// Closes the idle connections.
    pub(crate) fn close(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// See [`super::DocumentStore::efti_dataset`].
    pub(crate) fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>> {
        self.with(|c| {
            let mut st = c.prepare_cached("SELECT efti_xml, last_seq FROM documents WHERE id = ?1")?;
            Ok(st
                .query_row([id.to_string()], |r| Ok(StoredDataset { xml: r.get(0)?, last_seq: r.get(1)? }))
                .optional()?)
        })
    }

    /// See [`super::ControlStore::get_request`].
    pub(crate) fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, kind, principal_id, document_id, subsets, status, error_code, error_description, data, \
                 answered_seq, created_at FROM control_requests WHERE id = ?1",
            )?;
            let row = st
                .query_row([id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<i64>>(9)?,
                        r.get::<_, String>(10)?,
                    ))
                })
                .optional()?;
            let Some((id, kind, principal, document, subsets, status, error_code, error_description, data, seq, at)) =
                row
            else {
                return Ok(None);
            };
            Ok(Some(ControlRequest {
                id: uuid(&id)?,
                kind,
                principal_id: uuid(&principal)?,
                document_id: document.as_deref().map(uuid).transpose()?,
                subsets,
                status,
                error_code,
                error_description,
                data,
                answered_seq: seq,
                created_at: parse_time(&at)?,
            }))
        })
    }

    /// See [`super::ControlStore::search_identifiers`].
    pub(crate) fn search_identifiers(&self, q: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>> {
        if q.value.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let (sql, params) = search_sql(q);
        self.with(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(params.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, xml) = row?;
                out.push((uuid(&id)?, xml));
            }
            Ok(out)
        })
    }

    /// See [`super::ControlStore::search_datasets`].
    pub(crate) fn search_datasets(&self, q: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
        if q.value.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let (filters, params) = filters(q);
        let sql = format!(
            "SELECT d.platform_id, d.dataset_id, d.xml FROM platform_datasets d WHERE EXISTS (SELECT 1 FROM \
             platform_identifiers i WHERE i.platform_id = d.platform_id AND i.dataset_id = d.dataset_id AND \
             i.value = ?1{filters}) ORDER BY d.platform_id, d.dataset_id LIMIT {}",
            q.limit
        );
        self.with(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(params.iter()), |r| {
                Ok(PlatformHit { platform_id: r.get(0)?, dataset_id: r.get(1)?, xml: r.get(2)? })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

/// The statement of [`Readers::search_identifiers`] with its parameters. The match runs on the index of the
/// normalised value, the filters on the few rows it finds. The limit is written into the statement: SQLite
/// prepares a statement with a bound LIMIT again on every execution with other values.
fn search_sql(q: &IdentifierQuery) -> (String, Vec<Value>) {
    let (filters, params) = filters(q);
    let sql = format!(
        "SELECT d.id, d.efti_xml FROM documents d WHERE d.id IN (SELECT DISTINCT i.document_id FROM identifiers i \
         WHERE i.value = ?1{filters} ORDER BY i.document_id LIMIT {}) ORDER BY d.id",
        q.limit
    );
    (sql, params)
}

/// The `AND …` conditions of an identifier query after `value = ?1`, with every parameter from `?1` on.
fn filters(q: &IdentifierQuery) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut params = vec![Value::Text(q.value.clone())];
    let mut next = |sql: &mut String, v: Value| {
        params.push(v);
        sql.push_str(&format!("?{}", params.len()));
    };
    if !q.kinds.is_empty() {
        sql.push_str(" AND i.kind IN (");
        for (n, k) in q.kinds.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            next(&mut sql, Value::Text(k.clone()));
        }
        sql.push(')');
    }
    if let Some(mode) = &q.mode_code {
        sql.push_str(" AND i.mode_code = ");
        next(&mut sql, Value::Text(mode.clone()));
    }
    if let Some(dg) = q.dangerous_goods {
        sql.push_str(" AND i.dangerous_goods = ");
        next(&mut sql, Value::Integer(i64::from(dg)));
    }
    if let Some(country) = &q.country {
        sql.push_str(" AND i.country = ");
        next(&mut sql, Value::Text(country.clone()));
    }
    (sql, params)
}

/// Rows per multi-row INSERT, well under SQLite's bound-parameter limit.
const CHUNK: usize = 100;

/// The connection that writes batches made only of authority requests and audit entries. The writer task hands it
/// such a batch (and only when no other write is in progress, so it never waits for the sqlx writing connection);
/// every other batch goes through sqlx as before.
pub(crate) struct ControlWriter {
    path: PathBuf,
    conn: Option<Connection>,
}

impl ControlWriter {
    /// A writer of the (existing, migrated) database at `path`; the connection is opened now to fail early.
    pub(crate) fn open(path: &Path) -> StoreResult<ControlWriter> {
        let mut w = ControlWriter { path: path.to_owned(), conn: None };
        w.conn = Some(w.connect()?);
        Ok(w)
    }

    fn connect(&self) -> StoreResult<Connection> {
        // One multi-row statement per batch size and table.
        let conn = connect(&self.path, true, Duration::from_secs(10), 4 * CHUNK)?;
        // As the sqlx writer: foreign keys on, and never a checkpoint on a caller's commit (the store's
        // checkpointer does it every second). `synchronous` is set per batch.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;")?;
        Ok(conn)
    }

    /// Whether this writer takes the batch: nothing but authority requests and audit entries.
    pub(crate) fn takes(ops: &[WriteOp]) -> bool {
        ops.iter().all(|op| matches!(op, WriteOp::Control(..) | WriteOp::Audit(..)))
    }

    /// Commits a batch [`ControlWriter::takes`] on a blocking thread: one hand-off for the whole batch.
    pub(crate) async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(e) => return fail_all(ops, &format!("open: {e}")),
            },
        };
        let job = tokio::task::spawn_blocking(move || {
            let mut conn = conn;
            let done = commit_batch(&mut conn, ops);
            (conn, done)
        });
        match job.await {
            Ok((conn, done)) => {
                self.conn = Some(conn);
                done
            }
            Err(e) => {
                // The thread panicked (never expected): the batch's callers see the store closed, and the next
                // batch opens a fresh connection.
                tracing::error!(error = %e, "the authority-request writer failed");
                Vec::new()
            }
        }
    }
}

/// Applies and commits one batch: all its requests together in one savepoint, or, if that fails, each in its own
/// (one bad write does not take the others with it); a request's answer and its audit entries stand or fall
/// together. A batch in which every write asked for [`super::Durability::Normal`] commits without an fsync; the
/// next flushed commit or checkpoint flushes it with the rest of the WAL.
fn commit_batch(conn: &mut Connection, ops: Vec<WriteOp>) -> Vec<Done> {
    let synchronous = if needs_flush(&ops) { "FULL" } else { "NORMAL" };
    if let Err(e) = conn.pragma_update(None, "synchronous", synchronous) {
        tracing::error!(error = %e, "could not set the durability of a write batch");
        return fail_all(ops, &format!("synchronous = {synchronous}: {e}"));
    }
    let mut writes: Vec<(ControlWrite, Sender)> = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            WriteOp::Control(c, s) => writes.push((*c, Sender::Control(s))),
            WriteOp::Audit(e, s) => writes.push((
                ControlWrite { request: None, follow_up: None, audit: vec![*e], durability: Default::default() },
                Sender::Audit(s),
            )),
            // Never handed here (see `ControlWriter::takes`).
            WriteOp::Insert(..) | WriteOp::Append(..) | WriteOp::Shutdown(_) => {}
        }
    }
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "could not begin a write transaction");
            let why = format!("begin: {e}");
            return writes.into_iter().map(|(_, s)| s.done(Err(StoreError::Commit(why.clone())))).collect();
        }
    };
    let mut results: Vec<StoreResult<()>> = Vec::with_capacity(writes.len());
    let all: Vec<&ControlWrite> = writes.iter().map(|(w, _)| w).collect();
    match in_savepoint(&tx, |sp| write_controls(sp, &all)) {
        Ok(()) => results.extend(all.iter().map(|_| Ok(()))),
        Err(e) => {
            if all.len() > 1 {
                tracing::warn!(error = %e, "a batch of authority requests failed; writing them one by one");
                results.extend(all.iter().map(|w| in_savepoint(&tx, |sp| write_controls(sp, &[w]))));
            } else {
                results.push(Err(e));
            }
        }
    }
    let committed = tx.commit();
    let done = writes
        .into_iter()
        .zip(results)
        .map(|((_, s), r)| match (&committed, r) {
            (Ok(()), r) => s.done(r),
            (Err(e), Ok(())) => s.done(Err(StoreError::Commit(e.to_string()))),
            (Err(_), Err(e)) => s.done(Err(e)),
        })
        .collect();
    if let Err(e) = &committed {
        tracing::error!(error = %e, "a write batch failed to commit");
    }
    done
}

/// Where a write's answer goes.
enum Sender {
    Control(tokio::sync::oneshot::Sender<StoreResult<()>>),
    Audit(tokio::sync::oneshot::Sender<StoreResult<()>>),
}

impl Sender {
    fn done(self, r: StoreResult<()>) -> Done {
        match self {
            Sender::Control(s) => Done::Control(s, r),
            Sender::Audit(s) => Done::Audit(s, r),
        }
    }
}

/// Runs `f` in a savepoint of `tx`, released on success and rolled back on failure.
fn in_savepoint(tx: &Transaction<'_>, f: impl FnOnce(&Connection) -> StoreResult<()>) -> StoreResult<()> {
    tx.prepare_cached("SAVEPOINT control")?.execute([])?;
    match f(tx) {
        Ok(()) => {
            tx.prepare_cached("RELEASE control")?.execute([])?;
            Ok(())
        }
        Err(e) => {
            let _ = tx.execute_batch("ROLLBACK TO control; RELEASE control");
            Err(e)
        }
    }
}

/// Writes authority requests with multi-row statements: their requests, their audit entries and, one by one,
/// their (rare) follow-up messages. The same rows as the shared SQL's `write_controls`.
fn write_controls(conn: &Connection, writes: &[&ControlWrite]) -> StoreResult<()> {
    let requests: Vec<&ControlRequest> = writes.iter().filter_map(|c| c.request.as_ref()).collect();
    for chunk in requests.chunks(CHUNK) {
        let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 11);
        for r in chunk {
            params.extend([
                Value::Text(r.id.to_string()),
                Value::Text(r.kind.clone()),
                Value::Text(r.principal_id.to_string()),
                r.document_id.map_or(Value::Null, |d| Value::Text(d.to_string())),
                Value::Text(r.subsets.clone()),
                Value::Text(r.status.clone()),
                r.error_code.clone().map_or(Value::Null, Value::Text),
                r.error_description.clone().map_or(Value::Null, Value::Text),
                r.data.clone().map_or(Value::Null, Value::Text),
                r.answered_seq.map_or(Value::Null, Value::Integer),
                Value::Text(format_time(r.created_at)),
            ]);
        }
        let sql = multi_row(
            "INSERT INTO control_requests (id, kind, principal_id, document_id, subsets, status, error_code, \
             error_description, data, answered_seq, created_at) VALUES ",
            chunk.len(),
            11,
        );
        conn.prepare_cached(&sql)?.execute(params_from_iter(params))?;
    }
    for f in writes.iter().filter_map(|c| c.follow_up.as_ref()) {
        add_follow_up(conn, f)?;
    }
    let audit: Vec<&AuditEntry> = writes.iter().flat_map(|c| c.audit.iter()).collect();
    for chunk in audit.chunks(CHUNK) {
        let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
        for e in chunk {
            params.extend([
                Value::Text(format_time(e.at)),
                e.document_id.map_or(Value::Null, |d| Value::Text(d.to_string())),
                Value::Text(e.principal_id.to_string()),
                Value::Text(e.principal_kind.as_str().to_owned()),
                Value::Text(e.action.clone()),
                e.reason.clone().map_or(Value::Null, Value::Text),
                e.request_id.clone().map_or(Value::Null, Value::Text),
            ]);
        }
        let sql = multi_row(
            "INSERT INTO audit_log (at, document_id, principal_id, principal_kind, action, reason, request_id) VALUES ",
            chunk.len(),
            7,
        );
        conn.prepare_cached(&sql)?.execute(params_from_iter(params))?;
    }
    Ok(())
}

fn add_follow_up(conn: &Connection, f: &FollowUp) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO follow_ups (request_id, document_id, principal_id, message, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((
        f.request_id.to_string(),
        f.document_id.to_string(),
        f.principal_id.to_string(),
        &f.message,
        format_time(f.at),
    ))?;
    Ok(())
}

/// `head` followed by `rows` groups of `columns` numbered parameters: `(?1, ?2), (?3, ?4)`.
fn multi_row(head: &str, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * columns * 6);
    sql.push_str(head);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("?{}", r * columns + c + 1));
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A search statement is prepared once per filter shape, not again for every identifier searched.
    #[tokio::test]
    async fn searches_reuse_their_prepared_statement() {
        let dir = std::env::temp_dir().join(format!("ecmr-direct-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("store.sqlite3");
        let store = super::super::sqlite::SqliteStore::open(&path).await.expect("store");
        let readers = Readers::open(&path).expect("readers");
        let mut q = IdentifierQuery {
            kinds: vec!["vehicle".into()],
            mode_code: Some("3".into()),
            limit: 100,
            ..IdentifierQuery::default()
        };
        for value in ["12BXL4", "ZZ999Z", "AB12CD", "XY34ZZ"] {
            q.value = value.into();
            assert_eq!(readers.search_identifiers(&q).expect("search"), Vec::new());
        }
        let (sql, _) = search_sql(&q);
        let reprepared = readers
            .with(|c| Ok(c.prepare_cached(&sql)?.get_status(rusqlite::StatementStatus::RePrepare)))
            .expect("status");
        assert_eq!(reprepared, 0, "{sql}");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
