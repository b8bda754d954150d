//! A small migration runner: numbered SQL files embedded in the binary, applied in order at
//! start, each in its own transaction, with a checksum so an edited migration is detected.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Result, StoreError, hex};

/// One migration.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The SQLite migrations, in order.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_persons_rowid",
        sql: include_str!("../migrations/sqlite/0002_persons_rowid.sql"),
    },
    Migration {
        version: 3,
        name: "0003_agreements",
        sql: include_str!("../migrations/sqlite/0003_agreements.sql"),
    },
    Migration {
        version: 4,
        name: "0004_users_sessions",
        sql: include_str!("../migrations/sqlite/0004_users_sessions.sql"),
    },
    Migration {
        version: 5,
        name: "0005_citizen_sessions",
        sql: include_str!("../migrations/sqlite/0005_citizen_sessions.sql"),
    },
    Migration {
        version: 6,
        name: "0006_agreement_certificates",
        sql: include_str!("../migrations/sqlite/0006_agreement_certificates.sql"),
    },
    Migration {
        version: 7,
        name: "0007_feed_cursors",
        sql: include_str!("../migrations/sqlite/0007_feed_cursors.sql"),
    },
    Migration {
        version: 8,
        name: "0008_webhooks",
        sql: include_str!("../migrations/sqlite/0008_webhooks.sql"),
    },
    Migration {
        version: 9,
        name: "0009_event_scope",
        sql: include_str!("../migrations/sqlite/0009_event_scope.sql"),
    },
    Migration {
        version: 10,
        name: "0010_drop_duplicate_event_index",
        sql: include_str!("../migrations/sqlite/0010_drop_duplicate_event_index.sql"),
    },
    Migration {
        version: 11,
        name: "0011_supervision",
        sql: include_str!("../migrations/sqlite/0011_supervision.sql"),
    },
    Migration {
        version: 12,
        name: "0012_overview_built_on_read",
        sql: include_str!("../migrations/sqlite/0012_overview_built_on_read.sql"),
    },
    Migration {
        version: 13,
        name: "0013_webhook_lease",
        sql: include_str!("../migrations/sqlite/0013_webhook_lease.sql"),
    },
    Migration {
        version: 14,
        name: "0014_login_failures",
        sql: include_str!("../migrations/sqlite/0014_login_failures.sql"),
    },
    Migration {
        version: 15,
        name: "0015_user_external_id",
        sql: include_str!("../migrations/sqlite/0015_user_external_id.sql"),
    },
    Migration {
        version: 16,
        name: "0016_subscription_types",
        sql: include_str!("../migrations/sqlite/0016_subscription_types.sql"),
    },
    Migration {
        version: 17,
        name: "0017_acting_person_required",
        sql: include_str!("../migrations/sqlite/0017_acting_person_required.sql"),
    },
    Migration {
        version: 18,
        name: "0018_worklist",
        sql: include_str!("../migrations/sqlite/0018_worklist.sql"),
    },
];

/// The audit database's migrations, in order.
pub(crate) const SQLITE_AUDIT: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_audit",
        sql: include_str!("../migrations/sqlite-audit/0001_audit.sql"),
    },
    Migration {
        version: 2,
        name: "0002_deferred_person_index",
        sql: include_str!("../migrations/sqlite-audit/0002_deferred_person_index.sql"),
    },
    Migration {
        version: 3,
        name: "0003_index_moves_out",
        sql: include_str!("../migrations/sqlite-audit/0003_index_moves_out.sql"),
    },
];

/// The audit index database's migrations.
pub(crate) const SQLITE_AUDIT_INDEX: &[Migration] = &[Migration {
    version: 1,
    name: "0001_person_index",
    sql: include_str!("../migrations/sqlite-audit-index/0001_person_index.sql"),
}];

fn checksum(sql: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(sql.as_bytes()))
}

