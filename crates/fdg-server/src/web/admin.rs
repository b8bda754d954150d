//! Operator and organisation-admin pages: connection agreements (§ 10–§ 13) and their moves,
//! tokens shown once, organisations, users. The operator administers everything; an
//! organisation's admin creates users of their own organisation only.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::{OrgKind, Role};
use serde::Deserialize;

use crate::edge::session::SessionUser;
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{UserView, user_view};
use crate::{ApiError, AppState};

/// One agreement row.
#[derive(Debug)]
pub struct AgreementRow {
    pub id: i64,
    /// `kind:code name`.
    pub org: String,
    /// State.
    pub state: String,
}

/// The administration page.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    /// CSRF token.
    pub csrf: String,
    /// Whether the user is the operator (else an organisation's admin).
    pub operator: bool,
    /// What went wrong.
    pub error: Option<String>,
    /// A secret to show once: (heading, value).
    pub secret: Option<(String, String)>,
    /// Agreements.
    pub agreements: Vec<AgreementRow>,
    /// Organisation kinds.
    pub kinds: Vec<&'static str>,
    /// Roles this user may give.
    pub roles: Vec<&'static str>,
}

fn allowed(user: &SessionUser) -> Result<bool, ApiError> {
    match user.session.user.role {
        Role::Operator => Ok(true),
        Role::OrgAdmin => Ok(false),
        _ => Err(ApiError::Forbidden(Vec::new())),
    }
}

/// The page again, saying why the action was refused.
async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    error: String,
) -> Result<Response, ApiError> {
    render(
        state,
        headers,
        user,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(error),
        None,
    )
    .await
}

/// What a store error means to the operator: something they can fix, said in the page's
/// language, or a failure, which is a 500 with a reference (the cause is logged, never shown:
/// no database text reaches a page).
fn store_refusal(headers: &HeaderMap, e: fdg_store::StoreError) -> Result<String, ApiError> {
    use fdg_store::StoreError as E;
    let en = texts(headers).en();
    let said = |en_text: String, da_text: String| if en { en_text } else { da_text };
    Ok(match e {
        E::OrgExists(org) => said(
            format!("The organisation {org} exists already."),
            format!("Organisationen {org} findes allerede."),
        ),
        E::NoSuchOrg(code) => said(
            format!("There is no organisation with code {code}."),
            format!("Der er ingen organisation med koden {code}."),
        ),
        E::NoSuchAgreement(id) => said(
            format!("There is no agreement {id}."),
            format!("Der er ingen aftale {id}."),
        ),
        // The store says why in English; the Danish page leads with what failed.
        E::InvalidUser(why) => said(
            format!("The user cannot be created: {why}."),
            format!("Brugeren kan ikke oprettes sådan ({why})."),
        ),
        E::InvalidTransition(why) => said(
            format!("The agreement cannot change like this: {why}."),
            format!("Aftalen kan ikke skifte sådan ({why})."),
        ),
        other => return Err(ApiError::internal(other)),
    })
}

