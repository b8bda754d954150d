//! The store conformance suite: every backend must pass it.
//!
//! The backend is chosen by `FDG_TEST_BACKEND` (default `sqlite`); each test gets a fresh
//! database. Tests assert what a user of the registry would notice: acknowledged writes are
//! there exactly once, concurrent writers to one person serialise, retries do not duplicate,
//! and projections rebuilt from the log equal the ones maintained incrementally.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use fdg_domain::command::*;
use fdg_domain::{Actor, CodeLists, Command, IdempotencyKey, OrgKind, PersonId};
use fdg_store::testing::TestDatabase;
use fdg_store::{FixedClock, Idempotency, Store, StoreContext, WriteOutcome, WriteRequest};
use proptest::prelude::*;

/// A store on a fresh database of the backend under test (`FDG_TEST_BACKEND`).
struct Backend {
    store: Arc<dyn Store>,
    db: TestDatabase,
}

fn context() -> StoreContext {
    StoreContext {
        codes: Arc::new(CodeLists::shipped()),
        clock: Arc::new(FixedClock {
            now: "2026-11-27T10:00:00Z".parse().unwrap(),
            today: "2026-11-27".parse().unwrap(),
        }),
    }
}

fn backend() -> Backend {
    let db = TestDatabase::new("store-test").unwrap();
    Backend {
        store: db.open(context()).unwrap(),
        db,
    }
}

/// The state job centre (`STAT`) with one active agreement: the agreement's id.
async fn state_agreement(store: &dyn fdg_store::Store) -> i64 {
    store
        .create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    let token = store.create_token("STAT", None).await.unwrap();
    store
        .authenticate(&token)
        .await
        .unwrap()
        .unwrap()
        .agreement
        .id
}

fn state() -> Actor {
    Actor {
        kind: OrgKind::StateJobcenter,
        code: "STAT".into(),
    }
}

fn municipality() -> Actor {
    Actor {
        kind: OrgKind::MunicipalJobcenter,
        code: "101".into(),
    }
}

/// A CPR number with a real date, distinct for each `i` below 28 * 12 * 100 * 10.
fn cpr(i: usize) -> String {
    let day = i % 28 + 1;
    let month = (i / 28) % 12 + 1;
    let yy = 50 + (i / 336) % 40;
    let seq = 1000 + i / 13440;
    format!("{day:02}{month:02}{yy:02}-{seq:04}")
}

fn register(cpr: &str, date: &str) -> Command {
    Command::Register(RegisterJobSeeker {
        cpr: cpr.into(),
        name: Some("Test Person".into()),
        registration_date: Some(date.into()),
        details: RegistrationDetails {
            benefit_category: Some("a_dagpenge".into()),
            unemployment_degree: Some("fuld".into()),
            hours_per_week: None,
            job_titles: vec!["4110".into()],
            unemployment_fund: Some("001".into()),
        },
        municipality: Some("101".into()),
        match_category: None,
    })
}

fn req(command: Command, actor: Actor) -> WriteRequest {
    WriteRequest {
        command,
        actor,
        person_id: None,
        expected_version: None,
        idempotency: None,
        dry_run: false,
        context: Default::default(),
        residence: None,
        recorded: None,
    }
}

