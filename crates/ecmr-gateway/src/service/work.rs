//! Where the gateway's CPU-heavy work runs: verifying signatures and projecting documents.
//!
//! A typical document (a few events, a few KB) is verified in a fraction of a millisecond, less than handing it to
//! another thread would cost, so it is verified on the request's own worker. A large document or a long chain can
//! take tens of milliseconds; that work runs on a blocking thread, at most `threads` of them at once, so that the
//! request workers keep answering health checks, reads and other parties however many such requests arrive — the
//! rest wait for a permit, within the request timeout.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ecmr::verify::Verifier;
use tokio::sync::Semaphore;

/// Documents up to this many bytes are verified on the request's worker.
pub const INLINE_BYTES: usize = 32 * 1024;
/// Chains up to this many events are verified on the request's worker.
pub const INLINE_EVENTS: usize = 16;

/// The shared verifier and the bounded pool its large jobs run on.
#[derive(Clone)]
pub struct Work {
    verifier: Arc<Verifier>,
    permits: Arc<Semaphore>,
    threads: usize,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Jobs that ran on the pool.
    pooled: AtomicU64,
    /// Jobs waiting for a permit now.
    waiting: AtomicUsize,
}

/// Work that did not complete: it panicked (a fault of the gateway, logged).
#[derive(Debug, thiserror::Error)]
#[error("verification work failed: {0}")]
pub struct WorkFailed(pub String);

/// How much work a job is, by what is known before doing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Done on the request's worker.
    Small,
    /// Done on the bounded pool.
    Large,
}

impl Size {
    /// The size of verifying a document of `bytes` bytes.
    pub fn of_document(bytes: usize) -> Size {
        if bytes <= INLINE_BYTES { Size::Small } else { Size::Large }
    }

    /// The size of verifying a stored chain of `events` events.
    pub fn of_chain(events: usize) -> Size {
        if events <= INLINE_EVENTS { Size::Small } else { Size::Large }
    }
}

impl Work {
    /// A verifier whose large jobs run on at most `threads` threads at once (0: one per CPU).
    pub fn new(threads: usize) -> Work {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        };
        Work {
            verifier: Arc::new(Verifier::new()),
            permits: Arc::new(Semaphore::new(threads)),
            threads,
            counts: Arc::default(),
        }
    }

    /// The most large jobs running at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// How many jobs have run on the pool since the start.
    pub fn pooled_jobs(&self) -> u64 {
        self.counts.pooled.load(Ordering::Relaxed)
    }

    /// The pool's figures in the Prometheus text format.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let busy = self.threads.saturating_sub(self.permits.available_permits());
        let _ = writeln!(out, "# HELP ecmr_verify_pool_jobs_total Large verifications run on the bounded pool.");
        let _ = writeln!(out, "# TYPE ecmr_verify_pool_jobs_total counter");
        let _ = writeln!(out, "ecmr_verify_pool_jobs_total {}", self.pooled_jobs());
        let _ = writeln!(out, "# HELP ecmr_verify_pool_busy Pool threads verifying now (of ecmr_verify_pool_threads).");
        let _ = writeln!(out, "# TYPE ecmr_verify_pool_busy gauge");
        let _ = writeln!(out, "ecmr_verify_pool_busy {busy}");
        let _ = writeln!(out, "# HELP ecmr_verify_pool_waiting Large verifications waiting for a pool thread.");
        let _ = writeln!(out, "# TYPE ecmr_verify_pool_waiting gauge");
        let _ = writeln!(out, "ecmr_verify_pool_waiting {}", self.counts.waiting.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP ecmr_verify_pool_threads Most large verifications at once.");
        let _ = writeln!(out, "# TYPE ecmr_verify_pool_threads gauge");
        let _ = writeln!(out, "ecmr_verify_pool_threads {}", self.threads);
        out
    }

    /// The shared verifier (it remembers decoded signer keys across documents).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Runs `job` with the verifier: at once when `size` is small, else on a blocking thread as soon as one of
    /// the pool's permits is free.
    ///
    /// # Errors
    /// [`WorkFailed`] when the job panicked.
    pub async fn run<T, F>(&self, size: Size, job: F) -> Result<T, WorkFailed>
    where
        T: Send + 'static,
        F: FnOnce(&Verifier) -> T + Send + 'static,
    {
        if size == Size::Small {
            return Ok(job(&self.verifier));
        }
        // The semaphore is never closed, so acquiring fails only if it were; treat that as a fault.
        self.counts.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.permits.clone().acquire_owned().await;
        self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
        let permit = permit.map_err(|e| WorkFailed(format!("pool closed: {e}")))?;
        self.counts.pooled.fetch_add(1, Ordering::Relaxed);
        let verifier = self.verifier.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let out = job(&verifier);
            drop(permit);
            out
        })
        .await;
        outcome.map_err(|e| {
            tracing::error!(error = %e, "verification job failed");
            WorkFailed(e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_thresholds() {
        assert_eq!(Size::of_document(INLINE_BYTES), Size::Small);
        assert_eq!(Size::of_document(INLINE_BYTES + 1), Size::Large);
        assert_eq!(Size::of_chain(INLINE_EVENTS), Size::Small);
        assert_eq!(Size::of_chain(INLINE_EVENTS + 1), Size::Large);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_jobs_run_at_most_threads_at_once() {
        let work = Work::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (work, running, most) = (work.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                work.run(Size::Large, move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two permits, eight jobs");
        assert_eq!(work.pooled_jobs(), 8);
        assert!(work.prometheus().contains("ecmr_verify_pool_jobs_total 8\n"), "{}", work.prometheus());
        // Small jobs run at once and are not counted.
        assert_eq!(work.run(Size::Small, |_| 1).await.unwrap(), 1);
        assert_eq!(work.pooled_jobs(), 8);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let work = Work::new(1);
        let err = work.run(Size::Large, |_| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(err.0.contains("panic"), "{err}");
        // The permit came back.
        assert_eq!(work.run(Size::Large, |_| 7).await.unwrap(), 7);
    }
}
