//! `/worklist`: the caseworkers' worklist page, the same lists as `GET /api/v1/worklist`
//! (`service::worklist`), scoped and audited alike.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::edge::session::SessionUser;
use crate::service::read::ReadRefusal;
use crate::service::worklist::{self, OutOfBounds, Worklist, WorklistQuery};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{UserView, render, signed_in, user_view};
use crate::{ApiError, AppState};

/// The worklist page.
#[derive(Template)]
#[template(path = "worklist.html")]
pub struct WorklistPage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    /// The horizon asked for.
    pub within_days: u16,
    /// The lists; `None` for an organisation without a worklist.
    pub list: Option<Worklist>,
}

/// GET /worklist: the logged-in caseworker's organisation's worklist.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    query: Result<Query<WorklistQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let user = match signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    let Query(query) = query.map_err(|_| OutOfBounds)?;
    let ask = query.ask()?;
    let (status, list) = match worklist::worklist(&state, &user.reading(), ask).await? {
        Ok(list) => (StatusCode::OK, Some(list)),
        Err(ReadRefusal::Forbidden) => (StatusCode::FORBIDDEN, None),
        Err(other) => return Err(other.into()),
    };
    Ok(render(
        status,
        &WorklistPage {
            t: texts(&headers),
            user: Some(user_view(&user)),
            within_days: ask.within_days,
            list,
        },
    ))
}

/// The page's route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/worklist", get(page))
}
