//! The embedded SQLite backend.
//!
//! - One writer thread owns the only write connection (WAL, `synchronous=FULL`: an acknowledged
//!   write survives power loss). Requests arrive over a bounded channel; the writer takes every
//!   request waiting, runs each inside its own savepoint (one failure does not spoil its
//!   neighbours), commits once, then answers each caller: group commit.
//! - Readers use a pool of read-only connections and never wait for the writer.
//! - With a single writer, the global event position (the rowid) is allocated in commit order,
//!   so a feed reader can never skip an event that commits later with a smaller position.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::supervision::Params;
use fdg_domain::view::PersonOverview;
use fdg_domain::{Cpr, OrgKind, PersonScope, PersonState, Role};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use crate::{
    Agreement, AgreementChange, AgreementHistory, BoxFut, DeliveryResult, NewAgreement, Org,
    ParkedBatch, PersonRecord, Principal, Result, Session, Store, StoreContext, StoreError,
    StoredEvent, SupervisionInput, SupervisionQuery, User, Webhook, WriteOutcome, WriteRequest,
    pipeline, secrets,
};
use secrets::{
    hash_password, one_time_password, random_hex, token_hash, username_from, verify_password,
};

/// Most requests committed together in one transaction.
const MAX_BATCH: usize = 1024;
/// Requests that may wait for the writer before callers are slowed down.
const QUEUE: usize = 8192;

type Reply<T> = oneshot::Sender<Result<T>>;
type AdminJob = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    Write(Box<WriteRequest>, Reply<WriteOutcome>),
    Admin(AdminJob),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// How long an authenticated credential is trusted without asking the database again. Changes
/// made through this store (suspension, revocation) take effect at once; changes made by another
/// process (the CLI) within this time.
const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(1);

type CredentialCache = Mutex<HashMap<[u8; 32], (std::time::Instant, Principal)>>;

/// Bumped whenever credentials change in this process, so a lookup that raced a change is not
/// cached.
static CREDENTIAL_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct Inner {
    readers: crate::pool::ReaderPool,
    credentials: CredentialCache,
    head: Arc<tokio::sync::watch::Sender<u64>>,
    jobs: mpsc::Sender<Job>,
    writer: Option<std::thread::JoinHandle<()>>,
    supervision: Params,
    /// The clock every recorded time is read from (never the wall clock directly), so a
    /// store run on a test's or a simulation's clock is consistent with itself.
    clock: Arc<dyn crate::TimeSource>,
}

impl Drop for Inner {
    /// Closing the queue lets the writer finish what is queued, checkpoint and stop; waiting
    /// for it means the database is complete and compact when the store is gone.
    fn drop(&mut self) {
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.jobs, closed));
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// The supervision indicators' counting parameters.
    pub supervision: Params,
}

impl SqliteOptions {
    /// The database file inside a data directory.
    pub fn in_dir(dir: &Path) -> Self {
        SqliteOptions {
            path: dir.join("fdg.db"),
            supervision: Params::default(),
        }
    }
}

/// Settings every connection shares. The bundled SQLite is built with STAT4, which re-prepares
/// a statement whenever a bound value might change its plan; the query planner stability
/// guarantee turns that off, so cached statements stay prepared (it more than doubled point
/// reads here). Pages are read through a memory map instead of a `pread` per page.
fn common(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.execute_batch("PRAGMA mmap_size = 1073741824;")
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    common(conn)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8192;",
    )
}

fn reader_setup(conn: &Connection) -> rusqlite::Result<()> {
    common(conn)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -16384;")
}

/// Opens (creating if needed) the database and applies migrations, without starting a writer.
/// Used by `fdg migrate`. Returns the number of migrations applied.
pub fn migrate(opts: &SqliteOptions) -> Result<usize> {
    if let Some(dir) = opts.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open(&opts.path)?;
    configure(&conn)?;
    crate::migrate::run(&mut conn, crate::migrate::SQLITE)
}

