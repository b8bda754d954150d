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
