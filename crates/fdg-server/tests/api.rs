//! HTTP tests of the web services, in process (no socket, no fixed port, no sleeps).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fdg_domain::{CodeLists, OrgKind};
use fdg_server::AppState;
use fdg_store::sqlite::{SqliteOptions, SqliteStore};
use fdg_store::{FixedClock, Store, StoreContext};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A temporary data directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap();
        let name: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let p = std::env::temp_dir().join(format!("fdg-api-test-{name}"));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct App {
    router: Router,
    state_token: String,
    municipal_token: String,
    other_actor_token: String,
    supervisor_token: String,
    _dir: TempDir,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

async fn spawn_app() -> App {
    let dir = TempDir::new();
    let codes = Arc::new(CodeLists::shipped());
    let clock = Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().unwrap(),
        today: "2026-11-27".parse().unwrap(),
    });
    let store = SqliteStore::open(
        &SqliteOptions::in_dir(&dir.0),
        StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        },
    )
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
    let router = fdg_server::router(AppState {
        store: Arc::new(store),
        codes,
        clock,
    });
    App {
        router,
        state_token: tokens[0].clone(),
        municipal_token: tokens[1].clone(),
        other_actor_token: tokens[2].clone(),
        supervisor_token: tokens[3].clone(),
        _dir: dir,
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
    // Wrong content type.
    let r = app
        .call(
            Request::post("/api/v1/persons/search")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .body(Body::from("cpr=0707614285"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
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
