//! A small pool of read-only SQLite connections, opened on demand and reused.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::Result;

/// Read-only connections to one database file.
pub(crate) struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    setup: Setup,
}

/// What every new connection runs first.
pub(crate) type Setup = Box<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

impl ReaderPool {
    /// A pool for `path`; `setup` runs once on every new connection.
    pub(crate) fn new(path: &Path, setup: Setup) -> Self {
        ReaderPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            setup,
        }
    }

    /// Runs `f` on an idle connection (or a new one), then returns it to the pool.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                (self.setup)(&c)?;
                c
            }
        };
        let out = f(&conn);
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
        out
    }
}
