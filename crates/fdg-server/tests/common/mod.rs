//! What the socket-level test files share: the service's state on a fresh database of the
//! backend under test (`FDG_TEST_BACKEND`), with the shipped code lists and the clock fixed at
//! 2026-11-27 10:00 UTC.

use std::sync::Arc;

use fdg_domain::CodeLists;
use fdg_server::{AppState, ServerConfig};
use fdg_store::testing::TestDatabase;
use fdg_store::{FixedClock, Store, StoreContext};

/// The state to serve, and its store (to set up organisations and users).
pub fn app_state(db: &TestDatabase, config: ServerConfig) -> (AppState, Arc<dyn Store>) {
    let codes = Arc::new(CodeLists::shipped());
    let clock = Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().expect("a timestamp"),
        today: "2026-11-27".parse().expect("a date"),
    });
    let store = db
        .open(StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        })
        .expect("a fresh store");
    let audit = db.open_audit().expect("a fresh audit log");
    (
        AppState::new(store.clone(), audit, codes, clock, config),
        store,
    )
}
