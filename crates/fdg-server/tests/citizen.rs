//! The citizen's own pages and access log: self-registration (§ 4, stk. 2) and who looked.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

/// The citizen logs in (the development login) and reads their access log.
async fn access_log_of(app: &App, cpr: &str) -> Answer {
    let login = app
        .call(
            Request::post("/borger/dev-login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("cpr={cpr}")))
                .unwrap(),
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let cookie = common::cookie_of(&login);
    app.call(
        Request::get("/api/v1/me/access-log")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_citizen_sees_which_organisations_looked_at_their_data() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    app.post_with(
        &app.state_token,
        "/api/v1/persons/search",
        &json!({"cpr": "070761-4285"}),
        &[("X-Purpose", "opfølgning på ledighed")],
    )
    .await;
    let anon = app
        .call(
            Request::get("/api/v1/me/access-log")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let log = access_log_of(&app, "070761-4285").await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "person.search");
    assert_eq!(entries[0]["organisation"], "state-jobcenter:STAT");
    assert_eq!(entries[0]["purpose"], "opfølgning på ledighed");
    assert_eq!(entries[1]["action"], "write.jobseeker_registration");
    // A citizen not in the registry sees an empty log.
    let log = access_log_of(&app, "010190-1234").await;
    assert_eq!(log.body["entries"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_citizen_registers_themselves_and_sees_who_looked() {
    let app = spawn_app().await;
    let anon = app
        .call(Request::get("/borger").body(Body::empty()).unwrap())
        .await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(anon.text.contains(r#"action="/borger/dev-login""#));
    let login = app
        .call(
            Request::post("/borger/dev-login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("cpr=070761-4285"))
                .unwrap(),
        )
        .await;
    let cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = page(&app, &cookie, "/borger").await;
    assert!(
        me.text
            .contains("Registrér dig som arbejdssøgende (§ 4, stk. 2)")
    );
    let csrf = csrf_of(&me);
    let register = |body: String| {
        Request::post("/borger/register")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // a-dagpenge without an a-kasse: refused with the rule, in Danish.
    let refused = app
        .call(register(format!("csrf={csrf}&name=Jens+Hansen&benefit_category=a_dagpenge&job_title=4110&unemployment_fund=")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("A-kasse skal angives"));
    assert_eq!(
        app.call(register("csrf=forged&name=Jens+Hansen&benefit_category=a_dagpenge&job_title=4110&unemployment_fund=001".to_owned())).await.status,
        StatusCode::FORBIDDEN
    );
    // Self-registration is for insured unemployed persons (§ 4, stk. 2): the server, not only
    // the form, refuses another benefit category.
    let cash = app
        .call(register(format!("csrf={csrf}&name=Jens+Hansen&benefit_category=kontanthjaelp&job_title=4110&unemployment_fund=")))
        .await;
    assert_eq!(cash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        cash.text
            .contains("Selvregistrering via Jobnet er for forsikrede ledige"),
        "{}",
        cash.text
    );
    assert!(
        !me.text.contains(r#"value="kontanthjaelp""#),
        "the form offers only a-dagpenge"
    );
    // Partly unemployed, looking for two jobs.
    let ok = app
        .call(register(format!("csrf={csrf}&name=Jens+Hansen&benefit_category=a_dagpenge&unemployment_degree=delvis&hours_per_week=20&job_title=4110&job_title_2=5120&job_title_3=&unemployment_fund=001")))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // The state job centre looks the person up; the citizen sees it.
    let found = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(
        found.body["registrations"][0]["recorded"]["recorded_by"],
        "state-jobcenter:JOBNET"
    );
    assert_eq!(
        found.body["registrations"][0]["unemployment_degree"],
        "delvis"
    );
    assert_eq!(found.body["registrations"][0]["hours_per_week"], 20);
    assert_eq!(
        found.body["registrations"][0]["job_titles"],
        json!(["4110", "5120"])
    );
    let me = page(&app, &cookie, "/borger").await;
    assert!(me.text.contains("Ja, siden 2026-11-27"));
    assert!(me.text.contains("state-jobcenter:STAT"));
    assert!(me.text.contains("Slog dig op på dit CPR-nummer"));
    assert!(
        !me.text.contains("Registrér dig som arbejdssøgende"),
        "already registered"
    );
    // She sees her periodic conditions too, and deregisters herself from today.
    let r = app
        .post(
            &app.state_token,
            "/api/v1/periodic-conditions",
            &json!({"cpr": "070761-4285", "kind": "sygdom", "start_date": "2026-11-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let me = page(&app, &cookie, "/borger").await;
    assert!(me.text.contains("Periodisk forhold: Sygdom"), "{}", me.text);
    let out = app
        .call(
            Request::post("/borger/deregister")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={}", csrf_of(&me))))
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    let me = page(&app, &cookie, "/borger").await;
    assert!(me.text.contains("Afmeldt af borgeren selv"), "{}", me.text);
    assert!(me.text.contains("Registrér dig som arbejdssøgende"));
    // Logging out ends the session: the cookie no longer opens the page.
    let out = app
        .call(
            Request::post("/borger/logout")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={}", csrf_of(&me))))
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = page(&app, &cookie, "/borger").await;
    assert!(after.text.contains(r#"action="/borger/dev-login""#));
    assert!(!after.text.contains("Jens Hansen"));
}
