//! Moving a registry from one database to another (`fdg store copy`), e.g. from the embedded
//! SQLite files to PostgreSQL when one machine is no longer enough.
//!
//! Everything recorded is copied with its ids and positions — organisations, agreements and
//! their history, tokens, certificates, users, sessions, cursors, webhooks, the event log with
//! its idempotency keys, and the audit log with its checkpoints. What is derived (the person
//! projections, the supervision sums) is rebuilt from the copied log. The copy refuses a
//! target that holds anything, and ends by comparing every table's count and verifying the
//! audit chain on the target.
//!
//! The source is only read, in one snapshot of its store and one of its audit log, so the copy
//! may run while the service writes: it is then an online backup holding every write committed
//! before it began (and a restore is the same copy the other way, into an empty database).

use crate::sql::{Begin, Db, Param, RowRef};
use crate::{Database, Result, StoreConfig, StoreError};

/// How a column is read and written.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bytes,
    Bool,
}

use Kind::*;

/// A table copied: its name, whether its first column is an identity the target must keep,
/// and its columns.
type Table = (&'static str, bool, &'static [(&'static str, Kind)]);

/// The tables copied, parents before children.
const STORE_TABLES: &[Table] = &[
    (
        "orgs",
        true,
        &[
            ("id", Int),
            ("kind", Text),
            ("code", Text),
            ("name", Text),
            ("created_at", Text),
        ],
    ),
    (
        "agreements",
        true,
        &[
            ("id", Int),
            ("org_id", Int),
            ("state", Text),
            ("processors", Text),
            ("may_write", Text),
            ("may_read", Text),
            ("valid_from", OptText),
            ("valid_to", OptText),
            ("created_at", Text),
            ("requires_acting_person", Int),
        ],
    ),
    (
        "agreement_changes",
        true,
        &[
            ("id", Int),
            ("agreement_id", Int),
            ("from_state", OptText),
            ("to_state", Text),
            ("reason", Text),
            ("changed_by", Text),
            ("changed_at", Text),
        ],
    ),
    (
        "tokens",
        true,
        &[
            ("id", Int),
            ("org_id", Int),
            ("agreement_id", OptInt),
            ("token_hash", Bytes),
            ("created_at", Text),
            ("revoked_at", OptText),
        ],
    ),
    (
        "agreement_certificates",
        false,
        &[
            ("fingerprint", Text),
            ("agreement_id", Int),
            ("subject", Text),
            ("added_at", Text),
            ("revoked_at", OptText),
        ],
    ),
    (
        "users",
        true,
        &[
            ("id", Int),
            ("org_id", Int),
            ("username", Text),
            ("name", Text),
            ("role", Text),
            ("password_hash", OptText),
            ("must_change_password", Bool),
            ("disabled_at", OptText),
            ("created_at", Text),
            ("external_id", OptText),
        ],
    ),
    (
        "sessions",
        false,
        &[
            ("id_hash", Bytes),
            ("user_id", Int),
            ("csrf", Text),
            ("created_at", Text),
            ("expires_at", Text),
        ],
    ),
    (
        "citizen_sessions",
        false,
        &[
            ("id_hash", Bytes),
            ("cpr", Text),
            ("created_at", Text),
            ("expires_at", Text),
        ],
    ),
    (
        "feed_cursors",
        false,
        &[
            ("agreement_id", Int),
            ("position", Int),
            ("updated_at", Text),
        ],
    ),
    (
        "webhooks",
        false,
        &[
            ("agreement_id", Int),
            ("url", Text),
            ("secret", Text),
            ("position", Int),
            ("attempts", Int),
            ("next_attempt", OptText),
            ("last_error", OptText),
            ("created_at", Text),
            ("types", OptText),
        ],
    ),
    (
        "webhook_parked",
        true,
        &[
            ("id", Int),
            ("agreement_id", Int),
            ("from_position", Int),
            ("to_position", Int),
            ("attempts", Int),
            ("last_error", Text),
            ("parked_at", Text),
            ("replayed_at", OptText),
        ],
    ),
    (
        "events",
        true,
        &[
            ("position", Int),
            ("person_id", Text),
            ("version", Int),
            ("type", Text),
            ("data", Text),
            ("recorded_at", Text),
            ("org", Text),
            ("context", OptText),
            ("scope", OptText),
        ],
    ),
    (
        "idempotency",
        false,
        &[
            ("scope", Text),
            ("key", Text),
            ("request_hash", Bytes),
            ("outcome", Text),
            ("created_at", Text),
        ],
    ),
];

const AUDIT_TABLES: &[Table] = &[
    (
        "audit",
        false,
        &[
            ("seq", Int),
            ("at", Text),
            ("org", Text),
            ("credential", Text),
            ("acting_person", OptText),
            ("on_behalf_of", OptText),
            ("action", Text),
            ("person_id", OptText),
            ("purpose", Text),
            ("outcome", Text),
            ("prev_hash", Bytes),
            ("hash", Bytes),
        ],
    ),
    (
        "audit_checkpoints",
        false,
        &[
            ("seq", Int),
            ("hash", Bytes),
            ("pruned_at", Text),
            ("entries", Int),
        ],
    ),
];

/// One value read from the source, owned until it is written.
enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

impl Value {
    fn read(r: &dyn RowRef, i: usize, kind: Kind) -> Result<Self> {
        Ok(match kind {
            Int => Value::Int(r.int(i)?),
            OptInt => match r.opt_int(i)? {
                Some(v) => Value::Int(v),
                None => Value::Null,
            },
            Text => Value::Text(r.string(i)?),
            OptText => r.opt_string(i)?.map_or(Value::Null, Value::Text),
            Bytes => Value::Bytes(r.bytes(i)?.to_vec()),
            Bool => Value::Bool(r.boolean(i)?),
        })
    }

    fn param(&self) -> Param<'_> {
        match self {
            Value::Null => Param::Null,
            Value::Int(v) => Param::Int(*v),
            Value::Text(v) => Param::Text(v),
            Value::Bytes(v) => Param::Bytes(v),
            Value::Bool(v) => Param::Bool(*v),
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows copied per table, in the order copied.
    pub tables: Vec<(String, u64)>,
    /// Events replayed into the rebuilt projections.
    pub rebuilt_events: u64,
    /// Audit entries verified on the target.
    pub audit_entries: u64,
}

/// Progress of a long copy: table, rows so far, rows in all.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, u64);

/// Rows written per transaction on the target.
const CHUNK: usize = 5_000;

/// Opens the two databases behind a registry to copy from, read-only: the store's and the
/// audit log's (the same database on PostgreSQL).
fn open_source(config: &StoreConfig) -> Result<(Box<dyn Db + Send>, Box<dyn Db + Send>)> {
    match &config.database {
        Database::Sqlite { dir } => {
            let open = |file: &str| -> Result<Box<dyn Db + Send>> {
                let path = dir.join(file);
                if !path.exists() {
                    return Err(StoreError::Copy(format!(
                        "{} does not exist",
                        path.display()
                    )));
                }
                let c = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                Ok(Box::new(crate::sqlite::SqliteDb(c)))
            };
            Ok((open("fdg.db")?, open("audit.db")?))
        }
        Database::Postgres { .. } => open_raw(config),
    }
}

/// Opens the two databases behind a configuration: the store's and the audit log's (the same
/// database on PostgreSQL), with their migrations applied.
fn open_raw(config: &StoreConfig) -> Result<(Box<dyn Db + Send>, Box<dyn Db + Send>)> {
    crate::migrate(config)?;
    match &config.database {
        Database::Sqlite { dir } => {
            // Opening the audit log creates and migrates its files; then it is closed again.
            drop(crate::audit::SqliteAudit::open(dir)?);
            let store = rusqlite::Connection::open(dir.join("fdg.db"))?;
            let audit = rusqlite::Connection::open(dir.join("audit.db"))?;
            for c in [&store, &audit] {
                c.busy_timeout(std::time::Duration::from_secs(10))?;
            }
            Ok((
                Box::new(crate::sqlite::SqliteDb(store)),
                Box::new(crate::sqlite::SqliteDb(audit)),
            ))
        }
        Database::Postgres { url } => Ok((
            Box::new(crate::postgres::connect(url)?),
            Box::new(crate::postgres::connect(url)?),
        )),
    }
}

/// Copies the registry in `from` into the empty database in `to`, rebuilds its projections
/// and verifies it: every table's count, and the audit chain. `progress` hears of each chunk.
pub async fn copy(
    from: &StoreConfig,
    to: &StoreConfig,
    mut progress: impl FnMut(&str, u64, u64) + Send + 'static,
) -> Result<CopyReport> {
    if from.database == to.database {
        return Err(StoreError::Copy(
            "the source and the target are the same database".into(),
        ));
    }
    let (source, target) = (from.clone(), to.clone());
    // The databases' synchronous clients live on a thread of their own.
    let (done, copied) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("fdg-store-copy".into())
        .spawn(move || {
            let _ = done.send(copy_blocking(&source, &target, &mut progress));
        })?;
    let mut report = copied
        .await
        .map_err(|_| StoreError::Copy("the copy stopped".into()))??;
    let verified = crate::open_audit(to)?.verify().await?;
    if !verified.problems.is_empty() {
        return Err(StoreError::Copy(format!(
            "the copied audit log does not verify: {} problem(s)",
            verified.problems.len()
        )));
    }
    report.audit_entries = verified.entries;
    Ok(report)
}

fn copy_blocking(
    from: &StoreConfig,
    to: &StoreConfig,
    progress: Progress<'_>,
) -> Result<CopyReport> {
    let (mut from_store, mut from_audit) = open_source(from)?;
    let (mut to_store, mut to_audit) = open_raw(to)?;
    // Everything is read in one snapshot of each, counts included: writes committed after it
    // began are not copied, and do not make the counts differ.
    from_store.begin(Begin::Snapshot)?;
    from_audit.begin(Begin::Snapshot)?;
    for (tables, target) in [
        (STORE_TABLES, to_store.as_mut()),
        (AUDIT_TABLES, to_audit.as_mut()),
    ] {
        for (table, _, _) in tables {
            let n = count(target, table)?;
            if n > 0 {
                return Err(StoreError::Copy(format!(
                    "the target is not empty ({table} holds {n} rows): fdg store copy fills an empty database"
                )));
            }
        }
    }
    let mut report = CopyReport {
        tables: Vec::new(),
        rebuilt_events: 0,
        audit_entries: 0,
    };
    let postgres_target = matches!(to.database, Database::Postgres { .. });
    for (tables, source, target) in [
        (STORE_TABLES, from_store.as_mut(), to_store.as_mut()),
        (AUDIT_TABLES, from_audit.as_mut(), to_audit.as_mut()),
    ] {
        for (table, identity, columns) in tables {
            let keep = *identity && postgres_target;
            let n = copy_table(source, target, table, columns, keep, progress)?;
            report.tables.push(((*table).to_owned(), n));
        }
    }
    // Identities continue after the copied ids.
    if postgres_target {
        for (table, identity, columns) in STORE_TABLES {
            if *identity {
                let id = columns[0].0;
                let db: &mut dyn Db = to_store.as_mut();
                db.query_one(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{id}'),
                                       coalesce((SELECT max({id}) FROM {table}), 0) + 1, false)::text"
                    ),
                    &[],
                    |_| Ok(()),
                )?;
            }
        }
    }
    report.rebuilt_events = crate::ops::rebuild(to_store.as_mut(), &to.supervision)?;
    // Every table holds what the source holds, and the projections as many persons.
    let persons: &[Table] = &[("persons", false, &[])];
    for (tables, source, target) in [
        (
            [STORE_TABLES, persons].concat(),
            from_store.as_mut(),
            to_store.as_mut(),
        ),
        (
            AUDIT_TABLES.to_vec(),
            from_audit.as_mut(),
            to_audit.as_mut(),
        ),
    ] {
        for (table, _, _) in &tables {
            let (a, b) = (count(source, table)?, count(target, table)?);
            if a != b {
                return Err(StoreError::Copy(format!(
                    "{table}: {a} rows in the source, {b} in the target"
                )));
            }
        }
    }
    // Nothing was written to the source: its snapshots are simply ended.
    from_store.rollback()?;
    from_audit.rollback()?;
    Ok(report)
}

fn count(db: &mut dyn Db, table: &str) -> Result<u64> {
    db.query_one(&format!("SELECT count(*) FROM {table}"), &[], |r| {
        r.count(0)
    })
}

fn copy_table(
    source: &mut dyn Db,
    target: &mut dyn Db,
    table: &str,
    columns: &[(&str, Kind)],
    keep_identity: bool,
    progress: Progress<'_>,
) -> Result<u64> {
    let total = count(source, table)?;
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let select = format!("SELECT {} FROM {table}", names.join(", "));
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({}) {}VALUES ({})",
        names.join(", "),
        if keep_identity {
            "OVERRIDING SYSTEM VALUE "
        } else {
            ""
        },
        placeholders.join(", ")
    );
    let mut done = 0u64;
    let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(CHUNK);
    let mut flush = |chunk: &mut Vec<Vec<Value>>, target: &mut dyn Db| -> Result<()> {
        target.transaction(Begin::Write, |db| {
            for row in chunk.iter() {
                let params: Vec<Param<'_>> = row.iter().map(Value::param).collect();
                db.execute(&insert, &params)?;
            }
            Ok(())
        })?;
        done += chunk.len() as u64;
        chunk.clear();
        progress(table, done, total);
        Ok(())
    };
    // The source streams its rows; the target takes them a chunk per transaction.
    source.query_each(&select, &[], &mut |r| {
        let row = columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| Value::read(r, i, *kind))
            .collect::<Result<Vec<_>>>()?;
        chunk.push(row);
        if chunk.len() == CHUNK {
            flush(&mut chunk, target)?;
        }
        Ok(())
    })?;
    if !chunk.is_empty() || total == 0 {
        flush(&mut chunk, target)?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::sql::args;

    /// Columns the copy leaves out on purpose, and why.
    const NOT_COPIED: &[(&str, &str)] = &[
        // A delivery lease is one node's claim for 30 s, not the registry's state.
        ("webhooks", "lease_holder"),
        ("webhooks", "lease_until"),
    ];

    fn columns(db: &mut dyn Db, table: &str, postgres: bool) -> Vec<String> {
        let mut found = if postgres {
            db.query_all(
                "SELECT column_name FROM information_schema.columns
                 WHERE table_name = ?1 AND table_schema = current_schema()",
                args![table],
                |r| r.string(0),
            )
        } else {
            db.query_all(
                &format!("SELECT name FROM pragma_table_info('{table}')"),
                args![],
                |r| r.string(0),
            )
        }
        .unwrap();
        found.retain(|c| !NOT_COPIED.contains(&(table, c.as_str())));
        found.sort();
        found
    }

    /// A column added by a migration must be added to the copy too, or `fdg store copy`
    /// (the move to PostgreSQL, and the backup) silently loses it.
    #[test]
    fn every_column_of_every_copied_table_is_copied() {
        let db = crate::testing::TestDatabase::new("copy-columns").unwrap();
        let config = db.config();
        let postgres = matches!(config.database, Database::Postgres { .. });
        let (mut store, mut audit) = open_raw(config).unwrap();
        for (tables, db) in [
            (STORE_TABLES, store.as_mut()),
            (AUDIT_TABLES, audit.as_mut()),
        ] {
            for (table, _, listed) in tables {
                let mut copied: Vec<String> = listed.iter().map(|(c, _)| (*c).to_owned()).collect();
                copied.sort();
                assert_eq!(
                    copied,
                    columns(db, table, postgres),
                    "the columns of {table}"
                );
            }
        }
    }
}
