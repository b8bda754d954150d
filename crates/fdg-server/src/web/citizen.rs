//! The citizen's own view (self-service, "Jobnet"): who has looked at my data.
//!
//! Citizens log in through an identity provider (MitID in production) that yields their CPR
//! number. For development and demonstrations, `fdg serve --citizen-dev-login` enables
//! `POST /borger/dev-login`, which accepts a CPR number without proof; never enable it in
//! production.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fdg_domain::Cpr;
use serde::Deserialize;

use crate::edge::oidc;
use crate::edge::session::{CITIZEN_COOKIE, Citizen, start_citizen};
use crate::service::read::AccessEntry;
use crate::web::i18n::{plain_action, plain_purpose};
use crate::{ApiError, AppState};

/// The development login form.
#[derive(Debug, Deserialize)]
pub struct DevLogin {
    /// CPR number.
    pub cpr: String,
}

/// Development and demo login for citizens (no proof of identity).
pub async fn dev_login(
    State(state): State<AppState>,
    axum::Form(form): axum::Form<DevLogin>,
) -> Result<Response, ApiError> {
    if !state.config.citizen_dev_login {
        return Err(ApiError::NotFound);
    }
    let cpr = Cpr::parse(&form.cpr).map_err(|_| {
        ApiError::Rejected(vec![fdg_domain::Violation::new(
            &fdg_domain::rules::CPR_FORMAT,
            "cpr",
        )])
    })?;
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/borger")]).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, start_citizen(&state, &cpr).await?);
    Ok(res)
}

/// GET /borger/login: sends the citizen to the identity provider.
pub async fn login(State(state): State<AppState>) -> Result<Response, ApiError> {
    oidc::begin(&state, oidc::oidc(&state)?, &oidc::CITIZEN).await
}

/// GET /borger/callback: starts the citizen's session with the CPR number the ID token names.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(back): Query<oidc::Callback>,
) -> Result<Response, ApiError> {
    let subject = oidc::finish(&state, oidc::oidc(&state)?, &oidc::CITIZEN, &headers, back).await?;
    let cpr = Cpr::parse(&subject).map_err(|_| ApiError::Unauthenticated)?;
    let cookie = start_citizen(&state, &cpr).await?;
    Ok(oidc::moving_on(&state, &oidc::CITIZEN, "/borger", cookie))
}

/// Ends the citizen's session (a shared computer at the library must not stay logged in).
pub async fn logout(
    State(state): State<AppState>,
    citizen: Citizen,
    axum::Form(form): axum::Form<crate::edge::session::CsrfForm>,
) -> Result<Response, ApiError> {
    if form.csrf != citizen.csrf() {
        return Err(ApiError::Forbidden(Vec::new()));
    }
    state.store.end_citizen_session(&citizen.session).await?;
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/borger")]).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        crate::edge::session::cookie_header(&state, CITIZEN_COOKIE, "", "/; SameSite=Strict", 0),
    );
    Ok(res)
}

/// The citizen's page.
#[derive(askama::Template)]
#[template(path = "citizen.html")]
pub struct CitizenPage {
    pub t: &'static crate::web::i18n::Texts,
    /// No caseworker here.
    pub user: Option<crate::web::pages::UserView>,
    /// A message after an action.
    pub notice: Option<&'static str>,
    /// Whether a citizen is logged in.
    pub logged_in: bool,
    /// Whether the development login is on.
    pub dev_login: bool,
    /// Log in through the identity provider (`/borger/login`).
    pub oidc: bool,
    /// Registered or not.
    pub registered: String,
    /// (date, what) of the registration history.
    pub periods: Vec<(String, String)>,
    /// Whether the self-registration form is shown.
    pub can_register: bool,
    /// Broken rules of a refused self-registration.
    pub errors: Vec<String>,
    /// The form token.
    pub csrf: String,
    /// The name known.
    pub name: String,
    /// Benefit choices.
    pub benefits: Vec<(String, String)>,
    /// Job choices.
    pub jobs: Vec<(String, String)>,
    /// A-kasse choices.
    pub funds: Vec<(String, String)>,
    /// Degree-of-unemployment choices.
    pub degrees: Vec<(String, String)>,
    /// Who looked.
    pub log: Vec<AccessEntry>,
}

