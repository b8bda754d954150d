//! The record types as web services, in process: each rule named, idempotent retries, version conflicts, the municipality's course of a cash-benefit case, as-of reads.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

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
async fn after_a_cessation_the_registration_says_the_cash_benefit_has_ceased() {
    let app = spawn_app().await;
    let m = &app.municipal_token;
    let cpr = "020285-2345";
    let r = app
        .post(m, "/api/v1/first-contacts", &first_contact(cpr, 2, true))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["person_id"].as_str().unwrap().to_owned();
    let before = app.get(m, &format!("/api/v1/persons/{id}")).await;
    assert!(before.body["registrations"][0]["benefit_ceased"].is_null());
    let r = app
        .post(
            m,
            "/api/v1/benefit-cessations",
            &json!({"cpr": cpr, "cessation_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // § 3, stk. 3: the cessation is the notice; the registration stays, as recorded, and says
    // the benefit it names has ceased.
    let after = app.get(m, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(after.body["registered"], true);
    assert!(after.body["cash_benefit_since"].is_null());
    let reg = &after.body["registrations"][0];
    assert_eq!(reg["benefit_category"], "kontanthjaelp");
    assert_eq!(reg["benefit_ceased"], "2026-11-20");
    // The person page says so.
    let cookie = browser_login(&app, OrgKind::MunicipalJobcenter, "101", "Kim").await;
    let page = page(&app, &cookie, &format!("/persons/{id}")).await;
    assert!(
        page.text.contains("Kontanthjælp (ophørt 2026-11-20)"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn the_rules_say_which_rule_set_decides_records_of_which_dates() {
    let app = spawn_app().await;
    let r = app.get(&app.municipal_token, "/api/v1/rules").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let sets = r.body["rule_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["id"], "bek-2007");
    assert_eq!(sets[0]["valid_from"], "2007-01-01");
    assert!(sets[0]["valid_to"].is_null(), "still the baseline");
    assert!(
        sets[0]["name"]
            .as_str()
            .unwrap()
            .contains("fælles datagrundlag")
    );
    let rules = r.body["rules"].as_array().unwrap();
    assert_eq!(rules.len(), fdg_domain::rules::ALL.len());
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "fdg.s6.default_immediate_match")
    );
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
    // Before the person was known there is nothing to show: 404, and the audit names the
    // person asked about, for the purpose of history.
    let before = at("known_at=2020-01-01T00:00:00Z".into()).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    let entries = app.audit.for_person(&id, 100).await.unwrap();
    assert!(
        entries.iter().any(|e| e.entry.action == "person.read"
            && e.entry.purpose == "history"
            && e.entry.outcome == "not_found"),
        "{entries:?}"
    );

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

/// The code lists as a service a consumer syncs daily: an ETag naming their content (304 on
/// `If-None-Match` while nothing changed), and `changed_since` for what changed after a day.
#[tokio::test]
async fn the_code_lists_sync_by_etag_and_by_what_changed_since_a_day() {
    let app = spawn_app().await;
    let all = app.get(&app.state_token, "/api/v1/code-lists").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let etag = all.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = app
        .call(
            Request::get("/api/v1/code-lists")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    // Each code says what the rules read from it: straksmatch and "alene pga. ledighed".
    let attributes = |code: &str| {
        all.body["match_category"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == code)
            .map(|e| e["attributes"].clone())
    };
    assert_eq!(
        attributes("1"),
        Some(serde_json::json!(["only_unemployment", "immediate"]))
    );
    assert_eq!(
        attributes("3"),
        Some(serde_json::json!(["only_unemployment"]))
    );
    assert_eq!(attributes("4"), Some(serde_json::json!([])));
    // Only entries whose validity begins or ends on or after the day.
    let day = "2010-01-01";
    let changed = app
        .get(
            &app.state_token,
            &format!("/api/v1/code-lists?changed_since={day}"),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let mut expected = 0;
    for entries in all.body.as_object().unwrap().values() {
        for e in entries.as_array().unwrap() {
            let from = e["valid_from"].as_str().unwrap();
            let to = e["valid_to"].as_str().unwrap_or("");
            if from >= day || (!to.is_empty() && to >= day) {
                expected += 1;
            }
        }
    }
    let got: usize = changed
        .body
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().unwrap().len())
        .sum();
    assert_eq!(got, expected);
    assert!(got > 0, "the shipped lists change after {day}");
    let bad = app
        .get(
            &app.state_token,
            "/api/v1/code-lists?changed_since=yesterday",
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["detail_da"].as_str().unwrap().contains("ÅÅÅÅ"));
}

#[tokio::test]
async fn a_change_of_registration_moves_the_person_to_the_new_a_kasse_and_is_in_the_feed() {
    let app = spawn_app().await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["person_id"].as_str().unwrap().to_owned();
    let old_fund = app.token(OrgKind::UnemploymentFund, "001").await;
    let new_fund = app.token(OrgKind::UnemploymentFund, "002").await;
    let person = format!("/api/v1/persons/{id}");
    assert_eq!(
        app.get(&new_fund, &person).await.status,
        StatusCode::NOT_FOUND
    );
    let change = json!({
        "cpr": "070761-4285", "change_date": "2026-11-23", "benefit_category": "a_dagpenge",
        "unemployment_degree": "delvis", "hours_per_week": 20, "job_titles": ["4110", "4120"],
        "unemployment_fund": "002"
    });
    // A hostile a-kasse cannot move a person to itself: writes are not an a-kasse's.
    let hostile = app
        .post(&new_fund, "/api/v1/registration-changes", &change)
        .await;
    assert_eq!(hostile.status, StatusCode::FORBIDDEN, "{}", hostile.text);
    assert_eq!(
        app.get(&new_fund, &person).await.status,
        StatusCode::NOT_FOUND
    );
    // Bad input names its rules and stores nothing.
    let mut early = change.clone();
    early["change_date"] = json!("2026-10-01");
    early["benefit_category"] = json!("kontanthjaelp");
    let refused = app
        .post(&app.state_token, "/api/v1/registration-changes", &early)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let ids = rule_ids(&refused);
    assert!(
        ids.contains(&"fdg.s8.1.change_before_registration".to_owned()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"fdg.s8.1.change_cash_benefit".to_owned()),
        "{ids:?}"
    );
    assert!(refused.body["detail_da"].is_string());
    let mut misspelt = change.clone();
    misspelt["change_dato"] = json!("2026-11-23");
    let unknown = app
        .post(&app.state_token, "/api/v1/registration-changes", &misspelt)
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    // The state job centre records the change.
    let changed = app
        .post(&app.state_token, "/api/v1/registration-changes", &change)
        .await;
    assert_eq!(changed.status, StatusCode::CREATED, "{}", changed.text);
    assert_eq!(changed.body["facts"][0]["type"], "registration_changed");
    let o = app.get(&app.state_token, &person).await;
    let reg = &o.body["registrations"][0];
    assert_eq!(
        reg["unemployment_fund"], "001",
        "the registration as recorded"
    );
    assert_eq!(reg["changes"][0]["change_date"], "2026-11-23");
    assert_eq!(reg["changes"][0]["unemployment_fund"], "002");
    assert_eq!(reg["changes"][0]["hours_per_week"], 20);
    assert_eq!(o.body["registered"], true);
    // The new a-kasse sees the person, the old one no longer does.
    assert_eq!(app.get(&new_fund, &person).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&old_fund, &person).await.status,
        StatusCode::NOT_FOUND
    );
    // The same change again changes nothing and is refused.
    let again = app
        .post(&app.state_token, "/api/v1/registration-changes", &change)
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    assert_eq!(rule_ids(&again), ["fdg.s8.1.change_nothing"]);
    // The feed carries it.
    let feed = app
        .get(
            &app.state_token,
            "/api/v1/events?after=0&types=registration_changed",
        )
        .await;
    let events = feed.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", feed.text);
    assert_eq!(events[0]["data"]["unemployment_fund"], "002");
    // It names the registration it changes by its fact number.
    assert_eq!(
        format!("{id}.{}", events[0]["data"]["registration"]),
        reg["recorded"]["fact_id"].as_str().unwrap()
    );
}
