//! The audit log: every read and write of personal data, hash-chained.
//!
//! Entries are appended by their own writer thread with group commit, to their own database
//! file (`audit.db`); [`AuditLog::append`] returns only when the entries are durable, so a
//! handler can audit a read before the data leaves the server. Each entry stores the previous
//! entry's hash and its own (SHA-256 over the previous hash and every field), so
//! [`AuditLog::verify`] finds an altered, removed, inserted or reordered entry. Pruning keeps
//! the chain verifiable by recording a checkpoint: the hash of the last entry removed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::Digest;
use tokio::sync::{mpsc, oneshot};

use crate::{BoxFut, Result, StoreError, migrate};

/// One access to personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// The organisation (`kind:code`).
    pub org: String,
    /// The credential: `agreement:<id>`, `user:<id>`, `citizen`.
    pub credential: String,
    /// The person acting inside the calling system (caseworker), if known.
    pub acting_person: Option<String>,
    /// The organisation acted for, if any.
    pub on_behalf_of: Option<String>,
    /// What was done: `person.read`, `person.search`, `write.<record>`, `feed.read`, …
    pub action: String,
    /// Which person (internal id, never the CPR number); none when a search found nobody.
    pub person_id: Option<String>,
    /// Why (the purpose given, or the endpoint's purpose).
    pub purpose: String,
    /// `ok`, `not_found`, `denied`, `refused`.
    pub outcome: String,
}

/// An entry as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// What is wrong with the chain at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainProblem {
    /// The entry's content does not match its hash.
    Altered {
        /// The entry.
        seq: i64,
    },
    /// Entries are missing before this one.
    Removed {
        /// The first missing position.
        from_seq: i64,
        /// The last missing position.
        to_seq: i64,
    },
    /// The entry does not belong to the chain: the chain continues around it.
    Inserted {
        /// The entry.
        seq: i64,
    },
    /// The entry is genuine but out of place: it follows another entry than the one before it.
    Reordered {
        /// The entry.
        seq: i64,
        /// The position of the entry it really follows.
        follows_seq: i64,
    },
}

/// The result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Where the chain started (a prune checkpoint), if not at the beginning.
    pub from_checkpoint: Option<i64>,
    /// Every problem found, in chain order; empty when the log is intact.
    pub problems: Vec<ChainProblem>,
}

