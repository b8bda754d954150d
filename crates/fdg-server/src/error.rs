//! The one error type of the HTTP edge, answered as `application/problem+json` (RFC 9457).
//!
//! Every problem has a stable `type` (`urn:fdg:problem:<code>`), an English `title` and `detail`
//! and a Danish `title_da` and `detail_da`. Rule violations list each broken rule with its
//! provision. Unexpected failures are 500 with a reference id; the cause is logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fdg_domain::{RuleKind, Violation};
use serde::Serialize;
use utoipa::ToSchema;

/// One violated rule in a problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViolationBody {
    /// Stable rule id, e.g. `fdg.s8.1.nr4.benefit_category_required`.
    pub rule: String,
    /// The provision of the order, e.g. `§ 8, stk. 1, nr. 4`.
    pub provision: String,
    /// The request field concerned (JSON path), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Danish message.
    pub message_da: String,
    /// English message.
    pub message_en: String,
}

impl From<&Violation> for ViolationBody {
    fn from(v: &Violation) -> Self {
        ViolationBody {
            rule: v.rule.id.to_owned(),
            provision: v.rule.provision.to_owned(),
            field: v.field.clone(),
            message_da: v.rule.message_da.to_owned(),
            message_en: v.rule.message_en.to_owned(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:fdg:problem:<code>`.
    pub r#type: String,
    /// English title.
    pub title: String,
    /// Danish title.
    pub title_da: String,
    /// HTTP status.
    pub status: u16,
    /// English detail.
    pub detail: String,
    /// Danish detail.
    pub detail_da: String,
    /// Violated rules (422 and 403).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ViolationBody>,
    /// The person's current stream version (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// Reference id of an unexpected failure (500), to quote to support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON of the expected shape (400). The text never echoes input values.
    Malformed(String),
    /// A header or path parameter is malformed (400).
    BadParameter {
        /// What is wrong, in English.
        en: String,
        /// What is wrong, in Danish.
        da: String,
    },
    /// No or unknown credentials (401).
    Unauthenticated,
    /// Wrong username or password (401).
    LoginFailed,
    /// Logged in with a one-time password: a new one must be chosen first (a redirect to
    /// `/password` for browsers, 403 otherwise).
    MustChangePassword,
    /// Too many failed logins for this username; seconds to wait (429).
    TooManyAttempts(u64),
    /// The request was not sent (or not answered) in time: a body trickling in (408).
    RequestTimeout,
    /// The rules refuse the request for this organisation (403), or, with no violations, the
    /// organisation may not use this endpoint at all.
    Forbidden(Vec<Violation>),
    /// No such resource, or not visible to the caller (404).
    NotFound,
    /// The agreement is suspended (§ 13): use the browser registration tool (403).
    AccessClosed,
    /// The agreement is terminated or outside its validity (403).
    AgreementEnded,
    /// The agreement does not cover this record type or read (403).
    NotInAgreement(String),
    /// If-Match does not match the person's version (409).
    Conflict {
        /// The current version.
        current: u64,
    },
    /// The rules refuse the request (422).
    Rejected(Vec<Violation>),
    /// The idempotency key was used with a different request (422).
    IdempotencyMismatch,
    /// Anything unexpected (500). The cause is logged with the reference, never sent.
    Internal(String),
}

impl ApiError {
    /// An unexpected failure: logs the cause with a fresh reference id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut b = [0u8; 6];
        let reference = match getrandom::fill(&mut b) {
            Ok(()) => b.iter().map(|x| format!("{x:02x}")).collect(),
            Err(_) => "unknown".to_owned(),
        };
        tracing::error!(reference = %reference, error = %cause, "unexpected failure");
        ApiError::Internal(reference)
    }

    /// A malformed header, path or query parameter (400), said in both languages.
    pub fn bad(en: impl Into<String>, da: impl Into<String>) -> Self {
        ApiError::BadParameter {
            en: en.into(),
            da: da.into(),
        }
    }

    /// Splits violations into 403 (any permission rule) or 422.
    pub fn from_violations(v: Vec<Violation>) -> Self {
        if v.iter().any(|v| v.rule.kind == RuleKind::Permission) {
            ApiError::Forbidden(
                v.into_iter()
                    .filter(|v| v.rule.kind == RuleKind::Permission)
                    .collect(),
            )
        } else {
            ApiError::Rejected(v)
        }
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        let p = |status: StatusCode,
                 code: &str,
                 title: &str,
                 title_da: &str,
                 detail: String,
                 detail_da: String| Problem {
            r#type: format!("urn:fdg:problem:{code}"),
            title: title.to_owned(),
            title_da: title_da.to_owned(),
            status: status.as_u16(),
            detail,
            detail_da,
            violations: Vec::new(),
            current_version: None,
            reference: None,
        };
        match self {
            ApiError::Malformed(why) => p(
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request",
                "Forespørgslen kan ikke læses",
                format!("The request body is not valid JSON of the expected shape: {why}."),
                format!("Forespørgslens indhold er ikke gyldig JSON af den forventede form: {why}."),
            ),
            ApiError::BadParameter { en, da } => p(
                StatusCode::BAD_REQUEST,
                "bad-parameter",
                "Bad parameter",
                "Ugyldig parameter",
                en.clone(),
                da.clone(),
            ),
            ApiError::Unauthenticated => p(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "Adgang kræver godkendelse",
                "Send a valid bearer token in the Authorization header.".into(),
                "Send et gyldigt adgangstoken i Authorization-headeren.".into(),
            ),
            ApiError::MustChangePassword => p(
                StatusCode::FORBIDDEN,
                "must-change-password",
                "Choose a new password first",
                "Vælg først en ny adgangskode",
                "You logged in with a one-time password; choose your own at /password.".into(),
                "Du er logget ind med en engangsadgangskode; vælg din egen på /password.".into(),
            ),
            ApiError::LoginFailed => p(
                StatusCode::UNAUTHORIZED,
                "login-failed",
                "Wrong username or password",
                "Forkert brugernavn eller adgangskode",
                "The username or the password is wrong.".into(),
                "Brugernavnet eller adgangskoden er forkert.".into(),
            ),
            ApiError::TooManyAttempts(seconds) => p(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many failed logins",
                "For mange mislykkede login",
                format!("Too many failed logins for this user. Try again in {} minute(s).", seconds.div_ceil(60)),
                format!("For mange mislykkede login for denne bruger. Prøv igen om {} minut(ter).", seconds.div_ceil(60)),
            ),
            ApiError::RequestTimeout => p(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "The request took too long",
                "Forespørgslen tog for lang tid",
                "The request was not received and answered within the time allowed; nothing was recorded unless an answer said so. Send it again.".into(),
                "Forespørgslen blev ikke modtaget og besvaret inden for den tilladte tid; intet er registreret, medmindre et svar sagde det. Send den igen.".into(),
            ),
            ApiError::Forbidden(v) => {
                let mut pr = p(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Not permitted for this organisation",
                    "Ikke tilladt for denne organisation",
                    if v.is_empty() {
                        "The acting organisation may not do this.".into()
                    } else {
                        "The acting organisation may not record this.".into()
                    },
                    if v.is_empty() {
                        "Den handlende organisation må ikke gøre dette.".into()
                    } else {
                        "Den handlende organisation må ikke registrere dette.".into()
                    },
                );
                pr.violations = v.iter().map(ViolationBody::from).collect();
                pr
            }
            ApiError::NotFound => p(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "Ikke fundet",
                "No such resource is visible to you.".into(),
                "Der findes ingen sådan ressource, som du har adgang til.".into(),
            ),
            ApiError::AccessClosed => p(
                StatusCode::FORBIDDEN,
                "access-closed",
                "Access to the web services is closed",
                "Adgangen til webservicerne er lukket",
                "The operator has closed this organisation's access to register through the web services (§ 13). Register through the browser registration tool (Det Digitale Registreringsværktøj) until access is reinstated.".into(),
                "Arbejdsmarkedsstyrelsen har lukket organisationens adgang til at registrere via webservicerne (§ 13). Registrér i den browserbaserede registreringsløsning (Det Digitale Registreringsværktøj), indtil adgangen genåbnes.".into(),
            ),
            ApiError::AgreementEnded => p(
                StatusCode::FORBIDDEN,
                "agreement-ended",
                "No valid connection agreement",
                "Ingen gyldig tilslutningsaftale",
                "The connection agreement behind this credential is terminated or not valid today (§ 10).".into(),
                "Tilslutningsaftalen bag denne adgang er ophørt eller ikke gyldig i dag (§ 10).".into(),
            ),
            ApiError::NotInAgreement(what) => p(
                StatusCode::FORBIDDEN,
                "not-in-agreement",
                "Not covered by the connection agreement",
                "Ikke omfattet af tilslutningsaftalen",
                format!("The connection agreement does not cover {what} (§ 10)."),
                format!("Tilslutningsaftalen omfatter ikke {what} (§ 10)."),
            ),
            ApiError::Conflict { current } => {
                let mut pr = p(
                    StatusCode::CONFLICT,
                    "version-conflict",
                    "Version conflict",
                    "Versionskonflikt",
                    format!("The person has changed since you read it (now version {current}). Read the person again and retry."),
                    format!("Personen er ændret, siden du læste den (nu version {current}). Læs personen igen og prøv igen."),
                );
                pr.current_version = Some(*current);
                pr
            }
            ApiError::Rejected(v) => {
                let mut pr = p(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rule-violation",
                    "The request breaks rules of the order",
                    "Forespørgslen overtræder regler i bekendtgørelsen",
                    format!("{} rule(s) of Bekendtgørelse om det fælles datagrundlag are not met; nothing was recorded.", v.len()),
                    format!("{} regel/regler i bekendtgørelse om det fælles datagrundlag er ikke opfyldt; intet er registreret.", v.len()),
                );
                pr.violations = v.iter().map(ViolationBody::from).collect();
                pr
            }
            ApiError::IdempotencyMismatch => p(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused with a different request",
                "Idempotensnøgle genbrugt med en anden forespørgsel",
                "This Idempotency-Key was used before with a different request. Use a new key for a new request.".into(),
                "Denne Idempotency-Key er brugt før med en anden forespørgsel. Brug en ny nøgle til en ny forespørgsel.".into(),
            ),
            ApiError::Internal(reference) => {
                let mut pr = p(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "Intern fejl",
                    format!("Something went wrong on our side. Quote reference {reference} to support; a retry with the same Idempotency-Key is safe."),
                    format!("Der opstod en fejl hos os. Oplys reference {reference} til support; et nyt forsøg med samme Idempotency-Key er sikkert."),
                );
                pr.reference = Some(reference.clone());
                pr
            }
        }
    }
}

impl From<fdg_store::StoreError> for ApiError {
    fn from(e: fdg_store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::service::Failure> for ApiError {
    fn from(e: crate::service::Failure) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::service::Refusal> for ApiError {
    fn from(r: crate::service::Refusal) -> Self {
        use crate::service::Refusal;
        match r {
            Refusal::NotInAgreement(kind) => ApiError::NotInAgreement(format!("recording {kind}")),
            Refusal::Rejected(v) => ApiError::from_violations(v),
            Refusal::Conflict { current } => ApiError::Conflict { current },
            Refusal::PersonNotFound => ApiError::NotFound,
            Refusal::IdempotencyMismatch => ApiError::IdempotencyMismatch,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyAttempts(seconds) = self
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(self, ApiError::Unauthenticated) {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"fdg\""),
            );
        }
        res
    }
}
