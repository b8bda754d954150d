//! `GET /api/v1/worklist`: the caseworkers' worklist for the calling organisation
//! (`service::worklist`), as a vendor's case system shows it each morning.

use axum::extract::{Query, State};

use crate::edge::auth::Caller;
use crate::service::worklist::{self, OutOfBounds, WorklistQuery};
use crate::{ApiError, AppState};

/// The calling organisation's worklist: persons whose next contact interview is overdue or
/// due within `within_days`, open cash or start benefit cases without a registration as a job
/// seeker (§ 3, § 4, stk. 1), and exemptions from availability taking effect within
/// `within_days` (§ 5). Only persons the organisation may see; each listed person's read is
/// audited. For municipal and state job centres and other actors.
#[utoipa::path(get, path = "/api/v1/worklist", tag = "worklist",
    params(WorklistQuery),
    responses(
        (status = 200, body = worklist::Worklist),
        (status = 400, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn worklist(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<WorklistQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<worklist::Worklist>, ApiError> {
    let Query(query) = query.map_err(|_| OutOfBounds)?;
    let ask = query.ask()?;
    let list = worklist::worklist(&state, &caller.reading(), ask).await??;
    Ok(axum::Json(list))
}
