//! The browser registration tool (Det Digitale Registreringsværktøj, § 7, stk. 2, nr. 1):
//! server-rendered pages that work without JavaScript, Danish by default with an English
//! switch. This first part: login, finding a person by CPR number (a POST form: the number never
//! enters a URL), and the person page with the status at a glance and a timeline.
//!
//! The pages act as the logged-in user's organisation, under the same scoping
//! (`fdg_domain::access`) and auditing as the web services.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fdg_domain::view::PersonOverview;
use fdg_domain::{Actor, Cpr, ListName, Visibility};
use fdg_store::audit::AuditEntry;
use jiff::civil::Date;
use serde::Deserialize;

use crate::edge::session::{SessionUser, cookie};
use crate::{ApiError, AppState};

/// The language cookie.
pub const LANG_COOKIE: &str = "fdg_lang";

/// The words of the pages, in one language.
#[derive(Debug)]
pub struct Texts {
    /// `da` or `en`.
    pub lang: &'static str,
    /// The other language's code and name, for the switch.
    pub other_lang: &'static str,
    /// The other language's name, in that language.
    pub other_lang_name: &'static str,
    /// Application name.
    pub app: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Navigation label.
    pub nav: &'static str,
    /// Log out.
    pub logout: &'static str,
    /// Footer.
    pub footer: &'static str,
    /// Login page title.
    pub login_title: &'static str,
    /// Error summary heading.
    pub problem: &'static str,
    /// Username label.
    pub username: &'static str,
    /// Password label.
    pub password: &'static str,
    /// Log in button.
    pub login: &'static str,
    /// The staff identity provider's button.
    pub login_mitid: &'static str,
    /// Wrong login.
    pub login_failed: &'static str,
    /// Locked login.
    pub login_locked: &'static str,
    /// The login form came without its token (expired, or posted from elsewhere).
    pub login_expired: &'static str,
    /// Find page title.
    pub find_title: &'static str,
    /// CPR label.
    pub cpr: &'static str,
    /// CPR hint.
    pub cpr_hint: &'static str,
    /// Why the CPR number is sent in a form.
    pub cpr_privacy: &'static str,
    /// Find button.
    pub find: &'static str,
    /// Nobody found.
    pub not_found: &'static str,
    /// Status heading.
    pub status: &'static str,
    /// Registered label.
    pub registered: &'static str,
    /// Benefit label.
    pub benefit: &'static str,
    /// Match category label.
    pub match_category: &'static str,
    /// Open conditions label.
    pub open_conditions: &'static str,
    /// Next interview label.
    pub next_interview: &'static str,
    /// Municipality label.
    pub municipality: &'static str,
    /// Timeline heading.
    pub timeline: &'static str,
    /// History heading.
    pub history: &'static str,
    /// Date column.
    pub date: &'static str,
    /// What column.
    pub what: &'static str,
    /// Recorded-by column.
    pub recorded_by: &'static str,
    /// Yes, since.
    pub yes_since: &'static str,
    /// No.
    pub no: &'static str,
    /// None.
    pub none: &'static str,
    /// Registration period row.
    pub row_registered: &'static str,
    /// Contact row.
    pub row_contact: &'static str,
    /// "required", for screen readers.
    pub required: &'static str,
    /// Link to the registration form.
    pub register_link: &'static str,
    /// Heading over the record forms.
    pub record_heading: &'static str,
    /// Link to the deregistration form.
    pub deregister_link: &'static str,
    /// Link to the periodic condition form.
    pub condition_link: &'static str,
    /// Link to the cessation form.
    pub cessation_link: &'static str,
    /// Link that ends a periodic condition.
    pub end_condition: &'static str,
    /// Link that annuls a record.
    pub annul: &'static str,
    /// Link that corrects a record's content.
    pub correct: &'static str,
    /// Link to the first-contact form.
    pub first_contact_link: &'static str,
    /// Link to the other-actor assignment form.
    pub assignment_link: &'static str,
    /// Link to the interview form.
    pub interview_link: &'static str,
    /// Citizen page title.
    pub citizen_title: &'static str,
    /// The identity provider's login button.
    pub citizen_mitid: &'static str,
    /// The citizen's deregistration button.
    pub citizen_deregister_button: &'static str,
    /// What deregistering means.
    pub citizen_deregister_hint: &'static str,
    /// A periodic condition in the citizen's history.
    pub citizen_condition: &'static str,
    /// How citizens log in.
    pub citizen_login_intro: &'static str,
    /// The development login's warning.
    pub citizen_dev_hint: &'static str,
    /// "My registration".
    pub citizen_me: &'static str,
    /// Self-registration heading.
    pub citizen_register: &'static str,
    /// Name field.
    pub citizen_name: &'static str,
    /// Job sought.
    pub citizen_job: &'static str,
    /// More jobs (optional).
    pub citizen_job_more: &'static str,
    /// Degree of unemployment.
    pub citizen_degree: &'static str,
    /// Hours a week, when partly unemployed.
    pub citizen_hours: &'static str,
    /// A-kasse.
    pub citizen_fund: &'static str,
    /// Register button.
    pub citizen_register_button: &'static str,
    /// Access log heading.
    pub citizen_log: &'static str,
    /// Who column.
    pub citizen_who: &'static str,
    /// Why column.
    pub citizen_why: &'static str,
    /// Password page text.
    pub password_title: &'static str,
    /// Password page text.
    pub password_intro: &'static str,
    /// Password page text.
    pub password_new: &'static str,
    /// Password page text.
    pub password_hint: &'static str,
    /// Password page text.
    pub password_repeat: &'static str,
    /// Password page text.
    pub password_save: &'static str,
    /// Password page text.
    pub password_mismatch: &'static str,
    /// Password page text.
    pub password_short: &'static str,
    /// Changing one's password (not a one-time one).
    pub password_intro_change: &'static str,
    /// The current password.
    pub password_current: &'static str,
    /// The current password was wrong.
    pub password_current_wrong: &'static str,
    /// The new password is too easy to guess.
    pub password_weak: &'static str,
    /// Link to the password page.
    pub password_link: &'static str,
    pub admin_title: &'static str,
    pub admin_shown_once: &'static str,
    pub admin_agreements: &'static str,
    pub admin_org: &'static str,
    pub admin_state: &'static str,
    pub admin_change: &'static str,
    pub admin_reason: &'static str,
    pub admin_activate: &'static str,
    pub admin_suspend: &'static str,
    pub admin_reinstate: &'static str,
    pub admin_terminate: &'static str,
    pub admin_new_token: &'static str,
    pub admin_do: &'static str,
    pub admin_new_org: &'static str,
    pub admin_kind: &'static str,
    pub admin_code: &'static str,
    pub admin_with_agreement: &'static str,
    pub admin_create: &'static str,
    pub admin_new_user: &'static str,
    pub admin_role: &'static str,
    pub admin_token_for: &'static str,
    pub admin_password_for: &'static str,
}

