//! Connection agreements (§ 10): the test before use, suspension and termination, the record types an agreement covers, and an operator onboarding a vendor in the browser.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

#[tokio::test]
async fn a_test_agreement_validates_writes_fully_and_stores_nothing() {
    use fdg_domain::agreement::AgreementState;
    let app = spawn_app().await;
    let (_, token) = app
        .org_with_agreement(OrgKind::StateJobcenter, "STAT", AgreementState::Test, &[])
        .await;
    let r = app
        .post(
            &token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["dry_run"], true);
    assert!(!r.headers.contains_key(header::LOCATION));
    assert_eq!(r.body["facts"].as_array().unwrap().len(), 0);
    let bad = app
        .post(
            &token,
            "/api/v1/jobseeker-registrations",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let feed = app.get(&app.state_token, "/api/v1/events").await;
    assert!(feed.body["events"].as_array().unwrap().is_empty());
    let search = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(search.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn suspension_closes_the_web_services_until_reinstated_and_termination_is_final() {
    use fdg_domain::agreement::{AgreementAction, AgreementState};
    let app = spawn_app().await;
    let (id, token) = app
        .org_with_agreement(OrgKind::StateJobcenter, "STAT", AgreementState::Test, &[])
        .await;
    app.store
        .change_agreement(
            id,
            AgreementAction::Activate,
            "test before use passed",
            "operator",
        )
        .await
        .unwrap();
    let r = app
        .post(
            &token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.store
        .change_agreement(
            id,
            AgreementAction::Suspend,
            "repeated invalid registrations",
            "operator",
        )
        .await
        .unwrap();
    let closed = app.get(&token, "/api/v1/events").await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert_eq!(closed.body["type"], "urn:fdg:problem:access-closed");
    assert!(
        closed.body["detail_da"]
            .as_str()
            .unwrap()
            .contains("Det Digitale Registreringsværktøj")
    );
    assert!(closed.body["detail"].as_str().unwrap().contains("§ 13"));
    // A second token of the same agreement is closed too; other organisations are unaffected.
    let second = app.store.issue_token(id).await.unwrap();
    assert_eq!(
        app.get(&second, "/api/v1/rules").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&app.municipal_token, "/api/v1/rules").await.status,
        StatusCode::OK
    );
    app.store
        .change_agreement(id, AgreementAction::Reinstate, "corrected", "operator")
        .await
        .unwrap();
    assert_eq!(
        app.get(&token, "/api/v1/events").await.status,
        StatusCode::OK
    );
    app.store
        .change_agreement(id, AgreementAction::Terminate, "contract ended", "operator")
        .await
        .unwrap();
    let ended = app.get(&token, "/api/v1/events").await;
    assert_eq!(ended.body["type"], "urn:fdg:problem:agreement-ended");
    assert!(app.store.issue_token(id).await.is_err());
    assert!(
        app.store
            .change_agreement(id, AgreementAction::Reinstate, "again", "operator")
            .await
            .is_err()
    );
    let (_, changes) = app.store.agreement(id).await.unwrap().unwrap();
    let states: Vec<&str> = changes.iter().map(|c| c.to.as_str()).collect();
    assert_eq!(
        states,
        ["test", "active", "suspended", "active", "terminated"]
    );
    assert_eq!(changes[2].reason, "repeated invalid registrations");
    // Refused calls are audited.
    let report = app.audit.verify().await.unwrap();
    assert!(report.problems.is_empty());
}

#[tokio::test]
async fn an_agreement_covers_only_the_record_types_it_names() {
    use fdg_domain::agreement::AgreementState;
    let app = spawn_app().await;
    let (_, token) = app
        .org_with_agreement(
            OrgKind::StateJobcenter,
            "STAT",
            AgreementState::Active,
            &["contact_interview"],
        )
        .await;
    let r = app
        .post(
            &token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["type"], "urn:fdg:problem:not-in-agreement");
}

#[tokio::test]
async fn an_operator_onboards_and_suspends_a_vendor_in_the_browser_and_the_api_follows() {
    let app = spawn_app().await;
    app.store
        .create_org(OrgKind::Operator, "AMS", "Arbejdsmarkedsstyrelsen")
        .await
        .unwrap();
    let (op, one_time) = app
        .store
        .create_user(
            "AMS",
            Some(OrgKind::Operator),
            fdg_domain::Role::Operator,
            "Olga Operatør",
            None,
        )
        .await
        .unwrap();
    // First login with the one-time password: only choosing a new one is possible.
    let first = app
        .login_post(
            &format!("username={}&password={one_time}", op.username),
            false,
        )
        .await;
    let first_cookie = first.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let home = page(&app, &first_cookie, "/").await;
    assert_eq!(home.headers[header::LOCATION], "/password");
    let blocked = page(&app, &first_cookie, "/admin").await;
    assert_eq!(blocked.headers[header::LOCATION], "/password");
    let pw = page(&app, &first_cookie, "/password").await;
    let pw_csrf = csrf_of(&pw);
    let set = |new: &str, repeat: &str| {
        Request::post("/password")
            .header(header::COOKIE, &first_cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={pw_csrf}&current_password={one_time}&new_password={new}&repeat={repeat}"
            )))
            .unwrap()
    };
    let short = app.call(set("short", "short")).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("mindst 12 tegn"));
    assert_eq!(
        app.call(set("olgas-own-password", "olgas-own-password"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let password = "olgas-own-password";
    let login = app
        .login_post(
            &format!("username={}&password={password}", op.username),
            false,
        )
        .await;
    let cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let admin = page(&app, &cookie, "/admin").await;
    assert_eq!(admin.status, StatusCode::OK);
    let csrf = csrf_of(&admin);
    let post = |path: String, body: String| {
        Request::post(path)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // A new organisation with an agreement in test: its token is shown once.
    let created = app
        .call(post(
            "/admin/orgs".into(),
            format!(
                "csrf={csrf}&kind=municipal-jobcenter&code=147&name=Frederiksberg&agreement=on"
            ),
        ))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let token = created
        .text
        .split(r#"<code class="secret">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("fdg_"));
    // The same organisation again: said in Danish, with no database text on the page.
    let again = app
        .call(post(
            "/admin/orgs".into(),
            format!("csrf={csrf}&kind=municipal-jobcenter&code=147&name=Frederiksberg"),
        ))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text.contains("findes allerede"), "{}", again.text);
    assert!(!again.text.contains("exists already") && !again.text.contains("UNIQUE"));
    let long = app
        .call(post(
            "/admin/orgs".into(),
            format!(
                "csrf={csrf}&kind=municipal-jobcenter&code=148&name={}",
                "x".repeat(201)
            ),
        ))
        .await;
    assert!(
        long.text.contains("name er for lang (højst 200 tegn)"),
        "{}",
        long.text
    );
    let id = app
        .store
        .agreements()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.org.code == "147")
        .unwrap()
        .id;
    let api = |token: String| {
        let app = &app;
        async move { app.get(&token, "/api/v1/events").await }
    };
    assert_eq!(
        api(token.clone()).await.body["type"],
        "urn:fdg:problem:not-in-agreement",
        "test: no reads"
    );
    let change = |action: &str, reason: &str| {
        post(
            format!("/admin/agreements/{id}"),
            format!("csrf={csrf}&action={action}&reason={reason}"),
        )
    };
    assert_eq!(
        app.call(change("activate", "test+passed")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api(token.clone()).await.status, StatusCode::OK);
    // A change without a reason is refused on the page.
    assert_eq!(
        app.call(change("suspend", "")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.call(change("suspend", "conditions+broken"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        api(token.clone()).await.body["type"],
        "urn:fdg:problem:access-closed"
    );
    assert_eq!(
        app.call(change("reinstate", "fixed")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api(token.clone()).await.status, StatusCode::OK);
    let (_, changes) = app.store.agreement(id).await.unwrap().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.reason == "conditions broken" && c.changed_by.contains("Olga Operatør"))
    );
    // A caseworker may not administer.
    let worker = browser_login(&app, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    assert_eq!(
        page(&app, &worker, "/admin").await.status,
        StatusCode::FORBIDDEN
    );
}

/// An agreement that requires the acting caseworker refuses a write that names nobody (403,
/// audited as denied, nothing stored) and takes the same write naming them.
#[tokio::test]
async fn an_agreement_may_require_every_write_to_name_the_acting_caseworker() {
    let app = spawn_app().await;
    let (_, token) = app
        .store
        .create_agreement(
            fdg_store::NewAgreement {
                org_code: "STAT".into(),
                org_kind: Some(OrgKind::StateJobcenter),
                state: fdg_domain::agreement::AgreementState::Active,
                processors: vec!["KMD".into()],
                may_write: vec!["*".into()],
                may_read: vec!["*".into()],
                valid_from: None,
                valid_to: None,
                requires_acting_person: true,
                reason: "the data-responsible authority wants every caseworker named".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let cpr = "070761-4285";
    let anonymous = app
        .post(
            &token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::FORBIDDEN,
        "{}",
        anonymous.text
    );
    assert_eq!(anonymous.body["type"], "urn:fdg:problem:not-in-agreement");
    assert!(
        anonymous.body["detail_da"]
            .as_str()
            .unwrap()
            .contains("X-Caseworker-Id"),
        "{}",
        anonymous.text
    );
    let found = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": cpr}),
        )
        .await;
    assert_eq!(found.status, StatusCode::NOT_FOUND, "nothing stored");
    let named = app
        .post_with(
            &token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
            &[("x-caseworker-id", "cw-17")],
        )
        .await;
    assert_eq!(named.status, StatusCode::CREATED, "{}", named.text);
}
