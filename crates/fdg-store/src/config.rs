//! Which backend holds the registry, chosen once at start, and the one way to open it.
//!
//! Callers above the store (the binary, the server's tests) name a [`Database`] and get
//! `Arc<dyn Store>` and `Arc<dyn AuditLog>` back; no caller names a backend's type.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fdg_domain::supervision::Params;

use crate::audit::{AuditLog, SqliteAudit};
use crate::sqlite::{SqliteOptions, SqliteStore};
use crate::{Result, Store, StoreContext};

/// Where the registry keeps its data. Its `Debug` is [`Database::describe`]: a URL's password
/// never reaches a log.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Database {
    /// The embedded SQLite files in a data directory (`fdg.db`, `audit.db`,
    /// `audit-index.db`), created on first start.
    Sqlite {
        /// The data directory.
        dir: PathBuf,
    },
    /// A PostgreSQL database, shared by every node (its URL or `key=value` settings as the
    /// `postgres` crate reads them).
    Postgres {
        /// How to connect.
        url: String,
    },
}

impl Database {
    /// The embedded database in a data directory.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Database::Sqlite { dir: dir.into() }
    }

    /// Parses a database URL: `sqlite://PATH`, where `PATH` is the data directory
    /// (`sqlite://./fdg-data`, `sqlite:///var/lib/fdg`).
    pub fn parse(url: &str) -> std::result::Result<Self, String> {
        match url.split_once("://") {
            Some(("sqlite", dir)) if !dir.is_empty() => Ok(Database::in_dir(dir)),
            Some(("sqlite", _)) => {
                Err("sqlite:// needs a data directory, e.g. sqlite://./fdg-data".into())
            }
            Some(("postgres" | "postgresql", _)) => Ok(Database::Postgres {
                url: url.to_owned(),
            }),
            Some((scheme, _)) => Err(format!(
                "unknown database scheme {scheme:?}: sqlite://PATH or postgres://…"
            )),
            None => {
                Err("a database URL looks like sqlite://PATH or postgres://user@host/db".into())
            }
        }
    }

    /// Where the data is, for messages: never a password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite { dir } => format!("SQLite in {}", dir.display()),
            Database::Postgres { url } => {
                // Never the password: what follows the credentials, without the query.
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let place = rest.rsplit_once('@').map_or(rest, |(_, p)| p);
                let place = place.split_once('?').map_or(place, |(p, _)| p);
                format!("PostgreSQL at {place}")
            }
        }
    }

    /// The data directory of an embedded database.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Database::Sqlite { dir } => Some(dir),
            Database::Postgres { .. } => None,
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What opening the store needs besides the shared handles.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Where the data is.
    pub database: Database,
    /// The supervision indicators' counting parameters (figures made under others are
    /// recomputed at start).
    pub supervision: Params,
    /// The key webhook signing secrets are stored encrypted under; `None` stores them as
    /// they are (development).
    pub secrets_key: Option<crate::SecretsKey>,
    /// Write requests that may wait for this process's writer; beyond them a write is
    /// refused at once as overloaded ([`crate::Unavailable::Overloaded`]).
    pub write_queue: usize,
}

impl StoreConfig {
    /// The store in `database` with the default supervision parameters.
    pub fn new(database: Database) -> Self {
        StoreConfig {
            database,
            supervision: Params::default(),
            secrets_key: None,
            write_queue: crate::writer::DEFAULT_WRITE_QUEUE,
        }
    }
}

/// Opens the registry's store: creates the database if needed, applies migrations and starts
/// what the backend runs (for SQLite, its writer).
pub fn open(config: &StoreConfig, ctx: StoreContext) -> Result<Arc<dyn Store>> {
    match &config.database {
        Database::Sqlite { dir } => {
            let opts = SqliteOptions {
                supervision: config.supervision,
                write_queue: config.write_queue,
                ..SqliteOptions::in_dir(dir)
            };
            Ok(Arc::new(
                SqliteStore::open(&opts, ctx)?.with_secrets_key(config.secrets_key.clone()),
            ))
        }
        Database::Postgres { url } => Ok(Arc::new(
            crate::postgres::PostgresStore::open(url, config.supervision, ctx, config.write_queue)?
                .with_secrets_key(config.secrets_key.clone()),
        )),
    }
}

/// Opens the audit log that belongs with the store in `config`.
pub fn open_audit(config: &StoreConfig) -> Result<Arc<dyn AuditLog>> {
    match &config.database {
        Database::Sqlite { dir } => Ok(Arc::new(SqliteAudit::open(dir)?)),
        Database::Postgres { url } => Ok(Arc::new(crate::audit::PostgresAudit::open(url)?)),
    }
}

/// Creates the database if needed and applies the store's migrations, without starting
/// anything; returns how many were applied.
pub fn migrate(config: &StoreConfig) -> Result<usize> {
    match &config.database {
        Database::Sqlite { dir } => crate::sqlite::migrate(&SqliteOptions::in_dir(dir)),
        Database::Postgres { url } => {
            let url = url.clone();
            crate::postgres::off_runtime(move || {
                crate::migrate::run_postgres(&mut crate::postgres::connect(&url)?)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_names_its_backend() {
        assert_eq!(
            Database::parse("sqlite://./fdg-data"),
            Ok(Database::in_dir("./fdg-data"))
        );
        assert_eq!(
            Database::parse("sqlite:///var/lib/fdg"),
            Ok(Database::in_dir("/var/lib/fdg"))
        );
        let pg = Database::parse("postgres://fdg:hunter2-pw@db.example:5432/fdg?sslmode=require");
        assert_eq!(
            pg.as_ref().map(Database::describe),
            Ok("PostgreSQL at db.example:5432/fdg".to_owned())
        );
        let config = StoreConfig::new(pg.unwrap_or(Database::in_dir(".")));
        assert!(!format!("{config:?}").contains("hunter2"), "{config:?}");
        for bad in ["sqlite://", "./fdg-data", "mysql://db/fdg"] {
            assert!(Database::parse(bad).is_err(), "{bad}");
        }
    }
}
