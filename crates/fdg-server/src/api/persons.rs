//! Person reads: search by CPR number, the overview (also as of a moment and a day), and the
//! history, each through the one audited, scoped read (`service::read`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use fdg_domain::view::fact_id;
use fdg_domain::{Cpr, CprError, Violation, rules};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use fdg_domain::PersonId;

use crate::edge::auth::Caller;
use crate::edge::json::JsonBody;
use crate::service::read::{self, AsOf, Lookup, Read, may_read};
use crate::{ApiError, AppState};

/// Search for a person by CPR number (in the body, never the URL).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cpr": "010190-1234"}))]
pub struct PersonSearch {
    /// CPR number.
    pub cpr: String,
}

/// Answers a person read: the overview as the reader's organisation may see it (the read is
/// audited already), with the version as ETag.
fn person_response(read: Read) -> Result<Response, ApiError> {
    let p = read.record;
    let body =
        crate::service::scope::overview(&p.overview, read.visibility, p.scope.consent_to_disclose)
            .map_err(ApiError::internal)?
            .ok_or(ApiError::NotFound)?;
    let mut res = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", p.version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// Find a person by CPR number: the overview, with the opaque `person_id` for later calls.
#[utoipa::path(post, path = "/api/v1/persons/search", tag = "persons",
    request_body = PersonSearch,
    responses(
        (status = 200, body = fdg_domain::view::PersonOverview),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<PersonSearch>,
) -> Result<Response, ApiError> {
    let acting = caller.reading();
    may_read(&state, &acting, "persons", "person.search").await??;
    let cpr = Cpr::parse(&body.value.cpr).map_err(|e| {
        let rule = match e {
            CprError::Format => &rules::CPR_FORMAT,
            CprError::Date => &rules::CPR_DATE,
        };
        ApiError::Rejected(vec![Violation::new(rule, "cpr")])
    })?;
    let read = read::person(
        &state,
        &acting,
        "person.search",
        Lookup::Cpr(&cpr),
        AsOf::default(),
    );
    person_response(read.await??)
}

/// Time travel on a person read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Answer what the registry knew at this moment (RFC 3339; transaction time).
    #[param(format = DateTime)]
    pub known_at: Option<String>,
    /// Answer what was in force on this date (`YYYY-MM-DD`; valid time).
    #[param(format = Date)]
    pub valid_at: Option<String>,
}

/// The person overview: current registration, history, periodic conditions, first contacts,
/// interviews and match-category history. The ETag is the stream version. With `known_at`,
/// what the registry knew then; with `valid_at`, what was in force on that date; with both,
/// what the registry believed at `known_at` about `valid_at`.
#[utoipa::path(get, path = "/api/v1/persons/{person_id}", tag = "persons",
    params(("person_id" = String, Path, description = "Opaque person id"), AsOfQuery),
    responses(
        (status = 200, body = fdg_domain::view::PersonOverview),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    Path(person_id): Path<String>,
    as_of: Result<Query<AsOfQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let acting = caller.reading();
    may_read(&state, &acting, "persons", "person.read").await??;
    let Query(query) = as_of.map_err(|_| {
        ApiError::bad(
            "known_at must be an RFC 3339 time, valid_at a date",
            "known_at skal være et RFC 3339-tidspunkt, valid_at en dato",
        )
    })?;
    let known_at = query
        .known_at
        .as_deref()
        .map(str::parse::<jiff::Timestamp>)
        .transpose()
        .map_err(|_| {
            ApiError::bad(
                "known_at must be an RFC 3339 time",
                "known_at skal være et RFC 3339-tidspunkt",
            )
        })?;
    let valid_at = query
        .valid_at
        .as_deref()
        .map(str::parse::<jiff::civil::Date>)
        .transpose()
        .map_err(|_| {
            ApiError::bad(
                "valid_at must be a date, YYYY-MM-DD",
                "valid_at skal være en dato, ÅÅÅÅ-MM-DD",
            )
        })?;
    let as_of = AsOf { known_at, valid_at };
    let id = PersonId::parse(&person_id);
    let read = read::person(&state, &acting, "person.read", Lookup::id(&id), as_of);
    person_response(read.await??)
}

/// One recorded event of a person's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Fact id.
    pub fact_id: String,
    /// Global position.
    pub position: u64,
    /// Event type.
    pub r#type: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// The correction that annulled it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annulled_by: Option<String>,
    /// The event.
    #[schema(value_type = Object)]
    pub data: Box<serde_json::value::RawValue>,
}

/// Every fact recorded about a person, in order, with who recorded it, when, and what
/// corrected it. Scoped like the overview (details withheld where it withholds them).
#[utoipa::path(get, path = "/api/v1/persons/{person_id}/history", tag = "persons",
    params(("person_id" = String, Path, description = "Opaque person id")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(person_id): Path<String>,
) -> Result<axum::Json<Vec<HistoryEntry>>, ApiError> {
    let acting = caller.reading();
    may_read(&state, &acting, "persons", "person.history").await??;
    let id = PersonId::parse(&person_id);
    let read = read::person(
        &state,
        &acting,
        "person.history",
        Lookup::id(&id),
        AsOf::default(),
    )
    .await??;
    let (visibility, p) = (read.visibility, read.record);
    let events = read.store.person_events(&person_id).await?;
    let mut annulled_by: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for e in &events {
        if let Ok(fdg_domain::Event::FactCorrected { annulled, .. }) =
            serde_json::from_str::<fdg_domain::Event>(&e.data_json)
        {
            for a in annulled {
                annulled_by.insert(a, e.version);
            }
        }
    }
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let Some(data) = crate::service::scope::event(
            &e.r#type,
            e.data_json,
            visibility,
            p.scope.consent_to_disclose,
        )
        .map_err(ApiError::internal)?
        else {
            continue;
        };
        out.push(HistoryEntry {
            fact_id: fact_id(&person_id, e.version),
            position: e.position,
            r#type: e.r#type,
            recorded_at: e.recorded_at.to_string(),
            recorded_by: e.org,
            annulled_by: annulled_by.get(&e.version).map(|v| fact_id(&person_id, *v)),
            data: serde_json::value::RawValue::from_string(data).map_err(ApiError::internal)?,
        });
    }
    Ok(axum::Json(out))
}
