//! Who sees whom: the access matrix cell by cell over HTTP, and every read and write of a person audited with who acted.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

/// The access matrix of docs/access.md, cell by cell.
#[tokio::test]
async fn who_sees_whom() {
    let app = spawn_app().await;
    // A: insured, registered by the state in 101, member of a-kasse 001, assigned to other
    // actor 12345678, interviewed without consent to disclose.
    let a = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    let a_id = a.body["person_id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &app.state_token,
            "/api/v1/contact-interviews",
            &json!({
                "cpr": "070761-4285", "interview_date": "2026-11-16", "interview_type": "foerste",
                "name": "Jens Hansen", "case_type": "dagpenge", "support": "a_dagpenge",
                "consent": {"obtain": true, "disclose": false, "date": "2026-11-16"},
                "contact_form": "personligt", "attention_areas": {"helbred": "Fortroligt"},
                "match_category": 2, "decisive_areas": ["helbred"], "further_course": "Forløb."
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/other-actor-assignments",
            &json!({"cpr": "070761-4285", "other_actor": "12345678", "from_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // B: a cash-benefit applicant of 101, match 4, not registered.
    let b = app
        .post(
            &app.municipal_token,
            "/api/v1/first-contacts",
            &first_contact("020285-2345", 4, false),
        )
        .await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.text);
    let b_id = b.body["person_id"].as_str().unwrap().to_owned();

    let other_municipality = app.token(OrgKind::MunicipalJobcenter, "147").await;
    let other_actor_unassigned = app.token(OrgKind::OtherActor, "87654321").await;
    let benefit_centre = app.token(OrgKind::BenefitCenter, "101").await;
    let fund = app.token(OrgKind::UnemploymentFund, "001").await;
    let other_fund = app.token(OrgKind::UnemploymentFund, "002").await;
    let operator = app.token(OrgKind::Operator, "AMS").await;

    // (who, token, expected status for A, for B)
    let matrix: Vec<(&str, &str, u16, u16)> = vec![
        ("state job centre", &app.state_token, 200, 404),
        ("municipality 101", &app.municipal_token, 200, 200),
        ("municipality 147", &other_municipality, 404, 404),
        ("assigned other actor", &app.other_actor_token, 200, 404),
        ("unassigned other actor", &other_actor_unassigned, 404, 404),
        ("benefit centre 101", &benefit_centre, 404, 200),
        ("a-kasse 001", &fund, 200, 404),
        ("a-kasse 002", &other_fund, 404, 404),
        ("supervisor", &app.supervisor_token, 403, 403),
        ("operator", &operator, 403, 403),
    ];
    for (who, token, want_a, want_b) in &matrix {
        for (id, want) in [(&a_id, want_a), (&b_id, want_b)] {
            let r = app.get(token, &format!("/api/v1/persons/{id}")).await;
            assert_eq!(r.status.as_u16(), *want, "{who} reading {id}: {}", r.text);
            if r.status == StatusCode::OK {
                assert!(!r.text.contains("\"cpr\":null"));
            }
        }
    }
    // What the limited views hold.
    let actor_view = app
        .get(&app.other_actor_token, &format!("/api/v1/persons/{a_id}"))
        .await;
    assert!(
        !actor_view.text.contains("Fortroligt"),
        "no consent to disclose"
    );
    assert_eq!(actor_view.body["interviews"][0]["match_category"], 2);
    let fund_view = app.get(&fund, &format!("/api/v1/persons/{a_id}")).await;
    assert!(!fund_view.text.contains("Fortroligt"));
    let state_view = app
        .get(&app.state_token, &format!("/api/v1/persons/{a_id}"))
        .await;
    assert!(state_view.text.contains("Fortroligt"));
    let centre_view = app
        .get(&benefit_centre, &format!("/api/v1/persons/{b_id}"))
        .await;
    assert!(centre_view.body.get("interviews").is_none());
    assert!(
        centre_view.body["first_contacts"][0]
            .get("decisive_areas")
            .is_none()
    );

    // Writes outside scope are answered as if the person did not exist.
    let r = app
        .post(
            &other_municipality,
            "/api/v1/periodic-conditions",
            &json!({"cpr": "070761-4285", "kind": "ferie", "start_date": "2026-11-25"}),
        )
        .await;
    let nobody = app
        .post(
            &other_municipality,
            "/api/v1/periodic-conditions",
            &json!({"cpr": "111111-1118", "kind": "ferie", "start_date": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, nobody.status);
    assert_eq!(rule_ids(&r), rule_ids(&nobody));
    assert_eq!(r.body["violations"], nobody.body["violations"]);
    // With If-Match, a hidden person looks like an unknown one too (version 0).
    let r = app
        .post_with(
            &other_municipality,
            "/api/v1/periodic-conditions",
            &json!({"cpr": "070761-4285", "kind": "ferie", "start_date": "2026-11-25"}),
            &[("If-Match", "\"3\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["current_version"], 0);

    // The feed is scoped the same way.
    for (who, token, sees_a, sees_b) in [
        ("assigned other actor", &app.other_actor_token, true, false),
        ("benefit centre 101", &benefit_centre, false, true),
        ("municipality 147", &other_municipality, false, false),
    ] {
        let feed = app.get(token, "/api/v1/events?limit=1000").await;
        assert_eq!(feed.status, StatusCode::OK);
        let persons: Vec<&str> = feed.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["person_id"].as_str().unwrap())
            .collect();
        assert_eq!(persons.contains(&a_id.as_str()), sees_a, "{who}");
        assert_eq!(persons.contains(&b_id.as_str()), sees_b, "{who}");
        assert!(!feed.text.contains("Fortroligt"), "{who}");
    }
}

#[tokio::test]
async fn every_read_and_write_of_a_person_is_audited_with_who_acted() {
    let app = spawn_app().await;
    let r = app
        .post_with(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
            &[
                ("X-Caseworker-Id", "AB12"),
                ("X-Caseworker-Name", "Anne Berg"),
            ],
        )
        .await;
    let id = r.body["person_id"].as_str().unwrap().to_owned();
    app.post_with(
        &app.state_token,
        "/api/v1/persons/search",
        &json!({"cpr": "070761-4285"}),
        &[("X-Caseworker-Id", "CD34"), ("X-Purpose", "opfølgning")],
    )
    .await;
    let other = app.token(OrgKind::MunicipalJobcenter, "147").await;
    assert_eq!(
        app.get(&other, &format!("/api/v1/persons/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.post(
        &app.state_token,
        "/api/v1/persons/search",
        &json!({"cpr": "010190-1234"}),
    )
    .await;

    let entries = app.audit.for_person(&id, 100).await.unwrap();
    let seen: Vec<(String, String, String, Option<String>)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.entry.action.clone(),
                e.entry.org.clone(),
                e.entry.outcome.clone(),
                e.entry.acting_person.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "write.jobseeker_registration".into(),
                "state-jobcenter:STAT".into(),
                "ok".into(),
                Some("AB12 Anne Berg".into())
            ),
            (
                "person.search".into(),
                "state-jobcenter:STAT".into(),
                "ok".into(),
                Some("CD34".into())
            ),
            (
                "person.read".into(),
                "municipal-jobcenter:147".into(),
                "denied".into(),
                None
            ),
        ]
    );
    assert_eq!(entries[1].entry.purpose, "opfølgning");
    // The search that found nobody is audited without a person.
    let report = app.audit.verify().await.unwrap();
    assert!(report.problems.is_empty());
    assert!(report.entries >= 4);
    // The CPR number is in no audit entry.
    assert!(!serde_json::to_string(&entries).unwrap().contains("070761"));
}
