//! The group-committing writer shared by both backends: one task takes every write waiting in its queue, applies
//! them in one transaction, commits once and only then answers each caller. How a batch is applied
//! ([`apply_ops`]) and committed ([`commit_batch`]) is written once for both, over [`Conn`] and [`Tx`]; a backend
//! only says how to begin a batch's transaction and where to run it ([`Batcher`]).

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::sql::{Conn, end_savepoint, savepoint};
use super::{
    AppendOutcome, AuditEntry, ControlWrite, Durability, EventAppend, InsertOutcome, NewDocument, StoreError,
    StoreResult, audit, control, documents,
};

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 512;
/// Writes that may wait for the writer before callers are held back.
const QUEUE: usize = 8192;
/// A batch smaller than this lets the other ready tasks run [`GATHER_YIELDS`] times, so that writes already on
/// their way join it, before it commits.
const GATHER_BELOW: usize = 4;
/// How often a small batch yields to the scheduler for company. A timer would be too coarse: tokio's timers have
/// millisecond resolution, so even a 250 µs sleep costs a lone writer a millisecond or more.
const GATHER_YIELDS: usize = 2;

/// One queued write with the channel for its answer.
pub(crate) enum WriteOp {
    Insert(Box<NewDocument>, oneshot::Sender<StoreResult<InsertOutcome>>),
    Append(Box<EventAppend>, oneshot::Sender<StoreResult<AppendOutcome>>),
    Audit(Box<AuditEntry>, oneshot::Sender<StoreResult<()>>),
    Control(Box<ControlWrite>, oneshot::Sender<StoreResult<()>>),
    Shutdown(oneshot::Sender<()>),
}

impl WriteOp {
    /// Whether the batch holding this write must be flushed to disk before anyone is answered.
    fn needs_flush(&self) -> bool {
        match self {
            WriteOp::Control(c, _) => c.durability == Durability::Full,
            _ => true,
        }
    }
}

/// Whether a batch must be committed with [`Durability::Full`].
pub(crate) fn needs_flush(ops: &[WriteOp]) -> bool {
    ops.iter().any(WriteOp::needs_flush)
}