/// The audit log interface.
pub trait AuditLog: Send + Sync + 'static {
    /// Appends entries; returns when they are durable.
    fn append(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>>;
    /// Queues entries behind those already queued; returns when they are queued, not when they
    /// are durable (for writes, whose event-log entry already records who acted).
    fn enqueue(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>>;
    /// The entries about one person by organisations (not the citizen's own looks), newest
    /// first: the citizen's view of who looked.
    fn for_person<'a>(
        &'a self,
        person_id: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<StoredAuditEntry>>>;
    /// Checks the whole chain.
    fn verify(&self) -> BoxFut<'_, Result<VerifyReport>>;
    /// The chain's head: the newest position and its hash (`0` and zeros when empty). What a
    /// signed checkpoint records.
    fn head(&self) -> BoxFut<'_, Result<(i64, [u8; 32])>>;
    /// The stored hash at position `seq`: of the entry there, or of the prune checkpoint
    /// there; `None` when neither exists.
    fn hash_at(&self, seq: i64) -> BoxFut<'_, Result<Option<[u8; 32]>>>;
    /// Removes entries recorded before `before`, keeping the chain verifiable; returns how many.
    fn prune(&self, before: Timestamp) -> BoxFut<'_, Result<u64>>;
}

const GENESIS: [u8; 32] = [0; 32];

fn entry_hash(prev: &[u8], e: &AuditEntry) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(prev);
    let at = e.at.to_string();
    for field in [
        Some(at.as_str()),
        Some(e.org.as_str()),
        Some(e.credential.as_str()),
        e.acting_person.as_deref(),
        e.on_behalf_of.as_deref(),
        Some(e.action.as_str()),
        e.person_id.as_deref(),
        Some(e.purpose.as_str()),
        Some(e.outcome.as_str()),
    ] {
        match field {
            // Length-prefixed, with absent distinct from empty.
            Some(f) => {
                h.update([1u8]);
                h.update((f.len() as u64).to_be_bytes());
                h.update(f.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    h.finalize().into()
}

type Job = (Vec<AuditEntry>, oneshot::Sender<Result<()>>);

/// The SQLite audit log.
#[derive(Clone)]
pub struct SqliteAudit {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: crate::pool::ReaderPool,
    /// Dropping it stops the indexer thread.
    _indexer: std::sync::mpsc::Sender<()>,
    jobs: mpsc::Sender<Job>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.jobs, closed));
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -8192;",
    )
}

impl SqliteAudit {
    /// Opens (creating) `audit.db` in the data directory and starts its writer.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("audit.db");
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        migrate::run(&mut conn, migrate::SQLITE_AUDIT)?;
        conn.execute_batch("PRAGMA journal_size_limit = 67108864;")?;
        let index_path = dir.join("audit-index.db");
        let mut ix = Connection::open(&index_path)?;
        configure(&ix)?;
        migrate::run(&mut ix, migrate::SQLITE_AUDIT_INDEX)?;
        ix.execute("ATTACH DATABASE ?1 AS a", [path.to_string_lossy().as_ref()])?;
        let (stop_indexer, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("fdg-audit-indexer".into())
            .spawn(move || {
                // Once a second, and once more when the log closes.
                loop {
                    let closed = matches!(
                        stopped.recv_timeout(std::time::Duration::from_secs(1)),
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
                    );
                    index_people(&mut ix);
                    if closed {
                        break;
                    }
                }
            })?;
        let reader_index = index_path.to_string_lossy().into_owned();
        let (tx, rx) = mpsc::channel(8192);
        let writer = std::thread::Builder::new()
            .name("fdg-audit-writer".into())
            .spawn(move || writer_loop(conn, rx))?;
        Ok(SqliteAudit {
            inner: Arc::new(Inner {
                readers: crate::pool::ReaderPool::new(
                    &path,
                    Box::new(move |c: &Connection| {
                        c.busy_timeout(std::time::Duration::from_secs(10))?;
                        c.execute("ATTACH DATABASE ?1 AS ix", [reader_index.as_str()])?;
                        Ok(())
                    }),
                ),
                _indexer: stop_indexer,
                path,
                jobs: tx,
                writer: Some(writer),
            }),
        })
    }

    /// The database file (for tests and operators).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.inner.readers.read(f)
    }
}

