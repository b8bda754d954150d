//! The event feed (§ 1, nr. 1: registered once, reused by every relevant actor; § 3, stk. 3
//! and § 5: notification between authorities *is* registration).
//!
//! - `GET /api/v1/events?after=&since=&limit=&types=&wait=`: events in position order, scoped
//!   to the caller, long-polling up to `wait` seconds when nothing is new.
//! - `PUT /api/v1/feed/cursor`, `GET /api/v1/feed/cursor`, `GET /api/v1/feed/next`: a durable
//!   cursor per connection agreement; `next` continues after the acknowledged position.
//! - `GET /api/v1/events/stream`: the whole log (from `after`) as `application/x-ndjson`, for
//!   consumers that start from zero.
//!
//! With one writer, positions are allocated in commit order, so a reader paging by position
//! never skips an event that commits later with a smaller position.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fdg_domain::agreement::AgreementState;
use fdg_domain::view::fact_id;
use fdg_store::StoredEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use crate::edge::auth::Caller;
use crate::edge::json::JsonBody;
use crate::service::read::{audit, may_read};
use crate::{ApiError, AppState};

/// Longest long-poll.
const MAX_WAIT: u64 = 30;

/// The routes of the feed.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(events))
        .route("/events/stream", get(stream))
        .route("/feed/cursor", get(get_cursor).put(put_cursor))
        .route("/feed/next", get(next))
}

/// Which events, and how long to wait for new ones.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Return events after this position (0 = from the start).
    #[serde(default)]
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    pub after: u64,
    /// Instead of `after`: replay from this recorded time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// At most this many (1–1000, default 100; more is read as 1000).
    #[param(minimum = 1, maximum = 2_147_483_647)]
    pub limit: Option<u32>,
    /// Only these event types, comma-separated (e.g. `cash_benefit_ceased,job_seeker_deregistered`).
    #[param(pattern = "^[a-z_]+(,[a-z_]+)*$")]
    pub types: Option<String>,
    /// When nothing is new, wait up to this many seconds (0–30; more is read as 30).
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    pub wait: Option<u64>,
}

/// Why an event concerns another authority (§ 3, stk. 3; § 4, stk. 1; § 5).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// The provision that makes this registration a notification.
    pub provision: &'static str,
    /// What is notified, in English.
    pub about: &'static str,
}

/// One event in the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    /// Global position.
    pub position: u64,
    /// The person.
    pub person_id: String,
    /// The fact id, `<person_id>.<version>`.
    pub fact_id: String,
    /// Number in the person's stream.
    pub version: u64,
    /// Event type.
    pub r#type: String,
    /// Transaction time.
    pub recorded_at: String,
    /// Acting organisation `kind:code`.
    pub recorded_by: String,
    /// Set when the event is a notification between authorities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification>,
    /// The event.
    #[schema(value_type = Object)]
    pub data: Box<serde_json::value::RawValue>,
}

/// A page of the event feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events in position order.
    pub events: Vec<FeedEvent>,
    /// Pass this as `after` to continue (it moves past events the caller may not see, too).
    pub next_after: u64,
}

/// The notification an event carries, if any.
pub fn notification(r#type: &str, recorded_by: &str, data_json: &str) -> Option<Notification> {
    let consequence = |rule: &str| {
        data_json.contains("\"consequence_of\"") && data_json.contains(&format!("\"{rule}\""))
    };
    match r#type {
        "cash_benefit_ceased" => Some(Notification {
            provision: "§ 3, stk. 3",
            about: "cash or start benefit ceased",
        }),
        "job_seeker_deregistered"
            if consequence(fdg_domain::rules::S5_DEREGISTERED_AS_CONSEQUENCE.id) =>
        {
            Some(Notification {
                provision: "§ 5",
                about: "no longer to be registered: not solely unemployed, or exempted from availability",
            })
        }
        "job_seeker_deregistered" if recorded_by.starts_with("municipal-jobcenter:") => {
            Some(Notification {
                provision: "§ 5",
                about: "deregistered by the municipality",
            })
        }
        "job_seeker_registered"
            if consequence(fdg_domain::rules::S4_1_REGISTERED_AS_CONSEQUENCE.id) =>
        {
            Some(Notification {
                provision: "§ 4, stk. 1",
                about: "registered: assessed as unemployed and nothing else",
            })
        }
        _ => None,
    }
}

