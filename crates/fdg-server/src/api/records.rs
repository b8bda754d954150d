//! The record types of the order as web services (§ 7, stk. 2, nr. 2): each a `POST` that
//! goes through the one write path (`service::write`).
//!
//! Writes take an optional `Idempotency-Key` (a retry with the same key and body returns the
//! first answer; with another body, 422) and an optional `If-Match` with the person's version
//! (409 when it has moved on). CPR numbers travel only in request bodies, never in URLs.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fdg_domain::command::*;
use fdg_domain::view::fact_id;
use fdg_domain::{Command, Violation, rules};
use fdg_domain::{FactId, IdempotencyKey, PersonId};
use fdg_store::Accepted;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::edge::auth::Caller;
use crate::edge::error::ViolationBody;
use crate::edge::json::JsonBody;
use crate::{ApiError, AppState};

/// One fact recorded by a write.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactRef {
    /// Fact id, `<person_id>.<n>`: use it to end a condition or to correct the fact.
    pub fact_id: String,
    /// Global position in the event log.
    pub position: u64,
    /// Event type.
    pub r#type: String,
}

/// The answer to an accepted write.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResponse {
    /// The person's opaque id.
    pub person_id: String,
    /// The person's stream version after the write (also the ETag).
    pub version: u64,
    /// The facts recorded, including any the registry recorded by itself as a consequence
    /// (each names its rule in the person overview).
    pub facts: Vec<FactRef>,
    /// Remarks that did not stop the write.
    pub warnings: Vec<ViolationBody>,
    /// True when nothing was stored (a test agreement on a registry without a sandbox, § 10).
    pub dry_run: bool,
    /// True when it was stored in the sandbox of synthetic persons (a test agreement, § 10).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
}

fn accepted_response(a: Accepted, replayed: bool, sandbox: bool) -> Response {
    let body = WriteResponse {
        facts: a
            .events
            .iter()
            .map(|e| FactRef {
                fact_id: fact_id(&a.person_id, e.version),
                position: e.position,
                r#type: e.r#type.clone(),
            })
            .collect(),
        warnings: a
            .warnings
            .iter()
            .filter_map(|w| {
                rules::by_id(&w.rule).map(|rule| {
                    ViolationBody::from(&Violation {
                        rule,
                        field: w.field.clone(),
                    })
                })
            })
            .collect(),
        person_id: a.person_id,
        version: a.version,
        dry_run: a.dry_run,
        sandbox,
    };
    // A dry run (§ 10 test before use) is answered as if stored, marked dry_run; it only has
    // no Location, since nothing is there to fetch.
    let mut res = (StatusCode::CREATED, axum::Json(&body)).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", body.version)) {
        h.insert(header::ETAG, v);
    }
    if !body.dry_run
        && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/persons/{}", body.person_id))
    {
        h.insert(header::LOCATION, v);
    }
    if replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .and_then(IdempotencyKey::parse)
        .ok_or_else(|| {
            ApiError::bad(
                "Idempotency-Key must be 1–255 visible ASCII characters",
                "Idempotency-Key skal være 1–255 synlige ASCII-tegn",
            )
        })?;
    Ok(Some(key))
}

fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad(
                "If-Match must be the person's version as an ETag, e.g. \"3\"",
                "If-Match skal være personens version som ETag, fx \"3\"",
            )
        })
}

async fn write(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    command: Command,
    person_id: Option<PersonId>,
    hash: [u8; 32],
) -> Result<Response, ApiError> {
    let options = crate::service::write::WriteOptions {
        person_id,
        expected_version: if_match(headers)?,
        idempotency: idempotency_key(headers)?.map(|key| (key, hash)),
    };
    let acting = caller.acting();
    let sandbox = crate::service::write::in_sandbox(state, &acting);
    match crate::service::write::record(state, &acting, command, options).await? {
        Ok(crate::service::write::Recorded::Accepted(a)) => {
            Ok(accepted_response(a, false, sandbox))
        }
        Ok(crate::service::write::Recorded::Replayed(a)) => Ok(accepted_response(a, true, sandbox)),
        Err(refusal) => Err(refusal.into()),
    }
}

/// Register a person as a job seeker (§ 8, stk. 1). For insured unemployed without a match
/// category, category 1 is set (§ 6).
#[utoipa::path(post, path = "/api/v1/jobseeker-registrations", tag = "records",
    request_body = RegisterJobSeeker,
    params(WriteHeaders),
    responses(
        (status = 201, description = "Recorded", body = WriteResponse),
        (status = 400, description = "Malformed", body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not permitted for this organisation", body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Version conflict", body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rules violated", body = crate::edge::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<RegisterJobSeeker>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::Register(body.value),
        None,
        body.hash,
    )
    .await
}

/// Deregister a job seeker (§ 8, stk. 2). Open periodic conditions are ended (§ 8, stk. 5).
#[utoipa::path(post, path = "/api/v1/jobseeker-deregistrations", tag = "records",
    request_body = DeregisterJobSeeker, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn deregister(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<DeregisterJobSeeker>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::Deregister(body.value),
        None,
        body.hash,
    )
    .await
}

