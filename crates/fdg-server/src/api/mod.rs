//! The JSON web services under `/api/v1` (§ 7, stk. 2, nr. 2).
//!
//! Writes take an optional `Idempotency-Key` (a retry with the same key and body returns the
//! first answer; with another body, 422) and an optional `If-Match` with the person's version
//! (409 when it has moved on). CPR numbers travel only in request bodies, never in URLs.

pub mod feed;
pub mod openapi;
pub mod webhook;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fdg_domain::codes::CodeEntry;
use fdg_domain::command::*;
use fdg_domain::view::{fact_id, parse_fact_id};
use fdg_domain::{Command, Cpr, CprError, ListName, OrgKind, Rule, Violation, rules};
use fdg_store::Accepted;
use fdg_store::audit::AuditEntry;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::{IntoParams, ToSchema};

use crate::edge::auth::Caller;
use crate::edge::error::ViolationBody;
use crate::{ApiError, AppState};

/// The routes of `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobseeker-registrations", post(register))
        .route("/jobseeker-deregistrations", post(deregister))
        .route("/first-contacts", post(first_contact))
        .route("/benefit-cessations", post(cessation))
        .route("/periodic-conditions", post(start_condition))
        .route("/periodic-conditions/{fact_id}/end", post(end_condition))
        .route("/contact-interviews", post(interview))
        .route("/other-actor-assignments", post(assign))
        .route("/municipality-handovers", post(hand_over))
        .route("/corrections", post(correct))
        .route("/persons/search", post(search))
        .route("/persons/{person_id}", get(person))
        .route("/persons/{person_id}/history", get(history))
        .route("/code-lists", get(code_lists))
        .route("/rules", get(rules_table))
        .route("/openapi.json", get(openapi))
}

/// A JSON body, parsed without echoing input values in errors, with the request's hash
/// (method, path and body) for idempotency.
pub struct JsonBody<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of method, path and body.
    pub hash: [u8; 32],
}

/// Describes a JSON error without the offending value (it may be a CPR number), in English
/// and Danish.
fn describe(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    // serde names an unknown field of a struct that denies them; say which (not_known echoes
    // only what looks like a field name).
    if let Some(field) = e
        .to_string()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        return not_known(field);
    }
    let (line, column) = (e.line(), e.column());
    let (en, da) = match e.classify() {
        Category::Syntax => (
            format!("JSON syntax error at line {line}, column {column}"),
            format!("fejl i JSON-syntaksen i linje {line}, kolonne {column}"),
        ),
        Category::Eof => (
            "the body ended before the JSON was complete".to_owned(),
            "indholdet sluttede, før JSON'en var færdig".to_owned(),
        ),
        Category::Io => (
            "the body could not be read".to_owned(),
            "indholdet kunne ikke læses".to_owned(),
        ),
        // serde's own text can quote the offending value (a CPR number in the wrong field):
        // say only where.
        Category::Data => (
            format!(
                "a field has the wrong type, or a field is not known, at line {line}, column {column}"
            ),
            format!("et felt har forkert type eller findes ikke, i linje {line}, kolonne {column}"),
        ),
    };
    ApiError::Malformed { en, da }
}

/// The first field of `given` (the body as sent) that `known` (the body as understood) does
/// not have, as a dotted path: a misspelt optional field would otherwise be dropped silently.
/// Only field names that look like field names are echoed.
fn unknown_field(given: &serde_json::Value, known: &serde_json::Value, at: &str) -> Option<String> {
    let (serde_json::Value::Object(given), serde_json::Value::Object(known)) = (given, known)
    else {
        return None;
    };
    for (key, value) in given {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        match known.get(key) {
            None => return Some(path),
            Some(k) => {
                if let Some(deeper) = unknown_field(value, k, &path) {
                    return Some(deeper);
                }
            }
        }
    }
    None
}