/// The date in Denmark at an instant (the zone database is compiled in).
fn danish_date(at: jiff::Timestamp) -> jiff::civil::Date {
    static TZ: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    TZ.get_or_init(|| {
        jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC)
    })
    .to_datetime(at)
    .date()
}

/// The caller's view of a batch of stored events: scoped, filtered by type, and the persons
/// delivered (to audit).
pub(crate) fn view(
    actor: &fdg_domain::Actor,
    today: jiff::civil::Date,
    rows: Vec<StoredEvent>,
    types: Option<&[&str]>,
) -> Result<(Vec<FeedEvent>, Vec<String>), ApiError> {
    let mut events = Vec::with_capacity(rows.len());
    let mut delivered: Vec<String> = Vec::new();
    for e in rows {
        if types.is_some_and(|t| !t.contains(&e.r#type.as_str())) {
            continue;
        }
        // As things stood when the event was recorded: its scope, on its day.
        let day = danish_date(e.recorded_at).min(today);
        let visibility = fdg_domain::access::visibility(actor, &e.scope, day);
        let latest_disclose = e.scope.consent_to_disclose;
        let Some(data_json) =
            crate::service::scope::event(&e.r#type, e.data_json, visibility, latest_disclose)
                .map_err(ApiError::internal)?
        else {
            continue;
        };
        if !delivered.contains(&e.person_id) {
            delivered.push(e.person_id.clone());
        }
        events.push(FeedEvent {
            fact_id: fact_id(&e.person_id, e.version),
            notification: notification(&e.r#type, &e.org, &data_json),
            position: e.position,
            person_id: e.person_id,
            version: e.version,
            r#type: e.r#type,
            recorded_at: e.recorded_at.to_string(),
            recorded_by: e.org,
            data: serde_json::value::RawValue::from_string(data_json)
                .map_err(ApiError::internal)?,
        });
    }
    Ok((events, delivered))
}

async fn audit_delivery(
    state: &AppState,
    caller: &Caller,
    delivered: Vec<String>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let entries = delivered
        .into_iter()
        .map(|p| {
            caller.audit(
                now,
                "feed.read",
                Some(p),
                "reuse of registered data (§ 1, nr. 1)",
                "ok",
            )
        })
        .collect();
    Ok(audit(state, entries).await?)
}

/// Whether the caller's agreement, read again during a long poll or a stream, may still
/// read what the call began reading: usable today and in the same state (an agreement
/// activated meanwhile reads production from its next call, never on a sandbox page).
fn still_reads(
    state: &AppState,
    caller: &Caller,
    now: Option<&fdg_store::Agreement>,
) -> Result<(), ApiError> {
    let today = state.clock.today();
    match now {
        Some(a) if a.state == AgreementState::Suspended => Err(ApiError::AccessClosed),
        Some(a)
            if a.valid_on(today)
                && a.state == caller.principal.agreement.state
                && matches!(a.state, AgreementState::Active | AgreementState::Test) =>
        {
            Ok(())
        }
        _ => Err(ApiError::AgreementEnded),
    }
}

/// The event types a query names (`types`, comma-separated): each a lower-case name with
/// underscores, as the document's pattern says; anything else is refused.
fn event_types(types: Option<&str>) -> Result<Option<Vec<&str>>, ApiError> {
    let Some(types) = types else { return Ok(None) };
    let names: Vec<&str> = types.split(',').map(str::trim).collect();
    if names
        .iter()
        .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    {
        return Err(ApiError::bad(
            "types must be event type names (lower case and _), separated by commas",
            "types skal være hændelsestyper (små bogstaver og _), adskilt af kommaer",
        ));
    }
    Ok(Some(names))
}

/// A page after `after`, waiting up to `wait` for something the caller may see.
async fn page(
    state: &AppState,
    caller: &Caller,
    after: u64,
    limit: u32,
    types: Option<&str>,
    wait: u64,
) -> Result<EventPage, ApiError> {
    let types = event_types(types)?;
    if i64::try_from(wait).is_err() {
        return Err(bad_query());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait.min(MAX_WAIT));
    let data = caller.data(state)?;
    let mut head = data.watch_head();
    let mut after = after;
    loop {
        head.borrow_and_update();
        let rows = data.events_after(after, limit).await?;
        let scanned_to = rows.last().map_or(after, |e| e.position);
        let (events, delivered) =
            view(&caller.actor(), state.clock.today(), rows, types.as_deref())?;
        if !events.is_empty() || tokio::time::Instant::now() >= deadline {
            audit_delivery(state, caller, delivered).await?;
            return Ok(EventPage {
                events,
                next_after: scanned_to,
            });
        }
        after = scanned_to;
        if scanned_to < *head.borrow() {
            // More was committed than this page scanned: keep reading without waiting.
            continue;
        }
        // Wake at least every second, so a suspension is noticed even when nothing commits.
        let wake = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
        if let Ok(Err(_)) = tokio::time::timeout_at(wake, head.changed()).await {
            // The writer has stopped: nothing more will come.
            return Ok(EventPage {
                events: Vec::new(),
                next_after: after,
            });
        }
        // A suspension or termination during the wait stops the feed at once.
        let still = state
            .store
            .agreement(caller.principal.agreement.id)
            .await?
            .map(|(a, _)| a);
        still_reads(state, caller, still.as_ref())?;
    }
}

/// The page size asked for: 1–1000 (default 100). 0 is refused (it would page nothing);
/// more than 1000 is read as 1000, as documented, up to the document's maximum (2^31−1),
/// beyond which it is refused.
fn page_size(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        Some(n) if n == 0 || i32::try_from(n).is_err() => Err(ApiError::bad(
            "limit must be 1–1000",
            "limit skal være 1–1000",
        )),
        other => Ok(other.unwrap_or(100).min(1000)),
    }
}

fn bad_query() -> ApiError {
    ApiError::bad(
        "after, limit and wait must be non-negative integers; since an RFC 3339 time",
        "after, limit og wait skal være ikke-negative heltal; since et RFC 3339-tidspunkt",
    )
}

/// The event log in position order, scoped to the caller; long-polls with `wait`.
#[utoipa::path(get, path = "/api/v1/events", tag = "feed", params(EventsQuery),
    responses((status = 200, body = EventPage)),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<EventPage>, ApiError> {
    may_read(&state, &caller.reading(), "events", "feed.read").await??;
    let Query(q) = query.map_err(|_| bad_query())?;
    if i64::try_from(q.after).is_err() {
        return Err(bad_query());
    }
    let after = match &q.since {
        Some(since) => {
            let at: jiff::Timestamp = since.parse().map_err(|_| bad_query())?;
            caller.data(&state)?.position_before(at).await?
        }
        None => q.after,
    };
    let limit = page_size(q.limit)?;
    let page = page(
        &state,
        &caller,
        after,
        limit,
        q.types.as_deref(),
        q.wait.unwrap_or(0),
    )
    .await?;
    Ok(axum::Json(page))
}

/// A durable cursor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// The last position the consumer has processed.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub position: u64,
}

/// The agreement's acknowledged position.
#[utoipa::path(get, path = "/api/v1/feed/cursor", tag = "feed",
    responses((status = 200, body = Cursor)), security(("bearer" = [])))]
