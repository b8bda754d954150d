//! A full disk (SQLite): writes are refused with 503 and `Retry-After` naming the full
//! storage — never a 500 — nothing acknowledged is lost, nothing is half-written (the audit
//! chain verifies), and when space returns the same server takes writes again by itself.
//!
//! The data directory is a small tmpfs mounted for the test, which needs the right to mount
//! (root, as `.ci/run` runs): without it, or on PostgreSQL (whose disk the test cannot fill),
//! the test says so and passes.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Node, fdg, http, person, state_jobcenter, try_register};

/// A tmpfs of `size` on `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_owned()))
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success(), "remount");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_refuses_writes_with_503_and_the_server_recovers_when_space_returns() {
    if std::env::var("FDG_TEST_BACKEND").as_deref() == Ok("postgres") {
        eprintln!("skipped: the test fills a SQLite data directory's disk");
        return;
    }
    let scratch = std::env::temp_dir().join(format!("fdg-disk-full-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let Some(disk) = Tmpfs::mount(&scratch, "8m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let url = format!("sqlite://{}", scratch.display());
    let token = state_jobcenter(&url);
    let mut node = Node::start(&url);

    // Write until the disk is full.
    let (mut acknowledged, mut full) = (Vec::new(), None);
    for i in 0..200_000 {
        let a = try_register(&node.addr, &token, i).unwrap();
        match a.status {
            201 => acknowledged.push(a.json()["person_id"].as_str().unwrap().to_owned()),
            503 => {
                full = Some((i, a));
                break;
            }
            other => panic!("registration {i}: {other} {}", a.body),
        }
    }
    let (refused, answer) = full.expect("the disk filled up");
    eprintln!(
        "disk full after {} acknowledged registrations",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 10,
        "{} writes before full",
        acknowledged.len()
    );
    assert_eq!(answer.header("Retry-After"), Some("30"));
    let p = answer.json();
    assert_eq!(p["type"], "urn:fdg:problem:unavailable");
    assert!(
        p["detail_da"].as_str().unwrap().contains("lager er fuldt"),
        "{p}"
    );
    // While full, writes go on being refused, not failing.
    for i in refused + 1..refused + 5 {
        assert_eq!(try_register(&node.addr, &token, i).unwrap().status, 503);
    }
    assert_eq!(http(&node.addr, "GET", "/healthz", &[], "").status, 200);

    // Space returns: the same server takes writes again by itself.
    disk.resize("64m");
    let started = Instant::now();
    loop {
        let a = try_register(&node.addr, &token, refused).unwrap();
        if a.status == 201 {
            acknowledged.push(a.json()["person_id"].as_str().unwrap().to_owned());
            break;
        }
        assert_eq!(a.status, 503, "{}", a.body);
        assert!(started.elapsed() < Duration::from_secs(30), "not recovered");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Everything acknowledged is there, and the audit chain is whole.
    for id in &acknowledged {
        let r = person(&node.addr, &token, id);
        assert_eq!(r.status, 200, "acknowledged {id}: {}", r.body);
    }
    node.kill();
    fdg(&url, &["audit", "verify"]);
    drop(disk);
    let _ = std::fs::remove_dir_all(&scratch);
}