fn not_known(path: &str) -> ApiError {
    // Field names are lowercase words; anything else (a CPR number as a key, say) is not
    // echoed.
    let plain = path.len() <= 64
        && path.split('.').all(|segment| {
            segment
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        && !path
            .as_bytes()
            .windows(4)
            .any(|w| w.iter().all(u8::is_ascii_digit));
    let (en, da) = if plain {
        (
            format!("the field `{path}` is not known"),
            format!("feltet `{path}` findes ikke"),
        )
    } else {
        (
            "a field is not known".to_owned(),
            "et felt findes ikke".to_owned(),
        )
    };
    ApiError::Malformed { en, da }
}

impl<T: DeserializeOwned + Serialize, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || v.contains("+json")
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let mut hasher = sha2::Sha256::new();
        hasher.update(req.method().as_str().as_bytes());
        hasher.update(b" ");
        hasher.update(req.uri().path().as_bytes());
        hasher.update(b"\n");
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Malformed {
                    en: "the body could not be read".into(),
                    da: "indholdet kunne ikke læses".into(),
                }
            }
        })?;
        hasher.update(&bytes);
        let value: T = serde_json::from_slice(&bytes).map_err(|e| describe(&e))?;
        // Fields the types do not know are refused by name, also where `flatten` keeps serde
        // from doing it.
        let given: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| describe(&e))?;
        let known = serde_json::to_value(&value).map_err(ApiError::internal)?;
        if let Some(path) = unknown_field(&given, &known, "") {
            return Err(not_known(&path));
        }
        Ok(JsonBody {
            value,
            hash: hasher.finalize().into(),
        })
    }
}

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

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or_else(|| {
            ApiError::bad(
                "Idempotency-Key must be 1–255 visible ASCII characters",
                "Idempotency-Key skal være 1–255 synlige ASCII-tegn",
            )
        })?;
    Ok(Some(key.to_owned()))
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

/// Appends audit entries and waits until they are durable.
pub(crate) async fn audit(state: &AppState, entries: Vec<AuditEntry>) -> Result<(), ApiError> {
    state
        .audit
        .append(entries)
        .await
        .map_err(ApiError::internal)
}