fn writer_loop(mut conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let (mut seq, mut prev) = match db_head(&mut crate::sqlite::SqliteDb(&conn)) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "audit log unreadable; refusing every audited request");
            while let Some((_, reply)) = rx.blocking_recv() {
                let _ = reply.send(Err(StoreError::Corrupt("audit log unreadable".into())));
            }
            return;
        }
    };
    let mut batch: Vec<Job> = Vec::new();
    loop {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        batch.push(first);
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let (start_seq, start_prev) = (seq, prev);
        let result = (|| -> Result<()> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO audit (seq, at, org, credential, acting_person, on_behalf_of,
                                        action, person_id, purpose, outcome, prev_hash, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?;
                for (entries, _) in &batch {
                    for e in entries {
                        let hash = entry_hash(&prev, e);
                        seq += 1;
                        insert.execute(params![
                            seq,
                            e.at.to_string(),
                            e.org,
                            e.credential,
                            e.acting_person,
                            e.on_behalf_of,
                            e.action,
                            e.person_id,
                            e.purpose,
                            e.outcome,
                            &prev[..],
                            &hash[..]
                        ])?;
                        prev = hash;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                (seq, prev) = (start_seq, start_prev);
                tracing::error!(error = %e, "audit batch failed; its requests are refused");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.for_each_caller("audit write failed")));
                }
            }
        }
    }
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// Copies (person, seq) of entries appended since the last run from the log (`a`) into the
/// index database, in one transaction of its own file: appends are never held up.
fn index_people(ix: &mut Connection) {
    let mut run = || -> Result<()> {
        let tx = ix.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (last, newest): (i64, i64) = tx.query_row(
            "SELECT (SELECT last_seq FROM audit_index WHERE id = 1),
                    (SELECT coalesce(max(seq), 0) FROM a.audit)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if newest > last {
            tx.execute(
                "INSERT OR IGNORE INTO audit_person (person_id, seq)
                 SELECT person_id, seq FROM a.audit
                 WHERE seq > ?1 AND seq <= ?2 AND person_id IS NOT NULL
                 ORDER BY person_id, seq",
                [last, newest],
            )?;
            tx.execute(
                "UPDATE audit_index SET last_seq = ?1 WHERE id = 1",
                [newest],
            )?;
        }
        tx.commit()?;
        Ok(())
    };
    if let Err(e) = run() {
        tracing::warn!(error = %e, "audit person index not updated; retried in a second");
    }
}

/// Entries deleted per transaction when pruning, so appends are never held up for long.
const PRUNE_CHUNK: i64 = 5_000;

/// Pruning on its own connection (SQLite serialises it with the appending writer): first the
/// checkpoint — from then on verification starts after it — then the old entries, in chunks.
fn prune_blocking(path: &Path, before: Timestamp) -> Result<u64> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    // Stored times are RFC 3339 text; compare with the whole second (no fraction, no Z).
    let second = before.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let already: i64 = conn.query_row(
        "SELECT coalesce(max(seq), 0) FROM audit_checkpoints",
        [],
        |r| r.get(0),
    )?;
    let cutoff: Option<i64> =
        conn.query_row("SELECT max(seq) FROM audit WHERE at < ?1", [&second], |r| {
            r.get(0)
        })?;
    let Some(cutoff) = cutoff.filter(|c| *c > already) else {
        return Ok(0);
    };
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (hash, count): (Vec<u8>, i64) = tx.query_row(
            "SELECT (SELECT hash FROM audit WHERE seq = ?1),
                    (SELECT count(*) FROM audit WHERE seq <= ?1)",
            [cutoff],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // When the operator pruned: real time (the audit log has no registry clock).
        #[allow(clippy::disallowed_methods)]
        tx.execute(
            "INSERT INTO audit_checkpoints (seq, hash, pruned_at, entries) VALUES (?1, ?2, ?3, ?4)",
            params![cutoff, hash, Timestamp::now().to_string(), count],
        )?;
        tx.commit()?;
    }
    let mut removed = 0u64;
    let mut from: i64 =
        conn.query_row("SELECT coalesce(min(seq), 0) FROM audit", [], |r| r.get(0))?;
    while from <= cutoff {
        let upto = (from + PRUNE_CHUNK - 1).min(cutoff);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        removed += tx.execute("DELETE FROM audit WHERE seq <= ?1", [upto])? as u64;
        tx.commit()?;
        from = upto + 1;
    }
    // The per-person lookup points at removed entries now; drop those pointers.
    let index = path.with_file_name("audit-index.db");
    conn.execute(
        "ATTACH DATABASE ?1 AS ix",
        [index.to_string_lossy().as_ref()],
    )?;
    conn.execute("DELETE FROM ix.audit_person WHERE seq <= ?1", [cutoff])?;
    Ok(removed)
}

type Row = (i64, AuditEntry, Vec<u8>, Vec<u8>);

/// The columns every entry query selects, in this order.
const ENTRY_COLUMNS: &str = "seq, at, org, credential, acting_person, on_behalf_of, action, \
                             person_id, purpose, outcome";

/// Reads an entry from a row selected with [`ENTRY_COLUMNS`] first.
fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, AuditEntryText)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        AuditEntryText {
            org: r.get(2)?,
            credential: r.get(3)?,
            acting_person: r.get(4)?,
            on_behalf_of: r.get(5)?,
            action: r.get(6)?,
            person_id: r.get(7)?,
            purpose: r.get(8)?,
            outcome: r.get(9)?,
        },
    ))
}

/// An entry's text columns, before its time is parsed.
struct AuditEntryText {
    org: String,
    credential: String,
    acting_person: Option<String>,
    on_behalf_of: Option<String>,
    action: String,
    person_id: Option<String>,
    purpose: String,
    outcome: String,
}

impl AuditEntryText {
    fn with_time(self, at: &str) -> Result<AuditEntry> {
        Ok(AuditEntry {
            at: at
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("audit time: {e}")))?,
            org: self.org,
            credential: self.credential,
            acting_person: self.acting_person,
            on_behalf_of: self.on_behalf_of,
            action: self.action,
            person_id: self.person_id,
            purpose: self.purpose,
            outcome: self.outcome,
        })
    }
}

