//! `fdg serve --demo`: a small synthetic population on an empty data directory, recorded
//! through the same commands and rules as real use, so a newcomer sees a living system.
//!
//! The CPR numbers have real dates and sequence numbers from 9000 up, which the registry treats
//! like any other; every demo person's name ends in "(syntetisk)" so nobody mistakes them.

use std::net::SocketAddr;

use fdg_domain::command::*;
use fdg_domain::{Actor, Command, OrgKind, Role};
use fdg_store::{Store, TimeSource, WriteContext, WriteOutcome, WriteRequest};

/// First names of synthetic persons (also `fdg demo`'s).
pub(crate) const FIRST: [&str; 12] = [
    "Anne", "Bo", "Camilla", "Dennis", "Emma", "Frederik", "Gitte", "Hans", "Ida", "Jonas",
    "Karen", "Lars",
];
/// Last names of synthetic persons (also `fdg demo`'s).
pub(crate) const LAST: [&str; 8] = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
];

/// A write of synthetic data: recorded like any other, with the acting person saying what it is.
pub(crate) fn synthetic(command: Command, actor: &Actor, acting_person: &str) -> WriteRequest {
    WriteRequest {
        command,
        actor: actor.clone(),
        person_id: None,
        expected_version: None,
        idempotency: None,
        dry_run: false,
        context: WriteContext {
            agreement: None,
            acting_person: Some(acting_person.to_owned()),
            on_behalf_of: None,
        },
        residence: None,
        recorded: None,
    }
}

async fn run(store: &dyn Store, actor: &Actor, command: Command) -> anyhow::Result<()> {
    let kind = command.kind();
    match store.execute(synthetic(command, actor, "demo")).await? {
        WriteOutcome::Accepted(_) => Ok(()),
        other => anyhow::bail!("demo {kind} was refused: {other:?}"),
    }
}

/// Loads the demo population and prints the demo users.
pub async fn load(
    store: &dyn Store,
    clock: &dyn TimeSource,
    scheme: &str,
    addr: SocketAddr,
) -> anyhow::Result<()> {
    let orgs = [
        (OrgKind::StateJobcenter, "STAT", "Staten i jobcenteret"),
        (OrgKind::MunicipalJobcenter, "101", "Jobcenter København"),
        (OrgKind::MunicipalJobcenter, "751", "Jobcenter Århus"),
        (OrgKind::OtherActor, "12345678", "Anden Aktør ApS"),
        (OrgKind::BenefitCenter, "101", "Ydelsescenter København"),
        (OrgKind::UnemploymentFund, "001", "A-kasse 001"),
        (OrgKind::Supervisor, "TILSYN", "Visitationstilsynet"),
    ];
    for (kind, code, name) in orgs {
        store.create_org(kind, code, name).await?;
    }
    eprintln!("  Demo users (passwords shown once):");
    for (kind, code, role, name) in [
        (
            OrgKind::StateJobcenter,
            "STAT",
            Role::Caseworker,
            "Sanne Stat",
        ),
        (
            OrgKind::MunicipalJobcenter,
            "101",
            Role::Caseworker,
            "Kim Kommune",
        ),
        (
            OrgKind::MunicipalJobcenter,
            "101",
            Role::OrgAdmin,
            "Ane Admin",
        ),
        (
            OrgKind::OtherActor,
            "12345678",
            Role::Caseworker,
            "Ole Aktør",
        ),
        (
            OrgKind::Supervisor,
            "TILSYN",
            Role::Supervisor,
            "Tove Tilsyn",
        ),
    ] {
        let (user, password) = store
            .create_user(code, Some(kind), role, name, None)
            .await?;
        eprintln!(
            "    {:<14} {:<18} {}:{} ({})",
            user.username, password, kind, code, role
        );
    }
    let made = persons(store, clock).await?;
    eprintln!("  Demo population: {made} synthetic persons. Log in at {scheme}://{addr}/login");
    Ok(())
}

