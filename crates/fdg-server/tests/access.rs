//! Who may see whom, attacked the way a hostile organisation would: by writing. Each test
//! here is one hole found when the registry was attacked from outside; each failed before
//! the fix (see docs/access.md, "A write never widens what the writer sees").

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::{Cpr, OrgKind};
use fdg_server::ServerConfig;
use fdg_server::cpr_register::{CprRegister, RegisterError};
use fdg_store::testing::TestDatabase;
use fdg_store::{BoxFut, NewAgreement, Store};
use serde_json::{Value, json};

mod common;

use common::{Answer, bearer, call};

/// A CPR register a test moves people in, through the interface a real one implements.
#[derive(Default)]
struct MovingRegister(Mutex<HashMap<String, String>>);

impl MovingRegister {
    fn moves(&self, cpr: &str, municipality: &str) {
        let cpr = Cpr::parse(cpr).unwrap().digits();
        self.0.lock().unwrap().insert(cpr, municipality.into());
    }
}

impl CprRegister for MovingRegister {
    fn residence<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<String>, RegisterError>> {
        let found = self.0.lock().unwrap().get(&cpr.digits()).cloned();
        Box::pin(async move { Ok(found) })
    }
}

struct Registry {
    router: axum::Router,
    tokens: HashMap<&'static str, String>,
    store: Arc<dyn Store>,
    _db: TestDatabase,
    _sandbox: Option<TestDatabase>,
}

const ORGS: [(OrgKind, &str, &str); 7] = [
    (OrgKind::StateJobcenter, "STAT", "state"),
    (OrgKind::MunicipalJobcenter, "101", "m101"),
    (OrgKind::MunicipalJobcenter, "147", "m147"),
    (OrgKind::OtherActor, "12345678", "other"),
    (OrgKind::UnemploymentFund, "001", "fund"),
    (OrgKind::BenefitCenter, "101", "centre101"),
    (OrgKind::BenefitCenter, "147", "centre147"),
];

async fn registry(register: Arc<MovingRegister>) -> Registry {
    registry_with(register, false).await
}

/// A registry, with a sandbox of its own database when `sandbox`.
async fn registry_with(register: Arc<MovingRegister>, sandbox: bool) -> Registry {
    let db = TestDatabase::new("access").unwrap();
    let (state, store) = common::app_state(&db, ServerConfig::default());
    let mut state = state.with_cpr_register(register);
    let sandbox_db = sandbox.then(|| TestDatabase::new("sandbox").unwrap());
    if let Some(sdb) = &sandbox_db {
        let (sandbox_state, _) = common::app_state(sdb, ServerConfig::default());
        state = state.with_sandbox(sandbox_state.store);
    }
    let mut tokens = HashMap::new();
    for (kind, code, name) in ORGS {
        store.create_org(kind, code, name).await.unwrap();
        tokens.insert(name, store.create_token(code, Some(kind)).await.unwrap());
    }
    Registry {
        router: fdg_server::router(state),
        tokens,
        store,
        _db: db,
        _sandbox: sandbox_db,
    }
}

impl Registry {
    /// A token of a new agreement, in its test before use, for the organisation `who`.
    async fn test_agreement(&self, who: &str) -> (i64, String) {
        let (kind, code, _) = ORGS.iter().find(|o| o.2 == who).unwrap();
        let (a, token) = self
            .store
            .create_agreement(
                NewAgreement {
                    org_code: (*code).into(),
                    org_kind: Some(*kind),
                    state: AgreementState::Test,
                    processors: vec!["KMD".into()],
                    may_write: vec!["*".into()],
                    may_read: vec!["*".into()],
                    valid_from: None,
                    valid_to: None,
                    requires_acting_person: false,
                    reason: "integration test".into(),
                },
                "operator",
            )
            .await
            .unwrap();
        (a.id, token)
    }

