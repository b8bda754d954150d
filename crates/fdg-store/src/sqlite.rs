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

use fdg_domain::view::PersonOverview;
use fdg_domain::{Context, Cpr, EventMeta, OrgKind, PersonState, decide};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use crate::{
    Accepted, Appended, BoxFut, Org, PersonRecord, Principal, Remark, Result, Store, StoreContext,
    StoreError, StoredEvent, WriteOutcome, WriteRequest, migrate, random_hex, token_hash,
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

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    jobs: mpsc::Sender<Job>,
    writer: Option<std::thread::JoinHandle<()>>,
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
}

impl SqliteOptions {
    /// The database file inside a data directory.
    pub fn in_dir(dir: &Path) -> Self {
        SqliteOptions {
            path: dir.join("fdg.db"),
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

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    common(&conn)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -16384;")?;
    Ok(conn)
}

/// Opens (creating if needed) the database and applies migrations, without starting a writer.
/// Used by `fdg migrate`. Returns the number of migrations applied.
pub fn migrate(opts: &SqliteOptions) -> Result<usize> {
    if let Some(dir) = opts.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open(&opts.path)?;
    configure(&conn)?;
    migrate::run(&mut conn, migrate::SQLITE)
}

impl SqliteStore {
    /// Opens the store: creates the file and applies migrations if needed, starts the writer.
    pub fn open(opts: &SqliteOptions, ctx: StoreContext) -> Result<Self> {
        if let Some(dir) = opts.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(&opts.path)?;
        configure(&conn)?;
        migrate::run(&mut conn, migrate::SQLITE)?;
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
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("fdg-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, ctx, tick, wal_frames))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: opts.path.clone(),
                readers: Mutex::new(Vec::new()),
                jobs: tx,
                writer: Some(writer),
            }),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.inner.path)?,
        };
        let out = f(&conn);
        self.inner
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
        out
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

fn writer_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    ctx: StoreContext,
    tick: std::sync::mpsc::SyncSender<()>,
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
) {
    let mut batch: Vec<(Box<WriteRequest>, Reply<WriteOutcome>)> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(req, reply) => batch.push((req, reply)),
                Job::Admin(f) => {
                    run_batch(&mut conn, &mut batch, &ctx);
                    f(&mut conn);
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        run_batch(&mut conn, &mut batch, &ctx);
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
    ctx: &StoreContext,
) {
    if batch.is_empty() {
        return;
    }
    let size = batch.len();
    let mut answers: Vec<(Reply<WriteOutcome>, Result<WriteOutcome>)> = Vec::with_capacity(size);
    let result = (|| -> Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = ctx.clock.now();
        let today = ctx.clock.today();
        for (req, reply) in batch.drain(..) {
            // A savepoint per command: a refused or failed command leaves no trace, and its
            // neighbours in the batch are unaffected.
            tx.prepare_cached("SAVEPOINT command")?.execute([])?;
            let outcome = process(&tx, &req, ctx, now, today);
            let keep = matches!(&outcome, Ok(WriteOutcome::Accepted(a)) if !a.dry_run);
            if !keep {
                tx.prepare_cached("ROLLBACK TO command")?.execute([])?;
            }
            tx.prepare_cached("RELEASE command")?.execute([])?;
            answers.push((reply, outcome));
        }
        tx.commit()?;
        Ok(())
    })();
    metrics::histogram!("fdg_write_batch_size").record(size as f64);
    match result {
        Ok(()) => {
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
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(StoreError::Corrupt(format!("batch failed: {msg}"))));
            }
        }
    }
}

fn load_state(conn: &Connection, sql: &str, key: &str) -> Result<Option<(String, PersonState)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(sql)?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(id, json)| {
        serde_json::from_str(&json)
            .map(|s| (id, s))
            .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))
    })
    .transpose()
}

