//! The browser registration tool (Det Digitale Registreringsværktøj, § 7, stk. 2, nr. 1):
//! server-rendered pages that work without JavaScript, Danish by default with an English
//! switch: the layout, the search page, finding a person by CPR number (a POST form: the number
//! never enters a URL), the person page with the status at a glance and a timeline, and the
//! password page. The record forms are `web::forms`.
//!
//! The pages act as the logged-in user's organisation, through the same audited, scoped read
//! (`service::read`) and write path (`service::write`) as the web services.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fdg_domain::view::PersonOverview;
use fdg_domain::{Cpr, ListName};
use jiff::civil::Date;
use serde::Deserialize;

use crate::edge::session::SessionUser;
use crate::service::read::{AsOf, Lookup};
use crate::web::i18n::{Texts, label, texts};
use crate::{ApiError, AppState};

/// The logged-in user, as the layout shows them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub name: String,
    /// Organisation `kind:code`.
    pub org: String,
    /// CSRF token for the logout form.
    pub csrf: String,
    /// Whether the administration pages are for them.
    pub admin: bool,
}

/// The logged-in user of a page, or where to send the browser: to choose a new password, or to
/// log in.
pub fn signed_in(user: Result<SessionUser, ApiError>) -> Result<SessionUser, Redirect> {
    match user {
        Ok(u) => Ok(u),
        Err(ApiError::MustChangePassword) => Err(Redirect::to("/password")),
        Err(_) => Err(Redirect::to("/login")),
    }
}

/// The layout's view of a logged-in user.
pub fn user_view(u: &SessionUser) -> UserView {
    UserView {
        name: u.session.user.name.clone(),
        org: format!("{}:{}", u.session.user.org.kind, u.session.user.org.code),
        csrf: u.session.csrf.clone(),
        admin: matches!(
            u.session.user.role,
            fdg_domain::Role::Operator | fdg_domain::Role::OrgAdmin
        ),
    }
}

pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The search page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    /// CSRF token.
    pub csrf: String,
    /// The problem with the CPR number.
    pub error: Option<&'static str>,
    /// What was typed (kept).
    pub cpr: String,
}

/// GET /: the search page, or the login page when not logged in.
pub async fn home(headers: HeaderMap, user: Result<SessionUser, ApiError>) -> Response {
    let user = match signed_in(user) {
        Ok(u) => u,
        Err(to) => return to.into_response(),
    };
    if user.session.user.must_change_password {
        return Redirect::to("/password").into_response();
    }
    // The supervision authority sees aggregates only: its start page is the national overview.
    if user.session.user.role == fdg_domain::Role::Supervisor {
        return Redirect::to("/tilsyn").into_response();
    }
    render(
        StatusCode::OK,
        &HomePage {
            t: texts(&headers),
            csrf: user.session.csrf.clone(),
            user: Some(user_view(&user)),
            error: None,
            cpr: String::new(),
        },
    )
}

/// The search form.
#[derive(Debug, Deserialize)]
pub struct FindForm {
    /// CSRF token.
    pub csrf: String,
    /// CPR number.
    pub cpr: String,
}

/// POST /find: looks the person up and goes to their page; the CPR number stays in the body.
pub async fn find(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    axum::Form(form): axum::Form<FindForm>,
) -> Result<Response, ApiError> {
    let user = match signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    user.check_csrf(&form.csrf)?;
    let t = texts(&headers);
    let again = |error| {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HomePage {
                t,
                csrf: user.session.csrf.clone(),
                user: Some(user_view(&user)),
                error: Some(error),
                cpr: form.cpr.clone(),
            },
        )
    };
    let Ok(cpr) = Cpr::parse(&form.cpr) else {
        let rule = match Cpr::parse(&form.cpr) {
            Err(fdg_domain::CprError::Date) => &fdg_domain::rules::CPR_DATE,
            _ => &fdg_domain::rules::CPR_FORMAT,
        };
        let message = if t.en() {
            rule.message_en
        } else {
            rule.message_da
        };
        return Ok(again(message));
    };
    let read = crate::service::read::person(
        &state,
        &user.reading(),
        "person.search",
        Lookup::Cpr(&cpr),
        AsOf::default(),
    )
    .await?;
    match read {
        Ok(read) => {
            Ok(Redirect::to(&format!("/persons/{}", read.record.person_id)).into_response())
        }
        Err(_) => Ok(again(t.not_found)),
    }
}

/// One row of the history table.
#[derive(Debug)]
pub struct HistoryRow {
    /// Business date.
    pub date: String,
    /// What.
    pub what: String,
    /// Who recorded it.
    pub by: String,
    /// Its fact id (to correct it).
    pub fact: String,
    /// Whether the browser can correct its content (otherwise it can only annul it).
    pub editable: bool,
}