fn load_rows(conn: &Connection, from_seq: i64) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS}, prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([from_seq], |r| {
        Ok((
            entry_row(r)?,
            r.get::<_, Vec<u8>>(10)?,
            r.get::<_, Vec<u8>>(11)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let ((seq, at, text), prev, hash) = row?;
        out.push((seq, text.with_time(&at)?, prev, hash));
    }
    Ok(out)
}

/// Walks the chain from a starting point and names every problem.
fn check(rows: &[Row], start_seq: i64, start_hash: &[u8]) -> Vec<ChainProblem> {
    let by_hash: HashMap<&[u8], i64> = rows
        .iter()
        .map(|(seq, _, _, hash)| (hash.as_slice(), *seq))
        .collect();
    let mut problems = Vec::new();
    let mut expected_seq = start_seq + 1;
    let mut expected_prev: Vec<u8> = start_hash.to_vec();
    for (i, (seq, entry, prev, hash)) in rows.iter().enumerate() {
        if *seq > expected_seq {
            problems.push(ChainProblem::Removed {
                from_seq: expected_seq,
                to_seq: seq - 1,
            });
            expected_prev = prev.clone();
        }
        let genuine = entry_hash(prev, entry).as_slice() == hash.as_slice();
        if !genuine {
            // Content changed in place, or a forged entry: the next entry tells which.
            let skipped = rows
                .get(i + 1)
                .is_some_and(|(_, _, next_prev, _)| next_prev == &expected_prev);
            if skipped {
                problems.push(ChainProblem::Inserted { seq: *seq });
                expected_seq = seq + 1;
                continue;
            }
            problems.push(ChainProblem::Altered { seq: *seq });
        } else if prev != &expected_prev {
            match by_hash.get(prev.as_slice()) {
                Some(follows) => problems.push(ChainProblem::Reordered {
                    seq: *seq,
                    follows_seq: *follows,
                }),
                None => {
                    let skipped = rows
                        .get(i + 1)
                        .is_some_and(|(_, _, next_prev, _)| next_prev == &expected_prev);
                    if skipped {
                        problems.push(ChainProblem::Inserted { seq: *seq });
                        expected_seq = seq + 1;
                        continue;
                    }
                    problems.push(ChainProblem::Removed {
                        from_seq: *seq,
                        to_seq: *seq,
                    });
                }
            }
        }
        expected_seq = seq + 1;
        expected_prev = hash.clone();
    }
    problems
}

/// Hands entries to an audit writer; with `durable`, waits until they are committed.
/// An entry as it may be stored: a person id a caller sent that cannot name a person is kept
/// for the record, but escaped and cut to 64 characters; no text holds a NUL character (which
/// PostgreSQL refuses, and which would fail every entry of the batch with it).
fn storable(mut e: AuditEntry) -> AuditEntry {
    if let Some(id) = e.person_id.as_mut()
        && !fdg_domain::ids::is_person_id(id)
    {
        *id = id.escape_default().take(64).collect();
    }
    for text in [
        &mut e.org,
        &mut e.credential,
        &mut e.action,
        &mut e.purpose,
        &mut e.outcome,
    ]
    .into_iter()
    .chain(e.acting_person.as_mut())
    .chain(e.on_behalf_of.as_mut())
    {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{fffd}");
        }
    }
    e
}

async fn submit(jobs: &mpsc::Sender<Job>, entries: Vec<AuditEntry>, durable: bool) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let entries = entries.into_iter().map(storable).collect();
    let (reply, committed) = oneshot::channel();
    jobs.send((entries, reply))
        .await
        .map_err(|_| StoreError::WriterGone)?;
    if durable {
        committed.await.map_err(|_| StoreError::WriterGone)?
    } else {
        Ok(())
    }
}

impl AuditLog for SqliteAudit {
    fn append(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        Box::pin(submit(&self.inner.jobs, entries, true))
    }

    fn enqueue(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        Box::pin(submit(&self.inner.jobs, entries, false))
    }

