//! Consumer-managed subscriptions: a connected system subscribes its own agreement to the
//! event types it wants pushed to its URL (`PUT /api/v1/subscription`), idempotently, reads
//! what it subscribed to and how delivery goes (`GET`), and ends it (`DELETE`). Delivery is
//! the webhook's (`api::webhook`): signed batches, retries, parking, one node at a time, each
//! event scoped as the feed scopes it. An agreement has at most one subscription.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::auth::Caller;
use crate::edge::json::JsonBody;
use crate::service::read::may_read;
use crate::{ApiError, AppState};

/// Longest URL a subscription may name.
pub const MAX_URL: usize = 2000;

/// What to push, and where.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://fagsystem.example.dk/fdg/events",
    "types": ["job_seeker_registered", "cash_benefit_ceased"]
}))]
pub struct Subscription {
    /// Where the batches are POSTed: an `https://` URL (plain `http://` and addresses inside
    /// the registry's own network are refused at delivery).
    #[schema(max_length = 2000)]
    pub url: String,
    /// The event types to push (as in the feed's `type`); absent: every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
}

/// A subscription as the registry holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionState {
    /// Where the batches go.
    pub url: String,
    /// The event types pushed; absent: every type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// The last position delivered (or parked).
    pub position: u64,
    /// Failed attempts of the batch being delivered.
    pub attempts: u32,
    /// Why the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The HMAC-SHA256 key the batches are signed with: only in the answer that made it (a
    /// new subscription, or a new URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn checked(s: Subscription) -> Result<Subscription, ApiError> {
    let url = s.url.trim().to_owned();
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default();
    if url.len() > MAX_URL
        || host.is_empty()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::bad(
            format!("url must be a URL, https://…, of at most {MAX_URL} characters"),
            format!("url skal være en adresse, https://…, på højst {MAX_URL} tegn"),
        ));
    }
    let types = match s.types {
        None => None,
        Some(types) => {
            let mut chosen: Vec<String> = Vec::new();
            for t in types {
                if !fdg_domain::Event::TYPE_NAMES.contains(&t.as_str()) {
                    return Err(ApiError::bad(
                        "types must be event types of the feed (GET /api/v1/events shows them)",
                        "types skal være hændelsestyper fra hændelsesloggen (GET /api/v1/events viser dem)",
                    ));
                }
                if !chosen.contains(&t) {
                    chosen.push(t);
                }
            }
            if chosen.is_empty() {
                return Err(ApiError::bad(
                    "types must name at least one event type; leave it out for every type",
                    "types skal nævne mindst én hændelsestype; udelad feltet for alle typer",
                ));
            }
            Some(chosen)
        }
    };
    Ok(Subscription { url, types })
}

/// Who may subscribe: an agreement that may read the feed, in production (an agreement in
/// its test before use reads only the sandbox, which pushes nothing).
async fn may_subscribe(state: &AppState, caller: &Caller, action: &str) -> Result<(), ApiError> {
    may_read(state, &caller.reading(), "events", action).await??;
    if caller.in_test() {
        return Err(ApiError::NotInAgreement(
            "a subscription while the agreement is in its test before use (§ 10)".into(),
        ));
    }
    Ok(())
}

async fn current(state: &AppState, agreement: i64) -> Result<Option<SubscriptionState>, ApiError> {
    Ok(state
        .store
        .webhook(agreement)
        .await?
        .map(|h| SubscriptionState {
            url: h.url,
            types: h.types,
            position: h.position,
            attempts: h.attempts,
            last_error: h.last_error,
            secret: None,
        }))
}

/// Subscribe this agreement to event types at a URL (or change what it subscribed to). The
/// same body again changes nothing; another URL gets a new signing secret and carries on
/// from the position delivered. A new subscription starts with the events recorded after it.
#[utoipa::path(put, path = "/api/v1/subscription", tag = "feed", request_body = Subscription,
    responses(
        (status = 201, body = SubscriptionState, description = "Subscribed; the answer holds the signing secret"),
        (status = 200, body = SubscriptionState, description = "Changed (with a new secret if the URL changed)")),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<Subscription>,
) -> Result<Response, ApiError> {
    may_subscribe(&state, &caller, "subscription.set").await?;
    let wanted = checked(body.value)?;
    let agreement = caller.principal.agreement.id;
    let existed = current(&state, agreement).await?.is_some();
    let head = *state.store.watch_head().borrow();
    let secret = state
        .store
        .subscribe(agreement, &wanted.url, wanted.types, head)
        .await?;
    let Some(mut now) = current(&state, agreement).await? else {
        return Err(ApiError::internal("a subscription just made is not there"));
    };
    now.secret = secret;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(now)).into_response())
}

/// What this agreement subscribed to, and how delivery goes.
#[utoipa::path(get, path = "/api/v1/subscription", tag = "feed",
    responses((status = 200, body = SubscriptionState),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json", description = "Not subscribed")),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<SubscriptionState>, ApiError> {
    may_subscribe(&state, &caller, "subscription.read").await?;
    current(&state, caller.principal.agreement.id)
        .await?
        .map(axum::Json)
        .ok_or(ApiError::NotFound)
}

/// End this agreement's subscription: nothing more is pushed.
#[utoipa::path(delete, path = "/api/v1/subscription", tag = "feed",
    responses((status = 204, description = "Ended"),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json", description = "Not subscribed")),
    security(("bearer" = [])))]
pub async fn delete(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    may_subscribe(&state, &caller, "subscription.end").await?;
    if state
        .store
        .unsubscribe(caller.principal.agreement.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
