//! The in-process application the capability test files share: the service on a fresh
//! database of the backend under test, with a state job centre, a municipal job centre (101),
//! an other actor and the supervision authority, each with a token; and the calls, logins and
//! pages those tests make.

#![allow(dead_code)]

// What the capability tests use, in one glob (`use common::app::*`).
pub use std::sync::Arc;

pub use axum::Router;
pub use axum::body::Body;
pub use axum::http::{Request, StatusCode, header};
pub use fdg_domain::{CodeLists, OrgKind};
pub use fdg_server::AppState;
pub use fdg_store::audit::AuditLog;
pub use fdg_store::testing::TestDatabase;
pub use fdg_store::{FixedClock, Store, StoreContext};
pub use serde_json::{Value, json};

pub use super::{Answer, csrf_of};

pub struct App {
    pub router: Router,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub audit: Arc<dyn AuditLog>,
    pub state_token: String,
    pub municipal_token: String,
    pub other_actor_token: String,
    pub supervisor_token: String,
    pub _db: TestDatabase,
}

/// A clock a test moves forward by hand.
pub struct TestClock(pub std::sync::Mutex<jiff::Timestamp>);

impl TestClock {
    pub fn advance(&self, seconds: i64) -> jiff::Timestamp {
        let mut t = self.0.lock().unwrap();
        *t += jiff::SignedDuration::from_secs(seconds);
        *t
    }
}

impl fdg_store::TimeSource for TestClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap()
    }
    fn today(&self) -> jiff::civil::Date {
        "2026-11-27".parse().unwrap()
    }
}

pub async fn spawn_app() -> App {
    spawn_app_with(Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().unwrap(),
        today: "2026-11-27".parse().unwrap(),
    }))
    .await
}

pub async fn spawn_app_with(clock: Arc<dyn fdg_store::TimeSource>) -> App {
    let db = TestDatabase::new("api-test").unwrap();
    let codes = Arc::new(CodeLists::shipped());
    let store = db
        .open(StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        })
        .unwrap();
    let mut tokens = Vec::new();
    for (kind, code) in [
        (OrgKind::StateJobcenter, "STAT"),
        (OrgKind::MunicipalJobcenter, "101"),
        (OrgKind::OtherActor, "12345678"),
        (OrgKind::Supervisor, "TILSYN"),
    ] {
        store.create_org(kind, code, code).await.unwrap();
        tokens.push(store.create_token(code, Some(kind)).await.unwrap());
    }
    let audit = db.open_audit().unwrap();
    let state = AppState::new(
        store.clone(),
        audit.clone(),
        codes,
        clock,
        fdg_server::ServerConfig {
            secure_cookies: false,
            citizen_dev_login: true,
            oidc: None,
            staff_oidc: None,
        },
    );
    let router = fdg_server::router(state.clone());
    App {
        router,
        state,
        store,
        audit,
        state_token: tokens[0].clone(),
        municipal_token: tokens[1].clone(),
        other_actor_token: tokens[2].clone(),
        supervisor_token: tokens[3].clone(),
        _db: db,
    }
}