    async fn as_token(&self, token: &str, path: &str, body: Option<&Value>) -> Answer {
        call(&self.router, bearer(token, path, body)).await
    }

    async fn post(&self, who: &str, path: &str, body: &Value) -> Answer {
        call(&self.router, bearer(&self.tokens[who], path, Some(body))).await
    }

    async fn get(&self, who: &str, path: &str) -> Answer {
        call(&self.router, bearer(&self.tokens[who], path, None)).await
    }

    /// The person as `who` reads them: the status and the body's text.
    async fn read(&self, who: &str, person: &str) -> Answer {
        self.get(who, &format!("/api/v1/persons/{person}")).await
    }

    async fn recorded(&self, who: &str, path: &str, body: &Value) -> Answer {
        let r = self.post(who, path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{who} {path}: {}", r.text);
        r
    }
}

fn first_contact(cpr: &str, date: &str, disclose: bool, comment: &str) -> Value {
    json!({
        "cpr": cpr, "first_contact_date": date, "name": "Mette Jensen",
        "case_type": "kontanthjaelp", "support": "kontanthjaelp",
        "consent": {"obtain": true, "disclose": disclose, "date": date},
        "contact_form": "personligt", "contact_form_comment": comment,
        "match_category": 4, "decisive_areas": ["helbred"]
    })
}

fn interview(cpr: &str, date: &str, disclose: bool, comment: &str) -> Value {
    json!({
        "cpr": cpr, "interview_date": date, "interview_type": "efterfoelgende",
        "name": "Mette Jensen", "case_type": "kontanthjaelp", "support": "kontanthjaelp",
        "consent": {"obtain": true, "disclose": disclose, "date": date},
        "contact_form": "telefon", "match_category": 4, "decisive_areas": ["helbred"],
        "citizen_comment": comment, "further_course": "Afklaringsforløb."
    })
}

fn cessation(cpr: &str, date: &str) -> Value {
    json!({"cpr": cpr, "cessation_date": date})
}

fn warnings(a: &Answer) -> Vec<&str> {
    a.body["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(|x| x["rule"].as_str()).collect())
        .unwrap_or_default()
}

fn violations(a: &Answer) -> Vec<&str> {
    a.body["violations"]
        .as_array()
        .map(|w| w.iter().filter_map(|x| x["rule"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_municipality_naming_itself_takes_over_nobody_and_no_record_renames_a_person() {
    let reg = registry(Arc::default()).await;
    let cpr = "020285-1002";
    let r = reg
        .recorded(
            "m101",
            "/api/v1/first-contacts",
            &first_contact(cpr, "2026-11-03", true, "Fortroligt fra 101"),
        )
        .await;
    let person = r.body["person_id"].as_str().unwrap().to_owned();
    reg.recorded(
        "m101",
        "/api/v1/benefit-cessations",
        &cessation(cpr, "2026-11-10"),
    )
    .await;

    // Municipality 147 names itself on a first contact and on a registration.
    let mut grab = first_contact(cpr, "2026-11-20", true, "x");
    grab["municipality"] = json!("147");
    grab["name"] = json!("Overtaget Navn");
    let r = reg.post("m147", "/api/v1/first-contacts", &grab).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let register = json!({
        "cpr": cpr, "name": "Overtaget Navn", "registration_date": "2026-11-20",
        "benefit_category": "kontanthjaelp", "unemployment_degree": "fuld",
        "job_titles": ["5223"], "municipality": "147"
    });
    let r = reg
        .post("m147", "/api/v1/jobseeker-registrations", &register)
        .await;
    // Answered exactly as for a person the registry does not know (for whom a registration
    // cannot open a cash-benefit case, § 3), so nothing about the person shows.
    let mut unknown = register.clone();
    unknown["cpr"] = json!("010190-1009");
    let u = reg
        .post("m147", "/api/v1/jobseeker-registrations", &unknown)
        .await;
    assert_eq!(
        (r.status, violations(&r)),
        (u.status, violations(&u)),
        "{}",
        r.text
    );
    assert_eq!(violations(&r), ["fdg.s3.case_opens_at_first_contact"]);
    assert_eq!(
        reg.read("m147", &person).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reg.read("centre147", &person).await.status,
        StatusCode::NOT_FOUND
    );
    let own = reg.read("m101", &person).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["municipality"], "101");
    assert!(own.text.contains("Fortroligt fra 101"));

    // Nor can the responsible municipality move the person by naming another code.
    let r = reg.post("m101", "/api/v1/first-contacts", &grab).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(violations(&r), ["fdg.s2.municipality_not_responsible"]);

    // A record under another name is kept, the name is not changed, and the caller is told.
    let mut again = first_contact(cpr, "2026-11-20", true, "Ny henvendelse");
    again["name"] = json!("Overtaget Navn");
    let r = reg.recorded("m101", "/api/v1/first-contacts", &again).await;
    assert_eq!(warnings(&r), ["fdg.identity.name_kept"]);
    let own = reg.read("m101", &person).await;
    assert_eq!(own.body["name"], "Mette Jensen");
}

#[tokio::test]
async fn the_responsible_municipality_follows_the_cpr_register_or_a_hand_over() {
    let register = Arc::new(MovingRegister::default());
    let reg = registry(register.clone()).await;
    let cpr = "020285-1002";
    register.moves(cpr, "101");
    let r = reg
        .recorded(
            "m101",
            "/api/v1/first-contacts",
            &first_contact(cpr, "2026-11-03", true, "Sag i 101"),
        )
        .await;
    let person = r.body["person_id"].as_str().unwrap().to_owned();
    reg.recorded(
        "m101",
        "/api/v1/benefit-cessations",
        &cessation(cpr, "2026-11-10"),
    )
    .await;
    assert_eq!(
        reg.read("m147", &person).await.status,
        StatusCode::NOT_FOUND
    );

    // The person moves to 147 in the CPR register. Naming the old municipality is refused…
    register.moves(cpr, "147");
    let mut stale = first_contact(cpr, "2026-11-20", true, "Ny sag");
    stale["municipality"] = json!("101");
    let r = reg.post("m147", "/api/v1/first-contacts", &stale).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(violations(&r), ["fdg.s2.municipality_not_responsible"]);
    // …and 147's first contact records the move, named as the register's.
    reg.recorded(
        "m147",
        "/api/v1/first-contacts",
        &first_contact(cpr, "2026-11-20", true, "Ny sag"),
    )
    .await;
    let now = reg.read("m147", &person).await;
    assert_eq!(now.status, StatusCode::OK);
    assert_eq!(now.body["municipality"], "147");
    assert_eq!(
        reg.read("m101", &person).await.status,
        StatusCode::NOT_FOUND
    );
    let history = reg
        .get("m147", &format!("/api/v1/persons/{person}/history"))
        .await;
    let moves: Vec<&Value> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "municipality_set")
        .collect();
    assert_eq!(
        moves.last().unwrap()["data"]["basis"]["kind"],
        "cpr_register"
    );

    // A person the register does not know is moved only by the responsible municipality.
    let other = "010190-1009";
    let r = reg
        .recorded(
            "m101",
            "/api/v1/first-contacts",
            &first_contact(other, "2026-11-03", true, "Sag"),
        )
        .await;
    let p2 = r.body["person_id"].as_str().unwrap().to_owned();
    let hand = json!({"person_id": p2, "municipality": "147", "reason": "Flyttet 1. december"});
    let r = reg
        .post("m147", "/api/v1/municipality-handovers", &hand)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = reg
        .post("state", "/api/v1/municipality-handovers", &hand)
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the state cannot see the person: {}",
        r.text
    );
    let r = reg
        .post(
            "m101",
            "/api/v1/municipality-handovers",
            &json!({"person_id": p2, "municipality": "147"}),
        )
        .await;
    assert_eq!(violations(&r), ["fdg.s2.2.handover_reason_required"]);
    reg.recorded("m101", "/api/v1/municipality-handovers", &hand)
        .await;
    assert_eq!(reg.read("m101", &p2).await.status, StatusCode::NOT_FOUND);
    let taken = reg.read("m147", &p2).await;
    assert_eq!(taken.body["municipality"], "147");
    assert!(
        taken.text.contains("Sag"),
        "the new municipality sees the whole history"
    );
    let history = reg
        .get("m147", &format!("/api/v1/persons/{p2}/history"))
        .await;
    assert!(
        history.text.contains("Flyttet 1. december"),
        "{}",
        history.text
    );
}

#[tokio::test]
async fn writing_about_a_person_does_not_widen_what_the_writer_sees() {
    let reg = registry(Arc::default()).await;
    let cpr = "020285-1002";
    let r = reg
        .recorded(
            "m101",
            "/api/v1/first-contacts",
            &first_contact(cpr, "2026-11-03", true, "Fortrolig gæld"),
        )
        .await;
    let person = r.body["person_id"].as_str().unwrap().to_owned();
    assert_eq!(
        reg.read("state", &person).await.status,
        StatusCode::NOT_FOUND
    );

    // The state registers the person (which it may, § 4, stk. 2) naming a-kasse 001.
    let registration = json!({
        "cpr": cpr, "name": "Mette Jensen", "registration_date": "2026-11-20",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110"], "unemployment_fund": "001"
    });
    reg.recorded("state", "/api/v1/jobseeker-registrations", &registration)
        .await;
    // It now sees its job seeker, but not the municipality's first-contact details (§ 3).
    let seen = reg.read("state", &person).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.text.contains("Fortrolig gæld"), "{}", seen.text);
    assert_eq!(seen.body["first_contacts"][0]["match_category"], 4);
    let history = reg
        .get("state", &format!("/api/v1/persons/{person}/history"))
        .await;
    assert!(!history.text.contains("Fortrolig gæld"));
    let feed = reg.get("state", "/api/v1/events").await;
    assert!(!feed.text.contains("Fortrolig gæld"));
    // Nor does the a-kasse named on the registration, and it sees the person only while the
    // registration naming it is current.
    let fund = reg.read("fund", &person).await;
    assert_eq!(fund.status, StatusCode::OK);
    assert!(!fund.text.contains("Fortrolig gæld"));
    reg.recorded(
        "state",
        "/api/v1/jobseeker-deregistrations",
        &json!({"cpr": cpr, "name": "Mette Jensen", "deregistration_date": "2026-11-25",
                "reason": "beskaeftigelse"}),
    )
    .await;
    assert_eq!(
        reg.read("fund", &person).await.status,
        StatusCode::NOT_FOUND
    );

    // A municipality cannot take a person without a municipality by writing about them.
    let lone = "010190-1009";
    let mut no_municipality = registration.clone();
    no_municipality["cpr"] = json!(lone);
    let r = reg
        .recorded("state", "/api/v1/jobseeker-registrations", &no_municipality)
        .await;
    let p2 = r.body["person_id"].as_str().unwrap().to_owned();
    let mut grab = first_contact(lone, "2026-11-25", true, "x");
    let r = reg.post("m147", "/api/v1/first-contacts", &grab).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    grab["municipality"] = json!("147");
    let r = reg.post("m147", "/api/v1/first-contacts", &grab).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(reg.read("m147", &p2).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn consent_applies_to_the_contact_it_was_given_on_from_when_it_was_given() {
    let reg = registry(Arc::default()).await;
    let cpr = "020285-1002";
    let r = reg
        .recorded(
            "m101",
            "/api/v1/first-contacts",
            &first_contact(cpr, "2026-11-03", false, "Gæld til kommunen"),
        )
        .await;
    let person = r.body["person_id"].as_str().unwrap().to_owned();
    reg.recorded(
        "m101",
        "/api/v1/contact-interviews",
        &interview(cpr, "2026-11-05", false, "Vil ikke dele"),
    )
    .await;
    reg.recorded(
        "m101",
        "/api/v1/other-actor-assignments",
        &json!({"cpr": cpr, "other_actor": "12345678", "from_date": "2026-11-20"}),
    )
    .await;
    // The other actor records an interview with consent to disclose: that unlocks its own
    // interview, not the earlier contacts recorded without consent.
    reg.recorded(
        "other",
        "/api/v1/contact-interviews",
        &interview(cpr, "2026-11-25", true, "Må gerne deles"),
    )
    .await;
    let seen = reg.read("other", &person).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.text.contains("Må gerne deles"), "{}", seen.text);
    assert!(!seen.text.contains("Gæld til kommunen"), "{}", seen.text);
    assert!(!seen.text.contains("Vil ikke dele"), "{}", seen.text);
    // Who recorded each consent is shown with it.
    let by: Vec<&str> = seen.body["interviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["recorded"]["recorded_by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["municipal-jobcenter:101", "other-actor:12345678"]);
    let history = reg
        .get("other", &format!("/api/v1/persons/{person}/history"))
        .await;
    assert!(history.text.contains("Må gerne deles"));
    assert!(!history.text.contains("Vil ikke dele") && !history.text.contains("Gæld til kommunen"));

    // A later "no" withdraws it.
    reg.recorded(
        "m101",
        "/api/v1/contact-interviews",
        &interview(cpr, "2026-11-26", false, "Trækker samtykket tilbage"),
    )
    .await;
    let seen = reg.read("other", &person).await;
    assert!(!seen.text.contains("Må gerne deles"), "{}", seen.text);
    assert!(!seen.text.contains("Trækker samtykket tilbage"));
    // The responsible municipality sees all of it, whatever the consent.
    let own = reg.read("m101", &person).await;
    for text in ["Gæld til kommunen", "Vil ikke dele", "Må gerne deles"] {
        assert!(own.text.contains(text), "{text}");
    }
}

fn registration(cpr: &str) -> Value {
    json!({
        "cpr": cpr, "name": "Jens Hansen", "registration_date": "2026-11-02",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"
    })
}

#[tokio::test]
async fn a_test_agreement_without_a_sandbox_learns_nothing_of_production() {
    let reg = registry(Arc::default()).await;
    let real = "070761-4285";
    let r = reg
        .recorded(
            "state",
            "/api/v1/jobseeker-registrations",
            &registration(real),
        )
        .await;
    let (real_id, real_version) = (r.body["person_id"].clone(), r.body["version"].clone());
    let (_, token) = reg.test_agreement("state").await;
    // Decided as for a person the registry does not know: no "already registered", no real
    // person id, no real version.
    let dry = reg
        .as_token(
            &token,
            "/api/v1/jobseeker-registrations",
            Some(&registration(real)),
        )
        .await;
    assert_eq!(dry.status, StatusCode::CREATED, "{}", dry.text);
    assert_eq!(dry.body["dry_run"], true);
    assert_ne!(dry.body["person_id"], real_id);
    let unknown = reg
        .as_token(
            &token,
            "/api/v1/jobseeker-registrations",
            Some(&registration("010190-1009")),
        )
        .await;
    assert_eq!(dry.body["version"], unknown.body["version"]);
    assert_eq!(
        real_version, dry.body["version"],
        "a new person's version either way"
    );
    // A deregistration is refused exactly as for a person who was never registered.
    let dereg = json!({"cpr": real, "name": "Jens Hansen", "deregistration_date": "2026-11-20",
                       "reason": "beskaeftigelse"});
    let a = reg
        .as_token(&token, "/api/v1/jobseeker-deregistrations", Some(&dereg))
        .await;
    let mut never = dereg.clone();
    never["cpr"] = json!("010190-1009");
    let b = reg
        .as_token(&token, "/api/v1/jobseeker-deregistrations", Some(&never))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!((a.status, violations(&a)), (b.status, violations(&b)));
    // Naming a real fact is answered as for a fact that does not exist.
    let fact = format!("{}.3", real_id.as_str().unwrap());
    let c = reg
        .as_token(
            &token,
            "/api/v1/corrections",
            Some(&json!({"fact_id": fact, "reason": "x"})),
        )
        .await;
    assert_eq!(c.status, StatusCode::NOT_FOUND, "{}", c.text);
    // And it reads nothing.
    let search = reg
        .as_token(
            &token,
            "/api/v1/persons/search",
            Some(&json!({"cpr": real})),
        )
        .await;
    assert_eq!(search.status, StatusCode::FORBIDDEN);
    assert_eq!(search.body["type"], "urn:fdg:problem:not-in-agreement");
}

#[tokio::test]
async fn a_test_agreement_works_in_the_sandbox_and_never_sees_production() {
    let reg = registry_with(Arc::default(), true).await;
    let real = "070761-4285";
    let r = reg
        .recorded(
            "state",
            "/api/v1/jobseeker-registrations",
            &registration(real),
        )
        .await;
    let real_id = r.body["person_id"].as_str().unwrap().to_owned();
    let (id, token) = reg.test_agreement("m101").await;

    // Production persons do not exist in the sandbox.
    let search = reg
        .as_token(
            &token,
            "/api/v1/persons/search",
            Some(&json!({"cpr": real})),
        )
        .await;
    assert_eq!(search.status, StatusCode::NOT_FOUND, "{}", search.text);
    let by_id = reg
        .as_token(&token, &format!("/api/v1/persons/{real_id}"), None)
        .await;
    assert_eq!(by_id.status, StatusCode::NOT_FOUND);

    // The vendor creates, reads and changes its own synthetic persons there.
    let synthetic = "020285-1002";
    let w = reg
        .as_token(
            &token,
            "/api/v1/first-contacts",
            Some(&first_contact(synthetic, "2026-11-03", true, "Sandkasse")),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    assert_eq!(w.body["sandbox"], true);
    assert_eq!(w.body["dry_run"], false);
    let location = w.headers["location"].to_str().unwrap().to_owned();
    let read = reg.as_token(&token, &location, None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.text.contains("Sandkasse"));
    let again = reg
        .as_token(
            &token,
            "/api/v1/benefit-cessations",
            Some(&cessation(synthetic, "2026-11-10")),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    let feed = reg.as_token(&token, "/api/v1/events", None).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert!(feed.text.contains("Sandkasse") && !feed.text.contains(&real_id));
    let head = feed.body["next_after"].as_u64().unwrap();
    let put = call(
        &reg.router,
        axum::http::Request::put("/api/v1/feed/cursor")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(json!({"position": head}).to_string().into())
            .unwrap(),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);

    // Production never sees the sandbox.
    let prod = reg
        .post("m101", "/api/v1/persons/search", &json!({"cpr": synthetic}))
        .await;
    assert_eq!(prod.status, StatusCode::NOT_FOUND);
    assert!(
        !reg.get("m101", "/api/v1/events")
            .await
            .text
            .contains("Sandkasse")
    );

    // Activated, the agreement works in production, and its feed starts from the beginning.
    reg.store
        .change_agreement(id, AgreementAction::Activate, "test passed", "operator")
        .await
        .unwrap();
    let cursor = reg.as_token(&token, "/api/v1/feed/cursor", None).await;
    assert_eq!(cursor.body["position"], 0);
    let real_now = reg
        .as_token(
            &token,
            "/api/v1/persons/search",
            Some(&json!({"cpr": real})),
        )
        .await;
    assert_eq!(real_now.status, StatusCode::OK, "{}", real_now.text);
    let gone = reg.as_token(&token, &location, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
