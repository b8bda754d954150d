//! The PostgreSQL backend, for several stateless fdg nodes on one database.
//!
//! - Each node runs the shared writer (`writer.rs`) on one connection: group commit, with a
//!   batch's persons read ahead and its writes held until the end of the batch, then written
//!   one statement per table (`postgres/batch.rs`). Every write transaction first takes the registry's
//!   advisory lock (`WRITE_LOCK`) and holds it until it commits, so the writers of all nodes
//!   take turns. Event positions are numbered inside that locked transaction, on from the
//!   newest committed one: a position is allocated only after every smaller one has
//!   committed, so positions become visible in order and a feed reader paging by position
//!   never skips an event that commits later.
//! - Person reads, the hot read, run on the async runtime itself over a few `tokio-postgres`
//!   connections, queries pipelined on each (`AsyncReads`): no thread hop. Every other read
//!   runs on a few reader threads, each with its own connection, outside the async runtime
//!   (the synchronous client runs a small runtime of its own).
//! - A node learns of other nodes' commits through `LISTEN`/`NOTIFY` on one connection of its
//!   own: each write batch notifies `fdg_head` with its newest position as it commits (long
//!   polls on every node wake on it), and each change of an agreement or token notifies
//!   `fdg_credentials`, on which every node forgets the credentials it cached. While that
//!   connection is down, a node caches no credential and polls the newest position twice a
//!   second; on reconnecting it forgets what it cached, since it may have missed a change.
//!
//! The driver is the synchronous `postgres` crate (rust-postgres, the de-facto PostgreSQL
//! client of the Rust ecosystem): the writer and the shared pipeline are synchronous, as on
//! SQLite, so one set of queries (`ops.rs`) serves both.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use fdg_domain::supervision::Params;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use tokio::sync::{oneshot, watch};

mod batch;

use crate::registry::{Backend, CredentialCache, Registry};
use crate::sql::{Begin, Db, Param, RowRef};
use crate::writer::{Decider, WriterHandle, WriterHooks};
use crate::{BoxFut, Result, StoreContext, StoreError, Unavailable};

/// The advisory lock every write transaction holds until it commits (an arbitrary constant,
/// "fdg" in ASCII).
pub(crate) const WRITE_LOCK: i64 = 0x66_64_67;

/// Connections that serve reads on one node.
const READERS: usize = 8;

/// Connections that serve person reads on one node's async runtime (queries are pipelined on
/// each, so a few keep the database's cores busy).
const ASYNC_READERS: usize = 4;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        match e.code() {
            Some(c) if *c == SqlState::DISK_FULL => StoreError::Unavailable(Unavailable::DiskFull),
            Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => {
                StoreError::Unavailable(Unavailable::ReadOnly)
            }
            // The server ended the connection (shut down, failed over, or an operator ended
            // it), or it cannot be used: the next request gets a new one.
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || c.code().starts_with("08") =>
            {
                StoreError::Unavailable(Unavailable::Disconnected)
            }
            None if e.is_closed() => StoreError::Unavailable(Unavailable::Disconnected),
            _ => StoreError::Database(Box::new(e)),
        }
    }
}

/// The PostgreSQL store: the registry's [`Registry`] on [`Postgres`].
pub type PostgresStore = Registry<Postgres>;

/// The PostgreSQL side of the store: this node's writer, readers and head watcher.
pub struct Postgres {
    readers: Readers,
    person_reads: AsyncReads,
    writer: WriterHandle,
    /// Dropping it stops the thread that listens for other nodes' commits and changes.
    _listener: std::sync::mpsc::Sender<()>,
}

/// Connects outside any async runtime (the synchronous client starts a runtime of its own,
/// which must not be started, nor dropped, inside another).
pub(crate) fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    std::thread::spawn(f)
        .join()
        .map_err(|_| StoreError::Corrupt("a database thread panicked".into()))?
}

/// Opens a connection.
pub(crate) fn connect(url: &str) -> Result<PgDb> {
    let client = Client::connect(url, NoTls)?;
    Ok(PgDb {
        client,
        statements: HashMap::new(),
        url: url.to_owned(),
    })
}