fn process(
    conn: &Connection,
    req: &WriteRequest,
    ctx: &StoreContext,
    now: jiff::Timestamp,
    today: jiff::civil::Date,
) -> Result<WriteOutcome> {
    if let Some(idem) = &req.idempotency {
        let saved: Option<(Vec<u8>, String)> = conn
            .prepare_cached(
                "SELECT request_hash, outcome FROM idempotency WHERE scope = ?1 AND key = ?2",
            )?
            .query_row(params![idem.scope, idem.key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((hash, outcome)) = saved {
            if hash != idem.request_hash {
                return Ok(WriteOutcome::IdempotencyMismatch);
            }
            let accepted: Accepted = serde_json::from_str(&outcome)
                .map_err(|e| StoreError::Corrupt(format!("idempotency outcome: {e}")))?;
            return Ok(WriteOutcome::Replayed(accepted));
        }
    }
    let found = match (req.command.cpr(), &req.person_id) {
        (Some(text), _) => match Cpr::parse(text) {
            Ok(cpr) => load_state(
                conn,
                "SELECT person_id, state FROM persons WHERE cpr = ?1",
                &cpr.digits(),
            )?,
            Err(_) => None,
        },
        (None, Some(id)) => {
            match load_state(
                conn,
                "SELECT person_id, state FROM persons WHERE person_id = ?1",
                id,
            )? {
                Some(found) => Some(found),
                None => return Ok(WriteOutcome::PersonNotFound),
            }
        }
        (None, None) => return Ok(WriteOutcome::PersonNotFound),
    };
    let (person_id, mut state) =
        found.unwrap_or_else(|| (new_person_id(now), PersonState::default()));
    if let Some(expected) = req.expected_version
        && expected != state.version
    {
        return Ok(WriteOutcome::Conflict {
            current: state.version,
        });
    }
    let decision = match decide(
        &state,
        &req.command,
        Context {
            actor: &req.actor,
            clock: fdg_domain::Clock { today },
            codes: &ctx.codes,
        },
    ) {
        Ok(d) => d,
        Err(violations) => return Ok(WriteOutcome::Rejected(violations)),
    };
    let warnings: Vec<Remark> = decision
        .warnings
        .iter()
        .map(|w| Remark {
            rule: w.rule.id.to_owned(),
            field: w.field.clone(),
        })
        .collect();
    if req.dry_run {
        return Ok(WriteOutcome::Accepted(Accepted {
            person_id,
            version: state.version + decision.events.len() as u64,
            events: Vec::new(),
            warnings,
            dry_run: true,
        }));
    }
    let org = req.actor.label();
    let recorded_at = now.to_string();
    let mut appended = Vec::with_capacity(decision.events.len());
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO events (person_id, version, type, data, recorded_at, org)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for event in &decision.events {
            let meta = EventMeta {
                version: state.version + 1,
                recorded_at: now,
                recorded_by: org.clone(),
            };
            state.apply(&meta, event);
            let data = serde_json::to_string(event)
                .map_err(|e| StoreError::Corrupt(format!("event: {e}")))?;
            insert.execute(params![
                person_id,
                meta.version as i64,
                event.type_name(),
                data,
                recorded_at,
                org
            ])?;
            appended.push(Appended {
                position: conn.last_insert_rowid() as u64,
                version: meta.version,
                r#type: event.type_name().to_owned(),
            });
        }
    }
    save_person(conn, &person_id, &state)?;
    let accepted = Accepted {
        person_id,
        version: state.version,
        events: appended,
        warnings,
        dry_run: false,
    };
    if let Some(idem) = &req.idempotency {
        let json = serde_json::to_string(&accepted)
            .map_err(|e| StoreError::Corrupt(format!("outcome: {e}")))?;
        conn.prepare_cached(
            "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            idem.scope,
            idem.key,
            &idem.request_hash[..],
            json,
            recorded_at
        ])?;
    }
    Ok(WriteOutcome::Accepted(accepted))
}

/// A new opaque person id: `p`, the creation time in milliseconds and 32 random bits, in hex.
/// Ids of persons created together sort together, so new persons are appended to the indexes
/// instead of touching a random page each (write amplification), and nothing about the person
/// can be read from the id.
fn new_person_id(now: jiff::Timestamp) -> String {
    let ms = u64::try_from(now.as_millisecond()).unwrap_or_default();
    format!("p{ms:012x}{}", random_hex(4))
}

