//! Backup and restore: `fdg store copy` taken from a registry while it is written to is an
//! online backup; copied back into an empty database it is a restore. The restored registry
//! serves, its audit chain verifies, and it holds every write acknowledged before the backup
//! began. Runs on the backend `FDG_TEST_BACKEND` names (the backup itself is embedded files).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Node, cli, fdg, person, registry, try_register};
use fdg_store::testing::TestDatabase;

fn url_of(db: &TestDatabase) -> String {
    match db.config().database.clone() {
        fdg_store::Database::Postgres { url } => url,
        fdg_store::Database::Sqlite { dir } => format!("sqlite://{}", dir.display()),
        other => panic!("no URL for {other:?}"),
    }
}

#[test]
fn a_backup_taken_under_write_load_restores_every_write_acknowledged_before_it() {
    let (_live, url, token) = registry("backup-live");
    let mut node = Node::start(&url);
    let (next, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (addr, token) = (node.addr.clone(), token.clone());
            let (next, stop, acknowledged) = (next.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let a = try_register(&addr, &token, i).unwrap();
                    assert_eq!(a.status, 201, "{}", a.body);
                    let id = a.json()["person_id"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = acknowledged.lock().unwrap().clone();
    let backup = TestDatabase::sqlite("backup-files").unwrap();
    let backup_url = url_of(&backup);
    cli(&["store", "copy", "--from", &url, "--to", &backup_url]);
    let during = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    node.kill();
    assert!(
        before.len() > 10,
        "writes were acknowledged before the backup"
    );
    assert!(
        during > before.len(),
        "writes went on while the backup was taken"
    );

    // Restore into an empty database of the backend under test, and serve it.
    let restored = TestDatabase::new("backup-restored").unwrap();
    let restored_url = url_of(&restored);
    cli(&[
        "store",
        "copy",
        "--from",
        &backup_url,
        "--to",
        &restored_url,
    ]);
    fdg(&restored_url, &["audit", "verify"]);
    let node = Node::start(&restored_url);
    for id in &before {
        assert_eq!(person(&node.addr, &token, id).status, 200, "{id}");
    }
}