impl SqliteStore {
    /// Opens the store: creates the file and applies migrations if needed, starts the writer.
    pub fn open(opts: &SqliteOptions, ctx: StoreContext) -> Result<Self> {
        if let Some(dir) = opts.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(&opts.path)?;
        configure(&conn)?;
        crate::migrate::run(&mut conn, crate::migrate::SQLITE)?;
        // Projections written before a column existed are rebuilt from the log.
        let stale: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM persons WHERE scope IS NULL)",
            [],
            |r| r.get(0),
        )?;
        if stale {
            let n = rebuild(&mut conn, &opts.supervision)?;
            tracing::info!(events = n, "rebuilt projections after a migration");
        }
        // Supervision sums made under other definitions or parameters are made anew.
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if crate::supervision::ensure_current(&tx, &opts.supervision)? {
                tracing::info!(
                    params = %opts.supervision.describe(),
                    "recomputed the supervision figures"
                );
            }
            tx.commit()?;
        }
        // Checkpoints run on their own thread and connection, so the writer's commits do not
        // wait for the database file to be written and synced.
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;")?;
        let checkpointer = Connection::open(&opts.path)?;
        common(&checkpointer)?;
        let (tick, ticks) = std::sync::mpsc::sync_channel::<()>(1);
        let wal_frames = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let frames = wal_frames.clone();
        std::thread::Builder::new()
            .name("fdg-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, ticks, frames))?;
        let head_now: i64 =
            conn.query_row("SELECT coalesce(max(position), 0) FROM events", [], |r| {
                r.get(0)
            })?;
        let head = Arc::new(tokio::sync::watch::Sender::new(head_now as u64));
        let writer_head = head.clone();
        let (tx, rx) = mpsc::channel(QUEUE);
        let params = opts.supervision;
        let clock = ctx.clock.clone();
        let writer = std::thread::Builder::new()
            .name("fdg-sqlite-writer".into())
            .spawn(move || {
                writer_loop(
                    conn,
                    rx,
                    &Writer { ctx, params },
                    tick,
                    wal_frames,
                    writer_head,
                )
            })?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                supervision: params,
                clock,
                readers: crate::pool::ReaderPool::new(&opts.path, Box::new(reader_setup)),
                credentials: Mutex::new(HashMap::new()),
                head,
                jobs: tx,
                writer: Some(writer),
            }),
        })
    }

    /// The store clock's now, as stored (RFC 3339).
    fn now(&self) -> String {
        self.inner.clock.now().to_string()
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.inner.readers.read(f)
    }

    fn forget_credentials(&self) {
        CREDENTIAL_GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner
            .credentials
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    async fn admin<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        let job: AdminJob = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.inner
            .jobs
            .send(Job::Admin(job))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// WAL frames after which the writer itself finishes the checkpoint, so the WAL restarts from
/// the beginning instead of growing while writes never pause (about 16 MiB).
const WAL_RESTART_FRAMES: i64 = 4096;

/// Copies committed WAL frames into the database file (and syncs it) after writes, a few times
/// a second, off the writer's path; reports the WAL's length. Ends when the writer does.
fn checkpoint_loop(
    conn: Connection,
    ticks: std::sync::mpsc::Receiver<()>,
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
) {
    while ticks.recv().is_ok() {
        std::thread::sleep(std::time::Duration::from_millis(100));
        while ticks.try_recv().is_ok() {}
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
            Ok(frames) => wal_frames.store(frames, std::sync::atomic::Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "checkpoint failed; retried after the next write"),
        }
    }
}

/// What the writer thread decides with.
struct Writer {
    ctx: StoreContext,
    params: Params,
}

fn writer_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    ctx: &Writer,
    tick: std::sync::mpsc::SyncSender<()>,
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
    head: Arc<tokio::sync::watch::Sender<u64>>,
) {
    let mut batch: Vec<(Box<WriteRequest>, Reply<WriteOutcome>)> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(req, reply) => batch.push((req, reply)),
                Job::Admin(f) => {
                    run_batch(&mut conn, &mut batch, ctx, &head);
                    f(&mut conn);
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        run_batch(&mut conn, &mut batch, ctx, &head);
        // The background checkpoint has copied nearly everything; finishing it here, between
        // two transactions, lets the next transaction restart the WAL.
        if wal_frames.load(std::sync::atomic::Ordering::Relaxed) > WAL_RESTART_FRAMES {
            wal_frames.store(0, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "writer checkpoint failed");
            }
        }
        let _ = tick.try_send(());
    }
    // Leave a small WAL behind on shutdown.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    tracing::debug!("sqlite writer stopped");
}

fn run_batch(
    conn: &mut Connection,
    batch: &mut Vec<(Box<WriteRequest>, Reply<WriteOutcome>)>,
    writer: &Writer,
    head: &tokio::sync::watch::Sender<u64>,
) {
    let ctx = &writer.ctx;
    if batch.is_empty() {
        return;
    }
    let size = batch.len();
    let mut answers: Vec<(Reply<WriteOutcome>, Result<WriteOutcome>)> = Vec::with_capacity(size);
    let mut pending = std::mem::take(batch).into_iter();
    let result = (|| -> Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = ctx.clock.now();
        let today = ctx.clock.today();
        let mut sums = crate::supervision::Pending::default();
        for (req, reply) in pending.by_ref() {
            // A savepoint per command: a refused or failed command leaves no trace, and its
            // neighbours in the batch are unaffected.
            if let Err(e) = tx
                .prepare_cached("SAVEPOINT command")
                .and_then(|mut s| s.execute([]))
            {
                answers.push((reply, Err(StoreError::Corrupt("savepoint failed".into()))));
                return Err(e.into());
            }
            // A bug in the rules must not take the writer (and every later write) down.
            let decide = pipeline::Decide {
                codes: &ctx.codes,
                params: &writer.params,
                now,
                today,
            };
            let (outcome, delta) =
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pipeline::process(&mut SqliteTx(&tx), &req, decide)
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
            let closed = (|| -> rusqlite::Result<()> {
                if !keep {
                    tx.prepare_cached("ROLLBACK TO command")?.execute([])?;
                }
                tx.prepare_cached("RELEASE command")?.execute([])?;
                Ok(())
            })();
            answers.push((reply, outcome));
            closed?;
        }
        if !sums.is_empty() {
            sums.flush(&tx)?;
        }
        tx.commit()?;
        Ok(())
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
                head.send_if_modified(|h| {
                    let newer = p > *h;
                    if newer {
                        *h = p;
                    }
                    newer
                });
            }
            for (reply, outcome) in answers {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
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

/// The write pipeline's reads and writes inside the writer's open transaction.
struct SqliteTx<'c>(&'c Connection);

impl pipeline::WriteTx for SqliteTx<'_> {
    fn idempotent(&mut self, scope: &str, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT request_hash, outcome FROM idempotency WHERE scope = ?1 AND key = ?2",
            )?
            .query_row(params![scope, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn person_by_cpr(&mut self, digits: &str) -> Result<Option<(String, String)>> {
        person_state(
            self.0,
            "SELECT person_id, state FROM persons WHERE cpr = ?1",
            digits,
        )
    }

    fn person_by_id(&mut self, person_id: &str) -> Result<Option<(String, String)>> {
        person_state(
            self.0,
            "SELECT person_id, state FROM persons WHERE person_id = ?1",
            person_id,
        )
    }

    /// The position is the rowid: with one writer, allocated in commit order.
    fn append(&mut self, e: &pipeline::NewEvent<'_>) -> Result<u64> {
        self.0
            .prepare_cached(
                "INSERT INTO events (person_id, version, type, data, recorded_at, org, context, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                e.person_id,
                e.version as i64,
                e.r#type,
                e.data,
                e.recorded_at,
                e.org,
                e.context,
                e.scope
            ])?;
        Ok(self.0.last_insert_rowid() as u64)
    }

    fn save_person(&mut self, row: &pipeline::PersonRow<'_>) -> Result<()> {
        save_person(self.0, row)
    }

    fn save_idempotent(
        &mut self,
        idem: &crate::Idempotency,
        outcome: &str,
        at: &str,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                idem.scope,
                idem.key,
                &idem.request_hash[..],
                outcome,
                at
            ])?;
        Ok(())
    }
}

