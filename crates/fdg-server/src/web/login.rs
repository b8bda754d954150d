//! Logging in and out of the browser tool: the login page and its form (local passwords,
//! throttled per username in the database), staff login through the identity provider (MitID
//! Erhverv), logout, and `/session` (who is logged in). Sessions themselves are
//! `edge::session`'s.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fdg_store::User;
use serde::{Deserialize, Serialize};

use crate::edge::oidc;
use crate::edge::session::{
    self, CsrfForm, LOCKOUT, LOGIN_COOKIE, MAX_FAILURES, MAX_PASSWORD, MAX_USERNAME, SessionUser,
    cookie, cookie_header, random_hex, same_secret, session_cookie, start,
};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::UserView;
use crate::{ApiError, AppState};

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub t: &'static Texts,
    /// Not logged in.
    pub user: Option<UserView>,
    /// What went wrong.
    pub error: Option<&'static str>,
    /// The username typed (kept).
    pub username: String,
    /// The login form's CSRF token.
    pub csrf: String,
    /// Staff may log in through the identity provider (MitID Erhverv).
    pub mitid: bool,
}

/// GET /login.
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, &headers, StatusCode::OK, None, String::new())
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// The login form's CSRF token, also in the [`LOGIN_COOKIE`] cookie.
    #[serde(default)]
    pub csrf: String,
}

/// The login page with a fresh CSRF token, which it also sets as the [`LOGIN_COOKIE`] cookie
/// (`SameSite=Strict`): a login form posted from another site carries neither.
pub fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&'static str>,
    username: String,
) -> Response {
    let csrf = match random_hex(16) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let page = LoginPage {
        t: texts(headers),
        user: None,
        error,
        username,
        csrf: csrf.clone(),
        mitid: state.config.staff_oidc.is_some(),
    };
    match askama::Template::render(&page) {
        Ok(body) => {
            let mut res = (status, axum::response::Html(body)).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                cookie_header(state, LOGIN_COOKIE, &csrf, "/; SameSite=Strict", 3600),
            );
            res
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Checks the password, starts a session and sets its cookie.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, ApiError> {
    // A browser gets the login page again with the error; other clients a problem document.
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let page_again = |status: StatusCode, error: &'static str| {
        login_form(&state, &headers, status, Some(error), form.username.clone())
    };
    // Login CSRF: the form must carry the token its page set as a cookie.
    let posted_here = cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && same_secret(&c, &form.csrf));
    if !posted_here {
        if html {
            let t = texts(&headers);
            return Ok(page_again(StatusCode::FORBIDDEN, t.login_expired));
        }
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let username = form.username.trim().to_lowercase();
    let refused = |html: bool| -> Result<Response, ApiError> {
        tracing::info!("failed login");
        if html {
            let t = texts(&headers);
            return Ok(page_again(StatusCode::UNAUTHORIZED, t.login_failed));
        }
        Err(ApiError::LoginFailed)
    };
    if username.is_empty() || username.len() > MAX_USERNAME || form.password.len() > MAX_PASSWORD {
        return refused(html);
    }
    // The lockout is a real wait, the same on every node: the wall clock, not the registry's.
    #[allow(clippy::disallowed_methods)]
    let now = jiff::Timestamp::now();
    let window = jiff::SignedDuration::try_from(LOCKOUT).unwrap_or_default();
    if let Some(until) = state
        .store
        .login_attempt(&username, now, window, MAX_FAILURES)
        .await?
    {
        let seconds = u64::try_from(until.duration_since(now).as_secs().max(1)).unwrap_or(1);
        if html {
            let t = texts(&headers);
            return Ok(page_again(StatusCode::TOO_MANY_REQUESTS, t.login_locked));
        }
        return Err(ApiError::TooManyAttempts(seconds));
    }
    let Some(user) = state.store.login(&username, &form.password).await? else {
        return refused(html);
    };
    state.store.login_succeeded(&username).await?;
    let cookie = start(&state, user.id).await?;
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Ends the session.
pub async fn logout(
    State(state): State<AppState>,
    user: SessionUser,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    state.store.end_session(&user.id).await?;
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(res)
}

/// GET /login/mitid: sends a caseworker or operator to the staff identity provider (MitID
/// Erhverv).
pub async fn staff_login(State(state): State<AppState>) -> Result<Response, ApiError> {
    oidc::begin(&state, oidc::staff_oidc(&state)?, &oidc::STAFF).await
}

/// GET /login/callback: starts the session of the user the operator linked to the identity
/// the ID token names (`fdg user link`). An identity linked to nobody, or to a disabled user,
/// logs nobody in.
pub async fn staff_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(back): Query<oidc::Callback>,
) -> Result<Response, ApiError> {
    let subject = oidc::finish(
        &state,
        oidc::staff_oidc(&state)?,
        &oidc::STAFF,
        &headers,
        back,
    )
    .await?;
    let Some(user) = state.store.user_by_external_id(&subject).await? else {
        tracing::info!("staff login: the identity is linked to no user");
        return Err(ApiError::Unauthenticated);
    };
    let cookie = session::start(&state, user.id).await?;
    Ok(oidc::moving_on(&state, &oidc::STAFF, "/", cookie))
}

/// Who is logged in, and the CSRF token forms must carry.
#[derive(Debug, Serialize)]
pub struct Whoami {
    /// The user.
    pub user: User,
    /// The CSRF token.
    pub csrf: String,
}

/// The current session.
pub async fn whoami(user: SessionUser) -> axum::Json<Whoami> {
    axum::Json(Whoami {
        user: user.session.user,
        csrf: user.session.csrf,
    })
}

/// `/login`, `/logout`, `/session`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/mitid", get(staff_login))
        .route("/login/callback", get(staff_callback))
        .route("/logout", post(logout))
        .route("/session", get(whoami))
}