impl PostgresStore {
    /// Opens the store on the database at `url`: applies migrations if needed (one node at a
    /// time), recomputes the supervision figures if their definitions changed, starts this
    /// node's writer, readers and head watcher.
    /// `write_queue` write requests may wait for this node's writer before more are refused
    /// as overloaded.
    pub fn open(url: &str, params: Params, ctx: StoreContext, write_queue: usize) -> Result<Self> {
        // What the match categories mean comes from the code lists the store decides with.
        let params = params.with_codes(&ctx.codes);
        let owned = url.to_owned();
        let (db, head) = off_runtime(move || {
            let mut db = connect(&owned)?;
            crate::migrate::run_postgres(&mut db)?;
            let conn: &mut dyn Db = &mut db;
            if conn.transaction(Begin::Write, |db| {
                crate::supervision::ensure_current(db, &params)
            })? {
                tracing::info!(params = %params.describe(), "recomputed the supervision figures");
            }
            if conn.transaction(Begin::Write, |db| {
                crate::worklist::ensure_current(db, &params)
            })? {
                tracing::info!("derived the worklist days afresh");
            }
            let head = crate::ops::head(conn)?.map_or(0, |(p, _)| p);
            Ok((db, head))
        })?;
        let clock = ctx.clock.clone();
        let writer = WriterHandle::start(
            "fdg-pg-writer",
            db,
            head,
            Decider { ctx, params },
            NoHooks,
            batch::ReadAhead,
            write_queue,
        )?;
        let readers = Readers::start(url, READERS)?;
        let credentials = Arc::new(CredentialCache::new(false));
        let listener = listen(url, writer.head_sender(), credentials.clone())?;
        let backend = Postgres {
            readers,
            person_reads: AsyncReads::new(url, ASYNC_READERS),
            writer,
            _listener: listener,
        };
        Ok(Registry::new(backend, clock, params, credentials))
    }
}

struct NoHooks;

impl WriterHooks for NoHooks {}

/// The channel a write batch notifies with its newest position.
pub(crate) const HEAD_CHANNEL: &str = "fdg_head";
/// The channel a change of an agreement or token is notified on.
const CREDENTIALS_CHANNEL: &str = "fdg_credentials";

/// Listens for other nodes' commits (moving the head) and credential changes (forgetting
/// cached credentials); polls the newest position whenever nothing arrives for half a second.
fn listen(
    url: &str,
    head: Arc<watch::Sender<u64>>,
    credentials: Arc<CredentialCache>,
) -> Result<std::sync::mpsc::Sender<()>> {
    use std::sync::mpsc::TryRecvError;
    let url = url.to_owned();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let half_a_second = std::time::Duration::from_millis(500);
    std::thread::Builder::new()
        .name("fdg-pg-listen".into())
        .spawn(move || {
            let mut db: Option<PgDb> = None;
            while let Err(TryRecvError::Empty) = stopped.try_recv() {
                let Some(conn) = db.as_mut() else {
                    db = connect(&url)
                        .and_then(|mut c| {
                            c.batch(&format!("LISTEN {HEAD_CHANNEL}; LISTEN {CREDENTIALS_CHANNEL}"))?;
                            Ok(c)
                        })
                        .inspect_err(|e| tracing::warn!(error = %e, "listening for other nodes failed; retrying"))
                        .ok();
                    if db.is_some() {
                        // Changes made while not listening are unknown: start afresh.
                        credentials.set_trusted(true);
                    } else {
                        std::thread::sleep(half_a_second);
                    }
                    continue;
                };
                let heard = (|| -> Result<()> {
                    {
                        let mut notifications = conn.client.notifications();
                        let mut iter = notifications.timeout_iter(half_a_second);
                        while let Some(n) = iter.next()? {
                            if n.channel() == CREDENTIALS_CHANNEL {
                                credentials.forget();
                            } else if let Ok(position) = n.payload().parse() {
                                crate::writer::advance(&head, position);
                            }
                            if !matches!(stopped.try_recv(), Err(TryRecvError::Empty)) {
                                return Ok(());
                            }
                        }
                    }
                    let newest = crate::ops::head(conn)?;
                    crate::writer::advance(&head, newest.map_or(0, |(p, _)| p));
                    Ok(())
                })();
                if let Err(e) = heard {
                    tracing::warn!(error = %e, "the listening connection failed; reconnecting");
                    credentials.set_trusted(false);
                    db = None;
                }
            }
        })?;
    Ok(stop)
}

