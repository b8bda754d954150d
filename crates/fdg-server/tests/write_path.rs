//! The one write path and the one read: the same command through the web services, the browser
//! registration tool and the citizen's own page is refused by the same rule and audited the
//! same way, and a person read through the web services and the browser tool is audited alike.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fdg_domain::{OrgKind, Role};
use fdg_server::ServerConfig;
use fdg_store::audit::{AuditEntry, AuditLog, StoredAuditEntry, VerifyReport};
use fdg_store::testing::TestDatabase;
use fdg_store::{BoxFut, Result};
use jiff::Timestamp;

mod common;

use common::{call, cookie_of, csrf_of};

/// The audit log under test, with every entry handed to it kept for the test to read.
struct Recording {
    inner: Arc<dyn AuditLog>,
    seen: Mutex<Vec<AuditEntry>>,
}

impl AuditLog for Recording {
    fn append(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        self.seen.lock().unwrap().extend(entries.iter().cloned());
        self.inner.append(entries)
    }
    fn enqueue(&self, entries: Vec<AuditEntry>) -> BoxFut<'_, Result<()>> {
        self.seen.lock().unwrap().extend(entries.iter().cloned());
        self.inner.enqueue(entries)
    }
    fn for_person<'a>(
        &'a self,
        person_id: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<StoredAuditEntry>>> {
        self.inner.for_person(person_id, limit)
    }
    fn verify(&self) -> BoxFut<'_, Result<VerifyReport>> {
        self.inner.verify()
    }
    fn prune(&self, before: Timestamp) -> BoxFut<'_, Result<u64>> {
        self.inner.prune(before)
    }
    fn head(&self) -> BoxFut<'_, Result<(i64, [u8; 32])>> {
        self.inner.head()
    }
    fn hash_at(&self, seq: i64) -> BoxFut<'_, Result<Option<[u8; 32]>>> {
        self.inner.hash_at(seq)
    }
}

/// A form a browser posts (with its cookie, once it has one).
fn form(path: &str, cookie: &str, body: String) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::from(body)).unwrap()
}

/// The service on a fresh database, its audit log wrapped so the test reads every entry.
fn recorded(
    db: &TestDatabase,
    config: ServerConfig,
) -> (axum::Router, Arc<dyn fdg_store::Store>, Arc<Recording>) {
    let (mut state, store) = common::app_state(db, config);
    let recording = Arc::new(Recording {
        inner: state.audit.clone(),
        seen: Mutex::new(Vec::new()),
    });
    state.audit = recording.clone();
    (fdg_server::router(state), store, recording)
}

#[tokio::test]
async fn the_api_the_browser_tool_and_the_citizen_page_refuse_and_audit_one_command_alike() {
    let db = TestDatabase::new("write-path").unwrap();
    let (router, store, recording) = recorded(
        &db,
        ServerConfig {
            citizen_dev_login: true,
            ..Default::default()
        },
    );
    let token = common::org_token(&store, OrgKind::StateJobcenter, "STAT").await;
    let user = caseworker(&store, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;

    // One command: registration on a-dagpenge without an a-kasse (§ 8, stk. 1, nr. 5).
    let cpr = "070761-4285";
    let api = call(
        &router,
        Request::post("/api/v1/jobseeker-registrations")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({
                    "cpr": cpr, "name": "Jens Hansen", "registration_date": "2026-11-27",
                    "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
                    "job_titles": ["4110"]
                })
                .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", api.text);
    let problem: serde_json::Value = serde_json::from_str(&api.text).unwrap();
    let rule = problem["violations"][0]["message_da"]
        .as_str()
        .unwrap()
        .to_owned();

    let staff = log_in(&router, &user.username).await;
    let csrf = csrf_of(&call(&router, form_get("/register", &staff)).await);
    let browser = call(
        &router,
        form(
            "/register",
            &staff,
            format!(
                "csrf={csrf}&cpr={cpr}&name=Jens+Hansen&registration_date=2026-11-27\
                 &benefit_category=a_dagpenge&unemployment_degree=fuld&job_title=4110"
            ),
        ),
    )
    .await;
    assert_eq!(browser.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(browser.text.contains(&rule), "{}", browser.text);

    let login = call(&router, form("/borger/dev-login", "", format!("cpr={cpr}"))).await;
    let citizen = cookie_of(&login);
    let csrf = csrf_of(&call(&router, form_get("/borger", &citizen)).await);
    let own = call(
        &router,
        form(
            "/borger/register",
            &citizen,
            format!(
                "csrf={csrf}&name=Jens+Hansen&benefit_category=a_dagpenge&job_title=4110&unemployment_fund="
            ),
        ),
    )
    .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.text.contains(&rule), "{}", own.text);

    // Each refusal is audited once, with the same action and outcome, naming who tried.
    let writes: Vec<(String, String, String, Option<String>)> = recording
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.action.starts_with("write."))
        .map(|e| {
            (
                e.org.clone(),
                e.action.clone(),
                e.outcome.clone(),
                e.person_id.clone(),
            )
        })
        .collect();
    let refused = |org: &str| {
        (
            org.to_owned(),
            "write.jobseeker_registration".to_owned(),
            "refused".to_owned(),
            None,
        )
    };
    assert_eq!(
        writes,
        vec![
            refused("state-jobcenter:STAT"),
            refused("state-jobcenter:STAT"),
            refused("citizen"),
        ]
    );

    // Accepted through the citizen's page, it is audited like any other write.
    let own = call(
        &router,
        form(
            "/borger/register",
            &citizen,
            format!(
                "csrf={csrf}&name=Jens+Hansen&benefit_category=a_dagpenge&job_title=4110&unemployment_fund=001"
            ),
        ),
    )
    .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.text);
    let last = recording.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (
            last.org.as_str(),
            last.action.as_str(),
            last.outcome.as_str()
        ),
        ("citizen", "write.jobseeker_registration", "ok")
    );
    assert!(last.person_id.is_some());
}