fn person_state(conn: &Connection, sql: &str, key: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Writes the person projection row. The overview is not stored: it is built from the state
/// when read (see [`read_person`]), so a command rewrites one copy of the history, not two.
fn save_person(conn: &Connection, row: &pipeline::PersonRow<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO persons (person_id, cpr, version, state, scope)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (person_id) DO UPDATE SET
           cpr = excluded.cpr, version = excluded.version, state = excluded.state,
           scope = excluded.scope",
    )?
    .execute(params![
        row.person_id,
        row.cpr,
        row.version as i64,
        row.state,
        row.scope
    ])?;
    Ok(())
}

fn rebuild(conn: &mut Connection, params: &Params) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut states: HashMap<String, PersonState> = HashMap::new();
    let mut count = 0u64;
    {
        let mut stmt = tx.prepare(
            "SELECT person_id, version, data, recorded_at, org FROM events ORDER BY position",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let event = pipeline::LoggedEvent {
                person_id: r.get(0)?,
                version: r.get::<_, i64>(1)? as u64,
                data: r.get(2)?,
                recorded_at: r.get(3)?,
                org: r.get(4)?,
            };
            event.apply_to(states.entry(event.person_id.clone()).or_default())?;
            count += 1;
        }
    }
    tx.execute("DELETE FROM persons", [])?;
    for (person_id, state) in &states {
        save_person(&tx, &pipeline::PersonRow::of(person_id, state)?)?;
    }
    crate::supervision::recompute(&tx, params)?;
    tx.commit()?;
    Ok(count)
}

type EventRow = (
    (i64, String, i64, String),
    (String, String, String, Option<String>),
);

fn stored_event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
        (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
    ))
}

fn to_stored_event(
    ((position, person_id, version, r#type), (data_json, at, org, scope)): EventRow,
) -> Result<StoredEvent> {
    Ok(StoredEvent {
        position: position as u64,
        person_id,
        version: version as u64,
        r#type,
        data_json,
        recorded_at: at
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?,
        org,
        scope: parse_scope(scope.as_deref())?,
    })
}

fn parked_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ParkedBatch> {
    Ok(ParkedBatch {
        id: r.get(0)?,
        agreement_id: r.get(1)?,
        from_position: r.get::<_, i64>(2)?.max(0) as u64,
        to_position: r.get::<_, i64>(3)?.max(0) as u64,
        attempts: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(u32::MAX),
        last_error: r.get(5)?,
        parked_at: time_column(r, 6)?,
        replayed_at: r
            .get::<_, Option<String>>(7)?
            .map(|_| time_column(r, 7))
            .transpose()?,
    })
}

/// A column holding an RFC 3339 time.
fn time_column(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    r.get::<_, String>(i)?.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn parse_scope(json: Option<&str>) -> Result<PersonScope> {
    json.map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))
        .map(Option::unwrap_or_default)
}

/// Reads one person row (`person_id, state, scope`) and builds the overview from the state.
fn read_person(conn: &Connection, sql: &str, key: &str) -> Result<Option<PersonRecord>> {
    let Some((person_id, state, scope)) = conn
        .prepare_cached(sql)?
        .query_row([key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let state: PersonState = serde_json::from_str(&state)
        .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
    let overview = PersonOverview::build(&person_id, &state)
        .ok_or_else(|| StoreError::Corrupt(format!("person {person_id} has no identity")))?;
    Ok(Some(PersonRecord {
        version: state.version,
        overview,
        scope: parse_scope(scope.as_deref())?,
        person_id,
    }))
}

fn load_user(conn: &Connection, id: i64) -> Result<Option<User>> {
    let row = conn
        .prepare_cached(
            "SELECT u.username, u.name, u.role, u.must_change_password, o.id, o.kind, o.code, o.name
             FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ),
                (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
            ))
        })
        .optional()?;
    let Some(((username, name, role, must_change_password), org)) = row else {
        return Ok(None);
    };
    Ok(Some(User {
        id,
        org: to_org(org)?,
        username,
        name,
        role: role.parse().map_err(StoreError::Corrupt)?,
        must_change_password,
    }))
}

fn state_of(s: &str) -> Result<AgreementState> {
    s.parse().map_err(StoreError::Corrupt)
}

