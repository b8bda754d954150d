//! The caseworkers' worklist (`GET /api/v1/worklist`, `/worklist`): interviews due, open first
//! contacts without a registration, exemptions taking effect — each organisation sees only the
//! persons it may see, every listed person's read is audited, and nothing the caller sends
//! widens the list. In process, on the backend under test; today is 2026-11-27.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

/// Registers `cpr` in `municipality` on `date` (by the state job centre); the person's id.
async fn registered(app: &App, cpr: &str, municipality: &str, date: &str) -> String {
    let mut body = registration(cpr);
    body["municipality"] = json!(municipality);
    body["registration_date"] = json!(date);
    let r = app
        .post(&app.state_token, "/api/v1/jobseeker-registrations", &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["person_id"].as_str().unwrap().to_owned()
}

/// (person id, day, days from today) of one list of a worklist answer.
fn list(answer: &Answer, kind: &str) -> Vec<(String, String, i64)> {
    let lists = answer.body["lists"].as_array().unwrap();
    let l = lists.iter().find(|l| l["kind"] == kind).unwrap();
    l["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["person_id"].as_str().unwrap().to_owned(),
                e["day"].as_str().unwrap().to_owned(),
                e["days_from_today"].as_i64().unwrap(),
            )
        })
        .collect()
}

struct Population {
    overdue: String,
    due_soon: String,
    elsewhere: String,
    first_contact: String,
    exempted: String,
}

async fn population(app: &App) -> Population {
    // Due three months after registration (the default interval): 20 November (overdue by 7
    // days), 1 December (in 4 days), and one in 147; one registered in November is not due.
    let overdue = registered(app, "070761-4285", "101", "2026-08-20").await;
    let due_soon = registered(app, "010190-1234", "101", "2026-09-01").await;
    let elsewhere = registered(app, "020202-1234", "147", "2026-08-20").await;
    let exempted = registered(app, "030303-1234", "101", "2026-11-02").await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/periodic-conditions",
            &json!({"cpr": "030303-1234", "kind": "fritagelse_raadighed", "start_date": "2026-12-05"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A cash-benefit applicant of 101, not ready for work, not registered.
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/first-contacts",
            &first_contact("020285-2345", 4, false),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first_contact = r.body["person_id"].as_str().unwrap().to_owned();
    Population {
        overdue,
        due_soon,
        elsewhere,
        first_contact,
        exempted,
    }
}

#[tokio::test]
async fn a_municipality_sees_its_persons_due_its_open_first_contacts_and_exemptions_ahead() {
    let app = spawn_app().await;
    let p = population(&app).await;
    let w = app.get(&app.municipal_token, "/api/v1/worklist").await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    assert_eq!(w.body["today"], "2026-11-27");
    assert_eq!(w.body["within_days"], 14);
    assert_eq!(
        list(&w, "interview_due"),
        vec![
            (p.overdue.clone(), "2026-11-20".into(), -7),
            (p.due_soon.clone(), "2026-12-01".into(), 4)
        ],
        "overdue first; 147's person and the one not yet due are not listed"
    );
    assert_eq!(
        list(&w, "first_contact_open"),
        vec![(p.first_contact.clone(), "2026-11-03".into(), -24)]
    );
    assert_eq!(
        list(&w, "exemption_from"),
        vec![(p.exempted.clone(), "2026-12-05".into(), 8)]
    );
    // A horizon of 2 days leaves out what is due in 4 and what takes effect in 8.
    let w = app
        .get(&app.municipal_token, "/api/v1/worklist?within_days=2")
        .await;
    assert_eq!(list(&w, "interview_due").len(), 1);
    assert!(list(&w, "exemption_from").is_empty());
    // A limit of one shows one and says there is more.
    let w = app
        .get(&app.municipal_token, "/api/v1/worklist?limit=1")
        .await;
    let due = &w.body["lists"][0];
    assert_eq!(due["entries"].as_array().unwrap().len(), 1);
    assert_eq!(due["more"], true);
    // Every listed person's read is audited, naming who read.
    let entries = app.audit.for_person(&p.overdue, 100).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.entry.action == "worklist.read" && e.entry.org == "municipal-jobcenter:101"),
        "{entries:?}"
    );
    assert!(
        app.audit
            .for_person(&p.elsewhere, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.entry.action != "worklist.read" || e.entry.org != "municipal-jobcenter:101")
    );
}

