//! A database that takes no writes (PostgreSQL answering SQLSTATE 25006, as a standby does, or
//! a primary with `default_transaction_read_only`): every write is refused with 503 and
//! `Retry-After` — never a 500 — nothing half-written, and when the database takes writes again
//! the same server records them by itself. Reads of personal data are refused alike (their
//! audit entries cannot be written, and nothing unaudited leaves); the health check answers.
//! On the way, a write on a connection the database ended is refused as disconnected (503,
//! `Retry-After: 1`) — never a 500 — while the node makes a new one.
//!
//! PostgreSQL only, with `psql` on the test server; on SQLite the test says so and passes (a
//! read-only file system under an open database cannot be made for a test without root tools
//! that containers lack — see docs/reliability.md).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Node, fdg, http, person, registry, try_register};

fn psql(admin: &str, sql: &str) {
    let ok = Command::new("psql")
        .args([admin, "-qAtc", sql])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql: {sql}");
}

/// Writes until the server answers `want` (and, for a 503, a detail containing `saying`): the
/// first answers after the database changes may still be the old ones, and a write on a
/// connection the database ended is refused as disconnected (503, retry after 1 s) while a new
/// one is made. Never anything but 201 or 503.
fn until(
    addr: &str,
    token: &str,
    i: &mut usize,
    (want, saying): (u16, &str),
    acknowledged: &mut Vec<String>,
) {
    let started = Instant::now();
    loop {
        let a = try_register(addr, token, *i).unwrap();
        *i += 1;
        let mut detail = String::new();
        match a.status {
            201 => acknowledged.push(a.json()["person_id"].as_str().unwrap().to_owned()),
            503 => {
                let p = a.json();
                assert_eq!(p["type"], "urn:fdg:problem:unavailable", "{p}");
                detail = p["detail"].as_str().unwrap().to_owned();
                let retry = a.header("Retry-After");
                if detail.contains("lost its connection") {
                    assert_eq!(retry, Some("1"), "{p}");
                } else {
                    assert_eq!(retry, Some("30"), "{p}");
                }
            }
            other => panic!("registration answered {other}: {}", a.body),
        }
        if a.status == want && detail.contains(saying) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {want} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_read_only_database_refuses_writes_with_503_and_the_server_recovers() {
    if std::env::var("FDG_TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("skipped: a read-only database is exercised on PostgreSQL");
        return;
    }
    if Command::new("psql").arg("--version").output().is_err() {
        eprintln!("skipped: no psql");
        return;
    }
    let (db, url, token) = registry("read-only");
    let (admin, name) = url.rsplit_once('/').unwrap();
    let admin = format!("{admin}/postgres");
    let mut node = Node::start(&url);
    let (mut i, mut acknowledged) = (0, Vec::new());
    until(&node.addr, &token, &mut i, (201, ""), &mut acknowledged);
    for _ in 0..10 {
        until(&node.addr, &token, &mut i, (201, ""), &mut acknowledged);
    }

    // The database stops taking writes; the server's connections are made anew.
    psql(
        &admin,
        &format!("ALTER DATABASE {name} SET default_transaction_read_only = on"),
    );
    db.cut_connections().unwrap();
    until(
        &node.addr,
        &token,
        &mut i,
        (503, "takes no changes"),
        &mut acknowledged,
    );
    let refused = try_register(&node.addr, &token, i).unwrap();
    assert_eq!(refused.status, 503, "{}", refused.body);
    let p = refused.json();
    assert!(
        p["detail_da"]
            .as_str()
            .unwrap()
            .contains("modtager ingen ændringer"),
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("takes no changes"),
        "{p}"
    );
    // A read cannot be audited, so it is refused alike — never a 500. The health check
    // answers 503 while a reader still holds a connection the database ended, then 200: the
    // database answers reads.
    let read = person(&node.addr, &token, &acknowledged[0]);
    assert!(matches!(read.status, 200 | 503), "{}", read.body);
    let started = Instant::now();
    loop {
        let health = http(&node.addr, "GET", "/healthz", &[], "");
        if health.status == 200 {
            break;
        }
        assert_eq!(health.status, 503, "{}", health.body);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "health not back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Writes return: the same server records again by itself.
    psql(
        &admin,
        &format!("ALTER DATABASE {name} RESET default_transaction_read_only"),
    );
    db.cut_connections().unwrap();
    until(&node.addr, &token, &mut i, (201, ""), &mut acknowledged);
    for id in &acknowledged {
        let r = person(&node.addr, &token, id);
        assert_eq!(r.status, 200, "acknowledged {id}: {}", r.body);
    }
    node.kill();
    fdg(&url, &["audit", "verify"]);
}