/// The person page.
#[derive(Template)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    pub name: String,
    /// CPR number, formatted.
    pub cpr: String,
    /// Registered or not, and since when.
    pub registered: String,
    /// Current benefit.
    pub benefit: String,
    /// Current match category with its label.
    pub match_category: String,
    /// Open periodic conditions: what and since when, and their fact ids (to end them).
    pub open_conditions: Vec<(String, String)>,
    /// When the next contact interview is due.
    pub next_interview: String,
    /// Municipality.
    pub municipality: String,
    /// The timeline, an inline SVG.
    pub timeline: String,
    /// Every fact, newest first.
    pub rows: Vec<HistoryRow>,
}

/// A person's overview as the user's organisation may see it, through the one audited read
/// (`person.read`); a person it may not see is not found.
pub async fn read_overview(
    state: &AppState,
    user: &SessionUser,
    person_id: &str,
) -> Result<PersonOverview, ApiError> {
    let id = fdg_domain::PersonId::parse(person_id);
    let read = crate::service::read::person(
        state,
        &user.reading(),
        "person.read",
        Lookup::id(&id),
        AsOf::default(),
    )
    .await??;
    fdg_domain::access::shown(
        &read.record.overview,
        read.visibility,
        read.record.scope.consent_to_disclose,
    )
    .map(fdg_domain::access::Shown::into_overview)
    .ok_or(ApiError::NotFound)
}

/// Every fact of the person page's history, newest first.
pub fn history_rows(
    state: &AppState,
    t: &Texts,
    o: &PersonOverview,
    today: Date,
) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = Vec::new();
    for r in &o.registrations {
        rows.push(HistoryRow {
            date: r.registration_date.to_string(),
            what: format!(
                "{} ({})",
                t.row_registered,
                label(
                    state,
                    t,
                    ListName::BenefitCategory,
                    &r.benefit_category,
                    today
                )
            ),
            by: r.recorded.recorded_by.clone(),
            fact: r.recorded.fact_id.clone(),
            editable: true,
        });
        for c in &r.changes {
            let mut what = vec![
                label(
                    state,
                    t,
                    ListName::BenefitCategory,
                    &c.benefit_category,
                    today,
                ),
                label(
                    state,
                    t,
                    ListName::UnemploymentDegree,
                    &c.unemployment_degree,
                    today,
                ),
            ];
            what.extend(
                c.unemployment_fund
                    .as_deref()
                    .map(|f| label(state, t, ListName::UnemploymentFund, f, today)),
            );
            rows.push(HistoryRow {
                date: c.change_date.to_string(),
                what: format!("{} ({})", t.row_registration_changed, what.join(", ")),
                by: c.recorded.recorded_by.clone(),
                fact: c.recorded.fact_id.clone(),
                // Annulled, not replaced: a wrong change is annulled and recorded again.
                editable: false,
            });
        }
        if let Some(d) = &r.deregistration {
            rows.push(HistoryRow {
                date: d.deregistration_date.to_string(),
                what: label(state, t, ListName::DeregistrationReason, &d.reason, today),
                by: d.recorded.recorded_by.clone(),
                fact: d.recorded.fact_id.clone(),
                editable: true,
            });
        }
    }
    for c in o.first_contacts.iter().chain(&o.interviews) {
        rows.push(HistoryRow {
            date: c.date.to_string(),
            what: format!(
                "{} · {} {}",
                label(state, t, ListName::InterviewType, &c.interview_type, today),
                t.match_category,
                c.contact.match_category
            ),
            by: c.recorded.recorded_by.clone(),
            fact: c.recorded.fact_id.clone(),
            editable: false,
        });
    }
    for c in &o.periodic_conditions {
        rows.push(HistoryRow {
            date: c.start_date.to_string(),
            what: label(state, t, ListName::PeriodicConditionKind, &c.kind, today),
            by: c.recorded.recorded_by.clone(),
            fact: c.recorded.fact_id.clone(),
            editable: true,
        });
    }
    rows.sort_by(|a, b| b.date.cmp(&a.date));
    rows
}