/// Applies every migration not yet applied; returns how many were applied.
pub(crate) fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL,
            checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let newest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    if let Some(newest) = newest
        && migrations.iter().all(|m| m.version < newest)
    {
        return Err(StoreError::Migration(format!(
            "the database has migration {newest}, newer than this binary knows"
        )));
    }
    let mut applied = 0;
    for m in migrations {
        let existing: Option<String> = conn
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(sum) if sum == checksum(m.sql) => continue,
            Some(_) => {
                return Err(StoreError::Migration(format!(
                    "migration {} was changed after it was applied; never edit an applied migration",
                    m.name
                )));
            }
            None => {}
        }
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        // When the operator applied it: real time, whatever clock the registry runs on.
        #[allow(clippy::disallowed_methods)]
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                m.version,
                m.name,
                checksum(m.sql),
                jiff::Timestamp::now().to_string()
            ],
        )?;
        tx.commit()?;
        tracing::info!(migration = m.name, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

/// The PostgreSQL migrations, in order.
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_user_external_id",
        sql: include_str!("../migrations/postgres/0002_user_external_id.sql"),
    },
    Migration {
        version: 3,
        name: "0003_subscription_types",
        sql: include_str!("../migrations/postgres/0003_subscription_types.sql"),
    },
    Migration {
        version: 4,
        name: "0004_acting_person_required",
        sql: include_str!("../migrations/postgres/0004_acting_person_required.sql"),
    },
    Migration {
        version: 5,
        name: "0005_worklist",
        sql: include_str!("../migrations/postgres/0005_worklist.sql"),
    },
];

/// Applies every PostgreSQL migration not yet applied, one node at a time (a session advisory
/// lock), each in its own transaction; returns how many were applied.
pub(crate) fn run_postgres(db: &mut crate::postgres::PgDb) -> Result<usize> {
    use crate::sql::{Db, args};
    const MIGRATE_LOCK: i64 = 0x66_64_67_6d;
    db.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL,
            checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let lock = |db: &mut crate::postgres::PgDb, sql: &str| -> Result<()> {
        (db as &mut dyn Db).query_one(sql, args![MIGRATE_LOCK], |_| Ok(()))
    };
    lock(db, "SELECT pg_advisory_lock(?1)::text")?;
    let result = apply_postgres(db);
    let unlocked = lock(db, "SELECT pg_advisory_unlock(?1)::text");
    let applied = result?;
    unlocked?;
    Ok(applied)
}

fn apply_postgres(db: &mut crate::postgres::PgDb) -> Result<usize> {
    use crate::sql::{Db, args};
    let newest = (db as &mut dyn Db).query_one(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        args![],
        |r| r.int(0),
    )?;
    if newest > 0 && POSTGRES.iter().all(|m| m.version < newest) {
        return Err(StoreError::Migration(format!(
            "the database has migration {newest}, newer than this binary knows"
        )));
    }
    let mut applied = 0;
    for m in POSTGRES {
        let existing = (db as &mut dyn Db).query_opt(
            "SELECT checksum FROM schema_migrations WHERE version = ?1",
            args![m.version],
            |r| r.string(0),
        )?;
        match existing {
            Some(sum) if sum == checksum(m.sql) => continue,
            Some(_) => {
                return Err(StoreError::Migration(format!(
                    "migration {} was changed after it was applied; never edit an applied migration",
                    m.name
                )));
            }
            None => {}
        }
        // When the operator applied it: real time, whatever clock the registry runs on.
        #[allow(clippy::disallowed_methods)]
        let now = jiff::Timestamp::now().to_string();
        let sum = checksum(m.sql);
        db.batch("BEGIN")?;
        let done = db.batch(m.sql).and_then(|()| {
            (db as &mut dyn Db).execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES (?1, ?2, ?3, ?4)",
                args![m.version, m.name, &sum, &now],
            )
        });
        match done {
            Ok(_) => db.batch("COMMIT")?,
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                return Err(e);
            }
        }
        tracing::info!(migration = m.name, "applied migration");
        applied += 1;
    }
    Ok(applied)
}
