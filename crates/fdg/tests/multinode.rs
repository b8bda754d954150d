//! Two real `fdg serve` processes on one PostgreSQL database, as behind a load balancer:
//! writes through both reach one feed reader exactly once and in order, an idempotent retry
//! on the other node gets the first answer, a session made on one node works on the other, a
//! suspension closes the other node's long poll, a webhook batch is pushed once, and killing
//! one node under write load loses no acknowledged write while the other keeps answering.
//!
//! Runs with `FDG_TEST_BACKEND=postgres` (as `.ci/run` does); otherwise it says so and passes.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Node, fdg, feed, http, register, state_jobcenter};
use fdg_store::testing::TestDatabase;
use serde_json::Value;

#[test]
fn two_nodes_serve_one_registry() {
    if std::env::var("FDG_TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("skipped: two nodes need PostgreSQL (FDG_TEST_BACKEND=postgres)");
        return;
    }
    let db = TestDatabase::new("multinode").unwrap();
    let fdg_store::Database::Postgres { url } = db.config().database.clone() else {
        unreachable!("FDG_TEST_BACKEND=postgres gives a PostgreSQL database")
    };
    let token = state_jobcenter(&url);
    fdg(
        &url,
        &[
            "org",
            "create",
            "--kind",
            "municipal-jobcenter",
            "--code",
            "101",
            "--name",
            "Kbh",
        ],
    );
    let created = fdg(
        &url,
        &["agreement", "create", "--org", "101", "--state", "active"],
    );
    let mut lines = created.lines();
    let (municipal_agreement, municipal_token) = (
        lines.next().unwrap().to_owned(),
        lines.next().unwrap().to_owned(),
    );
    // A webhook receiver: every position pushed, counted.
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!("http://{}/hook", receiver.local_addr().unwrap());
    let pushed: Arc<Mutex<BTreeMap<u64, u32>>> = Arc::default();
    {
        let pushed = pushed.clone();
        std::thread::spawn(move || {
            for stream in receiver.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let batch: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                for e in batch["events"].as_array().cloned().unwrap_or_default() {
                    if let Some(p) = e["position"].as_u64() {
                        *pushed.lock().unwrap().entry(p).or_default() += 1;
                    }
                }
                let _ = reader
                    .get_mut()
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
    }
    let listed = fdg(&url, &["agreement", "list"]);
    let state_agreement = listed
        .lines()
        .find(|l| l.contains(":STAT\t"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    fdg(
        &url,
        &[
            "webhook",
            "set",
            &state_agreement,
            "--url",
            &hook_url,
            "--from-position",
            "0",
        ],
    );

    let a = Node::start(&url);
    let mut b = Node::start(&url);

    // Writes through both nodes; one reader sees each exactly once, in order.
    let mut acked = Vec::new();
    for i in 0..40 {
        let node = if i % 2 == 0 { &a.addr } else { &b.addr };
        let r = register(node, &token, i, None);
        assert_eq!(r.status, 201, "{}", r.body);
        acked.push(r.json()["person_id"].as_str().unwrap().to_owned());
    }
    let through_a = feed(&a.addr, &token);
    let through_b = feed(&b.addr, &token);
    assert_eq!(through_a, through_b);
    assert!(
        through_a.windows(2).all(|w| w[0] < w[1]),
        "in order, once each"
    );
    assert!(through_a.len() >= 40);

    // An idempotent retry on the other node: the first answer.
    let first = register(&a.addr, &token, 1000, Some("retry-1"));
    let again = register(&b.addr, &token, 1000, Some("retry-1"));
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json()["person_id"], again.json()["person_id"]);

    // A session made on node A works on node B.
    let user = fdg(
        &url,
        &[
            "user",
            "create",
            "--org",
            "STAT",
            "--role",
            "caseworker",
            "--name",
            "Anne Berg",
        ],
    );
    let mut user = user.split_whitespace();
    let (username, password) = (
        user.next().unwrap().to_owned(),
        user.next().unwrap().to_owned(),
    );
    // The login page from node B, the form posted to node A: the login's CSRF token needs no
    // shared state.
    let page = http(&b.addr, "GET", "/login", &[], "");
    let login_cookie = page
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = page
        .body
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let login = http(
        &a.addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &login_cookie),
        ],
        &format!("username={username}&password={password}&csrf={csrf}"),
    );
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let without = http(&b.addr, "GET", "/password", &[], "");
    let with = http(&b.addr, "GET", "/password", &[("Cookie", &cookie)], "");
    assert_ne!(
        without.status, 200,
        "node B asks who you are without the cookie"
    );
    assert_eq!(
        with.status, 200,
        "node B knows node A's session: {}",
        with.body
    );

    // A suspension closes the other node's long poll at once.
    let auth = format!("Bearer {municipal_token}");
    let head = feed(&a.addr, &token).last().copied().unwrap_or(0);
    let poll = {
        let (addr, auth) = (b.addr.clone(), auth.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let r = http(
                &addr,
                "GET",
                &format!("/api/v1/events?after={head}&wait=30"),
                &[("Authorization", &auth)],
                "",
            );
            (r, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    fdg(
        &url,
        &[
            "agreement",
            "suspend",
            &municipal_agreement,
            "--reason",
            "§ 13",
        ],
    );
    // A write wakes every node's long polls; the suspended agreement's ends refused.
    assert_eq!(register(&a.addr, &token, 2000, None).status, 201);
    let (answer, waited) = poll.join().unwrap();
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    let refused = http(
        &b.addr,
        "GET",
        "/api/v1/events",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(refused.status, 403);

    // Both nodes run webhook delivery; the lease lets one push each batch, once.
    let newest = *feed(&a.addr, &token).last().unwrap();
    let caught_up = |pushed: &Mutex<BTreeMap<u64, u32>>, upto: u64| {
        let deadline = Instant::now() + Duration::from_secs(90);
        while pushed
            .lock()
            .unwrap()
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            < upto
        {
            assert!(
                Instant::now() < deadline,
                "the webhook did not catch up to {upto}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    caught_up(&pushed, newest);
    {
        let pushed = pushed.lock().unwrap();
        let twice: Vec<_> = pushed.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "pushed more than once: {twice:?}");
        assert_eq!(
            pushed.keys().copied().collect::<Vec<_>>(),
            feed(&a.addr, &token)
        );
    }

    // Kill node B under write load: every acknowledged write is there, node A keeps answering.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (a, b, token) = (a.addr.clone(), b.addr.clone(), token.clone());
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for k in 0..60 {
                    let i = 3000 + w * 100 + k;
                    let node = if k % 2 == 0 { &a } else { &b };
                    let result = std::panic::catch_unwind(|| register(node, &token, i, None));
                    if let Ok(r) = result
                        && r.status == 201
                    {
                        acked.push(r.json()["person_id"].as_str().unwrap().to_owned());
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    b.kill();
    let mut all_acked: HashSet<String> = acked.into_iter().collect();
    for w in writers {
        all_acked.extend(w.join().unwrap());
    }
    assert!(
        all_acked.len() > 100,
        "writes went on through node A: {}",
        all_acked.len()
    );
    for person in &all_acked {
        let r = http(
            &a.addr,
            "GET",
            &format!("/api/v1/persons/{person}"),
            &[("Authorization", &format!("Bearer {token}"))],
            "",
        );
        assert_eq!(r.status, 200, "acknowledged person {person} is there");
    }
    assert_eq!(http(&a.addr, "GET", "/healthz", &[], "").status, 200);

    // The webhook goes on from the surviving node (after node B's lease runs out): every
    // position is pushed; one that node B was pushing when it died may come twice.
    let newest = *feed(&a.addr, &token).last().unwrap();
    caught_up(&pushed, newest);
    let pushed = pushed.lock().unwrap();
    assert_eq!(
        pushed.keys().copied().collect::<Vec<_>>(),
        feed(&a.addr, &token)
    );
}