async fn write(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    command: Command,
    person_id: Option<String>,
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
    let (person, n) = parse_fact_id(&id).ok_or(ApiError::NotFound)?;
    let cmd = Command::EndCondition {
        condition: n,
        body: body.value,
    };
    write(
        &state,
        &caller,
        &headers,
        cmd,
        Some(person.to_owned()),
        body.hash,
    )
    .await
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
    let (person, n) = parse_fact_id(&body.value.fact_id).ok_or(ApiError::NotFound)?;
    let person = person.to_owned();
    let cmd = Command::Correct {
        fact: n,
        body: body.value,
    };
    write(&state, &caller, &headers, cmd, Some(person), body.hash).await
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
    let person = body.value.person_id.clone();
    write(
        &state,
        &caller,
        &headers,
        Command::HandOver(body.value),
        Some(person),
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

/// Search for a person by CPR number (in the body, never the URL).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cpr": "010190-1234"}))]
pub struct PersonSearch {
    /// CPR number.
    pub cpr: String,
}

/// Organisation kinds that never see persons: the supervisor sees aggregates only, the
/// operator administers (docs/access.md). Refused outright (403), and audited.
pub(crate) async fn may_read(
    state: &AppState,
    caller: &Caller,
    what: &str,
    action: &str,
) -> Result<(), ApiError> {
    let refusal = match caller.principal.org.kind {
        OrgKind::Supervisor | OrgKind::Operator => Some(ApiError::Forbidden(Vec::new())),
        // The § 10 test before use reads the sandbox, never production data; without a
        // sandbox it reads nothing.
        _ if caller.in_test() && state.sandbox.is_none() => Some(ApiError::NotInAgreement(
            format!("reading {what} while the agreement is in its test before use"),
        )),
        _ if !caller.principal.agreement.may_read(what) => {
            Some(ApiError::NotInAgreement(format!("reading {what}")))
        }
        _ => None,
    };
    match refusal {
        None => Ok(()),
        Some(e) => {
            let entry = caller.audit(state.clock.now(), action, None, "case handling", "denied");
            audit(state, vec![entry]).await?;
            Err(e)
        }
    }
}

/// Answers a person read: scoped, audited (durably) before the data leaves.
async fn person_response(
    state: &AppState,
    caller: &Caller,
    action: &str,
    p: fdg_store::PersonRecord,
) -> Result<Response, ApiError> {
    let visibility = fdg_domain::access::visibility(&caller.actor(), &p.scope, state.clock.today());
    let body =
        crate::service::scope::overview(&p.overview, visibility, p.scope.consent_to_disclose)
            .map_err(ApiError::internal)?;
    let outcome = if body.is_some() { "ok" } else { "denied" };
    let entry = caller.audit(
        state.clock.now(),
        action,
        Some(p.person_id),
        "case handling",
        outcome,
    );
    audit(state, vec![entry]).await?;
    let Some(body) = body else {
        return Err(ApiError::NotFound);
    };
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
    may_read(&state, &caller, "persons", "person.search").await?;
    let cpr = Cpr::parse(&body.value.cpr).map_err(|e| {
        let rule = match e {
            CprError::Format => &rules::CPR_FORMAT,
            CprError::Date => &rules::CPR_DATE,
        };
        ApiError::Rejected(vec![Violation::new(rule, "cpr")])
    })?;
    match caller.data(&state)?.person_by_cpr(&cpr).await? {
        Some(p) => person_response(&state, &caller, "person.search", p).await,
        None => {
            // A search that finds nobody is audited too.
            let entry = caller.audit(
                state.clock.now(),
                "person.search",
                None,
                "case handling",
                "not_found",
            );
            audit(&state, vec![entry]).await?;
            Err(ApiError::NotFound)
        }
    }
}

/// Time travel on a person read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
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
    params(("person_id" = String, Path, description = "Opaque person id"), AsOf),
    responses(
        (status = 200, body = fdg_domain::view::PersonOverview),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    Path(person_id): Path<String>,
    as_of: Result<Query<AsOf>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    may_read(&state, &caller, "persons", "person.read").await?;
    let Query(as_of) = as_of.map_err(|_| {
        ApiError::bad(
            "known_at must be an RFC 3339 time, valid_at a date",
            "known_at skal være et RFC 3339-tidspunkt, valid_at en dato",
        )
    })?;
    let known_at = as_of
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
    let valid_at = as_of
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
    let Some(mut p) = caller.data(&state)?.person(&person_id).await? else {
        let entry = caller.audit(
            state.clock.now(),
            "person.read",
            None,
            "case handling",
            "not_found",
        );
        audit(&state, vec![entry]).await?;
        return Err(ApiError::NotFound);
    };
    if known_at.is_some() || valid_at.is_some() {
        let events = caller.data(&state)?.person_events(&person_id).await?;
        let mut folded = fdg_domain::PersonState::default();
        for e in events
            .iter()
            .filter(|e| known_at.is_none_or(|k| e.recorded_at <= k))
        {
            let event: fdg_domain::Event =
                serde_json::from_str(&e.data_json).map_err(ApiError::internal)?;
            folded.apply(
                &fdg_domain::EventMeta {
                    version: e.version,
                    recorded_at: e.recorded_at,
                    recorded_by: e.org.clone(),
                },
                &event,
            );
        }
        if let Some(day) = valid_at {
            folded = folded.in_force_on(day);
        }
        // Before the person was known, there is nothing to show.
        let Some(overview) = fdg_domain::view::PersonOverview::build(&person_id, &folded) else {
            let entry = caller.audit(
                state.clock.now(),
                "person.read",
                Some(person_id.clone()),
                "history",
                "not_found",
            );
            audit(&state, vec![entry]).await?;
            return Err(ApiError::NotFound);
        };
        p.version = folded.version;
        p.overview = overview;
    }
    person_response(&state, &caller, "person.read", p).await
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
    may_read(&state, &caller, "persons", "person.history").await?;
    let Some(p) = caller.data(&state)?.person(&person_id).await? else {
        let entry = caller.audit(
            state.clock.now(),
            "person.history",
            None,
            "case handling",
            "not_found",
        );
        audit(&state, vec![entry]).await?;
        return Err(ApiError::NotFound);
    };
    let visibility = fdg_domain::access::visibility(&caller.actor(), &p.scope, state.clock.today());
    let entry_outcome = if visibility == fdg_domain::Visibility::Hidden {
        "denied"
    } else {
        "ok"
    };
    let entry = caller.audit(
        state.clock.now(),
        "person.history",
        Some(person_id.clone()),
        "case handling",
        entry_outcome,
    );
    audit(&state, vec![entry]).await?;
    if visibility == fdg_domain::Visibility::Hidden {
        return Err(ApiError::NotFound);
    }
    let events = caller.data(&state)?.person_events(&person_id).await?;
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

/// The OpenAPI 3.1 document of this API.
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        crate::api::openapi::json(),
    )
        .into_response()
}