fn find_org(conn: &Connection, code: &str, kind: Option<OrgKind>) -> Result<Org> {
    let mut stmt = conn.prepare_cached("SELECT id, kind, code, name FROM orgs WHERE code = ?1")?;
    let candidates: Vec<Org> = stmt
        .query_map([code], row_to_org)?
        .map(|r| to_org(r?))
        .collect::<Result<_>>()?;
    let matching: Vec<Org> = candidates
        .into_iter()
        .filter(|o| kind.is_none_or(|k| k == o.kind))
        .collect();
    match matching.len() {
        1 => Ok(matching
            .into_iter()
            .next()
            .ok_or(StoreError::NoSuchOrg(code.into()))?),
        0 => Err(StoreError::NoSuchOrg(code.into())),
        _ => Err(StoreError::NoSuchOrg(format!(
            "{code} (several kinds share it: give --kind)"
        ))),
    }
}

fn insert_token(conn: &Connection, agreement_id: i64, org_id: i64, now: &str) -> Result<String> {
    let token = format!("fdg_{}", random_hex(20));
    conn.execute(
        "INSERT INTO tokens (org_id, agreement_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![org_id, agreement_id, &token_hash(&token)[..], now],
    )?;
    Ok(token)
}

fn record_change(
    conn: &Connection,
    agreement_id: i64,
    from: Option<AgreementState>,
    to: AgreementState,
    reason: &str,
    by: &str,
    now: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO agreement_changes (agreement_id, from_state, to_state, reason, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            agreement_id,
            from.map(AgreementState::as_str),
            to.as_str(),
            reason,
            by,
            now
        ],
    )?;
    Ok(())
}

fn load_agreement(conn: &Connection, id: i64) -> Result<Option<Agreement>> {
    let row = conn
        .prepare_cached(
            "SELECT a.state, a.processors, a.may_write, a.may_read, a.valid_from, a.valid_to,
                    o.id, o.kind, o.code, o.name
             FROM agreements a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ),
                (
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ),
                (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?),
            ))
        })
        .optional()?;
    let Some(((state, processors, may_write, may_read), (from, to), org)) = row else {
        return Ok(None);
    };
    let list = |s: &str| -> Result<Vec<String>> {
        serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("agreement: {e}")))
    };
    let date = |s: Option<String>| -> Result<Option<jiff::civil::Date>> {
        s.map(|d| {
            d.parse()
                .map_err(|e| StoreError::Corrupt(format!("agreement date: {e}")))
        })
        .transpose()
    };
    Ok(Some(Agreement {
        id,
        org: to_org(org)?,
        state: state_of(&state)?,
        processors: list(&processors)?,
        may_write: list(&may_write)?,
        may_read: list(&may_read)?,
        valid_from: date(from)?,
        valid_to: date(to)?,
    }))
}

