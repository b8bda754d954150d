//! The writer every backend runs: one thread owns the connection that writes. Requests arrive
//! over a bounded channel; the writer takes every request waiting, runs each through the
//! [`crate::pipeline`] inside its own savepoint (one failure does not spoil its neighbours),
//! commits once, then answers each caller — group commit. Other writes (organisations,
//! sessions, cursors, …) run on the same thread between batches.
//!
//! Readers learn of new events through a watched head, moved only after the commit.

use std::sync::Arc;

use fdg_domain::supervision::Params;
use tokio::sync::{mpsc, oneshot, watch};

use crate::pipeline::{self, DbTx};
use crate::sql::{Begin, Db};
use crate::{BoxFut, Result, StoreContext, StoreError, WriteOutcome, WriteRequest};

/// Most requests committed together in one transaction.
const MAX_BATCH: usize = 1024;
/// Requests that may wait for the writer before callers are slowed down.
const QUEUE: usize = 8192;

type Reply<T> = oneshot::Sender<Result<T>>;
type AdminJob = Box<dyn FnOnce(&mut dyn Db) + Send>;

enum Job {
    Write(Box<WriteRequest>, Reply<WriteOutcome>),
    Admin(AdminJob),
}

/// What the writer decides with.
pub(crate) struct Decider {
    pub ctx: StoreContext,
    pub params: Params,
}

/// What a backend does around the writer's batches.
pub(crate) trait WriterHooks: Send + 'static {
    /// After each round of batches (SQLite finishes a checkpoint here).
    fn after_round(&mut self, _db: &mut dyn Db) {}
    /// When the writer stops.
    fn on_stop(&mut self, _db: &mut dyn Db) {}
}

