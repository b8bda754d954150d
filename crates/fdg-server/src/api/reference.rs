//! Reference data: the code lists in force and every rule the registry enforces.

use std::collections::BTreeMap;

use axum::extract::State;
use fdg_domain::codes::CodeEntry;
use fdg_domain::{ListName, Rule, rules};

use crate::AppState;
use crate::edge::auth::Caller;

/// Every code list in force, with labels and validity.
#[utoipa::path(get, path = "/api/v1/code-lists", tag = "reference",
    responses((status = 200, body = BTreeMap<String, Vec<CodeEntry>>)),
    security(("bearer" = [])))]
pub async fn code_lists(
    State(state): State<AppState>,
    _caller: Caller,
) -> axum::Json<BTreeMap<&'static str, Vec<CodeEntry>>> {
    axum::Json(
        ListName::ALL
            .iter()
            .map(|l| (l.as_str(), state.codes.entries(*l).to_vec()))
            .collect(),
    )
}

/// Every rule the registry enforces, with its provision and messages.
#[utoipa::path(get, path = "/api/v1/rules", tag = "reference",
    responses((status = 200, body = Vec<Rule>)),
    security(("bearer" = [])))]
pub async fn rules_table(_caller: Caller) -> axum::Json<&'static [Rule]> {
    axum::Json(rules::ALL)
}
