//! HTTP tests of the web services, in process (no socket, no fixed port, no sleeps).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fdg_domain::{CodeLists, OrgKind};
use fdg_server::AppState;
use fdg_store::audit::AuditLog;
use fdg_store::testing::TestDatabase;
use fdg_store::{FixedClock, Store, StoreContext};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    state: AppState,
    store: Arc<dyn Store>,
    audit: Arc<dyn AuditLog>,
    state_token: String,
    municipal_token: String,
    other_actor_token: String,
    supervisor_token: String,
    _db: TestDatabase,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

/// A clock a test moves forward by hand.
struct TestClock(std::sync::Mutex<jiff::Timestamp>);

impl TestClock {
    fn advance(&self, seconds: i64) -> jiff::Timestamp {
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

async fn spawn_app() -> App {
    spawn_app_with(Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().unwrap(),
        today: "2026-11-27".parse().unwrap(),
    }))
    .await
}

async fn spawn_app_with(clock: Arc<dyn fdg_store::TimeSource>) -> App {
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
    async fn call(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> Answer {
        self.post_with(token, path, body, &[]).await
    }

    async fn post_with(
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
    async fn login_post(&self, fields: &str, html: bool) -> Answer {
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

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.call(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

fn registration(cpr: &str) -> Value {
    json!({
        "cpr": cpr, "name": "Jens Hansen", "registration_date": "2026-11-02",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"
    })
}

fn rule_ids(a: &Answer) -> Vec<String> {
    a.body["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|x| x["rule"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_registration_can_be_read_back_by_cpr_search_and_by_id() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person_id = r.body["person_id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/api/v1/persons/{person_id}").as_str()
    );
    let version = r.body["version"].as_u64().unwrap();
    assert_eq!(r.headers[header::ETAG], format!("\"{version}\"").as_str());

    let found = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "0707614285"}),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["person_id"], person_id.as_str());
    assert_eq!(found.body["cpr"], "070761-4285");
    assert_eq!(found.body["registered"], true);
    // § 6: insured unemployed without a category get immediate match.
    assert_eq!(found.body["match_category"], 1);
    assert_eq!(
        found.body["match_history"][0]["source"],
        "registration_default"
    );

    let by_id = app
        .get(&app.state_token, &format!("/api/v1/persons/{person_id}"))
        .await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body, found.body);
    assert_eq!(
        by_id.headers[header::ETAG],
        format!("\"{version}\"").as_str()
    );
}

#[tokio::test]
async fn an_invalid_registration_names_every_violated_rule_and_stores_nothing() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &json!({"cpr": "310290-1234", "registration_date": "2027-01-01",
                    "benefit_category": "x", "job_titles": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(r.body["type"], "urn:fdg:problem:rule-violation");
    let ids = rule_ids(&r);
    for expected in [
        "fdg.cpr.date",
        "fdg.s8.1.nr1.name_required",
        "fdg.date.not_in_future",
        "fdg.s8.1.nr4.benefit_category_unknown",
        "fdg.s8.1.nr5.unemployment_degree_required",
        "fdg.s8.1.nr6.job_title_required",
    ] {
        assert!(
            ids.contains(&expected.to_owned()),
            "{expected} missing in {ids:?}"
        );
    }
    let v = &r.body["violations"][0];
    for key in ["rule", "provision", "message_da", "message_en"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert!(r.body["title_da"].as_str().is_some());
    let feed = app.get(&app.state_token, "/api/v1/events").await;
    assert_eq!(feed.body["events"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn malformed_bodies_are_400_and_never_echo_the_cpr() {
    let app = spawn_app().await;
    // Wrong type for a field, with a CPR number in the body.
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &json!({"cpr": "070761-4285", "name": "X", "match_category": "070761-4285"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(!r.text.contains("070761"), "{}", r.text);
    // A CPR number given as a number, in the wrong field, or with escaped quotes.
    for body in [
        r#"{"cpr": 707614285}"#,
        r#"{"cpr": "x", "hours_per_week": 707614285}"#,
        r#"{"cpr": "a\"0707614285\"", "name": 0707614285}"#,
    ] {
        let r = app
            .call(
                Request::post("/api/v1/jobseeker-registrations")
                    .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(!r.text.contains("707614285"), "{}", r.text);
    }
    // Not JSON at all.
    let r = app
        .call(
            Request::post("/api/v1/persons/search")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"cpr\": 0707614285"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.text.contains("0707614285"));
    // Wrong content type: 415.
    let r = app
        .call(
            Request::post("/api/v1/persons/search")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .body(Body::from("cpr=0707614285"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.body["type"], "urn:fdg:problem:unsupported-media-type");
    // Too large: 413.
    let huge = format!(
        r#"{{"cpr": "070761-4285", "name": "{}"}}"#,
        "x".repeat(3 << 20)
    );
    let r = app
        .call(
            Request::post("/api/v1/jobseeker-registrations")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A misspelt optional field is refused by name, in Danish too, and nothing is recorded.
    let mut misspelt = registration("070761-4285");
    misspelt["municipalty"] = json!("101");
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &misspelt,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("`municipalty` is not known")
    );
    assert!(
        r.body["detail_da"]
            .as_str()
            .unwrap()
            .contains("feltet `municipalty` findes ikke")
    );
    let mut nested = first_contact("020285-2345", 4, false);
    nested["consent"]["disclosed"] = json!(true);
    let r = app
        .post(&app.municipal_token, "/api/v1/first-contacts", &nested)
        .await;
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("`disclosed` is not known"),
        "{}",
        r.text
    );
    // A field name that could be a CPR number is not echoed.
    let mut sneaky = registration("070761-4285");
    sneaky["0707614285"] = json!(1);
    let r = app
        .post(&app.state_token, "/api/v1/jobseeker-registrations", &sneaky)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.text.contains("0707614285"));
    let search = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(search.status, StatusCode::NOT_FOUND, "nothing was recorded");
    // A page of nothing is refused.
    let r = app.get(&app.state_token, "/api/v1/events?limit=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A position no event can have (positions are 64-bit signed in both databases) is
    // refused as the document's maximum says, on the feed and the stream alike.
    for path in ["/api/v1/events", "/api/v1/events/stream"] {
        let r = app
            .get(
                &app.state_token,
                &format!("{path}?after=9223372036854775808"),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        let r = app
            .get(
                &app.state_token,
                &format!("{path}?after=9223372036854775807"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    // Beyond the document's maximums, and type names outside its pattern, are refused too.
    for query in [
        "limit=2147483648",
        "wait=9223372036854775808",
        "types=Job_Seeker",
        "types=a,,b",
    ] {
        let r = app
            .get(&app.state_token, &format!("/api/v1/events?{query}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let r = app
        .get(
            &app.state_token,
            "/api/v1/events?limit=5000&types=job_seeker_registered",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "more than 1000 is read as 1000");
}

#[tokio::test]
async fn every_api_call_requires_a_valid_bearer_token() {
    let app = spawn_app().await;
    let r = app
        .call(Request::get("/api/v1/events").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(r.body["type"], "urn:fdg:problem:unauthenticated");
    let r = app.get("fdg_not_a_real_token", "/api/v1/rules").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post(
            "fdg_nope",
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_organisation_recording_what_it_may_not_gets_403_naming_the_rule() {
    let app = spawn_app().await;
    // The municipality registers only cash and start benefit recipients (§ 4, stk. 1–2).
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(rule_ids(&r), vec!["fdg.s4.registration_actor".to_owned()]);
    // Another actor records interviews but not first contacts (§ 3, § 2, stk. 5).
    let r = app
        .post(
            &app.other_actor_token,
            "/api/v1/benefit-cessations",
            &json!({"cpr": "070761-4285", "cessation_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The supervisor sees aggregates only.
    let r = app
        .post(
            &app.supervisor_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_answer_and_records_once() {
    let app = spawn_app().await;
    let body = registration("070761-4285");
    let key = [("Idempotency-Key", "reg-0001")];
    let first = app
        .post_with(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &body,
            &key,
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let retry = app
        .post_with(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &body,
            &key,
        )
        .await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    let feed = app.get(&app.state_token, "/api/v1/events").await;
    assert_eq!(
        feed.body["events"].as_array().unwrap().len(),
        first.body["facts"].as_array().unwrap().len()
    );
    // The same key with another body is refused.
    let other = app
        .post_with(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("010190-1234"),
            &key,
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["type"], "urn:fdg:problem:idempotency-key-reused");
    // Without a key, a second registration is a rule violation, not a duplicate.
    let again = app
        .post(&app.state_token, "/api/v1/jobseeker-registrations", &body)
        .await;
    assert_eq!(
        rule_ids(&again),
        vec!["fdg.s8.1.already_registered".to_owned()]
    );
}

#[tokio::test]
async fn a_stale_if_match_is_a_409_version_conflict() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    let version = r.body["version"].as_u64().unwrap();
    let condition = json!({"cpr": "070761-4285", "kind": "sygdom", "start_date": "2026-11-10"});
    let stale = app
        .post_with(
            &app.state_token,
            "/api/v1/periodic-conditions",
            &condition,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["current_version"], version);
    let etag = format!("\"{version}\"");
    let fresh = app
        .post_with(
            &app.state_token,
            "/api/v1/periodic-conditions",
            &condition,
            &[("If-Match", etag.as_str())],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.text);
    let bad = app
        .post_with(
            &app.state_token,
            "/api/v1/periodic-conditions",
            &condition,
            &[("If-Match", "yesterday")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

fn first_contact(cpr: &str, category: u8, with_registration: bool) -> Value {
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

fn interview(cpr: &str, date: &str, category: u8) -> Value {
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

#[tokio::test]
async fn the_municipality_s_first_contact_interview_and_cessation_flow_through_the_registry() {
    let app = spawn_app().await;
    let m = &app.municipal_token;
    let cpr = "020285-2345";
    // § 4, stk. 1: match 1–3 at first contact requires registration at the same time.
    let r = app
        .post(m, "/api/v1/first-contacts", &first_contact(cpr, 2, false))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rule_ids(&r), vec!["fdg.s4.1.must_be_registered".to_owned()]);
    let r = app
        .post(m, "/api/v1/first-contacts", &first_contact(cpr, 2, true))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let types: Vec<&str> = r.body["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"first_contact_recorded") && types.contains(&"job_seeker_registered"));
    let person_id = r.body["person_id"].as_str().unwrap().to_owned();

    // A sickness condition, ended through its fact id.
    let r = app
        .post(
            m,
            "/api/v1/periodic-conditions",
            &json!({"cpr": cpr, "kind": "sygdom", "start_date": "2026-11-05"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cond = r.body["facts"][0]["fact_id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            m,
            &format!("/api/v1/periodic-conditions/{cond}/end"),
            &json!({"end_date": "2026-11-08"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let again = app
        .post(
            m,
            &format!("/api/v1/periodic-conditions/{cond}/end"),
            &json!({"end_date": "2026-11-09"}),
        )
        .await;
    assert_eq!(rule_ids(&again), vec!["fdg.s8.5.already_ended".to_owned()]);

    // An other actor sees and records only for persons assigned to it (§ 2, stk. 5).
    let r = app
        .post(
            &app.other_actor_token,
            "/api/v1/contact-interviews",
            &interview(cpr, "2026-11-20", 4),
        )
        .await;
    // ... answered exactly as for a CPR number nobody has: existence does not leak.
    let unknown = app
        .post(
            &app.other_actor_token,
            "/api/v1/contact-interviews",
            &interview("111111-1118", "2026-11-20", 4),
        )
        .await;
    assert_eq!(r.status, unknown.status, "{}", r.text);
    assert_eq!(rule_ids(&r), rule_ids(&unknown));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            m,
            "/api/v1/other-actor-assignments",
            &json!({"cpr": cpr, "other_actor": "12345678", "from_date": "2026-11-10"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // § 5: an interview that sets match 4 deregisters in the same transaction.
    let r = app
        .post(
            &app.other_actor_token,
            "/api/v1/contact-interviews",
            &interview(cpr, "2026-11-20", 4),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person = app.get(m, &format!("/api/v1/persons/{person_id}")).await;
    assert_eq!(person.body["registered"], false);
    assert_eq!(person.body["match_category"], 4);
    let dereg = &person.body["registrations"][0]["deregistration"];
    assert_eq!(dereg["reason"], "ikke_alene_ledighed");
    assert_eq!(dereg["consequence_of"]["rule"], "fdg.s5.deregistered");
    assert_eq!(dereg["consequence_of"]["provision"], "§ 5");
    assert_eq!(
        person.body["periodic_conditions"][0]["end_date"],
        "2026-11-08"
    );

    // § 3, stk. 3: the cessation is the notification; the feed carries it.
    let r = app
        .post(
            m,
            "/api/v1/benefit-cessations",
            &json!({"cpr": cpr, "cessation_date": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let feed = app
        .get(&app.state_token, "/api/v1/events?after=0&limit=1000")
        .await;
    let last = feed.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "cash_benefit_ceased");
    assert_eq!(last["recorded_by"], "municipal-jobcenter:101");

    // A correction annuls the interview; its consequence (the deregistration) goes with it.
    let interview_fact = person.body["interviews"][0]["recorded"]["fact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(&app.other_actor_token, "/api/v1/corrections", &json!({"fact_id": interview_fact, "reason": "Samtalen blev registreret på den forkerte borger."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person = app.get(m, &format!("/api/v1/persons/{person_id}")).await;
    assert_eq!(person.body["registered"], true);
    assert_eq!(person.body["match_category"], 2);
    assert_eq!(
        person.body["corrections"][0]["corrects"],
        interview_fact.as_str()
    );
    assert_eq!(person.body["annulled"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_persons_and_facts_are_404() {
    let app = spawn_app().await;
    let r = app.get(&app.state_token, "/api/v1/persons/pdeadbeef").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    let r = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "070761-4285"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/periodic-conditions/pdeadbeef.4/end",
            &json!({"end_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/corrections",
            &json!({"fact_id": "garbage", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A CPR that is not a CPR is a rule violation, not a 404.
    let r = app
        .post(
            &app.state_token,
            "/api/v1/persons/search",
            &json!({"cpr": "12"}),
        )
        .await;
    assert_eq!(rule_ids(&r), vec!["fdg.cpr.format".to_owned()]);
}

#[tokio::test]
async fn the_event_feed_pages_in_position_order() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234", "020285-2345"] {
        let r = app
            .post(
                &app.state_token,
                "/api/v1/jobseeker-registrations",
                &registration(cpr),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page = app
            .get(
                &app.state_token,
                &format!("/api/v1/events?after={after}&limit=2"),
            )
            .await;
        let events = page.body["events"].as_array().unwrap().clone();
        if events.is_empty() {
            break;
        }
        assert!(events.len() <= 2);
        for e in &events {
            seen.push(e["position"].as_u64().unwrap());
        }
        after = page.body["next_after"].as_u64().unwrap();
    }
    assert_eq!(seen.len(), 9);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    let bad = app.get(&app.state_token, "/api/v1/events?after=-1").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_openapi_examples_are_accepted_by_the_api() {
    let app = spawn_app().await;
    let doc = app
        .call(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemas = &doc.body["components"]["schemas"];
    // Each write endpoint, in an order that builds a consistent history, with the organisation
    // entitled to it.
    let steps = [
        (
            "/api/v1/jobseeker-registrations",
            "RegisterJobSeeker",
            &app.state_token,
        ),
        (
            "/api/v1/periodic-conditions",
            "StartPeriodicCondition",
            &app.state_token,
        ),
        (
            "/api/v1/contact-interviews",
            "RecordContactInterview",
            &app.state_token,
        ),
        (
            "/api/v1/jobseeker-deregistrations",
            "DeregisterJobSeeker",
            &app.state_token,
        ),
        (
            "/api/v1/first-contacts",
            "RecordFirstContact",
            &app.municipal_token,
        ),
        (
            "/api/v1/benefit-cessations",
            "RecordBenefitCessation",
            &app.municipal_token,
        ),
    ];
    for (path, schema, token) in steps {
        let op = &doc.body["paths"][path]["post"];
        assert!(op.is_object(), "{path} missing");
        let example = schemas[schema]["example"].clone();
        assert!(example.is_object(), "{schema} has no example");
        let r = app.post(token, path, &example).await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    }
    for path in [
        "/api/v1/corrections",
        "/api/v1/periodic-conditions/{fact_id}/end",
        "/api/v1/persons/search",
    ] {
        assert!(doc.body["paths"][path]["post"].is_object(), "{path}");
    }
    for schema in ["Correct", "EndPeriodicCondition", "PersonSearch"] {
        assert!(
            schemas[schema]["example"].is_object(),
            "{schema} has no example"
        );
    }
}

#[tokio::test]
async fn health_and_metrics_answer_without_personal_data() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    app.post(
        &app.state_token,
        "/api/v1/persons/search",
        &json!({"cpr": "070761-4285"}),
    )
    .await;
    let h = app
        .call(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(h.status, StatusCode::OK);
    let m = app
        .call(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.text.contains("fdg_http_requests_total"), "{}", m.text);
    assert!(!m.text.contains("070761") && !m.text.contains("0707614285"));
}

impl App {
    /// Creates an organisation with an agreement in `state` and returns the agreement id and token.
    async fn org_with_agreement(
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
                    reason: "test".into(),
                },
                "test",
            )
            .await
            .unwrap();
        (a.id, token)
    }

    async fn token(&self, kind: OrgKind, code: &str) -> String {
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
    let login = app
        .call(
            Request::post("/borger/dev-login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("cpr=070761-4285"))
                .unwrap(),
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let log = app
        .call(
            Request::get("/api/v1/me/access-log")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "person.search");
    assert_eq!(entries[0]["organisation"], "state-jobcenter:STAT");
    assert_eq!(entries[0]["purpose"], "opfølgning på ledighed");
    assert_eq!(entries[1]["action"], "write.jobseeker_registration");
    // A citizen not in the registry sees an empty log.
    let other = app
        .call(
            Request::post("/borger/dev-login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("cpr=010190-1234"))
                .unwrap(),
        )
        .await;
    let cookie = other.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let log = app
        .call(
            Request::get("/api/v1/me/access-log")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(log.body["entries"].as_array().unwrap().len(), 0);
}

fn positions(page: &Answer) -> Vec<u64> {
    page.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_long_poll_answers_as_soon_as_an_event_arrives() {
    let app = Arc::new(spawn_app().await);
    let poller = {
        let app = app.clone();
        tokio::spawn(async move {
            app.get(&app.state_token, "/api/v1/events?after=0&wait=20")
                .await
        })
    };
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let page = poller.await.unwrap();
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !positions(&page).is_empty(),
        "the waiting reader got the new events"
    );
    // Nothing new and no wait: an empty page at once, next_after unchanged.
    let head = page.body["next_after"].as_u64().unwrap();
    let empty = app
        .get(&app.state_token, &format!("/api/v1/events?after={head}"))
        .await;
    assert!(positions(&empty).is_empty());
    assert_eq!(empty.body["next_after"], head);
}

#[tokio::test]
async fn a_consumer_resumes_from_its_durable_cursor() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234"] {
        app.post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    }
    let cursor = app.get(&app.state_token, "/api/v1/feed/cursor").await;
    assert_eq!(cursor.body["position"], 0);
    let first = app.get(&app.state_token, "/api/v1/feed/next?limit=2").await;
    let seen = positions(&first);
    assert_eq!(seen.len(), 2);
    let ack = app
        .call(
            Request::put("/api/v1/feed/cursor")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"position": seen[1]}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    // "After a restart": the cursor is in the database, so the next page continues after it.
    let rest = app
        .get(&app.state_token, "/api/v1/feed/next?limit=1000")
        .await;
    let rest = positions(&rest);
    assert_eq!(rest.first().copied(), Some(seen[1] + 1));
    assert_eq!(rest.len(), 4);
    let beyond = app
        .call(
            Request::put("/api/v1/feed/cursor")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"position": 999}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(beyond.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_bulk_stream_and_filters_deliver_the_same_events_as_paging() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234", "020285-2345"] {
        app.post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    }
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    let stream = app
        .get(&app.state_token, "/api/v1/events/stream?after=0")
        .await;
    assert_eq!(stream.headers[header::CONTENT_TYPE], "application/x-ndjson");
    let lines: Vec<Value> = stream
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let streamed: Vec<u64> = lines
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(streamed, all);
    let registrations = app
        .get(
            &app.state_token,
            "/api/v1/events?types=job_seeker_registered",
        )
        .await;
    assert_eq!(positions(&registrations).len(), 3);
    let since_later = app
        .get(
            &app.state_token,
            "/api/v1/events?since=2026-11-27T11:00:00Z",
        )
        .await;
    assert!(positions(&since_later).is_empty());
    let since_earlier = app
        .get(
            &app.state_token,
            "/api/v1/events?since=2026-11-27T09:00:00Z",
        )
        .await;
    assert_eq!(positions(&since_earlier), all);
}

#[tokio::test]
async fn the_state_learns_of_the_municipality_s_registrations_and_cessations_as_notifications() {
    let app = spawn_app().await;
    let cpr = "020285-2345";
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/first-contacts",
            &first_contact(cpr, 2, true),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/benefit-cessations",
            &json!({"cpr": cpr, "cessation_date": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let feed = app.get(&app.state_token, "/api/v1/events?limit=1000").await;
    let notes: Vec<(String, String)> = feed.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("notification").is_some())
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["notification"]["provision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            ("job_seeker_registered".to_owned(), "§ 4, stk. 1".to_owned()),
            ("cash_benefit_ceased".to_owned(), "§ 3, stk. 3".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_reader_racing_writers_sees_every_event_once_and_in_order() {
    let app = Arc::new(spawn_app().await);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let n = w * 25 + i;
                    let cpr = format!("{:02}{:02}80-{:04}", n % 28 + 1, n / 28 + 1, 1000 + n);
                    let r = app
                        .post(
                            &app.state_token,
                            "/api/v1/jobseeker-registrations",
                            &registration(&cpr),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                }
            })
        })
        .collect();
    let reader = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut seen: Vec<u64> = Vec::new();
            let mut after = 0;
            // 100 registrations, 3 events each.
            while seen.len() < 300 {
                let page = app
                    .get(
                        &app.state_token,
                        &format!("/api/v1/events?after={after}&limit=7&wait=5"),
                    )
                    .await;
                assert_eq!(page.status, StatusCode::OK);
                seen.extend(positions(&page));
                after = page.body["next_after"].as_u64().unwrap();
            }
            seen
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let seen = reader.await.unwrap();
    assert_eq!(seen.len(), 300);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    assert_eq!(seen, all, "nothing missed");
}

#[tokio::test]
async fn as_of_reads_answer_from_history() {
    let clock = Arc::new(TestClock(std::sync::Mutex::new(
        "2026-11-27T08:00:00Z".parse().unwrap(),
    )));
    let app = spawn_app_with(clock.clone()).await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    let id = r.body["person_id"].as_str().unwrap().to_owned();
    let t1 = clock.advance(60);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/contact-interviews",
            &json!({
                "cpr": "070761-4285", "interview_date": "2026-11-16", "interview_type": "foerste",
                "name": "Jens Hansen", "case_type": "dagpenge", "support": "a_dagpenge",
                "consent": {"obtain": true, "disclose": true, "date": "2026-11-16"},
                "contact_form": "personligt", "match_category": 2, "decisive_areas": ["helbred"],
                "further_course": "Forløb."
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let interview = r.body["facts"][0]["fact_id"].as_str().unwrap().to_owned();
    let t2 = clock.advance(60);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/corrections",
            &json!({"fact_id": interview, "reason": "Forkert borger."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let at = |q: String| {
        let app = &app;
        let id = id.clone();
        async move {
            app.get(&app.state_token, &format!("/api/v1/persons/{id}?{q}"))
                .await
        }
    };
    let now = at(String::new()).await;
    assert_eq!(now.body["interviews"].as_array().unwrap().len(), 0);
    assert_eq!(now.body["match_category"], 1);
    // Registration at 08:00, interview at t1 = 08:01, correction at t2 = 08:02.
    assert!(t1 < t2);
    let before_correction = at("known_at=2026-11-27T08:01:30Z".into()).await;
    assert_eq!(
        before_correction.body["interviews"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(before_correction.body["match_category"], 2);
    let before_interview = at("known_at=2026-11-27T08:00:30Z".into()).await;
    assert_eq!(
        before_interview.body["interviews"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Valid time: on 10 November registered, interview not yet held; on 1 November nothing.
    let believed = at("known_at=2026-11-27T08:01:30Z&valid_at=2026-11-10".into()).await;
    assert_eq!(believed.body["registered"], true);
    assert_eq!(believed.body["interviews"].as_array().unwrap().len(), 0);
    assert_eq!(believed.body["match_category"], 1);
    let earlier = at("valid_at=2026-11-01".into()).await;
    assert_eq!(earlier.body["registered"], false);
    let bad = at("valid_at=yesterday".into()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let history = app
        .get(&app.state_token, &format!("/api/v1/persons/{id}/history"))
        .await;
    let entries = history.body.as_array().unwrap();
    let annulled: Vec<&Value> = entries
        .iter()
        .filter(|e| e.get("annulled_by").is_some())
        .collect();
    assert_eq!(annulled.len(), 1);
    assert_eq!(annulled[0]["fact_id"], interview.as_str());
    assert_eq!(entries.last().unwrap()["type"], "fact_corrected");
}

#[tokio::test]
async fn webhooks_push_signed_batches_retry_and_park() {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    let app = spawn_app().await;
    // A receiver that answers with the statuses queued, then 200.
    let statuses: Arc<Mutex<VecDeque<u16>>> = Arc::new(Mutex::new(VecDeque::from([500])));
    let (got, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<u8>, u16)>();
    let receiver = {
        let statuses = statuses.clone();
        Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let statuses = statuses.clone();
                    let got = got.clone();
                    async move {
                        let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                        let sig = headers["fdg-signature"].to_str().unwrap().to_owned();
                        let _ = got.send((sig, body.to_vec(), status));
                        StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let agreement = app
        .store
        .agreements()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.org.code == "STAT")
        .unwrap();
    let secret = app.store.set_webhook(agreement.id, &url, 0).await.unwrap();
    fdg_server::webhook::spawn(
        app.state.clone(),
        fdg_server::webhook::WebhookConfig {
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(20),
            max_attempts: 3,
            batch: 100,
            poll: std::time::Duration::from_millis(20),
            // The receiver is this test, on loopback over plain HTTP.
            allow_http: true,
            allow_private: true,
            ..Default::default()
        },
    );
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let wait = std::time::Duration::from_secs(20);
    // First attempt refused, the retry delivered.
    let (_, first_body, first_status) = tokio::time::timeout(wait, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_status, 500);
    let (sig, body, status) = tokio::time::timeout(wait, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, first_body, "the same batch again");
    let (t, _) = sig.strip_prefix("t=").unwrap().split_once(',').unwrap();
    assert_eq!(
        sig,
        fdg_server::webhook::signature(&secret, t.parse().unwrap(), &body),
        "signed with the webhook's secret"
    );
    let delivered: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(delivered["events"].as_array().unwrap().len(), 3);
    assert_eq!(delivered["events"][2]["type"], "job_seeker_registered");

    // A batch that keeps failing is parked after three attempts, and delivery moves on.
    statuses.lock().unwrap().extend([500, 500, 500]);
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("010190-1234"),
    )
    .await;
    for _ in 0..3 {
        let (_, _, status) = tokio::time::timeout(wait, received.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, 500);
    }
    let parked = tokio::time::timeout(wait, async {
        loop {
            let p = app.store.parked(Some(agreement.id)).await.unwrap();
            if !p.is_empty() {
                return p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].attempts, 3);
    assert!(parked[0].last_error.contains("500"));
    // The deliveries were audited for the person.
    let person = delivered["events"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entries = app.audit.for_person(&person, 100).await.unwrap();
    assert!(entries.iter().any(|e| e.entry.action == "webhook.delivery"));
}

#[tokio::test]
async fn the_feed_scopes_each_event_as_things_stood_when_it_was_recorded() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/other-actor-assignments",
            &json!({"cpr": "070761-4285", "other_actor": "12345678", "from_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let assigned_at = r.body["facts"][0]["position"].as_u64().unwrap();
    app.post(
        &app.state_token,
        "/api/v1/periodic-conditions",
        &json!({"cpr": "070761-4285", "kind": "sygdom", "start_date": "2026-11-24"}),
    )
    .await;
    // The other actor's feed starts at its assignment: the history before it was not its.
    let feed = app
        .get(&app.other_actor_token, "/api/v1/events?limit=1000")
        .await;
    let seen = positions(&feed);
    assert_eq!(seen.first().copied(), Some(assigned_at), "{}", feed.text);
    assert_eq!(seen.len(), 2);
    // The person overview is a read of the present, which it may see in full.
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn suspending_an_agreement_ends_its_waiting_long_poll() {
    use fdg_domain::agreement::{AgreementAction, AgreementState};
    let app = Arc::new(spawn_app().await);
    let (id, token) = app
        .org_with_agreement(OrgKind::StateJobcenter, "STAT", AgreementState::Active, &[])
        .await;
    let poller = {
        let (app, token) = (app.clone(), token.clone());
        tokio::spawn(async move { app.get(&token, "/api/v1/events?after=0&wait=30").await })
    };
    app.store
        .change_agreement(id, AgreementAction::Suspend, "closed", "operator")
        .await
        .unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), poller)
        .await
        .expect("the wait ended well before its 30 s")
        .unwrap();
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["type"], "urn:fdg:problem:access-closed");
}

/// Logs a user of organisation `code` in through the login form; returns the session cookie.
async fn browser_login(app: &App, kind: OrgKind, code: &str, name: &str) -> String {
    browser_login_as(app, kind, code, fdg_domain::Role::Caseworker, name).await
}

async fn browser_login_as(
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
fn link(page: &Answer, starts: &str, ends: &str) -> String {
    page.text
        .split(r#"<a href=""#)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with(starts) && href.ends_with(ends))
        .unwrap_or_else(|| panic!("no link {starts}…{ends}"))
        .to_owned()
}

/// The page a recorded form redirects to.
async fn follow(app: &App, cookie: &str, posted: &Answer) -> Answer {
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let to = posted.headers[header::LOCATION].to_str().unwrap();
    page(app, cookie, to).await
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &Answer) -> String {
    page.text
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .expect("a form with a CSRF token")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn page(app: &App, cookie: &str, path: &str) -> Answer {
    app.call(
        Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
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

/// A first contact with registration and an interview in municipality 101, and an insured
/// person registered there by the state: what the supervision figures are made of.
async fn supervision_population(app: &App) {
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

fn key_figure(report: &Value, id: &str) -> Vec<Value> {
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

fn indicator_dim(report: &Value, id: &str, dim: &str) -> Vec<i64> {
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

#[tokio::test]
async fn the_supervisor_reads_a_municipality_s_figures_with_cut_off_and_hash_and_nobody_else_does()
{
    let app = spawn_app().await;
    supervision_population(&app).await;
    let s = &app.supervisor_token;
    let r = app.get(s, "/api/v1/supervision/101?from=2026-10").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let report = &r.body;
    assert_eq!(report["months"], json!(["2026-10", "2026-11"]));
    assert_eq!(report["cutoff"]["as_of"], "2026-11-27");
    assert!(report["cutoff"]["position"].as_u64().unwrap() >= 3);
    assert_eq!(report["definitions_version"], "fdg-supervision-1");
    assert_eq!(report["input_hash"].as_str().unwrap().len(), 64);
    // Two persons in a contact course in November, none in October.
    assert_eq!(
        key_figure(report, "in_course"),
        vec![json!(0.0), json!(2.0)]
    );
    assert_eq!(key_figure(report, "same_day_share")[1], json!(100.0));
    assert_eq!(
        indicator_dim(report, "interviews", "efterfoelgende/telefon"),
        vec![0, 1]
    );
    assert_eq!(
        indicator_dim(report, "first_contacts_ready", "same_day"),
        vec![0, 1]
    );
    assert_eq!(indicator_dim(report, "in_course", "1"), vec![0, 1]);
    // The national comparison is in the same report.
    assert!(report["key_figures"][0]["national"].is_array());
    // Supervision output never holds a CPR number or a name.
    for secret in ["020285", "2345", "010190", "Mette", "Jens"] {
        assert!(!r.text.contains(secret), "{secret} in the report");
    }

    // The report is reproduced from the event log up to its cut-off.
    let query = fdg_store::SupervisionQuery {
        from: "2026-10-01".parse().unwrap(),
        as_of: "2026-11-27".parse().unwrap(),
    };
    let position = report["cutoff"]["position"].as_u64().unwrap();
    let again = app
        .store
        .supervision_replay(position, &query)
        .await
        .unwrap();
    assert_eq!(again.input_hash, report["input_hash"].as_str().unwrap());

    // CSV and XLSX carry the same figures with the cut-off and hash on every line.
    let csv = app
        .get(s, "/api/v1/supervision/101?from=2026-10&format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut lines = csv.text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("scope,indicator,provision,kind,month,dim,n")
    );
    let hash = report["input_hash"].as_str().unwrap();
    assert!(csv.text.contains(&format!(
        "101,interviews,§ 9; nr. 2–3,flow,2026-11,efterfoelgende/telefon,1,0,{position},2026-11-27,fdg-supervision-1,{hash}"
    ).replace("§ 9; nr. 2–3", "\"§ 9, nr. 2–3\"")), "{}", csv.text);
    assert!(!csv.text.contains("020285"));
    let xlsx = app.get(s, "/api/v1/supervision/101?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.text.starts_with("PK"));

    // The national report lists every municipality's key figures.
    let dk = app.get(s, "/api/v1/supervision/DK").await;
    assert_eq!(dk.status, StatusCode::OK, "{}", dk.text);
    let kbh = dk.body["municipalities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "101")
        .unwrap();
    assert_eq!(kbh["values"][0], json!(2.0));

    // Only the supervision authority reads them.
    for token in [
        &app.municipal_token,
        &app.state_token,
        &app.other_actor_token,
    ] {
        let r = app.get(token, "/api/v1/supervision/101").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    }
    // Bad parameters are named; an unknown municipality is 404.
    for bad in [
        "/api/v1/supervision/101?as_of=2026-13-01",
        "/api/v1/supervision/101?as_of=2026-12-24",
        "/api/v1/supervision/101?from=2026-12",
        "/api/v1/supervision/101?from=2010-01",
        "/api/v1/supervision/101?format=pdf",
    ] {
        let r = app.get(s, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        // Said in both languages, naming the parameter.
        let (en, da) = (
            r.body["detail"].as_str().unwrap(),
            r.body["detail_da"].as_str().unwrap(),
        );
        let name = ["as_of", "from", "format"]
            .into_iter()
            .find(|n| bad.contains(&format!("{n}=")));
        assert!(
            en.contains(name.unwrap()) && da.contains(name.unwrap()),
            "{en} / {da}"
        );
        assert_ne!(en, da);
    }
    assert_eq!(
        app.get(s, "/api/v1/supervision/999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_annulled_interview_leaves_the_figures_and_changes_the_hash() {
    let app = spawn_app().await;
    supervision_population(&app).await;
    let s = &app.supervisor_token;
    let before = app.get(s, "/api/v1/supervision/101").await.body;
    let found = app
        .post(
            &app.municipal_token,
            "/api/v1/persons/search",
            &json!({"cpr": "020285-2345"}),
        )
        .await;
    let interview = found.body["interviews"][0]["recorded"]["fact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/corrections",
            &json!({"fact_id": interview, "reason": "Registreret på forkert person."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let after = app.get(s, "/api/v1/supervision/101").await.body;
    assert_eq!(
        indicator_dim(&before, "interviews", "efterfoelgende/telefon")[11],
        1
    );
    assert!(indicator_dim(&after, "interviews", "efterfoelgende/telefon").is_empty());
    assert_ne!(before["input_hash"], after["input_hash"]);
    assert!(after["cutoff"]["position"].as_u64() > before["cutoff"]["position"].as_u64());
}

#[tokio::test]
async fn the_supervisor_s_pages_show_charts_tables_and_downloads_and_others_are_refused() {
    let app = spawn_app().await;
    supervision_population(&app).await;
    let cookie = browser_login_as(
        &app,
        OrgKind::Supervisor,
        "TILSYN",
        fdg_domain::Role::Supervisor,
        "Tove Tilsyn",
    )
    .await;
    // The supervisor starts at the national overview.
    let home = page(&app, &cookie, "/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.headers[header::LOCATION], "/tilsyn");
    let national = page(&app, &cookie, "/tilsyn").await;
    assert_eq!(national.status, StatusCode::OK, "{}", national.text);
    assert!(national.text.contains("<svg class=\"chart\""));
    assert!(national.text.contains("København"));
    let to_kbh = link(&national, "/tilsyn/kommune/101", "");
    let kbh = page(&app, &cookie, &to_kbh).await;
    assert_eq!(kbh.status, StatusCode::OK);
    assert!(kbh.text.contains("Hele landet"));
    assert!(kbh.text.contains("polyline class=\"national\""));
    assert!(kbh.text.contains("fdg supervision reproduce --position"));
    for secret in ["020285", "Mette", "Jens"] {
        assert!(!kbh.text.contains(secret) && !national.text.contains(secret));
    }
    // As a browser reads the link: with the HTML entities decoded.
    let csv_link = link(&kbh, "/tilsyn/rapport/101", "format=csv")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let csv = page(&app, &cookie, &csv_link).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    // A caseworker is refused; someone not logged in is sent to log in.
    let caseworker = browser_login(&app, OrgKind::MunicipalJobcenter, "101", "Kim Kommune").await;
    assert_eq!(
        page(&app, &caseworker, "/tilsyn").await.status,
        StatusCode::FORBIDDEN
    );
    let anonymous = page(&app, "", "/tilsyn/kommune/101").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

/// Every answer carries the security headers: pages with personal data, the web services and
/// the login form alike are never framed, sniffed, cached or referred onwards; only the static
/// assets may be cached; HSTS only over TLS (tests/tls.rs).
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
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
    let person_page = page(&app, &cookie, &format!("/persons/{person_id}")).await;
    assert_eq!(person_page.status, StatusCode::OK);
    let api = app
        .get(&app.state_token, &format!("/api/v1/persons/{person_id}"))
        .await;
    let login = app
        .call(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let refused = app
        .call(
            Request::get("/api/v1/persons/x")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    for answer in [&r, &person_page, &api, &login, &refused] {
        let h = &answer.headers;
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            fdg_server::headers::CONTENT_SECURITY_POLICY
        );
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(
            !h.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "plain HTTP here"
        );
    }
    // The stylesheet, and only it, may be cached.
    let css = app
        .call(Request::get("/assets/fdg.css").body(Body::empty()).unwrap())
        .await;
    assert_eq!(css.headers[header::CACHE_CONTROL], "public, max-age=3600");
    assert_eq!(css.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // The pages hold no inline script for the policy to have to allow.
    assert!(!person_page.text.contains("<script"));
    assert!(!person_page.text.contains(" style=\""));
}

/// A webhook is no way into the registry's own network: with the production defaults, a URL
/// over plain HTTP, or one whose host is on loopback, is refused at delivery with the reason,
/// and the receiver hears nothing; the batch is parked like an unreachable one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_may_not_reach_inside_the_network() {
    let app = spawn_app().await;
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let receiver = {
        let hits = hits.clone();
        Router::new().route(
            "/hook",
            axum::routing::post(move || {
                hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { StatusCode::OK }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let agreement = app
        .store
        .agreements()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.org.code == "STAT")
        .unwrap();
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    for (url, allow_http, reason) in [
        (
            format!("http://127.0.0.1:{port}/hook"),
            false,
            "http:// is not allowed",
        ),
        (
            format!("http://localhost:{port}/hook"),
            true,
            "inside this network",
        ),
    ] {
        app.store.set_webhook(agreement.id, &url, 0).await.unwrap();
        let delivery = fdg_server::webhook::spawn(
            app.state.clone(),
            fdg_server::webhook::WebhookConfig {
                base_delay: std::time::Duration::from_millis(5),
                max_delay: std::time::Duration::from_millis(10),
                max_attempts: 2,
                poll: std::time::Duration::from_millis(20),
                allow_http,
                ..Default::default()
            },
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let parked = loop {
            let parked = app.store.parked(Some(agreement.id)).await.unwrap();
            if let Some(p) = parked.into_iter().find(|p| p.last_error.contains(reason)) {
                break p;
            }
            assert!(std::time::Instant::now() < deadline, "not refused: {url}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        delivery.abort();
        assert!(
            parked.last_error.starts_with("refused"),
            "{}",
            parked.last_error
        );
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the receiver heard nothing"
    );
}