impl App {
    pub async fn call(&self, req: Request<Body>) -> Answer {
        super::call(&self.router, req).await
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Answer {
        self.post_with(token, path, body, &[]).await
    }

    pub async fn post_with(
        &self,
        token: &str,
        path: &str,
        body: &Value,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        self.call(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Posts the login form as a browser does: the login page first, for its CSRF token and
    /// cookie, then the form with `fields` (`username=…&password=…`).
    pub async fn login_post(&self, fields: &str, html: bool) -> Answer {
        let page = self
            .call(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let cookie = page.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie);
        if html {
            req = req.header(header::ACCEPT, "text/html");
        }
        let body = format!("{fields}&csrf={}", csrf_of(&page));
        self.call(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.call(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

pub fn registration(cpr: &str) -> Value {
    json!({
        "cpr": cpr, "name": "Jens Hansen", "registration_date": "2026-11-02",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"
    })
}

pub fn rule_ids(a: &Answer) -> Vec<String> {
    a.body["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|x| x["rule"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub fn first_contact(cpr: &str, category: u8, with_registration: bool) -> Value {
    let mut v = json!({
        "cpr": cpr, "first_contact_date": "2026-11-03", "name": "Mette Jensen",
        "case_type": "kontanthjaelp", "support": "kontanthjaelp",
        "consent": {"obtain": true, "disclose": true, "date": "2026-11-03"},
        "contact_form": "personligt", "match_category": category
    });
    if category > 1 {
        v["decisive_areas"] = json!(["erhvervserfaring"]);
    }
    if with_registration {
        v["registration"] = json!({
            "benefit_category": "kontanthjaelp", "unemployment_degree": "fuld",
            "job_titles": ["5223"]
        });
    }
    v
}

pub fn interview(cpr: &str, date: &str, category: u8) -> Value {
    let mut v = json!({
        "cpr": cpr, "interview_date": date, "interview_type": "efterfoelgende",
        "name": "Mette Jensen", "case_type": "kontanthjaelp", "support": "kontanthjaelp",
        "consent": {"obtain": true, "disclose": true, "date": "2026-11-03"},
        "contact_form": "telefon", "match_category": category,
        "further_course": "Afklaringsforløb."
    });
    if category > 1 {
        v["decisive_areas"] = json!(["helbred"]);
    }
    v
}

impl App {
    /// Creates an organisation with an agreement in `state` and returns the agreement id and token.
    pub async fn org_with_agreement(
        &self,
        kind: OrgKind,
        code: &str,
        state: fdg_domain::agreement::AgreementState,
        may_write: &[&str],
    ) -> (i64, String) {
        if !self
            .store
            .orgs()
            .await
            .unwrap()
            .iter()
            .any(|o| o.kind == kind && o.code == code)
        {
            self.store.create_org(kind, code, code).await.unwrap();
        }
        let (a, token) = self
            .store
            .create_agreement(
                fdg_store::NewAgreement {
                    org_code: code.into(),
                    org_kind: Some(kind),
                    state,
                    processors: vec!["KMD".into()],
                    may_write: if may_write.is_empty() {
                        vec!["*".into()]
                    } else {
                        may_write.iter().map(|s| s.to_string()).collect()
                    },
                    may_read: vec!["*".into()],
                    valid_from: None,
                    valid_to: None,
                    requires_acting_person: false,
                    reason: "test".into(),
                },
                "test",
            )
            .await
            .unwrap();
        (a.id, token)
    }

    pub async fn token(&self, kind: OrgKind, code: &str) -> String {
        self.org_with_agreement(
            kind,
            code,
            fdg_domain::agreement::AgreementState::Active,
            &[],
        )
        .await
        .1
    }
}

pub fn positions(page: &Answer) -> Vec<u64> {
    page.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

/// Logs a user of organisation `code` in through the login form; returns the session cookie.
pub async fn browser_login(app: &App, kind: OrgKind, code: &str, name: &str) -> String {
    browser_login_as(app, kind, code, fdg_domain::Role::Caseworker, name).await
}

pub async fn browser_login_as(
    app: &App,
    kind: OrgKind,
    code: &str,
    role: fdg_domain::Role,
    name: &str,
) -> String {
    let (user, _one_time) = app
        .store
        .create_user(code, Some(kind), role, name, None)
        .await
        .unwrap();
    let password = "a-password-of-my-own";
    app.store.set_password(user.id, password).await.unwrap();
    let r = app
        .login_post(
            &format!("username={}&password={password}", user.username),
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The first link on a page that starts and ends so.
pub fn link(page: &Answer, starts: &str, ends: &str) -> String {
    page.text
        .split(r#"<a href=""#)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with(starts) && href.ends_with(ends))
        .unwrap_or_else(|| panic!("no link {starts}…{ends}"))
        .to_owned()
}

/// The page a recorded form redirects to.
pub async fn follow(app: &App, cookie: &str, posted: &Answer) -> Answer {
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let to = posted.headers[header::LOCATION].to_str().unwrap();
    page(app, cookie, to).await
}

pub async fn page(app: &App, cookie: &str, path: &str) -> Answer {
    app.call(
        Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// A first contact with registration and an interview in municipality 101, and an insured
/// person registered there by the state: what the supervision figures are made of.
pub async fn supervision_population(app: &App) {
    let m = &app.municipal_token;
    let r = app
        .post(
            m,
            "/api/v1/first-contacts",
            &first_contact("020285-2345", 2, true),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            m,
            "/api/v1/contact-interviews",
            &interview("020285-2345", "2026-11-20", 2),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("010190-1234"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

pub fn key_figure(report: &Value, id: &str) -> Vec<Value> {
    report["key_figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("key figure {id}"))["values"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn indicator_dim(report: &Value, id: &str, dim: &str) -> Vec<i64> {
    report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()["dims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dim"] == dim)
        .map(|d| {
            d["n"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        })
        .unwrap_or_default()
}