    fn for_person<'a>(
        &'a self,
        person_id: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<StoredAuditEntry>>> {
        Box::pin(async move {
            self.read(|c| {
                // Indexed entries, plus the few appended since the index last caught up.
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit
                     WHERE (seq IN (SELECT seq FROM ix.audit_person WHERE person_id = ?1)
                            OR (seq > (SELECT last_seq FROM ix.audit_index WHERE id = 1)
                                AND person_id = ?1))
                       AND org <> 'citizen'
                     ORDER BY seq DESC LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![person_id, limit], entry_row)?;
                let mut out = Vec::new();
                for row in rows {
                    let (seq, at, text) = row?;
                    out.push(StoredAuditEntry {
                        seq,
                        entry: text.with_time(&at)?,
                    });
                }
                Ok(out)
            })
        })
    }

    fn verify(&self) -> BoxFut<'_, Result<VerifyReport>> {
        Box::pin(async move {
            self.read(|c| {
                // One snapshot: a prune committing between the two reads would look like damage.
                let tx = c.unchecked_transaction()?;
                let c = &*tx;
                let checkpoint: Option<(i64, Vec<u8>)> = c
                    .query_row(
                        "SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (start_seq, start_hash) = checkpoint.clone().unwrap_or((0, GENESIS.to_vec()));
                let rows = load_rows(c, start_seq)?;
                Ok(VerifyReport {
                    entries: rows.len() as u64,
                    from_checkpoint: checkpoint.map(|(s, _)| s),
                    problems: check(&rows, start_seq, &start_hash),
                })
            })
        })
    }

    fn head(&self) -> BoxFut<'_, Result<(i64, [u8; 32])>> {
        Box::pin(async move { self.read(|c| db_head(&mut crate::sqlite::SqliteDb(c))) })
    }

    fn hash_at(&self, seq: i64) -> BoxFut<'_, Result<Option<[u8; 32]>>> {
        Box::pin(async move { self.read(|c| db_hash_at(&mut crate::sqlite::SqliteDb(c), seq)) })
    }

    fn prune(&self, before: Timestamp) -> BoxFut<'_, Result<u64>> {
        let path = self.inner.path.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || prune_blocking(&path, before))
                .await
                .map_err(|_| StoreError::WriterGone)?
        })
    }
}

/// The audit log on PostgreSQL, in the registry's database: one chain for every node. Each
/// node appends through its own writer thread with group commit; a batch takes the audit's
/// advisory lock, reads the chain's head and appends after it, so the entries of all nodes
/// form one chain in `seq` order.
pub struct PostgresAudit {
    url: String,
    jobs: mpsc::Sender<Job>,
    readers: crate::postgres::Readers,
}

/// The advisory lock every audit append holds until it commits.
const AUDIT_LOCK: i64 = 0x66_64_67_61;

/// The chain's head: the last position and hash (from the newest entry or checkpoint).
fn db_head(db: &mut dyn crate::sql::Db) -> Result<(i64, [u8; 32])> {
    use crate::sql::args;
    // One round trip: the newer of the last entry and the last prune checkpoint.
    let head = db.query_opt(
        "SELECT seq, hash FROM audit WHERE seq = (SELECT max(seq) FROM audit)
         UNION ALL
         SELECT seq, hash FROM audit_checkpoints
         WHERE seq = (SELECT max(seq) FROM audit_checkpoints)
         ORDER BY seq DESC LIMIT 1",
        args![],
        |r| Ok((r.int(0)?, r.bytes(1)?.to_vec())),
    )?;
    let Some((seq, hash)) = head else {
        return Ok((0, GENESIS));
    };
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| StoreError::Corrupt("audit hash length".into()))?;
    Ok((seq, hash))
}

/// The stored hash at `seq` (an entry's, or a prune checkpoint's).
fn db_hash_at(db: &mut dyn crate::sql::Db, seq: i64) -> Result<Option<[u8; 32]>> {
    use crate::sql::args;
    let found = match db.query_opt("SELECT hash FROM audit WHERE seq = ?1", args![seq], |r| {
        Ok(r.bytes(0)?.to_vec())
    })? {
        Some(h) => Some(h),
        None => db.query_opt(
            "SELECT hash FROM audit_checkpoints WHERE seq = ?1",
            args![seq],
            |r| Ok(r.bytes(0)?.to_vec()),
        )?,
    };
    found
        .map(|h| {
            h.try_into()
                .map_err(|_| StoreError::Corrupt("audit hash length".into()))
        })
        .transpose()
}

fn db_entry(r: &dyn crate::sql::RowRef) -> Result<StoredAuditEntry> {
    Ok(StoredAuditEntry {
        seq: r.int(0)?,
        entry: AuditEntry {
            at: r.time(1)?,
            org: r.string(2)?,
            credential: r.string(3)?,
            acting_person: r.opt_string(4)?,
            on_behalf_of: r.opt_string(5)?,
            action: r.string(6)?,
            person_id: r.opt_string(7)?,
            purpose: r.string(8)?,
            outcome: r.string(9)?,
        },
    })
}