/// Danish.
pub const DA: Texts = Texts {
    lang: "da",
    other_lang: "en",
    other_lang_name: "English",
    app: "Det Fælles Datagrundlag",
    skip: "Gå til indhold",
    nav: "Hovedmenu",
    logout: "Log ud",
    footer: "Bekendtgørelse om det fælles datagrundlag (2007). Alle opslag logges.",
    login_title: "Log ind",
    problem: "Der er et problem",
    username: "Brugernavn",
    password: "Adgangskode",
    login: "Log ind",
    login_mitid: "Log ind med MitID Erhverv",
    login_failed: "Brugernavnet eller adgangskoden er forkert.",
    login_locked: "For mange mislykkede forsøg. Prøv igen om 15 minutter.",
    login_expired: "Loginformularen var udløbet. Log ind igen.",
    find_title: "Find en person",
    cpr: "CPR-nummer",
    cpr_hint: "10 cifre, fx 010190-1234",
    cpr_privacy: "CPR-nummeret sendes i formularen og står aldrig i adresselinjen eller i logfiler.",
    find: "Find",
    not_found: "Der findes ingen person med dette CPR-nummer, som du har adgang til.",
    status: "Status",
    registered: "Registreret som arbejdssøgende",
    benefit: "Ydelse",
    match_category: "Matchkategori",
    open_conditions: "Åbne periodiske forhold",
    next_interview: "Næste kontaktsamtale senest",
    municipality: "Kommune",
    timeline: "Forløb",
    history: "Historik",
    date: "Dato",
    what: "Hvad",
    recorded_by: "Registreret af",
    yes_since: "Ja, siden",
    no: "Nej",
    none: "Ingen",
    row_registered: "Registreret",
    row_contact: "Kontakt",
    required: "skal udfyldes",
    register_link: "Registrér en arbejdssøgende (§ 8, stk. 1)",
    record_heading: "Registrér",
    deregister_link: "Afmeld en arbejdssøgende (§ 8, stk. 2)",
    condition_link: "Periodisk forhold (§ 8, stk. 5)",
    cessation_link: "Ophør af kontant- eller starthjælp (§ 8, stk. 4)",
    end_condition: "Afslut",
    annul: "Annullér",
    correct: "Ret",
    first_contact_link: "Første henvendelse om kontant- eller starthjælp (§ 8, stk. 3)",
    assignment_link: "Overdrag til anden aktør (§ 2, stk. 5)",
    interview_link: "Kontaktsamtale (§ 9)",
    citizen_title: "Min registrering som arbejdssøgende",
    citizen_mitid: "Log ind med MitID",
    citizen_deregister_button: "Afmeld mig som arbejdssøgende",
    citizen_deregister_hint: "Du afmeldes fra i dag. Får du arbejdsløshedsdagpenge, kontanthjælp eller starthjælp, skal du være registreret som arbejdssøgende for at få udbetalt ydelsen.",
    citizen_condition: "Periodisk forhold",
    citizen_login_intro: "Log ind med MitID for at se og ændre din registrering og se, hvem der har set dine oplysninger.",
    citizen_dev_hint: "Udviklings- og demologin: CPR-nummeret bevises ikke. Bruges aldrig i drift.",
    citizen_me: "Min registrering",
    citizen_register: "Registrér dig som arbejdssøgende (§ 4, stk. 2)",
    citizen_name: "Navn",
    citizen_job: "Job du søger",
    citizen_job_more: "Andet job du søger (valgfrit)",
    citizen_degree: "Ledighedsgrad",
    citizen_hours: "Timer om ugen du er ledig (kun ved delvis ledighed)",
    citizen_fund: "Din a-kasse (hvis du er medlem)",
    citizen_register_button: "Registrér mig",
    citizen_log: "Hvem har set mine oplysninger",
    citizen_who: "Hvem",
    citizen_why: "Hvorfor",
    password_title: "Vælg en ny adgangskode",
    password_intro: "Du er logget ind med en engangsadgangskode. Vælg din egen, før du fortsætter.",
    password_new: "Ny adgangskode",
    password_hint: "Mindst 12 tegn.",
    password_repeat: "Gentag adgangskoden",
    password_save: "Gem adgangskoden",
    password_mismatch: "De to adgangskoder er ikke ens.",
    password_short: "Adgangskoden skal have mindst 12 tegn.",
    password_intro_change: "Vælg en ny adgangskode. Dine andre sessioner bliver logget ud.",
    password_current: "Nuværende adgangskode",
    password_current_wrong: "Den nuværende adgangskode er forkert.",
    password_weak: "Adgangskoden er for let at gætte (almindelig, gentagende, fortløbende eller med brugernavnet). Vælg fx nogle tilfældige ord.",
    password_link: "Skift adgangskode",
    admin_title: "Administration",
    admin_shown_once: "Vises kun denne ene gang. Gem den nu.",
    admin_agreements: "Tilslutningsaftaler (§ 10–§ 13)",
    admin_org: "Organisation",
    admin_state: "Tilstand",
    admin_change: "Ændring",
    admin_reason: "Begrundelse",
    admin_activate: "Aktivér (test bestået, § 10)",
    admin_suspend: "Luk adgangen (§ 13)",
    admin_reinstate: "Genåbn",
    admin_terminate: "Ophør",
    admin_new_token: "Nyt adgangstoken",
    admin_do: "Udfør",
    admin_new_org: "Ny organisation",
    admin_kind: "Art",
    admin_code: "Kode (kommunekode, CVR, …)",
    admin_with_agreement: "Med en tilslutningsaftale i test (§ 10)",
    admin_create: "Opret",
    admin_new_user: "Ny bruger",
    admin_role: "Rolle",
    admin_token_for: "Adgangstoken for aftale",
    admin_password_for: "Engangsadgangskode for",
};