/// GET /persons/{id}: the person page.
pub async fn person_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    Path(person_id): Path<String>,
) -> Result<Response, ApiError> {
    let user = match signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    let t = texts(&headers);
    let today = state.clock.today();
    let o = read_overview(&state, &user, &person_id).await?;
    let current = o.registrations.last().filter(|_| o.registered);
    let registered = match current {
        Some(r) => format!("{} {}", t.yes_since, r.registration_date),
        None => t.no.to_owned(),
    };
    let benefit = match (current, o.cash_benefit_since) {
        (Some(r), _) => {
            // What the person receives now: the latest change's, else the registration's.
            let now = r
                .changes
                .last()
                .map_or(&r.benefit_category, |c| &c.benefit_category);
            let recorded = label(&state, t, ListName::BenefitCategory, now, today);
            match r.benefit_ceased {
                Some(day) => format!("{recorded} ({} {day})", t.benefit_ceased),
                None => recorded,
            }
        }
        (None, Some(_)) => label(&state, t, ListName::BenefitCategory, "kontanthjaelp", today),
        _ => t.none.to_owned(),
    };
    let match_category = o.match_category.map_or_else(
        || t.none.to_owned(),
        |m| {
            format!(
                "{m} – {}",
                label(&state, t, ListName::MatchCategory, &m.to_string(), today)
            )
        },
    );
    let open_conditions: Vec<(String, String)> = o
        .periodic_conditions
        .iter()
        .filter(|c| c.end_date.is_none_or(|e| e >= today))
        .map(|c| {
            let what = format!(
                "{} ({})",
                label(&state, t, ListName::PeriodicConditionKind, &c.kind, today),
                c.start_date
            );
            (what, c.recorded.fact_id.clone())
        })
        .collect();
    // The contact course: at least every three months while registered or on cash benefit.
    let last_contact = o
        .interviews
        .iter()
        .chain(&o.first_contacts)
        .map(|c| c.date)
        .max()
        .or(current.map(|r| r.registration_date));
    let next_interview = match (last_contact, o.registered || o.cash_benefit_since.is_some()) {
        (Some(d), true) => d
            .checked_add(jiff::Span::new().months(3))
            .map_or_else(|_| d.to_string(), |n| n.to_string()),
        _ => t.none.to_owned(),
    };
    let municipality = o.municipality.as_deref().map_or_else(
        || t.none.to_owned(),
        |m| format!("{m} {}", label(&state, t, ListName::Municipality, m, today)),
    );
    let rows = history_rows(&state, t, &o, today);
    let page = PersonPage {
        t,
        user: Some(user_view(&user)),
        name: o.name.clone().unwrap_or_default(),
        cpr: o.cpr.clone(),
        registered,
        benefit,
        match_category,
        open_conditions,
        next_interview,
        municipality,
        timeline: crate::web::timeline::svg(&o, today, t, &state),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The page for choosing a new password.
#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    /// CSRF token.
    pub csrf: String,
    /// What went wrong.
    pub error: Option<&'static str>,
    /// Still on the one-time password.
    pub first: bool,
}

/// GET /password.
pub async fn password_page(headers: HeaderMap, user: Result<SessionUser, ApiError>) -> Response {
    let user = match signed_in(user) {
        Ok(u) => u,
        Err(to) => return to.into_response(),
    };
    render(
        StatusCode::OK,
        &PasswordPage {
            t: texts(&headers),
            csrf: user.session.csrf.clone(),
            user: Some(user_view(&user)),
            error: None,
            first: user.session.user.must_change_password,
        },
    )
}

/// The new password.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current_password: String,
    new_password: String,
    repeat: String,
}

/// POST /password: sets the user's own password. It needs the current one (the one-time
/// password, for a new user), refuses passwords easy to guess, counts a wrong current password
/// as a failed login, and ends the user's other sessions.
pub async fn set_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Result<Response, ApiError> {
    let user = user?;
    user.check_csrf(&form.csrf)?;
    let t = texts(&headers);
    let username = user.session.user.username.clone();
    let too_long = [&form.current_password, &form.new_password, &form.repeat]
        .iter()
        .any(|p| p.len() > crate::edge::session::MAX_PASSWORD);
    let mut error = if too_long || form.new_password != form.repeat {
        Some(t.password_mismatch)
    } else if form.new_password.chars().count() < 12 {
        Some(t.password_short)
    } else if crate::service::passwords::weakness(&form.new_password, &username).is_some() {
        Some(t.password_weak)
    } else {
        None
    };
    if error.is_none() {
        // A wrong current password counts as a failed login: a stolen session cannot guess it.
        #[allow(clippy::disallowed_methods)]
        let now = jiff::Timestamp::now();
        let window =
            jiff::SignedDuration::try_from(crate::edge::session::LOCKOUT).unwrap_or_default();
        let locked = state
            .store
            .login_attempt(&username, now, window, crate::edge::session::MAX_FAILURES)
            .await?;
        let current = match locked {
            Some(_) => None,
            None => state.store.login(&username, &form.current_password).await?,
        };
        if current.is_none_or(|u| u.id != user.session.user.id) {
            error = Some(if locked.is_some() {
                t.login_locked
            } else {
                t.password_current_wrong
            });
        } else {
            state.store.login_succeeded(&username).await?;
        }
    }
    if let Some(error) = error {
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                t,
                csrf: user.session.csrf.clone(),
                user: Some(user_view(&user)),
                error: Some(error),
                first: user.session.user.must_change_password,
            },
        ));
    }
    state
        .store
        .set_password(user.session.user.id, &form.new_password)
        .await?;
    let ended = state
        .store
        .end_other_sessions(user.session.user.id, &user.id)
        .await?;
    tracing::info!(user = user.session.user.id, ended, "password changed");
    Ok(Redirect::to("/").into_response())
}

/// GET /assets/fdg.css.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/fdg.css"),
    )
        .into_response()
}

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/find", post(find))
        .route("/persons/{person_id}", get(person_page))
        .route("/password", get(password_page).post(set_password))
        .route("/assets/fdg.css", get(stylesheet))
}
