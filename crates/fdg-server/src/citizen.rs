//! The citizen's own view (self-service, "Jobnet"): who has looked at my data.
//!
//! Citizens log in through an identity provider (MitID in production) that yields their CPR
//! number. For development and demonstrations, `fdg serve --citizen-dev-login` enables
//! `POST /borger/dev-login`, which accepts a CPR number without proof; never enable it in
//! production.

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fdg_domain::Cpr;
use fdg_store::audit::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, AppState};

/// The citizen session cookie.
pub const COOKIE: &str = "fdg_citizen";

/// A logged-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    /// Their CPR number.
    pub cpr: Cpr,
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let id = crate::session::cookie(&parts.headers, COOKIE).ok_or(ApiError::Unauthenticated)?;
        match state.store.citizen_session(&id, state.clock.now()).await? {
            Some(cpr) => Ok(Citizen { cpr }),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

/// The development login form.
#[derive(Debug, Deserialize)]
pub struct DevLogin {
    /// CPR number.
    pub cpr: String,
}

/// Development and demo login for citizens (no proof of identity).
pub async fn dev_login(
    State(state): State<AppState>,
    axum::Form(form): axum::Form<DevLogin>,
) -> Result<Response, ApiError> {
    if !state.config.citizen_dev_login {
        return Err(ApiError::NotFound);
    }
    let cpr = Cpr::parse(&form.cpr).map_err(|_| {
        ApiError::Rejected(vec![fdg_domain::Violation::new(
            &fdg_domain::rules::CPR_FORMAT,
            "cpr",
        )])
    })?;
    let expires = state.clock.now() + jiff::SignedDuration::from_hours(1);
    let id = state.store.create_citizen_session(&cpr, expires).await?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    ))
    .map_err(ApiError::internal)?;
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/borger")]).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// One access to the citizen's data, as the citizen sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    /// When.
    pub at: String,
    /// The organisation (`kind:code`).
    pub organisation: String,
    /// What it did: `person.read`, `person.search`, `write.<record>`, `feed.read`, …
    pub action: String,
    /// Why.
    pub purpose: String,
    /// `ok`, `denied`, …
    pub outcome: String,
}

/// Who has looked at the citizen's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// Newest first.
    pub entries: Vec<AccessEntry>,
}

/// Which organisations looked at my data, when and why (newest first, at most 500).
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "citizen",
    responses((status = 200, body = AccessLog), (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn access_log(
    State(state): State<AppState>,
    citizen: Citizen,
) -> Result<axum::Json<AccessLog>, ApiError> {
    let Some(person) = state.store.person_by_cpr(&citizen.cpr).await? else {
        return Ok(axum::Json(AccessLog {
            entries: Vec::new(),
        }));
    };
    let entries = state
        .audit
        .for_person(&person.person_id, 500)
        .await
        .map_err(ApiError::internal)?;
    // The citizen's own look is recorded too.
    state
        .audit
        .append(vec![AuditEntry {
            at: state.clock.now(),
            org: "citizen".into(),
            credential: "citizen".into(),
            acting_person: None,
            on_behalf_of: None,
            action: "me.access-log".into(),
            person_id: Some(person.person_id),
            purpose: "the citizen's own insight".into(),
            outcome: "ok".into(),
        }])
        .await
        .map_err(ApiError::internal)?;
    Ok(axum::Json(AccessLog {
        entries: entries
            .into_iter()
            .filter(|e| e.entry.org != "citizen")
            .map(|e| AccessEntry {
                at: e.entry.at.to_string(),
                organisation: e.entry.org,
                action: e.entry.action,
                purpose: e.entry.purpose,
                outcome: e.entry.outcome,
            })
            .collect(),
    }))
}

/// `/borger/dev-login` and `/api/v1/me/access-log`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/borger/dev-login", post(dev_login))
        .route("/api/v1/me/access-log", get(access_log))
}