/// A write's answer, sent once the batch has committed.
pub(crate) enum Done {
    Insert(oneshot::Sender<StoreResult<InsertOutcome>>, StoreResult<InsertOutcome>),
    Append(oneshot::Sender<StoreResult<AppendOutcome>>, StoreResult<AppendOutcome>),
    Audit(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
    Control(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
}

impl Done {
    /// Turns a success into a failure (the commit failed after the write was applied).
    pub(crate) fn fail_if_ok(self, why: &Arc<StoreError>) -> Done {
        let err = || StoreError::Commit(why.clone());
        match self {
            Done::Insert(tx, Ok(_)) => Done::Insert(tx, Err(err())),
            Done::Append(tx, Ok(_)) => Done::Append(tx, Err(err())),
            Done::Audit(tx, Ok(_)) => Done::Audit(tx, Err(err())),
            Done::Control(tx, Ok(_)) => Done::Control(tx, Err(err())),
            other => other,
        }
    }

    fn send(self) {
        // A caller that went away (timeout, disconnect) no longer needs the answer; the write stands.
        match self {
            Done::Insert(tx, r) => drop(tx.send(r)),
            Done::Append(tx, r) => drop(tx.send(r)),
            Done::Audit(tx, r) => drop(tx.send(r)),
            Done::Control(tx, r) => drop(tx.send(r)),
        }
    }
}

/// Every write of a batch failed before it was applied.
pub(crate) fn fail_all(ops: Vec<WriteOp>, why: StoreError) -> Vec<Done> {
    let why = Arc::new(why);
    let err = || StoreError::Commit(why.clone());
    ops.into_iter()
        .filter_map(|op| match op {
            WriteOp::Insert(_, s) => Some(Done::Insert(s, Err(err()))),
            WriteOp::Append(_, s) => Some(Done::Append(s, Err(err()))),
            WriteOp::Audit(_, s) => Some(Done::Audit(s, Err(err()))),
            WriteOp::Control(_, s) => Some(Done::Control(s, Err(err()))),
            WriteOp::Shutdown(_) => None,
        })
        .collect()
}

/// What a backend does with a batch: begin its transaction and hand it to [`commit_batch`], where it runs.
#[async_trait]
pub(crate) trait Batcher: Send + 'static {
    /// Applies and commits a batch; every write gets its answer.
    async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done>;
    /// Releases the backend's resources.
    async fn close(&mut self);
}

/// A batch's open transaction.
pub(crate) trait Tx: Conn + Sized {
    /// Commits it (flushed as the batch's durability asks, set when it began).
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Applies a batch in `tx` and commits it; every write gets its answer, a failure if the commit failed.
pub(crate) async fn commit_batch<T: Tx>(mut tx: T, ops: Vec<WriteOp>) -> Vec<Done> {
    let done = apply_ops(&mut tx, ops).await;
    match tx.commit().await {
        Ok(()) => done,
        Err(e) => {
            tracing::error!(error = %e, "a write batch failed to commit");
            let why = Arc::new(e);
            done.into_iter().map(|d| d.fail_if_ok(&why)).collect()
        }
    }
}

/// Applies a batch of writes inside the open transaction on `conn`: new documents together with a few multi-row
/// statements, each append in its own savepoint, authority requests together (or one by one if that fails), audit
/// entries together. The caller commits.
pub(crate) async fn apply_ops<C: Conn>(conn: &mut C, ops: Vec<WriteOp>) -> Vec<Done> {
    let mut done = Vec::with_capacity(ops.len());
    let mut inserts = Vec::new();
    let mut appends = Vec::new();
    let mut audits = Vec::new();
    let mut controls = Vec::new();
    for op in ops {
        match op {
            WriteOp::Insert(doc, s) => inserts.push((doc, s)),
            WriteOp::Append(a, s) => appends.push((a, s)),
            WriteOp::Audit(e, s) => audits.push((*e, s)),
            WriteOp::Control(c, s) => controls.push((c, s)),
            WriteOp::Shutdown(_) => {}
        }
    }
    // New documents together, with a few multi-row statements, in one savepoint. Appends and audit entries in a
    // batch never concern a document inserted in the same batch (an append is verified against a stored chain).
    if !inserts.is_empty() {
        let docs: Vec<&NewDocument> = inserts.iter().map(|(d, _)| d.as_ref()).collect();
        match in_savepoint(conn, async |c| documents::insert_documents(c, &docs).await).await {
            Ok(outcomes) => {
                done.extend(inserts.into_iter().zip(outcomes).map(|((_, s), o)| Done::Insert(s, Ok(o))));
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch of new documents failed");
                let why = Arc::new(e);
                done.extend(inserts.into_iter().map(|(_, s)| Done::Insert(s, Err(StoreError::Commit(why.clone())))));
            }
        }
    }
    for (a, s) in appends {
        // Each append in its own savepoint, so one failing append leaves the others intact.
        let r = in_savepoint(conn, async |c| documents::append_event(c, &a).await).await;
        done.push(Done::Append(s, r));
    }
    // Authority requests together, with multi-row statements, in one savepoint; if that fails, each in its own
    // savepoint so that one bad write does not take the others with it. Either way a request's answer and its
    // audit entries stand or fall together.
    if controls.len() > 1 {
        let writes: Vec<&ControlWrite> = controls.iter().map(|(c, _)| c.as_ref()).collect();
        match in_savepoint(conn, async |c| control::write_controls(c, &writes).await).await {
            Ok(()) => done.extend(controls.drain(..).map(|(_, s)| Done::Control(s, Ok(())))),
            Err(e) => tracing::warn!(error = %e, "a batch of authority requests failed; writing them one by one"),
        }
    }
    for (c, s) in controls {
        let r = in_savepoint(conn, async |conn| control::write_controls(conn, &[c.as_ref()]).await).await;
        done.push(Done::Control(s, r));
    }
    if !audits.is_empty() {
        let entries: Vec<AuditEntry> = audits.iter().map(|(e, _)| e.clone()).collect();
        let r = in_savepoint(conn, async |c| audit::append_many(c, &entries).await).await;
        let why = r.err().map(Arc::new);
        done.extend(
            audits
                .into_iter()
                .map(|(_, s)| Done::Audit(s, why.as_ref().map_or(Ok(()), |w| Err(StoreError::Commit(w.clone()))))),
        );
    }
    done
}

/// Runs `work` in a savepoint of `conn`: released when it succeeds, rolled back when it fails, so that the writes
/// of one failing part of a batch leave the others intact.
async fn in_savepoint<C: Conn, T>(conn: &mut C, work: impl AsyncFnOnce(&mut C) -> StoreResult<T>) -> StoreResult<T> {
    savepoint(conn).await?;
    let r = work(conn).await;
    end_savepoint(conn, r).await
}

/// The handle of a running writer.
pub(crate) struct Writer {
    writes: mpsc::Sender<WriteOp>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Writer {
    /// Starts a writer task over a backend.
    pub(crate) fn start(batcher: impl Batcher) -> Writer {
        let (writes, rx) = mpsc::channel(QUEUE);
        Writer { writes, task: Mutex::new(Some(tokio::spawn(run(batcher, rx)))) }
    }

    /// Stores a document (see [`super::DocumentStore::insert_document`]).
    pub(crate) async fn insert(&self, doc: NewDocument) -> StoreResult<InsertOutcome> {
        self.submit(|tx| WriteOp::Insert(Box::new(doc), tx)).await
    }

    /// Appends an event (see [`super::DocumentStore::append_event`]).
    pub(crate) async fn append(&self, append: EventAppend) -> StoreResult<AppendOutcome> {
        self.submit(|tx| WriteOp::Append(Box::new(append), tx)).await
    }

    /// Appends an audit entry (see [`super::AuditLog::append`]).
    pub(crate) async fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.submit(|tx| WriteOp::Audit(Box::new(entry), tx)).await
    }