#[tokio::test]
async fn each_organisation_sees_only_whom_it_may_and_nothing_it_sends_widens_that() {
    let app = spawn_app().await;
    let p = population(&app).await;
    // 147 sees its own person only.
    let other = app.token(OrgKind::MunicipalJobcenter, "147").await;
    let w = app.get(&other, "/api/v1/worklist").await;
    let ids: Vec<String> = list(&w, "interview_due").into_iter().map(|e| e.0).collect();
    assert_eq!(ids, vec![p.elsewhere.clone()]);
    assert!(list(&w, "first_contact_open").is_empty());
    // An other actor sees the persons assigned to it, from the day of the assignment.
    let r = app
        .post(
            &app.state_token,
            "/api/v1/other-actor-assignments",
            &json!({"cpr": "070761-4285", "other_actor": "12345678", "from_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let w = app.get(&app.other_actor_token, "/api/v1/worklist").await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    let ids: Vec<String> = list(&w, "interview_due").into_iter().map(|e| e.0).collect();
    assert_eq!(ids, vec![p.overdue.clone()]);
    // The caller cannot name another municipality (or anything else) to see more.
    let w = app
        .get(&app.municipal_token, "/api/v1/worklist?municipality=147")
        .await;
    assert_eq!(w.status, StatusCode::BAD_REQUEST, "{}", w.text);
    // Organisations that run no contact course have no worklist; the supervisor reads no
    // persons; an anonymous caller is refused.
    let benefit_centre = app.token(OrgKind::BenefitCenter, "101").await;
    for token in [&benefit_centre, &app.supervisor_token] {
        let w = app.get(token, "/api/v1/worklist").await;
        assert_eq!(w.status, StatusCode::FORBIDDEN, "{}", w.text);
    }
    let w = app.get("not-a-token", "/api/v1/worklist").await;
    assert_eq!(w.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bounds_out_of_range_are_refused_in_danish_and_english() {
    let app = spawn_app().await;
    for q in [
        "within_days=367",
        "within_days=-1",
        "limit=0",
        "limit=1001",
        "limit=x",
    ] {
        let w = app
            .get(&app.municipal_token, &format!("/api/v1/worklist?{q}"))
            .await;
        assert_eq!(w.status, StatusCode::BAD_REQUEST, "{q}: {}", w.text);
        assert_eq!(
            w.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{q}"
        );
        assert!(
            w.body["detail_da"].as_str().unwrap().contains("skal være"),
            "{q}"
        );
    }
}

#[tokio::test]
async fn the_caseworker_opens_the_worklist_in_the_browser() {
    let app = spawn_app().await;
    let p = population(&app).await;
    let cookie = browser_login(
        &app,
        OrgKind::MunicipalJobcenter,
        "101",
        "Kim Sagsbehandler",
    )
    .await;
    let home = page(&app, &cookie, "/").await;
    assert!(home.text.contains(r#"href="/worklist""#));
    let w = page(&app, &cookie, "/worklist").await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    assert!(w.text.contains("Kontaktsamtaler, der forfalder"));
    assert!(
        w.text
            .contains(&format!(r#"href="/persons/{}""#, p.overdue))
    );
    assert!(w.text.contains("070761-4285"));
    assert!(w.text.contains("overskredet"));
    assert!(!w.text.contains(&p.elsewhere));
    // The person page the link leads to opens.
    let person = page(&app, &cookie, &link(&w, "/persons/", &p.overdue)).await;
    assert_eq!(person.status, StatusCode::OK);
    // A benefit centre's caseworker is told the worklist is not theirs.
    app.token(OrgKind::BenefitCenter, "101").await;
    let cookie = browser_login(&app, OrgKind::BenefitCenter, "101", "Ydelse").await;
    let w = page(&app, &cookie, "/worklist").await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    assert!(w.text.contains("Arbejdslisten er jobcentrenes"));
}