/// The handle to a running writer. Dropping it lets the writer finish what is queued and
/// waits for it to stop.
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
    head: Arc<watch::Sender<u64>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WriterHandle {
    /// Starts the writer on its own thread with `db` (moved there) as the only writing
    /// connection; `head` is the newest committed position.
    pub(crate) fn start<D: Db + Send + 'static>(
        name: &str,
        mut db: D,
        head: u64,
        decider: Decider,
        mut hooks: impl WriterHooks,
    ) -> Result<Self> {
        let head = Arc::new(watch::Sender::new(head));
        let writer_head = head.clone();
        let (jobs, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || writer_loop(&mut db, rx, &decider, &writer_head, &mut hooks))?;
        Ok(WriterHandle {
            jobs,
            head,
            thread: Some(thread),
        })
    }

    /// Queues a command and waits for its answer (after the commit of its batch).
    pub(crate) fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.jobs
                .send(Job::Write(Box::new(req), reply))
                .await
                .map_err(|_| StoreError::WriterGone)?;
            rx.await.map_err(|_| StoreError::WriterGone)?
        })
    }

    /// Runs `f` on the writer's connection, after the writes queued before it.
    pub(crate) fn admin<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            let job: AdminJob = Box::new(move |db| {
                let _ = reply.send(f(db));
            });
            self.jobs
                .send(Job::Admin(job))
                .await
                .map_err(|_| StoreError::WriterGone)?;
            rx.await.map_err(|_| StoreError::WriterGone)?
        })
    }

    /// The newest committed position.
    pub(crate) fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// The head itself, for a backend that also learns of commits made elsewhere.
    pub(crate) fn head_sender(&self) -> Arc<watch::Sender<u64>> {
        self.head.clone()
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.jobs, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Moves the head forward to `position` if it is newer.
pub(crate) fn advance(head: &watch::Sender<u64>, position: u64) {
    head.send_if_modified(|h| {
        let newer = position > *h;
        if newer {
            *h = position;
        }
        newer
    });
}

fn reconnect(db: &mut dyn Db) {
    if let Err(e) = db.ensure_connected() {
        tracing::error!(error = %e, "the writer's database connection is lost; retried with the next request");
    }
}

fn writer_loop(
    db: &mut dyn Db,
    mut rx: mpsc::Receiver<Job>,
    decider: &Decider,
    head: &watch::Sender<u64>,
    hooks: &mut dyn WriterHooks,
) {
    let mut batch: Vec<(Box<WriteRequest>, Reply<WriteOutcome>)> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(req, reply) => batch.push((req, reply)),
                Job::Admin(f) => {
                    run_batch(db, &mut batch, decider, head);
                    reconnect(db);
                    f(db);
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        run_batch(db, &mut batch, decider, head);
        hooks.after_round(db);
    }
    hooks.on_stop(db);
    tracing::debug!("writer stopped");
}

fn run_batch(
    db: &mut dyn Db,
    batch: &mut Vec<(Box<WriteRequest>, Reply<WriteOutcome>)>,
    decider: &Decider,
    head: &watch::Sender<u64>,
) {
    if batch.is_empty() {
        return;
    }
    reconnect(db);
    let size = batch.len();
    let mut answers: Vec<(Reply<WriteOutcome>, Result<WriteOutcome>)> = Vec::with_capacity(size);
    let mut pending = std::mem::take(batch).into_iter();
    let ctx = &decider.ctx;
    let result = (|| -> Result<()> {
        db.begin(Begin::Write)?;
        let now = ctx.clock.now();
        let today = ctx.clock.today();
        let mut sums = crate::supervision::Pending::default();
        // A savepoint per command: a failed command leaves no trace, and its neighbours in the
        // batch are unaffected. A kept command's savepoint is released and the next one set in
        // one round trip; a refused command wrote nothing, so its savepoint serves the next.
        db.savepoint("SAVEPOINT command")?;
        for (req, reply) in pending.by_ref() {
            let decide = pipeline::Decide {
                codes: &ctx.codes,
                params: &decider.params,
                now,
                today,
            };
            // A bug in the rules must not take the writer (and every later write) down.
            let (outcome, delta) =
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pipeline::process(&mut DbTx(&mut *db), &req, decide)
                })) {
                    Ok(Ok((outcome, delta))) => (Ok(outcome), delta),
                    Ok(Err(e)) => (Err(e), Vec::new()),
                    Err(_) => {
                        tracing::error!(
                            command = req.command.kind(),
                            "a command panicked; refused"
                        );
                        let e = StoreError::Corrupt("internal error while deciding".into());
                        (Err(e), Vec::new())
                    }
                };
            let keep = matches!(&outcome, Ok(WriteOutcome::Accepted(a)) if !a.dry_run);
            if keep {
                sums.add_delta(&delta);
            }
            let closed = match &outcome {
                _ if keep => db.savepoint("RELEASE command; SAVEPOINT command"),
                // Refused, replayed, conflicting or a dry run: nothing was written.
                Ok(_) => Ok(()),
                // Failed midway: undo what it wrote; the savepoint stays for the next.
                Err(_) => db.savepoint("ROLLBACK TO command"),
            };
            answers.push((reply, outcome));
            closed?;
        }
        db.savepoint("RELEASE command")?;
        if !sums.is_empty() {
            sums.flush(db)?;
        }
        db.commit()
    })();
    metrics::histogram!("fdg_write_batch_size").record(size as f64);
    match result {
        Ok(()) => {
            // Long-polling feed readers learn of the new head only after the commit.
            let newest = answers
                .iter()
                .filter_map(|(_, o)| match o {
                    Ok(WriteOutcome::Accepted(a)) => a.events.last().map(|e| e.position),
                    _ => None,
                })
                .max();
            if let Some(p) = newest {
                advance(head, p);
            }
            for (reply, outcome) in answers {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            if let Err(r) = db.rollback() {
                tracing::warn!(error = %r, "rollback after a failed batch failed");
            }
            tracing::error!(error = %e, batch = size, "write batch failed; every request in it is refused");
            let msg = e.to_string();
            for (reply, _) in answers {
                let _ = reply.send(Err(StoreError::Corrupt(format!("batch failed: {msg}"))));
            }
            for (_, reply) in pending {
                let _ = reply.send(Err(StoreError::Corrupt(format!("batch failed: {msg}"))));
            }
        }
    }
}