/// Writes the person projection row.
fn save_person(conn: &Connection, person_id: &str, state: &PersonState) -> Result<()> {
    let Some(cpr) = &state.cpr else {
        return Err(StoreError::Corrupt(format!(
            "person {person_id} has events but no identity"
        )));
    };
    let overview = PersonOverview::build(person_id, state)
        .ok_or_else(|| StoreError::Corrupt("overview".into()))?;
    let state_json =
        serde_json::to_string(state).map_err(|e| StoreError::Corrupt(format!("state: {e}")))?;
    let overview_json = serde_json::to_string(&overview)
        .map_err(|e| StoreError::Corrupt(format!("overview: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO persons (person_id, cpr, version, state, overview)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (person_id) DO UPDATE SET
           cpr = excluded.cpr, version = excluded.version,
           state = excluded.state, overview = excluded.overview",
    )?
    .execute(params![
        person_id,
        cpr.digits(),
        state.version as i64,
        state_json,
        overview_json
    ])?;
    Ok(())
}

fn rebuild(conn: &mut Connection) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut states: HashMap<String, PersonState> = HashMap::new();
    let mut count = 0u64;
    {
        let mut stmt = tx.prepare(
            "SELECT person_id, version, data, recorded_at, org FROM events ORDER BY position",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let person_id: String = r.get(0)?;
            let version: i64 = r.get(1)?;
            let data: String = r.get(2)?;
            let recorded_at: String = r.get(3)?;
            let event: fdg_domain::Event = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("event {person_id}.{version}: {e}")))?;
            let meta = EventMeta {
                version: version as u64,
                recorded_at: recorded_at
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?,
                recorded_by: r.get(4)?,
            };
            states.entry(person_id).or_default().apply(&meta, &event);
            count += 1;
        }
    }
    tx.execute("DELETE FROM persons", [])?;
    for (person_id, state) in &states {
        save_person(&tx, person_id, state)?;
    }
    tx.commit()?;
    Ok(count)
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
                Ok(c.prepare_cached(
                    "SELECT person_id, version, overview FROM persons WHERE cpr = ?1",
                )?
                .query_row([cpr.digits()], |r| {
                    Ok(PersonRecord {
                        person_id: r.get(0)?,
                        version: r.get::<_, i64>(1)? as u64,
                        overview_json: r.get(2)?,
                    })
                })
                .optional()?)
            })
        })
    }

    fn person<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Option<PersonRecord>>> {
        Box::pin(async move {
            self.read(|c| {
                Ok(c.prepare_cached(
                    "SELECT person_id, version, overview FROM persons WHERE person_id = ?1",
                )?
                .query_row([person_id], |r| {
                    Ok(PersonRecord {
                        person_id: r.get(0)?,
                        version: r.get::<_, i64>(1)? as u64,
                        overview_json: r.get(2)?,
                    })
                })
                .optional()?)
            })
        })
    }

    fn events_after(&self, after: u64, limit: u32) -> BoxFut<'_, Result<Vec<StoredEvent>>> {
        Box::pin(async move {
            self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT position, person_id, version, type, data, recorded_at, org
                     FROM events WHERE position > ?1 ORDER BY position LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after as i64, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (position, person_id, version, r#type, data_json, at, org) = row?;
                    out.push(StoredEvent {
                        position: position as u64,
                        person_id,
                        version: version as u64,
                        r#type,
                        data_json,
                        recorded_at: at
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?,
                        org,
                    });
                }
                Ok(out)
            })
        })
    }

    fn create_org<'a>(
        &'a self,
        kind: OrgKind,
        code: &'a str,
        name: &'a str,
    ) -> BoxFut<'a, Result<Org>> {
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
                params![
                    kind.as_str(),
                    code,
                    name,
                    jiff::Timestamp::now().to_string()
                ],
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
        let code = code.to_owned();
        Box::pin(self.admin(move |conn| {
            let mut stmt = conn.prepare("SELECT id, kind FROM orgs WHERE code = ?1")?;
            let candidates: Vec<(i64, String)> = stmt
                .query_map([&code], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            let matching: Vec<i64> = candidates
                .into_iter()
                .filter(|(_, k)| kind.is_none_or(|want| want.as_str() == k))
                .map(|(id, _)| id)
                .collect();
            let [org_id] = matching[..] else {
                return Err(StoreError::NoSuchOrg(if matching.is_empty() {
                    code
                } else {
                    format!("{code} (several kinds share it: give --kind)")
                }));
            };
            let token = format!("fdg_{}", random_hex(20));
            conn.execute(
                "INSERT INTO tokens (org_id, token_hash, created_at) VALUES (?1, ?2, ?3)",
                params![
                    org_id,
                    &token_hash(&token)[..],
                    jiff::Timestamp::now().to_string()
                ],
            )?;
            Ok(token)
        }))
    }

    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFut<'a, Result<Option<Principal>>> {
        Box::pin(async move {
            let hash = token_hash(token);
            self.read(|c| {
                let row = c
                    .prepare_cached(
                        "SELECT t.id, o.id, o.kind, o.code, o.name FROM tokens t
                         JOIN orgs o ON o.id = t.org_id
                         WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
                    )?
                    .query_row([&hash[..]], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                        ))
                    })
                    .optional()?;
                row.map(|(token_id, org)| {
                    Ok(Principal {
                        org: to_org(org)?,
                        token_id,
                    })
                })
                .transpose()
            })
        })
    }

    fn rebuild(&self) -> BoxFut<'_, Result<u64>> {
        Box::pin(self.admin(rebuild))
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
