//! Supervision reports (§ 1, nr. 3): figures with cut-off and hash, only for the supervisor, as JSON, CSV, XLSX and pages.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

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
    assert_eq!(report["definitions_version"], "fdg-supervision-2");
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
        "101,interviews,§ 9; nr. 2–3,flow,2026-11,efterfoelgende/telefon,1,0,{position},2026-11-27,fdg-supervision-2,{hash}"
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
