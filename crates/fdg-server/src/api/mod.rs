//! The JSON web services under `/api/v1` (§ 7, stk. 2, nr. 2).
//!
//! Writes take an optional `Idempotency-Key` (a retry with the same key and body returns the
//! first answer; with another body, 422) and an optional `If-Match` with the person's version
//! (409 when it has moved on). CPR numbers travel only in request bodies, never in URLs.

pub mod citizen;
pub mod feed;
pub mod openapi;
pub mod persons;
pub mod records;
pub mod reference;
pub mod subscriptions;
pub mod supervision;
pub mod webhook;
pub mod worklist;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use persons::{history, person, search};
use records::*;
use reference::{code_lists, rules_table};

/// The routes of `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobseeker-registrations", post(register))
        .route("/jobseeker-deregistrations", post(deregister))
        .route("/registration-changes", post(change_registration))
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
        .route("/openapi.json", get(openapi::document))
        .route("/me/access-log", get(citizen::access_log))
        .route("/worklist", get(worklist::worklist))
        .route(
            "/subscription",
            get(subscriptions::get)
                .put(subscriptions::put)
                .delete(subscriptions::delete),
        )
}
