//! Browser users' sessions and passwords, attacked: a login form posted from another site, a
//! password changed from a stolen session, a guessable password, a session left open.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fdg_domain::{OrgKind, Role};
use fdg_server::ServerConfig;
use fdg_store::Store;
use fdg_store::testing::TestDatabase;

mod common;

use common::{Answer, call, cookie_of, csrf_of};

/// A clock the test moves by hand.
struct Clock(Mutex<jiff::Timestamp>);

impl Clock {
    fn advance_minutes(&self, m: i64) {
        *self.0.lock().unwrap() += jiff::SignedDuration::from_mins(m);
    }
}

impl fdg_store::TimeSource for Clock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap()
    }
    fn today(&self) -> jiff::civil::Date {
        "2026-11-27".parse().unwrap()
    }
}

const PASSWORD: &str = "a-password-of-my-own";

struct Site {
    router: axum::Router,
    clock: Arc<Clock>,
    username: String,
    _store: Arc<dyn Store>,
    _db: TestDatabase,
}

async fn site() -> Site {
    let db = TestDatabase::new("sessions").unwrap();
    let clock = Arc::new(Clock(Mutex::new("2026-11-27T08:00:00Z".parse().unwrap())));
    let (state, store) = common::app_state_at(&db, ServerConfig::default(), clock.clone());
    store
        .create_org(OrgKind::StateJobcenter, "STAT", "Staten")
        .await
        .unwrap();
    let (user, _) = store
        .create_user(
            "STAT",
            Some(OrgKind::StateJobcenter),
            Role::Caseworker,
            "Anne Berg",
            None,
        )
        .await
        .unwrap();
    store.set_password(user.id, PASSWORD).await.unwrap();
    Site {
        router: fdg_server::router(state),
        clock,
        username: user.username,
        _store: store,
        _db: db,
    }
}

fn post(path: &str, cookie: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

impl Site {
    /// Logs in as a browser does; returns the session cookie.
    async fn login(&self, password: &str) -> Answer {
        let page = call(&self.router, get("/login", "")).await;
        let body = format!(
            "username={}&password={password}&csrf={}",
            self.username,
            csrf_of(&page)
        );
        call(&self.router, post("/login", &cookie_of(&page), body)).await
    }

    async fn signed_in(&self, session: &str) -> bool {
        call(&self.router, get("/session", session)).await.status == StatusCode::OK
    }

    async fn change_password(&self, session: &str, current: &str, new: &str) -> Answer {
        let page = call(&self.router, get("/password", session)).await;
        let body = format!(
            "csrf={}&current_password={current}&new_password={new}&repeat={new}",
            csrf_of(&page)
        );
        call(&self.router, post("/password", session, body)).await
    }
}

#[tokio::test]
async fn a_login_form_posted_without_its_page_s_token_is_refused() {
    let s = site().await;
    // As from another site: the right password, but no token and no login cookie.
    let body = format!("username={}&password={PASSWORD}", s.username);
    let forged = call(&s.router, post("/login", "", body.clone())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text.contains("Loginformularen var udløbet"));
    // A token from one login page does not fit another page's cookie.
    let a = call(&s.router, get("/login", "")).await;
    let b = call(&s.router, get("/login", "")).await;
    let mixed = format!("{body}&csrf={}", csrf_of(&a));
    let r = call(&s.router, post("/login", &cookie_of(&b), mixed)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(s.login(PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn changing_a_password_needs_the_current_one_refuses_weak_ones_and_ends_other_sessions() {
    let s = site().await;
    let here = cookie_of(&s.login(PASSWORD).await);
    let elsewhere = cookie_of(&s.login(PASSWORD).await);
    assert!(s.signed_in(&elsewhere).await);

    let wrong = s
        .change_password(&here, "not-my-password", "hest batteri klips 7")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("Den nuværende adgangskode er forkert."));
    for weak in [
        "Password1234",
        "velkommen2026",
        "aaaaaaaaaaaaaa",
        "abcdefghijklmn",
    ] {
        let r = s.change_password(&here, PASSWORD, weak).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(r.text.contains("for let at gætte"), "{weak}");
    }
    assert!(s.signed_in(&elsewhere).await, "nothing changed yet");

    let ok = s
        .change_password(&here, PASSWORD, "hest-batteri-klips-7")
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(
        s.signed_in(&here).await,
        "the session that changed it goes on"
    );
    assert!(
        !s.signed_in(&elsewhere).await,
        "every other session has ended"
    );
    assert_eq!(s.login(PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.login("hest-batteri-klips-7").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_session_left_idle_for_thirty_minutes_ends_and_a_used_one_lasts_the_working_day() {
    let s = site().await;
    let idle = cookie_of(&s.login(PASSWORD).await);
    let busy = cookie_of(&s.login(PASSWORD).await);
    // Used every 20 minutes, a session lasts; left alone for 31, it ends.
    s.clock.advance_minutes(20);
    assert!(s.signed_in(&busy).await);
    s.clock.advance_minutes(11);
    assert!(!s.signed_in(&idle).await, "idle for 31 minutes");
    assert!(s.signed_in(&busy).await, "used 11 minutes ago");
    // Used all day, it still ends at the end of the working day (9 hours).
    for _ in 0..25 {
        s.clock.advance_minutes(20);
        assert!(s.signed_in(&busy).await);
    }
    s.clock.advance_minutes(20);
    assert!(!s.signed_in(&busy).await, "after nine hours");
}