async fn all_events(store: &dyn Store) -> Vec<fdg_store::StoredEvent> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        out.extend(page);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_concurrent_write_is_in_the_log_exactly_once() {
    let b = backend();
    let mut tasks = Vec::new();
    for client in 0..64 {
        let store = b.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for n in 0..20 {
                let i = client * 20 + n;
                // Every fifth request is invalid: it must not spoil its batch neighbours.
                let cmd = if n % 5 == 4 {
                    register("999999-9999", "2026-11-02")
                } else {
                    register(&cpr(i), "2026-11-02")
                };
                match store.execute(req(cmd, state())).await.unwrap() {
                    WriteOutcome::Accepted(a) => acks.push(a),
                    WriteOutcome::Rejected(_) => assert_eq!(n % 5, 4),
                    other => panic!("unexpected {other:?}"),
                }
            }
            acks
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert_eq!(acked.len(), 64 * 16);
    let events = all_events(b.store.as_ref()).await;
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions strictly increase"
    );
    let in_log: HashSet<u64> = positions.iter().copied().collect();
    let mut acked_positions = HashSet::new();
    for a in &acked {
        for e in &a.events {
            assert!(in_log.contains(&e.position), "acknowledged event missing");
            assert!(
                acked_positions.insert(e.position),
                "position acknowledged twice"
            );
        }
    }
    assert_eq!(
        acked_positions.len(),
        events.len(),
        "no unacknowledged events"
    );
    // Each person's stream is 1..n without gaps.
    let mut streams: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &events {
        streams.entry(&e.person_id).or_default().push(e.version);
    }
    assert_eq!(streams.len(), 64 * 16);
    for versions in streams.values() {
        assert_eq!(versions, &(1..=versions.len() as u64).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_to_one_person_with_if_match_serialise() {
    let b = backend();
    let WriteOutcome::Accepted(first) = b
        .store
        .execute(req(register(&cpr(1), "2026-11-02"), state()))
        .await
        .unwrap()
    else {
        panic!("registration refused")
    };
    let kinds = [
        "ferie",
        "sygdom",
        "borgerligt_ombud",
        "midlertidigt_arbejde",
    ];
    let mut tasks = Vec::new();
    for kind in kinds {
        let store = b.store.clone();
        let version = first.version;
        tasks.push(tokio::spawn(async move {
            let mut r = req(
                Command::StartCondition(StartPeriodicCondition {
                    cpr: cpr(1),
                    kind: Some(kind.into()),
                    start_date: Some("2026-11-10".into()),
                    end_date: None,
                }),
                state(),
            );
            r.expected_version = Some(version);
            store.execute(r).await.unwrap()
        }));
    }
    let mut won = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            WriteOutcome::Accepted(_) => won += 1,
            WriteOutcome::Conflict { current } => {
                assert_eq!(current, first.version + 1);
                conflicts += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((won, conflicts), (1, 3));
}

#[tokio::test]
async fn an_idempotent_retry_replays_and_a_reused_key_is_detected() {
    let b = backend();
    let idem = |hash: u8| Idempotency {
        scope: "org:1".into(),
        key: IdempotencyKey::parse("k-1").unwrap(),
        request_hash: [hash; 32],
    };
    let key = IdempotencyKey::parse("k-1").unwrap();
    assert_eq!(b.store.idempotency_hash("org:1", &key).await.unwrap(), None);
    let mut r = req(register(&cpr(2), "2026-11-02"), state());
    r.idempotency = Some(idem(1));
    let WriteOutcome::Accepted(first) = b.store.execute(r.clone()).await.unwrap() else {
        panic!()
    };
    // The key is known, with the hash of the request it came with, in its scope only.
    assert_eq!(
        b.store.idempotency_hash("org:1", &key).await.unwrap(),
        Some(vec![1; 32])
    );
    assert_eq!(b.store.idempotency_hash("org:2", &key).await.unwrap(), None);
    let WriteOutcome::Replayed(again) = b.store.execute(r.clone()).await.unwrap() else {
        panic!("expected a replay")
    };
    assert_eq!(again, first);
    r.idempotency = Some(idem(2));
    assert!(matches!(
        b.store.execute(r).await.unwrap(),
        WriteOutcome::IdempotencyMismatch
    ));
    // Another scope may use the same key.
    let mut other = req(register(&cpr(3), "2026-11-02"), state());
    other.idempotency = Some(Idempotency {
        scope: "org:2".into(),
        ..idem(9)
    });
    assert!(matches!(
        b.store.execute(other).await.unwrap(),
        WriteOutcome::Accepted(_)
    ));
    assert_eq!(all_events(b.store.as_ref()).await.len(), 6);
}

/// Sends every request at once, so the writer takes many of them in one batch; the answers
/// in the order the requests were made.
async fn all_at_once(store: &Arc<dyn Store>, requests: Vec<WriteRequest>) -> Vec<WriteOutcome> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let store = store.clone();
            tokio::spawn(async move { store.execute(r).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_decided_together_see_what_the_earlier_ones_wrote() {
    let b = backend();
    // The same registration sixteen times at once under one idempotency key: stored once,
    // every other answer the first one's.
    let mut r = req(register(&cpr(40), "2026-11-02"), state());
    r.idempotency = Some(Idempotency {
        scope: "org:1".into(),
        key: IdempotencyKey::parse("together").unwrap(),
        request_hash: [7; 32],
    });
    let answers = all_at_once(&b.store, vec![r; 16]).await;
    let first: Vec<_> = answers
        .iter()
        .filter_map(|o| match o {
            WriteOutcome::Accepted(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(first.len(), 1, "{answers:?}");
    for o in &answers {
        match o {
            WriteOutcome::Accepted(_) => {}
            WriteOutcome::Replayed(again) => assert_eq!(again, &first[0]),
            other => panic!("unexpected {other:?}"),
        }
    }
    // Sixteen registrations of one new person at once, without a key: the first is stored,
    // the others are decided against it (already registered) — one person, one stream.
    let answers = all_at_once(
        &b.store,
        (0..16)
            .map(|_| req(register(&cpr(41), "2026-11-02"), state()))
            .collect(),
    )
    .await;
    let stored = answers
        .iter()
        .filter(|o| matches!(o, WriteOutcome::Accepted(_)))
        .count();
    let refused = answers
        .iter()
        .filter(|o| matches!(o, WriteOutcome::Rejected(_)))
        .count();
    assert_eq!((stored, refused), (1, 15), "{answers:?}");
    // Conditions for one person at once, each against the version before it: they apply in
    // turn, and the stream is 1..n without gaps.
    let kinds = ["ferie", "sygdom", "borgerligt_ombud"];
    let answers = all_at_once(
        &b.store,
        kinds
            .iter()
            .map(|kind| {
                req(
                    Command::StartCondition(StartPeriodicCondition {
                        cpr: cpr(41),
                        kind: Some((*kind).into()),
                        start_date: Some("2026-11-10".into()),
                        end_date: None,
                    }),
                    state(),
                )
            })
            .collect(),
    )
    .await;
    assert!(
        answers
            .iter()
            .all(|o| matches!(o, WriteOutcome::Accepted(_))),
        "{answers:?}"
    );
    let events = all_events(b.store.as_ref()).await;
    let mut versions: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &events {
        versions.entry(&e.person_id).or_default().push(e.version);
    }
    assert_eq!(versions.len(), 2);
    for v in versions.values() {
        assert_eq!(v, &(1..=v.len() as u64).collect::<Vec<_>>());
    }
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (positions[0]..positions[0] + positions.len() as u64).collect::<Vec<_>>(),
        "positions are gap-free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_database_refuses_does_not_refuse_its_neighbours() {
    let b = backend();
    // A NUL byte is text SQLite keeps and PostgreSQL refuses: whichever the backend, the
    // requests sent with it are stored.
    let requests: Vec<WriteRequest> = (0..24)
        .map(|i| {
            let mut r = req(register(&cpr(60 + i), "2026-11-02"), state());
            if i == 11 {
                r.idempotency = Some(Idempotency {
                    scope: "org:nul\0byte".into(),
                    key: IdempotencyKey::parse("k-11").unwrap(),
                    request_hash: [1; 32],
                });
            }
            r
        })
        .collect();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let store = b.store.clone();
            tokio::spawn(async move { store.execute(r).await })
        })
        .collect();
    let (mut stored, mut acknowledged) = (0, 0);
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(WriteOutcome::Accepted(a)) => {
                stored += 1;
                acknowledged += a.events.len();
            }
            Err(_) if i == 11 => {}
            other => panic!("request {i}: {other:?}"),
        }
    }
    assert!(stored >= 23, "{stored} of 24 stored");
    assert_eq!(all_events(b.store.as_ref()).await.len(), acknowledged);
}

#[tokio::test]
async fn an_id_that_cannot_name_a_person_is_unknown_and_never_reaches_the_database() {
    let b = backend();
    for id in ["p\0", "", "../p1", &"p".repeat(65)] {
        assert!(b.store.person(id).await.unwrap().is_none(), "{id:?}");
        assert!(b.store.person_events(id).await.unwrap().is_empty());
        // A write cannot even name it: a person id is parsed before it is one.
        assert!(PersonId::parse(id).is_none(), "{id:?}");
    }
    {
        let mut r = req(
            Command::EndCondition {
                condition: 1,
                body: EndPeriodicCondition {
                    end_date: Some("2026-11-20".into()),
                    registration: None,
                },
            },
            state(),
        );
        r.person_id = PersonId::parse("pnobody");
        // With a neighbour in the same batch, which it must not spoil.
        let answers = all_at_once(
            &b.store,
            vec![r, req(register(&cpr(70), "2026-11-02"), state())],
        )
        .await;
        assert!(
            matches!(answers[0], WriteOutcome::PersonNotFound),
            "{answers:?}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_validates_fully_and_stores_nothing() {
    let b = backend();
    let mut r = req(register(&cpr(4), "2026-11-02"), state());
    r.dry_run = true;
    let WriteOutcome::Accepted(a) = b.store.execute(r.clone()).await.unwrap() else {
        panic!()
    };
    assert!(a.dry_run && a.events.is_empty() && a.version == 3);
    assert!(all_events(b.store.as_ref()).await.is_empty());
    r.command = register("310290-1234", "2026-11-02");
    assert!(matches!(
        b.store.execute(r).await.unwrap(),
        WriteOutcome::Rejected(_)
    ));
}

#[tokio::test]
async fn acknowledged_writes_survive_a_restart() {
    let b = backend();
    let WriteOutcome::Accepted(a) = b
        .store
        .execute(req(register(&cpr(5), "2026-11-02"), state()))
        .await
        .unwrap()
    else {
        panic!()
    };
    let Backend { store, db } = b;
    drop(store);
    let reopened = db.open(context()).unwrap();
    let p = reopened.person(&a.person_id).await.unwrap().unwrap();
    assert_eq!(p.version, a.version);
    assert_eq!(all_events(reopened.as_ref()).await.len(), 3);
}

#[tokio::test]
async fn organisations_and_tokens() {
    let b = backend();
    let org = b
        .store
        .create_org(OrgKind::MunicipalJobcenter, "147", "Frederiksberg")
        .await
        .unwrap();
    assert!(
        b.store
            .create_org(OrgKind::MunicipalJobcenter, "147", "again")
            .await
            .is_err()
    );
    let token = b.store.create_token("147", None).await.unwrap();
    let token2 = b.store.create_token("147", None).await.unwrap();
    assert_ne!(token, token2);
    let p = b.store.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(p.org, org);
    assert!(b.store.authenticate("fdg_wrong").await.unwrap().is_none());
    assert!(b.store.create_token("999", None).await.is_err());
}

/// The store keeps time by the clock it is given, never the wall clock: a session made on the
/// registry's clock lives its whole length however far the wall clock is from it (a new login
/// used to delete it, by comparing its expiry with the wall clock), and what the store records
/// as "when" is the registry's time.
#[tokio::test]
async fn sessions_and_recorded_times_follow_the_store_clock() {
    let b = backend();
    let now = context().clock.now();
    b.store
        .create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    let (anne, _) = b
        .store
        .create_user("STAT", None, fdg_domain::Role::Caseworker, "Anne", None)
        .await
        .unwrap();
    let (bo, _) = b
        .store
        .create_user("STAT", None, fdg_domain::Role::Caseworker, "Bo", None)
        .await
        .unwrap();
    let hours = |h| now + jiff::SignedDuration::from_hours(h);
    let first = b.store.create_session(anne.id, hours(9)).await.unwrap();
    // Someone else logs in: the first session is still there.
    b.store.create_session(bo.id, hours(9)).await.unwrap();
    let session = b.store.session(&first, hours(8)).await.unwrap();
    assert_eq!(session.map(|s| s.user.id), Some(anne.id));
    assert!(b.store.session(&first, hours(9)).await.unwrap().is_none());

    let (agreement, _) = b
        .store
        .create_agreement(
            fdg_store::NewAgreement {
                org_code: "STAT".into(),
                org_kind: None,
                state: fdg_domain::agreement::AgreementState::Test,
                processors: Vec::new(),
                may_write: vec!["*".into()],
                may_read: vec!["*".into()],
                valid_from: None,
                valid_to: None,
                requires_acting_person: false,
                reason: "signed".into(),
            },
            "operator",
        )
        .await
        .unwrap();
    let (_, changes) = b.store.agreement(agreement.id).await.unwrap().unwrap();
    assert_eq!(changes[0].changed_at, now);
}

/// The country and municipality 101 from January, as of the clock's day.
fn figures() -> fdg_store::SupervisionQuery {
    fdg_store::SupervisionQuery {
        from: "2026-01-01".parse().unwrap(),
        as_of: "2026-11-27".parse().unwrap(),
    }
}

/// A small vocabulary of commands for random histories.
#[derive(Debug, Clone)]
enum Step {
    Register(usize, u8),
    Deregister(usize, u8),
    FirstContact(usize, u8, u8),
    Interview(usize, u8, u8),
    Condition(usize, u8, u8),
    Cessation(usize, u8),
    /// A change of the registration's details: to self-supporting (`true`) or to another
    /// a-kasse.
    Change(usize, u8, bool),
    AnnulLatest(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let p = 0usize..3;
    prop_oneof![
        (p.clone(), 1u8..25).prop_map(|(p, d)| Step::Register(p, d)),
        (p.clone(), 1u8..25).prop_map(|(p, d)| Step::Deregister(p, d)),
        (p.clone(), 1u8..25, 1u8..6).prop_map(|(p, d, m)| Step::FirstContact(p, d, m)),
        (p.clone(), 1u8..25, 1u8..6).prop_map(|(p, d, m)| Step::Interview(p, d, m)),
        (p.clone(), 1u8..25, 0u8..3).prop_map(|(p, d, k)| Step::Condition(p, d, k)),
        (p.clone(), 1u8..25).prop_map(|(p, d)| Step::Cessation(p, d)),
        (p.clone(), 1u8..25, any::<bool>()).prop_map(|(p, d, s)| Step::Change(p, d, s)),
        p.prop_map(Step::AnnulLatest),
    ]
}

fn day(d: u8) -> String {
    format!("2026-11-{d:02}")
}

fn contact(m: u8) -> ContactFields {
    ContactFields {
        name: Some("Test Person".into()),
        case_type: Some("kontanthjaelp".into()),
        support: Some("kontanthjaelp".into()),
        consent: Some(ConsentInput {
            obtain: Some(true),
            disclose: Some(false),
            date: Some("2026-11-01".into()),
        }),
        contact_form: Some("personligt".into()),
        match_category: Some(m),
        decisive_areas: if m > 1 {
            vec!["helbred".into()]
        } else {
            vec![]
        },
        further_course: Some("Videre forløb.".into()),
        ..Default::default()
    }
}

fn cash_registration() -> RegistrationDetails {
    RegistrationDetails {
        benefit_category: Some("kontanthjaelp".into()),
        unemployment_degree: Some("fuld".into()),
        hours_per_week: None,
        job_titles: vec!["5223".into()],
        unemployment_fund: None,
    }
}

fn to_request(s: &Step, last_fact: &BTreeMap<usize, (String, u64)>) -> Option<WriteRequest> {
    let c = |p: usize| cpr(100 + p);
    Some(match s {
        Step::Register(p, d) => req(register(&c(*p), &day(*d)), state()),
        Step::Deregister(p, d) => req(
            Command::Deregister(DeregisterJobSeeker {
                cpr: c(*p),
                name: Some("Test Person".into()),
                deregistration_date: Some(day(*d)),
                reason: Some("beskaeftigelse".into()),
            }),
            state(),
        ),
        Step::FirstContact(p, d, m) => req(
            Command::FirstContact(RecordFirstContact {
                cpr: c(*p),
                first_contact_date: Some(day(*d)),
                contact: contact(*m),
                municipality: None,
                registration: Some(cash_registration()).filter(|_| *m <= 3),
            }),
            municipality(),
        ),
        Step::Interview(p, d, m) => req(
            Command::Interview(RecordContactInterview {
                cpr: c(*p),
                interview_date: Some(day(*d)),
                interview_type: Some("efterfoelgende".into()),
                contact: contact(*m),
                registration: Some(cash_registration()),
            }),
            municipality(),
        ),
        Step::Condition(p, d, k) => req(
            Command::StartCondition(StartPeriodicCondition {
                cpr: c(*p),
                kind: Some(["sygdom", "ferie", "fritagelse_raadighed"][*k as usize].into()),
                start_date: Some(day(*d)),
                end_date: None,
            }),
            municipality(),
        ),
        Step::Cessation(p, d) => req(
            Command::Cessation(RecordBenefitCessation {
                cpr: c(*p),
                cessation_date: Some(day(*d)),
            }),
            municipality(),
        ),
        Step::Change(p, d, self_supporting) => req(
            Command::ChangeRegistration(ChangeRegistration {
                cpr: c(*p),
                change_date: Some(day(*d)),
                details: RegistrationDetails {
                    benefit_category: Some(
                        if *self_supporting {
                            "selvforsoergende"
                        } else {
                            "a_dagpenge"
                        }
                        .into(),
                    ),
                    unemployment_degree: Some("delvis".into()),
                    hours_per_week: Some(20),
                    job_titles: vec!["4110".into()],
                    unemployment_fund: Some("002".into()),
                },
            }),
            state(),
        ),
        Step::AnnulLatest(p) => {
            let (person_id, fact) = last_fact.get(p)?;
            let mut r = req(
                Command::Correct {
                    fact: *fact,
                    body: Correct {
                        fact_id: format!("{person_id}.{fact}"),
                        reason: Some("Fejlregistrering.".into()),
                        replacement: None,
                    },
                },
                municipality(),
            );
            r.person_id = PersonId::parse(person_id);
            r
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn projections_rebuilt_from_the_log_equal_the_incremental_ones(steps in proptest::collection::vec(step(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let b = backend();
            let mut last_fact: BTreeMap<usize, (String, u64)> = BTreeMap::new();
            let mut persons = HashSet::new();
            let mut midway = None;
            for (i, s) in steps.iter().enumerate() {
                if i == steps.len() / 2 {
                    midway = Some(b.store.supervision(&figures()).await.unwrap());
                }
                let Some(r) = to_request(s, &last_fact) else { continue };
                let p = match s {
                    Step::Register(p, _) | Step::Deregister(p, _) | Step::FirstContact(p, _, _)
                    | Step::Interview(p, _, _) | Step::Condition(p, _, _) | Step::Cessation(p, _)
                    | Step::Change(p, _, _) | Step::AnnulLatest(p) => *p,
                };
                if let WriteOutcome::Accepted(a) = b.store.execute(r).await.unwrap() {
                    persons.insert(a.person_id.clone());
                    if let Some(e) = a.events.iter().rev().find(|e| e.r#type != "fact_corrected" && e.r#type != "person_identified" && e.r#type != "municipality_set") {
                        last_fact.insert(p, (a.person_id.clone(), e.version));
                    }
                }
            }
            let mut before = BTreeMap::new();
            for id in &persons {
                before.insert(id.clone(), b.store.person(id).await.unwrap().unwrap().overview);
            }
            let sums = b.store.supervision(&figures()).await.unwrap();
            let replayed = b.store.rebuild().await.unwrap();
            assert_eq!(replayed as usize, all_events(b.store.as_ref()).await.len());
            for (id, overview) in before {
                let after = b.store.person(&id).await.unwrap().unwrap().overview;
                assert_eq!(after, overview, "person {id} differs after rebuild");
            }
            // The supervision sums kept command by command equal the ones rebuilt from the log,
            // and a report made midway is reproduced from the log up to its cut-off.
            let rebuilt = b.store.supervision(&figures()).await.unwrap();
            assert_eq!(rebuilt.rows, sums.rows);
            assert_eq!(rebuilt.input_hash, sums.input_hash);
            let midway = midway.unwrap();
            let again = b.store.supervision_replay(midway.position, &figures()).await.unwrap();
            assert_eq!(again.rows, midway.rows);
            assert_eq!(again.input_hash, midway.input_hash);
        });
    }
}

/// A clock the test moves by hand.
struct HandClock(std::sync::Mutex<jiff::Timestamp>);

impl fdg_store::TimeSource for HandClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap()
    }
    fn today(&self) -> jiff::civil::Date {
        "2026-11-27".parse().unwrap()
    }
}

impl HandClock {
    fn set(&self, at: &str) {
        *self.0.lock().unwrap() = at.parse().unwrap();
    }
}

#[tokio::test]
async fn persons_are_read_by_cpr_and_id_and_their_streams_in_order() {
    let b = backend();
    let a = accepted(&b.store, register(&cpr(1), "2026-11-02")).await;
    let by_cpr = b
        .store
        .person_by_cpr(&fdg_domain::Cpr::parse(&cpr(1)).unwrap())
        .await
        .unwrap()
        .unwrap();
    let by_id = b.store.person(&a.person_id).await.unwrap().unwrap();
    assert_eq!(by_cpr.person_id, a.person_id);
    assert_eq!(by_id.version, a.version);
    assert_eq!(by_id.overview.name.as_deref(), Some("Test Person"));
    assert_eq!(by_id.scope, by_cpr.scope);
    // Unknown persons are absent, not errors.
    let stranger = fdg_domain::Cpr::parse(&cpr(2)).unwrap();
    assert!(b.store.person_by_cpr(&stranger).await.unwrap().is_none());
    assert!(b.store.person("p0000").await.unwrap().is_none());
    // A second command: the stream numbers the person's events 1, 2, … in order.
    let mut deregister = req(
        Command::Deregister(DeregisterJobSeeker {
            cpr: cpr(1),
            name: Some("Test Person".into()),
            deregistration_date: Some("2026-11-20".into()),
            reason: Some(DEREGISTRATION_REASON.into()),
        }),
        state(),
    );
    deregister.expected_version = Some(a.version);
    let WriteOutcome::Accepted(d) = b.store.execute(deregister).await.unwrap() else {
        panic!("deregistration refused")
    };
    let stream = b.store.person_events(&a.person_id).await.unwrap();
    let versions: Vec<u64> = stream.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=d.version).collect::<Vec<_>>());
    assert!(stream.windows(2).all(|w| w[0].position < w[1].position));
    assert!(stream.iter().all(|e| e.person_id == a.person_id));
    assert_eq!(stream.last().unwrap().r#type, "job_seeker_deregistered");
    assert!(b.store.person_events("p0000").await.unwrap().is_empty());
}

/// Accepts a command from the state job centre or fails the test.
async fn accepted(store: &Arc<dyn Store>, command: Command) -> fdg_store::Accepted {
    match store.execute(req(command, state())).await.unwrap() {
        WriteOutcome::Accepted(a) => a,
        other => panic!("refused: {other:?}"),
    }
}

#[tokio::test]
async fn the_head_moves_after_each_commit_and_positions_are_found_by_time() {
    let db = TestDatabase::new("store-test").unwrap();
    let clock = Arc::new(HandClock(std::sync::Mutex::new(
        "2026-11-27T10:00:00Z".parse().unwrap(),
    )));
    let store = db
        .open(StoreContext {
            codes: Arc::new(CodeLists::shipped()),
            clock: clock.clone(),
        })
        .unwrap();
    let mut head = store.watch_head();
    assert_eq!(*head.borrow_and_update(), 0);
    let first = accepted(&store, register(&cpr(1), "2026-11-02")).await;
    head.changed().await.unwrap();
    let at_first = *head.borrow_and_update();
    assert_eq!(at_first, first.events.last().unwrap().position);
    clock.set("2026-11-27T11:00:00Z");
    let second = accepted(&store, register(&cpr(2), "2026-11-02")).await;
    head.changed().await.unwrap();
    assert_eq!(*head.borrow(), second.events.last().unwrap().position);
    // Replaying from a recorded time starts after the last event recorded before it.
    let before = |t: &str| store.position_before(t.parse().unwrap());
    assert_eq!(before("2026-11-27T09:00:00Z").await.unwrap(), 0);
    assert_eq!(before("2026-11-27T10:30:00Z").await.unwrap(), at_first);
    assert_eq!(
        before("2026-11-28T00:00:00Z").await.unwrap(),
        second.events.last().unwrap().position
    );
    // The events carry the time they were recorded at.
    let events = all_events(store.as_ref()).await;
    assert_eq!(
        events.last().unwrap().recorded_at,
        "2026-11-27T11:00:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    // Paging: a limit and a position give the rest, in order.
    let page = store.events_after(0, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    let rest = store.events_after(page[0].position, 1000).await.unwrap();
    assert_eq!(rest.len() + 1, events.len());
}

#[tokio::test]
async fn feed_cursors_are_kept_per_agreement() {
    let b = backend();
    b.store
        .create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    b.store
        .create_org(OrgKind::MunicipalJobcenter, "101", "Kbh")
        .await
        .unwrap();
    let one = b.store.create_token("STAT", None).await.unwrap();
    let two = b.store.create_token("101", None).await.unwrap();
    let one = b
        .store
        .authenticate(&one)
        .await
        .unwrap()
        .unwrap()
        .agreement
        .id;
    let two = b
        .store
        .authenticate(&two)
        .await
        .unwrap()
        .unwrap()
        .agreement
        .id;
    assert_eq!(b.store.cursor(one).await.unwrap(), 0);
    b.store.set_cursor(one, 42).await.unwrap();
    b.store.set_cursor(one, 43).await.unwrap();
    b.store.set_cursor(two, 7).await.unwrap();
    assert_eq!(b.store.cursor(one).await.unwrap(), 43);
    assert_eq!(b.store.cursor(two).await.unwrap(), 7);
}

#[tokio::test]
async fn webhooks_record_deliveries_failures_and_parked_batches() {
    let b = backend();
    let agreement = state_agreement(b.store.as_ref()).await;
    assert!(
        b.store
            .set_webhook(999, "https://x.test/", 0)
            .await
            .is_err()
    );
    let secret = b
        .store
        .set_webhook(agreement, "https://vendor.test/hook", 5)
        .await
        .unwrap();
    assert_eq!(secret.len(), 64);
    let hooks = b.store.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        (hooks[0].url.as_str(), hooks[0].position, &hooks[0].secret),
        ("https://vendor.test/hook", 5, &secret)
    );
    let retry_at: jiff::Timestamp = "2026-11-27T10:05:00Z".parse().unwrap();
    b.store
        .record_delivery(
            agreement,
            fdg_store::DeliveryResult::Failed {
                error: "answered 503".into(),
                retry_at,
            },
        )
        .await
        .unwrap();
    let hook = &b.store.webhooks().await.unwrap()[0];
    assert_eq!(
        (hook.attempts, hook.next_attempt, hook.last_error.as_deref()),
        (1, Some(retry_at), Some("answered 503"))
    );
    b.store
        .record_delivery(agreement, fdg_store::DeliveryResult::Delivered(9))
        .await
        .unwrap();
    let hook = &b.store.webhooks().await.unwrap()[0];
    assert_eq!(
        (hook.position, hook.attempts, hook.next_attempt),
        (9, 0, None)
    );
    b.store
        .record_delivery(
            agreement,
            fdg_store::DeliveryResult::Parked {
                error: "gave up".into(),
                from: 10,
                to: 12,
            },
        )
        .await
        .unwrap();
    assert_eq!(b.store.webhooks().await.unwrap()[0].position, 12);
    let parked = b.store.parked(Some(agreement)).await.unwrap();
    assert_eq!(parked.len(), 1);
    let p = &parked[0];
    assert_eq!(
        (p.from_position, p.to_position, p.last_error.as_str()),
        (10, 12, "gave up")
    );
    assert_eq!(p.parked_at, context().clock.now());
    assert_eq!(b.store.parked(None).await.unwrap().len(), 1);
    assert!(
        b.store
            .parked(Some(agreement + 1))
            .await
            .unwrap()
            .is_empty()
    );
    // Taken back once for a replay; a second take finds nothing.
    let taken = b.store.take_parked(p.id).await.unwrap().unwrap();
    assert_eq!(taken.id, p.id);
    assert!(b.store.take_parked(p.id).await.unwrap().is_none());
    let after = &b.store.parked(None).await.unwrap()[0];
    assert_eq!(after.replayed_at, Some(context().clock.now()));
}

#[tokio::test]
async fn the_store_answers_a_health_check() {
    let b = backend();
    b.store.ping().await.unwrap();
}

/// A deregistration reason in the shipped list.
const DEREGISTRATION_REASON: &str = "beskaeftigelse";

fn agreement_for(
    code: &str,
    state: fdg_domain::agreement::AgreementState,
) -> fdg_store::NewAgreement {
    fdg_store::NewAgreement {
        org_code: code.into(),
        org_kind: None,
        state,
        processors: vec!["Leverandør A/S".into()],
        may_write: vec!["*".into()],
        may_read: vec!["persons".into()],
        valid_from: Some("2026-01-01".parse().unwrap()),
        valid_to: None,
        requires_acting_person: false,
        reason: "signed".into(),
    }
}

#[tokio::test]
async fn agreements_move_through_their_states_and_keep_every_change() {
    use fdg_domain::agreement::{AgreementAction, AgreementState};
    let b = backend();
    b.store
        .create_org(OrgKind::MunicipalJobcenter, "101", "Kbh")
        .await
        .unwrap();
    b.store
        .create_org(OrgKind::UnemploymentFund, "001", "A-kasse")
        .await
        .unwrap();
    assert_eq!(b.store.orgs().await.unwrap().len(), 2);
    let (created, token) = b
        .store
        .create_agreement(agreement_for("101", AgreementState::Test), "operator")
        .await
        .unwrap();
    assert_eq!(created.state, AgreementState::Test);
    assert_eq!(created.processors, vec!["Leverandør A/S".to_owned()]);
    assert!(created.may_read("persons") && !created.may_read("events"));
    assert_eq!(created.valid_from, Some("2026-01-01".parse().unwrap()));
    let principal = b.store.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(principal.agreement, created);
    // Nothing for an organisation that does not exist.
    assert!(
        b.store
            .create_agreement(agreement_for("999", AgreementState::Test), "operator")
            .await
            .is_err()
    );
    let id = created.id;
    let activated = b
        .store
        .change_agreement(id, AgreementAction::Activate, "test passed", "operator")
        .await
        .unwrap();
    assert_eq!(activated.state, AgreementState::Active);
    // A move the states do not allow is refused and changes nothing.
    assert!(
        b.store
            .change_agreement(id, AgreementAction::Reinstate, "?", "operator")
            .await
            .is_err()
    );
    b.store
        .change_agreement(id, AgreementAction::Suspend, "§ 13", "operator")
        .await
        .unwrap();
    // The suspension reaches the next authentication at once.
    let principal = b.store.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(principal.agreement.state, AgreementState::Suspended);
    b.store
        .change_agreement(id, AgreementAction::Terminate, "ended", "operator")
        .await
        .unwrap();
    assert!(
        b.store.issue_token(id).await.is_err(),
        "a terminated agreement gets no token"
    );
    let (now, changes) = b.store.agreement(id).await.unwrap().unwrap();
    assert_eq!(now.state, AgreementState::Terminated);
    let moves: Vec<_> = changes
        .iter()
        .map(|c| (c.from, c.to, c.reason.as_str(), c.changed_by.as_str()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (None, AgreementState::Test, "signed", "operator"),
            (
                Some(AgreementState::Test),
                AgreementState::Active,
                "test passed",
                "operator"
            ),
            (
                Some(AgreementState::Active),
                AgreementState::Suspended,
                "§ 13",
                "operator"
            ),
            (
                Some(AgreementState::Suspended),
                AgreementState::Terminated,
                "ended",
                "operator"
            ),
        ]
    );
    assert!(b.store.agreement(id + 100).await.unwrap().is_none());
    assert_eq!(b.store.agreements().await.unwrap(), vec![now]);
}

#[tokio::test]
async fn tokens_rotate_and_revoke_and_certificates_bind_to_an_agreement() {
    use fdg_domain::agreement::AgreementState;
    let b = backend();
    b.store
        .create_org(OrgKind::MunicipalJobcenter, "101", "Kbh")
        .await
        .unwrap();
    let (agreement, first) = b
        .store
        .create_agreement(agreement_for("101", AgreementState::Active), "operator")
        .await
        .unwrap();
    let second = b.store.issue_token(agreement.id).await.unwrap();
    assert_ne!(first, second);
    let p1 = b.store.authenticate(&first).await.unwrap().unwrap();
    let p2 = b.store.authenticate(&second).await.unwrap().unwrap();
    assert_eq!(p1.agreement.id, p2.agreement.id);
    assert_ne!(p1.token_id, p2.token_id);
    assert!(b.store.revoke_token(p1.token_id).await.unwrap());
    assert!(
        !b.store.revoke_token(p1.token_id).await.unwrap(),
        "already revoked"
    );
    assert!(b.store.authenticate(&first).await.unwrap().is_none());
    assert!(b.store.authenticate(&second).await.unwrap().is_some());

    let fingerprint = "ab".repeat(32);
    assert!(
        b.store
            .authenticate_certificate(&fingerprint)
            .await
            .unwrap()
            .is_none()
    );
    b.store
        .add_certificate(agreement.id, &fingerprint, "CN=Fagsystem")
        .await
        .unwrap();
    let by_cert = b
        .store
        .authenticate_certificate(&fingerprint)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_cert.agreement.id, agreement.id);
    assert_eq!(by_cert.org.code, "101");
    assert!(
        b.store
            .add_certificate(agreement.id + 9, &"cd".repeat(32), "CN=x")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn users_log_in_with_their_password_and_sessions_end() {
    let b = backend();
    b.store
        .create_org(OrgKind::MunicipalJobcenter, "101", "Kbh")
        .await
        .unwrap();
    let (user, one_time) = b
        .store
        .create_user(
            "101",
            None,
            fdg_domain::Role::Caseworker,
            "Åse Ørsted",
            None,
        )
        .await
        .unwrap();
    assert_eq!(user.username, "aase.oersted");
    assert!(user.must_change_password);
    assert!(one_time.len() >= 12);
    // The same name again gets a username of its own, or a clear refusal — never the same.
    if let Ok((again, _)) = b
        .store
        .create_user(
            "101",
            None,
            fdg_domain::Role::Caseworker,
            "Åse Ørsted",
            None,
        )
        .await
    {
        assert_ne!(again.username, user.username);
    }
    let logged_in = b
        .store
        .login("aase.oersted", &one_time)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(logged_in.id, user.id);
    assert!(
        b.store
            .login("aase.oersted", "wrong")
            .await
            .unwrap()
            .is_none()
    );
    assert!(b.store.login("nobody", &one_time).await.unwrap().is_none());
    b.store
        .set_password(user.id, "a-password-of-my-own")
        .await
        .unwrap();
    assert!(
        b.store
            .login("aase.oersted", &one_time)
            .await
            .unwrap()
            .is_none()
    );
    let me = b
        .store
        .login("aase.oersted", "a-password-of-my-own")
        .await
        .unwrap()
        .unwrap();
    assert!(!me.must_change_password);

    let now = context().clock.now();
    let later = now + jiff::SignedDuration::from_hours(1);
    let id = b.store.create_session(user.id, later).await.unwrap();
    let session = b.store.session(&id, now).await.unwrap().unwrap();
    assert_eq!(session.user.id, user.id);
    assert_eq!(session.csrf.len(), 32);
    assert!(
        b.store
            .session("not-a-session", now)
            .await
            .unwrap()
            .is_none()
    );
    b.store.end_session(&id).await.unwrap();
    assert!(b.store.session(&id, now).await.unwrap().is_none());
}

#[tokio::test]
async fn citizen_sessions_know_their_citizen_until_they_end() {
    let b = backend();
    let cpr = fdg_domain::Cpr::parse("070761-4285").unwrap();
    let now = context().clock.now();
    let id = b
        .store
        .create_citizen_session(&cpr, now + jiff::SignedDuration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(
        b.store.citizen_session(&id, now).await.unwrap(),
        Some(cpr.clone())
    );
    let expired = now + jiff::SignedDuration::from_hours(2);
    assert!(
        b.store
            .citizen_session(&id, expired)
            .await
            .unwrap()
            .is_none()
    );
    b.store.end_citizen_session(&id).await.unwrap();
    assert!(b.store.citizen_session(&id, now).await.unwrap().is_none());
}

/// Several nodes on one database (three stores opened on it), many writers on each, and a
/// reader paging the feed by position all the while: the reader sees every event of the final
/// log, once, in order — no position became visible after a higher one had been read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paging_reader_skips_no_event_while_several_nodes_write() {
    let db = TestDatabase::new("store-test").unwrap();
    let nodes: Vec<Arc<dyn Store>> = (0..3).map(|_| db.open(context()).unwrap()).collect();
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for client in 0..8 {
            let node = node.clone();
            writers.push(tokio::spawn(async move {
                for k in 0..25 {
                    let i = (n * 8 + client) * 25 + k;
                    accepted(&node, register(&cpr(i), "2026-11-02")).await;
                }
            }));
        }
    }
    let reader = nodes[0].clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = done.clone();
    let paging = tokio::spawn(async move {
        let (mut after, mut seen) = (0u64, Vec::new());
        loop {
            let last_round = finished.load(std::sync::atomic::Ordering::SeqCst);
            let page = reader.events_after(after, 50).await.unwrap();
            if let Some(last) = page.last() {
                after = last.position;
            }
            let empty = page.is_empty();
            seen.extend(page.into_iter().map(|e| e.position));
            if empty && last_round {
                return seen;
            }
            if empty {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    });
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = paging.await.unwrap();
    let events = all_events(nodes[1].as_ref()).await;
    let persons: HashSet<&str> = events.iter().map(|e| e.person_id.as_str()).collect();
    assert_eq!(persons.len(), 3 * 8 * 25);
    let log: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(seen, log, "the reader missed or repeated an event");
}

#[tokio::test]
async fn one_node_at_a_time_holds_a_webhook_and_hands_it_on_when_its_lease_runs_out() {
    let db = TestDatabase::new("store-test").unwrap();
    let (a, b) = (db.open(context()).unwrap(), db.open(context()).unwrap());
    a.create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    let token = a.create_token("STAT", None).await.unwrap();
    let agreement = a.authenticate(&token).await.unwrap().unwrap().agreement.id;
    a.set_webhook(agreement, "https://vendor.test/hook", 0)
        .await
        .unwrap();
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let (t0, t1, t2) = (
        t("2026-12-02T10:00:00Z"),
        t("2026-12-02T10:00:20Z"),
        t("2026-12-02T10:00:40Z"),
    );
    let lease = jiff::SignedDuration::from_secs(30);
    assert!(
        a.lease_webhook(agreement, "node-a", t0, t0 + lease)
            .await
            .unwrap()
    );
    // While node A's lease runs, node B does not deliver; A renews its own.
    assert!(
        !b.lease_webhook(agreement, "node-b", t1, t1 + lease)
            .await
            .unwrap()
    );
    assert!(
        a.lease_webhook(agreement, "node-a", t1, t1 + lease)
            .await
            .unwrap()
    );
    assert!(
        !b.lease_webhook(agreement, "node-b", t2, t2 + lease)
            .await
            .unwrap()
    );
    // A stops renewing (it died): once the lease has run out, B takes over, and A is out.
    let t3 = t("2026-12-02T10:00:51Z");
    assert!(
        b.lease_webhook(agreement, "node-b", t3, t3 + lease)
            .await
            .unwrap()
    );
    assert!(
        !a.lease_webhook(agreement, "node-a", t3, t3 + lease)
            .await
            .unwrap()
    );
    // No webhook, no lease.
    assert!(
        !a.lease_webhook(agreement + 1, "node-a", t0, t0 + lease)
            .await
            .unwrap()
    );
}

/// A suspension through one node reaches another's next authentication: at once on
/// PostgreSQL (several nodes), within the credential cache's second on SQLite (one process
/// serves the file; this is the CLI's case).
#[tokio::test]
async fn a_suspension_through_one_node_reaches_the_others() {
    use fdg_domain::agreement::{AgreementAction, AgreementState};
    let db = TestDatabase::new("store-test").unwrap();
    let (a, b) = (db.open(context()).unwrap(), db.open(context()).unwrap());
    a.create_org(OrgKind::MunicipalJobcenter, "101", "Kbh")
        .await
        .unwrap();
    let (agreement, token) = a
        .create_agreement(agreement_for("101", AgreementState::Active), "operator")
        .await
        .unwrap();
    let seen = b.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(seen.agreement.state, AgreementState::Active);
    a.change_agreement(agreement.id, AgreementAction::Suspend, "§ 13", "operator")
        .await
        .unwrap();
    // PostgreSQL tells every node as the change commits (`NOTIFY`); one process on SQLite
    // trusts what it cached for a second. Either way well within the 30 seconds a node may
    // cache a credential it is told nothing about.
    let started = std::time::Instant::now();
    loop {
        let seen = b.authenticate(&token).await.unwrap().unwrap();
        if seen.agreement.state == AgreementState::Suspended {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "node b still trusts a suspended agreement"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// When the database drops every connection (a restart, a failover), the store heals by
/// itself: a request caught in the cut fails and stores nothing, and the ones after it are
/// served.
#[tokio::test]
async fn the_store_reconnects_after_its_connections_are_cut() {
    let db = TestDatabase::new("store-test").unwrap();
    let store = db.open(context()).unwrap();
    accepted(&store, register(&cpr(1), "2026-11-02")).await;
    assert!(store.person_events("p0").await.unwrap().is_empty());
    db.cut_connections().unwrap();
    let mut outcomes = Vec::new();
    for i in 2..6 {
        outcomes.push(
            store
                .execute(req(register(&cpr(i), "2026-11-02"), state()))
                .await,
        );
    }
    let served = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(WriteOutcome::Accepted(_))))
        .count();
    assert!(
        matches!(outcomes.last(), Some(Ok(WriteOutcome::Accepted(_)))),
        "{outcomes:?}"
    );
    // Reads heal too; the log holds exactly the writes that were acknowledged.
    let mut events = None;
    for _ in 0..3 {
        if let Ok(e) = store.events_after(0, 1000).await {
            events = Some(e);
            break;
        }
    }
    let persons: HashSet<String> = events.unwrap().into_iter().map(|e| e.person_id).collect();
    assert_eq!(persons.len(), 1 + served);
}

/// Failed logins are counted in the database: a username locked through one node is locked on
/// every other, until its window has passed; a success forgets the count. Only usernames of
/// accounts are counted, so the table holds at most one row per user whatever is sent.
#[tokio::test]
async fn login_attempts_are_counted_for_every_node_within_the_window() {
    let db = TestDatabase::new("store-test").unwrap();
    let (a, b) = (db.open(context()).unwrap(), db.open(context()).unwrap());
    a.create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    for name in ["Anne Berg", "Bo Ib"] {
        a.create_user(
            "STAT",
            Some(OrgKind::StateJobcenter),
            fdg_domain::Role::Caseworker,
            name,
            None,
        )
        .await
        .unwrap();
    }
    let t0: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
    let window = jiff::SignedDuration::from_mins(15);
    let at = |mins: i64| t0 + jiff::SignedDuration::from_mins(mins);
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            node.login_attempt("anne.berg", at(i), window, 5)
                .await
                .unwrap(),
            None
        );
    }
    // Locked on both nodes, until fifteen minutes after the first counted attempt.
    for node in [&a, &b] {
        assert_eq!(
            node.login_attempt("anne.berg", at(6), window, 5)
                .await
                .unwrap(),
            Some(at(15))
        );
    }
    // Another username is not affected; after the window the count starts again.
    assert_eq!(
        a.login_attempt("bo.ib", at(6), window, 5).await.unwrap(),
        None
    );
    assert_eq!(
        b.login_attempt("anne.berg", at(16), window, 5)
            .await
            .unwrap(),
        None
    );
    // Usernames of no account are never counted: a visitor cannot fill the table.
    for i in 0..20 {
        assert_eq!(
            a.login_attempt(&format!("nobody{}", i % 2), at(6), window, 5)
                .await
                .unwrap(),
            None
        );
    }
    // A success forgets what was counted.
    for i in 0..4 {
        a.login_attempt("bo.ib", at(7 + i), window, 5)
            .await
            .unwrap();
    }
    b.login_succeeded("bo.ib").await.unwrap();
    for i in 0..5 {
        assert_eq!(
            a.login_attempt("bo.ib", at(12 + i), window, 5)
                .await
                .unwrap(),
            None
        );
    }
}

/// With a secrets key, a webhook's signing secret is stored encrypted: a store opened without
/// the key, or with another, cannot read it; one with the key signs with the secret given out.
#[tokio::test]
async fn webhook_secrets_are_stored_encrypted_under_the_operator_s_key() {
    let db = TestDatabase::new("store-test").unwrap();
    let key = fdg_store::SecretsKey::from_hex(&"5a".repeat(32)).unwrap();
    let with = |key: Option<fdg_store::SecretsKey>| {
        let config = fdg_store::StoreConfig {
            secrets_key: key,
            ..db.config().clone()
        };
        fdg_store::open(&config, context()).unwrap()
    };
    let keyed = with(Some(key.clone()));
    let agreement = state_agreement(keyed.as_ref()).await;
    let secret = keyed
        .set_webhook(agreement, "https://vendor.test/hook", 0)
        .await
        .unwrap();
    assert_eq!(keyed.webhooks().await.unwrap()[0].secret, secret);
    assert!(
        with(None).webhooks().await.is_err(),
        "not readable without the key"
    );
    let other = fdg_store::SecretsKey::from_hex(&"a5".repeat(32)).unwrap();
    assert!(with(Some(other)).webhooks().await.is_err());
    assert_eq!(with(Some(key)).webhooks().await.unwrap()[0].secret, secret);
}

/// Logging in again and again never fills the session tables: a user, and a citizen, has at
/// most ten sessions open; a new one ends the oldest.
#[tokio::test]
async fn a_user_and_a_citizen_have_at_most_ten_sessions_open() {
    let b = backend();
    b.store
        .create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    let (user, _) = b
        .store
        .create_user(
            "STAT",
            None,
            fdg_domain::Role::Caseworker,
            "Anne Berg",
            None,
        )
        .await
        .unwrap();
    let now = context().clock.now();
    let until = now + jiff::SignedDuration::from_hours(1);
    let cpr = fdg_domain::Cpr::parse("070761-4285").unwrap();
    let (mut staff, mut citizen) = (Vec::new(), Vec::new());
    for _ in 0..12 {
        staff.push(b.store.create_session(user.id, until).await.unwrap());
        citizen.push(b.store.create_citizen_session(&cpr, until).await.unwrap());
    }
    let mut open = (0, 0);
    for (s, c) in staff.iter().zip(&citizen) {
        open.0 += usize::from(b.store.session(s, now).await.unwrap().is_some());
        open.1 += usize::from(b.store.citizen_session(c, now).await.unwrap().is_some());
    }
    assert_eq!(open, (10, 10));
}

#[tokio::test]
async fn a_subscription_is_idempotent_keeps_its_position_and_ends() {
    let b = backend();
    let agreement = state_agreement(b.store.as_ref()).await;
    let types = || Some(vec!["job_seeker_registered".to_owned()]);
    assert!(
        b.store
            .subscribe(999, "https://x.test/", None, 0)
            .await
            .is_err()
    );
    let secret = b
        .store
        .subscribe(agreement, "https://vendor.test/a", types(), 7)
        .await
        .unwrap()
        .expect("a new subscription's secret");
    // The same URL again: secret and position kept, the types as asked now.
    assert_eq!(
        b.store
            .subscribe(agreement, "https://vendor.test/a", None, 99)
            .await
            .unwrap(),
        None
    );
    let hook = b.store.webhooks().await.unwrap().remove(0);
    assert_eq!(
        b.store.webhook(agreement).await.unwrap().as_ref(),
        Some(&hook)
    );
    assert_eq!(b.store.webhook(agreement + 1).await.unwrap(), None);
    assert_eq!(
        (hook.position, hook.types, &hook.secret),
        (7, None, &secret)
    );
    // Another URL: a new secret, the same position.
    let moved = b
        .store
        .subscribe(agreement, "https://vendor.test/b", types(), 99)
        .await
        .unwrap()
        .expect("a new secret for a new URL");
    assert_ne!(moved, secret);
    let hook = b.store.webhooks().await.unwrap().remove(0);
    assert_eq!(
        (hook.url.as_str(), hook.position, hook.types, hook.secret),
        ("https://vendor.test/b", 7, types(), moved)
    );
    // The operator's whole-feed webhook replaces the types.
    b.store
        .set_webhook(agreement, "https://vendor.test/b", 7)
        .await
        .unwrap();
    assert_eq!(b.store.webhooks().await.unwrap()[0].types, None);
    assert!(b.store.unsubscribe(agreement).await.unwrap());
    assert!(!b.store.unsubscribe(agreement).await.unwrap());
    assert!(b.store.webhooks().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_worklist_lists_persons_by_their_day_and_municipality_and_pages() {
    use fdg_domain::worklist::Kind;
    use fdg_store::worklist::WorklistQuery;
    let b = backend();
    // Registered on 1, 2, 3 November in 101 and on 1 November in 147: interviews are due
    // three months later (the default interval).
    let mut ids = Vec::new();
    for (i, (day, municipality)) in [("01", "101"), ("03", "101"), ("02", "101"), ("01", "147")]
        .into_iter()
        .enumerate()
    {
        let mut command = register(&cpr(100 + i), &format!("2026-11-{day}"));
        if let Command::Register(r) = &mut command {
            r.municipality = Some(municipality.into());
        }
        ids.push(accepted(&b.store, command).await.person_id);
    }
    // An exemption from availability from 15 December for the first.
    let exemption = |person: usize, start: &str| {
        Command::StartCondition(fdg_domain::command::StartPeriodicCondition {
            cpr: cpr(person),
            kind: Some("fritagelse_raadighed".into()),
            start_date: Some(start.into()),
            end_date: None,
        })
    };
    accepted(&b.store, exemption(100, "2026-12-15")).await;
    let query = |kind, municipality: Option<&str>, to: &str, after, limit| WorklistQuery {
        kind,
        municipality: municipality.map(str::to_owned),
        from: None,
        to: Some(to.parse().unwrap()),
        after,
        limit,
    };
    let list = |rows: Vec<fdg_store::worklist::WorkRow>| -> Vec<(String, String)> {
        rows.into_iter()
            .map(|r| (r.person_id, r.day.to_string()))
            .collect()
    };
    // 101's interviews due by 2 February.
    let due_in_101 = || {
        b.store.worklist(query(
            Kind::InterviewDue,
            Some("101"),
            "2027-02-02",
            None,
            10,
        ))
    };
    let due = due_in_101().await.unwrap();
    assert_eq!(
        list(due.clone()),
        vec![
            (ids[0].clone(), "2027-02-01".to_owned()),
            (ids[2].clone(), "2027-02-02".to_owned())
        ],
        "101's persons due by 2 February, in day order; 147's and the later one left out"
    );
    assert_eq!(due[0].scope.municipality.as_deref(), Some("101"));
    // Paging after the first row gives the second.
    let next = b
        .store
        .worklist(query(
            Kind::InterviewDue,
            Some("101"),
            "2027-12-31",
            Some((due[0].day, due[0].person_id.clone())),
            1,
        ))
        .await
        .unwrap();
    assert_eq!(list(next), vec![(ids[2].clone(), "2027-02-02".to_owned())]);
    // Every municipality at once.
    let all = b
        .store
        .worklist(query(Kind::InterviewDue, None, "2027-12-31", None, 10))
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    let exemptions = b
        .store
        .worklist(query(
            Kind::ExemptionFrom,
            Some("101"),
            "2026-12-31",
            None,
            10,
        ))
        .await
        .unwrap();
    assert_eq!(
        list(exemptions),
        vec![(ids[0].clone(), "2026-12-15".to_owned())]
    );
    // A cash-benefit registration with an exemption ahead: due the day it takes effect.
    let cash = Command::FirstContact(RecordFirstContact {
        cpr: cpr(110),
        first_contact_date: Some("2026-11-02".into()),
        contact: contact(2),
        municipality: Some("101".into()),
        registration: Some(cash_registration()),
    });
    let WriteOutcome::Accepted(first) = b.store.execute(req(cash, municipality())).await.unwrap()
    else {
        panic!("first contact refused")
    };
    let exempted = first.person_id;
    accepted(&b.store, exemption(110, "2026-12-20")).await;
    let falls_due = |day: &str| b.store.consequences_due(day.parse().unwrap(), 10);
    assert!(falls_due("2026-12-19").await.unwrap().is_empty());
    assert_eq!(
        falls_due("2026-12-20").await.unwrap(),
        vec![exempted.clone()]
    );
    // Rebuilding the projections from the log gives the same lists.
    let before = due_in_101().await.unwrap();
    assert_eq!(before.len(), 3, "the cash-benefit registration is due too");
    b.store.rebuild().await.unwrap();
    assert_eq!(falls_due("2026-12-31").await.unwrap(), vec![exempted]);
    let again = due_in_101().await.unwrap();
    assert_eq!(again, before);
}

#[tokio::test]
async fn a_store_counts_by_the_match_meaning_of_its_code_lists_and_recounts_when_it_changes() {
    let db = TestDatabase::new("store-test").unwrap();
    let replaced = || {
        let mut codes = CodeLists::shipped();
        codes
            .replace_from_csv(
                fdg_domain::codes::ListName::MatchCategory,
                "code,label_da,label_en,valid_from,valid_to,attributes\n\
                 1,a,a,2005-01-01,,only_unemployment immediate\n\
                 2,b,b,2005-01-01,,only_unemployment\n\
                 3,c,c,2005-01-01,,only_unemployment\n\
                 4,d,d,2005-01-01,,only_unemployment\n\
                 5,e,e,2005-01-01,,\n",
            )
            .unwrap();
        codes
    };
    // Which dimensions of "in course" and "out of step" the person is counted under.
    let counted = |store: Arc<dyn Store>| async move {
        let sums = store.supervision(&figures()).await.unwrap();
        sums.rows
            .iter()
            .filter(|r| ["in_course", "out_of_step"].contains(&&*r.indicator) && r.n > 0)
            .map(|r| format!("{}:{}", r.indicator, r.dim))
            .collect::<std::collections::BTreeSet<_>>()
    };
    {
        // A cash-benefit applicant assessed as 4 without a registration: with the shipped
        // list in target group 3 (LAB § 2, nr. 3) and in step.
        let store = db.open(context()).unwrap();
        let first_contact = Command::FirstContact(RecordFirstContact {
            cpr: cpr(1),
            first_contact_date: Some(day(2)),
            contact: contact(4),
            municipality: None,
            registration: None,
        });
        let outcome = store
            .execute(req(first_contact, municipality()))
            .await
            .unwrap();
        assert!(matches!(outcome, WriteOutcome::Accepted(_)), "{outcome:?}");
        let shipped = counted(store.clone()).await;
        assert!(shipped.contains("in_course:3"), "{shipped:?}");
        assert!(!shipped.iter().any(|f| f.starts_with("out_of_step")));
    }
    // Opened again with a list in which 4 is "alene pga. ledighed": the figures are recounted
    // at start, and the same person is out of step (not registered) and in target group 2.
    let store = db
        .open(StoreContext {
            codes: Arc::new(replaced()),
            ..context()
        })
        .unwrap();
    let recounted = counted(store.clone()).await;
    assert!(
        recounted.contains("out_of_step:must_register"),
        "{recounted:?}"
    );
    assert!(recounted.contains("in_course:2"), "{recounted:?}");
}

#[tokio::test]
async fn writes_in_order_carry_their_recording_times_and_are_decided_as_of_them() {
    let b = backend();
    let at = |t: &str| fdg_store::Recorded {
        at: t.parse().unwrap(),
        day: t[..10].parse().unwrap(),
    };
    let with = |command: Command, t: &str| WriteRequest {
        recorded: Some(at(t)),
        ..req(command, state())
    };
    let change = Command::ChangeRegistration(ChangeRegistration {
        cpr: cpr(60),
        change_date: Some("2019-06-01".into()),
        details: RegistrationDetails {
            benefit_category: Some("a_dagpenge".into()),
            unemployment_degree: Some("delvis".into()),
            hours_per_week: Some(20),
            job_titles: vec!["4110".into()],
            unemployment_fund: Some("002".into()),
        },
    });
    // A registration and its change handed over together are decided in that order; a
    // registration dated after its own recording day is in the future on that day.
    let outcomes = b
        .store
        .execute_in_order(vec![
            with(register(&cpr(60), "2019-03-01"), "2019-03-01T09:00:00Z"),
            with(change, "2019-06-01T09:00:00Z"),
            with(register(&cpr(61), "2019-03-09"), "2019-03-02T09:00:00Z"),
        ])
        .await
        .unwrap();
    let accepted: Vec<bool> = outcomes
        .iter()
        .map(|o| matches!(o, Ok(WriteOutcome::Accepted(_))))
        .collect();
    assert_eq!(accepted, [true, true, false], "{outcomes:?}");
    let Ok(WriteOutcome::Rejected(vs)) = &outcomes[2] else {
        panic!("{:?}", outcomes[2])
    };
    assert_eq!(vs[0].rule.id, "fdg.date.not_in_future");
    // Stored with those times, not the clock's (2026-11-27).
    let events = all_events(b.store.as_ref()).await;
    let times: Vec<String> = events.iter().map(|e| e.recorded_at.to_string()).collect();
    assert!(
        times.contains(&"2019-03-01T09:00:00Z".to_owned()),
        "{times:?}"
    );
    assert!(
        times.contains(&"2019-06-01T09:00:00Z".to_owned()),
        "{times:?}"
    );
    assert!(!times.iter().any(|t| t.starts_with("2026")), "{times:?}");
}

#[tokio::test]
async fn every_person_is_read_once_in_pages_in_person_id_order() {
    let b = backend();
    for i in 70..75 {
        accepted(&b.store, register(&cpr(i), "2026-11-02")).await;
    }
    let (mut after, mut seen) = (String::new(), Vec::new());
    loop {
        let page = b.store.persons_after(&after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = last.person_id.clone();
        seen.extend(page.into_iter().map(|p| p.person_id));
    }
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, each once");
}