/// Change the details of a job seeker's open registration from a day on (§ 8, stk. 1,
/// nr. 4–7): benefit category, degree of unemployment (and hours), job titles, a-kasse, given
/// whole. Nothing is annulled: the registration stays as recorded, the overview lists the
/// change under the registration and the feed carries `registration_changed`. A change to or
/// from cash or start benefit is refused (§ 3: the case opens at first contact; its end is a
/// cessation).
#[utoipa::path(post, path = "/api/v1/registration-changes", tag = "records",
    request_body = ChangeRegistration, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn change_registration(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<ChangeRegistration>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::ChangeRegistration(body.value),
        None,
        body.hash,
    )
    .await
}

/// Record the first contact of a cash-benefit applicant (§ 3, § 8, stk. 3). With match
/// category 1–3 the person is registered as a job seeker at the same time (§ 4, stk. 1):
/// include `registration`.
#[utoipa::path(post, path = "/api/v1/first-contacts", tag = "records",
    request_body = RecordFirstContact, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn first_contact(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<RecordFirstContact>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::FirstContact(body.value),
        None,
        body.hash,
    )
    .await
}

/// Record that cash or start benefit has ceased (§ 3, stk. 3, § 8, stk. 4). This registration
/// is the notification to the state job centre.
#[utoipa::path(post, path = "/api/v1/benefit-cessations", tag = "records",
    request_body = RecordBenefitCessation, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cessation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<RecordBenefitCessation>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::Cessation(body.value),
        None,
        body.hash,
    )
    .await
}

/// Start a periodic condition (§ 4, stk. 3, § 8, stk. 5).
#[utoipa::path(post, path = "/api/v1/periodic-conditions", tag = "records",
    request_body = StartPeriodicCondition, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn start_condition(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<StartPeriodicCondition>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::StartCondition(body.value),
        None,
        body.hash,
    )
    .await
}

/// End an open periodic condition (§ 8, stk. 5). `fact_id` is the condition's fact id.
#[utoipa::path(post, path = "/api/v1/periodic-conditions/{fact_id}/end", tag = "records",
    request_body = EndPeriodicCondition,
    params(("fact_id" = String, Path, description = "The condition's fact id"), WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn end_condition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<EndPeriodicCondition>,
) -> Result<Response, ApiError> {
    let fact = FactId::parse(&id).ok_or(ApiError::NotFound)?;
    let cmd = Command::EndCondition {
        condition: fact.number(),
        body: body.value,
    };
    let person = Some(fact.person().clone());
    write(&state, &caller, &headers, cmd, person, body.hash).await
}

/// Record a contact interview with the § 9 fields. A match category that moves a cash-benefit
/// recipient out of 1–3 deregisters them (§ 5); into 1–3 requires `registration` (§ 4, stk. 1).
#[utoipa::path(post, path = "/api/v1/contact-interviews", tag = "records",
    request_body = RecordContactInterview, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn interview(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<RecordContactInterview>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::Interview(body.value),
        None,
        body.hash,
    )
    .await
}

/// Correct a recorded fact: annul it, or replace it with a record of the same kind. The
/// original is kept; the correction names it and why.
#[utoipa::path(post, path = "/api/v1/corrections", tag = "records",
    request_body = Correct, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<Correct>,
) -> Result<Response, ApiError> {
    let fact = FactId::parse(&body.value.fact_id).ok_or(ApiError::NotFound)?;
    let cmd = Command::Correct {
        fact: fact.number(),
        body: body.value,
    };
    let person = Some(fact.person().clone());
    write(&state, &caller, &headers, cmd, person, body.hash).await
}

/// Assign a person to an other actor for a period (§ 2, stk. 5); the actor may then see the
/// person and record their contact course.
#[utoipa::path(post, path = "/api/v1/other-actor-assignments", tag = "records",
    request_body = AssignOtherActor, params(WriteHeaders),
    responses((status = 201, body = WriteResponse), (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<AssignOtherActor>,
) -> Result<Response, ApiError> {
    write(
        &state,
        &caller,
        &headers,
        Command::AssignOtherActor(body.value),
        None,
        body.hash,
    )
    .await
}

/// Hand a person over to another municipality (§ 2, stk. 2): only the responsible municipal
/// job centre may, with a reason. The person is named by `person_id`; from then on the
/// receiving municipality sees them and the handing-over one does not. Use it where the CPR
/// register does not (yet) say the person has moved; where it does, the move is recorded by
/// the next record about the person.
#[utoipa::path(post, path = "/api/v1/municipality-handovers", tag = "records",
    request_body = HandOverPerson, params(WriteHeaders),
    responses((status = 201, body = WriteResponse),
        (status = 403, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn hand_over(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<HandOverPerson>,
) -> Result<Response, ApiError> {
    // An id that names nobody is answered (and audited) as an unknown person.
    let person = PersonId::parse(&body.value.person_id);
    write(
        &state,
        &caller,
        &headers,
        Command::HandOver(body.value),
        person,
        body.hash,
    )
    .await
}

/// Headers accepted by every write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
struct WriteHeaders {
    /// A client-chosen key; a retry with the same key and body returns the first answer.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
    /// The person's version you last read (`"3"`); the write is refused with 409 if it moved.
    #[serde(rename = "If-Match")]
    #[param(rename = "If-Match", pattern = "^ *(W/)?\"?[0-9]+\"? *$")]
    if_match: Option<String>,
}