/// Appends a batch after the chain's head, every entry in one statement. The transaction
/// takes only the audit's lock: audit appends never wait for the registry's writers.
fn append_batch(pg: &mut crate::postgres::PgDb, batch: &[Job]) -> Result<()> {
    pg.begin_locked(AUDIT_LOCK)?;
    let result = (|| -> Result<()> {
        let (mut seq, mut prev) = db_head(pg)?;
        let entries: Vec<&AuditEntry> = batch.iter().flat_map(|(e, _)| e).collect();
        let (mut seqs, mut ats, mut links) = (vec![], vec![], vec![]);
        for e in &entries {
            let hash = entry_hash(&prev, e);
            seq += 1;
            seqs.push(seq);
            ats.push(e.at.to_string());
            links.push((prev, hash));
            prev = hash;
        }
        let col = |f: fn(&AuditEntry) -> &str| entries.iter().map(|e| f(e)).collect::<Vec<_>>();
        let opt =
            |f: fn(&AuditEntry) -> Option<&str>| entries.iter().map(|e| f(e)).collect::<Vec<_>>();
        let prevs: Vec<&[u8]> = links.iter().map(|(p, _)| &p[..]).collect();
        let hashes: Vec<&[u8]> = links.iter().map(|(_, h)| &h[..]).collect();
        pg.execute_arrays(
            "INSERT INTO audit (seq, at, org, credential, acting_person, on_behalf_of,
                                action, person_id, purpose, outcome, prev_hash, hash)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                                  $11::bytea[], $12::bytea[])",
            &[
                &seqs,
                &ats,
                &col(|e| &e.org),
                &col(|e| &e.credential),
                &opt(|e| e.acting_person.as_deref()),
                &opt(|e| e.on_behalf_of.as_deref()),
                &col(|e| &e.action),
                &opt(|e| e.person_id.as_deref()),
                &col(|e| &e.purpose),
                &col(|e| &e.outcome),
                &prevs,
                &hashes,
            ],
        )?;
        Ok(())
    })();
    let db: &mut dyn crate::sql::Db = pg;
    match result {
        Ok(()) => db.commit(),
        Err(e) => {
            if let Err(r) = db.rollback() {
                tracing::warn!(error = %r, "rollback failed");
            }
            Err(e)
        }
    }
}

impl PostgresAudit {
    /// Opens the audit log in the database at `url` (its tables come with the store's
    /// migrations) and starts this node's audit writer.
    pub fn open(url: &str) -> Result<Self> {
        let owned = url.to_owned();
        let db = crate::postgres::off_runtime(move || {
            let mut db = crate::postgres::connect(&owned)?;
            migrate::run_postgres(&mut db)?;
            Ok(db)
        })?;
        let (jobs, mut rx) = mpsc::channel::<Job>(8192);
        std::thread::Builder::new()
            .name("fdg-pg-audit-writer".into())
            .spawn(move || {
                let mut db = db;
                let mut batch: Vec<Job> = Vec::new();
                while let Some(first) = rx.blocking_recv() {
                    batch.push(first);
                    while batch.len() < 1024 {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    let result = crate::sql::Db::ensure_connected(&mut db)
                        .and_then(|()| append_batch(&mut db, &batch));
                    if let Err(e) = &result {
                        tracing::error!(error = %e, "audit batch failed; its requests are refused");
                    }
                    for (_, reply) in batch.drain(..) {
                        let _ = reply.send(match &result {
                            Ok(()) => Ok(()),
                            Err(e) => Err(e.for_each_caller("audit write failed")),
                        });
                    }
                }
            })?;
        Ok(PostgresAudit {
            url: url.to_owned(),
            jobs,
            readers: crate::postgres::Readers::start(url, 2)?,
        })
    }
}

impl AuditLog for PostgresAudit {
    fn append(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        Box::pin(submit(&self.jobs, entries, true))
    }

    fn enqueue(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        Box::pin(submit(&self.jobs, entries, false))
    }

