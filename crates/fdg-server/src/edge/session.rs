//! Browser sessions for the registration tool: local accounts (argon2id), server-side
//! sessions in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` when served over TLS), a CSRF
//! token for every form, and login throttling counted in the database (so every node refuses a
//! locked username alike).
//!
//! Local passwords are one way in; an OIDC provider (MitID Erhverv) can replace them by
//! creating the same server-side session after its own login — nothing past [`login`] depends
//! on how the user proved who they are.

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fdg_store::{Session, User};
use serde::{Deserialize, Serialize};

use crate::{ApiError, AppState};

/// The session cookie's name.
pub const COOKIE: &str = "fdg_session";
/// How long a session lasts at most (a working day).
pub const SESSION_HOURS: i64 = 9;
/// A session unused for this long ends (idle timeout).
pub const IDLE_MINUTES: i64 = 30;
/// The cookie holding the login form's CSRF token (double submit: the form carries it too).
pub const LOGIN_COOKIE: &str = "fdg_login";
/// Login attempts for one username within [`LOCKOUT`] before it is locked until the window
/// ends.
pub const MAX_FAILURES: u32 = 5;
/// How long a username is locked after too many failures.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// Longest username and password a login form may carry: longer ones are refused before
/// anything is counted or hashed, so nobody fills the throttle with huge usernames.
pub const MAX_USERNAME: usize = 64;
/// Longest password accepted (argon2 hashes whatever it is given).
pub const MAX_PASSWORD: usize = 1024;

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(b.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two secrets in constant time.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A logged-in user of the browser tool.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The session (user and CSRF token).
    pub session: Session,
    /// The session id from the cookie.
    pub id: String,
}

impl SessionUser {
    /// Refuses a form that does not carry the session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), ApiError> {
        if same_secret(&self.session.csrf, token) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(Vec::new()))
        }
    }
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let id = cookie(&parts.headers, COOKIE).ok_or(ApiError::Unauthenticated)?;
        let now = state.clock.now();
        let Some(session) = state.store.session(&id, now).await? else {
            return Err(ApiError::Unauthenticated);
        };
        // Idle timeout: each use moves the end IDLE_MINUTES ahead, never past the working
        // day. Written at most once a minute per session.
        let idle = jiff::SignedDuration::from_mins(IDLE_MINUTES);
        let until =
            (now + idle).min(session.created_at + jiff::SignedDuration::from_hours(SESSION_HOURS));
        if until.duration_since(session.expires_at) >= jiff::SignedDuration::from_mins(1) {
            state.store.extend_session(&id, until).await?;
        }
        // Someone still on a one-time password may only choose a new one (or log out).
        let path = parts.uri.path();
        if session.user.must_change_password
            && !matches!(path, "/password" | "/logout" | "/session" | "/")
        {
            return Err(ApiError::MustChangePassword);
        }
        Ok(SessionUser { session, id })
    }
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
    let page = crate::web::pages::LoginPage {
        t: crate::web::pages::texts(headers),
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

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    cookie_header(state, COOKIE, value, "/; SameSite=Strict", max_age)
}

/// A cookie of this service: `HttpOnly`, `Secure` when served over TLS. `path_and_site` is
/// its path and `SameSite` attribute. Values are ids this service made; one that could not be a
/// header would set a harmless empty cookie instead.
pub fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    path_and_site: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path_and_site}; HttpOnly; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("fdg_invalid=; Max-Age=0"))
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
            let t = crate::web::pages::texts(&headers);
            return Ok(page_again(StatusCode::FORBIDDEN, t.login_expired));
        }
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let username = form.username.trim().to_lowercase();
    let refused = |html: bool| -> Result<Response, ApiError> {
        tracing::info!("failed login");
        if html {
            let t = crate::web::pages::texts(&headers);
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
            let t = crate::web::pages::texts(&headers);
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

/// Starts a session for the user (who has proved who they are, by password or through the
/// identity provider) and answers its cookie.
pub(crate) async fn start(state: &AppState, user_id: i64) -> Result<HeaderValue, ApiError> {
    let expires = state.clock.now() + jiff::SignedDuration::from_mins(IDLE_MINUTES);
    let id = state.store.create_session(user_id, expires).await?;
    Ok(session_cookie(state, &id, SESSION_HOURS * 3600))
}

/// The logout form: only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    pub csrf: String,
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
        .route("/login", post(login))
        .route("/login/mitid", get(crate::edge::oidc::staff_login))
        .route("/login/callback", get(crate::edge::oidc::staff_callback))
        .route("/logout", post(logout))
        .route("/session", get(whoami))
}
