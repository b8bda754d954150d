//! End-to-end tests in headless Chromium: the caseworker tool as a caseworker uses it, over a
//! real socket, through Debian's `chromium` and `chromium-driver` (W3C WebDriver).
//!
//! Without `chromedriver` on the PATH these tests say so and pass on a developer's machine; when
//! `CI` is set (`.ci/run` installs both packages) a missing driver fails them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use fdg_domain::agreement::AgreementState;
use fdg_domain::{OrgKind, Role};
use fdg_server::ServerConfig;
use fdg_store::{NewAgreement, Store};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// The element key of the W3C WebDriver protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Standard base64, as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        acc = ((acc << 6) | u32::from(sextet(c))) & 0xFF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A chromedriver process and one browser session in it.
struct Browser {
    driver: SocketAddr,
    session: String,
    base: String,
    child: std::process::Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request with a JSON body, and its status and JSON answer.
async fn request(
    to: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(to).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, to.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(token) = bearer {
        req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req.body(Full::new(Bytes::from(body))).unwrap();
    let res = sender.send_request(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One WebDriver command: the `value` of its answer, or a panic naming the WebDriver error.
async fn webdriver(driver: SocketAddr, method: &str, path: &str, body: Option<Value>) -> Value {
    let (_, answer) = request(driver, method, path, body, None).await;
    let value = answer["value"].clone();
    if let Some(error) = value.get("error") {
        panic!("WebDriver {method} {path}: {error}: {}", value["message"]);
    }
    value
}

impl Browser {
    /// Starts chromedriver and headless Chromium, or `None` when the driver is not installed.
    async fn start(base: String) -> Option<Browser> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = match std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("chromedriver not started ({e}): browser tests skipped");
                return None;
            }
            Err(e) => panic!("chromedriver is required in CI: {e}"),
        };
        let driver: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // The driver takes a moment to listen.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(driver).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut browser = Browser {
            driver,
            session: String::new(),
            base,
            child,
        };
        let session = webdriver(
            driver,
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                    "args": ["--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", "--no-first-run", "--window-size=1200,1600",
                             "--lang=da"]
                }
            }}})),
        )
        .await;
        browser.session = session["sessionId"].as_str().unwrap().to_owned();
        // Elements of a page still loading are waited for, up to three seconds.
        browser
            .cmd("POST", "/timeouts", Some(json!({"implicit": 3000})))
            .await;
        Some(browser)
    }

    async fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{what}", self.session);
        webdriver(self.driver, method, &path, body).await
    }

    async fn go(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    async fn find(&self, css: &str) -> String {
        let e = self
            .cmd(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        e[ELEMENT].as_str().unwrap().to_owned()
    }

    /// Types into the field with this id, as a person would.
    async fn type_into(&self, id: &str, text: &str) {
        let e = self.find(&format!("[id='{id}']")).await;
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})))
            .await;
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Sets a date field (typing into a date input depends on the browser's locale).
    async fn set_date(&self, id: &str, date: &str) {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "document.getElementById(arguments[0]).value = arguments[1];",
                "args": [id, date]
            })),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
            .await;
    }

    /// Chooses the option with this code in the select with this id.
    async fn choose(&self, id: &str, code: &str) {
        self.click(&format!("[id='{id}'] option[value='{code}']"))
            .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Submits the form of the page and waits until the answer has loaded.
    async fn submit(&self) {
        self.script("window.fdgBeforeSubmit = true;").await;
        self.click("main form button[type=submit]").await;
        self.wait_for_load().await;
    }

    /// Waits until the page marked `fdgBeforeSubmit` has been replaced and the new one loaded.
    async fn wait_for_load(&self) {
        for _ in 0..200 {
            let loaded = self
                .script("return !window.fdgBeforeSubmit && document.readyState === 'complete';")
                .await;
            if loaded == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the form's answer did not load");
    }

    async fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn text_of(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd("GET", &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts that the last form was recorded: the browser was sent to the person page.
    async fn on_person_page(&self) -> String {
        let path = self.path().await;
        let page = self.source().await;
        assert!(path.starts_with("/persons/"), "still at {path}: {page}");
        page
    }

    /// Saves what the browser shows as `<name>.png` in `$FDG_SCREENSHOTS`, when it is set
    /// (`FDG_SCREENSHOTS=docs/screenshots` refreshes the README's pictures).
    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("FDG_SCREENSHOTS") else {
            return;
        };
        let png = self.cmd("GET", "/screenshot", None).await;
        let path = std::path::Path::new(&dir).join(format!("{name}.png"));
        std::fs::write(path, base64_decode(png.as_str().unwrap())).unwrap();
    }

    /// The form controls of the page that have no label a screen reader would announce.
    async fn unlabelled(&self) -> Value {
        self.script(
            "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                .map(e => e.id || e.name);",
        )
        .await
    }

    async fn path(&self) -> String {
        let url = self.cmd("GET", "/url", None).await;
        url.as_str()
            .unwrap()
            .trim_start_matches(&self.base)
            .to_owned()
    }
}

/// The password every browser test's user has chosen.
const PASSWORD: &str = "a-password-of-my-own";

/// A user who has chosen their password; returns the username.
async fn user(store: &dyn Store, code: &str, kind: OrgKind, role: Role, name: &str) -> String {
    let (user, _) = store
        .create_user(code, Some(kind), role, name, None)
        .await
        .unwrap();
    store.set_password(user.id, PASSWORD).await.unwrap();
    user.username
}

impl Browser {
    /// Logs in on the login page.
    async fn log_in(&self, username: &str) {
        self.go("/login").await;
        self.type_into("username", username).await;
        self.type_into("password", PASSWORD).await;
        self.submit().await;
    }
}

/// The service on a real socket, with one caseworker of the state job centre.
async fn serve(db: &fdg_store::testing::TestDatabase) -> (SocketAddr, Arc<dyn Store>) {
    let (state, store) = common::app_state(
        db,
        ServerConfig {
            secure_cookies: false,
            citizen_dev_login: true,
            oidc: None,
            staff_oidc: None,
        },
    );
    store
        .create_org(OrgKind::StateJobcenter, "STAT", "Jobcenter (staten)")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(fdg_server::serve(listener, state, std::future::pending()));
    (addr, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_records_and_a_citizen_sees_who_looked() {
    let db = fdg_store::testing::TestDatabase::new("browser-test").unwrap();
    let (addr, store) = serve(&db).await;
    let caseworker = user(
        store.as_ref(),
        "STAT",
        OrgKind::StateJobcenter,
        Role::Caseworker,
        "Anne Berg",
    )
    .await;
    let Some(b) = Browser::start(format!("http://{addr}")).await else {
        return;
    };

    // Log in.
    b.log_in(&caseworker).await;
    assert_eq!(b.path().await, "/");

    // Every field of every page a caseworker uses has a label (WCAG 2.1, 1.3.1 and 3.3.2).
    for page in [
        "/",
        "/register",
        "/deregister",
        "/interviews/new",
        "/conditions/new",
        "/first-contacts/new",
        "/cessations/new",
        "/assignments/new",
        "/password",
    ] {
        b.go(page).await;
        assert_eq!(b.unlabelled().await, json!([]), "{page}");
    }

    // Register a job seeker, first with an impossible CPR number: the error stands beside the
    // field and in the summary, and what was typed is kept.
    b.go("/register").await;
    b.type_into("cpr", "320190-1234").await;
    b.type_into("name", "Jens Hansen").await;
    b.choose("benefit_category", "a_dagpenge").await;
    b.choose("unemployment_degree", "fuld").await;
    b.choose("job_title", "4110").await;
    b.choose("unemployment_fund", "001").await;
    b.submit().await;
    assert!(b.text_of("#cpr-error").await.contains("CPR"));
    assert!(b.source().await.contains(r#"value="Jens Hansen""#));
    b.type_into("cpr", "070761-4285").await;
    b.submit().await;
    assert!(b.on_person_page().await.contains("Ja, siden 2026-11-27"));

    // A contact interview without the further course (§ 9, nr. 11) is refused at that field;
    // with it, it is recorded.
    b.go("/interviews/new").await;
    b.type_into("cpr", "070761-4285").await;
    b.type_into("name", "Jens Hansen").await;
    b.choose("case_type", "dagpenge").await;
    b.choose("support", "a_dagpenge").await;
    b.click("[id='consent_obtain']").await;
    b.set_date("consent_date", "2026-11-27").await;
    b.choose("interview_type", "foerste").await;
    b.choose("contact_form", "personligt").await;
    b.choose("match_category", "1").await;
    b.submit().await;
    assert!(
        b.text_of("[id='further_course-error']")
            .await
            .contains("videre forløb")
    );
    b.screenshot("interview-form-errors").await;
    b.type_into("further_course", "Jobsøgning, opfølgning om tre måneder.")
        .await;
    b.submit().await;
    assert!(b.on_person_page().await.contains("1 – "));

    // The worklist: the interview is due in three months, so Jens is listed once the horizon
    // reaches it, and his line leads to his page.
    b.go("/worklist").await;
    assert_eq!(b.unlabelled().await, json!([]), "/worklist");
    assert!(
        !b.source().await.contains("070761-4285"),
        "not due within 14 days"
    );
    b.type_into("within_days", "100").await;
    b.submit().await;
    assert!(
        b.text_of("#interview_due table")
            .await
            .contains("070761-4285"),
        "due on 27 February"
    );
    b.screenshot("worklist").await;
    b.script("window.fdgBeforeSubmit = true;").await;
    b.click("#interview_due table a").await;
    b.wait_for_load().await;
    assert!(b.on_person_page().await.contains("Jens Hansen"));

    // Sickness from 20 November, ended from the person page on the 24th.
    b.go("/conditions/new").await;
    b.type_into("cpr", "070761-4285").await;
    b.choose("kind", "sygdom").await;
    b.set_date("start_date", "2026-11-20").await;
    b.submit().await;
    assert!(b.on_person_page().await.contains("Sygdom (2026-11-20)"));
    b.click("a[href^='/conditions/']").await;
    b.set_date("end_date", "2026-11-24").await;
    b.submit().await;
    let page = b.on_person_page().await;
    assert!(!page.contains("Sygdom (2026-11-20)"), "no longer open");

    // A citizen registers themselves at /borger (§ 4, stk. 2) ...
    b.go("/borger").await;
    assert_eq!(b.unlabelled().await, json!([]), "/borger");
    b.type_into("cpr", "020285-2345").await;
    b.submit().await;
    b.type_into("name", "Mette Jensen").await;
    assert_eq!(b.unlabelled().await, json!([]), "/borger, registration");
    b.choose("benefit_category", "a_dagpenge").await;
    b.choose("job_title", "4110").await;
    b.choose("unemployment_fund", "001").await;
    b.submit().await;
    assert!(b.source().await.contains("Ja, siden 2026-11-27"));
    // ... the caseworker looks her up ...
    b.go("/").await;
    b.type_into("cpr", "020285-2345").await;
    b.submit().await;
    assert!(b.on_person_page().await.contains("Mette Jensen"));
    // ... and she sees who looked at her data.
    b.go("/borger").await;
    assert!(
        b.text_of("[aria-labelledby='log-h'] table")
            .await
            .contains("state-jobcenter:STAT")
    );
    b.screenshot("citizen-page").await;

    b.cmd("DELETE", "", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_suspends_an_agreement_and_the_api_refuses_it() {
    let db = fdg_store::testing::TestDatabase::new("browser-test").unwrap();
    let (addr, store) = serve(&db).await;
    store
        .create_org(OrgKind::Operator, "AMS", "Arbejdsmarkedsstyrelsen")
        .await
        .unwrap();
    store
        .create_org(OrgKind::MunicipalJobcenter, "147", "Frederiksberg")
        .await
        .unwrap();
    let (agreement, token) = store
        .create_agreement(
            NewAgreement {
                org_code: "147".into(),
                org_kind: None,
                state: AgreementState::Active,
                processors: vec!["KMD".into()],
                may_write: vec!["*".into()],
                may_read: vec!["*".into()],
                valid_from: None,
                valid_to: None,
                requires_acting_person: false,
                reason: "signed".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let operator = user(
        store.as_ref(),
        "AMS",
        OrgKind::Operator,
        Role::Operator,
        "Olga Operatør",
    )
    .await;
    let feed = || request(addr, "GET", "/api/v1/events", None, Some(&token));
    assert_eq!(feed().await.0, 200);
    let Some(b) = Browser::start(format!("http://{addr}")).await else {
        return;
    };
    b.log_in(&operator).await;
    b.go("/admin").await;
    assert_eq!(b.unlabelled().await, json!([]), "/admin");
    let id = agreement.id;
    b.type_into(&format!("reason-{id}"), "Databehandleraftalen er brudt")
        .await;
    b.choose(&format!("action-{id}"), "suspend").await;
    b.script("window.fdgBeforeSubmit = true;").await;
    b.click(&format!("form[action='/admin/agreements/{id}'] button"))
        .await;
    b.wait_for_load().await;
    // The page shows the agreement suspended, and the API refuses its token from now on.
    let state = b
        .text_of(&format!(
            "tr:has(form[action='/admin/agreements/{id}']) td:nth-child(3)"
        ))
        .await;
    assert_eq!(state, "suspended");
    b.screenshot("admin-page").await;
    let (status, problem) = feed().await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "urn:fdg:problem:access-closed");
    b.cmd("DELETE", "", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_the_national_overview_and_a_municipality_without_javascript_help() {
    use fdg_domain::command::{
        ConsentInput, ContactFields, RecordFirstContact, RegistrationDetails,
    };
    let db = fdg_store::testing::TestDatabase::new("browser-test").unwrap();
    let (addr, store) = serve(&db).await;
    store
        .create_org(OrgKind::Supervisor, "TILSYN", "Visitationstilsynet")
        .await
        .unwrap();
    // A cash-benefit applicant in Copenhagen, registered at first contact.
    let outcome = store
        .execute(fdg_store::WriteRequest {
            command: fdg_domain::Command::FirstContact(RecordFirstContact {
                cpr: "020285-2345".into(),
                first_contact_date: Some("2026-11-03".into()),
                contact: ContactFields {
                    name: Some("Mette Jensen".into()),
                    case_type: Some("kontanthjaelp".into()),
                    support: Some("kontanthjaelp".into()),
                    consent: Some(ConsentInput {
                        obtain: Some(true),
                        disclose: Some(true),
                        date: Some("2026-11-03".into()),
                    }),
                    contact_form: Some("personligt".into()),
                    match_category: Some(2),
                    decisive_areas: vec!["helbred".into()],
                    ..Default::default()
                },
                municipality: Some("101".into()),
                registration: Some(RegistrationDetails {
                    benefit_category: Some("kontanthjaelp".into()),
                    unemployment_degree: Some("fuld".into()),
                    hours_per_week: None,
                    job_titles: vec!["5223".into()],
                    unemployment_fund: None,
                }),
            }),
            actor: fdg_domain::Actor {
                kind: OrgKind::MunicipalJobcenter,
                code: "101".into(),
            },
            person_id: None,
            expected_version: None,
            idempotency: None,
            dry_run: false,
            context: Default::default(),
            residence: None,
            recorded: None,
        })
        .await
        .unwrap();
    assert!(matches!(outcome, fdg_store::WriteOutcome::Accepted(_)));
    let supervisor = user(
        store.as_ref(),
        "TILSYN",
        OrgKind::Supervisor,
        Role::Supervisor,
        "Tove Tilsyn",
    )
    .await;
    let Some(b) = Browser::start(format!("http://{addr}")).await else {
        return;
    };
    b.log_in(&supervisor).await;
    // The supervisor lands on the national overview: charts drawn by the server, tables,
    // every field labelled, and no person anywhere.
    assert_eq!(b.path().await, "/tilsyn");
    assert_eq!(b.unlabelled().await, json!([]), "/tilsyn");
    let charts = b
        .script("return document.querySelectorAll('svg.chart').length;")
        .await;
    assert_eq!(charts, json!(7));
    let source = b.source().await;
    assert!(!source.contains("020285") && !source.contains("Mette"));
    b.click("a[href^='/tilsyn/kommune/101']").await;
    b.wait_for_load().await;
    assert!(b.path().await.starts_with("/tilsyn/kommune/101"));
    let heading = b.text_of("h1").await;
    assert!(heading.contains("København"), "{heading}");
    let in_course = b
        .text_of("section.key:first-of-type table tbody tr:first-child td:last-child")
        .await;
    assert_eq!(in_course, "1");
    assert_eq!(b.unlabelled().await, json!([]), "/tilsyn/kommune/101");
    b.cmd("DELETE", "", None).await;
}