/// The page again, showing a new secret (heading, value) this once.
async fn shown_once(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    secret: (String, String),
) -> Result<Response, ApiError> {
    render(state, headers, user, StatusCode::OK, None, Some(secret)).await
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    status: StatusCode,
    error: Option<String>,
    secret: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let operator = allowed(user)?;
    let agreements = if operator {
        state
            .store
            .agreements()
            .await?
            .into_iter()
            .map(|a| AgreementRow {
                id: a.id,
                org: format!("{}:{} {}", a.org.kind, a.org.code, a.org.name),
                state: a.state.to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let roles = if operator {
        Role::ALL.iter().map(|r| r.as_str()).collect()
    } else {
        vec![Role::Caseworker.as_str(), Role::OrgAdmin.as_str()]
    };
    let page = AdminPage {
        t: texts(headers),
        user: Some(user_view(user)),
        csrf: user.session.csrf.clone(),
        operator,
        error,
        secret,
        agreements,
        kinds: OrgKind::ALL.iter().map(|k| k.as_str()).collect(),
        roles,
    };
    let body = page.render().map_err(ApiError::internal)?;
    Ok((status, Html(body)).into_response())
}

fn by(user: &SessionUser) -> String {
    format!("user:{} {}", user.session.user.id, user.session.user.name)
}

/// GET /admin.
pub async fn admin(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
) -> Result<Response, ApiError> {
    let user = match crate::web::pages::signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    render(&state, &headers, &user, StatusCode::OK, None, None).await
}

/// The first field in `fields` (name, value, most characters) that is too long, as a refusal
/// in the page's language. Checked before anything reaches the store.
fn too_long(lang: &str, fields: &[(&str, &str, usize)]) -> Option<String> {
    let (name, _, max) = fields
        .iter()
        .find(|(_, value, max)| value.chars().count() > *max)?;
    Some(if lang == "en" {
        format!("{name} is too long (at most {max} characters).")
    } else {
        format!("{name} er for lang (højst {max} tegn).")
    })
}

/// A change of an agreement.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    csrf: String,
    reason: String,
    action: String,
}

/// POST /admin/agreements/{id}: move an agreement, or issue it a token (shown once).
pub async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ChangeForm>,
) -> Result<Response, ApiError> {
    let user = user?;
    user.check_csrf(&form.csrf)?;
    if !allowed(&user)? {
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let t = texts(&headers);
    if let Some(e) = too_long(t.lang, &[("reason", &form.reason, 1000)]) {
        return refused(&state, &headers, &user, e).await;
    }
    let action = match form.action.as_str() {
        "activate" => AgreementAction::Activate,
        "suspend" => AgreementAction::Suspend,
        "reinstate" => AgreementAction::Reinstate,
        "terminate" => AgreementAction::Terminate,
        "token" => {
            return match state.store.issue_token(id).await {
                Ok(token) => {
                    let heading = format!("{} {id}", t.admin_token_for);
                    shown_once(&state, &headers, &user, (heading, token)).await
                }
                Err(e) => refused(&state, &headers, &user, store_refusal(&headers, e)?).await,
            };
        }
        _ => return Err(ApiError::bad("unknown action", "ukendt handling")),
    };
    if form.reason.trim().is_empty() {
        let e = if t.en() {
            "A change of an agreement needs its reason."
        } else {
            "En ændring af en aftale skal begrundes."
        };
        return refused(&state, &headers, &user, e.into()).await;
    }
    match state
        .store
        .change_agreement(id, action, form.reason.trim(), &by(&user))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin").into_response()),
        Err(e) => refused(&state, &headers, &user, store_refusal(&headers, e)?).await,
    }
}

/// A new organisation.
#[derive(Debug, Deserialize)]
pub struct OrgForm {
    csrf: String,
    kind: String,
    code: String,
    name: String,
    agreement: Option<String>,
}

/// POST /admin/orgs: creates an organisation, optionally with an agreement in test (its first
/// token shown once).
pub async fn create_org(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    axum::Form(form): axum::Form<OrgForm>,
) -> Result<Response, ApiError> {
    let user = user?;
    user.check_csrf(&form.csrf)?;
    if !allowed(&user)? {
        return Err(ApiError::Forbidden(Vec::new()));
    }
    let lang = texts(&headers).lang;
    let fields = [
        ("code", form.code.as_str(), 16),
        ("name", form.name.as_str(), 200),
    ];
    if let Some(e) = too_long(lang, &fields) {
        return refused(&state, &headers, &user, e).await;
    }
    let kind: OrgKind = match form.kind.parse() {
        Ok(k) => k,
        Err(e) => {
            return refused(&state, &headers, &user, e).await;
        }
    };
    if let Err(e) = state
        .store
        .create_org(kind, form.code.trim(), form.name.trim())
        .await
    {
        return refused(&state, &headers, &user, store_refusal(&headers, e)?).await;
    }
    if form.agreement.is_none() {
        return Ok(Redirect::to("/admin").into_response());
    }
    let (agreement, token) = state
        .store
        .create_agreement(
            fdg_store::NewAgreement {
                org_code: form.code.trim().to_owned(),
                org_kind: Some(kind),
                state: AgreementState::Test,
                processors: Vec::new(),
                may_write: vec!["*".into()],
                may_read: vec!["*".into()],
                valid_from: None,
                valid_to: None,
                requires_acting_person: false,
                reason: "created in the administration pages".into(),
            },
            &by(&user),
        )
        .await?;
    let t = texts(&headers);
    let heading = format!("{} {}", t.admin_token_for, agreement.id);
    shown_once(&state, &headers, &user, (heading, token)).await
}

/// A new user.
#[derive(Debug, Deserialize)]
pub struct UserForm {
    csrf: String,
    org: Option<String>,
    role: String,
    name: String,
}

/// POST /admin/users: the operator creates users of any organisation; an organisation's admin
/// caseworkers and admins of their own. The one-time password is shown once.
pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    axum::Form(form): axum::Form<UserForm>,
) -> Result<Response, ApiError> {
    let user = user?;
    user.check_csrf(&form.csrf)?;
    let operator = allowed(&user)?;
    if let Some(e) = too_long(texts(&headers).lang, &[("name", &form.name, 200)]) {
        return refused(&state, &headers, &user, e).await;
    }
    let role: Role = match form.role.parse() {
        Ok(r) if operator || matches!(r, Role::Caseworker | Role::OrgAdmin) => r,
        _ => return Err(ApiError::Forbidden(Vec::new())),
    };
    let (kind, code) = if operator {
        let org = form.org.unwrap_or_default();
        let Some((kind, code)) = org.split_once(':') else {
            return refused(&state, &headers, &user, "kind:code".into()).await;
        };
        match kind.parse::<OrgKind>() {
            Ok(k) => (k, code.to_owned()),
            Err(e) => {
                return refused(&state, &headers, &user, e).await;
            }
        }
    } else {
        (
            user.session.user.org.kind,
            user.session.user.org.code.clone(),
        )
    };
    match state
        .store
        .create_user(&code, Some(kind), role, &form.name, None)
        .await
    {
        Ok((created, password)) => {
            let t = texts(&headers);
            let heading = format!("{} {}", t.admin_password_for, created.username);
            shown_once(&state, &headers, &user, (heading, password)).await
        }
        Err(e) => refused(&state, &headers, &user, store_refusal(&headers, e)?).await,
    }
}

/// The administration routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin))
        .route("/admin/agreements/{id}", post(change))
        .route("/admin/orgs", post(create_org))
        .route("/admin/users", post(create_user))
}