    fn for_person<'a>(
        &'a self,
        person_id: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<StoredAuditEntry>>> {
        let person_id = person_id.to_owned();
        self.readers.run(move |db| {
            db.query_all(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit
                     WHERE person_id = ?1 AND org <> 'citizen'
                     ORDER BY seq DESC LIMIT ?2"
                ),
                crate::sql::args![&person_id, limit],
                db_entry,
            )
        })
    }

    fn verify(&self) -> BoxFut<'_, Result<VerifyReport>> {
        self.readers.run(|db| {
            use crate::sql::args;
            // One snapshot: a prune committing between the two reads would look like damage.
            db.transaction(crate::sql::Begin::Snapshot, |db| {
                let checkpoint = db.query_opt(
                    "SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
                    args![],
                    |r| Ok((r.int(0)?, r.bytes(1)?.to_vec())),
                )?;
                let (start_seq, start_hash) = checkpoint.clone().unwrap_or((0, GENESIS.to_vec()));
                let rows: Vec<Row> = db.query_all(
                    &format!(
                        "SELECT {ENTRY_COLUMNS}, prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq"
                    ),
                    args![start_seq],
                    |r| {
                        let e = db_entry(r)?;
                        Ok((e.seq, e.entry, r.bytes(10)?.to_vec(), r.bytes(11)?.to_vec()))
                    },
                )?;
                Ok(VerifyReport {
                    entries: rows.len() as u64,
                    from_checkpoint: checkpoint.map(|(s, _)| s),
                    problems: check(&rows, start_seq, &start_hash),
                })
            })
        })
    }

    fn head(&self) -> BoxFut<'_, Result<(i64, [u8; 32])>> {
        self.readers.run(db_head)
    }

    fn hash_at(&self, seq: i64) -> BoxFut<'_, Result<Option<[u8; 32]>>> {
        self.readers.run(move |db| db_hash_at(db, seq))
    }

    fn prune(&self, before: Timestamp) -> BoxFut<'_, Result<u64>> {
        let url = self.url.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                crate::postgres::off_runtime(move || {
                    let mut db = crate::postgres::connect(&url)?;
                    prune_db(&mut db, before)
                })
            })
            .await
            .map_err(|_| StoreError::WriterGone)?
        })
    }
}

/// Pruning over [`crate::sql::Db`]: the checkpoint first (under the append lock, so no append
/// is between), then the old entries, in chunks.
fn prune_db(db: &mut dyn crate::sql::Db, before: Timestamp) -> Result<u64> {
    use crate::sql::args;
    // Stored times are RFC 3339 text; compare with the whole second (no fraction, no Z).
    let second = before.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let cutoff = db.transaction(crate::sql::Begin::Write, |db| {
        db.query_one(
            "SELECT pg_advisory_xact_lock(?1)::text",
            args![AUDIT_LOCK],
            |_| Ok(()),
        )?;
        let already = db.query_one(
            "SELECT coalesce(max(seq), 0) FROM audit_checkpoints",
            args![],
            |r| r.int(0),
        )?;
        let cutoff = db.query_one(
            "SELECT coalesce(max(seq), 0) FROM audit WHERE at < ?1",
            args![&second],
            |r| r.int(0),
        )?;
        if cutoff <= already {
            return Ok(None);
        }
        let (hash, count) = db.query_one(
            "SELECT (SELECT hash FROM audit WHERE seq = ?1),
                    (SELECT count(*) FROM audit WHERE seq <= ?1)",
            args![cutoff],
            |r| Ok((r.bytes(0)?.to_vec(), r.int(1)?)),
        )?;
        // When the operator pruned: real time (the audit log has no registry clock).
        #[allow(clippy::disallowed_methods)]
        let now = Timestamp::now().to_string();
        db.execute(
            "INSERT INTO audit_checkpoints (seq, hash, pruned_at, entries) VALUES (?1, ?2, ?3, ?4)",
            args![cutoff, &hash[..], &now, count],
        )?;
        Ok(Some(cutoff))
    })?;
    let Some(cutoff) = cutoff else {
        return Ok(0);
    };
    let mut removed = 0u64;
    let mut from = db.query_one("SELECT coalesce(min(seq), 0) FROM audit", args![], |r| {
        r.int(0)
    })?;
    while from <= cutoff {
        let upto = (from + PRUNE_CHUNK - 1).min(cutoff);
        removed += db.execute("DELETE FROM audit WHERE seq <= ?1", args![upto])?;
        from = upto + 1;
    }
    Ok(removed)
}
