//! Every text a caller sends has a length limit, named as a rule with its provision, in Danish
//! and English; nothing of an over-long request is stored.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;
use fdg_domain::OrgKind;
use fdg_server::ServerConfig;
use fdg_store::testing::TestDatabase;
use serde_json::json;

mod common;

use common::{bearer, call};

#[tokio::test]
async fn over_long_names_and_notes_are_refused_by_rule_and_nothing_is_stored() {
    let db = TestDatabase::new("input-limits").unwrap();
    let (state, store) = common::app_state(&db, ServerConfig::default());
    let token = common::org_token(&store, OrgKind::MunicipalJobcenter, "101").await;
    let router = fdg_server::router(state);
    let mut body = json!({
        "cpr": "020285-1002", "first_contact_date": "2026-11-03", "name": "x".repeat(201),
        "case_type": "kontanthjaelp", "support": "kontanthjaelp",
        "consent": {"obtain": true, "disclose": true, "date": "2026-11-03"},
        "contact_form": "personligt", "contact_form_comment": "ø".repeat(4001),
        "attention_areas": {"helbred": "n".repeat(4001)},
        "match_category": 4, "decisive_areas": ["helbred"]
    });
    let r = call(
        &router,
        bearer(&token, "/api/v1/first-contacts", Some(&body)),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let named: Vec<(String, String)> = r.body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert!(v["message_da"].as_str().unwrap().contains("tegn"));
            assert!(v["provision"].as_str().unwrap().starts_with('§'));
            (
                v["rule"].as_str().unwrap().into(),
                v["field"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("fdg.input.name_too_long", "name"),
        ("fdg.input.text_too_long", "contact_form_comment"),
        ("fdg.input.text_too_long", "attention_areas.helbred"),
    ];
    for (rule, field) in expected {
        assert!(
            named.contains(&(rule.into(), field.into())),
            "{rule} @ {field} in {named:?}"
        );
    }
    assert!(
        !r.text.contains("xxxx"),
        "the answer never echoes the input"
    );
    let search = json!({"cpr": "020285-1002"});
    let found = call(
        &router,
        bearer(&token, "/api/v1/persons/search", Some(&search)),
    )
    .await;
    assert_eq!(found.status, StatusCode::NOT_FOUND, "nothing was stored");
    // A NUL byte in a name, an escape in a comment: refused by rule.
    let mut nul = body.clone();
    nul["name"] = json!("Mette\u{0}Jensen");
    nul["contact_form_comment"] = json!("ok\u{1b}[31m");
    nul["attention_areas"] = json!({"helbred": "ok"});
    let r = call(
        &router,
        bearer(&token, "/api/v1/first-contacts", Some(&nul)),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let rules: Vec<&str> = r.body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["rule"].as_str())
        .collect();
    assert!(
        rules
            .iter()
            .filter(|r| **r == "fdg.input.control_characters")
            .count()
            >= 2,
        "{rules:?}"
    );
    // At the limits, accepted.
    body["name"] = json!("x".repeat(200));
    body["contact_form_comment"] = json!("ø".repeat(4000));
    body["attention_areas"] = json!({"helbred": "n".repeat(4000)});
    let r = call(
        &router,
        bearer(&token, "/api/v1/first-contacts", Some(&body)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn the_organisation_acted_for_must_be_one_and_is_recorded_as_parsed() {
    let db = TestDatabase::new("on-behalf-of").unwrap();
    let (state, store) = common::app_state(&db, ServerConfig::default());
    let token = common::org_token(&store, OrgKind::StateJobcenter, "STAT").await;
    let audit = state.audit.clone();
    let router = fdg_server::router(state);
    let body = json!({
        "cpr": "070761-4285", "name": "Jens Hansen", "registration_date": "2026-11-27",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110"], "unemployment_fund": "001"
    });
    let with = |label: &str| {
        let mut req = bearer(&token, "/api/v1/jobseeker-registrations", Some(&body));
        req.headers_mut()
            .insert("x-on-behalf-of", label.parse().unwrap());
        req
    };
    // Text that names no organisation is refused before anything is decided or stored.
    for bad in ["the town hall", "municipal-jobcenter:", "kommune:101"] {
        let r = call(&router, with(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert!(
            r.body["detail_da"].as_str().unwrap().contains("art:kode"),
            "{}",
            r.text
        );
    }
    let cpr = fdg_domain::Cpr::parse("070761-4285").unwrap();
    assert!(store.person_by_cpr(&cpr).await.unwrap().is_none());
    let r = call(&router, with("municipal-jobcenter:101")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // An accepted write's audit entry is queued before the answer: wait for it to be written.
    let mut entries = Vec::new();
    for _ in 0..200 {
        entries = audit
            .for_person(r.body["person_id"].as_str().unwrap(), 10)
            .await
            .unwrap();
        if !entries.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        entries[0].entry.on_behalf_of.as_deref(),
        Some("municipal-jobcenter:101")
    );
}
