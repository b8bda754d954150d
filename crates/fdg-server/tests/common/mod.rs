//! What the socket-level test files share: the service's state on a fresh SQLite database in
//! `dir`, with the shipped code lists and the clock fixed at 2026-11-27 10:00 UTC.

use std::path::Path;
use std::sync::Arc;

use fdg_domain::CodeLists;
use fdg_server::{AppState, ServerConfig};
use fdg_store::audit::{AuditLog, SqliteAudit};
use fdg_store::sqlite::{SqliteOptions, SqliteStore};
use fdg_store::{FixedClock, Store, StoreContext};

/// The state to serve, and its store (to set up organisations and users).
pub fn app_state(dir: &Path, config: ServerConfig) -> (AppState, Arc<dyn Store>) {
    let codes = Arc::new(CodeLists::shipped());
    let clock = Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().expect("a timestamp"),
        today: "2026-11-27".parse().expect("a date"),
    });
    let store = SqliteStore::open(
        &SqliteOptions::in_dir(dir),
        StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        },
    )
    .expect("a fresh store");
    let store: Arc<dyn Store> = Arc::new(store);
    let audit: Arc<dyn AuditLog> = Arc::new(SqliteAudit::open(dir).expect("a fresh audit log"));
    (
        AppState::new(store.clone(), audit, codes, clock, config),
        store,
    )
}