type ReadJob = Box<dyn FnOnce(&mut dyn Db) + Send>;

/// Reader threads, each with its own connection, taking jobs from one queue.
pub(crate) struct Readers {
    jobs: Mutex<Option<std::sync::mpsc::Sender<ReadJob>>>,
}

impl Readers {
    pub(crate) fn start(url: &str, n: usize) -> Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel::<ReadJob>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n {
            let (rx, url) = (rx.clone(), url.to_owned());
            std::thread::Builder::new()
                .name(format!("fdg-pg-reader-{i}"))
                .spawn(move || {
                    let mut db: Option<PgDb> = None;
                    loop {
                        let job = {
                            let queue =
                                rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            match queue.recv() {
                                Ok(job) => job,
                                Err(_) => return,
                            }
                        };
                        if db.is_none() {
                            match connect(&url) {
                                Ok(c) => db = Some(c),
                                Err(e) => {
                                    tracing::error!(error = %e, "a reader could not connect");
                                    // The job's reply is dropped: the caller gets WriterGone.
                                    continue;
                                }
                            }
                        }
                        if let Some(conn) = db.as_mut() {
                            job(conn);
                            if conn.client.is_closed() {
                                db = None;
                            }
                        }
                    }
                })?;
        }
        Ok(Readers {
            jobs: Mutex::new(Some(tx)),
        })
    }

    pub(crate) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>> {
        let (reply, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |db| {
            let _ = reply.send(f(db));
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|q| q.send(job).is_ok());
        Box::pin(async move {
            if !sent {
                return Err(StoreError::WriterGone);
            }
            rx.await.map_err(|_| StoreError::WriterGone)?
        })
    }
}

/// One connection of [`AsyncReads`], with its statements prepared.
struct AsyncConn {
    client: tokio_postgres::Client,
    by_id: tokio_postgres::Statement,
    by_cpr: tokio_postgres::Statement,
}

/// Person reads on the async runtime: a few `tokio-postgres` connections, opened when first
/// needed (from inside the runtime that drives them) and again when one closes, taken in
/// turn; concurrent queries on one connection are pipelined.
pub(crate) struct AsyncReads {
    url: String,
    slots: Vec<Mutex<Option<Arc<AsyncConn>>>>,
    next: std::sync::atomic::AtomicUsize,
}

impl AsyncReads {
    fn new(url: &str, n: usize) -> Self {
        AsyncReads {
            url: url.to_owned(),
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The next connection, opened if it is not (or no longer) open.
    async fn conn(&self) -> Result<Arc<AsyncConn>> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.slots.len();
        let slot = &self.slots[i];
        let open = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .filter(|c| !c.client.is_closed());
        if let Some(conn) = open {
            return Ok(conn);
        }
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a person-read connection closed");
            }
        });
        let (by_id, by_cpr) = (
            crate::ops::PERSON_BY_ID.replace("?1", "$1"),
            crate::ops::PERSON_BY_CPR.replace("?1", "$1"),
        );
        let conn = Arc::new(AsyncConn {
            by_id: client.prepare(&by_id).await?,
            by_cpr: client.prepare(&by_cpr).await?,
            client,
        });
        *slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    /// A person's id and stored state, as [`crate::ops::person_row`] reads them.
    async fn person_row(&self, by_cpr: bool, key: String) -> Result<Option<(String, String)>> {
        let conn = self.conn().await?;
        let statement = if by_cpr { &conn.by_cpr } else { &conn.by_id };
        let row = conn.client.query_opt(statement, &[&key]).await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}

impl Backend for Postgres {
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>> {
        self.readers.run(f)
    }

    fn writer(&self) -> &WriterHandle {
        &self.writer
    }

    fn person_row(
        &self,
        by_cpr: bool,
        key: String,
    ) -> BoxFut<'_, Result<Option<(String, String)>>> {
        Box::pin(self.person_reads.person_row(by_cpr, key))
    }

    /// A suspension or revocation through any node (or the CLI) reaches every node's cache
    /// as `NOTIFY` the moment it commits; the time limit bounds only a change made in SQL
    /// by hand.
    const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(30);
}

