//! The supervision authority's JSON (and CSV, XLSX) reports under `/api/v1/supervision`.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fdg_domain::OrgKind;
use fdg_domain::supervision::{self, Indicator, KEY_FIGURES};
use serde::Serialize;

use crate::edge::auth::Caller;
use crate::report::{Download, Report, ReportParams};
use crate::{ApiError, AppState};

/// The API routes.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/indicators", get(definitions))
        .route("/supervision/{scope}", get(api_report))
}

/// Only the supervision authority reads supervision reports through the API.
fn supervisor_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.principal.org.kind == OrgKind::Supervisor {
        Ok(())
    } else {
        Err(ApiError::Forbidden(Vec::new()))
    }
}

/// A supervision report for the country (`DK`) or one municipality (its kommunekode), as JSON,
/// CSV or XLSX (`format`), with its data cut-off, as-of day, definitions version and input hash.
/// Only for agreements of the supervision authority.
#[utoipa::path(get, path = "/api/v1/supervision/{scope}", tag = "supervision",
    params(("scope" = String, Path, description = "`DK` or a kommunekode"), ReportParams),
    responses(
        (status = 200, body = Report, description = "The report (CSV or XLSX with `format`)"),
        (status = 400, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(scope): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    supervisor_only(&caller)?;
    let format = crate::report::format_of(&p)?;
    let (report, names) = crate::report::read(&state, &scope, &p).await?;
    Ok(report.download(&names, format).into_response())
}

/// The indicator definitions, with the version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Definitions {
    /// The version.
    pub version: &'static str,
    /// Every indicator.
    #[schema(value_type = Vec<Indicator>)]
    pub indicators: &'static [Indicator],
    /// Every key figure.
    #[schema(value_type = Vec<supervision::KeyFigure>)]
    pub key_figures: &'static [supervision::KeyFigure],
}

/// The indicator definitions and key figures, with the definitions version.
#[utoipa::path(get, path = "/api/v1/supervision/indicators", tag = "supervision",
    responses((status = 200, body = Definitions),
        (status = 403, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn definitions(caller: Caller) -> Result<axum::Json<Definitions>, ApiError> {
    supervisor_only(&caller)?;
    Ok(axum::Json(Definitions {
        version: supervision::DEFINITIONS_VERSION,
        indicators: supervision::ALL,
        key_figures: KEY_FIGURES,
    }))
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let mut res = ([(header::CONTENT_TYPE, self.content_type)], self.body).into_response();
        if let Some(name) = self.file_name
            && let Ok(v) = format!("attachment; filename=\"{name}\"").parse()
        {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        res
    }
}
