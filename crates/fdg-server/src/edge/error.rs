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
    /// The body is not JSON of the expected shape (400): what is wrong, in English and Danish.
    /// The text never echoes input values.
    Malformed {
        /// In English.
        en: String,
        /// In Danish.
        da: String,
    },
    /// The body is not JSON (`Content-Type`) (415).
    UnsupportedMediaType,
    /// The body is larger than the service accepts (413).
    PayloadTooLarge,
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
    /// The agreement requires every write to name the acting caseworker, and this one names
    /// nobody (403, `not-in-agreement`).
    ActingPersonRequired,
    /// If-Match does not match the person's version (409).
    Conflict {
        /// The current version.
        current: u64,
    },
    /// The rules refuse the request (422).
    Rejected(Vec<Violation>),
    /// The idempotency key was used with a different request (422).
    IdempotencyMismatch,
    /// The registry cannot take the request just now (503, with `Retry-After`): the writer's
    /// queue is full, or the database's disk is full or takes no writes. Nothing was recorded.
    Unavailable(fdg_store::Unavailable),
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
        let t = self.problem_type();
        let (detail, detail_da) = self.detail();
        let mut pr = Problem {
            r#type: format!("urn:fdg:problem:{}", t.code),
            title: t.title.to_owned(),
            title_da: t.title_da.to_owned(),
            status: t.status,
            detail,
            detail_da,
            violations: Vec::new(),
            current_version: None,
            reference: None,
        };
        match self {
            ApiError::Forbidden(v) | ApiError::Rejected(v) => {
                pr.violations = v.iter().map(ViolationBody::from).collect();
            }
            ApiError::Conflict { current } => pr.current_version = Some(*current),
            ApiError::Internal(reference) => pr.reference = Some(reference.clone()),
            _ => {}
        }
        pr
    }

    /// Which entry of [`PROBLEM_TYPES`] this error is.
    pub fn problem_type(&self) -> &'static ProblemType {
        match self {
            ApiError::Malformed { .. } => &MALFORMED,
            ApiError::UnsupportedMediaType => &UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => &PAYLOAD_TOO_LARGE,
            ApiError::BadParameter { .. } => &BAD_PARAMETER,
            ApiError::Unauthenticated => &UNAUTHENTICATED,
            ApiError::MustChangePassword => &MUST_CHANGE_PASSWORD,
            ApiError::LoginFailed => &LOGIN_FAILED,
            ApiError::TooManyAttempts(_) => &TOO_MANY_ATTEMPTS,
            ApiError::RequestTimeout => &REQUEST_TIMEOUT,
            ApiError::Forbidden(_) => &FORBIDDEN,
            ApiError::NotFound => &NOT_FOUND,
            ApiError::AccessClosed => &ACCESS_CLOSED,
            ApiError::AgreementEnded => &AGREEMENT_ENDED,
            ApiError::NotInAgreement(_) | ApiError::ActingPersonRequired => &NOT_IN_AGREEMENT,
            ApiError::Conflict { .. } => &VERSION_CONFLICT,
            ApiError::Rejected(_) => &RULE_VIOLATION,
            ApiError::IdempotencyMismatch => &IDEMPOTENCY_KEY_REUSED,
            ApiError::Unavailable(_) => &UNAVAILABLE,
            ApiError::Internal(_) => &INTERNAL,
        }
    }

    /// The detail, in English and Danish.
    fn detail(&self) -> (String, String) {
        match self {
            ApiError::Malformed { en, da } => (
                format!("The request body is not valid JSON of the expected shape: {en}."),
                format!("Forespørgslens indhold er ikke gyldig JSON af den forventede form: {da}."),
            ),
            ApiError::UnsupportedMediaType => (
                "Send the body as JSON, with Content-Type: application/json.".into(),
                "Send indholdet som JSON, med Content-Type: application/json.".into(),
            ),
            ApiError::PayloadTooLarge => (
                "The request body is larger than the service accepts; nothing was recorded.".into(),
                "Forespørgslens indhold er større, end tjenesten modtager; intet er registreret.".into(),
            ),
            ApiError::BadParameter { en, da } => (en.clone(), da.clone()),
            ApiError::Unauthenticated => (
                "Send a valid bearer token in the Authorization header.".into(),
                "Send et gyldigt adgangstoken i Authorization-headeren.".into(),
            ),
            ApiError::MustChangePassword => (
                "You logged in with a one-time password; choose your own at /password.".into(),
                "Du er logget ind med en engangsadgangskode; vælg din egen på /password.".into(),
            ),
            ApiError::LoginFailed => (
                "The username or the password is wrong.".into(),
                "Brugernavnet eller adgangskoden er forkert.".into(),
            ),
            ApiError::TooManyAttempts(seconds) => (
                format!("Too many failed logins for this user. Try again in {} minute(s).", seconds.div_ceil(60)),
                format!("For mange mislykkede login for denne bruger. Prøv igen om {} minut(ter).", seconds.div_ceil(60)),
            ),
            ApiError::RequestTimeout => (
                "The request was not received and answered within the time allowed; nothing was recorded unless an answer said so. Send it again.".into(),
                "Forespørgslen blev ikke modtaget og besvaret inden for den tilladte tid; intet er registreret, medmindre et svar sagde det. Send den igen.".into(),
            ),
            ApiError::Forbidden(v) if v.is_empty() => (
                "The acting organisation may not do this.".into(),
                "Den handlende organisation må ikke gøre dette.".into(),
            ),
            ApiError::Forbidden(_) => (
                "The acting organisation may not record this.".into(),
                "Den handlende organisation må ikke registrere dette.".into(),
            ),
            ApiError::NotFound => (
                "No such resource is visible to you.".into(),
                "Der findes ingen sådan ressource, som du har adgang til.".into(),
            ),
            ApiError::AccessClosed => (
                "The operator has closed this organisation's access to register through the web services (§ 13). Register through the browser registration tool (Det Digitale Registreringsværktøj) until access is reinstated.".into(),
                "Arbejdsmarkedsstyrelsen har lukket organisationens adgang til at registrere via webservicerne (§ 13). Registrér i den browserbaserede registreringsløsning (Det Digitale Registreringsværktøj), indtil adgangen genåbnes.".into(),
            ),
            ApiError::AgreementEnded => (
                "The connection agreement behind this credential is terminated or not valid today (§ 10).".into(),
                "Tilslutningsaftalen bag denne adgang er ophørt eller ikke gyldig i dag (§ 10).".into(),
            ),
            ApiError::NotInAgreement(what) => (
                format!("The connection agreement does not cover {what} (§ 10)."),
                format!("Tilslutningsaftalen omfatter ikke {what} (§ 10)."),
            ),
            ApiError::ActingPersonRequired => (
                "The connection agreement requires every write to name the acting caseworker: send X-Caseworker-Id or X-Caseworker-Name (§ 10).".to_owned(),
                "Tilslutningsaftalen kræver, at hver registrering navngiver den handlende sagsbehandler: send X-Caseworker-Id eller X-Caseworker-Name (§ 10).".to_owned(),
            ),
            ApiError::Conflict { current } => (
                format!("The person has changed since you read it (now version {current}). Read the person again and retry."),
                format!("Personen er ændret, siden du læste den (nu version {current}). Læs personen igen og prøv igen."),
            ),
            ApiError::Rejected(v) => (
                format!("{} rule(s) of Bekendtgørelse om det fælles datagrundlag are not met; nothing was recorded.", v.len()),
                format!("{} regel/regler i bekendtgørelse om det fælles datagrundlag er ikke opfyldt; intet er registreret.", v.len()),
            ),
            ApiError::IdempotencyMismatch => (
                "This Idempotency-Key was used before with a different request. Use a new key for a new request.".into(),
                "Denne Idempotency-Key er brugt før med en anden forespørgsel. Brug en ny nøgle til en ny forespørgsel.".into(),
            ),
            ApiError::Unavailable(why) => {
                let (en, da) = match why {
                    fdg_store::Unavailable::Overloaded => (
                        "More requests are waiting to be recorded than the registry takes at once",
                        "Flere forespørgsler venter på at blive registreret, end registret modtager ad gangen",
                    ),
                    fdg_store::Unavailable::DiskFull => (
                        "The registry's storage is full",
                        "Registrets lager er fuldt",
                    ),
                    fdg_store::Unavailable::ReadOnly => (
                        "The registry's database takes no changes just now",
                        "Registrets database modtager ingen ændringer lige nu",
                    ),
                    fdg_store::Unavailable::Disconnected => (
                        "The registry lost its connection to its database",
                        "Registret mistede forbindelsen til sin database",
                    ),
                };
                let seconds = why.retry_after();
                if *why == fdg_store::Unavailable::Disconnected {
                    // Lost while being committed, a write may have been recorded: only the
                    // idempotency key makes the retry safe.
                    (
                        format!("{en}; the request may not have been recorded. Send the same request again in {seconds} second(s) with the same Idempotency-Key, which never records it twice."),
                        format!("{da}; forespørgslen er muligvis ikke registreret. Send samme forespørgsel igen om {seconds} sekund(er) med samme Idempotency-Key, som aldrig registrerer den to gange."),
                    )
                } else {
                    (
                        format!("{en}; nothing was recorded. Send the same request again in {seconds} second(s) (with the same Idempotency-Key)."),
                        format!("{da}; intet er registreret. Send samme forespørgsel igen om {seconds} sekund(er) (med samme Idempotency-Key)."),
                    )
                }
            }
            ApiError::Internal(reference) => (
                format!("Something went wrong on our side. Quote reference {reference} to support; a retry with the same Idempotency-Key is safe."),
                format!("Der opstod en fejl hos os. Oplys reference {reference} til support; et nyt forsøg med samme Idempotency-Key er sikkert."),
            ),
        }
    }
}

