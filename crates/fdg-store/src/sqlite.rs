//! The embedded SQLite backend.
//!
//! - One writer thread owns the only write connection (WAL, `synchronous=FULL`: an acknowledged
//!   write survives power loss) and runs the shared writer (`writer.rs`): group commit, one
//!   savepoint per command.
//! - Readers use a pool of read-only connections and never wait for the writer.
//! - With a single writer, the global event position (the rowid) is allocated in commit order,
//!   so a feed reader can never skip an event that commits later with a smaller position.
//! - Checkpoints run on their own thread, off the writer's path.

use std::borrow::Borrow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fdg_domain::supervision::Params;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::Unavailable;
use crate::registry::{Backend, Registry};
use crate::sql::{Begin, Db, Param, RowRef, args};
use crate::writer::{Decider, WriterHandle, WriterHooks};
use crate::{BoxFut, Result, StoreContext, StoreError};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Unavailable(Unavailable::DiskFull),
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::Unavailable(Unavailable::ReadOnly),
            _ => StoreError::Database(Box::new(e)),
        }
    }
}

/// The SQLite store: the registry's [`Registry`] on [`Sqlite`].
pub type SqliteStore = Registry<Sqlite>;

/// The SQLite side of the store: the writer and the readers.
pub struct Sqlite {
    readers: crate::pool::ReaderPool,
    writer: WriterHandle,
}

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// The supervision indicators' counting parameters.
    pub supervision: Params,
    /// Write requests that may wait for the writer before more are refused as overloaded.
    pub write_queue: usize,
}

impl SqliteOptions {
    /// The database file inside a data directory.
    pub fn in_dir(dir: &Path) -> Self {
        SqliteOptions {
            path: dir.join("fdg.db"),
            supervision: Params::default(),
            write_queue: crate::writer::DEFAULT_WRITE_QUEUE,
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
        let mut db = SqliteDb(conn);
        let conn_db: &mut dyn Db = &mut db;
        // What the match categories mean comes from the code lists the store decides with.
        let supervision = opts.supervision.with_codes(&ctx.codes);
        // Projections written before a column existed are rebuilt from the log.
        let stale = conn_db
            .query_opt(
                "SELECT person_id FROM persons WHERE scope IS NULL LIMIT 1",
                args![],
                |r| r.string(0),
            )?
            .is_some();
        if stale {
            let n = crate::ops::rebuild(conn_db, &supervision)?;
            tracing::info!(events = n, "rebuilt projections after a migration");
        }
        // Supervision sums made under other definitions or parameters are made anew.
        if conn_db.transaction(Begin::Write, |db| {
            crate::supervision::ensure_current(db, &supervision)
        })? {
            tracing::info!(
                params = %supervision.describe(),
                "recomputed the supervision figures"
            );
        }
        // Worklist days derived under other rules are derived anew.
        if conn_db.transaction(Begin::Write, |db| {
            crate::worklist::ensure_current(db, &supervision)
        })? {
            tracing::info!("derived the worklist days afresh");
        }
        // Checkpoints run on their own thread and connection, so the writer's commits do not
        // wait for the database file to be written and synced.
        db.0.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;")?;
        let checkpointer = Connection::open(&opts.path)?;
        common(&checkpointer)?;
        let (tick, ticks) = std::sync::mpsc::sync_channel::<()>(1);
        let wal_frames = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let frames = wal_frames.clone();
        std::thread::Builder::new()
            .name("fdg-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, ticks, frames))?;
        let head = crate::ops::head(&mut db)?.map_or(0, |(p, _)| p);
        let clock = ctx.clock.clone();
        let params = supervision;
        let writer = WriterHandle::start(
            "fdg-sqlite-writer",
            db,
            head,
            Decider { ctx, params },
            Checkpoints { tick, wal_frames },
            crate::writer::Savepoints,
            opts.write_queue,
        )?;
        let backend = Sqlite {
            readers: crate::pool::ReaderPool::new(&opts.path, Box::new(reader_setup)),
            writer,
        };
        let credentials = Arc::new(crate::registry::CredentialCache::new(true));
        Ok(Registry::new(backend, clock, params, credentials))
    }
}

impl Backend for Sqlite {
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>> {
        Box::pin(async move { self.readers.read(|c| f(&mut SqliteDb(c))) })
    }

    fn writer(&self) -> &WriterHandle {
        &self.writer
    }

    /// One process serves the file; the CLI's changes (another process) count within a second.
    const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(1);
}

/// The writer's checkpoint duties: wake the checkpoint thread after writes, finish a long
/// checkpoint between transactions, leave a small WAL on shutdown.
struct Checkpoints {
    tick: std::sync::mpsc::SyncSender<()>,
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
}

impl WriterHooks for Checkpoints {
    fn after_round(&mut self, db: &mut dyn Db) {
        // The background checkpoint has copied nearly everything; finishing it here, between
        // two transactions, lets the next transaction restart the WAL.
        if self.wal_frames.load(std::sync::atomic::Ordering::Relaxed) > WAL_RESTART_FRAMES {
            self.wal_frames
                .store(0, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) =
                db.query_each("PRAGMA wal_checkpoint(PASSIVE)", args![], &mut |_| Ok(()))
            {
                tracing::warn!(error = %e, "writer checkpoint failed");
            }
        }
        let _ = self.tick.try_send(());
    }

    fn on_stop(&mut self, db: &mut dyn Db) {
        let _ = db.query_each("PRAGMA wal_checkpoint(TRUNCATE)", args![], &mut |_| Ok(()));
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

/// A SQLite connection (owned by the writer, or lent by the reader pool) as a [`Db`].
pub(crate) struct SqliteDb<C>(pub C);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Int(v) => ToSqlOutput::from(v),
            Param::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Param::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Param::Bool(v) => ToSqlOutput::from(v),
        })
    }
}

impl<C: Borrow<Connection>> Db for SqliteDb<C> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let conn = self.0.borrow();
        let n = conn
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(n as u64)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn RowRef) -> Result<()>,
    ) -> Result<()> {
        let conn = self.0.borrow();
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(row) = rows.next()? {
            each(&SqliteRow(row))?;
        }
        Ok(())
    }

    fn begin(&mut self, mode: Begin) -> Result<()> {
        let sql = match mode {
            Begin::Write => "BEGIN IMMEDIATE",
            Begin::Snapshot => "BEGIN DEFERRED",
        };
        Ok(self.0.borrow().execute_batch(sql)?)
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.0.borrow().execute_batch("COMMIT")?)
    }

    fn savepoint(&mut self, statements: &str) -> Result<()> {
        let conn = self.0.borrow();
        for statement in statements
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            conn.prepare_cached(statement)?.execute([])?;
        }
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        Ok(self.0.borrow().execute_batch("ROLLBACK")?)
    }
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>);

fn column_type(i: usize, e: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Corrupt(format!("column {i}: {e}"))
}

impl RowRef for SqliteRow<'_, '_> {
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.0.get(i)?)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.get(i)?)
    }

    fn text(&self, i: usize) -> Result<&str> {
        self.0.get_ref(i)?.as_str().map_err(|e| column_type(i, e))
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        self.0
            .get_ref(i)?
            .as_str_or_null()
            .map_err(|e| column_type(i, e))
    }

    fn bytes(&self, i: usize) -> Result<&[u8]> {
        self.0.get_ref(i)?.as_blob().map_err(|e| column_type(i, e))
    }

    fn boolean(&self, i: usize) -> Result<bool> {
        Ok(self.0.get(i)?)
    }
}