/// A caseworker of the organisation, with the password `a-password-of-my-own`.
async fn caseworker(
    store: &Arc<dyn fdg_store::Store>,
    kind: OrgKind,
    code: &str,
    name: &str,
) -> fdg_store::User {
    let (user, _) = store
        .create_user(code, Some(kind), Role::Caseworker, name, None)
        .await
        .unwrap();
    store
        .set_password(user.id, "a-password-of-my-own")
        .await
        .unwrap();
    user
}

/// Logs `username` in through the login page; the session cookie.
async fn log_in(router: &axum::Router, username: &str) -> String {
    let login_page = call(router, form_get("/login", "")).await;
    let login = call(
        router,
        form(
            "/login",
            &cookie_of(&login_page),
            format!(
                "username={username}&password=a-password-of-my-own&csrf={}",
                csrf_of(&login_page)
            ),
        ),
    )
    .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    cookie_of(&login)
}

fn form_get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_call_refused_for_its_agreement_is_audited_as_what_it_attempted() {
    use fdg_domain::agreement::AgreementAction;
    let db = TestDatabase::new("write-path-refused").unwrap();
    let (router, store, recording) = recorded(&db, ServerConfig::default());
    let token = common::org_token(&store, OrgKind::MunicipalJobcenter, "101").await;
    let agreement = store.agreements().await.unwrap()[0].id;
    store
        .change_agreement(agreement, AgreementAction::Suspend, "§ 13", "operator")
        .await
        .unwrap();
    let body = serde_json::json!({"cpr": "020285-1002"});
    for (path, action) in [
        ("/api/v1/first-contacts", "write.first_contact"),
        ("/api/v1/persons/search", "person.search"),
        ("/api/v1/persons/p123/history", "person.history"),
        ("/api/v1/events", "feed.read"),
    ] {
        let get = path.contains("p123") || path.ends_with("events");
        let r = call(
            &router,
            common::bearer(&token, path, (!get).then_some(&body)),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        let last = recording.seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(
            (last.action.as_str(), last.outcome.as_str()),
            (action, "denied"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_api_and_the_browser_tool_read_a_person_through_one_audited_read() {
    let db = TestDatabase::new("read-path").unwrap();
    let (router, store, recording) = recorded(&db, ServerConfig::default());
    let state_token = common::org_token(&store, OrgKind::StateJobcenter, "STAT").await;
    let actor_token = common::org_token(&store, OrgKind::OtherActor, "12345678").await;
    let state_user = caseworker(&store, OrgKind::StateJobcenter, "STAT", "Anne Berg").await;
    let actor_user = caseworker(&store, OrgKind::OtherActor, "12345678", "Bo Dal").await;
    let cpr = "070761-4285";
    let registered = call(
        &router,
        common::bearer(
            &state_token,
            "/api/v1/jobseeker-registrations",
            Some(&serde_json::json!({
                "cpr": cpr, "name": "Jens Hansen", "registration_date": "2026-11-27",
                "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
                "job_titles": ["4110"], "unemployment_fund": "001"
            })),
        ),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let person: serde_json::Value = serde_json::from_str(&registered.text).unwrap();
    let person = person["person_id"].as_str().unwrap().to_owned();

    // What each read left in the audit log: action, outcome, person, purpose.
    let mark = || recording.seen.lock().unwrap().len();
    let since = |from: usize| -> Vec<(String, String, Option<String>, String)> {
        recording.seen.lock().unwrap()[from..]
            .iter()
            .map(|e| {
                (
                    e.action.clone(),
                    e.outcome.clone(),
                    e.person_id.clone(),
                    e.purpose.clone(),
                )
            })
            .collect()
    };
    // The state job centre sees the person; the other actor, to whom nobody assigned them,
    // does not; and a CPR number the registry does not hold is found by nobody.
    for (token, user, search_cpr, seen) in [
        (&state_token, &state_user, cpr, true),
        (&actor_token, &actor_user, cpr, false),
        (&state_token, &state_user, "010190-0000", false),
    ] {
        let from = mark();
        let found = call(
            &router,
            common::bearer(
                token,
                "/api/v1/persons/search",
                Some(&serde_json::json!({ "cpr": search_cpr })),
            ),
        )
        .await;
        let read = call(
            &router,
            common::bearer(token, &format!("/api/v1/persons/{person}"), None),
        )
        .await;
        let expected = if seen {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(found.status, expected, "{}", found.text);
        let through_api = since(from);

        let staff = log_in(&router, &user.username).await;
        let csrf = csrf_of(&call(&router, form_get("/", &staff)).await);
        let from = mark();
        let found = call(
            &router,
            form("/find", &staff, format!("csrf={csrf}&cpr={search_cpr}")),
        )
        .await;
        let page = call(&router, form_get(&format!("/persons/{person}"), &staff)).await;
        assert_eq!(
            found.status,
            if seen {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            "{}",
            found.text
        );
        assert_eq!(page.status == StatusCode::OK, read.status == StatusCode::OK);
        let through_browser = since(from);

        assert_eq!(through_api, through_browser, "{token}");
        let search = &through_api[0];
        assert_eq!(search.0, "person.search");
        assert_eq!(
            search.1,
            match (seen, search_cpr == cpr) {
                (true, _) => "ok",
                (false, true) => "denied",
                (false, false) => "not_found",
            }
        );
        assert_eq!(search.3, "case handling");
    }
}
