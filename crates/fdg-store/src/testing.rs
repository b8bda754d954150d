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

/// A fresh database for one test, on the backend that `FDG_TEST_BACKEND` names (`sqlite`, the
/// default). Every test suite takes its backend from here, so the same tests run on each.
#[derive(Debug)]
pub struct TestDatabase {
    scratch: TempDir,
    config: crate::StoreConfig,
}

impl TestDatabase {
    /// A new, empty database (and a scratch directory) labelled `label`.
    pub fn new(label: &str) -> std::io::Result<Self> {
        let scratch = TempDir::new(label)?;
        let database = match std::env::var("FDG_TEST_BACKEND").as_deref() {
            Ok("sqlite") | Err(_) => crate::Database::in_dir(scratch.path()),
            Ok(other) => {
                return Err(std::io::Error::other(format!(
                    "unknown FDG_TEST_BACKEND {other:?} (known: sqlite)"
                )));
            }
        };
        Ok(TestDatabase {
            scratch,
            config: crate::StoreConfig::new(database),
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
        }
    }

    /// A directory for the test's own files (removed with the database).
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }
}
