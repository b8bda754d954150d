//! The citizen's own insight as JSON: who has looked at my data (`/api/v1/me/access-log`,
//! with the citizen's session cookie).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::session::Citizen;
use crate::service::read::AccessEntry;
use crate::{ApiError, AppState};

/// Who has looked at the citizen's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// Newest first.
    pub entries: Vec<AccessEntry>,
}

/// Which organisations looked at my data, when and why (newest first, at most 500).
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "citizen",
    responses((status = 200, body = AccessLog), (status = 401, body = crate::edge::error::Problem, content_type = "application/problem+json")))]
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
        .append(vec![crate::service::read::citizen_entry(
            &state,
            "me.access-log",
            person.person_id,
            "the citizen's own insight",
        )])
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