/// English.
pub const EN: Texts = Texts {
    lang: "en",
    other_lang: "da",
    other_lang_name: "Dansk",
    app: "The Common Data Foundation",
    skip: "Skip to content",
    nav: "Main menu",
    logout: "Log out",
    footer: "Executive order on the common data foundation (2007). Every look-up is logged.",
    login_title: "Log in",
    problem: "There is a problem",
    username: "Username",
    password: "Password",
    login: "Log in",
    login_mitid: "Log in with MitID Erhverv",
    login_failed: "The username or the password is wrong.",
    login_locked: "Too many failed attempts. Try again in 15 minutes.",
    login_expired: "The login form had expired. Please log in again.",
    find_title: "Find a person",
    cpr: "CPR number",
    cpr_hint: "10 digits, e.g. 010190-1234",
    cpr_privacy: "The CPR number is sent in the form and never appears in the address bar or in logs.",
    find: "Find",
    not_found: "There is no person with this CPR number that you may see.",
    status: "Status",
    registered: "Registered as a job seeker",
    benefit: "Benefit",
    match_category: "Match category",
    open_conditions: "Open periodic conditions",
    next_interview: "Next contact interview due",
    municipality: "Municipality",
    timeline: "Timeline",
    history: "History",
    date: "Date",
    what: "What",
    recorded_by: "Recorded by",
    yes_since: "Yes, since",
    no: "No",
    none: "None",
    row_registered: "Registered",
    row_contact: "Contact",
    required: "required",
    register_link: "Register a job seeker (§ 8, stk. 1)",
    record_heading: "Record",
    deregister_link: "Deregister a job seeker (§ 8, stk. 2)",
    condition_link: "Periodic condition (§ 8, stk. 5)",
    cessation_link: "Cash or start benefit ceased (§ 8, stk. 4)",
    end_condition: "End",
    annul: "Annul",
    correct: "Correct",
    first_contact_link: "First contact about cash or start benefit (§ 8, stk. 3)",
    assignment_link: "Assign to an other actor (§ 2, stk. 5)",
    interview_link: "Contact interview (§ 9)",
    citizen_title: "My registration as a job seeker",
    citizen_mitid: "Log in with MitID",
    citizen_deregister_button: "Deregister me as a job seeker",
    citizen_deregister_hint: "You are deregistered from today. If you receive unemployment benefit, cash benefit or start benefit, you must be registered as a job seeker to be paid.",
    citizen_condition: "Periodic condition",
    citizen_login_intro: "Log in with MitID to see and change your registration and to see who has looked at your data.",
    citizen_dev_hint: "Development and demo login: the CPR number is not proven. Never used in production.",
    citizen_me: "My registration",
    citizen_register: "Register as a job seeker (§ 4, stk. 2)",
    citizen_name: "Name",
    citizen_job: "Job you are looking for",
    citizen_job_more: "Another job you are looking for (optional)",
    citizen_degree: "Degree of unemployment",
    citizen_hours: "Hours a week you are unemployed (only when partly unemployed)",
    citizen_fund: "Your unemployment fund (if you are a member)",
    citizen_register_button: "Register me",
    citizen_log: "Who has looked at my data",
    citizen_who: "Who",
    citizen_why: "Why",
    password_title: "Choose a new password",
    password_intro: "You logged in with a one-time password. Choose your own before you go on.",
    password_new: "New password",
    password_hint: "At least 12 characters.",
    password_repeat: "Repeat the password",
    password_save: "Save the password",
    password_mismatch: "The two passwords differ.",
    password_short: "The password needs at least 12 characters.",
    password_intro_change: "Choose a new password. Your other sessions will be logged out.",
    password_current: "Current password",
    password_current_wrong: "The current password is wrong.",
    password_weak: "The password is too easy to guess (common, repetitive, a sequence or containing your username). Try a few random words.",
    password_link: "Change password",
    admin_title: "Administration",
    admin_shown_once: "Shown this once only. Store it now.",
    admin_agreements: "Connection agreements (§ 10–§ 13)",
    admin_org: "Organisation",
    admin_state: "State",
    admin_change: "Change",
    admin_reason: "Reason",
    admin_activate: "Activate (test passed, § 10)",
    admin_suspend: "Close access (§ 13)",
    admin_reinstate: "Reinstate",
    admin_terminate: "Terminate",
    admin_new_token: "New token",
    admin_do: "Apply",
    admin_new_org: "New organisation",
    admin_kind: "Kind",
    admin_code: "Code (kommunekode, CVR, …)",
    admin_with_agreement: "With a connection agreement in test (§ 10)",
    admin_create: "Create",
    admin_new_user: "New user",
    admin_role: "Role",
    admin_token_for: "Token for agreement",
    admin_password_for: "One-time password for",
};

