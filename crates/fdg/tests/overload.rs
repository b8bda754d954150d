//! Overload and shutdown: beyond the writer's queue a write is refused at once with 503,
//! `Retry-After` and a problem that says why in Danish and English — never an unbounded wait,
//! never a 500 — and everything acknowledged is stored; SIGTERM under write load lets the
//! requests in flight finish and exits cleanly. Runs on the backend `FDG_TEST_BACKEND` names.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Answer, Node, person, registry, try_register};

#[test]
fn beyond_the_write_queue_writes_are_refused_with_503_and_retry_after() {
    let (_db, url, token) = registry("overload");
    // A queue of one waiting write, and 64 clients writing at once.
    let node = Node::start_with(&url, &["--write-queue", "1"]);
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(Vec::<(usize, Answer)>::new()));
    let clients: Vec<_> = (0..64)
        .map(|_| {
            let (addr, token) = (node.addr.clone(), token.clone());
            let (next, answers) = (next.clone(), answers.clone());
            std::thread::spawn(move || {
                for _ in 0..15 {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let answer = try_register(&addr, &token, i).unwrap();
                    answers.lock().unwrap().push((i, answer));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    let refused: Vec<&(usize, Answer)> = answers.iter().filter(|(_, a)| a.status == 503).collect();
    let stored: Vec<&(usize, Answer)> = answers.iter().filter(|(_, a)| a.status == 201).collect();
    assert_eq!(
        refused.len() + stored.len(),
        answers.len(),
        "every answer is 201 or 503: {:?}",
        answers
            .iter()
            .filter(|(_, a)| a.status != 201 && a.status != 503)
            .map(|(_, a)| (a.status, &a.body))
            .collect::<Vec<_>>()
    );
    assert!(!refused.is_empty(), "64 clients overflow a queue of one");
    assert!(!stored.is_empty(), "the writer kept writing");
    for (_, a) in &refused {
        assert_eq!(a.header("Retry-After"), Some("1"));
        assert_eq!(a.header("Content-Type"), Some("application/problem+json"));
        let p = a.json();
        assert_eq!(p["type"], "urn:fdg:problem:unavailable");
        assert!(
            p["detail_da"]
                .as_str()
                .unwrap()
                .contains("intet er registreret"),
            "{p}"
        );
    }
    // What was acknowledged is there; what was refused was not half-stored, and sent again
    // (as Retry-After says) it is recorded.
    for (_, a) in &stored {
        let id = a.json()["person_id"].as_str().unwrap().to_owned();
        assert_eq!(person(&node.addr, &token, &id).status, 200);
    }
    let (i, _) = refused[0];
    assert_eq!(try_register(&node.addr, &token, *i).unwrap().status, 201);
}

#[test]
fn sigterm_under_write_load_answers_what_is_in_flight_and_exits_cleanly() {
    let (_db, url, token) = registry("shutdown");
    let mut node = Node::start(&url);
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let (addr, token) = (node.addr.clone(), token.clone());
            let (next, acknowledged) = (next.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    match try_register(&addr, &token, i) {
                        Ok(a) if a.status == 201 => acknowledged
                            .lock()
                            .unwrap()
                            .push(a.json()["person_id"].as_str().unwrap().to_owned()),
                        // The server has stopped taking connections.
                        Ok(a) if a.status == 0 => return,
                        Ok(a) => panic!("registration {i} while stopping: {} {}", a.status, a.body),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let status = node.terminate(Duration::from_secs(20));
    for w in writers {
        w.join().unwrap();
    }
    let status = status.expect("the node stops within 20 seconds of SIGTERM");
    assert!(status.success(), "a clean exit: {status}");
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 10, "the load ran");
    // Every write answered before or during the drain was committed.
    let node = Node::start(&url);
    for id in &acknowledged {
        assert_eq!(person(&node.addr, &token, id).status, 200, "{id}");
    }
}
