//! The audit log's chain: appends are durable and ordered, and `verify` names an altered,
//! removed, inserted or reordered entry. Runs on the backend `FDG_TEST_BACKEND` names.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use fdg_store::audit::{AuditEntry, AuditLog, ChainProblem};
use fdg_store::testing::TestDatabase;

/// A fresh database of the backend under test (`FDG_TEST_BACKEND`).
struct TempDir(TestDatabase);

impl TempDir {
    fn new() -> Self {
        TempDir(TestDatabase::new("audit-test").unwrap())
    }
}

fn open(dir: &TempDir) -> Arc<dyn AuditLog> {
    dir.0.open_audit().unwrap()
}

fn entry(i: u32, person: &str) -> AuditEntry {
    AuditEntry {
        at: format!("2026-11-{:02}T10:00:00Z", 1 + i % 27)
            .parse()
            .unwrap(),
        org: "municipal-jobcenter:101".into(),
        credential: "agreement:1".into(),
        acting_person: Some(format!("sagsbehandler-{i}")),
        on_behalf_of: None,
        action: "person.read".into(),
        person_id: Some(person.into()),
        purpose: "case handling".into(),
        outcome: "ok".into(),
    }
}

/// A log with ten entries, closed so the file can be tampered with.
async fn ten_entries(dir: &TempDir) {
    let log = open(dir);
    for i in 0..10 {
        log.append(vec![entry(i, if i % 2 == 0 { "pa" } else { "pb" })])
            .await
            .unwrap();
    }
}

fn tamper(dir: &TempDir, sql: &str) {
    dir.0.tamper_with_audit(sql).unwrap();
}

async fn problems(dir: &TempDir) -> Vec<ChainProblem> {
    open(dir).verify().await.unwrap().problems
}

#[tokio::test]
async fn an_intact_log_verifies_and_serves_a_person_s_entries_newest_first() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    let log = open(&dir);
    let report = log.verify().await.unwrap();
    assert_eq!(report.entries, 10);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mine = log.for_person("pa", 100).await.unwrap();
    assert_eq!(mine.len(), 5);
    assert!(mine.windows(2).all(|w| w[0].seq > w[1].seq));
    assert!(
        mine.iter()
            .all(|e| e.entry.person_id.as_deref() == Some("pa"))
    );
}

#[tokio::test]
async fn concurrent_appends_form_one_unbroken_chain() {
    let dir = TempDir::new();
    let log = open(&dir);
    let mut tasks = Vec::new();
    for t in 0..32 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                log.append(vec![entry(t * 100 + i, "px")]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = log.verify().await.unwrap();
    assert_eq!(report.entries, 640);
    assert!(report.problems.is_empty());
}

#[tokio::test]
async fn an_altered_entry_is_named() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    tamper(
        &dir,
        "UPDATE audit SET org = 'state-jobcenter:STAT' WHERE seq = 4",
    );
    assert_eq!(problems(&dir).await, vec![ChainProblem::Altered { seq: 4 }]);
}

#[tokio::test]
async fn a_removed_entry_is_named() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    tamper(&dir, "DELETE FROM audit WHERE seq = 6");
    assert_eq!(
        problems(&dir).await,
        vec![ChainProblem::Removed {
            from_seq: 6,
            to_seq: 6
        }]
    );
}

#[tokio::test]
async fn an_inserted_entry_is_named() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    // Make room at 5 and insert a plausible-looking entry there.
    tamper(
        &dir,
        "UPDATE audit SET seq = seq + 1000 WHERE seq >= 5;
         UPDATE audit SET seq = seq - 999 WHERE seq >= 1005;
         INSERT INTO audit (seq, at, org, credential, action, person_id, purpose, outcome, prev_hash, hash)
         SELECT 5, at, org, credential, action, 'pz', purpose, outcome, hash, hash FROM audit WHERE seq = 4;",
    );
    assert_eq!(
        problems(&dir).await,
        vec![ChainProblem::Inserted { seq: 5 }]
    );
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    tamper(
        &dir,
        "UPDATE audit SET seq = 100 WHERE seq = 7;
         UPDATE audit SET seq = 7 WHERE seq = 8;
         UPDATE audit SET seq = 8 WHERE seq = 100;",
    );
    let found = problems(&dir).await;
    assert!(
        found.contains(&ChainProblem::Reordered {
            seq: 7,
            follows_seq: 8
        }),
        "{found:?}"
    );
}

#[tokio::test]
async fn pruning_keeps_the_rest_of_the_chain_verifiable() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    let log = open(&dir);
    let pruned = log
        .prune("2026-11-05T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(pruned, 4);
    let report = log.verify().await.unwrap();
    assert_eq!(report.from_checkpoint, Some(4));
    assert_eq!(report.entries, 6);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // Appending after a prune continues the chain.
    log.append(vec![entry(11, "pa")]).await.unwrap();
    assert!(log.verify().await.unwrap().problems.is_empty());
    // Removing the first entry after the checkpoint is still caught.
    drop(log);
    tamper(&dir, "DELETE FROM audit WHERE seq = 5");
    assert_eq!(
        problems(&dir).await,
        vec![ChainProblem::Removed {
            from_seq: 5,
            to_seq: 5
        }]
    );
}

#[tokio::test]
async fn the_log_survives_reopening_and_continues_the_chain() {
    let dir = TempDir::new();
    ten_entries(&dir).await;
    let log = open(&dir);
    log.append(vec![entry(20, "pa"), entry(21, "pb")])
        .await
        .unwrap();
    let report = log.verify().await.unwrap();
    assert_eq!(report.entries, 12);
    assert!(report.problems.is_empty());
}

#[tokio::test]
async fn queued_entries_join_the_chain_in_the_order_they_were_queued() {
    let dir = TempDir::new();
    let log = open(&dir);
    log.enqueue(vec![entry(1, "pa")]).await.unwrap();
    log.enqueue(vec![entry(2, "pa"), entry(3, "pb")])
        .await
        .unwrap();
    // An append returns when it is durable, and so is everything queued before it.
    log.append(vec![entry(4, "pa")]).await.unwrap();
    let mine = log.for_person("pa", 10).await.unwrap();
    let who: Vec<_> = mine
        .iter()
        .map(|e| e.entry.acting_person.as_deref().unwrap())
        .collect();
    assert_eq!(
        who,
        ["sagsbehandler-4", "sagsbehandler-2", "sagsbehandler-1"]
    );
    let report = log.verify().await.unwrap();
    assert_eq!(report.entries, 4);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A caller's id that cannot name a person (here with a NUL byte, which PostgreSQL refuses)
/// is recorded escaped, does not fail the entries appended with it, and the chain verifies.
#[tokio::test]
async fn an_entry_with_an_id_no_person_has_is_kept_escaped_and_spoils_no_neighbour() {
    let dir = TempDir::new();
    let log = open(&dir);
    let mut odd = entry(1, "p\0../x");
    odd.acting_person = Some("nul\0in a header".into());
    log.append(vec![entry(0, "pa"), odd, entry(2, "pa")])
        .await
        .unwrap();
    let report = log.verify().await.unwrap();
    assert_eq!(report.entries, 3);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(log.for_person("pa", 10).await.unwrap().len(), 2);
    let kept = log.for_person("p\\u{0}../x", 10).await.unwrap();
    assert_eq!(kept.len(), 1, "the odd id is kept, escaped");
    assert_eq!(
        kept[0].entry.acting_person.as_deref(),
        Some("nul\u{fffd}in a header")
    );
}