/// The language of a request: the cookie, else Danish.
pub fn texts(headers: &HeaderMap) -> &'static Texts {
    match cookie(headers, LANG_COOKIE).as_deref() {
        Some("en") => &EN,
        _ => &DA,
    }
}

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

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub t: &'static Texts,
    /// Not logged in.
    pub user: Option<UserView>,
    /// What went wrong.
    pub error: Option<&'static str>,
    /// The username typed (kept).
    pub username: String,
    /// The login form's CSRF token.
    pub csrf: String,
    /// Staff may log in through the identity provider (MitID Erhverv).
    pub mitid: bool,
}

/// GET /login.
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    crate::edge::session::login_form(&state, &headers, StatusCode::OK, None, String::new())
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

fn actor_of(user: &SessionUser) -> Actor {
    Actor {
        kind: user.session.user.org.kind,
        code: user.session.user.org.code.clone(),
    }
}

/// Who records when a caseworker submits a form of the browser registration tool: their
/// organisation, with the user named on every event and in the audit log.
pub fn acting(user: &SessionUser) -> crate::service::write::Acting {
    let u = &user.session.user;
    crate::service::write::Acting {
        actor: actor_of(user),
        context: fdg_store::WriteContext {
            agreement: None,
            acting_person: Some(format!("user:{} {}", u.id, u.name)),
            on_behalf_of: None,
        },
        audit_org: actor_of(user).label(),
        credential: format!("user:{}", u.id),
        audit_person: Some(u.name.clone()),
        purpose: "registration".into(),
        agreement: None,
        test_before_use: false,
    }
}

