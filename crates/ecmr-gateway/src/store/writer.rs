//! The group-committing writer shared by both backends: one task takes every write waiting in its queue, applies
//! them in one transaction, commits once and only then answers each caller.

use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{
    AppendOutcome, AuditEntry, ControlWrite, Durability, EventAppend, InsertOutcome, NewDocument, StoreError,
    StoreResult,
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
    pub(crate) fn fail_if_ok(self, why: &str) -> Done {
        let err = || StoreError::Commit(why.to_owned());
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
pub(crate) fn fail_all(ops: Vec<WriteOp>, why: &str) -> Vec<Done> {
    let err = || StoreError::Commit(why.to_owned());
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

/// What a backend does with a batch: begin, apply, commit.
#[async_trait]
pub(crate) trait Batcher: Send + 'static {
    /// Applies and commits a batch; every write gets its answer.
    async fn commit(&mut self, ops: Vec<WriteOp>) -> Vec<Done>;
    /// Releases the backend's resources.
    async fn close(&mut self);
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

    /// Queues a write and waits for its committed answer.
    pub(crate) async fn submit<T>(
        &self,
        op: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> WriteOp,
    ) -> StoreResult<T> {
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
