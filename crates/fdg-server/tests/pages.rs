//! The browser registration tool in process: login and sessions, finding a person, and every record form with its rules, annulment and correction.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

#[tokio::test]
async fn users_log_in_to_server_side_sessions_with_csrf_and_throttling() {
    let app = spawn_app().await;
    let (user, password) = app
        .store
        .create_user(
            "101",
            Some(OrgKind::MunicipalJobcenter),
            fdg_domain::Role::Caseworker,
            "Anne Berg",
            None,
        )
        .await
        .unwrap();
    assert_eq!(user.username, "anne.berg");
    assert!(user.must_change_password);
    // A supervisor role only in the supervision authority.
    assert!(
        app.store
            .create_user(
                "101",
                Some(OrgKind::MunicipalJobcenter),
                fdg_domain::Role::Supervisor,
                "X Y",
                None
            )
            .await
            .is_err()
    );
    let form = |u: &str, p: &str| format!("username={u}&password={p}");
    let ok = app.login_post(&form("Anne.Berg", &password), false).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = app
        .call(
            Request::get("/session")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["username"], "anne.berg");
    assert_eq!(me.body["user"]["org"]["code"], "101");
    let csrf = me.body["csrf"].as_str().unwrap().to_owned();
    // Logout without the CSRF token is refused; with it, the session ends.
    let logout = |token: &str| {
        Request::post("/logout")
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={token}")))
            .unwrap()
    };
    assert_eq!(
        app.call(logout("forged")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.call(logout(&csrf)).await.status, StatusCode::SEE_OTHER);
    let gone = app
        .call(
            Request::get("/session")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    // Wrong passwords: refused; after five, even the right one waits.
    for _ in 0..5 {
        let r = app
            .login_post(&form("anne.berg", "wrong-password"), false)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body["type"], "urn:fdg:problem:login-failed");
    }
    let locked = app.login_post(&form("anne.berg", &password), false).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    // An unknown user gets the same answer as a wrong password.
    let unknown = app.login_post(&form("nobody", "whatever"), false).await;
    assert_eq!(unknown.body["type"], "urn:fdg:problem:login-failed");
    // A hostile visitor's megabyte usernames are refused as failed logins before anything is
    // counted or hashed.
    for i in 0..3 {
        let huge = format!("{i}{}", "x".repeat(1 << 20));
        let r = app.login_post(&form(&huge, "whatever"), false).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body["type"], "urn:fdg:problem:login-failed");
    }
    let window = jiff::SignedDuration::from_mins(15);
    #[allow(clippy::disallowed_methods)]
    let now = jiff::Timestamp::now();
    // And the store itself never keeps such a name, whoever asks.
    let huge = format!("0{}", "x".repeat(1 << 20));
    assert!(
        app.store
            .login_attempt(&huge, now, window, 5)
            .await
            .unwrap()
            .is_some()
    );
    // The window is per username: anne.berg is still locked, a new name is not.
    assert_eq!(
        app.store
            .login_attempt("carl.dahl", now, window, 5)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_login_page_is_danish_by_default_keeps_the_username_and_explains_a_failure() {
    let app = spawn_app().await;
    let home = app
        .call(Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.headers[header::LOCATION], "/login");
    let login = app
        .call(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains(r#"<html lang="da">"#));
    assert!(
        login
            .text
            .contains(r#"<label for="username">Brugernavn</label>"#)
    );
    let wrong = app
        .login_post("username=anne.berg&password=forkert", true)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text
            .contains("Brugernavnet eller adgangskoden er forkert.")
    );
    assert!(
        wrong.text.contains(r#"value="anne.berg""#),
        "the username is kept"
    );
    assert!(wrong.text.contains(r#"role="alert""#));
    // The English switch.
    let en = app
        .call(
            Request::get("/login")
                .header(header::COOKIE, "fdg_lang=en")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        en.text
            .contains(r#"<label for="username">Username</label>"#)
    );
    let switch = app
        .call(
            Request::get("/lang/en")
                .header(header::REFERER, "http://localhost/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(switch.headers[header::LOCATION], "/login");
    assert!(
        switch.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("fdg_lang=en")
    );
}

#[tokio::test]
async fn a_caseworker_finds_a_person_by_cpr_in_a_form_and_sees_status_and_timeline() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    app.post(
        &app.state_token,
        "/api/v1/periodic-conditions",
        &json!({"cpr": "070761-4285", "kind": "sygdom", "start_date": "2026-11-10"}),
    )
    .await;
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let home = page(&app, &cookie, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    let csrf = csrf_of(&home);
    let find = |cpr: &str, csrf: &str| {
        Request::post("/find")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&cpr={cpr}")))
            .unwrap()
    };
    // An impossible CPR number: the error beside the field, what was typed kept.
    let bad = app.call(find("310290-1234", &csrf)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains("CPR-nummerets første seks cifre er ikke en gyldig dato.")
    );
    assert!(bad.text.contains(r#"aria-invalid="true""#));
    assert!(bad.text.contains(r#"value="310290-1234""#));
    // A forged form is refused.
    assert_eq!(
        app.call(find("070761-4285", "forged")).await.status,
        StatusCode::FORBIDDEN
    );
    let found = app.call(find("070761-4285", &csrf)).await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let location = found.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/persons/p") && !location.contains("0707"),
        "{location}"
    );
    let person = page(&app, &cookie, &location).await;
    assert_eq!(person.status, StatusCode::OK, "{}", person.text);
    assert!(person.text.contains("Jens Hansen"));
    assert!(person.text.contains("Ja, siden 2026-11-02"));
    assert!(person.text.contains("1 – Umiddelbar match"));
    assert!(person.text.contains("Sygdom (2026-11-10)"));
    assert!(
        person.text.contains("2027-02-02"),
        "next interview due three months after registration"
    );
    assert!(person.text.contains(r#"<svg class="timeline""#));
    assert!(person.text.contains("<title>Registreret 2026-11-02"));
    // Another municipality's caseworker: not found, and the look is audited as denied.
    app.store
        .create_org(OrgKind::MunicipalJobcenter, "147", "Frederiksberg")
        .await
        .unwrap();
    let other = browser_login(&app, OrgKind::MunicipalJobcenter, "147", "Bo Ib").await;
    let r = page(&app, &other, &location).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let id = location.trim_start_matches("/persons/");
    let entries = app.audit.for_person(id, 100).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.entry.credential.starts_with("user:")
                && e.entry.acting_person.as_deref() == Some("Anne Berg")
                && e.entry.action == "person.read")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.entry.org == "municipal-jobcenter:147" && e.entry.outcome == "denied")
    );
}

#[tokio::test]
async fn the_registration_form_shows_each_broken_rule_beside_its_field_and_keeps_the_input() {
    let app = spawn_app().await;
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let form = page(&app, &cookie, "/register").await;
    assert_eq!(form.status, StatusCode::OK);
    for label in [
        r#"<label for="cpr">CPR-nummer"#,
        r#"<label for="benefit_category">Ydelseskategori"#,
        r#"<label for="job_title">Stillingsbetegnelse"#,
    ] {
        assert!(form.text.contains(label), "{label}");
    }
    assert!(form.text.contains(r#"<option value="a_dagpenge">"#));
    let csrf = csrf_of(&form);
    let post = |body: String| {
        Request::post("/register")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let bad = app
        .call(post(format!(
            "csrf={csrf}&cpr=310290-1234&name=Jens+Hansen&registration_date=2026-11-02&benefit_category=a_dagpenge&unemployment_degree=fuld"
        )))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains(r#"<p class="field-error" id="cpr-error">CPR-nummerets første seks cifre er ikke en gyldig dato.</p>"#));
    assert!(
        bad.text
            .contains(r#"id="job_title-error">Mindst én stillingsbetegnelse"#)
    );
    assert!(
        bad.text
            .contains(r#"id="unemployment_fund-error">A-kasse skal angives"#)
    );
    assert!(
        bad.text.contains(r##"<a href="#cpr">"##),
        "the summary links to the field"
    );
    assert!(bad.text.contains("§ 8, stk. 1, nr. 6"));
    assert!(
        bad.text.contains(r#"value="Jens Hansen""#),
        "what was typed is kept"
    );
    let ok = app
        .call(post(format!(
            "csrf={csrf}&cpr=070761-4285&name=Jens+Hansen&registration_date=2026-11-02&benefit_category=a_dagpenge&unemployment_degree=fuld&job_title=4110&unemployment_fund=001&municipality=101"
        )))
        .await;
    let person = follow(&app, &cookie, &ok).await;
    assert!(person.text.contains("Ja, siden 2026-11-02"));
    // Recorded as the user's organisation, with the user as acting person.
    let feed = app.get(&app.state_token, "/api/v1/events").await;
    assert_eq!(
        feed.body["events"][0]["recorded_by"],
        "state-jobcenter:STAT"
    );
}

#[tokio::test]
async fn the_other_record_forms_record_through_the_same_rules() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let home = page(&app, &cookie, "/").await;
    for link in [
        "/deregister",
        "/registration-changes/new",
        "/conditions/new",
        "/cessations/new",
        "/assignments/new",
    ] {
        assert!(home.text.contains(&format!(r#"href="{link}""#)), "{link}");
    }
    let form = page(&app, &cookie, "/conditions/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(r#"<option value="sygdom">"#));
    assert!(
        form.text.contains(r#"value="2026-11-27""#),
        "today filled in"
    );
    let csrf = csrf_of(&form);
    let post = |path: &str, body: String| {
        Request::post(path)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let overlap_free = app
        .call(post(
            "/conditions/new",
            format!(
                "csrf={csrf}&cpr=070761-4285&kind=sygdom&start_date=2026-11-20&end_date=2026-11-10"
            ),
        ))
        .await;
    assert_eq!(overlap_free.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        overlap_free
            .text
            .contains(r#"id="end_date-error">Slutdatoen ligger før startdatoen."#)
    );
    let ok = app
        .call(post(
            "/conditions/new",
            format!("csrf={csrf}&cpr=070761-4285&kind=sygdom&start_date=2026-11-20"),
        ))
        .await;
    let person = follow(&app, &cookie, &ok).await;
    assert!(person.text.contains("Sygdom (2026-11-20)"));
    // The open condition is ended from the person page (§ 8, stk. 5).
    let end = link(&person, "/conditions/", "/end");
    let form = page(&app, &cookie, &end).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains(r#"value="2026-11-27""#),
        "today filled in"
    );
    let before_start = app
        .call(post(&end, format!("csrf={csrf}&end_date=2026-11-10")))
        .await;
    assert_eq!(before_start.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        before_start
            .text
            .contains(r#"id="end_date-error">Slutdatoen ligger før startdatoen."#),
        "{}",
        before_start.text
    );
    let ended = app
        .call(post(&end, format!("csrf={csrf}&end_date=2026-11-24")))
        .await;
    let person = follow(&app, &cookie, &ended).await;
    assert!(
        !person.text.contains("Sygdom (2026-11-20)"),
        "no longer open"
    );
    assert!(!person.text.contains(r#"<a href="/conditions/"#));
    // A made-up fact id is not found, and says nothing.
    let unknown = app
        .call(post(
            "/conditions/not-a-fact/end",
            format!("csrf={csrf}&end_date=2026-11-24"),
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Assigned to an other actor (§ 2, stk. 5), who then sees the person through the API.
    let who = json!({"cpr": "070761-4285"});
    let search = || app.post(&app.other_actor_token, "/api/v1/persons/search", &who);
    assert_eq!(search().await.status, StatusCode::NOT_FOUND);
    let assigned = app
        .call(post(
            "/assignments/new",
            format!("csrf={csrf}&cpr=070761-4285&other_actor=12345678&from_date=2026-11-20"),
        ))
        .await;
    follow(&app, &cookie, &assigned).await;
    assert_eq!(search().await.status, StatusCode::OK);
    // The state job centre records no cessation (§ 3, stk. 3): the rule and provision are shown.
    let refused = app
        .call(post(
            "/cessations/new",
            format!("csrf={csrf}&cpr=070761-4285&cessation_date=2026-11-25"),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("§ 3, stk. 1–3; § 8, stk. 3–4"));
    // The registration's details change from a day on (§ 8, stk. 1, nr. 4–7): no annulment.
    let change = "cpr=070761-4285&benefit_category=a_dagpenge&unemployment_degree=delvis&hours_per_week=20&job_title=4110&unemployment_fund=002";
    let undated = app
        .call(post(
            "/registration-changes/new",
            format!("csrf={csrf}&{change}"),
        ))
        .await;
    assert_eq!(undated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        undated
            .text
            .contains(r#"id="change_date-error">Datoen for ændringen skal angives."#),
        "{}",
        undated.text
    );
    assert!(undated.text.contains(r#"value="002""#), "the input is kept");
    let changed = app
        .call(post(
            "/registration-changes/new",
            format!("csrf={csrf}&{change}&change_date=2026-11-25"),
        ))
        .await;
    let person = follow(&app, &cookie, &changed).await;
    assert!(
        person.text.contains(
            "Registrering ændret (Arbejdsløshedsdagpenge, Delvist ledig, Akademikernes A-kasse)"
        ),
        "{}",
        person.text
    );
    let dereg = app
        .call(post("/deregister", format!("csrf={csrf}&cpr=070761-4285&name=Jens+Hansen&deregistration_date=2026-11-26&reason=beskaeftigelse")))
        .await;
    let person = follow(&app, &cookie, &dereg).await;
    assert!(person.text.contains("Overgået til beskæftigelse"));
}

#[tokio::test]
async fn the_first_contact_form_asks_for_registration_when_section_4_requires_it() {
    let app = spawn_app().await;
    let cookie = browser_login(&app, OrgKind::MunicipalJobcenter, "101", "Bo Ib").await;
    let home = page(&app, &cookie, "/").await;
    assert!(home.text.contains(r#"href="/first-contacts/new""#));
    let form = page(&app, &cookie, "/first-contacts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(r#"<option value="kontanthjaelp">"#));
    assert!(form.text.contains("matchkategori 1–3, § 4, stk. 1"));
    let csrf = csrf_of(&form);
    let post = |body: String| {
        Request::post("/first-contacts/new")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let base = format!(
        "csrf={csrf}&cpr=020285-2345&name=Mette+Jensen&case_type=kontanthjaelp&support=kontanthjaelp&consent_obtain=on&consent_disclose=on&consent_date=2026-11-03&first_contact_date=2026-11-03&contact_form=personligt&match_category=2&decisive.erhvervserfaring=on"
    );
    // Match category 2 without registration details: refused, the rule beside the first of
    // the details, and nothing typed is lost.
    let refused = app.call(post(base.clone())).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains(r#"id="benefit_category-error">Personen modtager kontant- eller starthjælp"#),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("§ 4, stk. 1"));
    assert!(refused.text.contains(r#"value="Mette Jensen""#));
    // A mistake inside the registration details is shown beside its own field.
    let bad_degree = app
        .call(post(format!(
            "{base}&benefit_category=kontanthjaelp&unemployment_degree=halv&job_title=5223"
        )))
        .await;
    assert_eq!(bad_degree.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_degree
            .text
            .contains(r#"id="unemployment_degree-error""#)
    );
    let ok = app
        .call(post(format!(
            "{base}&benefit_category=kontanthjaelp&unemployment_degree=fuld&job_title=5223"
        )))
        .await;
    let person = follow(&app, &cookie, &ok).await;
    assert!(
        person.text.contains("Ja, siden 2026-11-03"),
        "{}",
        person.text
    );
    // The first contact and the registration reach the feed as the municipality's.
    let feed = app.get(&app.state_token, "/api/v1/events").await;
    let types: Vec<&str> = feed.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"first_contact_recorded") && types.contains(&"job_seeker_registered"),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_record_is_annulled_from_the_person_page_with_a_reason() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    let person_id = r.body["person_id"].as_str().unwrap().to_owned();
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let person = page(&app, &cookie, &format!("/persons/{person_id}")).await;
    let link = link(&person, "/corrections/", "/new");
    let form = page(&app, &cookie, &link).await;
    assert_eq!(form.status, StatusCode::OK);
    // The form says what is about to be annulled.
    assert!(
        form.text
            .contains("Jens Hansen (070761-4285) · 2026-11-02 · Registreret"),
        "{}",
        form.text
    );
    // Another organisation cannot open it for a person it does not see.
    let other = browser_login(&app, OrgKind::OtherActor, "12345678", "Bo Ib").await;
    assert_eq!(
        page(&app, &other, &link).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of(&form);
    let post = |body: String| {
        Request::post(link.as_str())
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // Without a reason: refused beside the field, with the provision.
    let refused = app
        .call(post(format!("csrf={csrf}&correction_reason=+")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains(r#"id="correction_reason-error""#),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("§ 1, nr. 1"));
    let annulled = app
        .call(post(format!(
            "csrf={csrf}&correction_reason=Registreret+på+forkert+person"
        )))
        .await;
    let person = follow(&app, &cookie, &annulled).await;
    assert!(!person.text.contains("Ja, siden"), "no longer registered");
    // The original is kept; the annulment is a fact of its own, naming it and why.
    let events = app.store.person_events(&person_id).await.unwrap();
    assert!(events.iter().any(|e| e.r#type == "job_seeker_registered"));
    let last = events.last().unwrap();
    assert_eq!(last.r#type, "fact_corrected");
    let corrected: Value = serde_json::from_str(&last.data_json).unwrap();
    assert_eq!(corrected["reason"], "Registreret på forkert person");
    assert_eq!(corrected["annulled"], json!([3]));
}

#[tokio::test]
async fn a_record_is_corrected_from_the_person_page_with_its_form_filled_in() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    let person_id = r.body["person_id"].as_str().unwrap().to_owned();
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let person = page(&app, &cookie, &format!("/persons/{person_id}")).await;
    let link = link(&person, "/corrections/", "/edit");
    // The registration's own form, filled in with what was recorded, and a reason.
    let form = page(&app, &cookie, &link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(r#"value="2026-11-02""#));
    assert!(
        form.text
            .contains(r#"<option value="a_dagpenge" selected>"#)
    );
    assert!(form.text.contains(r#"id="correction_reason""#));
    let csrf = csrf_of(&form);
    let post = |body: String| {
        Request::post(link.as_str())
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let fields = "cpr=070761-4285&name=Jens+Hansen&benefit_category=a_dagpenge&unemployment_degree=fuld&job_title=4110&unemployment_fund=001";
    // Without a reason, and with a date in the future: each refused beside its own field.
    let refused = app
        .call(post(format!(
            "csrf={csrf}&{fields}&registration_date=2027-03-01&correction_reason="
        )))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains(r#"id="correction_reason-error""#),
        "{}",
        refused.text
    );
    let refused = app
        .call(post(format!(
            "csrf={csrf}&{fields}&registration_date=2027-03-01&correction_reason=Forkert+dato"
        )))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains(r#"id="registration_date-error""#),
        "{}",
        refused.text
    );
    let corrected = app
        .call(post(format!(
            "csrf={csrf}&{fields}&registration_date=2026-11-05&correction_reason=Forkert+dato"
        )))
        .await;
    let person = follow(&app, &cookie, &corrected).await;
    assert!(
        person.text.contains("Ja, siden 2026-11-05"),
        "{}",
        person.text
    );
    // The original is kept: a correction naming it and why, then the replacement.
    let events = app.store.person_events(&person_id).await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        types[types.len() - 2..],
        ["fact_corrected", "job_seeker_registered"],
        "{types:?}"
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "job_seeker_registered")
            .count(),
        2
    );
}

#[tokio::test]
async fn the_interview_form_follows_section_9_and_names_a_missing_field() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let cookie = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let form = page(&app, &cookie, "/interviews/new").await;
    assert_eq!(form.status, StatusCode::OK);
    // Laid out in the order of § 9, nr. 1 to nr. 11.
    let order: Vec<usize> = (1..=11)
        .map(|n| {
            form.text
                .find(&format!("(§ 9, nr. {n})"))
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(form.text.contains(r#"name="attention.helbred""#));
    assert!(form.text.contains(r#"name="decisive.helbred""#));
    let csrf = csrf_of(&form);
    let base = format!(
        "csrf={csrf}&cpr=070761-4285&name=Jens+Hansen&case_type=dagpenge&support=a_dagpenge&consent_obtain=on&consent_date=2026-11-16&interview_date=2026-11-16&interview_type=foerste&contact_form=personligt&attention.jobonsker=S%C3%B8ger+kontorjob&attention.helbred=&match_category=2"
    );
    let post = |body: String| {
        Request::post("/interviews/new")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // No further course (§ 9, nr. 11): refused. The decisive areas (nr. 7) are mandatory only at
    // the first contact (§ 8, stk. 3), so their absence is not named here.
    let bad = app.call(post(base.clone())).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains(r#"id="further_course-error">Det videre forløb skal angives"#)
    );
    assert!(
        !bad.text
            .contains("udslagsgivende opmærksomhedsområder angives")
    );
    assert!(
        bad.text.contains("Søger kontorjob"),
        "the note typed is kept"
    );
    let ok = app
        .call(post(format!(
            "{base}&decisive.erhvervserfaring=on&further_course=Jobs%C3%B8gningskursus"
        )))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let person = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    let interview = &person.body["interviews"][0];
    assert_eq!(interview["match_category"], 2);
    assert_eq!(interview["decisive_areas"], json!(["erhvervserfaring"]));
    assert_eq!(
        interview["attention_areas"],
        json!({"jobonsker": "Søger kontorjob"})
    );
    assert_eq!(interview["consent"]["disclose"], false);
}
