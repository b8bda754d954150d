//! The crash campaign: a real `fdg serve` under write load is killed with SIGKILL at random
//! moments and started again, round after round. Afterwards every acknowledged write is
//! there, the projections equal what `fdg rebuild` makes of the log, and the audit chain
//! verifies.
//!
//! `FDG_CRASH_ROUNDS` sets the number of kills (default 3, as `.ci/run` runs it; the full
//! campaign in docs/reliability.md runs 25), `FDG_CRASH_SEED` repeats a run's kill moments
//! (each run prints its seed). Runs on the backend `FDG_TEST_BACKEND` names.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Node, fdg, person, registry, try_register};

/// Writers sending registrations at once.
const WRITERS: usize = 8;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// xorshift64: the kill moments, repeatable from the seed.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Every acknowledged person's overview as the node at `addr` answers it.
fn overviews(addr: &str, token: &str, persons: &[String]) -> BTreeMap<String, String> {
    persons
        .iter()
        .map(|id| {
            let r = person(addr, token, id);
            assert_eq!(r.status, 200, "acknowledged person {id}: {}", r.body);
            (id.clone(), r.body)
        })
        .collect()
}

#[test]
fn killed_at_random_moments_the_registry_loses_no_acknowledged_write() {
    let rounds = env_number("FDG_CRASH_ROUNDS").unwrap_or(3);
    let seed = env_number("FDG_CRASH_SEED").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .map_or(1, |d| d.as_nanos());
        (nanos as u64) | 1
    });
    eprintln!("crash campaign: {rounds} kills, FDG_CRASH_SEED={seed}");
    let (_db, url, token) = registry("crash");

    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut random = seed;
    let mut sent_while_killed = 0;
    for _ in 0..rounds {
        let mut node = Node::start(&url);
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (addr, token) = (node.addr.clone(), token.clone());
                let (next, acked) = (next.clone(), acked.clone());
                std::thread::spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let answer = try_register(&addr, &token, i);
                        match answer {
                            Ok(r) if r.status == 201 => acked
                                .lock()
                                .unwrap()
                                .push(r.json()["person_id"].as_str().unwrap().to_owned()),
                            // Killed mid-answer: nothing was acknowledged.
                            Ok(r) if r.status == 0 => return 1,
                            Ok(r) => panic!("registration {i}: {} {}", r.status, r.body),
                            // The server is gone.
                            Err(_) => return 1,
                        }
                    }
                })
            })
            .collect();
        let moment = 100 + next_random(&mut random) % 500;
        std::thread::sleep(Duration::from_millis(moment));
        node.kill();
        for w in writers {
            sent_while_killed += w.join().unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!(
        "crash campaign: {} registrations acknowledged, {sent_while_killed} cut off by a kill",
        acked.len()
    );
    assert!(acked.len() as u64 >= rounds * 10, "the load ran");

    // Every acknowledged registration is there after the last kill.
    let mut node = Node::start(&url);
    let before = overviews(&node.addr, &token, &acked);
    node.kill();
    // The projections are what the log says: rebuilt from it, every overview is the same.
    fdg(&url, &["rebuild"]);
    let node = Node::start(&url);
    let after = overviews(&node.addr, &token, &acked);
    assert!(before == after, "a projection differs from its rebuild");
    drop(node);
    // The audit chain verifies across every kill.
    fdg(&url, &["audit", "verify"]);
}
