//! Helpers for tests of fdg and of code built on it (no effect in production).

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, removed when dropped: every test
/// gets its own database.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `fdg-<label>-<random>` in the temporary directory.
    pub fn new(label: &str) -> std::io::Result<Self> {
        let name = crate::secrets::random_hex(8);
        let path = std::env::temp_dir().join(format!("fdg-{label}-{name}"));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database for one test, on the backend that `FDG_TEST_BACKEND` names: `sqlite` (the
/// default) or `postgres`, where a new database is created on the server that
/// `FDG_TEST_POSTGRES_URL` names (default `postgresql://postgres@127.0.0.1:5432/postgres`) and
/// dropped afterwards. Every test suite takes its backend from here, so the same tests run on
/// each.
#[derive(Debug)]
pub struct TestDatabase {
    scratch: TempDir,
    config: crate::StoreConfig,
    /// The server and name of a PostgreSQL database to drop afterwards.
    postgres: Option<(String, String)>,
}

/// The PostgreSQL server tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("FDG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into())
}

/// The URL of database `name` on the server of `admin` (same credentials).
fn with_database(admin: &str, name: &str) -> String {
    let base = admin.split_once('?').map_or(admin, |(b, _)| b);
    match base.rsplit_once('/') {
        Some((server, _))
            if base.contains("://") && server.contains("://") && !server.ends_with('/') =>
        {
            format!("{server}/{name}")
        }
        _ => format!("{base}/{name}"),
    }
}

fn postgres_admin(admin: &str, sql: String) -> crate::Result<()> {
    let admin = admin.to_owned();
    crate::postgres::off_runtime(move || crate::postgres::connect(&admin)?.batch(&sql))
}

impl TestDatabase {
    /// A new, empty database (and a scratch directory) labelled `label`.
    pub fn new(label: &str) -> std::io::Result<Self> {
        let scratch = TempDir::new(label)?;
        let (database, postgres) = match std::env::var("FDG_TEST_BACKEND").as_deref() {
            Ok("sqlite") | Err(_) => (crate::Database::in_dir(scratch.path()), None),
            Ok("postgres") => {
                let admin = postgres_admin_url();
                let name = format!(
                    "fdg_test_{}_{}",
                    label.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
                    crate::secrets::random_hex(6)
                );
                postgres_admin(&admin, format!("CREATE DATABASE {name}"))
                    .map_err(|e| std::io::Error::other(format!("creating {name}: {e}")))?;
                let url = with_database(&admin, &name);
                (crate::Database::Postgres { url }, Some((admin, name)))
            }
            Ok(other) => {
                return Err(std::io::Error::other(format!(
                    "unknown FDG_TEST_BACKEND {other:?} (known: sqlite, postgres)"
                )));
            }
        };
        Ok(TestDatabase {
            scratch,
            config: crate::StoreConfig::new(database),
            postgres,
        })
    }

    /// A new, empty embedded (SQLite) database, whatever backend is under test: the source
    /// of a move to the backend under test.
    pub fn sqlite(label: &str) -> std::io::Result<Self> {
        let scratch = TempDir::new(label)?;
        let database = crate::Database::in_dir(scratch.path());
        Ok(TestDatabase {
            scratch,
            config: crate::StoreConfig::new(database),
            postgres: None,
        })
    }

    /// How to open it.
    pub fn config(&self) -> &crate::StoreConfig {
        &self.config
    }

    /// Opens the store (again, after a restart, on the same data).
    pub fn open(
        &self,
        ctx: crate::StoreContext,
    ) -> crate::Result<std::sync::Arc<dyn crate::Store>> {
        crate::open(&self.config, ctx)
    }

    /// Opens its audit log.
    pub fn open_audit(&self) -> crate::Result<std::sync::Arc<dyn crate::audit::AuditLog>> {
        crate::open_audit(&self.config)
    }

    /// Runs SQL on the audit log's database behind the log's back, as an attacker with access
    /// to the database would (tests of `verify`). Close the log first.
    pub fn tamper_with_audit(&self, sql: &str) -> crate::Result<()> {
        match &self.config.database {
            crate::Database::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.join("audit.db"))?;
                conn.execute_batch(sql)?;
                Ok(())
            }
            crate::Database::Postgres { url } => postgres_admin(url, sql.to_owned()),
        }
    }

    /// Cuts every connection the store has to its database, as a database restart or failover
    /// would (PostgreSQL; the embedded database has no connections to lose).
    pub fn cut_connections(&self) -> crate::Result<()> {
        match &self.config.database {
            crate::Database::Sqlite { .. } => Ok(()),
            crate::Database::Postgres { url } => postgres_admin(
                url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    .into(),
            ),
        }
    }

    /// A directory for the test's own files (removed with the database).
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take()
            && let Err(e) = postgres_admin(
                &admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
        {
            eprintln!("could not drop the test database {name}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_test_database_is_named_on_the_admin_server() {
        assert_eq!(
            super::with_database("postgresql://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgresql://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            super::with_database("postgresql://postgres@127.0.0.1:5432", "t1"),
            "postgresql://postgres@127.0.0.1:5432/t1"
        );
    }
}
