//! Authentication of connected systems: a bearer token bound to a connection agreement
//! (§ 10). The agreement's state decides what the caller may do: `test` writes are validated
//! and not stored, `suspended` (§ 13) and `terminated` are refused.
//!
//! Danish web services carry the person acting inside the calling system: callers send
//! `X-Caseworker-Id` and `X-Caseworker-Name`, `X-On-Behalf-Of` (`kind:code`) when acting for
//! another organisation, and `X-Purpose`. They are recorded on every event and audit entry.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use fdg_domain::Actor;
use fdg_domain::agreement::AgreementState;
use fdg_store::audit::AuditEntry;
use std::sync::Arc;

use fdg_store::{Principal, Store, WriteContext};

use crate::edge::conn::ClientCertificate;
use crate::{ApiError, AppState};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who the token belongs to, and its agreement.
    pub principal: Principal,
    /// The caseworker acting inside the calling system (`id name`), if sent.
    pub acting_person: Option<String>,
    /// The organisation acted for, if sent.
    pub on_behalf_of: Option<String>,
    /// The purpose given, if any.
    pub purpose: Option<String>,
}

fn header_text(headers: &HeaderMap, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        // UTF-8 is accepted: Danish names and purposes have æ, ø and å.
        Some(v) => std::str::from_utf8(v.as_bytes())
            .ok()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= max)
            .map(|s| Some(s.to_owned()))
            .ok_or_else(|| {
                ApiError::bad(
                    format!("{name} must be 1–{max} bytes of UTF-8 text"),
                    format!("{name} skal være 1–{max} byte UTF-8-tekst"),
                )
            }),
    }
}

impl Caller {
    /// The acting organisation, as the rules see it.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: self.principal.org.kind,
            code: self.principal.org.code.clone(),
        }
    }

    /// The idempotency scope: the agreement, so rotating its tokens keeps keys valid, and two
    /// vendors of one organisation never collide.
    pub fn scope(&self) -> String {
        format!("agreement:{}", self.principal.agreement.id)
    }

    /// What is recorded with every event written by this caller.
    pub fn context(&self) -> WriteContext {
        WriteContext {
            agreement: Some(self.principal.agreement.id),
            acting_person: self.acting_person.clone(),
            on_behalf_of: self.on_behalf_of.clone(),
        }
    }

    /// Whether the agreement is in its test before use (§ 10): it works in the sandbox.
    pub fn in_test(&self) -> bool {
        self.principal.agreement.state == AgreementState::Test
    }

    /// The store holding the persons this caller works with: the sandbox for an agreement in
    /// its test before use, production otherwise. An agreement in test never reaches
    /// production data: without a sandbox its reads are refused here.
    pub fn data<'a>(&self, state: &'a AppState) -> Result<&'a Arc<dyn Store>, ApiError> {
        crate::service::read::data_of(state, &self.reading())
            .ok_or_else(|| ApiError::NotInAgreement(crate::service::read::NO_SANDBOX.into()))
    }

    /// Who acts, for the write path and the audited read: the agreement's organisation under
    /// its agreement, for the purpose the caller stated or else `default_purpose`.
    pub fn acting_as(&self, default_purpose: &str) -> crate::service::write::Acting {
        crate::service::write::Acting {
            actor: self.actor(),
            context: self.context(),
            audit_org: self.actor().label(),
            credential: self.scope(),
            audit_person: self.acting_person.clone(),
            purpose: self
                .purpose
                .clone()
                .unwrap_or_else(|| default_purpose.to_owned()),
            agreement: Some(self.principal.agreement.clone()),
            test_before_use: self.in_test(),
        }
    }

    /// Who records (purpose: registration, unless the caller stated one).
    pub fn acting(&self) -> crate::service::write::Acting {
        self.acting_as("registration")
    }

    /// Who reads (purpose: case handling, unless the caller stated one).
    pub fn reading(&self) -> crate::service::write::Acting {
        self.acting_as("case handling")
    }

    /// An audit entry for this caller.
    pub fn audit(
        &self,
        at: jiff::Timestamp,
        action: impl Into<String>,
        person_id: Option<String>,
        default_purpose: &str,
        outcome: &str,
    ) -> AuditEntry {
        self.acting_as(default_purpose)
            .audit_entry(at, action, person_id, outcome)
    }
}

