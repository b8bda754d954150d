//! Consequences that fall due on a day: an exemption from availability recorded ahead of its
//! start ends a registration with cash benefit on the day it takes effect (§ 5), recorded by
//! the registry's own round as an event with its cause, seen in the feed and audited. In
//! process, on the backend under test, with a clock the test moves.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::app::*;

/// A clock whose day the test sets.
struct Calendar(Mutex<jiff::civil::Date>);

impl fdg_store::TimeSource for Calendar {
    fn now(&self) -> jiff::Timestamp {
        let day = *self.0.lock().unwrap();
        format!("{day}T10:00:00Z").parse().unwrap()
    }
    fn today(&self) -> jiff::civil::Date {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn an_exemption_recorded_ahead_deregisters_the_day_it_takes_effect() {
    let calendar = Arc::new(Calendar(Mutex::new("2026-11-27".parse().unwrap())));
    let app = spawn_app_with(calendar.clone()).await;
    let m = &app.municipal_token;
    let cpr = "020285-2345";
    // Registered on cash benefit at the first contact, then exempted from 5 December.
    let r = app
        .post(m, "/api/v1/first-contacts", &first_contact(cpr, 2, true))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person_id = r.body["person_id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            m,
            "/api/v1/periodic-conditions",
            &json!({"cpr": cpr, "kind": "fritagelse_raadighed", "start_date": "2026-12-05"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person = app.get(m, &format!("/api/v1/persons/{person_id}")).await;
    assert_eq!(person.body["registered"], true, "not in force yet");

    // Before the day nothing falls due.
    assert_eq!(fdg_server::dated::run_once(&app.state).await.unwrap(), 0);
    *calendar.0.lock().unwrap() = "2026-12-04".parse().unwrap();
    assert_eq!(fdg_server::dated::run_once(&app.state).await.unwrap(), 0);

    // On the day the round deregisters, from that day, because of the exemption.
    *calendar.0.lock().unwrap() = "2026-12-05".parse().unwrap();
    assert_eq!(fdg_server::dated::run_once(&app.state).await.unwrap(), 1);
    let person = app.get(m, &format!("/api/v1/persons/{person_id}")).await;
    assert_eq!(person.body["registered"], false, "{}", person.text);
    let dereg = &person.body["registrations"][0]["deregistration"];
    assert_eq!(dereg["deregistration_date"], "2026-12-05");
    assert_eq!(dereg["reason"], "fritaget_raadighed");
    assert_eq!(dereg["consequence_of"]["rule"], "fdg.s5.deregistered");
    assert_eq!(dereg["consequence_of"]["provision"], "§ 5");
    // Once: a second round, or another node's, finds nothing.
    assert_eq!(fdg_server::dated::run_once(&app.state).await.unwrap(), 0);

    // The state job centre reads it in the feed as the § 5 notice.
    let feed = app.get(&app.state_token, "/api/v1/events?after=0").await;
    let last = feed.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "job_seeker_deregistered", "{last}");
    assert_eq!(last["recorded_by"], "operator:FDG", "{last}");
    // The audit log names the registry as the writer.
    let entries = app.audit.for_person(&person_id, 100).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.entry.action == "write.dated_consequence" && e.entry.org == "operator:FDG"),
        "{entries:?}"
    );
}
