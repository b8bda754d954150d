//! Authentication of connected systems by bearer token (stored hashed).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use fdg_domain::Actor;
use fdg_store::Principal;

use crate::{ApiError, AppState};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who the token belongs to.
    pub principal: Principal,
}

impl Caller {
    /// The acting organisation, as the rules see it.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: self.principal.org.kind,
            code: self.principal.org.code.clone(),
        }
    }

    /// The idempotency scope: the organisation, so rotating tokens keeps keys valid.
    pub fn scope(&self) -> String {
        format!("org:{}", self.principal.org.id)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated)?;
        match state.store.authenticate(token).await? {
            Some(principal) => Ok(Caller { principal }),
            None => Err(ApiError::Unauthenticated),
        }
    }
}
