//! What every answer carries: health and metrics without personal data, and the security headers.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

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
