//! The writer every backend runs: one thread owns the connection that writes. Requests arrive
//! over a bounded channel; the writer takes every request waiting, runs each through the
//! [`crate::pipeline`], commits once, then answers each caller — group commit. Other writes
//! (organisations, sessions, cursors, …) run on the same thread between batches.
//!
//! How the commands of one batch are kept apart is the backend's [`Batching`]: in process,
//! one savepoint per command ([`Savepoints`]: a failed command leaves no trace and its
//! neighbours are unaffected); over a network, the backend may read the whole batch's persons
//! ahead and hold every write in memory until the end of the batch, so a batch costs a few
//! round trips instead of several per command. Should such a batch fail in the database, it
//! is decided again with savepoints, so one bad command never refuses its neighbours.
//!
//! Readers learn of new events through a watched head, moved only after the commit.

use std::sync::Arc;

use fdg_domain::supervision::Params;
use tokio::sync::{mpsc, oneshot, watch};

use crate::pipeline::{self, DbTx, WriteTx};
use crate::sql::{Begin, Db};
use crate::{BoxFut, Result, StoreContext, StoreError, WriteOutcome, WriteRequest};

/// Most requests committed together in one transaction.
const MAX_BATCH: usize = 1024;
/// Write requests that may wait for the writer; beyond them a write is refused at once as
/// overloaded (503 with `Retry-After` at the edge) instead of waiting without bound.
pub const DEFAULT_WRITE_QUEUE: usize = 8192;

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

/// How a backend keeps the commands of one batch apart inside the batch's one transaction.
pub(crate) trait Batching<D>: Send + 'static {
    /// What one batch's commands run in.
    type Tx<'a>: CommandTx
    where
        Self: 'a,
        D: 'a;
    /// Begins the batch's write transaction and opens what its commands run in; `batch` is
    /// every request of the batch, for a backend that reads ahead.
    fn open<'a>(&'a self, db: &'a mut D, batch: &[&WriteRequest]) -> Result<Self::Tx<'a>>;
}

/// The transaction a batch's commands run in, one command after another.
pub(crate) trait CommandTx: WriteTx {
    /// Keeps what the last command wrote.
    fn keep(&mut self) -> Result<()>;
    /// Forgets what the last command wrote (it failed midway).
    fn undo(&mut self) -> Result<()>;
    /// After the last command: writes whatever is still held (the caller commits).
    fn finish(self) -> Result<()>;
}

/// One savepoint per command, on any backend.
pub(crate) struct Savepoints;

impl<D: Db> Batching<D> for Savepoints {
    type Tx<'a>
        = DbTx<'a>
    where
        D: 'a;

    fn open<'a>(&'a self, db: &'a mut D, _: &[&WriteRequest]) -> Result<DbTx<'a>> {
        db.begin(Begin::Write)?;
        db.savepoint("SAVEPOINT command")?;
        Ok(DbTx(db))
    }
}