fn choices(
    state: &AppState,
    en: bool,
    list: fdg_domain::ListName,
    only: &[&str],
) -> Vec<(String, String)> {
    let today = state.clock.today();
    state
        .codes
        .entries(list)
        .iter()
        .filter(|e| e.valid_on(today) && (only.is_empty() || only.contains(&e.code.as_str())))
        .map(|e| {
            (
                e.code.clone(),
                if en {
                    e.label_en.clone()
                } else {
                    e.label_da.clone()
                },
            )
        })
        .collect()
}

async fn citizen_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    citizen: Option<&Citizen>,
    errors: Vec<String>,
) -> Result<Response, ApiError> {
    let t = crate::web::i18n::texts(headers);
    let en = t.en();
    let mut page = CitizenPage {
        t,
        user: None,
        notice: None,
        logged_in: citizen.is_some(),
        dev_login: state.config.citizen_dev_login,
        oidc: state.config.oidc.is_some(),
        registered: t.no.to_owned(),
        periods: Vec::new(),
        can_register: true,
        errors,
        csrf: citizen.map(Citizen::csrf).unwrap_or_default(),
        name: String::new(),
        benefits: choices(
            state,
            en,
            fdg_domain::ListName::BenefitCategory,
            // § 4, stk. 2: self-registration is for insured unemployed persons.
            &["a_dagpenge"],
        ),
        jobs: choices(state, en, fdg_domain::ListName::Occupation, &[]),
        funds: choices(state, en, fdg_domain::ListName::UnemploymentFund, &[]),
        degrees: choices(state, en, fdg_domain::ListName::UnemploymentDegree, &[]),
        log: Vec::new(),
    };
    if let Some(c) = citizen
        && let Some(p) = state.store.person_by_cpr(&c.cpr).await?
    {
        let o = &p.overview;
        page.name = o.name.clone().unwrap_or_default();
        page.can_register = !o.registered;
        if let Some(r) = o.registrations.last().filter(|_| o.registered) {
            page.registered = format!("{} {}", t.yes_since, r.registration_date);
        }
        // What the law lets the citizen see of their own record: registrations and
        // deregistrations, periodic conditions and contact interviews (date and kind).
        let today = state.clock.today();
        let label = |list, code: &str| crate::web::i18n::label(state, t, list, code, today);
        for r in &o.registrations {
            page.periods
                .push((r.registration_date.to_string(), t.row_registered.to_owned()));
            if let Some(d) = &r.deregistration {
                page.periods.push((
                    d.deregistration_date.to_string(),
                    label(fdg_domain::ListName::DeregistrationReason, &d.reason),
                ));
            }
        }
        for c in &o.periodic_conditions {
            let until = c.end_date.map(|e| format!(" – {e}")).unwrap_or_default();
            page.periods.push((
                format!("{}{until}", c.start_date),
                format!(
                    "{}: {}",
                    t.citizen_condition,
                    label(fdg_domain::ListName::PeriodicConditionKind, &c.kind)
                ),
            ));
        }
        for c in o.first_contacts.iter().chain(&o.interviews) {
            page.periods.push((
                c.date.to_string(),
                label(fdg_domain::ListName::InterviewType, &c.interview_type),
            ));
        }
        page.periods.sort_by(|a, b| b.0.cmp(&a.0));
        page.log = state
            .audit
            .for_person(&p.person_id, 200)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|e| AccessEntry {
                at: e.entry.at.to_string(),
                organisation: e.entry.org,
                action: plain_action(&e.entry.action, en).to_owned(),
                purpose: plain_purpose(&e.entry.purpose, en),
                outcome: e.entry.outcome,
            })
            .collect();
        state
            .audit
            .append(vec![crate::service::read::citizen_entry(
                state,
                "me.read",
                p.person_id,
                "the citizen's own insight",
            )])
            .await
            .map_err(ApiError::internal)?;
    }
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match askama::Template::render(&page) {
        Ok(body) => Ok((status, axum::response::Html(body)).into_response()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// GET /borger: the citizen's own page, or how to log in.
pub async fn borger(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    citizen: Result<Citizen, ApiError>,
) -> Result<Response, ApiError> {
    citizen_page(&state, &headers, citizen.ok().as_ref(), Vec::new()).await
}

/// The self-registration form.
#[derive(Debug, Deserialize)]
pub struct SelfRegistration {
    csrf: String,
    name: String,
    benefit_category: String,
    #[serde(default)]
    unemployment_degree: String,
    #[serde(default)]
    hours_per_week: String,
    job_title: String,
    #[serde(default)]
    job_title_2: String,
    #[serde(default)]
    job_title_3: String,
    unemployment_fund: String,
}

/// POST /borger/register: the citizen registers as a job seeker through the self-service
/// (§ 4, stk. 2: at the state job centre, via Jobnet).
pub async fn self_register(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    citizen: Result<Citizen, ApiError>,
    axum::Form(form): axum::Form<SelfRegistration>,
) -> Result<Response, ApiError> {
    let citizen = citizen?;
    if form.csrf != citizen.csrf() {
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let command = fdg_domain::Command::Register(fdg_domain::command::RegisterJobSeeker {
        cpr: citizen.cpr.digits(),
        name: some(&form.name),
        registration_date: Some(state.clock.today().to_string()),
        details: fdg_domain::command::RegistrationDetails {
            benefit_category: some(&form.benefit_category),
            unemployment_degree: some(&form.unemployment_degree).or(Some("fuld".into())),
            // Hours that are not a number are left out, and the rules name the missing hours.
            hours_per_week: form.hours_per_week.trim().parse().ok(),
            job_titles: [&form.job_title, &form.job_title_2, &form.job_title_3]
                .into_iter()
                .filter_map(|j| some(j))
                .collect(),
            unemployment_fund: some(&form.unemployment_fund),
        },
        municipality: None,
        match_category: None,
    });
    citizen_write(
        &state,
        &headers,
        &citizen,
        command,
        "self-registration (§ 4, stk. 2)",
    )
    .await
}

/// The self-deregistration form: only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct SelfDeregistration {
    csrf: String,
}

/// POST /borger/deregister: the citizen deregisters as a job seeker, from today.
pub async fn self_deregister(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    citizen: Result<Citizen, ApiError>,
    axum::Form(form): axum::Form<SelfDeregistration>,
) -> Result<Response, ApiError> {
    let citizen = citizen?;
    if form.csrf != citizen.csrf() {
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let person = state
        .store
        .person_by_cpr(&citizen.cpr)
        .await?
        .ok_or(ApiError::NotFound)?;
    let o = person.overview;
    let command = fdg_domain::Command::Deregister(fdg_domain::command::DeregisterJobSeeker {
        cpr: citizen.cpr.digits(),
        name: o.name,
        deregistration_date: Some(state.clock.today().to_string()),
        reason: Some("selv_afmeldt".into()),
    });
    citizen_write(&state, &headers, &citizen, command, "self-deregistration").await
}

/// Records what the citizen did themselves, as the state job centre through Jobnet (§ 4,
/// stk. 2), audits it, and shows the page again (with the broken rules if refused).
async fn citizen_write(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    citizen: &Citizen,
    command: fdg_domain::Command,
    purpose: &str,
) -> Result<Response, ApiError> {
    // Self-service is the state job centre's, through Jobnet; the audit log names the citizen.
    let acting = crate::service::write::Acting {
        actor: fdg_domain::Actor::jobnet(),
        context: fdg_store::WriteContext {
            agreement: None,
            acting_person: Some("the citizen".into()),
            on_behalf_of: None,
        },
        audit_org: "citizen".into(),
        credential: "citizen".into(),
        audit_person: None,
        purpose: purpose.into(),
        agreement: None,
        test_before_use: false,
    };
    let en = crate::web::i18n::texts(headers).en();
    match crate::service::write::record(state, &acting, command, Default::default()).await? {
        Ok(_) => Ok(Redirect::to("/borger").into_response()),
        Err(crate::service::write::Refusal::Rejected(v)) => {
            let errors = v
                .iter()
                .map(|v| {
                    if en {
                        v.rule.message_en
                    } else {
                        v.rule.message_da
                    }
                    .to_owned()
                })
                .collect();
            citizen_page(state, headers, Some(citizen), errors).await
        }
        Err(refusal) => Err(refusal.into()),
    }
}

/// `/borger` and its forms, and the citizen's login.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/borger", get(borger))
        .route("/borger/dev-login", post(dev_login))
        .route("/borger/register", post(self_register))
        .route("/borger/deregister", post(self_deregister))
        .route("/borger/logout", post(logout))
        .route("/borger/login", get(login))
        .route("/borger/callback", get(callback))
}