pub async fn get_cursor(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Cursor>, ApiError> {
    let position = state.store.cursor(caller.principal.agreement.id).await?;
    Ok(axum::Json(Cursor { position }))
}

/// Acknowledges that everything up to `position` has been processed.
#[utoipa::path(put, path = "/api/v1/feed/cursor", tag = "feed", request_body = Cursor,
    responses((status = 200, body = Cursor), (status = 400, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_cursor(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<Cursor>,
) -> Result<axum::Json<Cursor>, ApiError> {
    may_read(&state, &caller.reading(), "events", "feed.cursor").await??;
    let head = *caller.data(&state)?.watch_head().borrow();
    if body.value.position > head {
        return Err(ApiError::bad(
            format!(
                "position {} is beyond the newest event ({head})",
                body.value.position
            ),
            format!(
                "position {} ligger efter den nyeste hændelse ({head})",
                body.value.position
            ),
        ));
    }
    state
        .store
        .set_cursor(caller.principal.agreement.id, body.value.position)
        .await?;
    Ok(axum::Json(body.value))
}

/// How much to read after the cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NextQuery {
    /// At most this many (1–1000, default 100; more is read as 1000).
    #[param(minimum = 1, maximum = 2_147_483_647)]
    pub limit: Option<u32>,
    /// Only these event types, comma-separated.
    #[param(pattern = "^[a-z_]+(,[a-z_]+)*$")]
    pub types: Option<String>,
    /// When nothing is new, wait up to this many seconds (0–30; more is read as 30).
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    pub wait: Option<u64>,
}

/// The events after the agreement's acknowledged position (acknowledge with PUT /feed/cursor
/// after processing them; a restart resumes from there).
#[utoipa::path(get, path = "/api/v1/feed/next", tag = "feed", params(NextQuery),
    responses((status = 200, body = EventPage)), security(("bearer" = [])))]
