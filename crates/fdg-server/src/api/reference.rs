//! Reference data: the code lists in force and every rule the registry enforces.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fdg_domain::codes::CodeEntry;
use fdg_domain::{ListName, Rule, rules};
use jiff::civil::Date;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::edge::auth::Caller;
use crate::{ApiError, AppState};

/// What a consumer syncing the code lists asks for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeListQuery {
    /// Only entries whose validity begins or ends on or after this day (`YYYY-MM-DD`): what
    /// a consumer that synced on that day must look at again.
    #[param(format = Date)]
    pub changed_since: Option<String>,
}

/// Every code list, with labels and validity (codes no longer valid included, with the day
/// they ended). The `ETag` names the lists' content, so a daily sync sends `If-None-Match` and
/// gets `304` while nothing changed; `changed_since` gives only what changed after a day.
#[utoipa::path(get, path = "/api/v1/code-lists", tag = "reference",
    params(CodeListQuery),
    responses((status = 200, body = BTreeMap<String, Vec<CodeEntry>>),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match")),
    security(("bearer" = [])))]
pub async fn code_lists(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    query: Result<Query<CodeListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let bad = || {
        ApiError::bad(
            "changed_since must be a date, YYYY-MM-DD",
            "changed_since skal være en dato, ÅÅÅÅ-MM-DD",
        )
    };
    let Query(query) = query.map_err(|_| bad())?;
    let since = query
        .changed_since
        .as_deref()
        .map(str::parse::<Date>)
        .transpose()
        .map_err(|_| bad())?;
    let all: BTreeMap<&'static str, &[CodeEntry]> = ListName::ALL
        .iter()
        .map(|l| (l.as_str(), state.codes.entries(*l)))
        .collect();
    let whole = serde_json::to_vec(&all).map_err(ApiError::internal)?;
    let etag = format!("\"{}\"", fdg_store::hex(&Sha256::digest(&whole)));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else if let Some(since) = since {
        let changed: BTreeMap<&'static str, Vec<&CodeEntry>> = all
            .iter()
            .map(|(list, entries)| {
                let changed: Vec<&CodeEntry> = entries
                    .iter()
                    .filter(|e| e.valid_from >= since || e.valid_to.is_some_and(|t| t >= since))
                    .collect();
                (*list, changed)
            })
            .filter(|(_, changed)| !changed.is_empty())
            .collect();
        axum::Json(changed).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], whole).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// The legal baseline and the rules it is enforced by.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RulesAnswer {
    /// The rule sets, oldest first: each decides the records whose business date (the
    /// registration, contact or start date they carry) falls in its period.
    pub rule_sets: &'static [fdg_domain::ruleset::RuleSet],
    /// Every rule, with its provision, kind and Danish and English messages.
    pub rules: &'static [Rule],
}

/// Which rule set applies when, and every rule the registry enforces with its provision and
/// messages.
#[utoipa::path(get, path = "/api/v1/rules", tag = "reference",
    responses((status = 200, body = RulesAnswer)),
    security(("bearer" = [])))]
pub async fn rules_table(_caller: Caller) -> axum::Json<RulesAnswer> {
    axum::Json(RulesAnswer {
        rule_sets: fdg_domain::ruleset::SHIPPED,
        rules: rules::ALL,
    })
}