    /// Records an authority request (see [`super::ControlStore::record`]).
    pub(crate) async fn control(&self, write: ControlWrite) -> StoreResult<()> {
        self.submit(|tx| WriteOp::Control(Box::new(write), tx)).await
    }

    /// Queues a write and waits for its committed answer.
    async fn submit<T>(&self, op: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> WriteOp) -> StoreResult<T> {
        let (tx, rx) = oneshot::channel();
        self.writes.send(op(tx)).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Commits everything queued so far, then stops; later writes get [`StoreError::Closed`].
    pub(crate) async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.writes.send(WriteOp::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
        if let Some(handle) = self.task.lock().await.take() {
            let _ = handle.await;
        }
    }
}

async fn run(mut batcher: impl Batcher, mut rx: mpsc::Receiver<WriteOp>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        // A lone write usually has company on its way (the callers answered by the last commit are sending their
        // next ones): give them a moment to join this commit rather than pay an fsync each.
        for _ in 0..GATHER_YIELDS {
            if batch.len() >= GATHER_BELOW {
                break;
            }
            tokio::task::yield_now().await;
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
            let done = batcher.commit(ops).await;
            tracing::debug!(writes = n, micros = t0.elapsed().as_micros() as u64, "write batch committed");
            for d in done {
                d.send();
            }
        }
        if let Some(ack) = shutdown {
            rx.close();
            // Anything queued after the shutdown request is refused: its sender gets `Closed`.
            while rx.try_recv().is_ok() {}
            batcher.close().await;
            let _ = ack.send(());
            return;
        }
    }
    batcher.close().await;
}
