//! Browser sessions for the registration tool: local accounts (argon2id), server-side
//! sessions in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` when served over TLS), a CSRF
//! token for every form, and login throttling counted in the database (so every node refuses a
//! locked username alike).
//!
//! Local passwords are one way in; an OIDC provider (MitID Erhverv) can replace them by
//! creating the same server-side session after its own login — nothing past [`login`] depends
//! on how the user proved who they are.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use fdg_store::Session;
use serde::Deserialize;

use crate::service::write::Acting;
use crate::{ApiError, AppState};
use fdg_domain::{Actor, Cpr};

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
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
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
    /// The user's organisation, as the rules and the scoping see it.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: self.session.user.org.kind,
            code: self.session.user.org.code.clone(),
        }
    }

    /// Who acts when a caseworker submits a form or opens a person: their organisation, with
    /// the user named on every event and in the audit log, for `purpose`.
    pub fn acting_as(&self, purpose: &str) -> Acting {
        let u = &self.session.user;
        Acting {
            actor: self.actor(),
            context: fdg_store::WriteContext {
                agreement: None,
                acting_person: Some(format!("user:{} {}", u.id, u.name)),
                on_behalf_of: None,
            },
            audit_org: self.actor().label(),
            credential: format!("user:{}", u.id),
            audit_person: Some(u.name.clone()),
            purpose: purpose.into(),
            agreement: None,
            test_before_use: false,
        }
    }

    /// Who records (purpose: registration).
    pub fn acting(&self) -> Acting {
        self.acting_as("registration")
    }

    /// Who reads (purpose: case handling).
    pub fn reading(&self) -> Acting {
        self.acting_as("case handling")
    }

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

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
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

/// The citizen session cookie.
pub const CITIZEN_COOKIE: &str = "fdg_citizen";

/// A logged-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    /// Their CPR number.
    pub cpr: Cpr,
    /// The session id (from the cookie).
    pub session: String,
}

impl Citizen {
    /// The token the citizen's forms carry, derived from the session (the cookie is
    /// SameSite=Strict as well).
    pub fn csrf(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(format!("csrf:{}", self.session).as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let id = cookie(&parts.headers, CITIZEN_COOKIE).ok_or(ApiError::Unauthenticated)?;
        match state.store.citizen_session(&id, state.clock.now()).await? {
            Some(cpr) => Ok(Citizen { cpr, session: id }),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

/// Starts a citizen's session (one hour) and returns the cookie that carries it.
pub async fn start_citizen(state: &AppState, cpr: &Cpr) -> Result<HeaderValue, ApiError> {
    let expires = state.clock.now() + jiff::SignedDuration::from_hours(1);
    let id = state.store.create_citizen_session(cpr, expires).await?;
    Ok(cookie_header(
        state,
        CITIZEN_COOKIE,
        &id,
        "/; SameSite=Strict",
        3600,
    ))
}