/// One kind of problem: its stable code (`urn:fdg:problem:<code>`), HTTP status and title in
/// both languages. [`PROBLEM_TYPES`] is the one list of them; `docs/problems.md` documents
/// each (a test keeps the two in step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProblemType {
    /// The code.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// English title.
    pub title: &'static str,
    /// Danish title.
    pub title_da: &'static str,
}

macro_rules! problem_types {
    ($($name:ident = $code:literal, $status:literal, $en:literal, $da:literal;)*) => {
        $(
            #[doc = concat!("`urn:fdg:problem:", $code, "` (", stringify!($status), "): ", $en)]
            pub const $name: ProblemType = ProblemType {
                code: $code,
                status: $status,
                title: $en,
                title_da: $da,
            };
        )*
        /// Every problem type the service answers with.
        pub const PROBLEM_TYPES: &[ProblemType] = &[$($name),*];
    };
}

problem_types! {
    MALFORMED = "malformed-request", 400, "Malformed request", "Forespørgslen kan ikke læses";
    PAYLOAD_TOO_LARGE = "payload-too-large", 413, "Request body too large", "Forespørgslens indhold er for stort";
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type", 415, "The body must be JSON", "Indholdet skal være JSON";
    BAD_PARAMETER = "bad-parameter", 400, "Bad parameter", "Ugyldig parameter";
    UNAUTHENTICATED = "unauthenticated", 401, "Authentication required", "Adgang kræver godkendelse";
    LOGIN_FAILED = "login-failed", 401, "Wrong username or password", "Forkert brugernavn eller adgangskode";
    MUST_CHANGE_PASSWORD = "must-change-password", 403, "Choose a new password first", "Vælg først en ny adgangskode";
    FORBIDDEN = "forbidden", 403, "Not permitted for this organisation", "Ikke tilladt for denne organisation";
    ACCESS_CLOSED = "access-closed", 403, "Access to the web services is closed", "Adgangen til webservicerne er lukket";
    AGREEMENT_ENDED = "agreement-ended", 403, "No valid connection agreement", "Ingen gyldig tilslutningsaftale";
    NOT_IN_AGREEMENT = "not-in-agreement", 403, "Not covered by the connection agreement", "Ikke omfattet af tilslutningsaftalen";
    NOT_FOUND = "not-found", 404, "Not found", "Ikke fundet";
    REQUEST_TIMEOUT = "request-timeout", 408, "The request took too long", "Forespørgslen tog for lang tid";
    VERSION_CONFLICT = "version-conflict", 409, "Version conflict", "Versionskonflikt";
    RULE_VIOLATION = "rule-violation", 422, "The request breaks rules of the order", "Forespørgslen overtræder regler i bekendtgørelsen";
    IDEMPOTENCY_KEY_REUSED = "idempotency-key-reused", 422, "Idempotency key reused with a different request", "Idempotensnøgle genbrugt med en anden forespørgsel";
    TOO_MANY_ATTEMPTS = "too-many-attempts", 429, "Too many failed logins", "For mange mislykkede login";
    INTERNAL = "internal", 500, "Internal error", "Intern fejl";
    UNAVAILABLE = "unavailable", 503, "The registry cannot take the request just now", "Registret kan ikke modtage forespørgslen lige nu";
}