/// A PostgreSQL connection as a [`Db`], with its prepared statements.
pub(crate) struct PgDb {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
    url: String,
}

/// `?1` → `$1`: the placeholders the queries are written with, as PostgreSQL numbers them.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl PgDb {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&numbered(sql))?;
        if self.statements.len() > 512 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Begins a write transaction holding the advisory lock `lock` until it ends, in one
    /// round trip.
    pub(crate) fn begin_locked(&mut self, lock: i64) -> Result<()> {
        Ok(self
            .client
            .batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({lock})"))?)
    }

    /// Begins a write transaction holding the registry's write lock and returns the newest
    /// committed position, read after the lock was granted (in a statement of its own, so
    /// with a snapshot taken after every earlier writer committed) — one round trip.
    pub(crate) fn begin_writing(&mut self) -> Result<i64> {
        let messages = self.client.simple_query(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK});
             SELECT coalesce(max(position), 0) FROM events"
        ))?;
        let newest = messages.iter().rev().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
            _ => None,
        });
        newest.ok_or_else(|| StoreError::Corrupt("no newest position".into()))
    }

    /// Runs a statement whose parameters are typed by the driver itself (arrays for
    /// `unnest`, `= ANY(…)`); returns the number of rows it changed.
    pub(crate) fn execute_arrays(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        let stmt = self.statement(sql)?;
        Ok(self.client.execute(&stmt, params)?)
    }

    /// Runs a query whose parameters are typed by the driver itself.
    pub(crate) fn query_arrays(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>> {
        let stmt = self.statement(sql)?;
        Ok(self.client.query(&stmt, params)?)
    }

    /// Runs several statements (migrations).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Param::Int(v) => v.to_sql(ty, out),
            Param::Text(v) => v.to_sql(ty, out),
            Param::Bytes(v) => v.to_sql(ty, out),
            Param::Bool(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Db for PgDb {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(self.client.execute(&stmt, &refs)?)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn RowRef) -> Result<()>,
    ) -> Result<()> {
        let stmt = self.statement(sql)?;
        let mut rows = self.client.query_raw(&stmt, params.iter())?;
        while let Some(row) = rows.next()? {
            each(&PgRow(&row))?;
        }
        Ok(())
    }

    fn begin(&mut self, mode: Begin) -> Result<()> {
        match mode {
            Begin::Write => self.begin_locked(WRITE_LOCK)?,
            Begin::Snapshot => self
                .client
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }

    /// One simple-protocol message, however many statements.
    fn savepoint(&mut self, statements: &str) -> Result<()> {
        Ok(self.client.batch_execute(statements)?)
    }

    fn rollback(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("ROLLBACK")?)
    }

    fn networked(&self) -> bool {
        true
    }

    fn credentials_changed(&mut self) -> Result<()> {
        self.execute(
            "SELECT pg_notify(?1, '')::text",
            &[Param::Text(CREDENTIALS_CHANNEL)],
        )?;
        Ok(())
    }

    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            tracing::warn!("database connection lost; connecting again");
            *self = connect(&self.url)?;
        }
        Ok(())
    }
}

struct PgRow<'r>(&'r postgres::Row);

impl RowRef for PgRow<'_> {
    fn int(&self, i: usize) -> Result<i64> {
        let ty = self.0.columns().get(i).map(|c| c.type_().clone());
        Ok(match ty {
            Some(t) if t == Type::INT4 => i64::from(self.0.try_get::<_, i32>(i)?),
            Some(t) if t == Type::INT2 => i64::from(self.0.try_get::<_, i16>(i)?),
            _ => self.0.try_get::<_, i64>(i)?,
        })
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.try_get(i)?)
    }

    fn text(&self, i: usize) -> Result<&str> {
        Ok(self.0.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        Ok(self.0.try_get(i)?)
    }

    fn bytes(&self, i: usize) -> Result<&[u8]> {
        Ok(self.0.try_get(i)?)
    }

    fn boolean(&self, i: usize) -> Result<bool> {
        Ok(self.0.try_get(i)?)
    }
}
