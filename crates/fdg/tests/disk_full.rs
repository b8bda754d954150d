//! A full disk: writes are refused with 503 and `Retry-After` naming the full storage — never
//! a 500 — nothing acknowledged is lost, nothing is half-written (the audit chain verifies), and
//! when space returns the same server takes writes again by itself. On both backends.
//!
//! SQLite: the data directory is a small tmpfs mounted for the test. PostgreSQL: the test's
//! database lives in a tablespace on a small tmpfs (the write-ahead log stays on the server's
//! own disk), nearly filled by a ballast file the test removes to give the space back. Both
//! need the right to mount (root, as `.ci/run` runs) and, for PostgreSQL, `psql`; without
//! them the test says so and passes.

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

/// Writes through a server on `url` until its storage is full, checks the refusals, calls
/// `make_room`, and checks that the same server recovers and lost nothing.
fn fill_and_recover(url: &str, make_room: impl FnOnce()) {
    let url = url.to_owned();
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
    make_room();
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
}

#[test]
fn a_full_disk_refuses_writes_with_503_and_the_server_recovers_when_space_returns() {
    let scratch = std::env::temp_dir().join(format!("fdg-disk-full-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    if std::env::var("FDG_TEST_BACKEND").as_deref() == Ok("postgres") {
        postgres_tablespace_fills(&scratch);
    } else {
        let Some(disk) = Tmpfs::mount(&scratch, "8m") else {
            eprintln!("skipped: mounting a tmpfs needs root");
            return;
        };
        let url = format!("sqlite://{}", scratch.display());
        fill_and_recover(&url, || disk.resize("64m"));
        drop(disk);
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

fn psql(admin: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([admin, "-qAtc", sql])
        .status()
        .is_ok_and(|s| s.success())
}

fn postgres_tablespace_fills(scratch: &Path) {
    let admin = std::env::var("FDG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into());
    let Some(disk) = Tmpfs::mount(scratch, "48m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    // The server's own user must own a tablespace's directory; a server on another machine
    // cannot use this one at all.
    let owned = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(scratch)
        .status()
        .is_ok_and(|s| s.success());
    let name = format!("fdg_full_{}", std::process::id());
    let location = scratch.display().to_string();
    if !owned
        || !psql(
            &admin,
            &format!("CREATE TABLESPACE {name} LOCATION '{location}'"),
        )
        || !psql(&admin, &format!("CREATE DATABASE {name} TABLESPACE {name}"))
    {
        eprintln!("skipped: no tablespace on a local tmpfs (a local server and psql are needed)");
        return;
    }
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    // Nearly fill what is left, so the test writes a little, not tens of megabytes.
    let ballast = scratch.join("ballast");
    let free = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(scratch)
        .output()
        .unwrap();
    let free: u64 = String::from_utf8_lossy(&free.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Room for the migrations and a few hundred registrations.
    let keep = 3 * 1024 * 1024;
    std::fs::write(
        &ballast,
        vec![0u8; usize::try_from(free.saturating_sub(keep)).unwrap()],
    )
    .unwrap();
    fill_and_recover(&url, || std::fs::remove_file(&ballast).unwrap());
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql(&admin, &format!("DROP TABLESPACE IF EXISTS {name}"));
    drop(disk);
}