/// The organisation acted for (`X-On-Behalf-Of`), parsed as the `kind:code` label it must be.
fn on_behalf_of(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(text) = header_text(headers, "x-on-behalf-of", 100)? else {
        return Ok(None);
    };
    match fdg_domain::Actor::parse_label(&text) {
        Some(actor) => Ok(Some(actor.label())),
        None => Err(ApiError::bad(
            "X-On-Behalf-Of must name an organisation as kind:code, e.g. municipal-jobcenter:101",
            "X-On-Behalf-Of skal navngive en organisation som art:kode, fx municipal-jobcenter:101",
        )),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let found = match (token, parts.extensions.get::<ClientCertificate>()) {
            (Some(token), _) => state.store.authenticate(token).await?,
            // A TLS client certificate bound to an agreement (tls.rs).
            (None, Some(cert)) => {
                state
                    .store
                    .authenticate_certificate(&cert.fingerprint)
                    .await?
            }
            (None, None) => None,
        };
        let Some(principal) = found else {
            return Err(ApiError::Unauthenticated);
        };
        let agreement = &principal.agreement;
        let refusal = match agreement.state {
            AgreementState::Suspended => Some(ApiError::AccessClosed),
            AgreementState::Terminated => Some(ApiError::AgreementEnded),
            _ if !agreement.valid_on(state.clock.today()) => Some(ApiError::AgreementEnded),
            _ => None,
        };
        let acting_person = match (
            header_text(&parts.headers, "x-caseworker-id", 100)?,
            header_text(&parts.headers, "x-caseworker-name", 200)?,
        ) {
            (Some(id), Some(name)) => Some(format!("{id} {name}")),
            (Some(id), None) => Some(id),
            (None, Some(name)) => Some(name),
            (None, None) => None,
        };
        let caller = Caller {
            principal,
            acting_person,
            on_behalf_of: on_behalf_of(&parts.headers)?,
            purpose: header_text(&parts.headers, "x-purpose", 200)?,
        };
        if let Some(refusal) = refusal {
            // Refused access is audited too (no person: the request never got that far).
            let route = parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map_or(parts.uri.path(), |m| m.as_str());
            let entry = caller.audit(
                state.clock.now(),
                attempted(&parts.method, route),
                None,
                "web service call",
                "denied",
            );
            state.audit.append(vec![entry]).await?;
            return Err(refusal);
        }
        Ok(caller)
    }
}

/// The audit action of a web-service call refused before its handler ran (the agreement is
/// suspended, terminated or out of its dates): the word the handler itself would have
/// audited, so the refused attempt is found beside the successful ones.
pub(crate) fn attempted(method: &axum::http::Method, route: &str) -> String {
    let tail = route.strip_prefix("/api/v1").unwrap_or(route);
    let write = |kind: &str| format!("write.{kind}");
    match (method.as_str(), tail) {
        ("POST", "/jobseeker-registrations") => write("jobseeker_registration"),
        ("POST", "/jobseeker-deregistrations") => write("jobseeker_deregistration"),
        ("POST", "/registration-changes") => write("registration_change"),
        ("POST", "/first-contacts") => write("first_contact"),
        ("POST", "/benefit-cessations") => write("benefit_cessation"),
        ("POST", "/periodic-conditions") => write("periodic_condition_start"),
        ("POST", "/periodic-conditions/{fact_id}/end") => write("periodic_condition_end"),
        ("POST", "/contact-interviews") => write("contact_interview"),
        ("POST", "/other-actor-assignments") => write("other_actor_assignment"),
        ("POST", "/municipality-handovers") => write("municipality_handover"),
        ("POST", "/corrections") => write("correction"),
        ("POST", "/persons/search") => "person.search".into(),
        ("GET", "/persons/{person_id}") => "person.read".into(),
        ("GET", "/persons/{person_id}/history") => "person.history".into(),
        ("GET", "/events" | "/events/stream" | "/feed/next") => "feed.read".into(),
        (_, "/feed/cursor") => "feed.cursor".into(),
        ("PUT", "/subscription") => "subscription.set".into(),
        ("GET", "/subscription") => "subscription.read".into(),
        ("DELETE", "/subscription") => "subscription.end".into(),
        ("GET", "/worklist") => "worklist.read".into(),
        ("GET", "/code-lists") => "reference.code_lists".into(),
        ("GET", "/rules") => "reference.rules".into(),
        (_, t) if t.starts_with("/supervision/") => "supervision.read".into(),
        _ => "api.unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_service_route_has_an_audit_action_for_a_refused_call() {
        let doc: serde_json::Value =
            serde_json::from_str(&crate::api::openapi::json()).expect("the OpenAPI document");
        let paths = doc["paths"].as_object().expect("paths");
        let mut seen = 0;
        for (path, item) in paths {
            if path == "/api/v1/me/access-log" {
                continue; // the citizen's, not an agreement's
            }
            for method in item.as_object().expect("methods").keys() {
                let m: axum::http::Method = method.to_uppercase().parse().expect("a method");
                let action = attempted(&m, path);
                assert_ne!(action, "api.unknown", "{method} {path}");
                assert!(!action.contains(' '), "{action}");
                seen += 1;
            }
        }
        assert!(seen >= 20, "{seen}");
        let write = attempted(&axum::http::Method::POST, "/api/v1/first-contacts");
        assert_eq!(
            write,
            format!(
                "write.{}",
                fdg_domain::Command::FirstContact(Default::default()).kind()
            )
        );
    }
}