/// The audit entry of something a logged-in user did (purpose: case handling).
pub fn audit_entry(
    state: &AppState,
    user: &SessionUser,
    action: &str,
    person: Option<String>,
    outcome: &str,
) -> AuditEntry {
    AuditEntry {
        at: state.clock.now(),
        org: actor_of(user).label(),
        credential: format!("user:{}", user.session.user.id),
        acting_person: Some(user.session.user.name.clone()),
        on_behalf_of: None,
        action: action.into(),
        person_id: person,
        purpose: "case handling".into(),
        outcome: outcome.into(),
    }
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
        let message = if t.lang == "en" {
            rule.message_en
        } else {
            rule.message_da
        };
        return Ok(again(message));
    };
    let found = state.store.person_by_cpr(&cpr).await?;
    let visible = found.as_ref().is_some_and(|p| {
        fdg_domain::access::visibility(&actor_of(&user), &p.scope, state.clock.today())
            != Visibility::Hidden
    });
    let person = found.map(|p| p.person_id);
    let outcome = if visible {
        "ok"
    } else if person.is_some() {
        "denied"
    } else {
        "not_found"
    };
    state
        .audit
        .append(vec![audit_entry(
            &state,
            &user,
            "person.search",
            person.clone(),
            outcome,
        )])
        .await
        .map_err(ApiError::internal)?;
    match person.filter(|_| visible) {
        Some(id) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        None => Ok(again(t.not_found)),
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

/// A code's label in the page's language (the code itself if the list does not know it).
pub fn label(state: &AppState, t: &Texts, list: ListName, code: &str, on: Date) -> String {
    match state.codes.get(list, code, on) {
        Some(e) if t.lang == "en" => e.label_en.clone(),
        Some(e) => e.label_da.clone(),
        None => code.to_owned(),
    }
}

/// A person's overview as the user's organisation may see it; the read is audited
/// (`person.read`) before anything is shown, and a person it may not see is not found.
pub async fn read_overview(
    state: &AppState,
    user: &SessionUser,
    person_id: &str,
) -> Result<PersonOverview, ApiError> {
    let today = state.clock.today();
    let record = state.store.person(person_id).await?;
    let visibility = record.as_ref().map_or(Visibility::Hidden, |p| {
        fdg_domain::access::visibility(&actor_of(user), &p.scope, today)
    });
    let outcome = if visibility == Visibility::Hidden {
        "denied"
    } else {
        "ok"
    };
    state
        .audit
        .append(vec![audit_entry(
            state,
            user,
            "person.read",
            record.as_ref().map(|p| p.person_id.clone()),
            outcome,
        )])
        .await
        .map_err(ApiError::internal)?;
    let Some(record) = record.filter(|_| visibility != Visibility::Hidden) else {
        return Err(ApiError::NotFound);
    };
    fdg_domain::access::shown(
        &record.overview,
        visibility,
        record.scope.consent_to_disclose,
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
        (Some(r), _) => label(
            &state,
            t,
            ListName::BenefitCategory,
            &r.benefit_category,
            today,
        ),
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
        timeline: timeline_svg(&o, today, t, &state),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The person's history drawn as an inline SVG: registration periods, periodic conditions (one
/// row per kind), first contacts and interviews, and match-category changes. Every shape has a
/// `<title>`, so screen readers and tooltips tell what it is.
pub fn timeline_svg(o: &PersonOverview, today: Date, t: &Texts, state: &AppState) -> String {
    let mut dates: Vec<Date> = o
        .registrations
        .iter()
        .map(|r| r.registration_date)
        .collect();
    dates.extend(o.periodic_conditions.iter().map(|c| c.start_date));
    dates.extend(o.first_contacts.iter().chain(&o.interviews).map(|c| c.date));
    let start = dates.iter().min().copied().unwrap_or(today);
    let start = start
        .checked_sub(jiff::Span::new().days(7))
        .unwrap_or(start);
    let end = today
        .checked_add(jiff::Span::new().days(7))
        .unwrap_or(today);
    let span = (end - start).get_days().max(1) as f64;
    let (left, width) = (150.0, 620.0);
    let x = |d: Date| left + width * ((d - start).get_days() as f64 / span).clamp(0.0, 1.0);
    let esc = crate::report::xlsx::escape;
    let mut kinds: Vec<&str> = o
        .periodic_conditions
        .iter()
        .map(|c| c.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let rows = 3 + kinds.len();
    let height = 46 + rows * 28;
    let mut svg = format!(
        r#"<svg class="timeline" role="img" aria-labelledby="timeline-h" viewBox="0 0 800 {height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let row_y = |i: usize| 20 + i * 28;
    let row_label = |svg: &mut String, i: usize, text: &str| {
        svg.push_str(&format!(
            r#"<text x="8" y="{}">{}</text>"#,
            row_y(i) + 14,
            esc(text)
        ));
    };
    row_label(&mut svg, 0, t.row_registered);
    for r in &o.registrations {
        let until = r
            .deregistration
            .as_ref()
            .map_or(today, |d| d.deregistration_date);
        let (x0, x1) = (x(r.registration_date), x(until));
        svg.push_str(&format!(
            r##"<rect x="{x0:.1}" y="{}" width="{:.1}" height="16" fill="#0b4f8a"><title>{} {} – {}</title></rect>"##,
            row_y(0) + 2,
            (x1 - x0).max(2.0),
            esc(t.row_registered),
            r.registration_date,
            r.deregistration.as_ref().map_or(String::new(), |d| d.deregistration_date.to_string())
        ));
    }
    row_label(&mut svg, 1, t.row_contact);
    for c in o.first_contacts.iter().chain(&o.interviews) {
        svg.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{}" r="6" fill="#1a1a1a"><title>{} {}</title></circle>"##,
            x(c.date),
            row_y(1) + 10,
            esc(&label(
                state,
                t,
                ListName::InterviewType,
                &c.interview_type,
                today
            )),
            c.date
        ));
    }
    row_label(&mut svg, 2, t.match_category);
    for m in &o.match_history {
        svg.push_str(&format!(
            r##"<text x="{:.1}" y="{}" font-weight="700">{}<title>{} {} ({})</title></text>"##,
            x(m.valid_from),
            row_y(2) + 14,
            m.category,
            esc(t.match_category),
            m.category,
            m.valid_from
        ));
    }
    for (i, kind) in kinds.iter().enumerate() {
        let name = label(state, t, ListName::PeriodicConditionKind, kind, today);
        row_label(&mut svg, 3 + i, &name);
        for c in o.periodic_conditions.iter().filter(|c| c.kind == *kind) {
            let (x0, x1) = (x(c.start_date), x(c.end_date.unwrap_or(today)));
            svg.push_str(&format!(
                r##"<rect x="{x0:.1}" y="{}" width="{:.1}" height="16" fill="#8a5a00"><title>{} {} – {}</title></rect>"##,
                row_y(3 + i) + 2,
                (x1 - x0).max(2.0),
                esc(&name),
                c.start_date,
                c.end_date.map_or(String::new(), |d| d.to_string())
            ));
        }
    }
    // The span, at the foot.
    svg.push_str(&format!(
        r##"<text x="{left}" y="{}" fill="#4a4a4a">{start}</text><text x="{}" y="{}" text-anchor="end" fill="#4a4a4a">{end}</text>"##,
        height - 4,
        left + width,
        height - 4
    ));
    // Today.
    svg.push_str(&format!(
        r##"<line x1="{x:.1}" x2="{x:.1}" y1="10" y2="{}" stroke="#a4161a" stroke-dasharray="4 3"><title>{today}</title></line>"##,
        height - 6,
        x = x(today)
    ));
    svg.push_str("</svg>");
    svg
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

/// GET /lang/{da|en}: switches the language and goes back.
pub async fn switch_lang(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let lang = if lang == "en" { "en" } else { "da" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
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
        .route("/login", get(login_page))
        .route("/find", post(find))
        .route("/persons/{person_id}", get(person_page))
        .route("/lang/{lang}", get(switch_lang))
        .route("/password", get(password_page).post(set_password))
        .route("/assets/fdg.css", get(stylesheet))
}