impl From<fdg_store::StoreError> for ApiError {
    fn from(e: fdg_store::StoreError) -> Self {
        match e {
            fdg_store::StoreError::Unavailable(why) => {
                tracing::warn!(reason = %why, "a request was refused: the registry is unavailable");
                ApiError::Unavailable(why)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::report::ReportError> for ApiError {
    fn from(e: crate::report::ReportError) -> Self {
        use crate::report::ReportError;
        match e {
            ReportError::Query { en, da } => ApiError::BadParameter { en, da },
            ReportError::NoSuchScope => ApiError::NotFound,
            ReportError::Store(e) => e.into(),
        }
    }
}

impl From<crate::service::read::ReadRefusal> for ApiError {
    fn from(r: crate::service::read::ReadRefusal) -> Self {
        use crate::service::read::ReadRefusal;
        match r {
            ReadRefusal::Forbidden => ApiError::Forbidden(Vec::new()),
            ReadRefusal::NotInAgreement(what) => ApiError::NotInAgreement(what),
            ReadRefusal::NotFound => ApiError::NotFound,
        }
    }
}

impl From<crate::service::worklist::OutOfBounds> for ApiError {
    fn from(_: crate::service::worklist::OutOfBounds) -> Self {
        let [en, da] = crate::service::worklist::OutOfBounds::MESSAGE;
        ApiError::bad(en, da)
    }
}

impl From<crate::service::write::Failure> for ApiError {
    fn from(e: crate::service::write::Failure) -> Self {
        match e.unavailable() {
            Some(why) => ApiError::Unavailable(why),
            None => ApiError::internal(e),
        }
    }
}

impl From<crate::service::write::Refusal> for ApiError {
    fn from(r: crate::service::write::Refusal) -> Self {
        use crate::service::write::Refusal;
        match r {
            Refusal::NotInAgreement(kind) => ApiError::NotInAgreement(format!("recording {kind}")),
            Refusal::Rejected(v) => ApiError::from_violations(v),
            Refusal::Conflict { current } => ApiError::Conflict { current },
            Refusal::PersonNotFound => ApiError::NotFound,
            Refusal::IdempotencyMismatch => ApiError::IdempotencyMismatch,
            Refusal::ActingPersonRequired => ApiError::ActingPersonRequired,
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
        let retry_after = match &self {
            ApiError::TooManyAttempts(seconds) => Some(*seconds),
            ApiError::Unavailable(why) => Some(why.retry_after()),
            _ => None,
        };
        if let Some(seconds) = retry_after
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

#[cfg(test)]
mod tests {
    use super::*;
    use fdg_domain::rules;

    /// One error of every kind, with fixed inputs.
    fn every_kind() -> Vec<ApiError> {
        vec![
            ApiError::Malformed {
                en: "the field `municipalty` is not known".into(),
                da: "feltet `municipalty` findes ikke".into(),
            },
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::bad("after must be a number", "after skal være et tal"),
            ApiError::Unauthenticated,
            ApiError::LoginFailed,
            ApiError::MustChangePassword,
            ApiError::TooManyAttempts(61),
            ApiError::RequestTimeout,
            ApiError::Forbidden(Vec::new()),
            ApiError::Forbidden(vec![Violation::whole(&rules::S8_1_ACTOR)]),
            ApiError::NotFound,
            ApiError::AccessClosed,
            ApiError::AgreementEnded,
            ApiError::NotInAgreement("recording first_contact".into()),
            ApiError::ActingPersonRequired,
            ApiError::Conflict { current: 7 },
            ApiError::Rejected(vec![
                Violation::new(&rules::S8_1_NAME_REQUIRED, "name"),
                Violation::new(&rules::CPR_DATE, "cpr"),
            ]),
            ApiError::IdempotencyMismatch,
            ApiError::Unavailable(fdg_store::Unavailable::Overloaded),
            ApiError::Unavailable(fdg_store::Unavailable::DiskFull),
            ApiError::Unavailable(fdg_store::Unavailable::ReadOnly),
            ApiError::Unavailable(fdg_store::Unavailable::Disconnected),
            ApiError::Internal("0a1b2c3d4e5f".into()),
        ]
    }

    /// Every problem body, exactly: a change to a title, a detail, a status or a field name
    /// shows up here. `FDG_UPDATE_SNAPSHOTS=1 cargo test -p fdg-server --lib` rewrites the
    /// file after a deliberate change; review its diff.
    #[test]
    fn every_problem_body_is_pinned() {
        let bodies: Vec<Problem> = every_kind().iter().map(ApiError::problem).collect();
        let text = serde_json::to_string_pretty(&bodies).expect("json") + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/problems.json");
        if std::env::var_os("FDG_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &text).expect("snapshot written");
        }
        let pinned = std::fs::read_to_string(path).expect("tests/snapshots/problems.json");
        assert!(
            pinned == text,
            "problem bodies changed; if on purpose, run with FDG_UPDATE_SNAPSHOTS=1 and review"
        );
    }

    #[test]
    fn the_problem_table_is_the_one_source_and_docs_list_every_type() {
        let used: Vec<&str> = every_kind().iter().map(|e| e.problem_type().code).collect();
        let mut codes: Vec<&str> = PROBLEM_TYPES.iter().map(|t| t.code).collect();
        for t in PROBLEM_TYPES {
            assert!(used.contains(&t.code), "{} is never answered", t.code);
            assert!(
                StatusCode::from_u16(t.status)
                    .is_ok_and(|s| s.is_client_error() || s.is_server_error()),
                "{}",
                t.code
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEM_TYPES.len(), "codes are unique");
        let docs = include_str!("../../../../docs/problems.md");
        for t in PROBLEM_TYPES {
            let heading = format!("## `urn:fdg:problem:{}`", t.code);
            assert!(docs.contains(&heading), "docs/problems.md has no {heading}");
            assert!(
                docs.contains(&format!("{} · {} · {}", t.status, t.title, t.title_da)),
                "docs/problems.md gives another status or title for {}",
                t.code
            );
        }
    }
}