/// Records the 36 synthetic persons (docs/sandbox.md lists them) through the rules: a
/// third cash-benefit applicants of municipalities 101 and 751 assessed at first contact, the
/// rest insured unemployed registered by the state job centre with a-kasse 001, some
/// interviewed, some sick. Every name ends in "(syntetisk)". Returns how many.
pub async fn persons(store: &dyn Store, clock: &dyn TimeSource) -> anyhow::Result<u32> {
    let today = clock.today();
    let day = |back: i32| {
        today
            .checked_sub(jiff::Span::new().days(back))
            .unwrap_or(today)
            .to_string()
    };
    let state = Actor {
        kind: OrgKind::StateJobcenter,
        code: "STAT".into(),
    };
    let municipality = |code: &str| Actor {
        kind: OrgKind::MunicipalJobcenter,
        code: code.into(),
    };
    let mut made = 0;
    for i in 0..36u32 {
        let name = format!(
            "{} {} (syntetisk)",
            FIRST[i as usize % FIRST.len()],
            LAST[(i as usize / 3) % LAST.len()]
        );
        let cpr = format!(
            "{:02}{:02}{:02}-{:04}",
            i % 28 + 1,
            i % 12 + 1,
            60 + i % 35,
            9000 + i
        );
        let back = 20 + (i as i32 * 7) % 300;
        let consent = Some(ConsentInput {
            obtain: Some(true),
            disclose: Some(i % 3 != 0),
            date: Some(day(back)),
        });
        if i % 3 == 0 {
            // A cash-benefit applicant of a municipality, assessed at first contact.
            let m = if i % 2 == 0 { "101" } else { "751" };
            let category = [2u8, 4, 3, 5][(i as usize / 3) % 4];
            run(
                store,
                &municipality(m),
                Command::FirstContact(RecordFirstContact {
                    cpr: cpr.clone(),
                    first_contact_date: Some(day(back)),
                    contact: ContactFields {
                        name: Some(name),
                        case_type: Some("kontanthjaelp".into()),
                        support: Some("kontanthjaelp".into()),
                        consent,
                        contact_form: Some("personligt".into()),
                        match_category: Some(category),
                        decisive_areas: if category > 1 {
                            vec!["helbred".into()]
                        } else {
                            vec![]
                        },
                        ..Default::default()
                    },
                    municipality: Some(m.into()),
                    registration: (category <= 3).then(|| RegistrationDetails {
                        benefit_category: Some("kontanthjaelp".into()),
                        unemployment_degree: Some("fuld".into()),
                        hours_per_week: None,
                        job_titles: vec!["5223".into()],
                        unemployment_fund: None,
                    }),
                }),
            )
            .await?;
        } else {
            // An insured unemployed person registered by the state, interviewed, perhaps sick.
            run(
                store,
                &state,
                Command::Register(RegisterJobSeeker {
                    cpr: cpr.clone(),
                    name: Some(name.clone()),
                    registration_date: Some(day(back)),
                    details: RegistrationDetails {
                        benefit_category: Some("a_dagpenge".into()),
                        unemployment_degree: Some("fuld".into()),
                        hours_per_week: None,
                        job_titles: vec![["4110", "5120", "7115", "2512"][i as usize % 4].into()],
                        unemployment_fund: Some("001".into()),
                    },
                    municipality: Some(if i % 2 == 0 { "101" } else { "751" }.into()),
                    match_category: None,
                }),
            )
            .await?;
            if back > 30 {
                run(
                    store,
                    &state,
                    Command::Interview(RecordContactInterview {
                        cpr: cpr.clone(),
                        interview_date: Some(day(back - 14)),
                        interview_type: Some("foerste".into()),
                        contact: ContactFields {
                            name: Some(name),
                            case_type: Some("dagpenge".into()),
                            support: Some("a_dagpenge".into()),
                            consent,
                            contact_form: Some(
                                if i % 2 == 0 { "personligt" } else { "telefon" }.into(),
                            ),
                            attention_areas: [(
                                "jobonsker".to_owned(),
                                "Søger fast arbejde.".to_owned(),
                            )]
                            .into(),
                            match_category: Some(1 + (i % 3) as u8),
                            decisive_areas: if i % 3 == 0 {
                                vec![]
                            } else {
                                vec!["erhvervserfaring".into()]
                            },
                            further_course: Some("Jobsøgning; ny samtale om 3 måneder.".into()),
                            ..Default::default()
                        },
                        registration: None,
                    }),
                )
                .await?;
            }
            if i % 4 == 1 {
                run(
                    store,
                    &state,
                    Command::StartCondition(StartPeriodicCondition {
                        cpr: cpr.clone(),
                        kind: Some("sygdom".into()),
                        start_date: Some(day(back / 2)),
                        end_date: (i % 8 == 1).then(|| day(back / 2 - 5)),
                    }),
                )
                .await?;
            }
        }
        made += 1;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use fdg_domain::CodeLists;
    use fdg_store::testing::TestDatabase;
    use fdg_store::{FixedClock, StoreContext};

    /// A fresh store on the test clock (2026-11-27).
    fn fresh(label: &str) -> (TestDatabase, Arc<dyn fdg_store::Store>, Arc<FixedClock>) {
        let db = TestDatabase::new(label).unwrap();
        let clock = Arc::new(FixedClock {
            now: "2026-11-27T10:00:00Z".parse().unwrap(),
            today: "2026-11-27".parse().unwrap(),
        });
        let store = db
            .open(StoreContext {
                codes: Arc::new(CodeLists::shipped()),
                clock: clock.clone(),
            })
            .unwrap();
        (db, store, clock)
    }

    #[tokio::test]
    async fn the_demo_population_goes_through_the_rules() {
        let (_db, store, clock) = fresh("demo-test");
        super::load(
            store.as_ref(),
            clock.as_ref(),
            "http",
            "127.0.0.1:8080".parse().unwrap(),
        )
        .await
        .unwrap();
        let events = store.events_after(0, 1000).await.unwrap();
        let persons: std::collections::HashSet<&str> =
            events.iter().map(|e| e.person_id.as_str()).collect();
        assert_eq!(persons.len(), 36);
        assert!(
            events
                .iter()
                .any(|e| e.r#type == "contact_interview_recorded")
        );
        assert!(
            events
                .iter()
                .any(|e| e.r#type == "periodic_condition_started")
        );
        assert!(events.iter().any(|e| e.r#type == "first_contact_recorded"));
        assert!(
            events
                .iter()
                .all(|e| !e.data_json.contains("\"name\"") || e.data_json.contains("(syntetisk)"))
        );
    }

    #[tokio::test]
    async fn the_sandbox_persons_are_the_documented_ones() {
        let (_db, store, clock) = fresh("sandbox-doc");
        let made = super::persons(store.as_ref(), clock.as_ref())
            .await
            .unwrap();
        let documented: Vec<&str> = include_str!("../../../docs/sandbox.md")
            .lines()
            .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
            .filter(|c| c.len() == 11 && c.as_bytes()[6] == b'-')
            .collect();
        assert_eq!(documented.len(), made as usize);
        for cpr in documented {
            let cpr = fdg_domain::Cpr::parse(cpr).unwrap();
            assert!(
                store.person_by_cpr(&cpr).await.unwrap().is_some(),
                "docs/sandbox.md lists a person the generator does not make"
            );
        }
    }
}
