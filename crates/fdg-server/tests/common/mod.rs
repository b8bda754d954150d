//! What the socket-level test files share: the service's state on a fresh database of the
//! backend under test (`FDG_TEST_BACKEND`), with the shipped code lists and the clock fixed at
//! 2026-11-27 10:00 UTC.

pub mod app;

use std::sync::Arc;

use fdg_domain::CodeLists;
use fdg_server::{AppState, ServerConfig};
use fdg_store::testing::TestDatabase;
use fdg_store::{FixedClock, Store, StoreContext};

/// The state to serve, and its store (to set up organisations and users).
#[allow(dead_code)]
pub fn app_state(db: &TestDatabase, config: ServerConfig) -> (AppState, Arc<dyn Store>) {
    let clock = Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().expect("a timestamp"),
        today: "2026-11-27".parse().expect("a date"),
    });
    app_state_at(db, config, clock)
}

/// As [`app_state`], on the clock `clock`.
#[allow(dead_code)]
pub fn app_state_at(
    db: &TestDatabase,
    config: ServerConfig,
    clock: Arc<dyn fdg_store::TimeSource>,
) -> (AppState, Arc<dyn Store>) {
    let codes = Arc::new(CodeLists::shipped());
    let store = db
        .open(StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        })
        .expect("a fresh store");
    let audit = db.open_audit().expect("a fresh audit log");
    (
        AppState::new(store.clone(), audit, codes, clock, config),
        store,
    )
}

/// Creates the organisation `kind`/`code` and returns a token of its.
#[allow(dead_code)]
pub async fn org_token(store: &Arc<dyn Store>, kind: fdg_domain::OrgKind, code: &str) -> String {
    store
        .create_org(kind, code, code)
        .await
        .expect("a new organisation");
    store.create_token(code, Some(kind)).await.expect("a token")
}

/// An answer as a test reads it.
#[allow(dead_code)]
pub struct Answer {
    pub status: axum::http::StatusCode,
    pub headers: axum::http::HeaderMap,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: serde_json::Value,
    pub text: String,
}

/// Sends one request through the router, in process.
#[allow(dead_code)]
pub async fn call(router: &axum::Router, req: axum::http::Request<axum::body::Body>) -> Answer {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = router.clone().oneshot(req).await.expect("an answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

/// A web-service call with a bearer token: a POST with a JSON body, or a GET without one.
#[allow(dead_code)]
pub fn bearer(
    token: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> axum::http::Request<axum::body::Body> {
    use axum::http::{Request, header};
    let b = match body {
        Some(_) => Request::post(path).header(header::CONTENT_TYPE, "application/json"),
        None => Request::get(path),
    }
    .header(header::AUTHORIZATION, format!("Bearer {token}"));
    b.body(body.map(|v| v.to_string()).unwrap_or_default().into())
        .expect("a request")
}

/// The first cookie an answer sets (`name=value`), to send back.
#[allow(dead_code)]
pub fn cookie_of(a: &Answer) -> String {
    a.headers[axum::http::header::SET_COOKIE]
        .to_str()
        .expect("a cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned()
}

/// The CSRF token of the first form on a page.
#[allow(dead_code)]
pub fn csrf_of(a: &Answer) -> String {
    a.text
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .expect("a form with a CSRF token")
        .split('"')
        .next()
        .expect("the token")
        .to_owned()
}