pub async fn next(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<EventPage>, ApiError> {
    may_read(&state, &caller.reading(), "events", "feed.read").await??;
    let Query(q) = query.map_err(|_| bad_query())?;
    let after = state.store.cursor(caller.principal.agreement.id).await?;
    let limit = page_size(q.limit)?;
    let page = page(
        &state,
        &caller,
        after,
        limit,
        q.types.as_deref(),
        q.wait.unwrap_or(0),
    )
    .await?;
    Ok(axum::Json(page))
}

/// A response body fed from a channel of chunks.
struct ChannelBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}

/// Where the stream starts and what it carries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Start after this position (0 = from the start).
    #[serde(default)]
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    pub after: u64,
    /// Only these event types, comma-separated.
    #[param(pattern = "^[a-z_]+(,[a-z_]+)*$")]
    pub types: Option<String>,
}

/// Bulk catch-up: every event after `after` up to the newest at the time of the request, one
/// JSON object per line (`application/x-ndjson`). Each page is audited before it is sent.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "feed", params(StreamQuery),
    responses((status = 200, description = "One FeedEvent per line", content_type = "application/x-ndjson")),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    may_read(&state, &caller.reading(), "events", "feed.read").await??;
    let Query(q) = query.map_err(|_| bad_query())?;
    if i64::try_from(q.after).is_err() {
        return Err(bad_query());
    }
    let types: Option<Vec<String>> = event_types(q.types.as_deref())?
        .map(|names| names.into_iter().map(str::to_owned).collect());
    let data = caller.data(&state)?.clone();
    let end = *data.watch_head().borrow();
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut after = q.after;
        while after < end {
            let result: Result<Option<Bytes>, ApiError> = async {
                // A suspension or termination stops the stream at once.
                let still = state
                    .store
                    .agreement(caller.principal.agreement.id)
                    .await?
                    .map(|(a, _)| a);
                still_reads(&state, &caller, still.as_ref()).map_err(|_| ApiError::AccessClosed)?;
                let rows = data.events_after(after, 1000).await?;
                let Some(last) = rows.last().map(|e| e.position) else {
                    return Ok(None);
                };
                after = last;
                let rows: VecDeque<StoredEvent> =
                    rows.into_iter().take_while(|e| e.position <= end).collect();
                let types: Option<Vec<&str>> = types
                    .as_ref()
                    .map(|t| t.iter().map(String::as_str).collect());
                let (events, delivered) = view(
                    &caller.actor(),
                    state.clock.today(),
                    rows.into(),
                    types.as_deref(),
                )?;
                audit_delivery(&state, &caller, delivered).await?;
                let mut buf = Vec::new();
                for e in &events {
                    serde_json::to_writer(&mut buf, e).map_err(ApiError::internal)?;
                    buf.push(b'\n');
                }
                Ok(Some(Bytes::from(buf)))
            }
            .await;
            match result {
                Ok(Some(chunk)) => {
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx
                        .send(Err(std::io::Error::other(format!(
                            "{:?}",
                            e.problem().r#type
                        ))))
                        .await;
                    return;
                }
            }
        }
    });
    let mut res = Body::new(ChannelBody(rx)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(res)
}