fn row_to_org(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn to_org((id, kind, code, name): (i64, String, String, String)) -> Result<Org> {
    Ok(Org {
        id,
        kind: kind.parse().map_err(|e: String| StoreError::Corrupt(e))?,
        code,
        name,
    })
}

impl Store for SqliteStore {
    fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.inner
                .jobs
                .send(Job::Write(Box::new(req), reply))
                .await
                .map_err(|_| StoreError::WriterGone)?;
            rx.await.map_err(|_| StoreError::WriterGone)?
        })
    }

    fn person_by_cpr<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<PersonRecord>>> {
        Box::pin(async move {
            self.read(|c| {
                read_person(
                    c,
                    "SELECT person_id, state, scope FROM persons WHERE cpr = ?1",
                    &cpr.digits(),
                )
            })
        })
    }

    fn person<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Option<PersonRecord>>> {
        Box::pin(async move {
            self.read(|c| {
                read_person(
                    c,
                    "SELECT person_id, state, scope FROM persons WHERE person_id = ?1",
                    person_id,
                )
            })
        })
    }

    fn events_after(&self, after: u64, limit: u32) -> BoxFut<'_, Result<Vec<StoredEvent>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT e.position, e.person_id, e.version, e.type, e.data, e.recorded_at,
                            e.org, coalesce(e.scope, p.scope)
                     FROM events e LEFT JOIN persons p ON p.person_id = e.person_id
                     WHERE e.position > ?1 ORDER BY e.position LIMIT ?2",
                )?;
                let after = i64::try_from(after).unwrap_or(i64::MAX);
                let rows = stmt.query_map(params![after, limit], stored_event_row)?;
                rows.map(|r| to_stored_event(r?)).collect()
            })
        })
    }

    fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    fn position_before(&self, at: Timestamp) -> BoxFut<'_, Result<u64>> {
        Box::pin(async move {
            self.read(|c| {
                // Stored times are RFC 3339 text with optional fractions, which do not sort as
                // text within a second; comparing with the second itself (no fraction, no Z)
                // errs towards replaying a little more, never less.
                let second = at.strftime("%Y-%m-%dT%H:%M:%S").to_string();
                let p: i64 = c
                    .prepare_cached(
                        "SELECT coalesce(max(position), 0) FROM events WHERE recorded_at < ?1",
                    )?
                    .query_row([second], |r| r.get(0))?;
                Ok(p as u64)
            })
        })
    }

    fn person_events<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Vec<StoredEvent>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT e.position, e.person_id, e.version, e.type, e.data, e.recorded_at,
                            e.org, p.scope
                     FROM events e LEFT JOIN persons p ON p.person_id = e.person_id
                     WHERE e.person_id = ?1 ORDER BY e.version",
                )?;
                let rows = stmt.query_map([person_id], stored_event_row)?;
                rows.map(|r| to_stored_event(r?)).collect()
            })
        })
    }

    fn cursor(&self, agreement_id: i64) -> BoxFut<'_, Result<u64>> {
        Box::pin(async move {
            self.read(|c| {
                let p: Option<i64> = c
                    .prepare_cached("SELECT position FROM feed_cursors WHERE agreement_id = ?1")?
                    .query_row([agreement_id], |r| r.get(0))
                    .optional()?;
                Ok(p.unwrap_or(0) as u64)
            })
        })
    }

    fn set_cursor(&self, agreement_id: i64, position: u64) -> BoxFut<'_, Result<()>> {
        let now = self.now();
        Box::pin(self.admin(move |conn| {
            conn.execute(
                "INSERT INTO feed_cursors (agreement_id, position, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (agreement_id) DO UPDATE SET position = excluded.position,
                   updated_at = excluded.updated_at",
                params![
                    agreement_id,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    now.clone()
                ],
            )?;
            Ok(())
        }))
    }

    fn set_webhook<'a>(
        &'a self,
        agreement_id: i64,
        url: &'a str,
        from_position: u64,
    ) -> BoxFut<'a, Result<String>> {
        let now = self.now();
        let url = url.to_owned();
        Box::pin(self.admin(move |conn| {
            let tx = conn.transaction()?;
            load_agreement(&tx, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
            let secret = random_hex(32);
            tx.execute(
                "INSERT INTO webhooks (agreement_id, url, secret, position, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (agreement_id) DO UPDATE SET url = excluded.url,
                   secret = excluded.secret, position = excluded.position, attempts = 0,
                   next_attempt = NULL, last_error = NULL",
                params![
                    agreement_id,
                    url,
                    secret,
                    i64::try_from(from_position).unwrap_or(i64::MAX),
                    now.clone()
                ],
            )?;
            tx.commit()?;
            Ok(secret)
        }))
    }

    fn webhooks(&self) -> BoxFut<'_, Result<Vec<Webhook>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT agreement_id, url, secret, position, attempts, next_attempt, last_error
                     FROM webhooks ORDER BY agreement_id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        (
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ),
                        (
                            r.get::<_, i64>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                        ),
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let ((agreement_id, url, secret), (position, attempts, next, last_error)) =
                        row?;
                    out.push(Webhook {
                        agreement_id,
                        url,
                        secret,
                        position: position.max(0) as u64,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        next_attempt: next
                            .map(|t| t.parse())
                            .transpose()
                            .map_err(|e| StoreError::Corrupt(format!("webhook time: {e}")))?,
                        last_error,
                    });
                }
                Ok(out)
            })
        })
    }

    fn record_delivery(&self, agreement_id: i64, result: DeliveryResult) -> BoxFut<'_, Result<()>> {
        let now = self.now();
        Box::pin(self.admin(move |conn| {
            let now = now.clone();
            match result {
                DeliveryResult::Delivered(position) => conn.execute(
                    "UPDATE webhooks SET position = max(position, ?2), attempts = 0,
                       next_attempt = NULL, last_error = NULL WHERE agreement_id = ?1",
                    params![agreement_id, i64::try_from(position).unwrap_or(i64::MAX)],
                )?,
                DeliveryResult::Failed { error, retry_at } => conn.execute(
                    "UPDATE webhooks SET attempts = attempts + 1, next_attempt = ?2,
                       last_error = ?3 WHERE agreement_id = ?1",
                    params![agreement_id, retry_at.to_string(), error],
                )?,
                DeliveryResult::Parked { error, from, to } => {
                    let tx = conn.transaction()?;
                    let attempts: i64 = tx.query_row(
                        "SELECT attempts + 1 FROM webhooks WHERE agreement_id = ?1",
                        [agreement_id],
                        |r| r.get(0),
                    )?;
                    tx.execute(
                        "INSERT INTO webhook_parked (agreement_id, from_position, to_position,
                                                     attempts, last_error, parked_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            agreement_id,
                            i64::try_from(from).unwrap_or(i64::MAX),
                            i64::try_from(to).unwrap_or(i64::MAX),
                            attempts,
                            error,
                            now
                        ],
                    )?;
                    tx.execute(
                        "UPDATE webhooks SET position = max(position, ?2), attempts = 0,
                           next_attempt = NULL, last_error = ?3 WHERE agreement_id = ?1",
                        params![agreement_id, i64::try_from(to).unwrap_or(i64::MAX), error],
                    )?;
                    tx.commit()?;
                    1
                }
            };
            Ok(())
        }))
    }

    fn parked(&self, agreement_id: Option<i64>) -> BoxFut<'_, Result<Vec<ParkedBatch>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT id, agreement_id, from_position, to_position, attempts, last_error,
                            parked_at, replayed_at
                     FROM webhook_parked WHERE ?1 IS NULL OR agreement_id = ?1 ORDER BY id",
                )?;
                let rows = stmt.query_map([agreement_id], parked_row)?;
                rows.collect::<rusqlite::Result<_>>().map_err(Into::into)
            })
        })
    }

    fn take_parked(&self, id: i64) -> BoxFut<'_, Result<Option<ParkedBatch>>> {
        let now = self.now();
        Box::pin(self.admin(move |conn| {
            let tx = conn.transaction()?;
            let batch = tx
                .query_row(
                    "SELECT id, agreement_id, from_position, to_position, attempts, last_error,
                            parked_at, replayed_at
                     FROM webhook_parked WHERE id = ?1 AND replayed_at IS NULL",
                    [id],
                    parked_row,
                )
                .optional()?;
            if batch.is_some() {
                tx.execute(
                    "UPDATE webhook_parked SET replayed_at = ?2 WHERE id = ?1",
                    params![id, now.clone()],
                )?;
            }
            tx.commit()?;
            Ok(batch)
        }))
    }

    fn create_org<'a>(
        &'a self,
        kind: OrgKind,
        code: &'a str,
        name: &'a str,
    ) -> BoxFut<'a, Result<Org>> {
        let now = self.now();
        let (code, name) = (code.to_owned(), name.to_owned());
        Box::pin(self.admin(move |conn| {
            let exists: Option<i64> = conn
                .query_row(
                    "SELECT id FROM orgs WHERE kind = ?1 AND code = ?2",
                    params![kind.as_str(), code],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::OrgExists(format!("{kind}:{code}")));
            }
            conn.execute(
                "INSERT INTO orgs (kind, code, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![kind.as_str(), code, name, now.clone()],
            )?;
            Ok(Org {
                id: conn.last_insert_rowid(),
                kind,
                code,
                name,
            })
        }))
    }

    fn orgs(&self) -> BoxFut<'_, Result<Vec<Org>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt =
                    c.prepare_cached("SELECT id, kind, code, name FROM orgs ORDER BY kind, code")?;
                let rows = stmt.query_map([], row_to_org)?;
                rows.map(|r| to_org(r?)).collect()
            })
        })
    }

    fn create_token<'a>(
        &'a self,
        code: &'a str,
        kind: Option<OrgKind>,
    ) -> BoxFut<'a, Result<String>> {
        let new = NewAgreement {
            org_code: code.to_owned(),
            org_kind: kind,
            state: AgreementState::Active,
            processors: Vec::new(),
            may_write: vec!["*".into()],
            may_read: vec!["*".into()],
            valid_from: None,
            valid_to: None,
            reason: "fdg token create (active agreement with one token)".into(),
        };
        Box::pin(async move {
            let (_, token) = self.create_agreement(new, "cli").await?;
            Ok(token)
        })
    }

    fn create_agreement<'a>(
        &'a self,
        new: NewAgreement,
        by: &'a str,
    ) -> BoxFut<'a, Result<(Agreement, String)>> {
        let now = self.now();
        let by = by.to_owned();
        Box::pin(self.admin(move |conn| {
            let tx = conn.transaction()?;
            let org = find_org(&tx, &new.org_code, new.org_kind)?;
            let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "INSERT INTO agreements (org_id, state, processors, may_write, may_read,
                                         valid_from, valid_to, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    org.id,
                    new.state.as_str(),
                    json(&new.processors),
                    json(&new.may_write),
                    json(&new.may_read),
                    new.valid_from.map(|d| d.to_string()),
                    new.valid_to.map(|d| d.to_string()),
                    now.clone()
                ],
            )?;
            let id = tx.last_insert_rowid();
            record_change(&tx, id, None, new.state, &new.reason, &by, &now)?;
            let token = insert_token(&tx, id, org.id, &now)?;
            let agreement = load_agreement(&tx, id)?.ok_or(StoreError::NoSuchAgreement(id))?;
            tx.commit()?;
            Ok((agreement, token))
        }))
    }

    fn change_agreement<'a>(
        &'a self,
        id: i64,
        action: AgreementAction,
        reason: &'a str,
        by: &'a str,
    ) -> BoxFut<'a, Result<Agreement>> {
        let (reason, by) = (reason.to_owned(), by.to_owned());
        let now = self.now();
        let changed = self.admin(move |conn| {
            let tx = conn.transaction()?;
            let current = load_agreement(&tx, id)?.ok_or(StoreError::NoSuchAgreement(id))?;
            let to = action
                .apply(current.state)
                .map_err(StoreError::InvalidTransition)?;
            tx.execute(
                "UPDATE agreements SET state = ?1 WHERE id = ?2",
                params![to.as_str(), id],
            )?;
            record_change(&tx, id, Some(current.state), to, &reason, &by, &now)?;
            let agreement = load_agreement(&tx, id)?.ok_or(StoreError::NoSuchAgreement(id))?;
            tx.commit()?;
            Ok(agreement)
        });
        Box::pin(async move {
            let changed = changed.await;
            self.forget_credentials();
            changed
        })
    }

    fn agreement(&self, id: i64) -> BoxFut<'_, Result<Option<AgreementHistory>>> {
        Box::pin(async move {
            self.read(|c| {
                let Some(a) = load_agreement(c, id)? else {
                    return Ok(None);
                };
                let mut stmt = c.prepare_cached(
                    "SELECT from_state, to_state, reason, changed_by, changed_at
                     FROM agreement_changes WHERE agreement_id = ?1 ORDER BY id",
                )?;
                let rows = stmt.query_map([id], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        time_column(r, 4)?,
                    ))
                })?;
                let mut changes = Vec::new();
                for row in rows {
                    let (from, to, reason, changed_by, changed_at) = row?;
                    changes.push(AgreementChange {
                        from: from.map(|f| state_of(&f)).transpose()?,
                        to: state_of(&to)?,
                        reason,
                        changed_by,
                        changed_at,
                    });
                }
                Ok(Some((a, changes)))
            })
        })
    }

    fn agreements(&self) -> BoxFut<'_, Result<Vec<Agreement>>> {
        Box::pin(async move {
            self.read(|c| {
                let ids: Vec<i64> = c
                    .prepare_cached("SELECT id FROM agreements ORDER BY id")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.extend(load_agreement(c, id)?);
                }
                Ok(out)
            })
        })
    }

    fn issue_token(&self, agreement_id: i64) -> BoxFut<'_, Result<String>> {
        let now = self.now();
        Box::pin(self.admin(move |conn| {
            let tx = conn.transaction()?;
            let a = load_agreement(&tx, agreement_id)?
                .ok_or(StoreError::NoSuchAgreement(agreement_id))?;
            if a.state == AgreementState::Terminated {
                return Err(StoreError::InvalidTransition(
                    "a terminated agreement gets no new tokens".into(),
                ));
            }
            let token = insert_token(&tx, agreement_id, a.org.id, &now)?;
            tx.commit()?;
            Ok(token)
        }))
    }

    fn revoke_token(&self, token_id: i64) -> BoxFut<'_, Result<bool>> {
        let now = self.now();
        let revoked = self.admin(move |conn| {
            let n = conn.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now.clone(), token_id],
            )?;
            Ok(n == 1)
        });
        Box::pin(async move {
            let revoked = revoked.await;
            self.forget_credentials();
            revoked
        })
    }

    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFut<'a, Result<Option<Principal>>> {
        Box::pin(async move {
            let hash = token_hash(token);
            let now = std::time::Instant::now();
            if let Some((at, p)) = self
                .inner
                .credentials
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&hash)
                && now.duration_since(*at) < CREDENTIAL_TTL
            {
                return Ok(Some(p.clone()));
            }
            let generation = CREDENTIAL_GENERATION.load(std::sync::atomic::Ordering::SeqCst);
            let found = self.read(|c| {
                let row: Option<(i64, i64)> = c
                    .prepare_cached(
                        "SELECT id, agreement_id FROM tokens
                         WHERE token_hash = ?1 AND revoked_at IS NULL",
                    )?
                    .query_row([&hash[..]], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let Some((token_id, agreement_id)) = row else {
                    return Ok(None);
                };
                let agreement = load_agreement(c, agreement_id)?
                    .ok_or(StoreError::NoSuchAgreement(agreement_id))?;
                Ok(Some(Principal {
                    org: agreement.org.clone(),
                    token_id,
                    agreement,
                }))
            })?;
            if let Some(p) = found.as_ref().filter(|_| {
                CREDENTIAL_GENERATION.load(std::sync::atomic::Ordering::SeqCst) == generation
            }) {
                let mut cache = self
                    .inner
                    .credentials
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if cache.len() > 10_000 {
                    cache.clear();
                }
                cache.insert(hash, (now, p.clone()));
            }
            Ok(found)
        })
    }

    fn add_certificate<'a>(
        &'a self,
        agreement_id: i64,
        fingerprint: &'a str,
        subject: &'a str,
    ) -> BoxFut<'a, Result<()>> {
        let now = self.now();
        let (fingerprint, subject) = (fingerprint.to_lowercase(), subject.to_owned());
        Box::pin(self.admin(move |conn| {
            let tx = conn.transaction()?;
            load_agreement(&tx, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
            tx.execute(
                "INSERT INTO agreement_certificates (fingerprint, agreement_id, subject, added_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (fingerprint) DO UPDATE SET agreement_id = excluded.agreement_id,
                   subject = excluded.subject, added_at = excluded.added_at, revoked_at = NULL",
                params![fingerprint, agreement_id, subject, now.clone()],
            )?;
            tx.commit()?;
            Ok(())
        }))
    }

    fn authenticate_certificate<'a>(
        &'a self,
        fingerprint: &'a str,
    ) -> BoxFut<'a, Result<Option<Principal>>> {
        Box::pin(async move {
            let fingerprint = fingerprint.to_lowercase();
            self.read(|c| {
                let row: Option<i64> = c
                    .prepare_cached(
                        "SELECT agreement_id FROM agreement_certificates
                         WHERE fingerprint = ?1 AND revoked_at IS NULL",
                    )?
                    .query_row([&fingerprint], |r| r.get(0))
                    .optional()?;
                let Some(agreement_id) = row else {
                    return Ok(None);
                };
                let agreement = load_agreement(c, agreement_id)?
                    .ok_or(StoreError::NoSuchAgreement(agreement_id))?;
                Ok(Some(Principal {
                    org: agreement.org.clone(),
                    token_id: 0,
                    agreement,
                }))
            })
        })
    }

    fn create_user<'a>(
        &'a self,
        org_code: &'a str,
        org_kind: Option<OrgKind>,
        role: Role,
        name: &'a str,
        username: Option<&'a str>,
    ) -> BoxFut<'a, Result<(User, String)>> {
        let now = self.now();
        let (org_code, name) = (org_code.to_owned(), name.trim().to_owned());
        let username = username.map_or_else(|| username_from(&name), |u| u.trim().to_lowercase());
        Box::pin(async move {
            if name.is_empty() || username.is_empty() {
                return Err(StoreError::InvalidUser("a user needs a name".into()));
            }
            let password = one_time_password();
            let hash = hash_password(password.clone()).await?;
            let user = self
                .admin(move |conn| {
                    let tx = conn.transaction()?;
                    let org = find_org(&tx, &org_code, org_kind)?;
                    if !role.fits(org.kind) {
                        return Err(StoreError::InvalidUser(format!(
                            "a user of a {} cannot have the role {role}",
                            org.kind
                        )));
                    }
                    let taken: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
                        [&username],
                        |r| r.get(0),
                    )?;
                    if taken {
                        return Err(StoreError::InvalidUser(format!(
                            "the username {username} is taken; give another with --username"
                        )));
                    }
                    tx.execute(
                        "INSERT INTO users (org_id, username, name, role, password_hash,
                                            must_change_password, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
                        params![org.id, username, name, role.as_str(), hash, now.clone()],
                    )?;
                    let id = tx.last_insert_rowid();
                    tx.commit()?;
                    Ok(User {
                        id,
                        org,
                        username,
                        name,
                        role,
                        must_change_password: true,
                    })
                })
                .await?;
            Ok((user, password))
        })
    }

    fn login<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFut<'a, Result<Option<User>>> {
        Box::pin(async move {
            let username = username.trim().to_lowercase();
            let found = self.read(|c| {
                let row = c
                    .prepare_cached(
                        "SELECT u.id, u.password_hash FROM users u
                         WHERE u.username = ?1 AND u.disabled_at IS NULL",
                    )?
                    .query_row([&username], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                    })
                    .optional()?;
                Ok(row)
            })?;
            // Verify against a dummy hash when the user is unknown, so timing does not tell.
            let (id, hash) = match found {
                Some((id, Some(hash))) => (Some(id), Some(hash)),
                _ => (None, None),
            };
            let ok = verify_password(password.to_owned(), hash).await?;
            match (ok, id) {
                (true, Some(id)) => self.read(|c| load_user(c, id)),
                _ => Ok(None),
            }
        })
    }

    fn set_password<'a>(&'a self, user_id: i64, password: &'a str) -> BoxFut<'a, Result<()>> {
        let password = password.to_owned();
        Box::pin(async move {
            if password.chars().count() < 12 {
                return Err(StoreError::InvalidUser(
                    "a password needs at least 12 characters".into(),
                ));
            }
            let hash = hash_password(password).await?;
            self.admin(move |conn| {
                conn.execute(
                    "UPDATE users SET password_hash = ?1, must_change_password = 0 WHERE id = ?2",
                    params![hash, user_id],
                )?;
                Ok(())
            })
            .await
        })
    }

    fn create_session(&self, user_id: i64, expires_at: Timestamp) -> BoxFut<'_, Result<String>> {
        let now = self.now();
        Box::pin(async move {
            let id = random_hex(32);
            let csrf = random_hex(16);
            let hash = token_hash(&id);
            self.admin(move |conn| {
                conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now.clone()])?;
                conn.execute(
                    "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        &hash[..],
                        user_id,
                        csrf,
                        now.clone(),
                        expires_at.to_string()
                    ],
                )?;
                Ok(())
            })
            .await?;
            Ok(id)
        })
    }

    fn session<'a>(&'a self, id: &'a str, now: Timestamp) -> BoxFut<'a, Result<Option<Session>>> {
        Box::pin(async move {
            let hash = token_hash(id);
            self.read(|c| {
                let row = c
                    .prepare_cached(
                        "SELECT s.user_id, s.csrf, s.expires_at FROM sessions s
                         JOIN users u ON u.id = s.user_id
                         WHERE s.id_hash = ?1 AND u.disabled_at IS NULL",
                    )?
                    .query_row([&hash[..]], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .optional()?;
                let Some((user_id, csrf, expires)) = row else {
                    return Ok(None);
                };
                let expires: Timestamp = expires
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("session expiry: {e}")))?;
                if expires <= now {
                    return Ok(None);
                }
                Ok(load_user(c, user_id)?.map(|user| Session { user, csrf }))
            })
        })
    }

    fn end_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>> {
        let hash = token_hash(id);
        Box::pin(self.admin(move |conn| {
            conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [&hash[..]])?;
            Ok(())
        }))
    }

    fn end_citizen_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>> {
        let hash = token_hash(id);
        Box::pin(self.admin(move |conn| {
            conn.execute(
                "DELETE FROM citizen_sessions WHERE id_hash = ?1",
                [&hash[..]],
            )?;
            Ok(())
        }))
    }

    fn create_citizen_session<'a>(
        &'a self,
        cpr: &'a Cpr,
        expires_at: Timestamp,
    ) -> BoxFut<'a, Result<String>> {
        let now = self.now();
        let digits = cpr.digits();
        Box::pin(async move {
            let id = random_hex(32);
            let hash = token_hash(&id);
            self.admin(move |conn| {
                conn.execute(
                    "DELETE FROM citizen_sessions WHERE expires_at < ?1",
                    [now.clone()],
                )?;
                conn.execute(
                    "INSERT INTO citizen_sessions (id_hash, cpr, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![&hash[..], digits, now.clone(), expires_at.to_string()],
                )?;
                Ok(())
            })
            .await?;
            Ok(id)
        })
    }

    fn citizen_session<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Option<Cpr>>> {
        Box::pin(async move {
            let hash = token_hash(id);
            self.read(|c| {
                let row = c
                    .prepare_cached(
                        "SELECT cpr, expires_at FROM citizen_sessions WHERE id_hash = ?1",
                    )?
                    .query_row([&hash[..]], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .optional()?;
                let Some((cpr, expires)) = row else {
                    return Ok(None);
                };
                let expires: Timestamp = expires
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("session expiry: {e}")))?;
                if expires <= now {
                    return Ok(None);
                }
                Cpr::parse(&cpr)
                    .map(Some)
                    .map_err(|_| StoreError::Corrupt("citizen session cpr".into()))
            })
        })
    }

    fn rebuild(&self) -> BoxFut<'_, Result<u64>> {
        let params = self.inner.supervision;
        Box::pin(self.admin(move |conn| rebuild(conn, &params)))
    }

    fn supervision<'a>(
        &'a self,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>> {
        Box::pin(async move { self.read(|c| crate::supervision::read(c, query)) })
    }

    fn supervision_replay<'a>(
        &'a self,
        position: u64,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>> {
        let params = self.inner.supervision;
        Box::pin(
            async move { self.read(|c| crate::supervision::replay(c, position, &params, query)) },
        )
    }

    fn ping(&self) -> BoxFut<'_, Result<()>> {
        Box::pin(async move {
            self.read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))?;
                Ok(())
            })
        })
    }
}