/// A kept command's savepoint is released and the next one set in one round trip; a refused
/// command wrote nothing, so its savepoint serves the next.
impl CommandTx for DbTx<'_> {
    fn keep(&mut self) -> Result<()> {
        self.0.savepoint("RELEASE command; SAVEPOINT command")
    }

    fn undo(&mut self) -> Result<()> {
        self.0.savepoint("ROLLBACK TO command")
    }

    fn finish(self) -> Result<()> {
        self.0.savepoint("RELEASE command")
    }
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
        batching: impl Batching<D>,
        queue: usize,
    ) -> Result<Self> {
        let head = Arc::new(watch::Sender::new(head));
        let writer_head = head.clone();
        let (jobs, rx) = mpsc::channel(queue.max(1));
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                writer_loop(&mut db, rx, &decider, &batching, &writer_head, &mut hooks);
            })?;
        Ok(WriterHandle {
            jobs,
            head,
            thread: Some(thread),
        })
    }

    /// Queues a command and waits for its answer (after the commit of its batch); refused
    /// at once as overloaded when the queue is full.
    pub(crate) fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.jobs
                .try_send(Job::Write(Box::new(req), reply))
                .map_err(|e| match e {
                    mpsc::error::TrySendError::Full(_) => {
                        metrics::counter!("fdg_writes_refused_overloaded_total").increment(1);
                        StoreError::Unavailable(crate::Unavailable::Overloaded)
                    }
                    mpsc::error::TrySendError::Closed(_) => StoreError::WriterGone,
                })?;
            rx.await.map_err(|_| StoreError::WriterGone)?
        })
    }

    /// Queues commands in the order given (waiting for room rather than refusing) and waits
    /// for their answers: the writer decides them in that order, many in one commit.
    pub(crate) fn execute_in_order(
        &self,
        reqs: Vec<WriteRequest>,
    ) -> BoxFut<'_, Result<Vec<Result<WriteOutcome>>>> {
        Box::pin(async move {
            let mut answers = Vec::with_capacity(reqs.len());
            for req in reqs {
                let (reply, rx) = oneshot::channel();
                self.jobs
                    .send(Job::Write(Box::new(req), reply))
                    .await
                    .map_err(|_| StoreError::WriterGone)?;
                answers.push(rx);
            }
            let mut out = Vec::with_capacity(answers.len());
            for rx in answers {
                out.push(rx.await.map_err(|_| StoreError::WriterGone)?);
            }
            Ok(out)
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

type Queued = Vec<(Box<WriteRequest>, Reply<WriteOutcome>)>;

fn writer_loop<D: Db, B: Batching<D>>(
    db: &mut D,
    mut rx: mpsc::Receiver<Job>,
    decider: &Decider,
    batching: &B,
    head: &watch::Sender<u64>,
    hooks: &mut dyn WriterHooks,
) {
    let mut batch: Queued = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(req, reply) => batch.push((req, reply)),
                Job::Admin(f) => {
                    run_batch(db, batching, &mut batch, decider, head);
                    reconnect(db);
                    f(db);
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        run_batch(db, batching, &mut batch, decider, head);
        hooks.after_round(db);
    }
    hooks.on_stop(db);
    tracing::debug!("writer stopped");
}

fn run_batch<D: Db, B: Batching<D>>(
    db: &mut D,
    batching: &B,
    batch: &mut Queued,
    decider: &Decider,
    head: &watch::Sender<u64>,
) {
    if batch.is_empty() {
        return;
    }
    reconnect(db);
    let jobs = std::mem::take(batch);
    let requests: Vec<&WriteRequest> = jobs.iter().map(|(req, _)| &**req).collect();
    let mut result = decide_batch(db, batching, &requests, decider);
    if let Err(e) = &result
        && requests.len() > 1
    {
        // Held writes are checked by the database only at the end of the batch: decide it
        // again command by command, so whatever failed refuses only its own request.
        tracing::warn!(error = %e, batch = requests.len(), "write batch failed; deciding it again with a savepoint per command");
        reconnect(db);
        result = decide_batch(db, &Savepoints, &requests, decider);
    }
    metrics::histogram!("fdg_write_batch_size").record(requests.len() as f64);
    drop(requests);
    match result {
        Ok(outcomes) => {
            // Long-polling feed readers learn of the new head only after the commit.
            let newest = outcomes
                .iter()
                .filter_map(|o| match o {
                    Ok(WriteOutcome::Accepted(a)) => a.events.last().map(|e| e.position),
                    _ => None,
                })
                .max();
            if let Some(p) = newest {
                advance(head, p);
            }
            for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, batch = jobs.len(), "write batch failed; every request in it is refused");
            for (_, reply) in jobs {
                let _ = reply.send(Err(e.for_each_caller("batch failed")));
            }
        }
    }
}

/// Decides a batch in one transaction and commits it; rolled back (and an error) when the
/// database refuses any of it. One outcome per request, in order.
fn decide_batch<D: Db, B: Batching<D>>(
    db: &mut D,
    batching: &B,
    requests: &[&WriteRequest],
    decider: &Decider,
) -> Result<Vec<Result<WriteOutcome>>> {
    let ctx = &decider.ctx;
    let result = (|| -> Result<Vec<Result<WriteOutcome>>> {
        let clock = pipeline::Decide {
            codes: &ctx.codes,
            params: &decider.params,
            now: ctx.clock.now(),
            today: ctx.clock.today(),
        };
        let mut sums = crate::supervision::Pending::default();
        let mut outcomes = Vec::with_capacity(requests.len());
        let mut tx = batching.open(db, requests)?;
        for req in requests {
            // A bug in the rules must not take the writer (and every later write) down.
            let (outcome, delta) =
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    // A record taken over from the incumbent is decided as of its own time.
                    let decide = match req.recorded {
                        Some(r) => pipeline::Decide {
                            now: r.at,
                            today: r.day,
                            ..clock
                        },
                        None => clock,
                    };
                    pipeline::process(&mut tx, req, decide)
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
            match &outcome {
                Ok(WriteOutcome::Accepted(a)) if !a.dry_run => {
                    sums.add_delta(&delta);
                    tx.keep()?;
                }
                // Refused, replayed, conflicting or a dry run: nothing was written.
                Ok(_) => {}
                // Failed midway: undo what it wrote.
                Err(_) => tx.undo()?,
            }
            outcomes.push(outcome);
        }
        tx.finish()?;
        let db: &mut dyn Db = db;
        if !sums.is_empty() {
            sums.flush(db)?;
        }
        db.commit()?;
        Ok(outcomes)
    })();
    if let Err(e) = &result
        && let Err(r) = db.rollback()
        // A database that ran out of space has rolled back by itself.
        && !matches!(e, StoreError::Unavailable(_))
    {
        tracing::warn!(error = %r, "rollback after a failed batch failed");
    }
    result
}
